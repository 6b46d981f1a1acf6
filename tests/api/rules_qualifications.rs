//! The qualification rule through the API: the dates of an award against the booking's
//! dates, and whose qualification counts when a supervisor is named. Every date is counted
//! from today, so that no award ever expires under the suite's feet.

use chrono::{Duration, NaiveDate, Weekday};
use serde_json::{json, Value};

use crate::on_both_databases;
use crate::support::dates::{at, next, today};
use crate::support::{activate, campus, id_of, Campus, TestApp, PASSWORD};

/// The welding booth, which requires the campus' welding qualification, from `from` on
/// `day` to `to` on `last_day`.
fn booth(c: &Campus, day: NaiveDate, from: &str, last_day: NaiveDate, to: &str) -> Value {
    json!({
        "equipment_id": c.equipment_id, "starts_at": at(day, from), "ends_at": at(last_day, to),
        "group_label": "CAP RICS 1", "learners": [{ "status": "school", "headcount": 1 }],
    })
}

/// The booth with `supervisor_id` as the supervising staff member.
fn supervised(c: &Campus, day: NaiveDate, from: &str, to: &str, supervisor_id: &str) -> Value {
    let mut body = booth(c, day, from, day, to);
    body["supervisor_id"] = json!(supervisor_id);
    body
}

