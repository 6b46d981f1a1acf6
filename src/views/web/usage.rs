//! The manager's week follow-up (`/plateaux/{id}/suivi`): the week's sessions day by day,
//! the usage of the past ones in one form, the maintenance windows and the form that plans
//! one. The forms are read here into the API's own request types (`UsageRecord`,
//! `NewMaintenance`), checked by their own `draft`, so the rules are the API's; a refused
//! form comes back with what was typed and each error next to its field.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use chrono::{Duration, NaiveDate, NaiveTime, Timelike};
use chrono_tz::Tz;

use super::{format, Choice, Layout};
use crate::db::usage::UsageDetails;
use crate::domain::booking::{BookingStatus, LearnerStatus};
use crate::domain::closures::MaintenanceDraft;
use crate::domain::error::FieldError;
use crate::domain::time::{local, local_to_instant};
use crate::domain::usage::UsageDraft;
use crate::error::ApiError;
use crate::labels::Label;
use crate::usecases::usage_pages::{SessionEntry, UsageWeek};
use crate::views::bookings::LearnerCount;
use crate::views::closures::NewMaintenance;
use crate::views::instant;
use crate::views::usage::{MachineTime, UsageRecord};

/// The choice of a session's state in the form.
const TO_RECORD: &str = "a-saisir";
const HELD: &str = "tenue";
const NO_SHOW: &str = "absente";

/// A message as people read it next to a field: capitalised, with its full stop.
fn sentence(message: &str) -> String {
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => {
            let text = first.to_uppercase().collect::<String>() + chars.as_str();
            if text.ends_with(['.', '?', '!']) {
                text
            } else {
                text + "."
            }
        }
        None => String::new(),
    }
}

fn hours(start: i64, end: i64, tz: &Tz) -> String {
    format!(
        "{} – {}",
        format::time_of(start, tz),
        format::time_of(end, tz)
    )
}

