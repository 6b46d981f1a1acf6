//! Recording what really happened in booked sessions.

use chrono::{Duration, Utc, Weekday};
use serde_json::{json, Value};

use crate::on_both_databases;
use crate::support::dates::{at, next};
use crate::support::{campus, Campus, TestApp};

/// A class session the teacher booked ahead four weeks ago (the clock goes back for the
/// booking, then forward again), now over.
async fn past_session(app: &TestApp, c: &Campus) -> (String, chrono::NaiveDate) {
    past_session_weeks_ago(app, c, 4).await
}

/// The same session booked `weeks` weeks ago.
async fn past_session_weeks_ago(
    app: &TestApp,
    c: &Campus,
    weeks: i64,
) -> (String, chrono::NaiveDate) {
    let back = Duration::days(7 * weeks);
    let day = next(Weekday::Wed, 14) - back;
    app.advance(-back);
    let booking = app
        .post("/api/v1/bookings", &c.teacher, json!({
            "platform_id": c.platform_id, "stations": 12, "starts_at": at(day, "08:00"), "ends_at": at(day, "12:00"),
            "group_label": "CAP soudure", "learners": [{ "status": "school", "headcount": 8 }, { "status": "apprentice", "headcount": 4 }],
        }))
        .await
        .expect(201)
        .json();
    app.advance(back);
    (booking["id"].as_str().unwrap().to_owned(), day)
}

async fn managers_record_and_correct_usage(app: TestApp) {
    let c = campus(&app).await;
    let (id, day) = past_session(&app, &c).await;
    app.get(&format!("/api/v1/bookings/{id}/usage"), &c.manager)
        .await
        .problem(404, "not_found");
    let record = json!({
        "actual_start": at(day, "08:15"), "actual_end": at(day, "11:45"),
        "learners": [{ "status": "school", "headcount": 7 }, { "status": "apprentice", "headcount": 4 }],
        "machine_time": [{ "equipment_id": c.equipment_id, "minutes": 90 }],
        "consumables": "Fil ER70S-6, 2 kg", "incident": false,
    });
    // The booker may not record unless the platform lets bookers report.
    app.call(
        actix_web::http::Method::PUT,
        &format!("/api/v1/bookings/{id}/usage"),
        Some(&c.teacher),
        Some(record.clone()),
        &[],
    )
    .await
    .problem(403, "forbidden");
    let saved = app
        .call(
            actix_web::http::Method::PUT,
            &format!("/api/v1/bookings/{id}/usage"),
            Some(&c.manager),
            Some(record),
            &[],
        )
        .await
        .expect(200)
        .json();
    assert_eq!(saved["hours_used"], 3.5);
    assert_eq!(
        saved["learners"],
        json!([{ "status": "apprentice", "headcount": 4 }, { "status": "school", "headcount": 7 }])
    );
    assert_eq!(saved["machine_time"][0]["minutes"], 90);
    // A correction keeps the previous record in the booking's history.
    let corrected = app
        .call(actix_web::http::Method::PUT, &format!("/api/v1/bookings/{id}/usage"), Some(&c.manager), Some(json!({
            "actual_start": at(day, "08:15"), "actual_end": at(day, "11:45"),
            "learners": [{ "status": "school", "headcount": 8 }, { "status": "apprentice", "headcount": 4 }],
            "incident": true, "incident_note": "Brûlure légère, soins sur place",
        })), &[])
        .await
        .expect(200)
        .json();
    assert_eq!(corrected["incident"], true);
    assert_eq!(corrected["machine_time"], json!([]));
    let history = app
        .get(&format!("/api/v1/bookings/{id}/history"), &c.manager)
        .await
        .expect(200)
        .json();
    let events: Vec<&Value> = history
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"].as_str().unwrap().starts_with("usage"))
        .collect();
    assert_eq!(events.len(), 2);
    assert_eq!(events[1]["action"], "usage_corrected");
    assert_eq!(
        events[1]["changes"]["previous"]["learners"],
        json!([["apprentice", 4], ["school", 7]])
    );
    // Once the platform lets bookers report, the teacher may.
    app.patch(&format!("/api/v1/platforms/{}", c.platform_id), &c.manager, json!({
        "booking_policy": { "who_may_book": "campus_members", "outside_requires_approval": true, "min_notice_hours": 24, "max_horizon_days": 365, "max_duration_minutes": 480, "bookers_record_usage": true },
    }))
    .await
    .expect(200);
    app.call(
        actix_web::http::Method::PUT,
        &format!("/api/v1/bookings/{id}/usage"),
        Some(&c.teacher),
        Some(json!({ "no_show": true })),
        &[],
    )
    .await
    .expect(200);
    // Another organisation sees nothing of it.
    app.get(&format!("/api/v1/bookings/{id}/usage"), &c.other_teacher)
        .await
        .problem(404, "not_found");
}

