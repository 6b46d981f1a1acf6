//! Texts meant for people (problem documents, calendar feeds, CSV cells) speak French: they
//! show the labels of the API's values, never the values themselves.

use std::collections::{BTreeSet, HashSet};

use actix_web::http::Method;
use chrono::{Datelike, Duration, Weekday};
use serde_json::{json, Value};

use crate::on_both_databases;
use crate::support::dates::{at, next, today};
use crate::support::{campus, TestApp};

fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
}

/// Every API value of every enum, except words that are also a label's spelling
/// (`composites`, `maintenance`, `campus`...).
fn api_values() -> BTreeSet<&'static str> {
    let tables = plateaux::labels::every_table();
    let label_words: HashSet<&str> = tables
        .iter()
        .flat_map(|(_, t)| t.iter().flat_map(|(_, label)| words(label)))
        .collect();
    tables
        .iter()
        .flat_map(|(_, t)| t.iter().map(|(value, _)| *value))
        .filter(|v| !label_words.contains(v))
        .collect()
}

/// The texts people read gathered from the answers, each with where it came from.
#[derive(Default)]
struct Texts(Vec<(String, String)>);

impl Texts {
    fn add(&mut self, origin: &str, text: &str) {
        self.0.push((origin.to_owned(), text.to_owned()));
    }

    fn problem(&mut self, origin: &str, problem: &Value) {
        for key in ["title", "detail"] {
            self.add(origin, problem[key].as_str().unwrap());
        }
        for error in problem["errors"].as_array().into_iter().flatten() {
            self.add(origin, error["message"].as_str().unwrap());
        }
    }

    /// Every cell of a CSV document but those of the columns named `id`.
    fn csv(&mut self, origin: &str, text: &str) {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(b';')
            .has_headers(false)
            .from_reader(text.as_bytes());
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        let ids: Vec<usize> = rows[0]
            .iter()
            .enumerate()
            .filter(|(_, h)| *h == "id")
            .map(|(i, _)| i)
            .collect();
        for row in &rows {
            for (i, cell) in row.iter().enumerate() {
                if !ids.contains(&i) {
                    self.add(origin, cell);
                }
            }
        }
    }

