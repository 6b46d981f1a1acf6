//! Dates and times as people read them in French: `mardi 2 mars 2027`, `08:00`; ISO weeks
//! as the week view's parameter (`2027-W10`).

use chrono::{Datelike, NaiveDate, Weekday as ChronoWeekday};
use chrono_tz::Tz;

const WEEKDAYS: [&str; 7] = [
    "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
];
const MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

pub fn weekday_name(date: NaiveDate) -> &'static str {
    WEEKDAYS[date.weekday().num_days_from_monday() as usize]
}

/// `mardi 2 mars 2027` (`1er` for the first of a month, as French writes it).
pub fn long_date(date: NaiveDate) -> String {
    format!("{} {}", weekday_name(date), date_without_weekday(date))
}

/// `2 mars 2027`.
pub fn date_without_weekday(date: NaiveDate) -> String {
    let day = if date.day() == 1 {
        "1er".to_owned()
    } else {
        date.day().to_string()
    };
    format!("{day} {} {}", MONTHS[date.month0() as usize], date.year())
}

/// `08:00` in the time zone `tz`.
pub fn time_of(seconds: i64, tz: &Tz) -> String {
    crate::domain::time::local(seconds, tz)
        .format("%H:%M")
        .to_string()
}

/// `08:30` from minutes after midnight.
pub fn minute_of_day(minute: i32) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

/// The years a page reads in a week, a date or a date and time: four digits, as they are
/// written. Beyond, the calendar arithmetic of the pages (the days after a week, the time
/// zone) overflows, and a year 0 or 9999 is a slip of the keyboard, not a plan.
pub const YEARS: std::ops::RangeInclusive<i32> = 1000..=9998;

/// A date as a date field sends it (`2027-03-02`), or as people type it (`02/03/2027`),
/// within `YEARS`.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(text, "%d/%m/%Y"))
        .ok()
        .filter(|d| YEARS.contains(&d.year()))
}

/// A date and time as a `datetime-local` field sends it (`2027-03-08T08:00`), within
/// `YEARS`.
pub fn parse_date_time(text: &str) -> Option<chrono::NaiveDateTime> {
    let text = text.trim();
    chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S"))
        .ok()
        .filter(|t| YEARS.contains(&t.year()))
}

/// The Monday of an ISO week written `2027-W10`; `None` for anything else.
pub fn parse_iso_week(text: &str) -> Option<NaiveDate> {
    let (year, week) = text.trim().split_once("-W")?;
    let (year, week) = (year.parse().ok()?, week.parse().ok()?);
    if !YEARS.contains(&year) {
        return None;
    }
    NaiveDate::from_isoywd_opt(year, week, ChronoWeekday::Mon)
}

/// A headcount with its learner status, singular for one: `1 apprenti`, `5 scolaires`
/// (the labels of `src/labels.rs` are the plural, as tables and lists head them).
pub fn headcount(count: i32, status: &str) -> String {
    use crate::domain::booking::LearnerStatus;
    let singular = match LearnerStatus::parse(status) {
        Some(LearnerStatus::School) => "scolaire",
        Some(LearnerStatus::Apprentice) => "apprenti",
        Some(LearnerStatus::HigherEducation) => "étudiant",
        Some(LearnerStatus::Company) => "salarié d'entreprise",
        _ => "",
    };
    if count <= 1 && !singular.is_empty() {
        format!("{count} {singular}")
    } else {
        format!(
            "{count} {}",
            crate::labels::label_of(status, LearnerStatus::parse)
        )
    }
}

/// `2027-W10` for the ISO week holding `date`.
pub fn iso_week(date: NaiveDate) -> String {
    let week = date.iso_week();
    format!("{:04}-W{:02}", week.year(), week.week())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_in_french() {
        let day = NaiveDate::from_ymd_opt(2027, 3, 2).unwrap();
        assert_eq!(long_date(day), "mardi 2 mars 2027");
        let first = NaiveDate::from_ymd_opt(2027, 8, 1).unwrap();
        assert_eq!(long_date(first), "dimanche 1er août 2027");
    }

    #[test]
    fn iso_weeks_round_trip() {
        let monday = parse_iso_week("2027-W10").unwrap();
        assert_eq!(monday, NaiveDate::from_ymd_opt(2027, 3, 8).unwrap());
        assert_eq!(iso_week(monday + chrono::Duration::days(6)), "2027-W10");
        // The first ISO week of 2027 starts in 2027-01-04; 2026-12-31 is in 2026-W53.
        assert_eq!(
            iso_week(NaiveDate::from_ymd_opt(2026, 12, 31).unwrap()),
            "2026-W53"
        );
        assert_eq!(parse_iso_week("2027-W54"), None);
        assert_eq!(parse_iso_week("mardi"), None);
        assert_eq!(parse_iso_week("262143-W01"), None);
        assert_eq!(parse_iso_week("0000-W01"), None);
        assert!(parse_iso_week("9998-W52").is_some());
        assert_eq!(parse_date("0000-01-01"), None);
        assert_eq!(parse_date("31/12/9999"), None);
        assert!(parse_date("02/03/2027").is_some());
        assert_eq!(parse_date_time("0000-01-01T08:00"), None);
        assert!(parse_date_time("2027-03-08T08:00").is_some());
    }
}