async fn only_past_confirmed_sessions_with_sound_records(app: TestApp) {
    let c = campus(&app).await;
    let (id, day) = past_session(&app, &c).await;
    let path = format!("/api/v1/bookings/{id}/usage");
    let put = |body: Value| {
        app.call(
            actix_web::http::Method::PUT,
            &path,
            Some(&c.manager),
            Some(body),
            &[],
        )
    };
    put(json!({ "no_show": true, "actual_start": at(day, "08:00"), "actual_end": at(day, "09:00") })).await.problem(422, "validation_failed");
    put(json!({ "actual_start": at(day, "08:00") }))
        .await
        .problem(422, "validation_failed");
    put(json!({ "actual_start": at(day, "10:00"), "actual_end": at(day, "09:00") }))
        .await
        .problem(422, "validation_failed");
    put(json!({ "actual_start": at(day, "08:00"), "actual_end": at(day, "09:00"), "incident": true })).await.problem(422, "validation_failed");
    put(json!({ "actual_start": at(day, "08:00"), "actual_end": at(day, "09:00"), "machine_time": [{ "equipment_id": c.equipment_id, "minutes": 61 }] })).await.problem(422, "validation_failed");
    assert_eq!(app.count("booking_usages").await, 0);
    // A session still to come, and a cancelled one, have nothing to record: seen five weeks
    // ago (the clock goes back), then today.
    let future = next(Weekday::Wed, 14) + Duration::days(7) - Duration::days(35);
    app.advance(-Duration::days(35));
    let upcoming = app
        .post("/api/v1/bookings", &c.manager, json!({ "platform_id": c.platform_id, "stations": 1, "starts_at": at(future, "08:00"), "ends_at": at(future, "09:00") }))
        .await
        .expect(201)
        .json();
    let upcoming = upcoming["id"].as_str().unwrap();
    app.call(
        actix_web::http::Method::PUT,
        &format!("/api/v1/bookings/{upcoming}/usage"),
        Some(&c.manager),
        Some(json!({ "no_show": true })),
        &[],
    )
    .await
    .problem(409, "not_yet_past");
    app.post(
        &format!("/api/v1/bookings/{upcoming}/cancel"),
        &c.manager,
        json!({ "reason": "Formateur absent" }),
    )
    .await
    .expect(200);
    app.advance(Duration::days(35));
    app.call(
        actix_web::http::Method::PUT,
        &format!("/api/v1/bookings/{upcoming}/usage"),
        Some(&c.manager),
        Some(json!({ "no_show": true })),
        &[],
    )
    .await
    .problem(409, "not_reportable");
    // A week in one request: all or nothing.
    let (second, _) = past_session_weeks_ago(&app, &c, 5).await;
    let bad = json!({ "records": [
        { "booking_id": id, "actual_start": at(day, "08:00"), "actual_end": at(day, "12:00"), "learners": [{ "status": "school", "headcount": 12 }] },
        { "booking_id": upcoming, "no_show": true },
    ] });
    app.post("/api/v1/usage-records", &c.manager, bad)
        .await
        .problem(409, "not_reportable");
    assert_eq!(app.count("booking_usages").await, 0);
    let good = json!({ "records": [
        { "booking_id": id, "actual_start": at(day, "08:00"), "actual_end": at(day, "12:00"), "learners": [{ "status": "school", "headcount": 12 }] },
        { "booking_id": second, "no_show": true },
    ] });
    let saved = app
        .post("/api/v1/usage-records", &c.manager, good)
        .await
        .expect(200)
        .json();
    assert_eq!(saved.as_array().unwrap().len(), 2);
    assert_eq!(
        (
            saved[0]["hours_used"].as_f64(),
            saved[1]["no_show"].as_bool()
        ),
        (Some(4.0), Some(true))
    );
    assert_eq!(app.count("booking_usages").await, 2);
}