fn learners_text(learners: &[(String, i32)]) -> String {
    let mut sorted: Vec<&(String, i32)> = learners.iter().collect();
    sorted.sort_by_key(|(status, _)| {
        LearnerStatus::parse(status).map(|s| LearnerStatus::ALL.iter().position(|x| *x == s))
    });
    sorted
        .iter()
        .map(|(status, count)| format::headcount(*count, status))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What the usage form holds for one session: as stored, as planned, or as typed.
#[derive(Debug, Clone, Default)]
pub struct RowValues {
    pub choice: String,
    pub start: String,
    pub end: String,
    /// By learner status (`LearnerStatus::as_str`), as typed.
    pub counts: HashMap<String, String>,
    pub incident: bool,
    pub note: String,
}

/// A session's errors by field key (`etat`, `debut`, `fin`, `effectif-school`, `note`,
/// `ligne` for the session as a whole).
type RowErrors = HashMap<String, String>;

fn is_editable(entry: &SessionEntry, now: i64) -> bool {
    entry.booking.row.status == BookingStatus::Confirmed.as_str()
        && entry.booking.row.ends_at <= now
}

/// The form's values of a session before anything is typed: its record, or what was
/// planned (booked times and learners) for a session still to record.
fn stored_values(entry: &SessionEntry, tz: &Tz) -> RowValues {
    let row = &entry.booking.row;
    match &entry.usage {
        Some(usage) => RowValues {
            choice: if usage.row.no_show { NO_SHOW } else { HELD }.to_owned(),
            start: format::time_of(usage.row.actual_start.unwrap_or(row.starts_at), tz),
            end: format::time_of(usage.row.actual_end.unwrap_or(row.ends_at), tz),
            counts: usage
                .learners
                .iter()
                .map(|(s, n)| (s.clone(), n.to_string()))
                .collect(),
            incident: usage.row.incident,
            note: usage.row.incident_note.clone(),
        },
        None => RowValues {
            choice: TO_RECORD.to_owned(),
            start: format::time_of(row.starts_at, tz),
            end: format::time_of(row.ends_at, tz),
            counts: entry
                .booking
                .learners
                .iter()
                .map(|(s, n)| (s.as_str().to_owned(), n.to_string()))
                .collect(),
            incident: false,
            note: String::new(),
        },
    }
}

/// The usage form as posted: what was typed for each session, the errors found before
/// anything is written, and the records to write (the sessions changed, in page order).
#[derive(Default)]
pub struct UsageForm {
    typed: HashMap<String, RowValues>,
    errors: HashMap<String, RowErrors>,
    /// The learner statuses of each record, in the order given to the rules.
    statuses: HashMap<String, Vec<LearnerStatus>>,
    pub drafts: Vec<(String, UsageDraft)>,
    /// A refusal that names no session.
    summary: Option<String>,
}

/// The form key of a field the usage rules name (`actual_end`, `learners[1].headcount`).
fn field_key(field: &str, statuses: &[LearnerStatus]) -> String {
    match field {
        "actual_start" => "debut".to_owned(),
        "actual_end" => "fin".to_owned(),
        "no_show" => "etat".to_owned(),
        "incident_note" => "note".to_owned(),
        _ => field
            .strip_prefix("learners[")
            .and_then(|rest| rest.split_once(']'))
            .and_then(|(i, _)| i.parse::<usize>().ok())
            .and_then(|i| statuses.get(i))
            .map_or_else(
                || "ligne".to_owned(),
                |s| format!("effectif-{}", s.as_str()),
            ),
    }
}

/// Whether a draft says what the stored record says (then nothing is written).
fn unchanged(usage: &UsageDetails, draft: &UsageDraft) -> bool {
    let row = &usage.row;
    let mut stored: Vec<(String, i32)> = usage.learners.clone();
    stored.sort();
    let mut typed: Vec<(String, i32)> = draft
        .learners
        .iter()
        .map(|(s, n)| (s.as_str().to_owned(), *n))
        .collect();
    typed.sort();
    row.no_show == draft.no_show
        && row.actual_start == draft.actual.map(|a| a.start)
        && row.actual_end == draft.actual.map(|a| a.end)
        && row.incident == draft.incident
        && row.incident_note == draft.incident_note
        && stored == typed
}

/// `08:30` on `date`, as an RFC 3339 instant in the campus time zone.
fn at_time(date: NaiveDate, text: &str, tz: &Tz) -> Option<String> {
    let time = NaiveTime::parse_from_str(text.trim(), "%H:%M").ok()?;
    let seconds = local_to_instant(date.and_hms_opt(time.hour(), time.minute(), 0)?, tz);
    Some(instant(seconds, tz))
}

impl UsageForm {
    /// Reads the posted fields of the week's past confirmed sessions; a session whose
    /// fields are not in the form (the page was older than the session) is left as it is.
    pub fn read(week: &UsageWeek, fields: &[(String, String)], tz: &Tz, now: i64) -> Self {
        let posted: HashMap<&str, &str> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let mut form = UsageForm::default();
        for entry in week.sessions.iter().filter(|e| is_editable(e, now)) {
            let id = entry.booking.row.id.as_str();
            let Some(choice) = posted.get(format!("etat-{id}").as_str()) else {
                continue;
            };
            let value = |name: &str| {
                posted
                    .get(format!("{name}-{id}").as_str())
                    .map(|v| v.to_string())
                    .unwrap_or_default()
            };
            let values = RowValues {
                choice: choice.to_string(),
                start: value("debut"),
                end: value("fin"),
                counts: LearnerStatus::ALL
                    .iter()
                    .map(|s| {
                        (
                            s.as_str().to_owned(),
                            value(&format!("effectif-{}", s.as_str())),
                        )
                    })
                    .collect(),
                incident: posted.contains_key(format!("incident-{id}").as_str()),
                note: value("note"),
            };
            let mut errors = RowErrors::new();
            let no_show = match values.choice.as_str() {
                HELD => false,
                NO_SHOW => true,
                TO_RECORD if entry.usage.is_none() => {
                    form.typed.insert(id.to_owned(), values);
                    continue;
                }
                _ => {
                    errors.insert(
                        "etat".to_owned(),
                        "Choisissez si la séance a eu lieu ou si personne n'est venu.".to_owned(),
                    );
                    false
                }
            };
            let row = &entry.booking.row;
            let (mut actual_start, mut actual_end) = (None, None);
            let mut learners = Vec::new();
            let mut statuses = Vec::new();
            if !no_show {
                let first_day = local(row.starts_at, tz).date_naive();
                let last_day = local(row.ends_at - 1, tz).date_naive();
                actual_start = at_time(first_day, &values.start, tz);
                actual_end = at_time(last_day, &values.end, tz);
                for (key, text) in [("debut", &actual_start), ("fin", &actual_end)] {
                    if text.is_none() {
                        errors.insert(
                            key.to_owned(),
                            "Indiquez une heure, par exemple 08:30.".to_owned(),
                        );
                    }
                }
                for status in LearnerStatus::ALL {
                    let typed = values.counts[status.as_str()].trim();
                    match typed.parse::<i32>() {
                        _ if typed.is_empty() => {}
                        Ok(0) => {}
                        Ok(headcount) => {
                            learners.push(LearnerCount {
                                status: *status,
                                headcount,
                            });
                            statuses.push(*status);
                        }
                        Err(_) => {
                            errors.insert(
                                format!("effectif-{}", status.as_str()),
                                "Indiquez un nombre entier de personnes.".to_owned(),
                            );
                        }
                    }
                }
            }
            // What the form does not show is kept as recorded.
            let (machine_time, consumables) = match &entry.usage {
                Some(usage) if !no_show => (
                    usage
                        .machine_time
                        .iter()
                        .filter_map(|(e, minutes)| {
                            Some(MachineTime {
                                equipment_id: uuid::Uuid::parse_str(e).ok()?,
                                minutes: *minutes,
                            })
                        })
                        .collect(),
                    usage.row.consumables.clone(),
                ),
                Some(usage) => (Vec::new(), usage.row.consumables.clone()),
                None => (Vec::new(), String::new()),
            };
            if errors.is_empty() {
                let record = UsageRecord {
                    no_show,
                    actual_start,
                    actual_end,
                    learners,
                    machine_time,
                    consumables,
                    incident: values.incident,
                    incident_note: values.note.clone(),
                };
                match record.draft("") {
                    Ok(draft) => {
                        if !entry.usage.as_ref().is_some_and(|u| unchanged(u, &draft)) {
                            form.drafts.push((id.to_owned(), draft));
                        }
                    }
                    Err(error) => {
                        for e in &error.errors {
                            errors
                                .entry(field_key(&e.field, &statuses))
                                .or_insert_with(|| sentence(&e.message));
                        }
                        if error.errors.is_empty() {
                            errors.insert("ligne".to_owned(), error.detail.clone());
                        }
                    }
                }
            }
            form.statuses.insert(id.to_owned(), statuses);
            form.typed.insert(id.to_owned(), values);
            if !errors.is_empty() {
                form.errors.insert(id.to_owned(), errors);
            }
        }
        form
    }

    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty() || self.summary.is_some()
    }

    /// A refusal of the write (`record_many`, all or nothing): each error goes next to the
    /// field of the session it names (`records[2].actual_end`, or « Séance n° 3 » in the
    /// detail of a refusal without fields).
    pub fn refused(&mut self, error: &ApiError) {
        let mut placed = false;
        for e in &error.errors {
            let Some((index, field)) = e
                .field
                .strip_prefix("records[")
                .and_then(|rest| rest.split_once("]."))
                .and_then(|(i, f)| Some((i.parse::<usize>().ok()?, f)))
            else {
                continue;
            };
            let Some((id, _)) = self.drafts.get(index) else {
                continue;
            };
            let statuses = self.statuses.get(id).cloned().unwrap_or_default();
            self.errors
                .entry(id.clone())
                .or_default()
                .entry(field_key(field, &statuses))
                .or_insert_with(|| sentence(&e.message));
            placed = true;
        }
        if placed {
            return;
        }
        // « Séance n° 3 (id) : why » names the record in the order written.
        let named = error
            .detail
            .strip_prefix("Séance n° ")
            .and_then(|rest| rest.split_once(" : "))
            .and_then(|(head, why)| {
                let n = head.split_once(' ')?.0.parse::<usize>().ok()?;
                Some((
                    self.drafts.get(n.checked_sub(1)?)?.0.clone(),
                    why.to_owned(),
                ))
            });
        match named {
            Some((id, why)) => {
                self.errors
                    .entry(id)
                    .or_default()
                    .insert("ligne".to_owned(), why);
            }
            None => self.summary = Some(error.detail.clone()),
        }
    }
}

