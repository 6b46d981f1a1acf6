//! Usage reports: periods and their buckets, the figures of a group, and the open time a
//! platform offers. The database sums the sessions; these functions give the sums meaning.

use chrono::{Datelike, Duration, NaiveDate};
use chrono_tz::Tz;

use super::opening_hours::WeeklyInterval;
use super::time::{date_at_minute, merge, opening_spans, subtract, Span};

super::text_enum! {
    /// What a report groups by: an entity or a period of time.
    Dimension {
        Platform => "platform",
        Equipment => "equipment",
        OwnerOrganisation => "owner_organisation",
        Organisation => "organisation",
        LearnerStatus => "learner_status",
        Domain => "domain",
        Week => "week",
        Month => "month",
        SchoolYear => "school_year",
    }
}

impl Dimension {
    pub fn is_time(self) -> bool {
        matches!(
            self,
            Dimension::Week | Dimension::Month | Dimension::SchoolYear
        )
    }

    /// Whether the open time of a group depends on this dimension. Open time belongs to
    /// platforms and equipment, not to who booked: a group by booking organisation is
    /// measured against the open time of every platform in the report.
    pub fn splits_open_time(self) -> bool {
        !matches!(self, Dimension::Organisation | Dimension::LearnerStatus)
    }
}

/// The most dimensions one report groups by.
pub const MAX_DIMENSIONS: usize = 3;

/// Checks a `group_by` list: up to three known names separated by commas (nothing else,
/// not even spaces), at most one of them a period of time. Any other name given twice
/// counts once. The pattern of `group_by` in the OpenAPI document says the same.
pub fn parse_group_by(text: &str) -> Result<Vec<Dimension>, String> {
    let mut dimensions = Vec::new();
    if text.is_empty() {
        return Ok(dimensions);
    }
    let names: Vec<&str> = text.split(',').collect();
    if names.len() > MAX_DIMENSIONS {
        return Err(format!("au plus {MAX_DIMENSIONS} regroupements à la fois"));
    }
    let mut periods = 0;
    for name in names {
        let dimension = Dimension::parse(name).ok_or_else(|| {
            format!(
                "regroupement inconnu « {name} » ; regroupements permis : {} (voir « allowed_values »)",
                crate::labels::join(Dimension::ALL)
            )
        })?;
        periods += usize::from(dimension.is_time());
        if !dimensions.contains(&dimension) {
            dimensions.push(dimension);
        }
    }
    if periods > 1 {
        return Err(
            "une seule période de regroupement à la fois (semaine, mois ou année scolaire)".into(),
        );
    }
    Ok(dimensions)
}

/// The first and last school years a report names (by their first calendar year).
pub const SCHOOL_YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

/// A school year runs from 1 September to 31 August; `2026` is 2026-2027.
pub fn school_year_of(date: NaiveDate) -> i32 {
    if date.month() >= 9 {
        date.year()
    } else {
        date.year() - 1
    }
}

pub fn school_year_label(first_year: i32) -> String {
    format!("{first_year}-{}", first_year + 1)
}

/// Reads `2026-2027` as the school year starting in September 2026.
pub fn parse_school_year(text: &str) -> Option<i32> {
    let (first, second) = text.split_once('-')?;
    if first.len() != 4 || second.len() != 4 {
        return None;
    }
    let first: i32 = first.parse().ok()?;
    let second: i32 = second.parse().ok()?;
    (second == first + 1 && SCHOOL_YEARS.contains(&first)).then_some(first)
}

/// What `parse_school_year` accepts, as a regular expression for the OpenAPI document:
/// every school year of `SCHOOL_YEARS`, written out (a pattern cannot add one to a year).
pub fn school_year_pattern() -> String {
    let years: Vec<String> = SCHOOL_YEARS.map(school_year_label).collect();
    format!("^(?:{})$", years.join("|"))
}

/// The days of a school year, `[1 September, 1 September next year)`.
pub fn school_year_dates(first_year: i32) -> (NaiveDate, NaiveDate) {
    (
        NaiveDate::from_ymd_opt(first_year, 9, 1).expect("valid date"),
        NaiveDate::from_ymd_opt(first_year + 1, 9, 1).expect("valid date"),
    )
}

/// A report period: local days `[first, end)` and the instants they span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    pub first: NaiveDate,
    /// The day after the last day.
    pub end: NaiveDate,
    pub span: Span,
}

impl Period {
    pub fn new(first: NaiveDate, end: NaiveDate, tz: &Tz) -> Self {
        Period {
            first,
            end,
            span: Span::new(date_at_minute(first, 0, tz), date_at_minute(end, 0, tz)),
        }
    }

    pub fn last_day(&self) -> NaiveDate {
        self.end - Duration::days(1)
    }
}

/// One bucket of a time dimension, clipped to the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket {
    pub label: String,
    pub span: Span,
}

