//! The booking form (with a series' preview), one booking's page and one series' page.
//! The form's fields become the API's own bodies (`NewBooking`, `BookingChanges`,
//! `SeriesCancellation`) and go through their checks; only what a form adds (dates and
//! times typed apart, numbers as text) is read here.

use super::format::parse_date;
use askama::Template;
use askama_web::WebTemplate;
use chrono_tz::Tz;
use uuid::Uuid;

use super::bookings::BookingLine;
use super::{format, Choice, Layout};
use crate::domain::booking::{BookingDraft, BookingStatus, LearnerStatus, RefusalKind, SeriesMode};
use crate::domain::opening_hours::parse_minute;
use crate::domain::time::{date_at_minute, local, Span};
use crate::error::ApiError;
use crate::labels::{label_of, Label};
use crate::usecases::booking_form::{BookingForm, BookingSheet, SeriesSheet};
use crate::usecases::bookings::series::SeriesPreview;
use crate::usecases::bookings::Skip;
use crate::views::bookings::{BookingChanges, LearnerCount, NewBooking};

/// Each learner status and the name of its headcount field.
pub const LEARNERS: [(LearnerStatus, &str); 6] = [
    (LearnerStatus::School, "scolaires"),
    (LearnerStatus::Apprentice, "apprentis"),
    (LearnerStatus::ContinuingEducation, "formation_continue"),
    (LearnerStatus::HigherEducation, "etudiants"),
    (LearnerStatus::Company, "salaries"),
    (LearnerStatus::Research, "recherche"),
];

/// The booking form as posted: every field as typed, kept to be shown again.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct BookingFields {
    pub plateau: String,
    /// An equipment item's id, or empty for stations.
    pub equipement: String,
    pub postes: String,
    pub groupe: String,
    pub niveau: String,
    pub scolaires: String,
    pub apprentis: String,
    pub formation_continue: String,
    pub etudiants: String,
    pub salaries: String,
    pub recherche: String,
    pub encadrant: String,
    pub objet: String,
    pub date: String,
    pub debut: String,
    pub fin: String,
    /// `oui` when the session repeats every week.
    pub chaque_semaine: String,
    pub jusqu_au: String,
    /// The first day of a closure the series stops before (the end of a term).
    pub periode: String,
    /// `sauter` (skip the conflicting dates) or `tout_ou_rien`.
    pub mode: String,
    /// `confirmer` to create the series previewed.
    pub etape: String,
    /// The fingerprint of the fields previewed: a confirmation of other fields previews
    /// them first.
    pub apercu: String,
}

/// What the form asks for, checked.
pub enum BookingAsk {
    Single(BookingDraft),
    Series {
        draft: BookingDraft,
        rule: String,
        mode: SeriesMode,
    },
}

/// The refusals of a form: next to their field, or for the whole form.
#[derive(Debug, Default, Clone)]
pub struct FormErrors {
    pub general: Vec<String>,
    pub fields: Vec<(String, String)>,
}

/// A message as a sentence: capital first letter, final full stop.
fn sentence(message: &str) -> String {
    let message = message.trim();
    let mut chars = message.chars();
    let mut text = match chars.next() {
        Some(first) => first.to_uppercase().collect::<String>() + chars.as_str(),
        None => String::new(),
    };
    if !text.ends_with(['.', '!', '?']) {
        text.push('.');
    }
    text
}

/// The form field a rule's refusal is about.
fn field_of_refusal(code: &str) -> Option<&'static str> {
    Some(match RefusalKind::parse(code)? {
        RefusalKind::Closed
        | RefusalKind::InThePast
        | RefusalKind::NoticeTooShort
        | RefusalKind::BeyondHorizon => "date",
        RefusalKind::BookingConflict | RefusalKind::OutsideOpeningHours => "debut",
        RefusalKind::InvalidTimeRange | RefusalKind::DurationTooLong => "fin",
        RefusalKind::NotEnoughStations => "postes",
        RefusalKind::EquipmentUnavailable | RefusalKind::EquipmentInMaintenance => "equipement",
        RefusalKind::QualificationMissing => "encadrant",
        RefusalKind::BookingNotAllowed => return None,
    })
}

