//! Changes after creation: a booking changed into a conflict, past the platform's stations
//! or past a qualification is refused and stays as it was; a series changed from one
//! occurrence on; series all or nothing against closures, including closures created over
//! bookings that already exist.

use chrono::{Duration, NaiveDate, Weekday};
use serde_json::{json, Value};

use crate::on_both_databases;
use crate::rules_qualifications::staff;
use crate::support::dates::{at, next, today};
use crate::support::{campus, Campus, TestApp};

fn booth(c: &Campus, day: NaiveDate, from: &str, to: &str) -> Value {
    json!({
        "equipment_id": c.equipment_id, "starts_at": at(day, from), "ends_at": at(day, to),
        "group_label": "BTS CPRP 1", "learners": [{ "status": "school", "headcount": 1 }],
    })
}

fn stations(c: &Campus, n: i32, day: NaiveDate, from: &str, to: &str) -> Value {
    json!({
        "platform_id": c.platform_id, "stations": n, "starts_at": at(day, from), "ends_at": at(day, to),
        "group_label": "BTS CPRP 1", "learners": [{ "status": "school", "headcount": n }],
    })
}

fn id(value: &Value) -> String {
    value["id"].as_str().expect("id").to_owned()
}

/// A booking as its booker reads it, and its audit trail as the platform's manager does.
async fn state_of(app: &TestApp, c: &Campus, booking_id: &str) -> (Value, Value) {
    let booking = app
        .get(&format!("/api/v1/bookings/{booking_id}"), &c.teacher)
        .await
        .expect(200)
        .json();
    let history = app
        .get(
            &format!("/api/v1/bookings/{booking_id}/history"),
            &c.manager,
        )
        .await
        .expect(200)
        .json();
    (booking, history)
}