// The page.

pub struct CountField {
    pub name: String,
    pub label: &'static str,
    pub value: String,
    pub error: Option<String>,
}

#[derive(Default)]
pub struct SessionLine {
    pub id: String,
    /// `08:00 – 12:00`.
    pub hours: String,
    /// The equipment item, or `4 postes`.
    pub what: String,
    pub group: String,
    pub organisation: String,
    pub booker: String,
    /// Who was expected: `8 scolaires, 4 apprentis`.
    pub planned: String,
    /// `à saisir`, `saisie`, `à venir`, `en attente de validation`.
    pub state: &'static str,
    pub to_record: bool,
    pub editable: bool,
    /// What the record says, for a session recorded.
    pub record: Option<String>,
    pub choice: String,
    pub start: String,
    pub end: String,
    pub counts: Vec<CountField>,
    pub incident: bool,
    pub note: String,
    pub choice_error: Option<String>,
    pub start_error: Option<String>,
    pub end_error: Option<String>,
    pub note_error: Option<String>,
    pub row_error: Option<String>,
    pub has_errors: bool,
}

pub struct DayGroup {
    pub label: String,
    pub sessions: Vec<SessionLine>,
}

pub struct MaintenanceLine {
    pub equipment: String,
    pub when: String,
    pub reason: String,
}