/// Refusals whose cure is another slot: the page suggests the next free one.
pub fn wants_another_slot(error: &ApiError) -> bool {
    matches!(
        RefusalKind::parse(error.code.as_str()),
        Some(
            RefusalKind::BookingConflict
                | RefusalKind::NotEnoughStations
                | RefusalKind::Closed
                | RefusalKind::OutsideOpeningHours
                | RefusalKind::EquipmentInMaintenance
                | RefusalKind::InThePast
                | RefusalKind::NoticeTooShort
        )
    )
}

impl FormErrors {
    pub fn is_empty(&self) -> bool {
        self.general.is_empty() && self.fields.is_empty()
    }

    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.fields.push((field.to_owned(), message.into()));
    }

    pub fn of(&self, field: &str) -> Option<String> {
        let found: Vec<&str> = self
            .fields
            .iter()
            .filter(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
            .collect();
        (!found.is_empty()).then(|| found.join(" "))
    }

    /// The API's refusal, each error next to the form field it names (`learners[i]` is the
    /// i-th status of `learner_fields`); a rule's refusal next to the field it is about.
    pub fn from_api(error: &ApiError, learner_fields: &[&str]) -> FormErrors {
        let mut errors = FormErrors::default();
        for e in &error.errors {
            let field = match e.field.as_str() {
                "starts_at" | "first_occurrence.starts_at" => Some("debut"),
                "ends_at" | "first_occurrence.ends_at" => Some("fin"),
                "stations" => Some("postes"),
                "equipment_id" => Some("equipement"),
                "supervisor_id" => Some("encadrant"),
                "group_label" => Some("groupe"),
                "level" => Some("niveau"),
                "purpose" => Some("objet"),
                "rrule" => Some("jusqu_au"),
                "reason" => Some("motif"),
                other => other
                    .strip_prefix("learners[")
                    .and_then(|rest| rest.split(']').next())
                    .and_then(|i| i.parse::<usize>().ok())
                    .and_then(|i| learner_fields.get(i).copied()),
            };
            match field {
                Some(field) => errors.add(field, sentence(&e.message)),
                None => errors.general.push(sentence(&e.message)),
            }
        }
        if error.errors.is_empty() {
            match field_of_refusal(error.code.as_str()) {
                Some(field) => errors.add(field, error.detail.clone()),
                None => errors.general.push(error.detail.clone()),
            }
        }
        errors
    }
}

/// A date and two times of the campus, as the API's instants.
fn span_of(
    errors: &mut FormErrors,
    tz: &Tz,
    date: &str,
    start: &str,
    end: &str,
) -> Option<(String, String)> {
    let day = parse_date(date);
    if day.is_none() {
        errors.add("date", "Indiquez la date, par exemple 02/03/2027.");
    }
    let start = parse_minute(start.trim());
    if start.is_none() {
        errors.add("debut", "Indiquez l'heure de début, par exemple 08:00.");
    }
    let end = parse_minute(end.trim());
    if end.is_none() {
        errors.add("fin", "Indiquez l'heure de fin, par exemple 12:00.");
    }
    let (day, start, end) = (day?, start?, end?);
    Some((
        crate::views::instant(date_at_minute(day, start, tz), tz),
        crate::views::instant(date_at_minute(day, end, tz), tz),
    ))
}

fn optional_id(errors: &mut FormErrors, field: &str, text: &str, message: &str) -> Option<Uuid> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let id = Uuid::parse_str(text).ok();
    if id.is_none() {
        errors.add(field, message);
    }
    id
}

impl BookingFields {
    /// The headcount typed for a learner status.
    fn headcount(&self, status: LearnerStatus) -> &str {
        match status {
            LearnerStatus::School => &self.scolaires,
            LearnerStatus::Apprentice => &self.apprentis,
            LearnerStatus::ContinuingEducation => &self.formation_continue,
            LearnerStatus::HigherEducation => &self.etudiants,
            LearnerStatus::Company => &self.salaries,
            LearnerStatus::Research => &self.recherche,
        }
    }

    pub fn weekly(&self) -> bool {
        !self.chaque_semaine.trim().is_empty()
    }

    pub fn mode(&self) -> SeriesMode {
        if self.mode == "tout_ou_rien" {
            SeriesMode::AllOrNothing
        } else {
            SeriesMode::SkipConflicts
        }
    }

