//! What each message says: subject, plain text and HTML, in the recipient's language, from
//! the templates of `templates/mail/`. Messages are rendered when they are sent, from the
//! facts queued with them (`Facts`), so that every link starts with the public URL the
//! service has then.

use askama::Template;
use chrono::TimeZone;
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::notices::{
    booking_invitation, booking_notice, booking_words, digest_notice, digest_subject,
    qualification_notice, qualification_subject, series_event_notice, series_event_subject,
    series_notice, series_subject, service_request_notice, service_request_words, BookingFacts,
    CalendarPart, DigestFacts, Notice, QualificationFacts, SeriesEventFacts, SeriesFacts,
    ServiceRequestFacts,
};
use crate::domain::linked_text::Segment;
use crate::domain::notifications::{Locale, NotificationKind};

/// The key, beside the facts of a queued message, of its recipient's name (the greeting,
/// the invitation's attendee).
pub const RECIPIENT_NAME: &str = "recipient_name";

/// What a message needs besides its facts.
#[derive(Debug, Clone)]
pub struct Context {
    /// Without a trailing slash.
    pub public_url: String,
    pub timezone: Tz,
    /// (name, address) of the campus mailbox that sends: the ORGANIZER of invitations.
    pub organizer: (String, String),
}

/// The facts of an account confirmation: whom it greets and the token to confirm with.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AccountConfirmationFacts {
    pub display_name: String,
    pub organisation: String,
    pub token: String,
    pub expires_at: i64,
}

/// The facts of a password reset.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PasswordResetFacts {
    pub display_name: String,
    pub token: String,
    pub expires_at: i64,
}

/// The facts of a message, one shape per kind; stored as JSON with the message.
#[derive(Debug, Clone, PartialEq)]
pub enum Facts {
    AccountConfirmation(AccountConfirmationFacts),
    PasswordReset(PasswordResetFacts),
    /// One of the booking kinds (`NotificationKind::is_about_a_booking`).
    Booking(NotificationKind, BookingFacts),
    SeriesSkippedDates(SeriesFacts),
    /// A series to approve, cancelled or changed: one message for its occurrences.
    Series(NotificationKind, SeriesEventFacts),
    /// A platform manager's morning digest.
    Digest(DigestFacts),
    QualificationExpiring(QualificationFacts),
    /// One of the service-request kinds.
    ServiceRequest(NotificationKind, ServiceRequestFacts),
}

/// The booking kinds: the facts of one booking, with an invitation for its attendees.
const BOOKING_KINDS: [NotificationKind; 7] = [
    NotificationKind::BookingReminder,
    NotificationKind::BookingPending,
    NotificationKind::BookingApproved,
    NotificationKind::BookingRejected,
    NotificationKind::BookingCancelled,
    NotificationKind::BookingChanged,
    NotificationKind::BookingCancelledByUnavailability,
];

/// The series event kinds.
const SERIES_KINDS: [NotificationKind; 3] = [
    NotificationKind::SeriesPending,
    NotificationKind::SeriesCancelled,
    NotificationKind::SeriesChanged,
];

/// The service-request kinds.
const SERVICE_REQUEST_KINDS: [NotificationKind; 8] = [
    NotificationKind::ServiceRequestReceived,
    NotificationKind::ServiceRequestTaken,
    NotificationKind::QuoteIssued,
    NotificationKind::QuoteAnswered,
    NotificationKind::AgreementSigned,
    NotificationKind::WorkDelivered,
    NotificationKind::ServiceRequestInvoiced,
    NotificationKind::ServiceRequestMessage,
];

impl Facts {
    pub fn kind(&self) -> NotificationKind {
        match self {
            Facts::AccountConfirmation(_) => NotificationKind::AccountConfirmation,
            Facts::PasswordReset(_) => NotificationKind::PasswordReset,
            Facts::Booking(kind, _) | Facts::ServiceRequest(kind, _) | Facts::Series(kind, _) => {
                *kind
            }
            Facts::SeriesSkippedDates(_) => NotificationKind::SeriesSkippedDates,
            Facts::Digest(_) => NotificationKind::ManagerDigest,
            Facts::QualificationExpiring(_) => NotificationKind::QualificationExpiring,
        }
    }