/// The buckets of `dimension` covering the period, in order; one bucket for the whole
/// period when the dimension is not a period of time.
pub fn buckets(dimension: Option<Dimension>, period: &Period, tz: &Tz) -> Vec<Bucket> {
    let mut result = Vec::new();
    let mut day = period.first;
    while day < period.end {
        let (label, next) = match dimension {
            Some(Dimension::Week) => {
                let monday = day - Duration::days(i64::from(day.weekday().num_days_from_monday()));
                let week = monday.iso_week();
                (
                    format!("{}-W{:02}", week.year(), week.week()),
                    monday + Duration::days(7),
                )
            }
            Some(Dimension::Month) => {
                let next = if day.month() == 12 {
                    NaiveDate::from_ymd_opt(day.year() + 1, 1, 1)
                } else {
                    NaiveDate::from_ymd_opt(day.year(), day.month() + 1, 1)
                }
                .expect("valid date");
                (format!("{}-{:02}", day.year(), day.month()), next)
            }
            Some(Dimension::SchoolYear) => {
                let year = school_year_of(day);
                (school_year_label(year), school_year_dates(year).1)
            }
            _ => (String::new(), period.end),
        };
        let next = next.min(period.end);
        result.push(Bucket {
            label,
            span: Span::new(date_at_minute(day, 0, tz), date_at_minute(next, 0, tz)),
        });
        day = next;
    }
    result
}

/// What a platform offers for booking, to measure occupancy against.
#[derive(Debug, Clone)]
pub struct PlatformOffer {
    pub hours: Vec<WeeklyInterval>,
    pub stations: i32,
    /// Closures that apply to the platform (campus, owner and platform level).
    pub closures: Vec<Span>,
    /// Equipment items in service, each with its maintenance windows.
    pub equipment: Vec<(String, Vec<Span>)>,
}

/// Open seconds of one bookable unit of a platform in a window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitOpenTime {
    /// `None` for the platform's stations taken together.
    pub equipment_id: Option<String>,
    /// Open seconds times the number of units (stations count one each).
    pub seconds: i64,
}

/// Opening hours made concrete over `window`, clipped to it. Platforms often share their
/// hours: callers compute this once per set of hours.
pub fn opening_within(hours: &[WeeklyInterval], tz: &Tz, window: Span) -> Vec<Span> {
    opening_spans(hours, tz, window)
        .into_iter()
        .filter_map(|s| {
            let clipped = Span::new(s.start.max(window.start), s.end.min(window.end));
            (clipped.start < clipped.end).then_some(clipped)
        })
        .collect()
}

/// Seconds of `spans` (sorted, disjoint) covered by `holes`.
fn covered_seconds(spans: &[Span], holes: &[Span]) -> i64 {
    merge(holes.to_vec())
        .iter()
        .flat_map(|hole| {
            spans
                .iter()
                .filter(move |s| s.overlaps(hole))
                .map(move |s| s.end.min(hole.end) - s.start.max(hole.start))
        })
        .sum()
}

/// Open time of each unit of a platform, given its opening hours within the window
/// (`opening_within`): minus closures, and minus maintenance for an equipment item.
/// Stations count one unit each.
pub fn open_time(offer: &PlatformOffer, opening: &[Span]) -> Vec<UnitOpenTime> {
    let open = if offer.closures.is_empty() {
        opening.to_vec()
    } else {
        subtract(opening, &offer.closures)
    };
    let total: i64 = open.iter().map(Span::seconds).sum();
    let mut units = Vec::with_capacity(offer.equipment.len() + 1);
    if offer.stations > 0 {
        units.push(UnitOpenTime {
            equipment_id: None,
            seconds: total * i64::from(offer.stations),
        });
    }
    for (id, maintenance) in &offer.equipment {
        units.push(UnitOpenTime {
            equipment_id: Some(id.clone()),
            seconds: total - covered_seconds(&open, maintenance),
        });
    }
    units
}

/// Sums over a group of sessions, in seconds and counts, as the database returns them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub sessions_booked: i64,
    pub sessions_cancelled: i64,
    pub sessions_no_show: i64,
    pub sessions_unreported: i64,
    pub mixed_sessions: i64,
    /// Confirmed sessions recorded after the fact (`POST /past-sessions`), and their used
    /// seconds: part of the figures above, shown apart.
    pub sessions_after_the_fact: i64,
    pub seconds_after_the_fact: i64,
    pub seconds_booked: i64,
    pub seconds_used: i64,
    /// Used seconds times the units held (stations count one each).
    pub unit_seconds_used: i64,
    /// Used by organisations other than the platform's owner.
    pub seconds_shared: i64,
    /// Used by companies.
    pub seconds_company: i64,
    /// Learner-seconds (headcount × used seconds) in the order of `LearnerStatus::ALL`.
    pub learner_seconds: [i64; 6],
    /// Open unit-seconds of the platforms and equipment of the group.
    pub open_unit_seconds: i64,
}

