//! Dates of the tests, relative to today in the campus time zone, so that the suite keeps
//! passing as time goes by.

use chrono::{Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};

pub const TZ: chrono_tz::Tz = chrono_tz::Europe::Paris;

/// `date` at local time `hm` in the campus time zone, as RFC 3339.
pub fn at(date: NaiveDate, hm: &str) -> String {
    let time = chrono::NaiveTime::parse_from_str(hm, "%H:%M").unwrap();
    TZ.from_local_datetime(&date.and_time(time))
        .single()
        .unwrap()
        .to_rfc3339()
}

/// Today in the campus time zone, as the service reckons it.
pub fn today() -> NaiveDate {
    Utc::now().with_timezone(&TZ).date_naive()
}

/// The first `weekday` at least `days` days from today.
pub fn next(weekday: Weekday, days: i64) -> NaiveDate {
    let mut d = today() + Duration::days(days);
    while d.weekday() != weekday {
        d += Duration::days(1);
    }
    d
}

/// An RFC 3339 instant made safe for a query string.
pub fn urlencode(text: &str) -> String {
    text.replace('+', "%2B").replace(':', "%3A")
}
