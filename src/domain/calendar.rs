//! iCalendar in and out: closures imported from holiday calendars, and booking feeds with
//! their time zone described (RFC 5545), parsed and written with the `ical` crate.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use ical::generator::{Emitter, IcalCalendarBuilder, IcalEvent, IcalEventBuilder, Property};
use ical::parser::ical::component::{
    IcalTimeZone, IcalTimeZoneTransition, IcalTimeZoneTransitionType,
};
use sha2::{Digest, Sha256};

use super::error::DomainError;
use super::time::{local_to_instant, Span};

super::text_enum! {
    /// What a calendar feed shows.
    CalendarFeed {
        User => "user",
        Platform => "platform",
        Equipment => "equipment",
    }
}

/// An event read from an imported calendar.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedEvent {
    pub uid: String,
    pub name: String,
    pub span: Span,
}

/// Most events one import may hold.
pub const MAX_IMPORTED_EVENTS: usize = 2000;

fn invalid(message: impl Into<String>) -> DomainError {
    DomainError::Calendar(message.into())
}

fn param<'a>(property: &'a Property, name: &str) -> Option<&'a str> {
    property
        .params
        .as_ref()?
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .and_then(|(_, values)| values.first())
        .map(String::as_str)
}

/// Reads DTSTART/DTEND: a date (local midnight), a UTC time, a time in a named zone, or a
/// floating time (read in the campus zone).
fn instant_of(property: &Property, tz: &Tz) -> Result<(i64, bool), String> {
    let value = property.value.as_deref().unwrap_or("").trim();
    let is_date = param(property, "VALUE").is_some_and(|v| v.eq_ignore_ascii_case("DATE"))
        || value.len() == 8;
    if is_date {
        let date = NaiveDate::parse_from_str(value, "%Y%m%d")
            .map_err(|_| format!("date invalide « {value} »"))?;
        return Ok((
            local_to_instant(date.and_hms_opt(0, 0, 0).expect("midnight"), tz),
            true,
        ));
    }
    if let Some(utc) = value.strip_suffix('Z') {
        let naive = NaiveDateTime::parse_from_str(utc, "%Y%m%dT%H%M%S")
            .map_err(|_| format!("date-heure invalide « {value} »"))?;
        return Ok((naive.and_utc().timestamp(), false));
    }
    let naive = NaiveDateTime::parse_from_str(value, "%Y%m%dT%H%M%S")
        .map_err(|_| format!("date-heure invalide « {value} »"))?;
    let zone = param(property, "TZID")
        .and_then(|name| name.trim_matches('"').parse::<Tz>().ok())
        .unwrap_or(*tz);
    Ok((local_to_instant(naive, &zone), false))
}

/// A DURATION such as `P1D`, `PT2H30M`, `P1W`.
fn parse_duration(text: &str) -> Option<i64> {
    let text = text.trim().strip_prefix('P')?;
    let (days, time) = text.split_once('T').unwrap_or((text, ""));
    let mut seconds = 0i64;
    let mut number = String::new();
    for c in days.chars() {
        match c {
            '0'..='9' => number.push(c),
            'W' => seconds += number.parse::<i64>().ok()? * 7 * 86_400,
            'D' => seconds += number.parse::<i64>().ok()? * 86_400,
            _ => return None,
        }
        if !c.is_ascii_digit() {
            number.clear();
        }
    }
    for c in time.chars() {
        match c {
            '0'..='9' => number.push(c),
            'H' => seconds += number.parse::<i64>().ok()? * 3600,
            'M' => seconds += number.parse::<i64>().ok()? * 60,
            'S' => seconds += number.parse::<i64>().ok()?,
            _ => return None,
        }
        if !c.is_ascii_digit() {
            number.clear();
        }
    }
    (seconds > 0).then_some(seconds)
}

fn unescape(text: &str) -> String {
    text.replace("\\n", "\n")
        .replace("\\N", "\n")
        .replace("\\,", ",")
        .replace("\\;", ";")
        .replace("\\\\", "\\")
}

/// An event of an imported calendar left out, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct SkippedEvent {
    pub uid: String,
    pub name: String,
    /// Its dates when they could be read.
    pub span: Option<Span>,
    pub reason: String,
}

/// What an imported calendar holds: the events to close, and those left out.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedCalendar {
    pub events: Vec<ImportedEvent>,
    pub skipped: Vec<SkippedEvent>,
}

