//! What the event messages say: bookings (with their calendar invitation), series with
//! skipped dates and service requests. Each is a notice (a greeting, paragraphs, details, a
//! list, a link) written in the recipient's language and shown by the `notice` templates.

use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::content::{Context, Recipient};
use crate::domain::calendar::{invitation, Invitation};
use crate::domain::notifications::{Locale, NotificationKind};
use crate::domain::plural::{by_count, counted};
use crate::domain::time::{local, Span};

/// The facts of a message about one booking, as they stand after the event.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BookingFacts {
    pub booking_id: String,
    /// The SEQUENCE of the invitation.
    pub sequence: i32,
    /// `pending`, `confirmed`, `rejected` or `cancelled`.
    pub status: String,
    pub platform: String,
    pub equipment: Option<String>,
    pub stations: Option<i32>,
    pub starts_at: i64,
    pub ends_at: i64,
    /// The group's label (a class, a team): never the names of pupils.
    pub group_label: String,
    pub organisation: String,
    /// Who booked.
    pub booker: String,
    /// Why it was rejected or cancelled.
    pub reason: Option<String>,
    /// A reminder queued the day of the session itself (caught up after no instance ran
    /// over the reminder hour the day before): it says "today", not "tomorrow".
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub same_day: bool,
}

/// One date of a series that was not booked, and why (in French, as the rules say it).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SkippedDate {
    pub starts_at: i64,
    pub ends_at: i64,
    pub reason: String,
}

/// The facts of a series created with dates left out.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SeriesFacts {
    pub series_id: String,
    pub platform: String,
    pub equipment: Option<String>,
    pub group_label: String,
    pub created: usize,
    pub skipped: Vec<SkippedDate>,
}

/// The facts of a message about a service request.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ServiceRequestFacts {
    pub request_id: String,
    pub title: String,
    /// The requesting company.
    pub organisation: String,
    /// The platform chosen, if any.
    pub platform: Option<String>,
    /// A quote's number and amount, a decision, the first lines of a message...
    pub detail: Option<String>,
    /// For a quote answered: accepted (true) or declined.
    pub accepted: Option<bool>,
    /// The copy for the campus's staff (a request received reads differently to them than
    /// the company's acknowledgement). Absent from messages queued before it existed.
    #[serde(default)]
    pub for_campus: bool,
}

/// A message made of parts the `notice` templates lay out.
pub struct Notice {
    pub subject: String,
    pub paragraphs: Vec<String>,
    pub details: Vec<(String, String)>,
    pub items: Vec<String>,
    pub link: String,
    pub link_label: String,
}

/// The invitation part of a message: its METHOD and its iCalendar text.
#[derive(Debug, Clone, PartialEq)]
pub struct CalendarPart {
    pub method: &'static str,
    pub ics: String,
}

/// `de Stratiforme`, `d'Atelier Vallée`: French elides « de » before a vowel or an h.
pub fn de(name: &str) -> String {
    let elided = name
        .chars()
        .next()
        .is_some_and(|c| "aeiouyhàâäéèêëîïôöùûüœæ".contains(c.to_lowercase().next().unwrap_or(c)));
    if elided {
        format!("d'{name}")
    } else {
        format!("de {name}")
    }
}

/// A number of stations, as people read it (`1 poste`, `6 postes`).
pub fn stations_words(n: i32, locale: Locale) -> String {
    match locale {
        Locale::French => counted(n, locale, "poste", "postes"),
        Locale::English => counted(n, locale, "station", "stations"),
    }
}

fn day_and_hours(span: Span, locale: Locale, tz: &Tz) -> String {
    let (start, end) = (local(span.start, tz), local(span.end, tz));
    match locale {
        Locale::French => format!(
            "{} de {} à {}",
            long_day(start.date_naive(), locale),
            start.format("%H:%M"),
            end.format("%H:%M")
        ),
        Locale::English => format!(
            "{}, {} to {}",
            start.format("%-d %B %Y"),
            start.format("%H:%M"),
            end.format("%H:%M")
        ),
    }
}

fn what(f: &BookingFacts, locale: Locale) -> String {
    match (&f.equipment, f.stations, locale) {
        (Some(e), _, _) => e.clone(),
        (None, Some(n), _) => stations_words(n, locale),
        (None, None, _) => String::new(),
    }
}