    pub fn confirms(&self) -> bool {
        self.etape == "confirmer" && self.apercu == self.fingerprint()
    }

    /// What the preview was made of: a confirmation carries it back.
    pub fn fingerprint(&self) -> String {
        let mut text = String::new();
        for value in [
            &self.plateau,
            &self.equipement,
            &self.postes,
            &self.groupe,
            &self.niveau,
            &self.scolaires,
            &self.apprentis,
            &self.formation_continue,
            &self.etudiants,
            &self.salaries,
            &self.recherche,
            &self.encadrant,
            &self.objet,
            &self.date,
            &self.debut,
            &self.fin,
            &self.chaque_semaine,
            &self.jusqu_au,
            &self.periode,
            &self.mode,
        ] {
            text.push_str(value.trim());
            text.push('\u{1f}');
        }
        crate::auth::token_hash(&text)
    }

    /// The names of the learner fields in the order the request lists them.
    pub fn learner_fields(&self) -> Vec<&'static str> {
        LEARNERS
            .iter()
            .filter(|(status, _)| !matches!(self.headcount(*status).trim(), "" | "0"))
            .map(|(_, name)| *name)
            .collect()
    }

    /// The API's body for these fields, through its own checks.
    pub fn ask(&self, tz: &Tz) -> Result<BookingAsk, FormErrors> {
        let mut errors = FormErrors::default();
        let platform_id = Uuid::parse_str(self.plateau.trim()).ok();
        if platform_id.is_none() {
            errors
                .general
                .push("Plateau inconnu : choisissez-le depuis le catalogue.".to_owned());
        }
        let equipment_id = optional_id(
            &mut errors,
            "equipement",
            &self.equipement,
            "Choisissez une machine de la liste.",
        );
        let stations = if equipment_id.is_some() || !self.equipement.trim().is_empty() {
            None
        } else {
            match self.postes.trim() {
                "" => {
                    errors.add(
                        "postes",
                        "Indiquez le nombre de postes, ou choisissez une machine.",
                    );
                    None
                }
                text => match text.parse::<i32>() {
                    Ok(n) => Some(n),
                    Err(_) => {
                        errors.add(
                            "postes",
                            "Le nombre de postes s'écrit en chiffres, par exemple 12.",
                        );
                        None
                    }
                },
            }
        };
        let mut learners = Vec::new();
        for (status, name) in LEARNERS {
            match self.headcount(status).trim() {
                "" | "0" => {}
                text => match text.parse::<i32>() {
                    Ok(headcount) => learners.push(LearnerCount { status, headcount }),
                    Err(_) => errors.add(name, "Un effectif s'écrit en chiffres, par exemple 12."),
                },
            }
        }
        let supervisor_id = optional_id(
            &mut errors,
            "encadrant",
            &self.encadrant,
            "Choisissez un encadrant de la liste.",
        );
        let span = span_of(&mut errors, tz, &self.date, &self.debut, &self.fin);
        let until = if self.weekly() {
            // A date typed wins over a term chosen: the day before its closure.
            let until = match (self.jusqu_au.trim(), self.periode.trim()) {
                ("", "") => None,
                ("", closure) => parse_date(closure).and_then(|d| d.pred_opt()),
                (typed, _) => parse_date(typed),
            };
            if until.is_none() {
                errors.add(
                    "jusqu_au",
                    "Indiquez jusqu'à quelle date la séance se répète, par exemple 30/06/2027, ou choisissez des vacances.",
                );
            }
            until
        } else {
            None
        };
        let Some((starts_at, ends_at)) = span.filter(|_| errors.is_empty()) else {
            return Err(errors);
        };
        let body = NewBooking {
            platform_id,
            equipment_id,
            stations,
            starts_at,
            ends_at,
            organisation_id: None,
            supervisor_id,
            learners,
            group_label: self.groupe.clone(),
            level: self.niveau.clone(),
            purpose: self.objet.clone(),
            service_request_id: None,
        };
        let draft = body
            .draft()
            .map_err(|e| FormErrors::from_api(&e, &self.learner_fields()))?;
        Ok(match until {
            Some(until) => BookingAsk::Series {
                draft,
                rule: format!("FREQ=WEEKLY;UNTIL={}", until.format("%Y%m%d")),
                mode: self.mode(),
            },
            None => BookingAsk::Single(draft),
        })
    }
}

