//! iCalendar in and out: closures imported from holiday calendars, and booking feeds with
//! their time zone described (RFC 5545), parsed and written with the `ical` crate.

use chrono::{Duration, NaiveDate, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use ical::generator::{Emitter, IcalCalendarBuilder, IcalEvent, IcalEventBuilder, Property};
use ical::parser::ical::component::{
    IcalTimeZone, IcalTimeZoneTransition, IcalTimeZoneTransitionType,
};
use sha2::{Digest, Sha256};

use super::time::{local_to_instant, Span};
use crate::error::ApiError;

/// An event read from an imported calendar.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedEvent {
    pub uid: String,
    pub name: String,
    pub span: Span,
}

/// Most events one import may hold.
pub const MAX_IMPORTED_EVENTS: usize = 2000;

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(
        actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_calendar",
        "Calendrier invalide",
        message,
    )
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

/// The events of an iCalendar text, as closures. `only_matching` keeps events whose summary
/// contains it (case-insensitive), e.g. `vacances` to leave out the "rentrée" days of the
/// national school calendar.
pub fn parse_events(
    text: &str,
    tz: &Tz,
    only_matching: Option<&str>,
) -> Result<Vec<ImportedEvent>, ApiError> {
    if !text.trim_start().starts_with("BEGIN:VCALENDAR") {
        return Err(invalid(
            "Le corps doit être un fichier iCalendar (commençant par BEGIN:VCALENDAR).",
        ));
    }
    let needle = only_matching.map(str::to_lowercase);
    let mut events = Vec::new();
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
            if let Some(needle) = &needle {
                if !summary.to_lowercase().contains(needle) {
                    continue;
                }
            }
            let at = |e: String| invalid(format!("Événement n° {} ({summary}) : {e}.", index + 1));
            let start_property = get("DTSTART").ok_or_else(|| at("DTSTART manquant".into()))?;
            let (start, all_day) = instant_of(start_property, tz).map_err(at)?;
            let end = match (get("DTEND"), get("DURATION")) {
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
            if end <= start {
                return Err(at("la fin doit suivre le début".into()));
            }
            let name = if summary.trim().is_empty() {
                "Fermeture".to_owned()
            } else {
                summary.trim().chars().take(200).collect()
            };
            let uid = match get("UID")
                .and_then(|p| p.value.as_deref())
                .map(str::trim)
                .filter(|u| !u.is_empty())
            {
                Some(uid) => uid.chars().take(500).collect(),
                None => format!(
                    "sha256:{}",
                    hex::encode(Sha256::digest(format!("{name}|{start}|{end}")))
                ),
            };
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
    if events.is_empty() {
        return Err(invalid(
            "Aucun événement (VEVENT) à importer dans ce fichier.",
        ));
    }
    Ok(events)
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
    calendar.build().generate()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time::parse_instant;

    #[test]
    fn reads_all_day_holidays_and_timed_events() {
        let tz = chrono_tz::Europe::Paris;
        let text = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:test\r\nBEGIN:VEVENT\r\nUID:noel-2026\r\nDTSTART;VALUE=DATE:20261219\r\nDTEND;VALUE=DATE:20270104\r\nSUMMARY:Vacances de Noël - Zone C\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nDTSTART;TZID=Europe/Paris:20270302T080000\r\nDURATION:PT4H\r\nSUMMARY:Inventaire\\, atelier\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let events = parse_events(text, &tz, None).unwrap();
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
        assert_eq!(parse_events(text, &tz, Some("VACANCES")).unwrap().len(), 1);
        assert!(parse_events("hello", &tz, None).is_err());
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