fn status_words(status: &str, locale: Locale) -> &'static str {
    match (status, locale) {
        ("pending", Locale::French) => "en attente d'approbation",
        ("pending", Locale::English) => "waiting for approval",
        ("confirmed", Locale::French) => "confirmée",
        ("confirmed", Locale::English) => "confirmed",
        ("rejected", Locale::French) => "refusée",
        ("rejected", Locale::English) => "rejected",
        (_, Locale::French) => "annulée",
        (_, Locale::English) => "cancelled",
    }
}

/// The subject and first paragraph of a booking message: no date in the subject, which is
/// written when the message is queued (the date is in the body and the invitation).
pub fn booking_words(kind: NotificationKind, f: &BookingFacts, locale: Locale) -> (String, String) {
    let fr = locale == Locale::French;
    let place = format!("{} ({})", f.platform, f.group_label);
    let reason = f.reason.clone().unwrap_or_default();
    match kind {
        NotificationKind::BookingPending if fr => (
            format!("Réservation à approuver : {place}"),
            format!("{} ({}) demande une réservation qui attend votre approbation.", f.booker, f.organisation),
        ),
        NotificationKind::BookingPending => (
            format!("Booking to approve: {place}"),
            format!("{} ({}) asks for a booking that waits for your approval.", f.booker, f.organisation),
        ),
        NotificationKind::BookingApproved if fr => (
            format!("Réservation confirmée : {place}"),
            "Votre réservation est confirmée. L'invitation jointe la place dans votre agenda.".to_owned(),
        ),
        NotificationKind::BookingApproved => (
            format!("Booking confirmed: {place}"),
            "Your booking is confirmed. The attached invitation puts it in your calendar.".to_owned(),
        ),
        NotificationKind::BookingRejected if fr => (
            format!("Réservation refusée : {place}"),
            format!("La réservation a été refusée. Motif : {reason}"),
        ),
        NotificationKind::BookingRejected => (
            format!("Booking rejected: {place}"),
            format!("The booking was rejected. Reason: {reason}"),
        ),
        NotificationKind::BookingCancelledByUnavailability if fr => (
            format!("Réservation annulée : {place}"),
            format!("La réservation a été annulée : l'équipement est indisponible sur cette période. Motif : {reason}"),
        ),
        NotificationKind::BookingCancelledByUnavailability => (
            format!("Booking cancelled: {place}"),
            format!("The booking was cancelled: the equipment is unavailable over that period. Reason: {reason}"),
        ),
        NotificationKind::BookingReminder if fr && f.same_day => (
            format!("Rappel : séance aujourd'hui, {place}"),
            "Votre séance a lieu aujourd'hui. En voici le détail ; si elle n'a plus lieu, annulez-la pour libérer le plateau.".to_owned(),
        ),
        NotificationKind::BookingReminder if f.same_day => (
            format!("Reminder: session today, {place}"),
            "Your session takes place today. Here are its details; if it no longer takes place, cancel it to free the platform.".to_owned(),
        ),
        NotificationKind::BookingReminder if fr => (
            format!("Rappel : séance demain, {place}"),
            "Votre séance a lieu demain. En voici le détail ; si elle n'a plus lieu, annulez-la pour libérer le plateau.".to_owned(),
        ),
        NotificationKind::BookingReminder => (
            format!("Reminder: session tomorrow, {place}"),
            "Your session takes place tomorrow. Here are its details; if it no longer takes place, cancel it to free the platform.".to_owned(),
        ),
        NotificationKind::BookingChanged if fr => (
            format!("Réservation modifiée : {place}"),
            format!("La réservation a été modifiée ; elle est {}.", status_words(&f.status, locale)),
        ),
        NotificationKind::BookingChanged => (
            format!("Booking changed: {place}"),
            format!("The booking was changed; it is {}.", status_words(&f.status, locale)),
        ),
        _ if fr => (
            format!("Réservation annulée : {place}"),
            format!("La réservation a été annulée. Motif : {reason}"),
        ),
        _ => (
            format!("Booking cancelled: {place}"),
            format!("The booking was cancelled. Reason: {reason}"),
        ),
    }
}

