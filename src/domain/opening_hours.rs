//! Weekly opening hours: several intervals a day, in the campus time zone.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::validate::Checks;
use super::Weekday;

/// One opening interval of a weekday, local time of the campus.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpeningInterval {
    pub weekday: Weekday,
    /// Local opening time, `HH:MM` (24 h).
    #[schema(example = "08:00", pattern = "^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$")]
    pub opens: String,
    /// Local closing time, `HH:MM` (24 h); `24:00` for midnight at the end of the day.
    #[schema(example = "12:00", pattern = "^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$")]
    pub closes: String,
}

/// An interval in minutes since local midnight, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct WeeklyInterval {
    pub weekday: Weekday,
    pub opens_minute: i32,
    pub closes_minute: i32,
}

impl WeeklyInterval {
    pub fn to_wire(self) -> OpeningInterval {
        OpeningInterval {
            weekday: self.weekday,
            opens: format_minute(self.opens_minute),
            closes: format_minute(self.closes_minute),
        }
    }
}

pub fn parse_minute(text: &str) -> Option<i32> {
    let (h, m) = text.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let h: i32 = h.parse().ok()?;
    let m: i32 = m.parse().ok()?;
    if (h == 24 && m == 0) || ((0..24).contains(&h) && (0..60).contains(&m)) {
        Some(h * 60 + m)
    } else {
        None
    }
}

pub fn format_minute(minute: i32) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

/// Checks the intervals (format, order, no overlap within a day) and returns them sorted.
pub fn check_opening_hours(
    checks: &mut Checks,
    field: &str,
    intervals: &[OpeningInterval],
) -> Vec<WeeklyInterval> {
    let mut parsed = Vec::with_capacity(intervals.len());
    for (i, interval) in intervals.iter().enumerate() {
        let opens = parse_minute(&interval.opens);
        let closes = parse_minute(&interval.closes);
        if opens.is_none() || opens == Some(24 * 60) {
            checks.fail(
                format!("{field}[{i}].opens"),
                "invalid_format",
                "heure attendue au format HH:MM, de 00:00 à 23:59",
            );
        }
        if closes.is_none() || closes == Some(0) {
            checks.fail(
                format!("{field}[{i}].closes"),
                "invalid_format",
                "heure attendue au format HH:MM, de 00:01 à 24:00",
            );
        }
        if let (Some(o), Some(c)) = (opens, closes) {
            if o >= c {
                checks.fail(
                    format!("{field}[{i}].closes"),
                    "before_start",
                    "la fermeture doit suivre l'ouverture",
                );
            } else {
                parsed.push((
                    i,
                    WeeklyInterval {
                        weekday: interval.weekday,
                        opens_minute: o,
                        closes_minute: c,
                    },
                ));
            }
        }
    }
    parsed.sort_by_key(|(_, w)| *w);
    for pair in parsed.windows(2) {
        let (_, a) = pair[0];
        let (j, b) = pair[1];
        if a.weekday == b.weekday && b.opens_minute < a.closes_minute {
            checks.fail(
                format!("{field}[{j}]"),
                "overlap",
                format!(
                    "chevauche un autre créneau du {} ({}–{})",
                    weekday_fr(a.weekday),
                    format_minute(a.opens_minute),
                    format_minute(a.closes_minute)
                ),
            );
        }
    }
    parsed.into_iter().map(|(_, w)| w).collect()
}

pub fn weekday_fr(day: Weekday) -> &'static str {
    match day {
        Weekday::Monday => "lundi",
        Weekday::Tuesday => "mardi",
        Weekday::Wednesday => "mercredi",
        Weekday::Thursday => "jeudi",
        Weekday::Friday => "vendredi",
        Weekday::Saturday => "samedi",
        Weekday::Sunday => "dimanche",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iv(day: Weekday, opens: &str, closes: &str) -> OpeningInterval {
        OpeningInterval {
            weekday: day,
            opens: opens.into(),
            closes: closes.into(),
        }
    }

    #[test]
    fn accepts_split_days_and_rejects_overlaps() {
        let mut checks = Checks::new();
        let ok = check_opening_hours(
            &mut checks,
            "opening_hours",
            &[
                iv(Weekday::Monday, "13:30", "17:30"),
                iv(Weekday::Monday, "08:00", "12:00"),
                iv(Weekday::Tuesday, "00:00", "24:00"),
            ],
        );
        assert!(checks.is_empty());
        assert_eq!(ok[0].opens_minute, 480);
        assert_eq!(ok[1].opens_minute, 810);

        let mut checks = Checks::new();
        check_opening_hours(
            &mut checks,
            "h",
            &[
                iv(Weekday::Monday, "08:00", "12:00"),
                iv(Weekday::Monday, "11:00", "13:00"),
            ],
        );
        assert!(!checks.is_empty());

        let mut checks = Checks::new();
        check_opening_hours(
            &mut checks,
            "h",
            &[
                iv(Weekday::Monday, "8:00", "12:00"),
                iv(Weekday::Friday, "12:00", "11:00"),
            ],
        );
        let errors = format!("{:?}", checks.finish().unwrap_err());
        assert!(
            errors.contains("h[0].opens") && errors.contains("h[1].closes"),
            "{errors}"
        );
    }
}
