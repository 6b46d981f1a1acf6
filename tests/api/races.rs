//! Station bookings under concurrent requests: whatever arrives together, a platform never
//! holds more stations at once than it has, every refusal is a documented 409, and a series
//! racing single bookings books no slot twice.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate, Weekday};
use serde_json::{json, Value};

use crate::on_both_databases;
use crate::support::dates::{at, next, urlencode};
use crate::support::{campus, Campus, Reply, TestApp};

/// The stations of the campus' welding platform.
const STATIONS: i64 = 14;

fn stations(c: &Campus, n: i64, day: NaiveDate, from: &str, to: &str) -> Value {
    json!({
        "platform_id": c.platform_id, "stations": n, "starts_at": at(day, from), "ends_at": at(day, to),
        "group_label": "CAP RICS 1", "learners": [{ "status": "school", "headcount": n }],
    })
}

/// Whether a station request was booked; anything but 201 or a documented 409 with `code`
/// fails the test.
#[track_caller]
fn booked(reply: &Reply, code: &str) -> bool {
    match reply.status.as_u16() {
        201 => true,
        409 => {
            assert_eq!(reply.json()["code"], code, "{}", reply.text);
            false
        }
        _ => panic!("unexpected answer {}: {}", reply.status, reply.text),
    }
}

/// Stations held by live bookings of the platform starting at `starts_at`, read in SQL.
async fn stations_held_sql(app: &TestApp, c: &Campus, starts_at: &str) -> i64 {
    let start = chrono::DateTime::parse_from_rfc3339(starts_at)
        .unwrap()
        .timestamp();
    app.count_sql(format!(
        "SELECT CAST(COALESCE(SUM(stations), 0) AS BIGINT) AS n FROM bookings \
         WHERE platform_id = '{}' AND starts_at = {start} AND status IN ('pending', 'confirmed')",
        c.platform_id
    ))
    .await
}

/// Live station bookings of the platform between `from` and `to`, as the director lists them.
async fn listed(app: &TestApp, c: &Campus, from: &str, to: &str) -> Vec<Value> {
    let page = app
        .get(
            &format!(
                "/api/v1/bookings?platform_id={}&from={}&to={}&limit=500",
                c.platform_id,
                urlencode(from),
                urlencode(to)
            ),
            &c.admin,
        )
        .await
        .expect(200)
        .json();
    assert!(page["next_cursor"].is_null(), "{page}");
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| ["pending", "confirmed"].contains(&b["status"].as_str().unwrap()))
        .cloned()
        .collect()
}