    fn joined(&self, origin: &str) -> String {
        self.0
            .iter()
            .filter(|(o, _)| o == origin)
            .map(|(_, t)| t.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[track_caller]
    fn assert_french(&self) {
        let values = api_values();
        let found: Vec<String> = self
            .0
            .iter()
            .filter_map(|(origin, text)| {
                let hits: Vec<&str> = words(text).filter(|w| values.contains(w)).collect();
                (!hits.is_empty()).then(|| format!("{origin}: {hits:?} in {text:?}"))
            })
            .collect();
        assert!(
            found.is_empty(),
            "API values shown to people:\n{}",
            found.join("\n")
        );
    }
}

async fn people_read_labels_not_api_values(app: TestApp) {
    let c = campus(&app).await;
    let mut texts = Texts::default();

    // A service request refused an action, then quoted twice: the first version is stale.
    let request = app
        .post(
            "/api/v1/service-requests",
            &c.company,
            json!({
                "title": "Usinage de brides", "description": "Dix brides en inox.",
                "domains": ["machining", "welding"], "wished_from": today().to_string(),
            }),
        )
        .await
        .expect(201)
        .json();
    let id = request["id"].as_str().unwrap().to_owned();
    let transitions = format!("/api/v1/service-requests/{id}/transitions");
    let refused = app
        .post(&transitions, &c.company, json!({ "action": "take" }))
        .await;
    texts.problem(
        "invalid request transition",
        &refused.problem(409, "invalid_transition"),
    );
    app.post(
        &transitions,
        &c.manager,
        json!({ "action": "take", "platform_id": c.platform_id }),
    )
    .await
    .expect(200);
    for hours in [1, 2] {
        app.post(&format!("/api/v1/service-requests/{id}/quotes"), &c.manager, json!({
            "valid_until": (today() + Duration::days(30)).to_string(),
            "lines": [{ "label": "Usinage", "quantity": hours, "unit": "hour", "unit_price_cents": 8500, "vat_rate_bp": 2000 }],
        }))
        .await
        .expect(201);
    }
    let stale = app
        .post(
            &transitions,
            &c.company,
            json!({ "action": "accept", "quote_version": 1 }),
        )
        .await
        .problem(409, "quote_not_current");
    assert!(
        stale["detail"].as_str().unwrap().contains("remplacée"),
        "{stale}"
    );
    texts.problem("stale quote", &stale);
    app.post(
        &transitions,
        &c.company,
        json!({ "action": "accept", "quote_version": 2 }),
    )
    .await
    .expect(200);
    let late_quote = app
        .post(&format!("/api/v1/service-requests/{id}/quotes"), &c.manager, json!({
            "valid_until": (today() + Duration::days(30)).to_string(),
            "lines": [{ "label": "Usinage", "quantity": 1, "unit": "day", "unit_price_cents": 8500, "vat_rate_bp": 2000 }],
        }))
        .await
        .problem(409, "invalid_transition");
    texts.problem("quote after acceptance", &late_quote);

    // Unknown values in a body, a query string and a report grouping.
    let unknown = app
        .post("/api/v1/bookings", &c.teacher, json!({
            "platform_id": c.platform_id, "stations": 2,
            "starts_at": at(next(Weekday::Tue, 7), "08:00"), "ends_at": at(next(Weekday::Tue, 7), "10:00"),
            "learners": [{ "status": "pupils", "headcount": 2 }],
        }))
        .await
        .problem(422, "validation_failed");
    assert_eq!(
        unknown["errors"][0]["allowed_values"][0], "school",
        "{unknown}"
    );
    assert!(
        unknown["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("scolaires"),
        "{unknown}"
    );
    texts.problem("unknown learner status", &unknown);
    let query = app
        .get("/api/v1/bookings?status=done", &c.teacher)
        .await
        .problem(400, "invalid_query");
    assert_eq!(query["extra"]["allowed_values"][0], "pending", "{query}");
    texts.problem("unknown status in a query", &query);
    let grouping = app
        .get("/api/v1/reports/usage?group_by=colour", &c.admin)
        .await
        .problem(422, "validation_failed");
    texts.problem("unknown grouping", &grouping);

    // Booking refusals: a past slot, an item out of order, a cancelled booking.
    let yesterday = today() - Duration::days(1);
    let past = app
        .post(
            "/api/v1/bookings",
            &c.admin,
            crate::support::station_booking(&c.platform_id, yesterday, "08:00", "10:00"),
        )
        .await
        .problem(422, "in_the_past");
    assert!(
        past["detail"].as_str().unwrap().contains("déjà passé"),
        "{past}"
    );
    texts.problem("past slot", &past);
    app.patch(
        &format!("/api/v1/equipment/{}", c.equipment_id),
        &c.manager,
        json!({ "status": "out_of_order" }),
    )
    .await
    .expect(200);
    let day = next(Weekday::Wed, 14);
    let broken = app
        .post("/api/v1/bookings", &c.teacher, json!({
            "equipment_id": c.equipment_id, "starts_at": at(day, "08:00"), "ends_at": at(day, "10:00"),
        }))
        .await
        .problem(409, "equipment_unavailable");
    texts.problem("equipment out of order", &broken);
    let booking = app
        .post("/api/v1/bookings", &c.teacher, json!({
            "platform_id": c.platform_id, "stations": 12, "starts_at": at(day, "08:00"), "ends_at": at(day, "12:00"),
            "group_label": "CAP soudure", "level": "CAP",
            "learners": [{ "status": "school", "headcount": 8 }, { "status": "apprentice", "headcount": 4 }],
        }))
        .await
        .expect(201)
        .json();
    let booking_id = booking["id"].as_str().unwrap().to_owned();

    // The calendar feed describes the booking with labels.
    let token = app
        .post(
            "/api/v1/calendar-tokens",
            &c.teacher,
            json!({ "feed": "user" }),
        )
        .await
        .expect(201)
        .json();
    let feed = app
        .call(Method::GET, token["url"].as_str().unwrap(), None, None, &[])
        .await
        .expect(200);
    for line in feed.text.replace("\r\n ", "").lines() {
        if line.starts_with("SUMMARY") || line.starts_with("DESCRIPTION") {
            texts.add("calendar feed", line);
        }
    }
    let described = texts.joined("calendar feed");
    assert!(
        described.contains("confirmée") && described.contains("apprentis : 4"),
        "{described}"
    );

    // A session recorded, so that the usage report has learner statuses and domains.
    // The same session four weeks earlier, booked then (the clock goes back), now over.
    let held = day - Duration::days(28);
    app.advance(-Duration::days(28));
    let held_id = app
        .post("/api/v1/bookings", &c.teacher, json!({
            "platform_id": c.platform_id, "stations": 12, "starts_at": at(held, "08:00"), "ends_at": at(held, "12:00"),
            "group_label": "CAP soudure", "level": "CAP",
            "learners": [{ "status": "school", "headcount": 8 }, { "status": "apprentice", "headcount": 4 }],
        }))
        .await
        .expect(201)
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.advance(Duration::days(28));
    app.call(Method::PUT, &format!("/api/v1/bookings/{held_id}/usage"), Some(&c.manager), Some(json!({
        "actual_start": at(held, "08:00"), "actual_end": at(held, "12:00"),
        "learners": [{ "status": "school", "headcount": 8 }, { "status": "apprentice", "headcount": 4 }],
        "incident": false,
    })), &[])
    .await
    .expect(200);
    let cancelled = app
        .post(
            &format!("/api/v1/bookings/{booking_id}/cancel"),
            &c.manager,
            json!({ "reason": "Essai" }),
        )
        .await;
    if cancelled.status.as_u16() == 200 {
        let again = app
            .post(
                &format!("/api/v1/bookings/{booking_id}/approve"),
                &c.manager,
                json!({}),
            )
            .await
            .problem(409, "invalid_transition");
        texts.problem("booking transition", &again);
    } else {
        texts.problem("booking transition", &cancelled.json());
    }

    // The CSV exports.
    let requests = app
        .get("/api/v1/service-requests?format=csv", &c.admin)
        .await
        .expect(200);
    texts.csv("service requests CSV", &requests.text);
    let exported = texts.joined("service requests CSV");
    assert!(
        exported.contains("acceptée") && exported.contains("usinage, soudage"),
        "{exported}"
    );
    let (from, to) = (held - Duration::days(1), held + Duration::days(1));
    let usage = app
        .get(&format!("/api/v1/reports/usage?from={from}&to={to}&group_by=learner_status,domain&format=csv"), &c.admin)
        .await
        .expect(200);
    texts.csv("usage report CSV", &usage.text);
    assert!(texts.joined("usage report CSV").contains("apprentis"));
    let year = if held.month() >= 9 {
        held.year()
    } else {
        held.year() - 1
    };
    let indicators = app
        .get(
            &format!(
                "/api/v1/reports/indicators?school_year={year}-{}&format=csv",
                year + 1
            ),
            &c.admin,
        )
        .await
        .expect(200);
    texts.csv("indicators CSV", &indicators.text);

    texts.assert_french();
}

on_both_databases!(people_read_labels_not_api_values);
