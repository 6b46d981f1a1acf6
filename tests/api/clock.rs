//! The application's clock drives what depends on the time: the booking rules, the usage
//! of past sessions, access tokens and "today". Each test fixes its date and moves it.

use chrono::{Duration, NaiveDate};
use serde_json::json;

use crate::on_both_databases;
use crate::support::{campus, station_booking, TestApp};

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

/// Booked on Monday for Wednesday; on Thursday the same slot is in the past, and the
/// session can be recorded.
async fn bookings_follow_the_clock(app: TestApp) {
    let mut c = campus(&app).await;
    assert_eq!(app.today(), day("2026-10-05"));
    let wednesday = station_booking(&c.platform_id, day("2026-10-07"), "08:00", "12:00");
    let booked = app
        .post("/api/v1/bookings", &c.teacher, wednesday.clone())
        .await
        .expect(201)
        .json();
    let id = booked["id"].as_str().unwrap().to_owned();
    let usage = json!({ "no_show": true });
    let usage_path = format!("/api/v1/bookings/{id}/usage");
    app.call(
        actix_web::http::Method::PUT,
        &usage_path,
        Some(&c.manager),
        Some(usage.clone()),
        &[],
    )
    .await
    .problem(409, "not_yet_past");

    app.advance(Duration::days(3));
    c.log_in_again(&app).await;
    assert_eq!(app.today(), day("2026-10-08"));
    let bookings = app.count("bookings").await;
    app.post("/api/v1/bookings", &c.teacher, wednesday)
        .await
        .problem(422, "in_the_past");
    assert_eq!(app.count("bookings").await, bookings);
    app.call(
        actix_web::http::Method::PUT,
        &usage_path,
        Some(&c.manager),
        Some(usage),
        &[],
    )
    .await
    .expect(200);
}

/// An access token lasts 15 minutes of the application's clock.
async fn access_tokens_expire_by_the_clock(app: TestApp) {
    let c = campus(&app).await;
    app.advance(Duration::minutes(14));
    app.get("/api/v1/me", &c.teacher).await.expect(200);
    app.advance(Duration::minutes(2));
    let problem = app
        .get("/api/v1/me", &c.teacher)
        .await
        .problem(401, "unauthenticated");
    assert!(
        problem["detail"].as_str().unwrap().contains("expiré"),
        "{problem}"
    );
}

/// An award may not be dated after today, the clock's today in the campus time zone.
async fn today_is_the_clock_s(app: TestApp) {
    let mut c = campus(&app).await;
    let path = format!("/api/v1/users/{}/qualifications", c.teacher_id);
    let tomorrow = json!({ "qualification_id": c.qualification_id, "awarded_on": "2026-10-06" });
    let refused = app
        .post(&path, &c.manager, tomorrow.clone())
        .await
        .problem(422, "validation_failed");
    assert_eq!(refused["errors"][0]["code"], "in_future", "{refused}");
    // 23:30 in Paris is still the 5th; half an hour later it is the 6th.
    app.set_time("2026-10-05T23:30:00+02:00");
    c.log_in_again(&app).await;
    let refused = app
        .post(&path, &c.manager, tomorrow.clone())
        .await
        .problem(422, "validation_failed");
    assert_eq!(refused["errors"][0]["code"], "in_future", "{refused}");
    app.advance(Duration::minutes(30));
    c.log_in_again(&app).await;
    let held = app
        .post(&path, &c.manager, tomorrow)
        .await
        .expect(200)
        .json();
    assert_eq!(held[0]["awarded_on"], "2026-10-06");
    assert_eq!(held[0]["valid_today"], true);
}

on_both_databases!(at "2026-10-05T08:00:00+02:00":
    bookings_follow_the_clock,
    access_tokens_expire_by_the_clock,
    today_is_the_clock_s,
);