/// A new date and times of a booking, as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct TimeFields {
    pub date: String,
    pub debut: String,
    pub fin: String,
}

impl TimeFields {
    /// The API's change for these fields, through its own checks.
    pub fn change(&self, tz: &Tz) -> Result<crate::domain::booking::BookingChange, FormErrors> {
        let mut errors = FormErrors::default();
        let Some((starts_at, ends_at)) =
            span_of(&mut errors, tz, &self.date, &self.debut, &self.fin)
        else {
            return Err(errors);
        };
        BookingChanges {
            starts_at: Some(starts_at),
            ends_at: Some(ends_at),
            equipment_id: None,
            stations: None,
            supervisor_id: None,
            learners: None,
            group_label: None,
            level: None,
            purpose: None,
        }
        .draft()
        .map_err(|e| FormErrors::from_api(&e, &[]))
    }

    pub fn of(span: Span, tz: &Tz) -> TimeFields {
        TimeFields {
            date: local(span.start, tz)
                .date_naive()
                .format("%Y-%m-%d")
                .to_string(),
            debut: format::time_of(span.start, tz),
            fin: format::time_of(span.end, tz),
        }
    }
}

/// `mardi 2 mars 2027, 08:00 – 12:00`.
pub fn when(span: Span, tz: &Tz) -> String {
    format!(
        "{}, {} – {}",
        format::long_date(local(span.start, tz).date_naive()),
        format::time_of(span.start, tz),
        format::time_of(span.end, tz)
    )
}

/// What the next free slot looks like next to a refusal.
pub fn suggestion(slot: Span, tz: &Tz) -> String {
    format!("Prochain créneau libre : {}.", when(slot, tz))
}

/// A headcount field.
pub struct LearnerInput {
    pub name: &'static str,
    pub label: &'static str,
    pub value: String,
}

/// A date the series skips or that refuses it, and why.
pub struct SkippedLine {
    pub when: String,
    pub kind: &'static str,
    pub reason: String,
}

fn skipped_lines(skips: &[Skip], tz: &Tz) -> Vec<SkippedLine> {
    skips
        .iter()
        .map(|s| SkippedLine {
            when: when(s.span, tz),
            kind: s.refusal.code.label(),
            reason: s.refusal.message.clone(),
        })
        .collect()
}

/// What the series would book and skip, before it is confirmed.
pub struct PreviewView {
    pub booked: Vec<String>,
    pub skipped: Vec<SkippedLine>,
    pub conflicts: Vec<SkippedLine>,
    pub pending: bool,
    pub mode: &'static str,
    /// Whether « Confirmer » would create it (no conflict in all-or-nothing, one date at
    /// least).
    pub creatable: bool,
}