/// Lower case without accents or punctuation, to recognise the ministry's summaries
/// whatever their spelling ("Début des Vacances d'Été", "debut des vacances d ete").
fn folded(text: &str) -> String {
    text.chars()
        .flat_map(char::to_lowercase)
        .filter_map(|c| match c {
            'à' | 'â' | 'ä' => Some('a'),
            'é' | 'è' | 'ê' | 'ë' => Some('e'),
            'î' | 'ï' => Some('i'),
            'ô' | 'ö' => Some('o'),
            'ù' | 'û' | 'ü' => Some('u'),
            'ç' => Some('c'),
            c if c.is_alphanumeric() => Some(c),
            _ => None,
        })
        .collect()
}

/// The national school calendar marks the start of the summer holidays with a zero-length
/// all-day event: it closes until the end of the school year.
fn is_summer_start(summary: &str) -> bool {
    folded(summary).contains("vacancesdete")
}

/// The "rentrée" days of the school calendar are school days, not closures.
fn is_school_day(summary: &str) -> bool {
    folded(summary).starts_with("rentree")
}

/// Midnight of 1 September after `start`: the end of its school year (31 August included).
fn end_of_school_year(start: i64, tz: &Tz) -> i64 {
    let date = super::time::local(start, tz).date_naive();
    let year = if date.month() >= 9 {
        date.year() + 1
    } else {
        date.year()
    };
    let first = NaiveDate::from_ymd_opt(year, 9, 1).expect("1 September");
    local_to_instant(first.and_hms_opt(0, 0, 0).expect("midnight"), tz)
}

/// The events of an iCalendar text, as closures, as the ministry publishes its school
/// calendars: every event closes from its start to its end, except that a zero-length
/// start-of-summer marker closes until 31 August, the "rentrée" days are left out, and other
/// zero-length events are left out. `only_matching` narrows the import to the events whose
/// summary contains it (case-insensitive). What is left out is listed with the reason.
pub fn parse_events(
    text: &str,
    tz: &Tz,
    only_matching: Option<&str>,
) -> Result<ParsedCalendar, DomainError> {
    if !text.trim_start().starts_with("BEGIN:VCALENDAR") {
        return Err(invalid(
            "Le corps doit être un fichier iCalendar (commençant par BEGIN:VCALENDAR).",
        ));
    }
    let needle = only_matching.map(str::to_lowercase);
    let mut events = Vec::new();
    let mut skipped = Vec::new();
    for calendar in ical::IcalParser::new(std::io::BufReader::new(text.as_bytes())) {
        let calendar =
            calendar.map_err(|e| invalid(format!("Fichier iCalendar illisible : {e}")))?;
        for (index, event) in calendar.events.iter().enumerate() {
            let get = |name: &str| {
                event
                    .properties
                    .iter()
                    .find(|p| p.name.eq_ignore_ascii_case(name))
            };
            let summary = get("SUMMARY")
                .and_then(|p| p.value.as_deref())
                .map(unescape)
                .unwrap_or_default();
            let name = if summary.trim().is_empty() {
                "Fermeture".to_owned()
            } else {
                summary.trim().chars().take(200).collect()
            };
            let given_uid = get("UID")
                .and_then(|p| p.value.as_deref())
                .map(str::trim)
                .filter(|u| !u.is_empty())
                .map(|u| u.chars().take(500).collect::<String>());
            let left_out = if is_school_day(&summary) {
                Some("jour de rentrée : un jour de classe, pas une fermeture".to_owned())
            } else {
                match &needle {
                    Some(needle) if !summary.to_lowercase().contains(needle) => {
                        Some(format!("son intitulé ne contient pas « {needle} »"))
                    }
                    _ => None,
                }
            };
            if let Some(reason) = left_out {
                // Dates of an event left out are shown when readable, never required.
                let start = get("DTSTART").and_then(|p| instant_of(p, tz).ok());
                let end = get("DTEND").and_then(|p| instant_of(p, tz).ok());
                let uid = given_uid.unwrap_or_else(|| {
                    let raw = get("DTSTART").and_then(|p| p.value.clone());
                    format!(
                        "sha256:{}",
                        hex::encode(Sha256::digest(format!("{name}|{raw:?}")))
                    )
                });
                skipped.push(SkippedEvent {
                    uid,
                    name,
                    span: start.map(|(s, _)| Span::new(s, end.map_or(s, |(e, _)| e.max(s)))),
                    reason,
                });
                continue;
            }
            let at = |e: String| invalid(format!("Événement n° {} ({summary}) : {e}.", index + 1));
            let start_property = get("DTSTART").ok_or_else(|| at("DTSTART manquant".into()))?;
            let (start, all_day) = instant_of(start_property, tz).map_err(at)?;
            let mut end = match (get("DTEND"), get("DURATION")) {
                (Some(p), _) => instant_of(p, tz).map_err(at)?.0,
                (None, Some(d)) => {
                    start
                        + parse_duration(d.value.as_deref().unwrap_or(""))
                            .ok_or_else(|| at("DURATION invalide".into()))?
                }
                // RFC 5545: an all-day event without end lasts one day.
                (None, None) if all_day => {
                    let day = super::time::local(start, tz).date_naive() + Duration::days(1);
                    local_to_instant(day.and_hms_opt(0, 0, 0).expect("midnight"), tz)
                }
                (None, None) => return Err(at("DTEND ou DURATION manquant".into())),
            };
            if end < start {
                return Err(at("la fin doit suivre le début".into()));
            }
            let uid = given_uid.unwrap_or_else(|| {
                format!(
                    "sha256:{}",
                    hex::encode(Sha256::digest(format!("{name}|{start}|{end}")))
                )
            });
            if end == start {
                if all_day && is_summer_start(&summary) {
                    end = end_of_school_year(start, tz);
                } else {
                    skipped.push(SkippedEvent {
                        uid,
                        name,
                        span: Some(Span::new(start, end)),
                        reason: "événement sans durée : rien à fermer".to_owned(),
                    });
                    continue;
                }
            }
            events.push(ImportedEvent {
                uid,
                name,
                span: Span::new(start, end),
            });
            if events.len() > MAX_IMPORTED_EVENTS {
                return Err(invalid(format!(
                    "Un import compte au plus {MAX_IMPORTED_EVENTS} événements."
                )));
            }
        }
    }
    if events.is_empty() && skipped.is_empty() {
        return Err(invalid(
            "Aucun événement (VEVENT) à importer dans ce fichier.",
        ));
    }
    Ok(ParsedCalendar { events, skipped })
}

