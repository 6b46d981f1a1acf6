//! The week view of a platform: a table of days × hours, each cell saying whether the
//! platform is open, how many stations are free, and the bookings the caller may see.

use chrono::{Datelike, Duration, NaiveDate};
use chrono_tz::Tz;

use super::format;
use crate::db::bookings::BookingRow;
use crate::db::equipment::EquipmentDetails;
use crate::domain::booking::BookingStatus;
use crate::domain::opening_hours::WeeklyInterval;
use crate::domain::time::{date_at_minute, opening_spans, Span};
use crate::domain::Weekday;

pub struct WeekGrid {
    pub caption: String,
    pub days: Vec<DayHead>,
    pub rows: Vec<HourRow>,
    pub previous: String,
    pub next: String,
    pub current: String,
}

pub struct DayHead {
    pub label: String,
}

pub struct HourRow {
    pub label: String,
    pub cells: Vec<Cell>,
}

pub struct Cell {
    pub open: bool,
    /// `12 postes libres`, `complet`, `fermé`; empty for a platform without stations.
    pub stations: String,
    pub full: bool,
    pub bookings: Vec<String>,
}

/// The window of the ISO week starting on `monday`, in the time zone `tz`.
pub fn window(monday: NaiveDate, tz: &Tz) -> Span {
    Span::new(
        date_at_minute(monday, 0, tz),
        date_at_minute(monday + Duration::days(7), 0, tz),
    )
}

/// The least number of stations free all along `part`; 0 where a moment of it has none.
fn least_free(part: Span, free: &[(Span, i32)]) -> i32 {
    let mut cursor = part.start;
    let mut least = i32::MAX;
    for (span, count) in free.iter().filter(|(s, _)| s.overlaps(&part)) {
        if span.start > cursor {
            return 0;
        }
        least = least.min(*count);
        cursor = cursor.max(span.end);
        if cursor >= part.end {
            return least;
        }
    }
    0
}

#[allow(clippy::too_many_arguments)]
pub fn build(
    platform_name: &str,
    stations: i32,
    hours: &[WeeklyInterval],
    monday: NaiveDate,
    tz: &Tz,
    free: &[(Span, i32)],
    bookings: &[BookingRow],
    equipment: &[EquipmentDetails],
) -> WeekGrid {
    let mut free = free.to_vec();
    free.sort_by_key(|(s, _)| s.start);
    // The days the platform opens (Monday to Friday when it has no hours), and the hours
    // from its earliest opening to its latest closing.
    let open_days: Vec<i64> = (0..7)
        .filter(|d| {
            let weekday = Weekday::from_number(*d as i16 + 1).expect("1..=7");
            hours.iter().any(|h| h.weekday == weekday)
        })
        .collect();
    let days: Vec<i64> = if open_days.is_empty() {
        (0..5).collect()
    } else {
        open_days
    };
    let first_hour = hours.iter().map(|h| h.opens_minute / 60).min().unwrap_or(8);
    let last_hour = hours
        .iter()
        .map(|h| (h.closes_minute + 59) / 60)
        .max()
        .unwrap_or(18)
        .max(first_hour + 1);
    let opening = opening_spans(hours, tz, window(monday, tz));
    let rows = (first_hour..last_hour)
        .map(|hour| HourRow {
            label: format!(
                "{} – {}",
                format::minute_of_day(hour * 60),
                format::minute_of_day((hour + 1) * 60)
            ),
            cells: days
                .iter()
                .map(|d| {
                    let date = monday + Duration::days(*d);
                    let slot = Span::new(
                        date_at_minute(date, hour * 60, tz),
                        date_at_minute(date, (hour + 1) * 60, tz),
                    );
                    cell(slot, stations, &opening, &free, bookings, equipment, tz)
                })
                .collect(),
        })
        .collect();
    let sunday = monday + Duration::days(6);
    WeekGrid {
        caption: format!(
            "{platform_name} : semaine {} du {} au {}",
            monday.iso_week().week(),
            format::long_date(monday),
            format::long_date(sunday)
        ),
        days: days
            .iter()
            .map(|d| {
                let date = monday + Duration::days(*d);
                DayHead {
                    label: format!("{} {}", format::weekday_name(date), date.day()),
                }
            })
            .collect(),
        rows,
        previous: format::iso_week(monday - Duration::days(7)),
        next: format::iso_week(monday + Duration::days(7)),
        current: format::iso_week(monday),
    }
}

fn cell(
    slot: Span,
    stations: i32,
    opening: &[Span],
    free: &[(Span, i32)],
    bookings: &[BookingRow],
    equipment: &[EquipmentDetails],
    tz: &Tz,
) -> Cell {
    let open_parts: Vec<Span> = opening
        .iter()
        .filter(|o| o.overlaps(&slot))
        .map(|o| Span::new(o.start.max(slot.start), o.end.min(slot.end)))
        .collect();
    let open = !open_parts.is_empty();
    let free_now = open_parts
        .iter()
        .map(|p| least_free(*p, free))
        .min()
        .unwrap_or(0);
    let stations_text = match (open, stations > 0, free_now) {
        (false, _, _) => "fermé".to_owned(),
        (true, false, _) => String::new(),
        (true, true, 0) => "complet".to_owned(),
        (true, true, 1) => "1 poste libre".to_owned(),
        (true, true, n) => format!("{n} postes libres"),
    };
    let bookings = bookings
        .iter()
        .filter(|b| Span::new(b.starts_at, b.ends_at).overlaps(&slot))
        .map(|b| {
            let what = match (&b.equipment_id, b.stations) {
                (Some(id), _) => equipment
                    .iter()
                    .find(|e| &e.row.id == id)
                    .map_or_else(|| "machine".to_owned(), |e| e.row.name.clone()),
                (None, Some(1)) => "1 poste".to_owned(),
                (None, Some(n)) => format!("{n} postes"),
                (None, None) => String::new(),
            };
            let pending = if BookingStatus::parse(&b.status) == Some(BookingStatus::Pending) {
                " (en attente)"
            } else {
                ""
            };
            format!(
                "{what} : {} ({} – {}){pending}",
                b.group_label,
                format::time_of(b.starts_at, tz),
                format::time_of(b.ends_at, tz)
            )
        })
        .collect();
    Cell {
        open,
        full: open && stations > 0 && free_now == 0,
        stations: stations_text,
        bookings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn least_free_is_zero_where_a_moment_has_none() {
        let part = Span::new(100, 200);
        assert_eq!(least_free(part, &[(Span::new(0, 300), 12)]), 12);
        assert_eq!(
            least_free(part, &[(Span::new(0, 150), 12), (Span::new(150, 300), 4)]),
            4
        );
        assert_eq!(least_free(part, &[(Span::new(0, 150), 12)]), 0);
        assert_eq!(least_free(part, &[(Span::new(120, 300), 12)]), 0);
        assert_eq!(least_free(part, &[]), 0);
    }
}