/// The notice of a booking message.
pub fn booking_notice(
    kind: NotificationKind,
    f: &BookingFacts,
    locale: Locale,
    context: &Context,
) -> Notice {
    let fr = locale == Locale::French;
    let span = Span::new(f.starts_at, f.ends_at);
    let when = day_and_hours(span, locale, &context.timezone);
    let (subject, paragraph) = booking_words(kind, f, locale);
    let labels: [&str; 6] = if fr {
        [
            "Plateau",
            "Équipement ou postes",
            "Date",
            "Groupe",
            "Organisation",
            "État",
        ]
    } else {
        [
            "Platform",
            "Equipment or stations",
            "Date",
            "Group",
            "Organisation",
            "Status",
        ]
    };
    let values = [
        f.platform.clone(),
        what(f, locale),
        when,
        f.group_label.clone(),
        f.organisation.clone(),
        status_words(&f.status, locale).to_owned(),
    ];
    Notice {
        subject,
        paragraphs: vec![paragraph],
        details: labels
            .iter()
            .zip(values)
            .filter(|(_, v)| !v.is_empty())
            .map(|(l, v)| ((*l).to_owned(), v))
            .collect(),
        items: Vec::new(),
        link: format!("{}/reservations/{}", context.public_url, f.booking_id),
        link_label: if fr {
            "Voir la réservation"
        } else {
            "See the booking"
        }
        .to_owned(),
    }
}

/// The invitation of a booking message for `recipient`: none for the managers' request to
/// approve (they do not attend), a cancellation for a booking rejected or cancelled, a
/// request otherwise.
pub fn booking_invitation(
    kind: NotificationKind,
    f: &BookingFacts,
    recipient: &Recipient,
    context: &Context,
    now: i64,
) -> Option<CalendarPart> {
    if !kind.carries_invitation() {
        // Managers do not attend; a reminder changes nothing in the calendar.
        return None;
    }
    let uid = format!(
        "{}@{}",
        f.booking_id,
        crate::domain::calendar::uid_host(&context.public_url)
    );
    let summary = match &f.equipment {
        Some(e) => format!("{} : {} ({})", f.platform, e, f.group_label),
        None => format!("{} ({})", f.platform, f.group_label),
    };
    let cancelled = matches!(f.status.as_str(), "rejected" | "cancelled");
    let invitation_of = Invitation {
        uid: &uid,
        sequence: f.sequence,
        cancelled,
        tentative: f.status == "pending",
        span: Span::new(f.starts_at, f.ends_at),
        summary: &summary,
        description: &format!(
            "{} : {}",
            f.organisation,
            status_words(&f.status, Locale::French)
        ),
        location: &f.platform,
        organizer: (&context.organizer.0, &context.organizer.1),
        attendee: (
            if recipient.name.is_empty() {
                recipient.address
            } else {
                recipient.name
            },
            recipient.address,
        ),
        now,
    };
    Some(CalendarPart {
        method: invitation_of.method(),
        ics: invitation(&invitation_of, &context.timezone),
    })
}

/// The subject of a series message.
pub fn series_subject(f: &SeriesFacts, locale: Locale) -> String {
    let place = match &f.equipment {
        Some(e) => format!("{}, {e}", f.platform),
        None => f.platform.clone(),
    };
    let n = f.skipped.len();
    match locale {
        Locale::French => format!(
            "Série réservée, {} : {place}",
            counted(n, locale, "date non réservée", "dates non réservées")
        ),
        Locale::English => format!(
            "Series booked, {} not booked: {place}",
            counted(n, locale, "date", "dates")
        ),
    }
}

/// The notice of a series created with dates left out.
pub fn series_notice(f: &SeriesFacts, locale: Locale, context: &Context) -> Notice {
    let fr = locale == Locale::French;
    let items = f
        .skipped
        .iter()
        .map(|s| {
            format!(
                "{} : {}",
                day_and_hours(Span::new(s.starts_at, s.ends_at), locale, &context.timezone),
                s.reason
            )
        })
        .collect();
    Notice {
        subject: series_subject(f, locale),
        paragraphs: vec![if fr {
            format!(
                "Votre série pour « {} » {}. {}, pour la raison indiquée :",
                f.group_label,
                match f.created {
                    0 => "ne compte aucune séance réservée".to_owned(),
                    n => format!(
                        "compte {}",
                        counted(n, locale, "séance réservée", "séances réservées")
                    ),
                },
                by_count(
                    f.skipped.len() as i64,
                    locale,
                    "Cette date n'a pas été réservée",
                    "Ces dates n'ont pas été réservées"
                )
            )
        } else {
            format!(
                "Your series for \"{}\" holds {}. {}, for the reason given (in French):",
                f.group_label,
                match f.created {
                    0 => "no booked session".to_owned(),
                    n => counted(n, locale, "booked session", "booked sessions"),
                },
                by_count(
                    f.skipped.len() as i64,
                    locale,
                    "This date was not booked",
                    "These dates were not booked"
                )
            )
        }],
        details: Vec::new(),
        items,
        link: format!("{}/series/{}", context.public_url, f.series_id),
        link_label: if fr {
            "Voir la série"
        } else {
            "See the series"
        }
        .to_owned(),
    }
}