/// One event of a feed.
pub struct FeedEvent {
    pub uid: String,
    pub span: Span,
    pub summary: String,
    pub description: String,
    pub location: String,
    pub tentative: bool,
    pub updated_at: i64,
}

fn escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace(';', "\\;")
        .replace(',', "\\,")
        .replace("\r\n", "\\n")
        .replace('\n', "\\n")
}

fn prop(name: &str, value: impl Into<String>, params: Vec<(String, Vec<String>)>) -> Property {
    Property {
        name: name.to_owned(),
        params: (!params.is_empty()).then_some(params),
        value: Some(value.into()),
    }
}

fn utc_stamp(seconds: i64) -> String {
    Utc.timestamp_opt(seconds, 0)
        .single()
        .unwrap_or_default()
        .format("%Y%m%dT%H%M%SZ")
        .to_string()
}

fn format_offset(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let s = seconds.abs();
    format!("{sign}{:02}{:02}", s / 3600, (s % 3600) / 60)
}

/// VTIMEZONE of `tz` with one observance per offset change around `window`, so that any
/// client resolves the local times of the feed exactly as the service does.
fn vtimezone(tz: &Tz, window: Span) -> IcalTimeZone {
    let offset_at = |t: i64| {
        tz.offset_from_utc_datetime(
            &Utc.timestamp_opt(t, 0)
                .single()
                .unwrap_or_default()
                .naive_utc(),
        )
    };
    let start = (window.start - 366 * 86_400).div_euclid(3600) * 3600;
    let end = window.end + 366 * 86_400;
    let mut zone = IcalTimeZone::new();
    zone.properties.push(prop("TZID", tz.name(), vec![]));
    let mut previous = offset_at(start);
    let mut t = start;
    let mut transitions = Vec::new();
    while t < end {
        let next = t + 3600;
        let offset = offset_at(next);
        if offset.fix() != previous.fix() {
            // The change lies within this hour: find its exact second.
            let (mut lo, mut hi) = (t, next);
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                if offset_at(mid).fix() == previous.fix() {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            transitions.push((hi, previous, offset));
            previous = offset;
        }
        t = next;
    }
    let observance = |kind: IcalTimeZoneTransitionType,
                      local_start: String,
                      from: i32,
                      to: i32,
                      name: String| {
        let mut tr = IcalTimeZoneTransition::new(kind);
        tr.properties.push(prop("DTSTART", local_start, vec![]));
        tr.properties
            .push(prop("TZOFFSETFROM", format_offset(from), vec![]));
        tr.properties
            .push(prop("TZOFFSETTO", format_offset(to), vec![]));
        tr.properties.push(prop("TZNAME", name, vec![]));
        tr
    };
    if transitions.is_empty() {
        let fixed = previous.fix().local_minus_utc();
        zone.transitions.push(observance(
            IcalTimeZoneTransitionType::STANDARD,
            "19700101T000000".into(),
            fixed,
            fixed,
            format!("{previous}"),
        ));
    }
    for (at, from, to) in transitions {
        let (from_s, to_s) = (from.fix().local_minus_utc(), to.fix().local_minus_utc());
        // DTSTART of an observance is the local time of the change in the previous offset.
        let local_start = (Utc
            .timestamp_opt(at, 0)
            .single()
            .unwrap_or_default()
            .naive_utc()
            + Duration::seconds(i64::from(from_s)))
        .format("%Y%m%dT%H%M%S")
        .to_string();
        let kind = if to_s > from_s {
            IcalTimeZoneTransitionType::DAYLIGHT
        } else {
            IcalTimeZoneTransitionType::STANDARD
        };
        zone.transitions
            .push(observance(kind, local_start, from_s, to_s, format!("{to}")));
    }
    zone
}

/// An RFC 5545 calendar of `events`, times in `tz` with its VTIMEZONE.
/// The domain of the UIDs of bookings (`<booking id>@<host>`): the host of the service's
/// public URL, so that a booking keeps one UID in the invitations and the feeds alike.
pub fn uid_host(public_url: &str) -> &str {
    let rest = public_url
        .split_once("://")
        .map_or(public_url, |(_, rest)| rest);
    let host = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    host.split(':').next().unwrap_or(host)
}

pub fn feed(name: &str, tz: &Tz, window: Span, events: &[FeedEvent], now: i64) -> String {
    let mut calendar = IcalCalendarBuilder::version("2.0")
        .gregorian()
        .prodid("-//Plateaux//Plateaux techniques partagés//FR")
        .set(prop("METHOD", "PUBLISH", vec![]))
        .set(prop("X-WR-CALNAME", escape(name), vec![]))
        .set(prop("X-WR-TIMEZONE", tz.name(), vec![]))
        .add_tz(vtimezone(tz, window));
    let local = |t: i64| {
        super::time::local(t, tz)
            .format("%Y%m%dT%H%M%S")
            .to_string()
    };
    for event in events {
        let built: IcalEvent = IcalEventBuilder::tzid(tz.name())
            .uid(event.uid.clone())
            .changed_utc(utc_stamp(now))
            .start(local(event.span.start))
            .end(local(event.span.end))
            .set(prop("SUMMARY", escape(&event.summary), vec![]))
            .set(prop("DESCRIPTION", escape(&event.description), vec![]))
            .set(prop("LOCATION", escape(&event.location), vec![]))
            .set(prop(
                "STATUS",
                if event.tentative {
                    "TENTATIVE"
                } else {
                    "CONFIRMED"
                },
                vec![],
            ))
            .set(prop("LAST-MODIFIED", utc_stamp(event.updated_at), vec![]))
            .set(prop("TRANSP", "OPAQUE", vec![]))
            .build();
        calendar = calendar.add_event(built);
    }
    fold_lines(&calendar.build().generate())
}

/// What a feed's content depends on, read before building it: calendar applications poll
/// every few minutes, and most polls find nothing changed.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedVersion<'a> {
    /// The feed itself (its kind, target and owner are fixed with it).
    pub token_id: &'a str,
    /// What the owner may see of others' bookings depends on their role.
    pub owner_role: &'a str,
    /// The owner's account changes with their organisation and, for a manager, with the
    /// platforms they manage: both decide which company bookings they see in full.
    pub owner_changed: i64,
    /// The window slides with the local day, and the time zone's transitions with it.
    pub day: NaiveDate,
    /// Bookings in the window, of any status.
    pub bookings: i64,
    pub latest_change: Option<i64>,
    pub sequences: Option<i64>,
    /// The latest change of each kind of row the events and the title name
    /// (organisations, platforms, equipment items, the target itself), whose names and
    /// towns are in the text.
    pub names_changed: [Option<i64>; 5],
}

