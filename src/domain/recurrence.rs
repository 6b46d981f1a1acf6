//! Recurring series: RFC 5545 rules expanded in the campus time zone, so that a weekly
//! 08:00–12:00 session stays 08:00–12:00 local time across daylight-saving changes.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use rrule::{RRuleError, RRuleSet};

use super::error::DomainError;
use super::time::{local, local_to_instant, Span};

/// Most occurrences one series may hold (a school year of weekly sessions is about 36).
pub const MAX_OCCURRENCES: usize = 200;

fn invalid(message: impl Into<String>) -> DomainError {
    DomainError::field("rrule", "invalid_rrule", message)
}

/// The occurrences of `rule` (an RRULE value such as `FREQ=WEEKLY;UNTIL=20270701T000000Z`)
/// whose first occurrence is `first`.
pub fn expand(rule: &str, first: Span, tz: &Tz) -> Result<Vec<Span>, DomainError> {
    let rule = rule.trim();
    let rule = rule.strip_prefix("RRULE:").unwrap_or(rule);
    if rule.is_empty() || rule.len() > 500 || rule.contains(['\n', '\r']) {
        return Err(invalid(
            "règle attendue sur une ligne, par exemple FREQ=WEEKLY;UNTIL=20270701T000000Z",
        ));
    }
    let upper = rule.to_ascii_uppercase();
    if ["FREQ=HOURLY", "FREQ=MINUTELY", "FREQ=SECONDLY"]
        .iter()
        .any(|f| upper.contains(f))
    {
        return Err(invalid(
            "une série se répète au plus une fois par jour (FREQ=DAILY, WEEKLY, MONTHLY ou YEARLY)",
        ));
    }
    let rule = until_in_utc(rule, tz)?;
    let start_local = local(first.start, tz);
    let end_local = local(first.end, tz);
    let text = format!(
        "DTSTART;TZID={}:{}\nRRULE:{}",
        tz.name(),
        start_local.format("%Y%m%dT%H%M%S"),
        rule
    );
    let set: RRuleSet = text.parse().map_err(|e| invalid(in_french(&e)))?;
    let result = set.all((MAX_OCCURRENCES + 1) as u16);
    if result.dates.len() > MAX_OCCURRENCES {
        return Err(invalid(format!(
            "la série dépasse {MAX_OCCURRENCES} occurrences : limitez-la avec UNTIL ou COUNT"
        )));
    }
    let start_time: NaiveTime = start_local.time();
    let end_time: NaiveTime = end_local.time();
    let day_offset = end_local.date_naive() - start_local.date_naive();
    Ok(result
        .dates
        .iter()
        .map(|occurrence| {
            let day = occurrence.date_naive();
            let start = local_to_instant(day.and_time(start_time), tz);
            let end = local_to_instant((day + day_offset).and_time(end_time), tz);
            Span::new(start, end.max(start + 60))
        })
        .collect())
}

/// The rule with its UNTIL in UTC, as the recurrence library needs it beside a DTSTART in a
/// time zone. A date (`UNTIL=20270629`, as a teacher writes it) means up to the end of that
/// day, and a time without `Z` a local time, both in the campus time zone.
fn until_in_utc(rule: &str, tz: &Tz) -> Result<String, DomainError> {
    let parts = rule
        .split(';')
        .map(|part| {
            let Some((key, value)) = part.split_once('=') else {
                return Ok(part.to_owned());
            };
            if !key.trim().eq_ignore_ascii_case("UNTIL") {
                return Ok(part.to_owned());
            }
            let value = value.trim();
            let local_until = if value.len() == 8 && value.bytes().all(|b| b.is_ascii_digit()) {
                NaiveDate::parse_from_str(value, "%Y%m%d")
                    .ok()
                    .and_then(|d| d.and_hms_opt(23, 59, 59))
            } else if value.len() == 15 && !value.ends_with(['Z', 'z']) {
                NaiveDateTime::parse_from_str(value, "%Y%m%dT%H%M%S").ok()
            } else {
                return Ok(part.to_owned());
            };
            let local_until = local_until.ok_or_else(|| {
                invalid(format!(
                    "UNTIL « {value} » n'est pas une date (AAAAMMJJ) ni une date-heure (AAAAMMJJTHHMMSSZ)"
                ))
            })?;
            let utc = Utc
                .timestamp_opt(local_to_instant(local_until, tz), 0)
                .single()
                .unwrap_or_default();
            Ok(format!("UNTIL={}", utc.format("%Y%m%dT%H%M%SZ")))
        })
        .collect::<Result<Vec<_>, DomainError>>()?;
    Ok(parts.join(";"))
}