async fn service_requests_show_hours_used(app: TestApp) {
    let c = campus(&app).await;
    let request = app
        .post("/api/v1/service-requests", &c.company, json!({ "title": "Soudure de supports", "description": "Série de 10", "domains": ["welding"] }))
        .await
        .expect(201)
        .json();
    let rid = request["id"].as_str().unwrap();
    let path = format!("/api/v1/service-requests/{rid}/transitions");
    let step = async |body: Value, token: &str| app.post(&path, token, body).await;
    step(
        json!({ "action": "take", "platform_id": c.platform_id }),
        &c.manager,
    )
    .await
    .expect(200);
    app.post(&format!("/api/v1/service-requests/{rid}/quotes"), &c.manager, json!({
        "valid_until": (Utc::now().date_naive() + Duration::days(20)).to_string(),
        "lines": [{ "label": "Soudure", "quantity": 3, "unit": "hour", "unit_price_cents": 7000, "vat_rate_bp": 2000 }],
    }))
    .await
    .expect(201);
    step(
        json!({ "action": "accept", "quote_version": 1 }),
        &c.company,
    )
    .await
    .expect(200);
    // Booked four weeks ago for a session two weeks ahead, now over.
    let past = next(Weekday::Wed, 14) - Duration::days(28);
    app.advance(-Duration::days(28));
    let booking = app
        .post("/api/v1/bookings", &c.manager, json!({
            "platform_id": c.platform_id, "stations": 1, "starts_at": at(past, "13:30"), "ends_at": at(past, "16:30"),
            "organisation_id": c.company_id, "service_request_id": rid,
        }))
        .await
        .expect(201)
        .json();
    app.advance(Duration::days(28));
    let bid = booking["id"].as_str().unwrap();
    app.call(
        actix_web::http::Method::PUT,
        &format!("/api/v1/bookings/{bid}/usage"),
        Some(&c.manager),
        Some(json!({ "actual_start": at(past, "13:30"), "actual_end": at(past, "16:00") })),
        &[],
    )
    .await
    .expect(200);
    let seen = app
        .get(&format!("/api/v1/service-requests/{rid}"), &c.company)
        .await
        .expect(200)
        .json();
    assert_eq!(
        seen["work"],
        json!([{ "platform_id": c.platform_id, "hours_booked": 3.0, "bookings": 1, "hours_used": 2.5 }])
    );
}

/// A session held without a booking, recorded afterwards with its booking and its usage.
fn walk_in(target: Value, day: chrono::NaiveDate, from: &str, to: &str) -> Value {
    let mut booking = json!({
        "starts_at": at(day, from), "ends_at": at(day, to), "group_label": "Stage découverte",
        "learners": [{ "status": "school", "headcount": 4 }],
    });
    booking
        .as_object_mut()
        .unwrap()
        .extend(target.as_object().unwrap().clone());
    json!({
        "booking": booking,
        "usage": {
            "actual_start": at(day, from), "actual_end": at(day, to),
            "learners": [{ "status": "school", "headcount": 4 }],
        },
    })
}