/// The subject and first paragraph of a service-request message.
pub fn service_request_words(
    kind: NotificationKind,
    f: &ServiceRequestFacts,
    locale: Locale,
) -> (String, String) {
    let fr = locale == Locale::French;
    let name = format!("« {} »", f.title);
    match (kind, fr) {
        (NotificationKind::ServiceRequestReceived, true) if f.for_campus => (
            format!("Nouvelle demande de prestation : {name}"),
            format!(
                "{} a déposé une demande de prestation{}. Lisez-la et prenez-la en charge depuis sa page.",
                f.organisation,
                f.platform.as_ref().map(|p| format!(" pour le plateau {p}")).unwrap_or_default()
            ),
        ),
        (NotificationKind::ServiceRequestReceived, false) if f.for_campus => (
            format!("New service request: {name}"),
            format!(
                "{} submitted a service request{}. Read it and take it from its page.",
                f.organisation,
                f.platform.as_ref().map(|p| format!(" for the platform {p}")).unwrap_or_default()
            ),
        ),
        (NotificationKind::ServiceRequestReceived, true) => (
            format!("Demande de prestation reçue : {name}"),
            format!("La demande de prestation {} a été reçue ; l'équipe du campus y répond sous peu.", de(&f.organisation)),
        ),
        (NotificationKind::ServiceRequestReceived, false) => (
            format!("Service request received: {name}"),
            format!("The service request of {} was received; the campus team will answer it shortly.", f.organisation),
        ),
        (NotificationKind::ServiceRequestTaken, true) => (
            format!("Demande de prestation prise en charge : {name}"),
            "Votre demande est prise en charge par un responsable de plateau.".to_owned(),
        ),
        (NotificationKind::ServiceRequestTaken, false) => (
            format!("Service request taken: {name}"),
            "Your request is being handled by a platform manager.".to_owned(),
        ),
        (NotificationKind::QuoteIssued, true) => (
            format!("Devis disponible : {name}"),
            "Un devis vous attend : vous pouvez l'accepter ou le refuser en ligne.".to_owned(),
        ),
        (NotificationKind::QuoteIssued, false) => (
            format!("Quote available: {name}"),
            "A quote is waiting for you: you can accept or decline it online.".to_owned(),
        ),
        (NotificationKind::QuoteAnswered, true) => (
            format!(
                "Devis {} : {name}",
                if f.accepted == Some(true) { "accepté" } else { "refusé" }
            ),
            format!(
                "{} a {} le devis.",
                f.organisation,
                if f.accepted == Some(true) { "accepté" } else { "refusé" }
            ),
        ),
        (NotificationKind::QuoteAnswered, false) => (
            format!(
                "Quote {}: {name}",
                if f.accepted == Some(true) { "accepted" } else { "declined" }
            ),
            format!(
                "{} {} the quote.",
                f.organisation,
                if f.accepted == Some(true) { "accepted" } else { "declined" }
            ),
        ),
        (NotificationKind::AgreementSigned, true) => (
            format!("Convention signée : {name}"),
            "La convention de la prestation est signée : les travaux peuvent être planifiés.".to_owned(),
        ),
        (NotificationKind::AgreementSigned, false) => (
            format!("Agreement signed: {name}"),
            "The agreement of the service is signed: the work can be planned.".to_owned(),
        ),
        (NotificationKind::WorkDelivered, true) => (
            format!("Prestation livrée : {name}"),
            "La prestation est livrée.".to_owned(),
        ),
        (NotificationKind::WorkDelivered, false) => (
            format!("Work delivered: {name}"),
            "The work is delivered.".to_owned(),
        ),
        (NotificationKind::ServiceRequestInvoiced, true) => (
            format!("Prestation facturée : {name}"),
            "La facture de la prestation est émise.".to_owned(),
        ),
        (NotificationKind::ServiceRequestInvoiced, false) => (
            format!("Service invoiced: {name}"),
            "The invoice of the service is issued.".to_owned(),
        ),
        (_, true) => (
            format!("Nouveau message : {name}"),
            "Un nouveau message a été écrit sur la demande de prestation.".to_owned(),
        ),
        (_, false) => (
            format!("New message: {name}"),
            "A new message was written on the service request.".to_owned(),
        ),
    }
}

