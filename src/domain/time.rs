//! Instants, local times of the campus and weekly opening hours made concrete.

use chrono::{
    DateTime, Duration, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc,
};
use chrono_tz::Tz;

use super::opening_hours::WeeklyInterval;

/// A half-open interval of Unix seconds, `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    pub start: i64,
    pub end: i64,
}

impl Span {
    pub fn new(start: i64, end: i64) -> Self {
        Span { start, end }
    }

    pub fn overlaps(&self, other: &Span) -> bool {
        self.start < other.end && other.start < self.end
    }

    pub fn contains(&self, other: &Span) -> bool {
        self.start <= other.start && other.end <= self.end
    }

    pub fn seconds(&self) -> i64 {
        self.end - self.start
    }
}

pub fn parse_instant(text: &str) -> Option<i64> {
    DateTime::<FixedOffset>::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.timestamp())
}

pub fn local(seconds: i64, tz: &Tz) -> DateTime<Tz> {
    tz.timestamp_opt(seconds, 0)
        .single()
        .unwrap_or_else(|| Utc.timestamp_opt(0, 0).unwrap().with_timezone(tz))
}

/// The instant of a local wall-clock time. In the spring-forward gap the time is read as
/// the instant just after the gap; in the autumn overlap, the first of the two.
pub fn local_to_instant(naive: NaiveDateTime, tz: &Tz) -> i64 {
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(t) => t.timestamp(),
        LocalResult::Ambiguous(first, _) => first.timestamp(),
        LocalResult::None => {
            let later = naive + Duration::hours(1);
            tz.from_local_datetime(&later)
                .earliest()
                .map(|t| t.timestamp())
                .unwrap_or_else(|| naive.and_utc().timestamp())
        }
    }
}

pub fn date_at_minute(date: NaiveDate, minute: i32, tz: &Tz) -> i64 {
    let naive = date.and_hms_opt(0, 0, 0).expect("midnight") + Duration::minutes(i64::from(minute));
    local_to_instant(naive, tz)
}

/// Opening hours as concrete spans covering `window`, adjacent intervals merged.
pub fn opening_spans(hours: &[WeeklyInterval], tz: &Tz, window: Span) -> Vec<Span> {
    let first = local(window.start, tz).date_naive() - Duration::days(1);
    let last = local(window.end, tz).date_naive() + Duration::days(1);
    let mut spans = Vec::new();
    let mut day = first;
    while day <= last {
        let weekday = super::Weekday::from_number(
            chrono::Datelike::weekday(&day).number_from_monday() as i16,
        )
        .expect("1..=7");
        for h in hours.iter().filter(|h| h.weekday == weekday) {
            let span = Span::new(
                date_at_minute(day, h.opens_minute, tz),
                date_at_minute(day, h.closes_minute, tz),
            );
            if span.start < span.end && span.overlaps(&window) {
                spans.push(span);
            }
        }
        day += Duration::days(1);
    }
    merge(spans)
}

/// Sorts and merges overlapping or adjacent spans.
pub fn merge(mut spans: Vec<Span>) -> Vec<Span> {
    spans.sort();
    let mut merged: Vec<Span> = Vec::with_capacity(spans.len());
    for span in spans {
        match merged.last_mut() {
            Some(last) if span.start <= last.end => last.end = last.end.max(span.end),
            _ => merged.push(span),
        }
    }
    merged
}

/// `spans` minus every span of `holes`.
pub fn subtract(spans: &[Span], holes: &[Span]) -> Vec<Span> {
    let holes = merge(holes.to_vec());
    let mut result = Vec::new();
    for span in spans {
        let mut cursor = span.start;
        for hole in holes.iter().filter(|h| h.overlaps(span)) {
            if hole.start > cursor {
                result.push(Span::new(cursor, hole.start));
            }
            cursor = cursor.max(hole.end);
        }
        if cursor < span.end {
            result.push(Span::new(cursor, span.end));
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Weekday;

    #[test]
    fn opening_spans_follow_local_time_across_dst() {
        let tz = chrono_tz::Europe::Paris;
        let hours = [WeeklyInterval {
            weekday: Weekday::Monday,
            opens_minute: 8 * 60,
            closes_minute: 12 * 60,
        }];
        // Mondays 23 and 30 March 2026 (DST starts on Sunday 29 March).
        let window = Span::new(
            parse_instant("2026-03-23T00:00:00+01:00").unwrap(),
            parse_instant("2026-03-31T00:00:00+02:00").unwrap(),
        );
        let spans = opening_spans(&hours, &tz, window);
        assert_eq!(spans.len(), 2);
        assert_eq!(
            spans[0].start,
            parse_instant("2026-03-23T08:00:00+01:00").unwrap()
        );
        assert_eq!(
            spans[1].start,
            parse_instant("2026-03-30T08:00:00+02:00").unwrap()
        );
        assert_eq!(spans[1].seconds(), 4 * 3600);
    }

    #[test]
    fn subtract_and_merge() {
        let spans = merge(vec![Span::new(0, 10), Span::new(10, 20), Span::new(30, 40)]);
        assert_eq!(spans, vec![Span::new(0, 20), Span::new(30, 40)]);
        let free = subtract(&spans, &[Span::new(5, 8), Span::new(15, 35)]);
        assert_eq!(
            free,
            vec![Span::new(0, 5), Span::new(8, 15), Span::new(35, 40)]
        );
    }
}
