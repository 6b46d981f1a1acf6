//! Recurring series: RFC 5545 rules expanded in the campus time zone, so that a weekly
//! 08:00–12:00 session stays 08:00–12:00 local time across daylight-saving changes.

use chrono::NaiveTime;
use chrono_tz::Tz;
use rrule::RRuleSet;

use super::time::{local, local_to_instant, Span};
use crate::error::ApiError;

/// Most occurrences one series may hold (a school year of weekly sessions is about 36).
pub const MAX_OCCURRENCES: usize = 200;

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::field("rrule", "invalid_rrule", message)
}

/// The occurrences of `rule` (an RRULE value such as `FREQ=WEEKLY;UNTIL=20270701T000000Z`)
/// whose first occurrence is `first`.
pub fn expand(rule: &str, first: Span, tz: &Tz) -> Result<Vec<Span>, ApiError> {
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
    let start_local = local(first.start, tz);
    let end_local = local(first.end, tz);
    let text = format!(
        "DTSTART;TZID={}:{}\nRRULE:{}",
        tz.name(),
        start_local.format("%Y%m%dT%H%M%S"),
        rule
    );
    let set: RRuleSet = text
        .parse()
        .map_err(|e| invalid(format!("règle de récurrence invalide : {e}")))?;
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