/// The feed's entity tag: weak, since each answer stamps its events with the time it is
/// made (DTSTAMP) while meaning the same calendar.
pub fn feed_tag(version: &FeedVersion) -> String {
    let mut text = format!(
        "{}|{}|{}|{}|{}|{}|{}",
        version.token_id,
        version.owner_role,
        version.owner_changed,
        version.day,
        version.bookings,
        version.latest_change.unwrap_or(0),
        version.sequences.unwrap_or(0)
    );
    for changed in version.names_changed {
        text.push_str(&format!("|{}", changed.unwrap_or(0)));
    }
    let digest = Sha256::digest(text.as_bytes());
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("W/\"{hex}\"")
}

/// Whether an `If-None-Match` header names `tag`, compared weakly (RFC 9110, 13.1.2): a
/// list of tags, `W/` or not, or `*`.
pub fn tag_matches(if_none_match: &str, tag: &str) -> bool {
    let opaque = |t: &str| {
        let t = t.trim();
        t.strip_prefix("W/").unwrap_or(t).to_owned()
    };
    let wanted = opaque(tag);
    if_none_match
        .split(',')
        .any(|candidate| candidate.trim() == "*" || opaque(candidate) == wanted)
}

/// A calendar invitation sent with a booking's e-mail (RFC 5546): the organiser is a
/// campus mailbox, the recipient its one attendee.
pub struct Invitation<'a> {
    /// Stable for the booking, so that each new invitation replaces the event.
    pub uid: &'a str,
    /// Raised by each change: calendar programs ignore an invitation older than theirs.
    pub sequence: i32,
    /// A cancellation (`METHOD:CANCEL`) rather than a request.
    pub cancelled: bool,
    /// Still waiting for approval.
    pub tentative: bool,
    pub span: Span,
    pub summary: &'a str,
    pub description: &'a str,
    pub location: &'a str,
    /// (name, address) of the campus mailbox that sends it.
    pub organizer: (&'a str, &'a str),
    /// (name, address) of the recipient.
    pub attendee: (&'a str, &'a str),
    pub now: i64,
}