impl PreviewView {
    pub fn new(preview: &SeriesPreview, mode: SeriesMode, tz: &Tz) -> Self {
        let plan = &preview.plan;
        PreviewView {
            booked: plan.accepted.iter().map(|s| when(*s, tz)).collect(),
            skipped: skipped_lines(&plan.skipped, tz),
            conflicts: skipped_lines(&plan.conflicts, tz),
            pending: preview.status == BookingStatus::Pending,
            mode: mode.label(),
            creatable: plan.conflicts.is_empty() && !plan.accepted.is_empty(),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "web/booking_form.html")]
pub struct BookingFormPage {
    pub layout: Layout,
    pub csrf: String,
    pub platform_id: String,
    pub platform: String,
    pub owner: String,
    pub stations: i32,
    pub fields: BookingFields,
    pub equipment: Vec<Choice>,
    pub supervisors: Vec<Choice>,
    pub learners: Vec<LearnerInput>,
    pub all_or_nothing: bool,
    /// The closures ahead a series may stop before.
    pub terms: Vec<Choice>,
    pub errors: FormErrors,
    pub preview: Option<PreviewView>,
    pub fingerprint: String,
}

impl BookingFormPage {
    pub fn new(
        layout: Layout,
        form: BookingForm,
        fields: BookingFields,
        errors: FormErrors,
        preview: Option<PreviewView>,
        tz: &Tz,
    ) -> Self {
        let terms = form
            .closures
            .iter()
            .map(|c| {
                let first_day = local(c.span.start, tz).date_naive();
                let value = first_day.format("%Y-%m-%d").to_string();
                Choice {
                    selected: fields.periode == value,
                    label: format!(
                        "jusqu'à « {} » (fermé à partir du {})",
                        c.name,
                        format::long_date(first_day)
                    ),
                    value,
                }
            })
            .collect();
        let equipment = form
            .equipment
            .iter()
            .map(|e| {
                let status = crate::domain::EquipmentStatus::parse(&e.status);
                let label = match status {
                    Some(crate::domain::EquipmentStatus::Available) | None => e.name.clone(),
                    Some(other) => format!("{} ({})", e.name, other.label()),
                };
                Choice {
                    selected: fields.equipement == e.id,
                    value: e.id.clone(),
                    label,
                }
            })
            .collect();
        let supervisors = form
            .supervisors
            .iter()
            .map(|(id, name)| Choice {
                selected: fields.encadrant == *id,
                value: id.clone(),
                label: name.clone(),
            })
            .collect();
        let learners = LEARNERS
            .iter()
            .map(|&(status, name)| LearnerInput {
                name,
                label: status.label(),
                value: fields.headcount(status).to_owned(),
            })
            .collect();
        BookingFormPage {
            csrf: layout.csrf.clone(),
            layout,
            platform_id: form.platform.id.clone(),
            platform: form.platform.name.clone(),
            owner: form.owner,
            stations: form.platform.stations,
            all_or_nothing: fields.mode() == SeriesMode::AllOrNothing,
            terms,
            fingerprint: fields.fingerprint(),
            fields,
            equipment,
            supervisors,
            learners,
            errors,
            preview,
        }
    }

    /// The refusal next to a field.
    pub fn error_of(&self, field: &str) -> Option<String> {
        self.errors.of(field)
    }
}

/// Choosing the platform to book, when the form is opened without one.
#[derive(Template, WebTemplate)]
#[template(path = "web/booking_choice.html")]
pub struct PlatformChoicePage {
    pub layout: Layout,
    pub platforms: Vec<Choice>,
}

/// A line of a booking's history.
pub struct HistoryLine {
    pub when: String,
    pub who: String,
    pub what: String,
    pub reason: String,
}

fn action_label(action: &str) -> String {
    match action {
        "created" => "création".to_owned(),
        "updated" => "modification".to_owned(),
        "approve" => "acceptation".to_owned(),
        "reject" => "refus".to_owned(),
        "cancel" => "annulation".to_owned(),
        "usage_recorded" => "saisie de l'usage réel".to_owned(),
        "usage_corrected" => "correction de l'usage réel".to_owned(),
        _ => "changement".to_owned(),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "web/booking.html")]
pub struct BookingPage {
    pub layout: Layout,
    pub csrf: String,
    pub line: BookingLine,
    pub supervisor: String,
    pub status_reason: String,
    pub decided: String,
    pub series_id: Option<String>,
    pub may_change: bool,
    pub times: TimeFields,
    pub time_errors: FormErrors,
    pub history: Option<Vec<HistoryLine>>,
    pub created: String,
    pub notice: Option<String>,
}

impl BookingPage {
    pub fn new(
        layout: Layout,
        sheet: BookingSheet,
        tz: &Tz,
        times: Option<TimeFields>,
        time_errors: FormErrors,
    ) -> Self {
        let BookingSheet {
            entry,
            supervisor,
            decided_by,
            may_change,
            history,
        } = sheet;
        let row = entry.booking.row.clone();
        let span = Span::new(row.starts_at, row.ends_at);
        let decided = match (row.decided_at, decided_by) {
            (Some(at), Some(who)) => format!(
                "{} par {who}",
                format::long_date(local(at, tz).date_naive())
            ),
            (Some(at), None) => format::long_date(local(at, tz).date_naive()),
            _ => String::new(),
        };
        BookingPage {
            csrf: layout.csrf.clone(),
            layout,
            line: BookingLine::new(entry, tz),
            supervisor: supervisor.unwrap_or_default(),
            status_reason: row.status_reason.clone().unwrap_or_default(),
            decided,
            series_id: row.series_id.clone(),
            may_change,
            times: times.unwrap_or_else(|| TimeFields::of(span, tz)),
            time_errors,
            history: history.map(|events| {
                events
                    .into_iter()
                    .map(|e| HistoryLine {
                        when: format!(
                            "{} à {}",
                            format::long_date(local(e.at, tz).date_naive()),
                            format::time_of(e.at, tz)
                        ),
                        who: e.actor,
                        what: action_label(&e.action),
                        reason: e.reason.unwrap_or_default(),
                    })
                    .collect()
            }),
            created: format::long_date(local(row.created_at, tz).date_naive()),
            notice: None,
        }
    }