/// The maintenance form's fields as posted.
#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct MaintenanceFields {
    #[serde(default)]
    pub equipement: String,
    #[serde(default)]
    pub debut: String,
    #[serde(default)]
    pub fin: String,
    #[serde(default)]
    pub motif: String,
    pub annuler: Option<String>,
}

/// A local date and time as a `datetime-local` field sends it (`2027-03-08T08:00`).
fn local_instant(text: &str, tz: &Tz) -> Option<String> {
    let naive = format::parse_date_time(text)?;
    Some(instant(local_to_instant(naive, tz), tz))
}

/// `lundi 8 mars 2027 à 08:00`.
fn moment(seconds: i64, tz: &Tz) -> String {
    format!(
        "{} à {}",
        format::long_date(local(seconds, tz).date_naive()),
        format::time_of(seconds, tz)
    )
}

impl MaintenanceFields {
    /// The API's maintenance request checked by its own rules; the errors by form field
    /// (`equipement`, `debut`, `fin`, `motif`). The item must be one of the platform's.
    pub fn draft(&self, week: &UsageWeek, tz: &Tz) -> Result<MaintenanceDraft, RowErrors> {
        let mut errors = RowErrors::new();
        let equipment = uuid::Uuid::parse_str(self.equipement.trim())
            .ok()
            .filter(|id| week.equipment.iter().any(|e| e.id == id.to_string()));
        if equipment.is_none() {
            errors.insert(
                "equipement".to_owned(),
                "Choisissez un équipement de ce plateau.".to_owned(),
            );
        }
        let start = local_instant(&self.debut, tz);
        let end = local_instant(&self.fin, tz);
        for (key, value) in [("debut", &start), ("fin", &end)] {
            if value.is_none() {
                errors.insert(
                    key.to_owned(),
                    "Indiquez une date et une heure, par exemple 08/03/2027 08:00.".to_owned(),
                );
            }
        }
        let request = NewMaintenance {
            equipment_id: equipment.unwrap_or_default(),
            starts_at: start.unwrap_or_default(),
            ends_at: end.unwrap_or_default(),
            reason: self.motif.clone(),
            force: self.annuler.is_some(),
        };
        match request.draft() {
            Ok(draft) if errors.is_empty() => Ok(draft),
            Ok(_) => Err(errors),
            Err(error) => {
                place_maintenance_errors(&mut errors, &error.errors);
                Err(errors)
            }
        }
    }
}