async fn past_sessions_are_recorded_after_the_fact(app: TestApp) {
    let c = campus(&app).await;
    let (booked, day) = past_session(&app, &c).await;
    app.call(actix_web::http::Method::PUT, &format!("/api/v1/bookings/{booked}/usage"), Some(&c.manager), Some(json!({
        "actual_start": at(day, "08:00"), "actual_end": at(day, "12:00"),
        "learners": [{ "status": "school", "headcount": 8 }, { "status": "apprentice", "headcount": 4 }],
    })), &[])
    .await
    .expect(200);
    let stations = json!({ "platform_id": c.platform_id, "stations": 2 });
    let machine = json!({ "equipment_id": c.equipment_id });

    // Only the platform's managers and the director; nobody else, not even another manager.
    for token in [&c.teacher, &c.company] {
        app.post(
            "/api/v1/past-sessions",
            token,
            walk_in(stations.clone(), day, "14:00", "16:00"),
        )
        .await
        .problem(403, "forbidden");
    }
    let elsewhere = json!({ "platform_id": c.other_platform_id, "stations": 2 });
    app.post(
        "/api/v1/past-sessions",
        &c.manager,
        walk_in(elsewhere.clone(), day, "14:00", "16:00"),
    )
    .await
    .problem(403, "forbidden");
    // A session still to come is booked, not recorded.
    let soon = next(Weekday::Wed, 7);
    app.post(
        "/api/v1/past-sessions",
        &c.manager,
        walk_in(stations.clone(), soon, "14:00", "16:00"),
    )
    .await
    .problem(422, "validation_failed");
    assert_eq!(app.count("bookings").await, 1);

    let recorded = app
        .post(
            "/api/v1/past-sessions",
            &c.manager,
            walk_in(stations, day, "14:00", "16:00"),
        )
        .await
        .expect(201)
        .json();
    assert_eq!(recorded["booking"]["status"], "confirmed");
    assert_eq!(recorded["booking"]["recorded_after_the_fact"], true);
    assert_eq!(recorded["usage"]["hours_used"], 2.0);
    let id = recorded["booking"]["id"].as_str().unwrap();
    let shown = app
        .get(&format!("/api/v1/bookings/{id}/usage"), &c.manager)
        .await
        .expect(200)
        .json();
    assert_eq!(shown["booking_id"], id);
    app.post(
        "/api/v1/past-sessions",
        &c.admin,
        walk_in(elsewhere, day, "14:00", "16:00"),
    )
    .await
    .expect(201);
    app.post(
        "/api/v1/past-sessions",
        &c.manager,
        walk_in(machine.clone(), day, "14:00", "16:00"),
    )
    .await
    .expect(201);
    // The machine was already held: the same conflict rule as any booking, and nothing kept.
    let before = (
        app.count("bookings").await,
        app.count("booking_usages").await,
    );
    app.post(
        "/api/v1/past-sessions",
        &c.manager,
        walk_in(machine, day, "15:00", "17:00"),
    )
    .await
    .problem(409, "booking_conflict");
    // The class of 12 held 12 of the 14 stations in the morning.
    let four = json!({ "platform_id": c.platform_id, "stations": 4 });
    app.post(
        "/api/v1/past-sessions",
        &c.manager,
        walk_in(four, day, "09:00", "10:00"),
    )
    .await
    .problem(409, "not_enough_stations");
    assert_eq!(
        (
            app.count("bookings").await,
            app.count("booking_usages").await
        ),
        before
    );

    // The usage report counts them like any session, and shows them apart.
    let report = app
        .get(
            &format!("/api/v1/reports/usage?from={day}&to={day}"),
            &c.admin,
        )
        .await
        .expect(200)
        .json();
    let total = &report["total"];
    assert_eq!(total["sessions_booked"], 4, "{total}");
    assert_eq!(total["hours_used"], 10.0, "{total}");
    assert_eq!(total["sessions_recorded_after_the_fact"], 3, "{total}");
    assert_eq!(total["hours_recorded_after_the_fact"], 6.0, "{total}");
    let csv = app
        .get(
            &format!("/api/v1/reports/usage?from={day}&to={day}&format=csv"),
            &c.admin,
        )
        .await
        .expect(200)
        .text;
    let lines: Vec<Vec<&str>> = csv.lines().map(|l| l.split(';').collect()).collect();
    let column = lines[0]
        .iter()
        .position(|h| h.contains("séances enregistrées après coup"))
        .unwrap();
    let total = lines.last().unwrap();
    assert_eq!(total[0], "Total", "{csv}");
    assert_eq!(total[column], "3", "{csv}");
    assert_eq!(total[column + 1], "6", "{csv}");
}

on_both_databases!(
    managers_record_and_correct_usage,
    past_sessions_are_recorded_after_the_fact,
    only_past_confirmed_sessions_with_sound_records,
    service_requests_show_hours_used,
);