    pub fn time_error(&self, field: &str) -> Option<String> {
        self.time_errors.of(field)
    }

    pub fn cancel_error(&self) -> Option<String> {
        self.line.error.clone()
    }
}

/// An occurrence of a series as its page lists it.
pub struct OccurrenceLine {
    pub id: String,
    pub when: String,
    pub status: String,
    pub live: bool,
    pub pending: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "web/series.html")]
pub struct SeriesPage {
    pub layout: Layout,
    pub csrf: String,
    pub id: String,
    pub platform_id: String,
    pub platform: String,
    pub what: String,
    pub group: String,
    pub learners: String,
    pub booker: String,
    pub mode: String,
    pub period: String,
    pub occurrences: Vec<OccurrenceLine>,
    pub skipped: Vec<SkippedLine>,
    pub may_cancel: bool,
    pub reason: String,
    pub reason_error: Option<String>,
    pub notice: Option<String>,
}

impl SeriesPage {
    pub fn new(layout: Layout, sheet: SeriesSheet, tz: &Tz) -> Self {
        let SeriesSheet {
            details,
            platform,
            equipment,
            booker,
            may_cancel,
        } = sheet;
        let first = details.occurrences.first();
        let last = details.occurrences.last();
        let period = match (first, last) {
            (Some(f), Some(l)) => format!(
                "Chaque semaine du {} au {}, {} – {}",
                format::long_date(local(f.row.starts_at, tz).date_naive()),
                format::long_date(local(l.row.starts_at, tz).date_naive()),
                format::time_of(f.row.starts_at, tz),
                format::time_of(f.row.ends_at, tz),
            ),
            _ => String::new(),
        };
        let what = match (&equipment, first.and_then(|f| f.row.stations)) {
            (Some(name), _) => name.clone(),
            (None, Some(1)) => "1 poste".to_owned(),
            (None, Some(n)) => format!("{n} postes"),
            (None, None) => String::new(),
        };
        let learners = first
            .map(|f| {
                f.learners
                    .iter()
                    .map(|(s, n)| super::format::headcount(*n, s))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default();
        let group = first
            .map(|f| {
                if f.row.level.is_empty() {
                    f.row.group_label.clone()
                } else {
                    format!("{} ({})", f.row.group_label, f.row.level)
                }
            })
            .unwrap_or_default();
        SeriesPage {
            csrf: layout.csrf.clone(),
            layout,
            id: details.series.id.clone(),
            platform_id: details.series.platform_id.clone(),
            platform,
            what,
            group,
            learners,
            booker,
            mode: label_of(&details.series.mode, SeriesMode::parse),
            period,
            occurrences: details
                .occurrences
                .iter()
                .map(|b| OccurrenceLine {
                    id: b.row.id.clone(),
                    when: when(Span::new(b.row.starts_at, b.row.ends_at), tz),
                    status: label_of(&b.row.status, BookingStatus::parse),
                    live: BookingStatus::parse(&b.row.status).is_some_and(|s| s.is_live()),
                    pending: b.row.status == BookingStatus::Pending.as_str(),
                })
                .collect(),
            skipped: details
                .skipped
                .iter()
                .map(|s| SkippedLine {
                    when: when(Span::new(s.starts_at, s.ends_at), tz),
                    kind: RefusalKind::parse(&s.code).map_or("", |k| k.label()),
                    reason: s.reason.clone(),
                })
                .collect(),
            may_cancel,
            reason: String::new(),
            reason_error: None,
            notice: None,
        }
    }
}