/// The maintenance rules' field errors, next to the form's fields.
pub fn place_maintenance_errors(errors: &mut RowErrors, found: &[FieldError]) {
    for e in found {
        let key = match e.field.as_str() {
            "equipment_id" => "equipement",
            "starts_at" => "debut",
            "ends_at" => "fin",
            "reason" => "motif",
            _ => "formulaire",
        };
        errors
            .entry(key.to_owned())
            .or_insert_with(|| sentence(&e.message));
    }
}

/// The maintenance form as shown: what was typed, the errors, the bookings in the way.
#[derive(Default)]
pub struct MaintenanceForm {
    pub equipment: Vec<Choice>,
    pub start: String,
    pub end: String,
    pub reason: String,
    pub force: bool,
    pub equipment_error: Option<String>,
    pub start_error: Option<String>,
    pub end_error: Option<String>,
    pub reason_error: Option<String>,
    /// A refusal of the whole form (bookings in the way).
    pub refusal: Option<String>,
    pub conflicts: Vec<String>,
}

/// A booking as a line of a notice: `CAP soudure (Lycée…), mardi 9 mars 2027, 08:00 – 10:00`.
pub fn session_text(entry: &SessionEntry, tz: &Tz) -> String {
    let row = &entry.booking.row;
    let what = entry
        .equipment
        .as_ref()
        .map(|e| format!(" sur « {e} »"))
        .unwrap_or_default();
    format!(
        "{} ({}){what}, {}, {}",
        row.group_label,
        entry.organisation,
        format::long_date(local(row.starts_at, tz).date_naive()),
        hours(row.starts_at, row.ends_at, tz)
    )
}

#[derive(Template, WebTemplate)]
#[template(path = "web/usage.html")]
pub struct UsagePage {
    pub layout: Layout,
    pub csrf: String,
    pub id: String,
    pub name: String,
    pub caption: String,
    pub previous: String,
    pub next: String,
    pub current: String,
    pub days: Vec<DayGroup>,
    pub to_record: usize,
    pub editable: usize,
    /// A message after an action (« L'usage de 3 séances est enregistré. »).
    pub notice: Option<String>,
    pub notice_lines: Vec<String>,
    /// The refusal of the usage form, above it; the sessions at fault are linked.
    pub refusal: Option<String>,
    pub faulty: Vec<(String, String)>,
    pub maintenance: Vec<MaintenanceLine>,
    pub mform: MaintenanceForm,
}