/// The recurrence library's errors, explained in French.
fn in_french(error: &RRuleError) -> String {
    use rrule::{ParseError as P, ValidationError as V};
    let detail = match error {
        RRuleError::ParserError(e) => match e {
            P::InvalidFrequency(v) => {
                format!("FREQ « {v} » inconnu : DAILY, WEEKLY, MONTHLY ou YEARLY")
            }
            P::InvalidWeekday(v) | P::InvalidWeekdayStart(v) => {
                format!("jour « {v} » inconnu : MO, TU, WE, TH, FR, SA ou SU")
            }
            P::InvalidInterval(v) => format!("INTERVAL « {v} » invalide : un entier positif"),
            P::InvalidCount(v) => format!("COUNT « {v} » invalide : un entier positif"),
            P::InvalidDateTime { value, property } => format!(
                "{property} « {value} » n'est pas une date (AAAAMMJJ) ni une date-heure (AAAAMMJJTHHMMSSZ)"
            ),
            P::InvalidDateTimeFormat(v) => format!(
                "« {v} » n'est pas une date (AAAAMMJJ) ni une date-heure (AAAAMMJJTHHMMSSZ)"
            ),
            P::InvalidByHour(v)
            | P::InvalidByWeekNo(v)
            | P::InvalidByYearDay(v)
            | P::InvalidByMonthDay(v)
            | P::InvalidByMonth(v)
            | P::InvalidByMinute(v)
            | P::InvalidBySecond(v)
            | P::InvalidBySetPos(v)
            | P::InvalidByEaster(v) => format!("valeur « {v} » hors des bornes de sa partie BY…"),
            P::MissingProperty(v) => format!("la partie {v} est obligatoire"),
            P::InvalidParameterFormat(v) | P::UnrecognizedParameter(v) => {
                format!("partie « {v} » invalide : écrivez NOM=valeur, séparées par « ; »")
            }
            P::DuplicateProperty(v) => format!("la partie {v} est donnée deux fois"),
            _ => "règle illisible : par exemple FREQ=WEEKLY;UNTIL=20270629".to_owned(),
        },
        RRuleError::ValidationError(e) => match e {
            V::UntilBeforeStart { .. } => {
                "UNTIL précède la première occurrence".to_owned()
            }
            V::TooBigInterval(v) => format!("INTERVAL {v} est trop grand"),
            V::StartYearOutOfRange(y) => format!("l'année {y} est hors des bornes"),
            V::InvalidByRuleAndFrequency { by_rule, freq } => {
                format!("{by_rule} ne s'emploie pas avec FREQ={freq}")
            }
            V::InvalidFieldValue { field, value }
            | V::InvalidFieldValueRange { field, value, .. }
            | V::InvalidFieldValueRangeWithFreq { field, value, .. } => {
                format!("{field} ne peut valoir « {value} »")
            }
            _ => "règle incohérente : par exemple FREQ=WEEKLY;UNTIL=20270629".to_owned(),
        },
        RRuleError::IterError(_) => {
            "la série ne peut être calculée : limitez-la avec UNTIL ou COUNT".to_owned()
        }
    };
    format!("règle de récurrence invalide : {detail}")
}

/// The whole span covered by a list of occurrences.
pub fn envelope(spans: &[Span]) -> Option<Span> {
    let start = spans.iter().map(|s| s.start).min()?;
    let end = spans.iter().map(|s| s.end).max()?;
    Some(Span::new(start, end))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time::parse_instant;

    #[test]
    fn weekly_keeps_local_time_across_both_dst_changes() {
        let tz = chrono_tz::Europe::Paris;
        // Tuesdays from 20 October 2026 (summer time) across 25 October and into April 2027.
        let first = Span::new(
            parse_instant("2026-10-20T08:00:00+02:00").unwrap(),
            parse_instant("2026-10-20T12:00:00+02:00").unwrap(),
        );
        let spans = expand("FREQ=WEEKLY;COUNT=25", first, &tz).unwrap();
        assert_eq!(spans.len(), 25);
        for span in &spans {
            let start = local(span.start, &tz);
            assert_eq!(start.format("%H:%M").to_string(), "08:00");
            assert_eq!(local(span.end, &tz).format("%H:%M").to_string(), "12:00");
        }
        assert_eq!(
            spans[1].start,
            parse_instant("2026-10-27T08:00:00+01:00").unwrap()
        );
        assert_eq!(
            spans[23].start,
            parse_instant("2027-03-30T08:00:00+02:00").unwrap()
        );
    }

    #[test]
    fn refuses_unbounded_and_sub_daily_rules() {
        let tz = chrono_tz::Europe::Paris;
        let first = Span::new(
            parse_instant("2026-10-20T08:00:00+02:00").unwrap(),
            parse_instant("2026-10-20T12:00:00+02:00").unwrap(),
        );
        assert!(expand("FREQ=DAILY", first, &tz).is_err());
        assert!(expand("FREQ=HOURLY;COUNT=3", first, &tz).is_err());
        assert!(expand("FREQ=WEEKLY;COUNT=x", first, &tz).is_err());
        assert_eq!(
            expand("FREQ=WEEKLY;INTERVAL=2;COUNT=3", first, &tz)
                .unwrap()
                .len(),
            3
        );
    }
}