    pub fn to_json(&self) -> String {
        match self {
            Facts::AccountConfirmation(f) => serde_json::to_string(f),
            Facts::PasswordReset(f) => serde_json::to_string(f),
            Facts::Booking(_, f) => serde_json::to_string(f),
            Facts::SeriesSkippedDates(f) => serde_json::to_string(f),
            Facts::ServiceRequest(_, f) => serde_json::to_string(f),
            Facts::Series(_, f) => serde_json::to_string(f),
            Facts::Digest(f) => serde_json::to_string(f),
            Facts::QualificationExpiring(f) => serde_json::to_string(f),
        }
        .expect("facts serialise")
    }

    /// Reads the facts stored with a message of `kind`.
    pub fn from_json(kind: NotificationKind, json: &str) -> Result<Facts, String> {
        let bad = |e: serde_json::Error| format!("facts of a {kind} message unreadable: {e}");
        match kind {
            NotificationKind::AccountConfirmation => serde_json::from_str(json)
                .map(Facts::AccountConfirmation)
                .map_err(bad),
            NotificationKind::PasswordReset => serde_json::from_str(json)
                .map(Facts::PasswordReset)
                .map_err(bad),
            NotificationKind::SeriesSkippedDates => serde_json::from_str(json)
                .map(Facts::SeriesSkippedDates)
                .map_err(bad),
            NotificationKind::ManagerDigest => {
                serde_json::from_str(json).map(Facts::Digest).map_err(bad)
            }
            NotificationKind::QualificationExpiring => serde_json::from_str(json)
                .map(Facts::QualificationExpiring)
                .map_err(bad),
            k if SERIES_KINDS.contains(&k) => serde_json::from_str(json)
                .map(|f| Facts::Series(k, f))
                .map_err(bad),
            k if BOOKING_KINDS.contains(&k) => serde_json::from_str(json)
                .map(|f| Facts::Booking(k, f))
                .map_err(bad),
            k if SERVICE_REQUEST_KINDS.contains(&k) => serde_json::from_str(json)
                .map(|f| Facts::ServiceRequest(k, f))
                .map_err(bad),
            other => Err(format!("no content for {other} messages yet")),
        }
    }

    /// The subject line, also kept with the queued message for the administrators' view.
    pub fn subject(&self, locale: Locale) -> String {
        match (self, locale) {
            (Facts::AccountConfirmation(_), Locale::French) => {
                "Confirmez votre adresse e-mail pour activer votre compte Plateaux".into()
            }
            (Facts::AccountConfirmation(_), Locale::English) => {
                "Confirm your e-mail address to activate your Plateaux account".into()
            }
            (Facts::PasswordReset(_), Locale::French) => {
                "Changement du mot de passe de votre compte Plateaux".into()
            }
            (Facts::PasswordReset(_), Locale::English) => {
                "Changing the password of your Plateaux account".into()
            }
            (Facts::Booking(kind, f), _) => booking_words(*kind, f, locale).0,
            (Facts::SeriesSkippedDates(f), _) => series_subject(f, locale),
            (Facts::ServiceRequest(kind, f), _) => service_request_words(*kind, f, locale).0,
            (Facts::Series(kind, f), _) => series_event_subject(*kind, f, locale),
            (Facts::Digest(f), _) => digest_subject(f, locale),
            (Facts::QualificationExpiring(f), _) => qualification_subject(f, locale),
        }
    }
}

/// A message ready to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The calendar invitation of a booking message.
    pub calendar: Option<CalendarPart>,
}

fn local_time(at: i64, locale: Locale, tz: &Tz) -> String {
    let Some(t) = tz.timestamp_opt(at, 0).single() else {
        return at.to_string();
    };
    match locale {
        Locale::French => format!(
            "{} à {}",
            crate::views::web::format::long_date(t.date_naive()),
            t.format("%H:%M")
        ),
        Locale::English => t.format("%d %B %Y, %H:%M").to_string(),
    }
}

/// What every template may show.
struct Fields<'a> {
    subject: &'a str,
    display_name: &'a str,
    organisation: &'a str,
    link: &'a str,
    token: &'a str,
    expires: &'a str,
    public_url: &'a str,
}