/// Awards (or renews) the welding qualification, as a platform manager does.
async fn award(
    app: &TestApp,
    c: &Campus,
    user_id: &str,
    awarded_on: NaiveDate,
    expires_on: NaiveDate,
) {
    let held = app
        .post(
            &format!("/api/v1/users/{user_id}/qualifications"),
            &c.manager,
            json!({
                "qualification_id": c.qualification_id,
                "awarded_on": awarded_on.to_string(),
                "expires_on": expires_on.to_string(),
            }),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(held[0]["expires_on"], expires_on.to_string(), "{held}");
}

/// A staff member of the lycée owning the platform, invited and confirmed.
pub async fn staff(app: &TestApp, c: &Campus, email: &str, name: &str) -> String {
    let id = id_of(
        app.post(
            "/api/v1/users",
            &c.admin,
            json!({
                "email": email, "display_name": name, "role": "teacher",
                "organisation_id": c.lycee_id, "managed_platform_ids": [],
            }),
        )
        .await
        .expect(201),
    );
    activate(app, &c.admin, &id, PASSWORD).await;
    id
}

/// The `starts_at` and `code` of each occurrence listed in a series' `skipped` or a
/// refusal's `conflicts`.
fn listed(occurrences: &Value) -> Vec<(String, String)> {
    occurrences
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {occurrences}"))
        .iter()
        .map(|o| {
            (
                o["starts_at"].as_str().unwrap().to_owned(),
                o["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// An award is valid from its date to its expiry, both included, and must cover every day
/// of the booking: an expiry before the booking or during it refuses it; one on its last
/// day or after it does not. A series is refused (or skips) the occurrences past the expiry.
async fn qualification_dates_against_the_booking(app: TestApp) {
    let c = campus(&app).await;
    let day = next(Weekday::Tue, 28);
    let awarded = today() - Duration::days(30);

    // Expired the day before the session.
    award(&app, &c, &c.teacher_id, awarded, day - Duration::days(1)).await;
    let before = app.count("bookings").await;
    let refused = app
        .post(
            "/api/v1/bookings",
            &c.teacher,
            booth(&c, day, "08:00", day, "10:00"),
        )
        .await
        .problem(422, "qualification_missing");
    let detail = refused["detail"].as_str().unwrap();
    assert!(detail.contains("Soudage"), "{refused}");
    assert!(
        detail.contains(&day.format("%d/%m/%Y").to_string()),
        "{refused}"
    );
    assert_eq!(app.count("bookings").await, before);

    // Expiring on the day of the session: still valid that day.
    award(&app, &c, &c.teacher_id, awarded, day).await;
    app.post(
        "/api/v1/bookings",
        &c.teacher,
        booth(&c, day, "08:00", day, "10:00"),
    )
    .await
    .expect(201);
    // Expiring well after it.
    award(&app, &c, &c.teacher_id, awarded, day + Duration::days(60)).await;
    app.post(
        "/api/v1/bookings",
        &c.teacher,
        booth(&c, day, "10:00", day, "12:00"),
    )
    .await
    .expect(201);

    // A weekly series whose qualification expires between its second and third sessions.
    let first = day + Duration::days(7);
    award(&app, &c, &c.teacher_id, awarded, first + Duration::days(10)).await;
    let series = |mode: &str| {
        json!({
            "first_occurrence": booth(&c, first, "13:30", first, "15:30"),
            "rrule": "FREQ=WEEKLY;COUNT=4", "mode": mode,
        })
    };
    let after_expiry = vec![
        (
            at(first + Duration::days(14), "13:30"),
            "qualification_missing".to_owned(),
        ),
        (
            at(first + Duration::days(21), "13:30"),
            "qualification_missing".to_owned(),
        ),
    ];
    let before = app.count("bookings").await;
    let refused = app
        .post(
            "/api/v1/booking-series",
            &c.teacher,
            series("all_or_nothing"),
        )
        .await
        .problem(409, "series_conflicts");
    assert_eq!(
        listed(&refused["extra"]["conflicts"]),
        after_expiry,
        "{refused}"
    );
    assert_eq!(app.count("bookings").await, before);
    assert_eq!(app.count("booking_series").await, 0);
    let skipping = app
        .post(
            "/api/v1/booking-series",
            &c.teacher,
            series("skip_conflicts"),
        )
        .await
        .expect(201)
        .json();
    let booked: Vec<&str> = skipping["occurrences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["starts_at"].as_str().unwrap())
        .collect();
    assert_eq!(
        booked,
        [at(first, "13:30"), at(first + Duration::days(7), "13:30")],
        "{skipping}"
    );
    assert_eq!(listed(&skipping["skipped"]), after_expiry, "{skipping}");

    // A booking over several days: the platform opens round the clock and takes bookings of
    // up to three days. Thursday 16:00 to Saturday 10:00 needs an award valid on Saturday.
    let hours: Vec<Value> = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ]
    .iter()
    .map(|d| json!({ "weekday": d, "opens": "00:00", "closes": "24:00" }))
    .collect();
    app.patch(
        &format!("/api/v1/platforms/{}", c.platform_id),
        &c.admin,
        json!({
            "opening_hours": hours,
            "booking_policy": {
                "who_may_book": "campus_members", "outside_requires_approval": true,
                "min_notice_hours": 24, "max_horizon_days": 365, "max_duration_minutes": 3 * 24 * 60,
            },
        }),
    )
    .await
    .expect(200);
    let (thursday, saturday) = (day + Duration::days(2), day + Duration::days(4));
    let long = booth(&c, thursday, "16:00", saturday, "10:00");
    // Expiring on the Friday, while the booking runs.
    award(
        &app,
        &c,
        &c.teacher_id,
        awarded,
        saturday - Duration::days(1),
    )
    .await;
    let before = app.count("bookings").await;
    app.post("/api/v1/bookings", &c.teacher, long.clone())
        .await
        .problem(422, "qualification_missing");
    assert_eq!(app.count("bookings").await, before);
    // Expiring on its last day.
    award(&app, &c, &c.teacher_id, awarded, saturday).await;
    let booked = app
        .post("/api/v1/bookings", &c.teacher, long)
        .await
        .expect(201)
        .json();
    assert_eq!(booked["ends_at"], at(saturday, "10:00"));
}

/// The supervisor's qualification gates the booking when there is one, the booker's
/// otherwise: a qualified supervisor covers a booker who holds none, and an unqualified
/// (or expired) supervisor is refused even for a qualified booker. The refusal names the
/// person whose qualification is missing.
async fn the_supervisor_qualification_counts(app: TestApp) {
    let c = campus(&app).await;
    let day = next(Weekday::Wed, 28);
    let awarded = today() - Duration::days(30);
    let supervisor = staff(&app, &c, "encadrant@campus.test", "Encadrant Soudure").await;
    let unqualified = staff(&app, &c, "vacataire@campus.test", "Vacataire Atelier").await;
    award(&app, &c, &supervisor, awarded, day + Duration::days(90)).await;

    // The teacher holds no qualification: the qualified supervisor covers them.
    let booked = app
        .post(
            "/api/v1/bookings",
            &c.teacher,
            supervised(&c, day, "08:00", "10:00", &supervisor),
        )
        .await
        .expect(201)
        .json();
    assert_eq!(
        (&booked["supervisor_id"], &booked["booker_id"]),
        (&json!(supervisor), &json!(c.teacher_id))
    );
    // Neither holds it.
    let before = app.count("bookings").await;
    let refused = app
        .post(
            "/api/v1/bookings",
            &c.teacher,
            supervised(&c, day, "10:00", "12:00", &unqualified),
        )
        .await
        .problem(422, "qualification_missing");
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .contains("Vacataire Atelier"),
        "{refused}"
    );
    assert_eq!(app.count("bookings").await, before);

    // The booker holds it and the supervisor does not: the supervisor's counts.
    award(&app, &c, &c.teacher_id, awarded, day + Duration::days(90)).await;
    let refused = app
        .post(
            "/api/v1/bookings",
            &c.teacher,
            supervised(&c, day, "10:00", "12:00", &unqualified),
        )
        .await
        .problem(422, "qualification_missing");
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .contains("Vacataire Atelier"),
        "{refused}"
    );
    assert_eq!(app.count("bookings").await, before);
    // Without a supervisor, the booker's own qualification counts.
    app.post(
        "/api/v1/bookings",
        &c.teacher,
        booth(&c, day, "10:00", day, "12:00"),
    )
    .await
    .expect(201);

    // A supervisor whose award expired before the session no longer covers anyone, however
    // qualified the booker.
    award(&app, &c, &supervisor, awarded, day - Duration::days(1)).await;
    let refused = app
        .post(
            "/api/v1/bookings",
            &c.teacher,
            supervised(&c, day, "13:30", "15:30", &supervisor),
        )
        .await
        .problem(422, "qualification_missing");
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .contains("Encadrant Soudure"),
        "{refused}"
    );
    assert_eq!(app.count("bookings").await, before + 1);
}

on_both_databases!(
    qualification_dates_against_the_booking,
    the_supervisor_qualification_counts,
);