/// The notice of a service-request message.
pub fn service_request_notice(
    kind: NotificationKind,
    f: &ServiceRequestFacts,
    locale: Locale,
    context: &Context,
) -> Notice {
    let fr = locale == Locale::French;
    let name = format!("« {} »", f.title);
    let (subject, paragraph) = service_request_words(kind, f, locale);
    let mut details = vec![(
        if fr { "Demande" } else { "Request" }.to_owned(),
        name.clone(),
    )];
    details.push((
        if fr { "Entreprise" } else { "Company" }.to_owned(),
        f.organisation.clone(),
    ));
    if let Some(platform) = &f.platform {
        details.push((
            if fr { "Plateau" } else { "Platform" }.to_owned(),
            platform.clone(),
        ));
    }
    if let Some(detail) = &f.detail {
        details.push((
            if fr { "Détail" } else { "Detail" }.to_owned(),
            detail.clone(),
        ));
    }
    Notice {
        subject,
        paragraphs: vec![paragraph],
        details,
        items: Vec::new(),
        link: format!("{}/demandes/{}", context.public_url, f.request_id),
        link_label: if fr {
            "Voir la demande"
        } else {
            "See the request"
        }
        .to_owned(),
    }
}

/// A date as people read it: `mardi 2 mars 2027`, `Tuesday 2 March 2027`.
fn long_day(date: chrono::NaiveDate, locale: Locale) -> String {
    match locale {
        Locale::French => crate::views::web::format::long_date(date),
        Locale::English => date.format("%A %-d %B %Y").to_string(),
    }
}

/// `mardi 2 mars 2027, 08:00 – 10:00` in the campus time zone.
fn session_time(starts_at: i64, ends_at: i64, locale: Locale, tz: &Tz) -> String {
    let (start, end) = (local(starts_at, tz), local(ends_at, tz));
    format!(
        "{}, {} – {}",
        long_day(start.date_naive(), locale),
        start.format("%H:%M"),
        end.format("%H:%M")
    )
}

/// One session of a list (a digest, a series).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SessionLine {
    pub booking_id: String,
    pub platform: String,
    pub equipment: Option<String>,
    pub starts_at: i64,
    pub ends_at: i64,
    pub group_label: String,
    pub organisation: String,
}

impl SessionLine {
    fn line(&self, locale: Locale, tz: &Tz) -> String {
        let place = match &self.equipment {
            Some(e) => format!("{}, {e}", self.platform),
            None => self.platform.clone(),
        };
        format!(
            "{} : {place} — {} ({})",
            session_time(self.starts_at, self.ends_at, locale, tz),
            self.group_label,
            self.organisation
        )
    }
}

/// The facts of a platform manager's morning digest.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DigestFacts {
    /// The day of the digest (`YYYY-MM-DD`, campus time zone).
    pub day: chrono::NaiveDate,
    /// Bookings waiting for approval on the platforms one manages.
    pub pending: Vec<SessionLine>,
    /// Sessions of the last seven days still without a usage record.
    pub unrecorded: Vec<SessionLine>,
}

pub fn digest_subject(f: &DigestFacts, locale: Locale) -> String {
    // Only what waits is counted: no « 0 réservation à approuver ».
    let (pending, unrecorded, nothing, colon) = match locale {
        Locale::French => (
            ("réservation à approuver", "réservations à approuver"),
            ("séance sans relevé", "séances sans relevé"),
            "rien en attente",
            " :",
        ),
        Locale::English => (
            ("booking to approve", "bookings to approve"),
            (
                "session without a usage record",
                "sessions without a usage record",
            ),
            "nothing waiting",
            ":",
        ),
    };
    let parts: Vec<String> = [(f.pending.len(), pending), (f.unrecorded.len(), unrecorded)]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, (singular, plural))| counted(n, locale, singular, plural))
        .collect();
    let waiting = if parts.is_empty() {
        nothing.to_owned()
    } else {
        parts.join(", ")
    };
    format!("Plateaux, {}{colon} {waiting}", long_day(f.day, locale))
}