/// `(starts_at, ends_at, status, group_label)` of every occurrence of a series, in order.
fn occurrences(series: &Value) -> Vec<(String, String, String, String)> {
    series["occurrences"]
        .as_array()
        .unwrap_or_else(|| panic!("not a series: {series}"))
        .iter()
        .map(|o| {
            (
                o["starts_at"].as_str().unwrap().to_owned(),
                o["ends_at"].as_str().unwrap().to_owned(),
                o["status"].as_str().unwrap().to_owned(),
                o["group_label"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn occurrence(
    day: NaiveDate,
    from: &str,
    to: &str,
    status: &str,
    label: &str,
) -> (String, String, String, String) {
    (
        at(day, from),
        at(day, to),
        status.to_owned(),
        label.to_owned(),
    )
}

/// Each change re-runs the rule it could break; a refused change answers its own code and
/// leaves the booking and its audit trail exactly as they were. The same changes within
/// the rules go through.
async fn refused_changes_leave_the_booking_unchanged(app: TestApp) {
    let c = campus(&app).await;
    let day = next(Weekday::Tue, 28);
    // The teacher's welding qualification runs out three days after the session.
    app.post(
        &format!("/api/v1/users/{}/qualifications", c.teacher_id),
        &c.manager,
        json!({
            "qualification_id": c.qualification_id,
            "awarded_on": (today() - Duration::days(30)).to_string(),
            "expires_on": (day + Duration::days(3)).to_string(),
        }),
    )
    .await
    .expect(200);
    let unqualified = staff(&app, &c, "vacataire@campus.test", "Vacataire Atelier").await;
    let morning = id(&app
        .post(
            "/api/v1/bookings",
            &c.teacher,
            booth(&c, day, "08:00", "10:00"),
        )
        .await
        .expect(201)
        .json());
    let late_morning = id(&app
        .post(
            "/api/v1/bookings",
            &c.teacher,
            booth(&c, day, "10:00", "12:00"),
        )
        .await
        .expect(201)
        .json());
    app.post(
        "/api/v1/bookings",
        &c.teacher,
        stations(&c, 10, day, "13:30", "15:30"),
    )
    .await
    .expect(201);
    let small_group = id(&app
        .post(
            "/api/v1/bookings",
            &c.teacher,
            stations(&c, 2, day, "13:30", "15:30"),
        )
        .await
        .expect(201)
        .json());

    let refusals = [
        (
            &late_morning,
            json!({ "starts_at": at(day, "09:00"), "ends_at": at(day, "11:00") }),
            409,
            "booking_conflict",
        ),
        // 14 stations, 10 held by the other group: 5 do not fit.
        (
            &small_group,
            json!({ "stations": 5 }),
            409,
            "not_enough_stations",
        ),
        (
            &morning,
            json!({ "supervisor_id": unqualified }),
            422,
            "qualification_missing",
        ),
        // A week later the teacher's qualification has run out.
        (
            &morning,
            json!({
                "starts_at": at(day + Duration::days(7), "08:00"),
                "ends_at": at(day + Duration::days(7), "10:00"),
            }),
            422,
            "qualification_missing",
        ),
    ];
    for (booking_id, change, status, code) in refusals {
        let before = state_of(&app, &c, booking_id).await;
        app.patch(
            &format!("/api/v1/bookings/{booking_id}"),
            &c.teacher,
            change.clone(),
        )
        .await
        .problem(status, code);
        assert_eq!(
            state_of(&app, &c, booking_id).await,
            before,
            "{change} changed the booking"
        );
    }

    // Within the rules the same changes go through: the last 4 stations, the booth right
    // after the other session, the last day of the qualification.
    let changed = app
        .patch(
            &format!("/api/v1/bookings/{small_group}"),
            &c.teacher,
            json!({ "stations": 4 }),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(changed["stations"], 4);
    let changed = app
        .patch(
            &format!("/api/v1/bookings/{late_morning}"),
            &c.teacher,
            json!({ "starts_at": at(day, "10:30"), "ends_at": at(day, "12:00") }),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(changed["starts_at"], at(day, "10:30"));
    let last_day = day + Duration::days(3);
    let changed = app
        .patch(
            &format!("/api/v1/bookings/{morning}"),
            &c.teacher,
            json!({ "starts_at": at(last_day, "08:00"), "ends_at": at(last_day, "10:00") }),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(changed["starts_at"], at(last_day, "08:00"));
}

/// `PATCH /booking-series/{id}` with `from` changes that occurrence and the following ones
/// and leaves the earlier ones alone; a refusal on any of them changes none.
async fn a_series_changed_from_one_occurrence_on(app: TestApp) {
    let c = campus(&app).await;
    let first = next(Weekday::Tue, 14);
    let week = |n: i64| first + Duration::days(7 * n);
    let series = app
        .post(
            "/api/v1/booking-series",
            &c.teacher,
            json!({
                "first_occurrence": stations(&c, 4, first, "08:00", "10:00"),
                "rrule": "FREQ=WEEKLY;COUNT=5", "mode": "all_or_nothing",
            }),
        )
        .await
        .expect(201)
        .json();
    let series_id = id(&series);
    let path = format!("/api/v1/booking-series/{series_id}");
    let label = "BTS CPRP 1";
    let as_booked: Vec<_> = (0..5)
        .map(|n| occurrence(week(n), "08:00", "10:00", "confirmed", label))
        .collect();
    assert_eq!(occurrences(&series), as_booked);
    let from = series["occurrences"][2]["starts_at"]
        .as_str()
        .unwrap()
        .to_owned();

    // Another group holds 12 of the 14 stations on the last week's afternoon.
    let blocker = id(&app
        .post(
            "/api/v1/bookings",
            &c.manager,
            stations(&c, 12, week(4), "13:30", "15:30"),
        )
        .await
        .expect(201)
        .json());
    let change = json!({
        "from": from, "start_time": "13:30", "end_time": "15:30", "group_label": "BTS CPRP 1 – atelier",
    });
    let refused = app
        .patch(&path, &c.teacher, change.clone())
        .await
        .problem(409, "series_conflicts");
    let conflicts: Vec<(&str, &str)> = refused["extra"]["conflicts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["starts_at"].as_str().unwrap(),
                x["code"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        conflicts,
        [(at(week(4), "13:30").as_str(), "not_enough_stations")],
        "{refused}"
    );
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .starts_with("1 occurrence ne peut pas être modifiée ainsi ; rien n'a été changé."),
        "{refused}"
    );
    let unchanged = app.get(&path, &c.teacher).await.expect(200).json();
    assert_eq!(occurrences(&unchanged), as_booked);

    app.post(
        &format!("/api/v1/bookings/{blocker}/cancel"),
        &c.manager,
        json!({ "reason": "Séance déplacée" }),
    )
    .await
    .expect(200);
    let changed = app
        .patch(&path, &c.teacher, change)
        .await
        .expect(200)
        .json();
    let expected: Vec<_> = (0..5)
        .map(|n| match n {
            0 | 1 => occurrence(week(n), "08:00", "10:00", "confirmed", label),
            _ => occurrence(
                week(n),
                "13:30",
                "15:30",
                "confirmed",
                "BTS CPRP 1 – atelier",
            ),
        })
        .collect();
    assert_eq!(occurrences(&changed), expected);
    // The same ids, read back.
    let ids = |s: &Value| -> Vec<String> {
        s["occurrences"]
            .as_array()
            .unwrap()
            .iter()
            .map(id)
            .collect()
    };
    assert_eq!(ids(&changed), ids(&series));
    let read = app.get(&path, &c.teacher).await.expect(200).json();
    assert_eq!(occurrences(&read), expected);
}

/// Occurrences in a closure are skipped and listed even in `all_or_nothing` mode, including
/// on a day whose stations are also taken (the closure is what the occurrence meets first);
/// other refusals still refuse the whole series. A closure created later over an occurrence
/// refuses a change of the series' times (all or nothing) until that occurrence goes.
async fn closures_and_series_all_or_nothing(app: TestApp) {
    let c = campus(&app).await;
    let first = next(Weekday::Tue, 14);
    let week = |n: i64| first + Duration::days(7 * n);
    // Ten stations taken on weeks 1 and 2, then week 2 closed over that booking.
    let week_one = id(&app
        .post(
            "/api/v1/bookings",
            &c.manager,
            stations(&c, 10, week(1), "08:00", "10:00"),
        )
        .await
        .expect(201)
        .json());
    let week_two = id(&app
        .post(
            "/api/v1/bookings",
            &c.manager,
            stations(&c, 10, week(2), "08:00", "10:00"),
        )
        .await
        .expect(201)
        .json());
    app.post(
        "/api/v1/closures",
        &c.manager,
        json!({
            "scope": "platform", "scope_id": c.platform_id, "name": "Inventaire",
            "starts_at": at(week(2), "00:00"), "ends_at": at(week(3), "00:00"),
        }),
    )
    .await
    .expect(201);
    let series = json!({
        "first_occurrence": stations(&c, 6, first, "08:00", "10:00"),
        "rrule": "FREQ=WEEKLY;COUNT=4", "mode": "all_or_nothing",
    });
    let before = app.count("bookings").await;
    let refused = app
        .post("/api/v1/booking-series", &c.teacher, series.clone())
        .await
        .problem(409, "series_conflicts");
    let codes = |list: &Value| -> Vec<(String, String)> {
        list.as_array()
            .unwrap_or_else(|| panic!("not a list: {list}"))
            .iter()
            .map(|x| {
                (
                    x["starts_at"].as_str().unwrap().to_owned(),
                    x["code"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let closed = vec![(at(week(2), "08:00"), "closed".to_owned())];
    assert_eq!(
        codes(&refused["extra"]["conflicts"]),
        [(at(week(1), "08:00"), "not_enough_stations".to_owned())],
        "{refused}"
    );
    assert_eq!(codes(&refused["extra"]["skipped"]), closed, "{refused}");
    assert_eq!(app.count("bookings").await, before);
    assert_eq!(app.count("booking_series").await, 0);

    // Week 1 freed: the series is booked but for the closed week, which is listed.
    app.post(
        &format!("/api/v1/bookings/{week_one}/cancel"),
        &c.manager,
        json!({ "reason": "Groupe absent" }),
    )
    .await
    .expect(200);
    let created = app
        .post("/api/v1/booking-series", &c.teacher, series)
        .await
        .expect(201)
        .json();
    let label = "BTS CPRP 1";
    assert_eq!(
        occurrences(&created),
        [0, 1, 3].map(|n| occurrence(week(n), "08:00", "10:00", "confirmed", label))
    );
    assert_eq!(codes(&created["skipped"]), closed);
    // The booking the closure was created over is left to its managers.
    let kept = app
        .get(&format!("/api/v1/bookings/{week_two}"), &c.manager)
        .await
        .expect(200)
        .json();
    assert_eq!(kept["status"], "confirmed");

    // A closure created over the last occurrence: moving the series' times is refused as a
    // whole, naming that occurrence, until it is cancelled.
    app.post(
        "/api/v1/closures",
        &c.manager,
        json!({
            "scope": "platform", "scope_id": c.platform_id, "name": "Journée pédagogique",
            "starts_at": at(week(3), "00:00"), "ends_at": at(week(4), "00:00"),
        }),
    )
    .await
    .expect(201);
    let path = format!("/api/v1/booking-series/{}", id(&created));
    let change = json!({ "start_time": "13:30", "end_time": "15:30" });
    let refused = app
        .patch(&path, &c.teacher, change.clone())
        .await
        .problem(409, "series_conflicts");
    assert_eq!(
        codes(&refused["extra"]["conflicts"]),
        [(at(week(3), "13:30"), "closed".to_owned())],
        "{refused}"
    );
    let unchanged = app.get(&path, &c.teacher).await.expect(200).json();
    assert_eq!(occurrences(&unchanged), occurrences(&created));
    let last = id(&created["occurrences"][2]);
    app.post(
        &format!("/api/v1/bookings/{last}/cancel"),
        &c.teacher,
        json!({ "reason": "Journée pédagogique" }),
    )
    .await
    .expect(200);
    let moved = app
        .patch(&path, &c.teacher, change)
        .await
        .expect(200)
        .json();
    assert_eq!(
        occurrences(&moved),
        [
            occurrence(week(0), "13:30", "15:30", "confirmed", label),
            occurrence(week(1), "13:30", "15:30", "confirmed", label),
            occurrence(week(3), "08:00", "10:00", "cancelled", label),
        ]
    );
}

on_both_databases!(
    refused_changes_leave_the_booking_unchanged,
    a_series_changed_from_one_occurrence_on,
    closures_and_series_all_or_nothing,
);