macro_rules! mail_templates {
    ($($name:ident => $path:literal),+ $(,)?) => {$(
        // Each template shows the fields it needs.
        #[allow(dead_code)]
        #[derive(Template)]
        #[template(path = $path)]
        struct $name<'a> {
            subject: &'a str,
            display_name: &'a str,
            organisation: &'a str,
            link: &'a str,
            token: &'a str,
            expires: &'a str,
            public_url: &'a str,
        }

        impl<'a> From<&Fields<'a>> for $name<'a> {
            fn from(f: &Fields<'a>) -> Self {
                $name {
                    subject: f.subject,
                    display_name: f.display_name,
                    organisation: f.organisation,
                    link: f.link,
                    token: f.token,
                    expires: f.expires,
                    public_url: f.public_url,
                }
            }
        }
    )+};
}

/// The templates of event messages: a notice's parts laid out.
macro_rules! notice_templates {
    ($($name:ident => $path:literal),+ $(,)?) => {$(
        // The plain text shows no title.
        #[allow(dead_code)]
        #[derive(Template)]
        #[template(path = $path)]
        struct $name<'a> {
            subject: &'a str,
            display_name: &'a str,
            paragraphs: &'a [String],
            details: &'a [(String, String)],
            items: &'a [String],
            link: &'a str,
            link_label: &'a str,
            public_url: &'a str,
        }

        impl<'a> $name<'a> {
            fn of(notice: &'a Notice, display_name: &'a str, public_url: &'a str) -> Self {
                $name {
                    subject: &notice.subject,
                    display_name,
                    paragraphs: &notice.paragraphs,
                    details: &notice.details,
                    items: &notice.items,
                    link: &notice.link,
                    link_label: &notice.link_label,
                    public_url,
                }
            }
        }
    )+};
}

notice_templates! {
    NoticeFrText => "mail/notice.fr.txt",
    NoticeFrHtml => "mail/notice.fr.html",
    NoticeEnText => "mail/notice.en.txt",
    NoticeEnHtml => "mail/notice.en.html",
}

fn render_notice(
    notice: &Notice,
    locale: Locale,
    display_name: &str,
    public_url: &str,
) -> Result<(String, String), String> {
    let failed = |e: askama::Error| format!("template failed: {e}");
    Ok(match locale {
        Locale::French => (
            NoticeFrText::of(notice, display_name, public_url)
                .render()
                .map_err(failed)?,
            NoticeFrHtml::of(notice, display_name, public_url)
                .render()
                .map_err(failed)?,
        ),
        Locale::English => (
            NoticeEnText::of(notice, display_name, public_url)
                .render()
                .map_err(failed)?,
            NoticeEnHtml::of(notice, display_name, public_url)
                .render()
                .map_err(failed)?,
        ),
    })
}

mail_templates! {
    ConfirmationFrText => "mail/account_confirmation.fr.txt",
    ConfirmationFrHtml => "mail/account_confirmation.fr.html",
    ConfirmationEnText => "mail/account_confirmation.en.txt",
    ConfirmationEnHtml => "mail/account_confirmation.en.html",
    ResetFrText => "mail/password_reset.fr.txt",
    ResetFrHtml => "mail/password_reset.fr.html",
    ResetEnText => "mail/password_reset.en.txt",
    ResetEnHtml => "mail/password_reset.en.html",
}

/// The plain text and HTML alternatives of one message from their two templates.
fn pair<'a, T, H>(fields: &Fields<'a>) -> Result<(String, String), String>
where
    T: Template + for<'f> From<&'f Fields<'a>>,
    H: Template + for<'f> From<&'f Fields<'a>>,
{
    let failed = |e: askama::Error| format!("template failed: {e}");
    Ok((
        T::from(fields).render().map_err(failed)?,
        H::from(fields).render().map_err(failed)?,
    ))
}

/// The person a message is for: their address, and their name when known.
pub struct Recipient<'a> {
    pub address: &'a str,
    pub name: &'a str,
}