impl UsagePage {
    pub fn new(layout: Layout, week: UsageWeek, monday: NaiveDate, tz: &Tz, now: i64) -> Self {
        let UsageWeek {
            platform,
            equipment,
            sessions,
            maintenance,
        } = week;
        let mut days: Vec<DayGroup> = Vec::new();
        let (mut to_record, mut editable) = (0, 0);
        for entry in sessions {
            let row = &entry.booking.row;
            let day = local(row.starts_at, tz).date_naive();
            let can_edit = is_editable(&entry, now);
            let pending = row.status == BookingStatus::Pending.as_str();
            let state = match (&entry.usage, can_edit, pending) {
                (Some(_), _, _) => "saisie",
                (None, true, _) => "à saisir",
                (None, false, true) => "en attente de validation",
                (None, false, false) if row.ends_at > now && row.starts_at <= now => "en cours",
                (None, false, false) => "à venir",
            };
            to_record += usize::from(can_edit && entry.usage.is_none());
            editable += usize::from(can_edit);
            let values = stored_values(&entry, tz);
            let record = entry.usage.as_ref().map(|u| {
                if u.row.no_show {
                    "Absence : personne n'est venu.".to_owned()
                } else {
                    let mut parts = vec![format!(
                        "Tenue de {} à {}",
                        u.row
                            .actual_start
                            .map_or_else(String::new, |t| format::time_of(t, tz)),
                        u.row
                            .actual_end
                            .map_or_else(String::new, |t| format::time_of(t, tz))
                    )];
                    if !u.learners.is_empty() {
                        parts.push(learners_text(&u.learners));
                    }
                    if u.row.incident {
                        parts.push(format!("incident : {}", u.row.incident_note));
                    }
                    parts.join(" · ")
                }
            });
            let line = SessionLine {
                id: row.id.clone(),
                hours: hours(row.starts_at, row.ends_at, tz),
                what: match (&entry.equipment, row.stations) {
                    (Some(name), _) => name.clone(),
                    (None, Some(1)) => "1 poste".to_owned(),
                    (None, Some(n)) => format!("{n} postes"),
                    (None, None) => String::new(),
                },
                group: row.group_label.clone(),
                organisation: entry.organisation.clone(),
                booker: entry.booker.clone(),
                planned: learners_text(
                    &entry
                        .booking
                        .learners
                        .iter()
                        .map(|(s, n)| (s.as_str().to_owned(), *n))
                        .collect::<Vec<_>>(),
                ),
                state,
                to_record: can_edit && entry.usage.is_none(),
                editable: can_edit,
                record,
                ..Default::default()
            }
            .with_values(values, &RowErrors::new());
            match days.last_mut() {
                Some(group) if group.label == format::long_date(day) => group.sessions.push(line),
                _ => days.push(DayGroup {
                    label: format::long_date(day),
                    sessions: vec![line],
                }),
            }
        }
        let sunday = monday + Duration::days(6);
        let caption = format!(
            "semaine {} du {} au {}",
            chrono::Datelike::iso_week(&monday).week(),
            format::long_date(monday),
            format::long_date(sunday)
        );
        UsagePage {
            csrf: layout.csrf.clone(),
            layout,
            id: platform.id.clone(),
            name: platform.name.clone(),
            caption,
            previous: format::iso_week(monday - Duration::days(7)),
            next: format::iso_week(monday + Duration::days(7)),
            current: format::iso_week(monday),
            days,
            to_record,
            editable,
            notice: None,
            notice_lines: Vec::new(),
            refusal: None,
            faulty: Vec::new(),
            maintenance: maintenance
                .into_iter()
                .map(|m| MaintenanceLine {
                    equipment: m.equipment,
                    when: format!(
                        "du {} au {}",
                        moment(m.row.starts_at, tz),
                        moment(m.row.ends_at, tz)
                    ),
                    reason: m.row.reason,
                })
                .collect(),
            mform: MaintenanceForm {
                equipment: equipment
                    .iter()
                    .map(|e| Choice {
                        value: e.id.clone(),
                        label: e.name.clone(),
                        selected: false,
                    })
                    .collect(),
                ..Default::default()
            },
        }
    }

    /// The usage form as it was posted: what was typed and the errors, each next to its
    /// field, with a summary above the form.
    pub fn with_usage_form(mut self, form: &UsageForm) -> Self {
        let mut faulty = Vec::new();
        for day in &mut self.days {
            for line in &mut day.sessions {
                if let Some(values) = form.typed.get(&line.id) {
                    let empty = RowErrors::new();
                    let errors = form.errors.get(&line.id).unwrap_or(&empty);
                    let taken = std::mem::take(line);
                    *line = taken.with_values(values.clone(), errors);
                    if line.has_errors {
                        faulty.push((
                            line.id.clone(),
                            format!("{}, {} : {}", day.label, line.hours, line.group),
                        ));
                    }
                }
            }
        }
        if form.has_errors() {
            self.refusal = Some(match (&form.summary, faulty.len()) {
                (Some(detail), _) => format!("{detail} Rien n'a été enregistré."),
                (None, 1) => "Une séance est à corriger : rien n'a été enregistré.".to_owned(),
                (None, n) => format!("{n} séances sont à corriger : rien n'a été enregistré."),
            });
        }
        self.faulty = faulty;
        self
    }

    /// The maintenance form as it was posted, with its errors.
    pub fn with_maintenance_form(mut self, fields: &MaintenanceFields, errors: &RowErrors) -> Self {
        let form = &mut self.mform;
        for choice in &mut form.equipment {
            choice.selected = choice.value == fields.equipement.trim();
        }
        form.start = fields.debut.clone();
        form.end = fields.fin.clone();
        form.reason = fields.motif.clone();
        form.force = fields.annuler.is_some();
        form.equipment_error = errors.get("equipement").cloned();
        form.start_error = errors.get("debut").cloned();
        form.end_error = errors.get("fin").cloned();
        form.reason_error = errors.get("motif").cloned();
        form.refusal = errors.get("formulaire").cloned();
        self
    }