/// Fifty requests for 1 to 5 stations of the same slot, from four accounts at once (one of
/// them outside the owner: pending bookings hold their stations too).
async fn fifty_station_requests_at_once(app: TestApp) {
    let c = campus(&app).await;
    let day = next(Weekday::Wed, 14);
    let tokens = [&c.teacher, &c.manager, &c.other_teacher, &c.admin];
    let asks: Vec<(i64, &str)> = (0..50)
        .map(|i| (i % 5 + 1, tokens[i as usize % tokens.len()].as_str()))
        .collect();
    let replies = futures_util::future::join_all(asks.iter().map(|(n, token)| {
        app.post(
            "/api/v1/bookings",
            token,
            stations(&c, *n, day, "08:00", "12:00"),
        )
    }))
    .await;
    let mut held = 0;
    let mut accepted = 0;
    let mut refused = Vec::new();
    for ((n, _), reply) in asks.iter().zip(&replies) {
        if booked(reply, "not_enough_stations") {
            assert_eq!(reply.json()["stations"], *n);
            held += n;
            accepted += 1;
        } else {
            refused.push(*n);
        }
    }
    assert!(held <= STATIONS, "{held} stations booked out of {STATIONS}");
    // Each refused request really did not fit in what was left.
    assert!(
        refused.iter().all(|n| *n > STATIONS - held),
        "refused {refused:?} with {} stations free",
        STATIONS - held
    );
    assert!(accepted > 0 && !refused.is_empty());

    // The list, the database and the availability agree.
    let live = listed(&app, &c, &at(day, "00:00"), &at(day, "23:59")).await;
    assert_eq!(live.len(), accepted);
    assert_eq!(
        live.iter()
            .map(|b| b["stations"].as_i64().unwrap())
            .sum::<i64>(),
        held
    );
    assert_eq!(stations_held_sql(&app, &c, &at(day, "08:00")).await, held);
    let free = app
        .get(
            &format!(
                "/api/v1/availability?platform_id={}&from={}&to={}",
                c.platform_id,
                urlencode(&at(day, "08:00")),
                urlencode(&at(day, "12:00"))
            ),
            &c.teacher,
        )
        .await
        .expect(200)
        .json();
    let free_stations: Vec<i64> = free["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["free_stations"].as_i64().unwrap())
        .collect();
    let expected: Vec<i64> = if held == STATIONS {
        Vec::new()
    } else {
        vec![STATIONS - held]
    };
    assert_eq!(free_stations, expected, "{free}");
}

/// A weekly series of 8 stations sent together with 16 single bookings of 4 stations on
/// the same four slots: each slot holds at most 14 stations, what was refused did not
/// fit, and the series answers 201 or a documented 409.
async fn a_series_races_single_bookings(app: TestApp) {
    let c = campus(&app).await;
    let first = next(Weekday::Tue, 14);
    let days: Vec<NaiveDate> = (0..4).map(|w| first + Duration::days(7 * w)).collect();
    let singles: Vec<(NaiveDate, &str)> = (0..16)
        .map(|i| {
            let token = [&c.manager, &c.other_teacher, &c.admin][i % 3];
            (days[i % 4], token.as_str())
        })
        .collect();
    let series = app.post(
        "/api/v1/booking-series",
        &c.teacher,
        json!({
            "first_occurrence": stations(&c, 8, first, "08:00", "10:00"),
            "rrule": "FREQ=WEEKLY;COUNT=4", "mode": "skip_conflicts",
        }),
    );
    let single_replies = futures_util::future::join_all(singles.iter().map(|(day, token)| {
        app.post(
            "/api/v1/bookings",
            token,
            stations(&c, 4, *day, "08:00", "10:00"),
        )
    }));
    let (series, single_replies) = futures_util::future::join(series, single_replies).await;

    // Stations held on each day, and the requests refused there, from the answers.
    let mut held: BTreeMap<NaiveDate, i64> = days.iter().map(|d| (*d, 0)).collect();
    let mut refused: BTreeMap<NaiveDate, Vec<i64>> = BTreeMap::new();
    let series_id = match series.status.as_u16() {
        201 => {
            let series = series.json();
            for o in series["occurrences"].as_array().unwrap() {
                let day = days
                    .iter()
                    .find(|d| o["starts_at"] == at(**d, "08:00"))
                    .unwrap_or_else(|| panic!("an occurrence on no asked day: {o}"));
                *held.get_mut(day).unwrap() += 8;
            }
            for s in series["skipped"].as_array().unwrap() {
                assert_eq!(s["code"], "not_enough_stations", "{series}");
                let day = days
                    .iter()
                    .find(|d| s["starts_at"] == at(**d, "08:00"))
                    .unwrap();
                refused.entry(*day).or_default().push(8);
            }
            Some(series["id"].as_str().unwrap().to_owned())
        }
        _ => {
            let problem = series.problem(409, "series_empty");
            assert_eq!(problem["extra"]["skipped"].as_array().unwrap().len(), 4);
            for d in &days {
                refused.entry(*d).or_default().push(8);
            }
            None
        }
    };
    for ((day, _), reply) in singles.iter().zip(&single_replies) {
        if booked(reply, "not_enough_stations") {
            *held.get_mut(day).unwrap() += 4;
        } else {
            refused.entry(*day).or_default().push(4);
        }
    }
    for day in &days {
        let held = held[day];
        assert!(held <= STATIONS, "{held} stations booked on {day}");
        let refused = refused.get(day).cloned().unwrap_or_default();
        assert!(
            refused.iter().all(|n| *n > STATIONS - held),
            "refused {refused:?} on {day} with {} stations free",
            STATIONS - held
        );
        // Through the API and in the database alike.
        let live = listed(&app, &c, &at(*day, "00:00"), &at(*day, "23:59")).await;
        assert_eq!(
            live.iter()
                .map(|b| b["stations"].as_i64().unwrap())
                .sum::<i64>(),
            held,
            "{live:?}"
        );
        assert_eq!(stations_held_sql(&app, &c, &at(*day, "08:00")).await, held);
        let series_there = live.iter().filter(|b| b["series_id"].is_string()).count();
        assert!(series_there <= 1);
        if series_there == 1 {
            assert_eq!(
                live.iter().find(|b| b["series_id"].is_string()).unwrap()["series_id"],
                json!(series_id)
            );
        }
    }
    // No slot of the platform holds more than its stations, whoever booked it.
    assert_eq!(
        app.count_sql(format!(
            "SELECT COUNT(*) AS n FROM (SELECT starts_at FROM bookings \
             WHERE platform_id = '{}' AND status IN ('pending', 'confirmed') \
             GROUP BY starts_at HAVING SUM(stations) > {STATIONS}) AS overbooked",
            c.platform_id
        ))
        .await,
        0
    );
}

on_both_databases!(
    fifty_station_requests_at_once,
    a_series_races_single_bookings
);