/// Renders one message for `recipient`.
pub fn render(
    facts: &Facts,
    locale: Locale,
    context: &Context,
    recipient: &Recipient,
) -> Result<Rendered, String> {
    let subject = facts.subject(locale);
    let public_url = context.public_url.as_str();
    let mut calendar = None;
    let (text, html) = match facts {
        Facts::Booking(kind, f) => {
            let notice = booking_notice(*kind, f, locale, context);
            calendar =
                booking_invitation(*kind, f, recipient, context, chrono::Utc::now().timestamp());
            render_notice(&notice, locale, recipient.name, public_url)?
        }
        Facts::SeriesSkippedDates(f) => render_notice(
            &series_notice(f, locale, context),
            locale,
            recipient.name,
            public_url,
        )?,
        Facts::ServiceRequest(kind, f) => render_notice(
            &service_request_notice(*kind, f, locale, context),
            locale,
            recipient.name,
            public_url,
        )?,
        Facts::Series(kind, f) => render_notice(
            &series_event_notice(*kind, f, locale, context),
            locale,
            recipient.name,
            public_url,
        )?,
        Facts::Digest(f) => render_notice(
            &digest_notice(f, locale, context),
            locale,
            recipient.name,
            public_url,
        )?,
        Facts::QualificationExpiring(f) => render_notice(
            &qualification_notice(f, locale, context),
            locale,
            recipient.name,
            public_url,
        )?,
        Facts::AccountConfirmation(f) => {
            let link = format!("{public_url}/confirmation/{}", f.token);
            let expires = local_time(f.expires_at, locale, &context.timezone);
            let fields = Fields {
                subject: &subject,
                display_name: &f.display_name,
                organisation: &f.organisation,
                link: &link,
                token: &f.token,
                expires: &expires,
                public_url,
            };
            match locale {
                Locale::French => pair::<ConfirmationFrText, ConfirmationFrHtml>(&fields)?,
                Locale::English => pair::<ConfirmationEnText, ConfirmationEnHtml>(&fields)?,
            }
        }
        Facts::PasswordReset(f) => {
            let link = format!("{public_url}/mot-de-passe-oublie/{}", f.token);
            let expires = local_time(f.expires_at, locale, &context.timezone);
            let fields = Fields {
                subject: &subject,
                display_name: &f.display_name,
                organisation: "",
                link: &link,
                token: &f.token,
                expires: &expires,
                public_url,
            };
            match locale {
                Locale::French => pair::<ResetFrText, ResetFrHtml>(&fields)?,
                Locale::English => pair::<ResetEnText, ResetEnHtml>(&fields)?,
            }
        }
    };
    Ok(Rendered {
        subject,
        text,
        html,
        calendar,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context() -> Context {
        Context {
            public_url: "https://plateaux.campus.example".into(),
            timezone: chrono_tz::Europe::Paris,
            organizer: ("Plateaux".into(), "plateaux@campus.example".into()),
        }
    }

    const TO: Recipient = Recipient {
        address: "lea@lycee.example",
        name: "Léa",
    };

    #[test]
    fn a_confirmation_links_to_the_public_url_in_both_languages_and_escapes_html() {
        let facts = Facts::AccountConfirmation(AccountConfirmationFacts {
            display_name: "Léa <Martin>".into(),
            organisation: "Usinages du Célé".into(),
            token: "abc123".into(),
            // 2027-01-15 09:30 in Paris.
            expires_at: 1_800_001_800,
        });
        let json = facts.to_json();
        assert_eq!(
            Facts::from_json(NotificationKind::AccountConfirmation, &json).unwrap(),
            facts
        );
        let fr = render(&facts, Locale::French, &context(), &TO).unwrap();
        assert!(fr.subject.starts_with("Confirmez"));
        let link = "https://plateaux.campus.example/confirmation/abc123";
        assert!(fr.text.contains(link), "{}", fr.text);
        assert!(fr.text.contains("Bonjour Léa <Martin>"));
        assert!(fr.html.contains(&format!("href=\"{link}\"")), "{}", fr.html);
        assert!(
            fr.html.contains("Léa &#60;Martin&#62;") || fr.html.contains("Léa &lt;Martin&gt;"),
            "{}",
            fr.html
        );
        assert!(fr.html.contains("<html lang=\"fr\">"));
        let en = render(&facts, Locale::English, &context(), &TO).unwrap();
        assert!(en.subject.starts_with("Confirm your"));
        assert!(en.text.contains("Hello Léa"));
        assert!(en.html.contains("<html lang=\"en\">"));
    }

    #[test]
    fn a_password_reset_says_one_hour() {
        let facts = Facts::PasswordReset(PasswordResetFacts {
            display_name: "Léa".into(),
            token: "t0k3n".into(),
            expires_at: 1_800_001_800,
        });
        let fr = render(&facts, Locale::French, &context(), &TO).unwrap();
        assert!(fr.text.contains("/mot-de-passe-oublie/t0k3n"));
        assert!(fr.text.contains("une heure"));
        assert!(Facts::from_json(NotificationKind::BookingApproved, "{}").is_err());
    }
}