impl Invitation<'_> {
    /// The iTIP method, the same in the ICS and in the MIME part's `method` parameter.
    pub fn method(&self) -> &'static str {
        if self.cancelled {
            "CANCEL"
        } else {
            "REQUEST"
        }
    }
}

/// A parameter value quoted, as names with a comma or a colon must be (RFC 5545, 3.2); a
/// quoted value cannot hold a double quote.
fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "'"))
}

/// A property name with its parameters written out: the `ical` generator escapes parameter
/// values by character index, which mangles a quoted value holding accents ("Léa").
fn with_params(name: &str, params: &[(&str, &str)]) -> String {
    params.iter().fold(name.to_owned(), |text, (key, value)| {
        format!("{text};{key}={value}")
    })
}

/// The iCalendar text of an invitation, times in `tz` with its VTIMEZONE, folded like the
/// feeds.
pub fn invitation(invitation: &Invitation, tz: &Tz) -> String {
    let local = |t: i64| {
        super::time::local(t, tz)
            .format("%Y%m%dT%H%M%S")
            .to_string()
    };
    let status = match (invitation.cancelled, invitation.tentative) {
        (true, _) => "CANCELLED",
        (false, true) => "TENTATIVE",
        (false, false) => "CONFIRMED",
    };
    let (organizer_name, organizer_address) = invitation.organizer;
    let (attendee_name, attendee_address) = invitation.attendee;
    let event: IcalEvent = IcalEventBuilder::tzid(tz.name())
        .uid(invitation.uid)
        .changed_utc(utc_stamp(invitation.now))
        .start(local(invitation.span.start))
        .end(local(invitation.span.end))
        .set(prop("SEQUENCE", invitation.sequence.to_string(), vec![]))
        .set(prop("SUMMARY", escape(invitation.summary), vec![]))
        .set(prop("DESCRIPTION", escape(invitation.description), vec![]))
        .set(prop("LOCATION", escape(invitation.location), vec![]))
        .set(prop("STATUS", status, vec![]))
        .set(prop("TRANSP", "OPAQUE", vec![]))
        .set(prop(
            &with_params("ORGANIZER", &[("CN", &quoted(organizer_name))]),
            format!("mailto:{organizer_address}"),
            vec![],
        ))
        .set(prop(
            &with_params(
                "ATTENDEE",
                &[
                    ("CN", &quoted(attendee_name)),
                    ("ROLE", "REQ-PARTICIPANT"),
                    ("PARTSTAT", "ACCEPTED"),
                    ("RSVP", "FALSE"),
                ],
            ),
            format!("mailto:{attendee_address}"),
            vec![],
        ))
        .build();
    let calendar = IcalCalendarBuilder::version("2.0")
        .gregorian()
        .prodid("-//Plateaux//Plateaux techniques partagés//FR")
        .set(prop("METHOD", invitation.method(), vec![]))
        .add_tz(vtimezone(tz, invitation.span))
        .add_event(event);
    fold_lines(&calendar.build().generate())
}