    /// Bookings in the way of a maintenance window: nothing was created.
    pub fn with_conflicts(mut self, conflicts: Vec<String>) -> Self {
        let n = conflicts.len();
        self.mform.refusal = Some(if n == 1 {
            "Une réservation tombe dans cette période : rien n'a été créé. Pour l'annuler en planifiant la maintenance, cochez « Annuler les réservations concernées » et validez à nouveau.".to_owned()
        } else {
            format!("{n} réservations tombent dans cette période : rien n'a été créé. Pour les annuler en planifiant la maintenance, cochez « Annuler les réservations concernées » et validez à nouveau.")
        });
        self.mform.conflicts = conflicts;
        self
    }
}

impl SessionLine {
    fn with_values(mut self, values: RowValues, errors: &RowErrors) -> Self {
        self.counts = LearnerStatus::ALL
            .iter()
            .map(|s| CountField {
                name: format!("effectif-{}-{}", s.as_str(), self.id),
                label: s.label(),
                value: values.counts.get(s.as_str()).cloned().unwrap_or_default(),
                error: errors.get(&format!("effectif-{}", s.as_str())).cloned(),
            })
            .collect();
        self.choice = values.choice;
        self.start = values.start;
        self.end = values.end;
        self.incident = values.incident;
        self.note = values.note;
        self.choice_error = errors.get("etat").cloned();
        self.start_error = errors.get("debut").cloned();
        self.end_error = errors.get("fin").cloned();
        self.note_error = errors.get("note").cloned();
        self.row_error = errors.get("ligne").cloned();
        self.has_errors = !errors.is_empty();
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_fields_map_to_form_fields() {
        let statuses = [LearnerStatus::Apprentice, LearnerStatus::School];
        assert_eq!(field_key("actual_end", &statuses), "fin");
        assert_eq!(
            field_key("learners[1].headcount", &statuses),
            "effectif-school"
        );
        assert_eq!(field_key("learners[7].headcount", &statuses), "ligne");
        assert_eq!(field_key("machine_time", &statuses), "ligne");
    }

    fn held() -> UsageDraft {
        UsageDraft {
            no_show: false,
            actual: None,
            learners: Vec::new(),
            machine_time: Vec::new(),
            consumables: String::new(),
            incident: false,
            incident_note: String::new(),
        }
    }

    #[test]
    fn a_refused_write_goes_to_the_session_it_names() {
        let mut form = UsageForm {
            drafts: vec![("a".into(), held()), ("b".into(), held())],
            ..Default::default()
        };
        form.statuses
            .insert("b".into(), vec![LearnerStatus::Apprentice]);
        let fields = ApiError::validation(vec![
            FieldError::new("records[1].actual_end", "outside_booking", "trop tard"),
            FieldError::new("records[1].learners[0].headcount", "out_of_range", "trop"),
        ]);
        form.refused(&fields);
        assert_eq!(form.errors["b"]["fin"], "Trop tard.");
        assert_eq!(form.errors["b"]["effectif-apprentice"], "Trop.");
        assert!(!form.errors.contains_key("a"));
        // A refusal without fields names its session in the detail.
        let mut form = UsageForm {
            drafts: vec![("a".into(), held()), ("b".into(), held())],
            ..Default::default()
        };
        form.refused(&ApiError::new(
            crate::error::ErrorCode::NotYetPast,
            "Séance n° 2 (b) : L'usage se renseigne une fois la séance terminée.",
        ));
        assert_eq!(
            form.errors["b"]["ligne"],
            "L'usage se renseigne une fois la séance terminée."
        );
        assert!(form.has_errors());
        // Otherwise, above the form.
        let mut form = UsageForm::default();
        form.refused(&ApiError::new(
            crate::error::ErrorCode::NotYetPast,
            "Autre.",
        ));
        assert_eq!(form.summary.as_deref(), Some("Autre."));
    }

    #[test]
    fn messages_read_as_sentences() {
        assert_eq!(
            sentence("doit être compris entre 1 et 1000"),
            "Doit être compris entre 1 et 1000."
        );
        assert_eq!(sentence("Déjà une phrase."), "Déjà une phrase.");
    }
}