impl Totals {
    pub fn add(&mut self, other: &Totals) {
        self.sessions_booked += other.sessions_booked;
        self.sessions_cancelled += other.sessions_cancelled;
        self.sessions_no_show += other.sessions_no_show;
        self.sessions_unreported += other.sessions_unreported;
        self.mixed_sessions += other.mixed_sessions;
        self.sessions_after_the_fact += other.sessions_after_the_fact;
        self.seconds_after_the_fact += other.seconds_after_the_fact;
        self.seconds_booked += other.seconds_booked;
        self.seconds_used += other.seconds_used;
        self.unit_seconds_used += other.unit_seconds_used;
        self.seconds_shared += other.seconds_shared;
        self.seconds_company += other.seconds_company;
        for (mine, theirs) in self.learner_seconds.iter_mut().zip(other.learner_seconds) {
            *mine += theirs;
        }
        self.open_unit_seconds += other.open_unit_seconds;
    }

    /// Used unit-hours over open unit-hours; none when nothing was open.
    pub fn occupancy(&self) -> Option<f64> {
        (self.open_unit_seconds > 0).then(|| {
            round_to(
                self.unit_seconds_used as f64 / self.open_unit_seconds as f64,
                4,
            )
        })
    }
}

/// Seconds as hours, to the hundredth.
pub fn hours(seconds: i64) -> f64 {
    round_to(seconds as f64 / 3600.0, 2)
}

pub fn round_to(value: f64, decimals: i32) -> f64 {
    let factor = 10f64.powi(decimals);
    (value * factor).round() / factor
}

/// Median of some values; the mean of the middle two for an even count.
pub fn median(mut values: Vec<f64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    Some(if values.len().is_multiple_of(2) {
        (values[middle - 1] + values[middle]) / 2.0
    } else {
        values[middle]
    })
}

/// A number with a decimal comma, as French spreadsheets read it.
pub fn french_decimal(value: f64) -> String {
    let text = format!("{value}");
    text.replace('.', ",")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Weekday;

    fn tz() -> Tz {
        chrono_tz::Europe::Paris
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn month_buckets_are_clipped_to_the_period() {
        let period = Period::new(date(2026, 9, 15), date(2026, 11, 10), &tz());
        let labels: Vec<String> = buckets(Some(Dimension::Month), &period, &tz())
            .into_iter()
            .map(|b| b.label)
            .collect();
        assert_eq!(labels, ["2026-09", "2026-10", "2026-11"]);
        let weeks = buckets(Some(Dimension::Week), &period, &tz());
        assert_eq!(weeks[0].label, "2026-W38");
        // The week of the end of summer time (25 October 2026) lasts 169 hours.
        let dst = weeks.iter().find(|b| b.label == "2026-W43").unwrap();
        assert_eq!(dst.span.seconds(), 169 * 3600);
    }

    #[test]
    fn open_time_removes_closures_and_maintenance() {
        // Mondays 08:00-12:00; 2 stations and one machine with a 1-hour maintenance.
        let period = Period::new(date(2026, 10, 19), date(2026, 10, 27), &tz());
        let monday = |d: u32, h: i32| date_at_minute(date(2026, 10, d), h * 60, &tz());
        let offer = PlatformOffer {
            hours: vec![WeeklyInterval {
                weekday: Weekday::Monday,
                opens_minute: 8 * 60,
                closes_minute: 12 * 60,
            }],
            stations: 2,
            closures: vec![Span::new(monday(26, 0), monday(26, 10))],
            equipment: vec![("m".into(), vec![Span::new(monday(19, 9), monday(19, 10))])],
        };
        let units = open_time(&offer, &opening_within(&offer.hours, &tz(), period.span));
        // Open: 4 h on the 19th, 2 h on the 26th.
        assert_eq!(units[0].seconds, 2 * 6 * 3600);
        assert_eq!(units[1].seconds, 5 * 3600);
    }

    #[test]
    fn group_by_is_checked() {
        assert_eq!(
            parse_group_by("platform,month").unwrap(),
            [Dimension::Platform, Dimension::Month]
        );
        assert!(parse_group_by("week,month").is_err());
        assert_eq!(
            parse_group_by("platform,platform").unwrap(),
            [Dimension::Platform]
        );
        assert_eq!(parse_group_by("").unwrap(), []);
        for refused in [
            "colour",
            "platform, month",
            "platform,",
            ",platform",
            "platform,equipment,domain,month",
            "week,week",
        ] {
            assert!(parse_group_by(refused).is_err(), "{refused}");
        }
        assert_eq!(parse_school_year("2026-2027"), Some(2026));
        assert_eq!(parse_school_year("2026-2028"), None);
        assert_eq!(median(vec![3.0, 1.0, 2.0, 10.0]), Some(2.5));
    }
}