/// The notice of a morning digest: what waits for approval, then what waits for its
/// usage record.
pub fn digest_notice(f: &DigestFacts, locale: Locale, context: &Context) -> Notice {
    let fr = locale == Locale::French;
    let tz = &context.timezone;
    let mut items = Vec::new();
    for line in &f.pending {
        let prefix = if fr { "À approuver" } else { "To approve" };
        items.push(format!("{prefix} — {}", line.line(locale, tz)));
    }
    for line in &f.unrecorded {
        let prefix = if fr {
            "Sans relevé"
        } else {
            "No usage record"
        };
        items.push(format!("{prefix} — {}", line.line(locale, tz)));
    }
    Notice {
        subject: digest_subject(f, locale),
        paragraphs: vec![if fr {
            "Voici ce qui attend sur les plateaux dont vous êtes responsable : les réservations à approuver, puis les séances des sept derniers jours dont l'utilisation n'est pas encore relevée.".to_owned()
        } else {
            "Here is what waits on the platforms you manage: bookings to approve, then the sessions of the last seven days whose usage is not recorded yet.".to_owned()
        }],
        details: Vec::new(),
        items,
        link: format!("{}/validations", context.public_url),
        link_label: if fr {
            "Ouvrir les validations"
        } else {
            "Open the approvals"
        }
        .to_owned(),
    }
}

/// The facts of a qualification about to expire.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct QualificationFacts {
    pub holder: String,
    pub qualification: String,
    pub expires_on: chrono::NaiveDate,
    /// The message goes to the holder (true) or to whoever awarded it.
    pub to_holder: bool,
}

pub fn qualification_subject(f: &QualificationFacts, locale: Locale) -> String {
    match (locale, f.to_holder) {
        (Locale::French, true) => format!(
            "Votre habilitation « {} » arrive à échéance",
            f.qualification
        ),
        (Locale::French, false) => format!(
            "Habilitation « {} » {} bientôt échue",
            f.qualification,
            de(&f.holder)
        ),
        (Locale::English, true) => format!(
            "Your qualification \"{}\" is about to expire",
            f.qualification
        ),
        (Locale::English, false) => format!(
            "Qualification \"{}\" of {} about to expire",
            f.qualification, f.holder
        ),
    }
}

pub fn qualification_notice(f: &QualificationFacts, locale: Locale, context: &Context) -> Notice {
    let fr = locale == Locale::French;
    let day = long_day(f.expires_on, locale);
    let paragraph = match (fr, f.to_holder) {
        (true, true) => format!("Votre habilitation « {} » prend fin le {day}. Passé cette date, les équipements qui l'exigent ne pourront plus être réservés à votre nom : voyez avec votre responsable de plateau pour la renouveler.", f.qualification),
        (true, false) => format!("L'habilitation « {} » {} prend fin le {day}. Passé cette date, les équipements qui l'exigent ne pourront plus être réservés à son nom.", f.qualification, de(&f.holder)),
        (false, true) => format!("Your qualification \"{}\" ends on {day}. After that date, equipment that requires it can no longer be booked in your name: ask your platform manager to renew it.", f.qualification),
        (false, false) => format!("The qualification \"{}\" of {} ends on {day}. After that date, equipment that requires it can no longer be booked in their name.", f.qualification, f.holder),
    };
    Notice {
        subject: qualification_subject(f, locale),
        paragraphs: vec![paragraph],
        details: vec![
            (
                if fr { "Habilitation" } else { "Qualification" }.to_owned(),
                f.qualification.clone(),
            ),
            (
                if fr { "Titulaire" } else { "Holder" }.to_owned(),
                f.holder.clone(),
            ),
            (if fr { "Échéance" } else { "Expires on" }.to_owned(), day),
        ],
        items: Vec::new(),
        link: format!("{}/plateaux", context.public_url),
        link_label: if fr {
            "Voir les plateaux"
        } else {
            "See the platforms"
        }
        .to_owned(),
    }
}