/// Folds content lines at 75 octets, never inside a UTF-8 sequence (RFC 5545, 3.1). The
/// `ical` generator folds at 75 characters, too long for strict clients once accents are
/// in: its folds are undone and the lines folded again.
pub fn fold_lines(text: &str) -> String {
    const LIMIT: usize = 75;
    let mut out = String::with_capacity(text.len() + text.len() / 70 * 3);
    // The generator escapes line breaks inside values, so CRLF + space is only ever a fold.
    for line in text.replace("\r\n ", "").split_terminator("\r\n") {
        let mut rest = line;
        // Continuation lines start with a space, which counts in their 75 octets.
        let mut room = LIMIT;
        while rest.len() > room {
            let mut cut = room;
            while !rest.is_char_boundary(cut) {
                cut -= 1;
            }
            out.push_str(&rest[..cut]);
            out.push_str("\r\n ");
            rest = &rest[cut..];
            room = LIMIT - 1;
        }
        out.push_str(rest);
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time::parse_instant;

    #[test]
    fn the_uid_domain_is_the_public_host() {
        assert_eq!(
            uid_host("https://plateaux.campus.example"),
            "plateaux.campus.example"
        );
        assert_eq!(uid_host("http://127.0.0.1:8080/app"), "127.0.0.1");
        assert_eq!(
            uid_host("https://user@plateaux.example:8443/"),
            "plateaux.example"
        );
    }

    #[test]
    fn reads_all_day_holidays_and_timed_events() {
        let tz = chrono_tz::Europe::Paris;
        let text = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:test\r\nBEGIN:VEVENT\r\nUID:noel-2026\r\nDTSTART;VALUE=DATE:20261219\r\nDTEND;VALUE=DATE:20270104\r\nSUMMARY:Vacances de Noël - Zone C\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nDTSTART;TZID=Europe/Paris:20270302T080000\r\nDURATION:PT4H\r\nSUMMARY:Inventaire\\, atelier\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let events = parse_events(text, &tz, None).unwrap().events;
        assert_eq!(events.len(), 2);
        assert_eq!(
            events[0].span.start,
            parse_instant("2026-12-19T00:00:00+01:00").unwrap()
        );
        assert_eq!(
            events[0].span.end,
            parse_instant("2027-01-04T00:00:00+01:00").unwrap()
        );
        assert_eq!(events[1].name, "Inventaire, atelier");
        assert_eq!(events[1].span.seconds(), 4 * 3600);
        assert!(events[1].uid.starts_with("sha256:"));
        let narrowed = parse_events(text, &tz, Some("VACANCES")).unwrap();
        assert_eq!((narrowed.events.len(), narrowed.skipped.len()), (1, 1));
        assert_eq!(narrowed.skipped[0].name, "Inventaire, atelier");
        assert!(parse_events("hello", &tz, None).is_err());
    }

    #[test]
    fn folds_at_75_octets_between_characters() {
        let line = format!("SUMMARY:{}", "Réservé – atelier d'usinage é".repeat(10));
        let text = fold_lines(&format!("BEGIN:VEVENT\r\n{line}\r\nEND:VEVENT\r\n"));
        assert!(text.ends_with("\r\n"));
        for physical in text.split_terminator("\r\n") {
            assert!(
                physical.len() <= 75,
                "{} octets: {physical:?}",
                physical.len()
            );
        }
        assert_eq!(
            text.replace("\r\n ", ""),
            format!("BEGIN:VEVENT\r\n{line}\r\nEND:VEVENT\r\n")
        );
    }

    #[test]
    fn ministry_summer_marker_closes_until_the_end_of_august() {
        let tz = chrono_tz::Europe::Paris;
        let text = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20270703\r\nDTEND;VALUE=DATE:20270703\r\nSUMMARY:Début des Vacances d'Été - Zone C\r\nUID:ete-2027\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20270901\r\nSUMMARY:Rentrée scolaire des élèves\r\nUID:rentree-2027\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20270310\r\nDTEND;VALUE=DATE:20270310\r\nSUMMARY:Point d'étape\r\nUID:point\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let parsed = parse_events(text, &tz, None).unwrap();
        assert_eq!(parsed.events.len(), 1);
        assert_eq!(
            parsed.events[0].span,
            Span::new(
                parse_instant("2027-07-03T00:00:00+02:00").unwrap(),
                parse_instant("2027-09-01T00:00:00+02:00").unwrap()
            )
        );
        let skipped: Vec<&str> = parsed.skipped.iter().map(|s| s.uid.as_str()).collect();
        assert_eq!(skipped, ["rentree-2027", "point"]);
    }

    #[test]
    fn an_invitation_names_its_method_sequence_and_people_and_parses() {
        let tz = chrono_tz::Europe::Paris;
        let start = parse_instant("2027-03-02T08:00:00+01:00").unwrap();
        let mut invitation = Invitation {
            uid: "b1@plateaux.campus.example",
            sequence: 2,
            cancelled: false,
            tentative: false,
            span: Span::new(start, start + 2 * 3600),
            summary: "Atelier soudage, 4 postes",
            description: "Réservation confirmée",
            location: "Atelier soudage",
            organizer: ("Plateaux, campus", "plateaux@campus.example"),
            attendee: ("Léa Martin", "lea@lycee.example"),
            now: start,
        };
        let text = super::invitation(&invitation, &tz);
        assert!(text.contains("METHOD:REQUEST\r\n"), "{text}");
        assert!(text.contains("SEQUENCE:2\r\n"), "{text}");
        assert!(text.contains("STATUS:CONFIRMED\r\n"), "{text}");
        assert!(text.contains("BEGIN:VTIMEZONE"), "{text}");
        let unfolded = text.replace("\r\n ", "");
        assert!(
            unfolded.contains("ORGANIZER;CN=\"Plateaux, campus\":mailto:plateaux@campus.example"),
            "{text}"
        );
        assert!(
            unfolded.contains("ATTENDEE;CN=\"Léa Martin\";ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;RSVP=FALSE:mailto:lea@lycee.example"),
            "{text}"
        );
        assert!(
            text.contains("DTSTART;TZID=Europe/Paris:20270302T080000"),
            "{text}"
        );
        // The crate's parser reads it back.
        let parsed = ical::IcalParser::new(std::io::BufReader::new(text.as_bytes()))
            .next()
            .unwrap()
            .unwrap();
        assert_eq!(parsed.events.len(), 1);
        assert_eq!(parsed.timezones.len(), 1);
        invitation.cancelled = true;
        let cancel = super::invitation(&invitation, &tz);
        assert!(cancel.contains("METHOD:CANCEL\r\n") && cancel.contains("STATUS:CANCELLED\r\n"));
    }

    #[test]
    fn feed_describes_the_time_zone() {
        let tz = chrono_tz::Europe::Paris;
        let start = parse_instant("2027-03-02T08:00:00+01:00").unwrap();
        let text = feed(
            "Atelier",
            &tz,
            // A window off the hour: the changes of clocks must still fall on 02:00/03:00.
            Span::new(start + 1234, start + 3600),
            &[FeedEvent {
                uid: "b1@plateaux".into(),
                span: Span::new(start, start + 4 * 3600),
                summary: "BTS CPRP 1, soudage".into(),
                description: "Lycée".into(),
                location: "Rodez".into(),
                tentative: false,
                updated_at: start,
            }],
            start,
        );
        assert!(text.contains("BEGIN:VTIMEZONE"), "{text}");
        assert!(
            text.contains("TZOFFSETFROM:+0100") && text.contains("TZOFFSETTO:+0200"),
            "{text}"
        );
        assert!(
            text.contains("DTSTART;TZID=Europe/Paris:20270302T080000"),
            "{text}"
        );
        assert!(text.contains("SUMMARY:BTS CPRP 1\\, soudage"), "{text}");
        assert!(text.contains("DTSTART:20270328T020000"), "{text}");
    }
}