/// The facts of a series event (to approve, cancelled, changed): one message for the
/// series, its occurrences listed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SeriesEventFacts {
    pub series_id: String,
    pub platform: String,
    pub equipment: Option<String>,
    pub group_label: String,
    pub organisation: String,
    pub booker: String,
    pub reason: Option<String>,
    /// The occurrences concerned, as they stand after the event.
    pub occurrences: Vec<SessionLine>,
}

pub fn series_event_subject(
    kind: NotificationKind,
    f: &SeriesEventFacts,
    locale: Locale,
) -> String {
    let place = format!("{} ({})", f.platform, f.group_label);
    let n = f.occurrences.len();
    let sessions = match locale {
        Locale::French => counted(n, locale, "séance", "séances"),
        Locale::English => counted(n, locale, "session", "sessions"),
    };
    match (kind, locale) {
        (NotificationKind::SeriesPending, Locale::French) => {
            format!("Série à approuver, {sessions} : {place}")
        }
        (NotificationKind::SeriesPending, Locale::English) => {
            format!("Series to approve, {sessions}: {place}")
        }
        (NotificationKind::SeriesCancelled, Locale::French) => {
            format!("Série annulée, {sessions} : {place}")
        }
        (NotificationKind::SeriesCancelled, Locale::English) => {
            format!("Series cancelled, {sessions}: {place}")
        }
        (_, Locale::French) => format!("Série modifiée, {sessions} : {place}"),
        (_, Locale::English) => format!("Series changed, {sessions}: {place}"),
    }
}

pub fn series_event_notice(
    kind: NotificationKind,
    f: &SeriesEventFacts,
    locale: Locale,
    context: &Context,
) -> Notice {
    let fr = locale == Locale::French;
    let reason = f.reason.clone().unwrap_or_default();
    let paragraph = match (kind, fr) {
        (NotificationKind::SeriesPending, true) => format!("{} ({}) demande une série de séances qui attend votre approbation. Vous pouvez approuver ou refuser chaque séance.", f.booker, f.organisation),
        (NotificationKind::SeriesPending, false) => format!("{} ({}) asks for a series of sessions that waits for your approval. You may approve or reject each session.", f.booker, f.organisation),
        (NotificationKind::SeriesCancelled, true) => format!("Ces séances de la série sont annulées. Motif : {reason}"),
        (NotificationKind::SeriesCancelled, false) => format!("These sessions of the series are cancelled. Reason: {reason}"),
        (_, true) => "Ces séances de la série ont été modifiées ; les voici telles qu'elles sont désormais.".to_owned(),
        (_, false) => "These sessions of the series were changed; here they are as they now stand.".to_owned(),
    };
    Notice {
        subject: series_event_subject(kind, f, locale),
        paragraphs: vec![paragraph],
        details: vec![
            (
                if fr { "Plateau" } else { "Platform" }.to_owned(),
                f.platform.clone(),
            ),
            (
                if fr { "Groupe" } else { "Group" }.to_owned(),
                f.group_label.clone(),
            ),
            ("Organisation".to_owned(), f.organisation.clone()),
        ],
        items: f
            .occurrences
            .iter()
            .map(|o| session_time(o.starts_at, o.ends_at, locale, &context.timezone))
            .collect(),
        link: if kind == NotificationKind::SeriesPending {
            format!("{}/validations", context.public_url)
        } else {
            format!("{}/reservations", context.public_url)
        },
        link_label: match (kind == NotificationKind::SeriesPending, fr) {
            (true, true) => "Ouvrir les validations",
            (true, false) => "Open the approvals",
            (false, true) => "Voir mes réservations",
            (false, false) => "See my bookings",
        }
        .to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn de_elides_before_a_vowel_or_an_h() {
        assert_eq!(de("Atelier Vallée"), "d'Atelier Vallée");
        assert_eq!(de("Usinages du Célé"), "d'Usinages du Célé");
        assert_eq!(de("Élodie Marty"), "d'Élodie Marty");
        assert_eq!(de("Hélène Roux"), "d'Hélène Roux");
        assert_eq!(de("Stratiforme"), "de Stratiforme");
        assert_eq!(de("Lycée Champollion"), "de Lycée Champollion");
    }

    #[test]
    fn stations_take_the_plural_from_two() {
        assert_eq!(stations_words(1, Locale::French), "1 poste");
        assert_eq!(stations_words(6, Locale::French), "6 postes");
        assert_eq!(stations_words(1, Locale::English), "1 station");
        assert_eq!(stations_words(6, Locale::English), "6 stations");
    }
}
