//! The booking engine through the API: rules, approval, scope, concurrency, series,
//! closures, maintenance, availability and calendar feeds.

use actix_web::http::Method;
use chrono::{Datelike, Duration, NaiveDate, Utc, Weekday};
use serde_json::{json, Value};

use crate::on_both_databases;
use crate::support::dates::{at, next, today, urlencode};
use crate::support::{campus, station_booking, Campus, TestApp};

fn booking(c: &Campus, date: NaiveDate, from: &str, to: &str) -> Value {
    json!({
        "equipment_id": c.equipment_id, "starts_at": at(date, from), "ends_at": at(date, to),
        "group_label": "BTS CPRP 1", "learners": [{ "status": "school", "headcount": 1 }],
    })
}

async fn qualify(app: &TestApp, c: &Campus, user_id: &str) {
    app.post(
        &format!("/api/v1/users/{user_id}/qualifications"),
        &c.manager,
        json!({
            "qualification_id": c.qualification_id, "awarded_on": today().to_string(),
        }),
    )
    .await
    .expect(200);
}

async fn equipment_rules_and_conflicts(app: TestApp) {
    let c = campus(&app).await;
    let tuesday = next(Weekday::Tue, 7);
    // The booth needs the welding qualification: refused, then allowed once awarded.
    let refused = app
        .post(
            "/api/v1/bookings",
            &c.teacher,
            booking(&c, tuesday, "08:00", "10:00"),
        )
        .await
        .problem(422, "qualification_missing");
    assert!(
        refused["detail"].as_str().unwrap().contains("Soudage"),
        "{refused}"
    );
    assert_eq!(app.count("bookings").await, 0);
    qualify(&app, &c, &c.teacher_id).await;
    let first = app
        .post(
            "/api/v1/bookings",
            &c.teacher,
            booking(&c, tuesday, "08:00", "10:00"),
        )
        .await
        .expect(201)
        .json();
    assert_eq!(
        first["status"], "confirmed",
        "the owner's own staff need no approval"
    );
    assert_eq!(first["starts_at"], at(tuesday, "08:00"));
    assert_eq!(first["platform_id"], c.platform_id.as_str());
    assert_eq!(first["total_headcount"], 1);

    // Overlap refused; back to back accepted.
    app.post(
        "/api/v1/bookings",
        &c.teacher,
        booking(&c, tuesday, "09:00", "11:00"),
    )
    .await
    .problem(409, "booking_conflict");
    app.post(
        "/api/v1/bookings",
        &c.teacher,
        booking(&c, tuesday, "10:00", "12:00"),
    )
    .await
    .expect(201);

    // Each rule answers with its own code.
    let cases = [
        (
            booking(&c, tuesday, "12:00", "14:00"),
            422,
            "outside_opening_hours",
        ),
        (
            booking(&c, next(Weekday::Sat, 7), "09:00", "10:00"),
            422,
            "outside_opening_hours",
        ),
        (
            booking(&c, today() + Duration::days(400), "09:00", "10:00"),
            422,
            "beyond_horizon",
        ),
        (
            booking(&c, today() - Duration::days(3), "09:00", "10:00"),
            422,
            "in_the_past",
        ),
        (
            booking(&c, tuesday, "10:00", "09:00"),
            422,
            "validation_failed",
        ),
        (
            json!({ "platform_id": c.platform_id, "stations": 2, "equipment_id": c.equipment_id, "starts_at": at(tuesday, "14:00"), "ends_at": at(tuesday, "15:00") }),
            422,
            "validation_failed",
        ),
        (
            json!({ "platform_id": c.platform_id, "starts_at": at(tuesday, "14:00"), "ends_at": at(tuesday, "15:00") }),
            422,
            "validation_failed",
        ),
    ];
    for (body, status, code) in cases {
        app.post("/api/v1/bookings", &c.teacher, body)
            .await
            .problem(status, code);
    }
    // Notice: tomorrow is closer than the 24 h the policy asks, whatever the hour.
    let soon = Utc::now() + Duration::hours(2);
    app.post("/api/v1/bookings", &c.teacher, json!({
        "equipment_id": c.equipment_id, "starts_at": soon.to_rfc3339(), "ends_at": (soon + Duration::hours(1)).to_rfc3339(),
    }))
    .await
    .problem(422, "notice_too_short");
    // Longer than the policy's 8 hours: a platform open all day long shows it.
    app.patch(
        &format!("/api/v1/platforms/{}", c.platform_id),
        &c.manager,
        json!({
            "opening_hours": [{ "weekday": "wednesday", "opens": "00:00", "closes": "24:00" }],
        }),
    )
    .await
    .expect(200);
    let wednesday = next(Weekday::Wed, 7);
    app.post(
        "/api/v1/bookings",
        &c.teacher,
        booking(&c, wednesday, "06:00", "15:00"),
    )
    .await
    .problem(422, "duration_too_long");
    assert_eq!(app.count("bookings").await, 2);
}

async fn stations_are_shared_until_full(app: TestApp) {
    let c = campus(&app).await;
    let thursday = next(Weekday::Thu, 7);
    let stations = |n: i32, from: &str, to: &str| {
        json!({
            "platform_id": c.platform_id, "stations": n, "starts_at": at(thursday, from), "ends_at": at(thursday, to),
            "group_label": "CAP soudure", "learners": [{ "status": "school", "headcount": 8 }, { "status": "apprentice", "headcount": 4 }],
        })
    };
    let class = app
        .post(
            "/api/v1/bookings",
            &c.teacher,
            stations(12, "08:00", "12:00"),
        )
        .await
        .expect(201)
        .json();
    assert_eq!(class["total_headcount"], 12);
    assert_eq!(class["learners"].as_array().unwrap().len(), 2);
    let problem = app
        .post(
            "/api/v1/bookings",
            &c.teacher,
            stations(3, "10:00", "11:00"),
        )
        .await
        .problem(409, "not_enough_stations");
    assert_eq!(
        problem["detail"], "Il reste 2 postes libres sur 14 à ce créneau ; 3 demandés.",
        "{problem}"
    );
    app.post(
        "/api/v1/bookings",
        &c.teacher,
        stations(2, "10:00", "11:00"),
    )
    .await
    .expect(201);
    let problem = app
        .post(
            "/api/v1/bookings",
            &c.teacher,
            stations(1, "10:00", "11:00"),
        )
        .await
        .problem(409, "not_enough_stations");
    assert_eq!(
        problem["detail"], "Aucun poste libre sur 14 à ce créneau ; 1 demandé.",
        "{problem}"
    );
    app.post(
        "/api/v1/bookings",
        &c.teacher,
        stations(14, "13:30", "17:30"),
    )
    .await
    .expect(201);

    // Availability shows the free stations in each slot.
    let day = at(thursday, "00:00");
    let next_day = at(thursday + Duration::days(1), "00:00");
    let url = format!(
        "/api/v1/availability?platform_id={}&from={}&to={}",
        c.platform_id,
        urlencode(&day),
        urlencode(&next_day)
    );
    let availability = app.get(&url, &c.company).await.expect(200).json();
    let slots: Vec<(String, String, i64)> = availability["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["starts_at"].as_str().unwrap().to_owned(),
                s["ends_at"].as_str().unwrap().to_owned(),
                s["free_stations"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        slots,
        vec![
            (at(thursday, "08:00"), at(thursday, "10:00"), 2),
            (at(thursday, "11:00"), at(thursday, "12:00"), 2),
        ],
        "10:00–11:00 and the afternoon are full"
    );

    // A booking of one of the platform's machines holds that machine, not stations; and the
    // stations booked hold no machine.
    qualify(&app, &c, &c.teacher_id).await;
    app.post(
        "/api/v1/bookings",
        &c.teacher,
        booking(&c, thursday, "08:00", "09:00"),
    )
    .await
    .expect(201);
    let again = app.get(&url, &c.company).await.expect(200).json();
    assert_eq!(again["items"], availability["items"]);
    let machine_url = format!(
        "/api/v1/availability?equipment_id={}&from={}&to={}",
        c.equipment_id,
        urlencode(&day),
        urlencode(&next_day)
    );
    let machine = app.get(&machine_url, &c.company).await.expect(200).json();
    let free: Vec<(&str, &str)> = machine["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["starts_at"].as_str().unwrap(),
                s["ends_at"].as_str().unwrap(),
            )
        })
        .collect();
    let (nine, noon) = (at(thursday, "09:00"), at(thursday, "12:00"));
    let (half_past_one, half_past_five) = (at(thursday, "13:30"), at(thursday, "17:30"));
    assert_eq!(
        free,
        vec![
            (nine.as_str(), noon.as_str()),
            (half_past_one.as_str(), half_past_five.as_str())
        ]
    );

    // One station left: the refusal says it in the singular.
    app.post(
        "/api/v1/bookings",
        &c.teacher,
        stations(1, "11:00", "12:00"),
    )
    .await
    .expect(201);
    let problem = app
        .post(
            "/api/v1/bookings",
            &c.teacher,
            stations(2, "11:00", "12:00"),
        )
        .await
        .problem(409, "not_enough_stations");
    assert_eq!(
        problem["detail"], "Il reste 1 poste libre sur 14 à ce créneau ; 2 demandés.",
        "{problem}"
    );

    // A period that ends before it starts, or as it starts, holds no free time.
    for (from, to) in [(&next_day, &day), (&day, &day)] {
        let empty = app
            .get(
                &format!(
                    "/api/v1/availability?platform_id={}&from={}&to={}",
                    c.platform_id,
                    urlencode(from),
                    urlencode(to)
                ),
                &c.company,
            )
            .await
            .expect(200)
            .json();
        assert_eq!(empty["items"], json!([]), "{empty}");
        assert_eq!(empty["stations"], 14, "{empty}");
    }
    // The rules that tie parameters together: a platform or an item, 62 days at most.
    let problem = app
        .get(
            &format!(
                "/api/v1/availability?from={}&to={}",
                urlencode(&day),
                urlencode(&next_day)
            ),
            &c.company,
        )
        .await
        .problem(422, "validation_failed");
    assert_eq!(problem["errors"][0]["field"], "platform_id", "{problem}");
    assert_eq!(problem["errors"][0]["code"], "required", "{problem}");
    let problem = app
        .get(
            &format!(
                "/api/v1/availability?platform_id={}&from={}&to={}",
                c.platform_id,
                urlencode(&day),
                urlencode(&at(thursday + Duration::days(63), "00:00"))
            ),
            &c.company,
        )
        .await
        .problem(422, "validation_failed");
    assert_eq!(problem["errors"][0]["field"], "to", "{problem}");
    assert_eq!(problem["errors"][0]["code"], "period_too_long", "{problem}");
}

async fn outside_bookings_wait_for_approval(app: TestApp) {
    let c = campus(&app).await;
    let friday = next(Weekday::Fri, 7);
    let body = json!({ "platform_id": c.platform_id, "stations": 4, "starts_at": at(friday, "08:00"), "ends_at": at(friday, "10:00"), "group_label": "1re Bac Pro" });
    let pending = app
        .post("/api/v1/bookings", &c.other_teacher, body.clone())
        .await
        .expect(201)
        .json();
    assert_eq!(pending["status"], "pending");
    let id = pending["id"].as_str().unwrap();
    // The booker cannot approve its own booking; the platform's manager can.
    app.post(
        &format!("/api/v1/bookings/{id}/approve"),
        &c.other_teacher,
        json!({}),
    )
    .await
    .problem(403, "forbidden");
    app.post(
        &format!("/api/v1/bookings/{id}/reject"),
        &c.manager,
        json!({}),
    )
    .await
    .problem(422, "validation_failed");
    let approved = app
        .post(
            &format!("/api/v1/bookings/{id}/approve"),
            &c.manager,
            json!({}),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(approved["status"], "confirmed");
    assert_eq!(approved["decided_by"], c.manager_id.as_str());
    let problem = app
        .post(
            &format!("/api/v1/bookings/{id}/approve"),
            &c.manager,
            json!({}),
        )
        .await
        .problem(409, "invalid_transition");
    assert_eq!(problem["extra"]["allowed_actions"], json!(["cancel"]));

    // Moving a confirmed outside booking asks for approval again.
    let moved = app
        .patch(
            &format!("/api/v1/bookings/{id}"),
            &c.other_teacher,
            json!({ "starts_at": at(friday, "13:30"), "ends_at": at(friday, "15:30") }),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(moved["status"], "pending");
    assert_eq!(moved["starts_at"], at(friday, "13:30"));

    // Rejection and cancellation keep their reason; a rejected booking is final.
    let rejected = app
        .post(
            &format!("/api/v1/bookings/{id}/reject"),
            &c.manager,
            json!({ "reason": "Atelier réservé aux examens" }),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(rejected["status"], "rejected");
    assert_eq!(rejected["status_reason"], "Atelier réservé aux examens");
    app.post(
        &format!("/api/v1/bookings/{id}/cancel"),
        &c.other_teacher,
        json!({ "reason": "x" }),
    )
    .await
    .problem(409, "invalid_transition");

    // The audit trail lists every step, for managers only.
    let history = app
        .get(&format!("/api/v1/bookings/{id}/history"), &c.manager)
        .await
        .expect(200)
        .json();
    let actions: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["created", "approve", "updated", "reject"]);
    app.get(&format!("/api/v1/bookings/{id}/history"), &c.other_teacher)
        .await
        .problem(403, "forbidden");

    // A company may not book a platform open to campus members only.
    app.post("/api/v1/bookings", &c.company, body)
        .await
        .problem(403, "booking_not_allowed");
    app.post("/api/v1/bookings", &c.observer, json!({ "platform_id": c.platform_id, "stations": 1, "starts_at": at(friday, "08:00"), "ends_at": at(friday, "09:00") }))
        .await
        .problem(403, "booking_not_allowed");
}

async fn companies_see_only_their_own_bookings(app: TestApp) {
    let c = campus(&app).await;
    app.patch(&format!("/api/v1/platforms/{}", c.platform_id), &c.manager, json!({
        "booking_policy": { "who_may_book": "anyone", "outside_requires_approval": true, "min_notice_hours": 24, "max_horizon_days": 365, "max_duration_minutes": 480 },
    }))
    .await
    .expect(200);
    let monday = next(Weekday::Mon, 7);
    let own = app
        .post("/api/v1/bookings", &c.company, json!({ "platform_id": c.platform_id, "stations": 1, "starts_at": at(monday, "08:00"), "ends_at": at(monday, "10:00"), "learners": [{ "status": "company", "headcount": 1 }] }))
        .await
        .expect(201)
        .json();
    assert_eq!(own["status"], "pending");
    let id = own["id"].as_str().unwrap();
    // Another company, a teacher of another organisation and the observer get nothing.
    for token in [&c.other_company, &c.other_teacher] {
        app.get(&format!("/api/v1/bookings/{id}"), token)
            .await
            .problem(404, "not_found");
        app.patch(
            &format!("/api/v1/bookings/{id}"),
            token,
            json!({ "purpose": "x" }),
        )
        .await
        .problem(404, "not_found");
        app.post(
            &format!("/api/v1/bookings/{id}/cancel"),
            token,
            json!({ "reason": "x" }),
        )
        .await
        .problem(404, "not_found");
        let listed = app.get("/api/v1/bookings", token).await.expect(200).json();
        assert!(
            listed["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|b| b["id"] != id),
            "{listed}"
        );
    }
    app.get(&format!("/api/v1/bookings/{id}"), &c.observer)
        .await
        .problem(404, "not_found");
    app.get("/api/v1/bookings", &c.observer)
        .await
        .problem(403, "forbidden");
    // The company itself and the platform's manager see it.
    app.get(&format!("/api/v1/bookings/{id}"), &c.company)
        .await
        .expect(200);
    let managed = app
        .get(
            &format!("/api/v1/bookings?platform_id={}", c.platform_id),
            &c.manager,
        )
        .await
        .expect(200)
        .json();
    assert_eq!(managed["items"].as_array().unwrap().len(), 1);
    let cancelled = app
        .post(
            &format!("/api/v1/bookings/{id}/cancel"),
            &c.company,
            json!({ "reason": "Projet reporté" }),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(cancelled["status"], "cancelled");
}

async fn concurrent_requests_never_double_book(app: TestApp) {
    let c = campus(&app).await;
    qualify(&app, &c, &c.teacher_id).await;
    let tuesday = next(Weekday::Tue, 7);
    let body = booking(&c, tuesday, "08:00", "12:00");
    let requests = (0..50).map(|_| {
        app.call(
            Method::POST,
            "/api/v1/bookings",
            Some(&c.teacher),
            Some(body.clone()),
            &[],
        )
    });
    let replies = futures_util::future::join_all(requests).await;
    let created = replies.iter().filter(|r| r.status.as_u16() == 201).count();
    let conflicts = replies
        .iter()
        .filter(|r| r.status.as_u16() == 409 && r.json()["code"] == "booking_conflict")
        .count();
    let others: Vec<String> = replies
        .iter()
        .filter(|r| ![201, 409].contains(&r.status.as_u16()))
        .map(|r| r.text.clone())
        .collect();
    assert_eq!(
        (created, conflicts),
        (1, 49),
        "unexpected answers: {others:?}"
    );
    assert_eq!(app.count("bookings").await, 1);
}

/// Requests arriving together are written together: the booking writer takes those it
/// finds waiting into one transaction. Each still gets the answer it would get alone, and a
/// refused request costs no other its booking.
async fn concurrent_requests_get_their_own_answers(app: TestApp) {
    let c = campus(&app).await;
    qualify(&app, &c, &c.teacher_id).await;
    let (tuesday, wednesday, thursday) = (
        next(Weekday::Tue, 7),
        next(Weekday::Wed, 7),
        next(Weekday::Thu, 7),
    );
    let stations = |n: i32| {
        json!({
            "platform_id": c.platform_id, "stations": n, "starts_at": at(thursday, "08:00"), "ends_at": at(thursday, "10:00"),
            "learners": [{ "status": "apprentice", "headcount": 4 }, { "status": "school", "headcount": 2 }],
        })
    };
    let mut asks: Vec<(&str, Value)> = Vec::new();
    let free_slots = [
        ("08:00", "09:00"),
        ("09:00", "10:00"),
        ("10:00", "11:00"),
        ("11:00", "12:00"),
        ("13:30", "14:30"),
        ("14:30", "15:30"),
    ];
    for (from, to) in free_slots {
        asks.push((&c.teacher, booking(&c, tuesday, from, to)));
    }
    for _ in 0..3 {
        asks.push((&c.teacher, booking(&c, wednesday, "08:00", "10:00")));
    }
    for _ in 0..3 {
        asks.push((&c.teacher, stations(6)));
    }
    asks.push((&c.teacher, booking(&c, wednesday, "12:00", "13:00")));
    let mut unknown = booking(&c, wednesday, "14:00", "15:00");
    unknown["equipment_id"] = json!("0192f1c4-0000-7000-8000-000000000000");
    asks.push((&c.teacher, unknown));
    let mut for_others = booking(&c, wednesday, "15:00", "16:00");
    for_others["organisation_id"] = json!(c.lycee_id);
    asks.push((&c.company, for_others));

    let replies = futures_util::future::join_all(asks.iter().map(|(token, body)| {
        app.call(
            Method::POST,
            "/api/v1/bookings",
            Some(token),
            Some(body.clone()),
            &[],
        )
    }))
    .await;
    let status = |r: &crate::support::Reply| r.status.as_u16();
    let code = |r: &crate::support::Reply| {
        if status(r) == 201 {
            String::new()
        } else {
            r.json()["code"].as_str().unwrap_or_default().to_owned()
        }
    };
    for r in &replies[..6] {
        assert_eq!(status(r), 201, "a free slot: {}", r.text);
    }
    let mut same_slot: Vec<String> = replies[6..9].iter().map(code).collect();
    same_slot.sort();
    assert_eq!(
        same_slot,
        ["", "booking_conflict", "booking_conflict"],
        "one of three asks for the same slot"
    );
    let mut shared: Vec<String> = replies[9..12].iter().map(code).collect();
    shared.sort();
    assert_eq!(
        shared,
        ["", "", "not_enough_stations"],
        "three asks for 6 of 14 stations"
    );
    assert_eq!(
        (status(&replies[12]), code(&replies[12])),
        (422, "outside_opening_hours".to_owned())
    );
    assert_eq!(status(&replies[13]), 422);
    assert_eq!(replies[13].json()["errors"][0]["field"], "equipment_id");
    assert_eq!(replies[13].json()["errors"][0]["code"], "unknown_reference");
    assert_eq!(status(&replies[14]), 403, "{}", replies[14].text);

    // Exactly what was answered 201 was written, with its learners and its audit event.
    let created: Vec<Value> = replies
        .iter()
        .filter(|r| status(r) == 201)
        .map(|r| r.json())
        .collect();
    assert_eq!(created.len(), 9);
    assert_eq!(app.count("bookings").await, 9);
    assert_eq!(app.count("booking_learners").await, 7 + 2 * 2);
    assert_eq!(
        app.count_where(
            "audit_events",
            "entity_type = 'booking' AND action = 'created'"
        )
        .await,
        9
    );
    for view in &created {
        let shown = app
            .get(
                &format!("/api/v1/bookings/{}", view["id"].as_str().unwrap()),
                &c.teacher,
            )
            .await
            .expect(200)
            .json();
        assert_eq!(shown["starts_at"], view["starts_at"]);
        let expected = if view["stations"] == 6 { 6 } else { 1 };
        assert_eq!(shown["total_headcount"], expected, "{shown}");
    }
}

/// The database itself refuses two live bookings of one item at overlapping times, whatever
/// the application checks: PostgreSQL's exclusion constraint, SQLite's trigger.
async fn the_database_refuses_double_booking(app: TestApp) {
    use diesel::connection::SimpleConnection;
    let c = campus(&app).await;
    qualify(&app, &c, &c.teacher_id).await;
    let first = app
        .post(
            "/api/v1/bookings",
            &c.teacher,
            booking(&c, next(Weekday::Tue, 7), "08:00", "10:00"),
        )
        .await
        .expect(201)
        .json();
    let id = first["id"].as_str().unwrap().to_owned();
    // A copy of the booking under a new id, moved by `shift` seconds, in `status`.
    let copy = move |shift: i64, status: &str| {
        format!(
            "INSERT INTO bookings (id, platform_id, equipment_id, stations, starts_at, ends_at, status, \
             booker_id, organisation_id, group_label, level, purpose, created_at, updated_at) \
             SELECT '{}', platform_id, equipment_id, stations, starts_at + {shift}, ends_at + {shift}, \
             '{status}', booker_id, organisation_id, '', '', '', created_at, updated_at \
             FROM bookings WHERE id = '{id}'",
            uuid::Uuid::now_v7()
        )
    };
    let pool = app.pool.clone();
    let outcomes = actix_web::web::block(move || {
        let mut conn = pool.get().expect("connection");
        [
            (3600, "confirmed"),
            (-3600, "pending"),
            (0, "cancelled"),
            (7200, "confirmed"),
        ]
        .map(|(shift, status)| conn.batch_execute(&copy(shift, status)).is_ok())
    })
    .await
    .expect("block");
    assert_eq!(
        outcomes,
        [false, false, true, true],
        "overlapping live copies refused; a cancelled one and a back-to-back one accepted"
    );
    assert_eq!(app.count("bookings").await, 3);
}

/// One batch books exactly what its requests would one after the other: a request sees the
/// bookings accepted before it in the same batch.
async fn one_batch_books_as_one_by_one(app: TestApp) {
    use plateaux::auth::CurrentUser;
    use plateaux::domain::booking::BookingDraft;
    use plateaux::domain::booking::LearnerStatus;
    use plateaux::domain::time::Span;
    use plateaux::domain::Role;
    use plateaux::usecases::bookings::single::{create_bookings, BookingRequest};

    let c = campus(&app).await;
    qualify(&app, &c, &c.teacher_id).await;
    let (tuesday, thursday) = (next(Weekday::Tue, 7), next(Weekday::Thu, 7));
    let span = |day: NaiveDate, from: &str, to: &str| {
        let instant = |t: &str| {
            chrono::DateTime::parse_from_rfc3339(&at(day, t))
                .unwrap()
                .timestamp()
        };
        Span::new(instant(from), instant(to))
    };
    let teacher = CurrentUser {
        id: c.teacher_id.clone(),
        role: Role::Teacher,
        organisation_id: c.lycee_id.clone(),
        session_id: String::new(),
        awaiting_approval: false,
    };
    let request = |equipment: Option<&str>, stations: Option<i32>, span: Span| BookingRequest {
        actor: teacher.clone(),
        draft: BookingDraft {
            platform_id: Some(c.platform_id.clone()),
            equipment_id: equipment.map(str::to_owned),
            stations,
            span,
            organisation_id: None,
            supervisor_id: None,
            learners: vec![(LearnerStatus::School, 3)],
            group_label: "CAP 1".into(),
            level: String::new(),
            purpose: String::new(),
            service_request_id: None,
        },
    };
    let item = Some(c.equipment_id.as_str());
    let requests = vec![
        request(item, None, span(tuesday, "08:00", "10:00")),
        request(item, None, span(tuesday, "09:00", "11:00")),
        request(None, Some(10), span(thursday, "08:00", "10:00")),
        request(None, Some(10), span(thursday, "09:00", "11:00")),
        request(None, Some(4), span(thursday, "09:00", "11:00")),
        request(
            Some("0192f1c4-0000-7000-8000-000000000000"),
            None,
            span(tuesday, "14:00", "15:00"),
        ),
        request(item, None, span(tuesday, "10:00", "12:00")),
        request(None, Some(1), span(thursday, "09:30", "10:30")),
    ];
    let pool = app.pool.clone();
    let now = app.now();
    let answers = actix_web::web::block(move || {
        let mut conn = pool.get().expect("connection");
        create_bookings(&mut conn, chrono_tz::Europe::Paris, now, &requests)
    })
    .await
    .expect("block")
    .expect("the batch as a whole succeeds");
    let codes: Vec<String> = answers
        .iter()
        .map(|a| match a {
            Ok(_) => "created".to_owned(),
            Err(e) => {
                let problem = e.problem();
                match problem.errors.first() {
                    Some(field) => format!("{}:{}", field.field, field.code),
                    None => problem.code,
                }
            }
        })
        .collect();
    assert_eq!(
        codes,
        [
            "created",
            "booking_conflict",
            "created",
            "not_enough_stations",
            "created",
            "equipment_id:unknown_reference",
            "created",
            "not_enough_stations",
        ]
    );
    assert_eq!(app.count("bookings").await, 4);
    assert_eq!(app.count("booking_learners").await, 4);
}

async fn idempotent_creation(app: TestApp) {
    let c = campus(&app).await;
    let tuesday = next(Weekday::Tue, 7);
    let body = json!({ "platform_id": c.platform_id, "stations": 2, "starts_at": at(tuesday, "08:00"), "ends_at": at(tuesday, "09:00") });
    let first = app
        .call(
            Method::POST,
            "/api/v1/bookings",
            Some(&c.teacher),
            Some(body.clone()),
            &[("Idempotency-Key", "cle-1")],
        )
        .await
        .expect(201);
    let again = app
        .call(
            Method::POST,
            "/api/v1/bookings",
            Some(&c.teacher),
            Some(body),
            &[("Idempotency-Key", "cle-1")],
        )
        .await
        .expect(201);
    assert_eq!(first.json()["id"], again.json()["id"]);
    assert_eq!(again.headers.get("idempotent-replayed").unwrap(), "true");
    assert_eq!(app.count("bookings").await, 1);
}

fn holidays_ics(holidays: &[(NaiveDate, NaiveDate, &str)]) -> String {
    let mut text = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Ministere Education Nationale//Calendrier scolaire//FR\r\nCALSCALE:GREGORIAN\r\n");
    for (i, (start, end, name)) in holidays.iter().enumerate() {
        text.push_str(&format!(
            "BEGIN:VEVENT\r\nDTSTART;VALUE=DATE:{}\r\nDTEND;VALUE=DATE:{}\r\nSUMMARY:{name} - Zone C\r\nLOCATION:Toulouse\r\nUID:vacances-zone-c-{i}-{}\r\nEND:VEVENT\r\n",
            start.format("%Y%m%d"),
            end.format("%Y%m%d"),
            start.format("%Y")
        ));
    }
    text.push_str("BEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20260901\r\nSUMMARY:Rentrée scolaire des élèves\r\nUID:rentree-2026\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n");
    text
}

async fn import_calendar(app: &TestApp, token: &str, campus_id: &str, ics: &str) -> Value {
    let req = actix_web::test::TestRequest::post()
        .uri(&format!(
            "/api/v1/closures/import?scope=campus&scope_id={campus_id}&only_matching=vacances"
        ))
        .insert_header(("Authorization", format!("Bearer {token}")))
        .insert_header(("Content-Type", "text/calendar"))
        .set_payload(ics.to_owned())
        .to_request();
    app.send(req).await.expect(201).json()
}

async fn weekly_term_skips_zone_c_holidays(app: TestApp) {
    let c = campus(&app).await;
    // A term of ten weekly Tuesday sessions with two weeks of holidays in the middle.
    let first = next(Weekday::Tue, 7);
    let holiday_start = first + Duration::days(32); // a Saturday
    let holiday_end = holiday_start + Duration::days(16); // the Monday two weeks later
    let ics = holidays_ics(&[(holiday_start, holiday_end, "Vacances d'Hiver")]);
    let imported = import_calendar(&app, &c.admin, &c.campus_id, &ics).await;
    assert_eq!(
        imported["imported"].as_array().unwrap().len(),
        1,
        "the rentrée day is not a holiday: {imported}"
    );
    assert_eq!(imported["already_present"], 0);
    let again = import_calendar(&app, &c.admin, &c.campus_id, &ics).await;
    assert_eq!(
        (
            again["imported"].as_array().unwrap().len(),
            again["already_present"].as_u64()
        ),
        (0, Some(1))
    );
    assert_eq!(app.count("closures").await, 1);

    let series = app
        .post("/api/v1/booking-series", &c.teacher, json!({
            "first_occurrence": {
                "platform_id": c.platform_id, "stations": 12, "starts_at": at(first, "08:00"), "ends_at": at(first, "12:00"),
                "group_label": "BTS CPRP 1", "level": "BTS", "learners": [{ "status": "school", "headcount": 8 }, { "status": "apprentice", "headcount": 4 }],
            },
            "rrule": "FREQ=WEEKLY;COUNT=10",
            "mode": "skip_conflicts",
        }))
        .await
        .expect(201)
        .json();
    let occurrences = series["occurrences"].as_array().unwrap();
    let skipped = series["skipped"].as_array().unwrap();
    assert_eq!((occurrences.len(), skipped.len()), (8, 2), "{series}");
    let skipped_dates: Vec<&str> = skipped
        .iter()
        .map(|s| s["starts_at"].as_str().unwrap())
        .collect();
    assert_eq!(
        skipped_dates,
        [
            at(first + Duration::days(35), "08:00"),
            at(first + Duration::days(42), "08:00")
        ]
    );
    assert!(skipped.iter().all(
        |s| s["code"] == "closed" && s["reason"].as_str().unwrap().contains("Vacances d'Hiver")
    ));
    assert!(occurrences
        .iter()
        .all(|o| o["series_id"] == series["id"] && o["status"] == "confirmed"));

    // Cancel this and following from the 7th session on.
    let id = series["id"].as_str().unwrap();
    let seventh = occurrences[6]["starts_at"].as_str().unwrap();
    let after = app
        .post(
            &format!("/api/v1/booking-series/{id}/cancel"),
            &c.teacher,
            json!({ "reason": "Fin du projet", "from": seventh }),
        )
        .await
        .expect(200)
        .json();
    let statuses: Vec<&str> = after["occurrences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        [
            "confirmed",
            "confirmed",
            "confirmed",
            "confirmed",
            "confirmed",
            "confirmed",
            "cancelled",
            "cancelled"
        ]
    );
    // Move the rest to the afternoon, all or nothing: every live occurrence moves on its
    // own day, the cancelled ones stay as they were.
    let moved = app
        .patch(
            &format!("/api/v1/booking-series/{id}"),
            &c.teacher,
            json!({ "start_time": "13:30", "end_time": "17:30" }),
        )
        .await
        .expect(200)
        .json();
    let times = |series: &Value| -> Vec<(String, String, String)> {
        series["occurrences"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| {
                (
                    o["starts_at"].as_str().unwrap().to_owned(),
                    o["ends_at"].as_str().unwrap().to_owned(),
                    o["status"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let expected: Vec<(String, String, String)> = [0, 1, 2, 3, 4, 7, 8, 9]
        .into_iter()
        .enumerate()
        .map(|(i, week)| {
            let day = first + Duration::days(7 * week);
            if i < 6 {
                (at(day, "13:30"), at(day, "17:30"), "confirmed".to_owned())
            } else {
                (at(day, "08:00"), at(day, "12:00"), "cancelled".to_owned())
            }
        })
        .collect();
    assert_eq!(times(&moved), expected);
    app.patch(
        &format!("/api/v1/booking-series/{id}"),
        &c.teacher,
        json!({ "start_time": "11:00", "end_time": "14:00" }),
    )
    .await
    .problem(409, "series_conflicts");
    let unchanged = app
        .get(&format!("/api/v1/booking-series/{id}"), &c.teacher)
        .await
        .expect(200)
        .json();
    assert_eq!(times(&unchanged), expected);
    // Another company cannot see the series.
    app.get(&format!("/api/v1/booking-series/{id}"), &c.company)
        .await
        .problem(404, "not_found");
}

/// The last Sunday of `month` in `year`.
fn last_sunday(year: i32, month: u32) -> NaiveDate {
    let mut d = NaiveDate::from_ymd_opt(year, month + 1, 1).unwrap() - Duration::days(1);
    while d.weekday() != Weekday::Sun {
        d -= Duration::days(1);
    }
    d
}

async fn series_keep_local_time_across_dst(app: TestApp) {
    let c = campus(&app).await;
    // The next change of clocks at least two weeks away, within the booking horizon.
    let year = today().year();
    let change = [
        last_sunday(year, 3),
        last_sunday(year, 10),
        last_sunday(year + 1, 3),
        last_sunday(year + 1, 10),
    ]
    .into_iter()
    .find(|d| *d > today() + Duration::days(14))
    .unwrap();
    let first = change - Duration::days(12); // a Tuesday
    let series = app
        .post("/api/v1/booking-series", &c.teacher, json!({
            "first_occurrence": { "platform_id": c.platform_id, "stations": 2, "starts_at": at(first, "08:00"), "ends_at": at(first, "12:00") },
            "rrule": "FREQ=WEEKLY;COUNT=4",
            "mode": "all_or_nothing",
        }))
        .await
        .expect(201)
        .json();
    let starts: Vec<&str> = series["occurrences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["starts_at"].as_str().unwrap())
        .collect();
    let expected: Vec<String> = (0..4)
        .map(|w| at(first + Duration::days(7 * w), "08:00"))
        .collect();
    assert_eq!(starts, expected);
    let offsets: Vec<&str> = starts.iter().map(|s| &s[19..]).collect();
    assert_ne!(
        offsets[0], offsets[3],
        "the offset changes while the local time stays 08:00: {starts:?}"
    );
}

async fn all_or_nothing_lists_every_conflict(app: TestApp) {
    let c = campus(&app).await;
    let first = next(Weekday::Tue, 7);
    for week in [1, 3] {
        let day = first + Duration::days(7 * week);
        app.post("/api/v1/bookings", &c.manager, json!({ "platform_id": c.platform_id, "stations": 10, "starts_at": at(day, "09:00"), "ends_at": at(day, "10:00") }))
            .await
            .expect(201);
    }
    let before = app.count("bookings").await;
    let body = json!({
        "first_occurrence": { "platform_id": c.platform_id, "stations": 6, "starts_at": at(first, "08:00"), "ends_at": at(first, "12:00") },
        "rrule": "FREQ=WEEKLY;COUNT=5",
        "mode": "all_or_nothing",
    });
    let problem = app
        .post("/api/v1/booking-series", &c.teacher, body.clone())
        .await
        .problem(409, "series_conflicts");
    let conflicts = problem["extra"]["conflicts"].as_array().unwrap();
    assert_eq!(conflicts.len(), 2);
    assert!(conflicts.iter().all(|x| x["code"] == "not_enough_stations"));
    assert!(
        problem["detail"].as_str().unwrap().starts_with(
            "2 occurrences de la série ne peuvent pas être réservées ; rien n'a été créé."
        ),
        "{problem}"
    );
    assert_eq!(app.count("bookings").await, before);
    assert_eq!(app.count("booking_series").await, 0);
    // Three weeks cross one conflict: the refusal says it in the singular.
    let mut shorter = body.clone();
    shorter["rrule"] = json!("FREQ=WEEKLY;COUNT=3");
    let problem = app
        .post("/api/v1/booking-series", &c.teacher, shorter)
        .await
        .problem(409, "series_conflicts");
    assert_eq!(problem["extra"]["conflicts"].as_array().unwrap().len(), 1);
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .starts_with("1 occurrence de la série ne peut pas être réservée ; rien n'a été créé."),
        "{problem}"
    );
    assert_eq!(app.count("bookings").await, before);
    // Bad rules are validation errors.
    let mut bad = body.clone();
    bad["rrule"] = json!("FREQ=WEEKLY");
    app.post("/api/v1/booking-series", &c.teacher, bad)
        .await
        .problem(422, "validation_failed");
    let mut bad = body;
    bad["rrule"] = json!("FREQ=SOMETIMES");
    let problem = app
        .post("/api/v1/booking-series", &c.teacher, bad)
        .await
        .problem(422, "validation_failed");
    assert_eq!(problem["errors"][0]["field"], "rrule");
}

async fn maintenance_blocks_or_cancels_bookings(app: TestApp) {
    let c = campus(&app).await;
    qualify(&app, &c, &c.teacher_id).await;
    let wednesday = next(Weekday::Wed, 7);
    let booked = app
        .post(
            "/api/v1/bookings",
            &c.teacher,
            booking(&c, wednesday, "08:00", "10:00"),
        )
        .await
        .expect(201)
        .json();
    let window = json!({ "equipment_id": c.equipment_id, "starts_at": at(wednesday, "07:00"), "ends_at": at(wednesday, "18:00"), "reason": "Changement de torche" });
    app.post("/api/v1/maintenance-windows", &c.teacher, window.clone())
        .await
        .problem(403, "forbidden");
    let problem = app
        .post("/api/v1/maintenance-windows", &c.manager, window.clone())
        .await
        .problem(409, "maintenance_conflicts");
    assert_eq!(problem["extra"]["bookings"][0]["booking_id"], booked["id"]);
    assert_eq!(
        problem["detail"],
        "Une réservation tombe dans cette période ; rien n'a été créé. Renvoyez la demande avec « force: true » pour l'annuler.",
        "{problem}"
    );
    assert_eq!(app.count("maintenance_windows").await, 0);
    let mut forced = window;
    forced["force"] = json!(true);
    let created = app
        .post("/api/v1/maintenance-windows", &c.manager, forced)
        .await
        .expect(201)
        .json();
    assert_eq!(created["cancelled_booking_ids"], json!([booked["id"]]));
    let cancelled = app
        .get(
            &format!("/api/v1/bookings/{}", booked["id"].as_str().unwrap()),
            &c.teacher,
        )
        .await
        .expect(200)
        .json();
    assert_eq!(cancelled["status"], "cancelled");
    assert!(cancelled["status_reason"]
        .as_str()
        .unwrap()
        .contains("Changement de torche"));
    app.post(
        "/api/v1/bookings",
        &c.teacher,
        booking(&c, wednesday, "13:30", "15:00"),
    )
    .await
    .problem(409, "equipment_in_maintenance");
    // Two bookings in the way: the refusal counts them in the plural.
    let next_week = wednesday + Duration::days(7);
    for (from, to) in [("08:00", "10:00"), ("13:30", "15:00")] {
        app.post(
            "/api/v1/bookings",
            &c.teacher,
            booking(&c, next_week, from, to),
        )
        .await
        .expect(201);
    }
    let problem = app
        .post("/api/v1/maintenance-windows", &c.manager, json!({ "equipment_id": c.equipment_id, "starts_at": at(next_week, "07:00"), "ends_at": at(next_week, "18:00"), "reason": "Révision" }))
        .await
        .problem(409, "maintenance_conflicts");
    assert_eq!(
        problem["detail"],
        "2 réservations tombent dans cette période ; rien n'a été créé. Renvoyez la demande avec « force: true » pour les annuler.",
        "{problem}"
    );
    assert_eq!(app.count("maintenance_windows").await, 1);
    // A closure of the platform and an unavailable machine are refused too.
    let thursday = wednesday + Duration::days(1);
    app.post("/api/v1/closures", &c.manager, json!({ "scope": "platform", "scope_id": c.platform_id, "name": "Inventaire", "starts_at": at(thursday, "00:00"), "ends_at": at(thursday + Duration::days(1), "00:00") }))
        .await
        .expect(201);
    app.post(
        "/api/v1/bookings",
        &c.teacher,
        booking(&c, thursday, "08:00", "09:00"),
    )
    .await
    .problem(409, "closed");
    app.patch(
        &format!("/api/v1/equipment/{}", c.equipment_id),
        &c.manager,
        json!({ "status": "out_of_order" }),
    )
    .await
    .expect(200);
    app.post(
        "/api/v1/bookings",
        &c.teacher,
        booking(&c, thursday + Duration::days(1), "08:00", "09:00"),
    )
    .await
    .problem(409, "equipment_unavailable");
}

async fn calendar_feeds(app: TestApp) {
    let c = campus(&app).await;
    let tuesday = next(Weekday::Tue, 7);
    app.post("/api/v1/bookings", &c.teacher, json!({
        "platform_id": c.platform_id, "stations": 12, "starts_at": at(tuesday, "08:00"), "ends_at": at(tuesday, "12:00"),
        "group_label": "BTS CPRP 1", "learners": [{ "status": "school", "headcount": 12 }],
    }))
    .await
    .expect(201);
    let token = app
        .post(
            "/api/v1/calendar-tokens",
            &c.teacher,
            json!({ "feed": "platform", "target_id": c.platform_id }),
        )
        .await
        .expect(201)
        .json();
    let url = token["url"].as_str().unwrap().to_owned();
    let feed = app
        .call(Method::GET, &url, None, None, &[])
        .await
        .expect(200);
    assert!(feed.content_type().starts_with("text/calendar"));
    let text = feed.text.replace("\r\n ", "");
    for needle in [
        "BEGIN:VCALENDAR",
        "BEGIN:VTIMEZONE",
        "TZID:Europe/Paris",
        "BEGIN:VEVENT",
        "SUMMARY:BTS CPRP 1 – Lycée La Découverte – Atelier soudage – 12 postes",
        "END:VCALENDAR",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
    assert!(
        text.contains(&format!(
            "DTSTART;TZID=Europe/Paris:{}T080000",
            tuesday.format("%Y%m%d")
        )),
        "{text}"
    );
    assert!(
        !text.contains("teacher@campus.test"),
        "no personal data in feeds"
    );
    // Companies get only their own bookings' feed; tokens are revocable.
    app.post(
        "/api/v1/calendar-tokens",
        &c.company,
        json!({ "feed": "platform", "target_id": c.platform_id }),
    )
    .await
    .problem(403, "forbidden");
    let listed = app
        .get("/api/v1/calendar-tokens", &c.teacher)
        .await
        .expect(200)
        .json();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert!(listed[0]["url"].is_null(), "the secret is shown once");
    app.delete(
        &format!("/api/v1/calendar-tokens/{}", token["id"].as_str().unwrap()),
        &c.other_teacher,
    )
    .await
    .problem(404, "not_found");
    app.delete(
        &format!("/api/v1/calendar-tokens/{}", token["id"].as_str().unwrap()),
        &c.teacher,
    )
    .await
    .expect(204);
    app.call(Method::GET, &url, None, None, &[])
        .await
        .problem(404, "not_found");
    app.call(Method::GET, "/api/v1/calendar/0000.ics", None, None, &[])
        .await
        .problem(404, "not_found");
}

/// A closure of the campus, of the platform's owner or of the platform itself closes the
/// platform, for single bookings, series, changes and availability alike; a closure of
/// another organisation or of another platform does not.
async fn closures_of_each_scope(app: TestApp) {
    let c = campus(&app).await;
    let monday = next(Weekday::Mon, 7);
    let day = |n: i64| monday + Duration::days(n);
    for (scope, scope_id, name, d) in [
        ("organisation", &c.lycee_id, "Journée pédagogique", day(1)),
        ("organisation", &c.other_lycee_id, "Portes ouvertes", day(2)),
        ("platform", &c.other_platform_id, "Inventaire", day(3)),
        ("campus", &c.campus_id, "Pont", day(4)),
    ] {
        app.post(
            "/api/v1/closures",
            &c.admin,
            json!({
                "scope": scope, "scope_id": scope_id, "name": name,
                "starts_at": at(d, "00:00"), "ends_at": at(d + Duration::days(1), "00:00"),
            }),
        )
        .await
        .expect(201);
    }
    // Single bookings: (platform, teacher of its owner, day, closure that refuses it).
    for (platform_id, teacher, n, closed_by) in [
        (&c.platform_id, &c.teacher, 1, Some("Journée pédagogique")),
        (&c.platform_id, &c.teacher, 2, None),
        (&c.platform_id, &c.teacher, 3, None),
        (&c.platform_id, &c.teacher, 4, Some("Pont")),
        (&c.other_platform_id, &c.other_teacher, 1, None),
        (
            &c.other_platform_id,
            &c.other_teacher,
            2,
            Some("Portes ouvertes"),
        ),
        (
            &c.other_platform_id,
            &c.other_teacher,
            3,
            Some("Inventaire"),
        ),
    ] {
        let reply = app
            .post(
                "/api/v1/bookings",
                teacher,
                station_booking(platform_id, day(n), "08:00", "10:00"),
            )
            .await;
        match closed_by {
            None => {
                reply.expect(201);
            }
            Some(name) => {
                let problem = reply.problem(409, "closed");
                assert!(
                    problem["detail"].as_str().unwrap().contains(name),
                    "{problem}"
                );
            }
        }
    }
    // A series skips the days its platform is closed, and names the closure of each.
    let series = app
        .post(
            "/api/v1/booking-series",
            &c.teacher,
            json!({
                "first_occurrence": station_booking(&c.platform_id, monday, "13:30", "15:30"),
                "rrule": "FREQ=DAILY;COUNT=5",
                "mode": "skip_conflicts",
            }),
        )
        .await
        .expect(201)
        .json();
    let booked: Vec<&str> = series["occurrences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["starts_at"].as_str().unwrap())
        .collect();
    let (mon, wed, thu) = (
        at(monday, "13:30"),
        at(day(2), "13:30"),
        at(day(3), "13:30"),
    );
    assert_eq!(booked, [mon.as_str(), wed.as_str(), thu.as_str()]);
    let skipped: Vec<(&str, &str)> = series["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["starts_at"].as_str().unwrap(),
                s["code"].as_str().unwrap(),
            )
        })
        .collect();
    let (tue, fri) = (at(day(1), "13:30"), at(day(4), "13:30"));
    assert_eq!(
        skipped,
        [(tue.as_str(), "closed"), (fri.as_str(), "closed")]
    );
    // Moving Wednesday's booking onto the owner's closed Tuesday is refused.
    let wednesday_id = series["occurrences"][1]["id"].as_str().unwrap();
    app.patch(
        &format!("/api/v1/bookings/{wednesday_id}"),
        &c.teacher,
        json!({ "starts_at": at(day(1), "13:30"), "ends_at": at(day(1), "15:30") }),
    )
    .await
    .problem(409, "closed");
    // Availability over the week: nothing on the days the platform is closed.
    let url = format!(
        "/api/v1/availability?platform_id={}&from={}&to={}",
        c.platform_id,
        urlencode(&at(monday, "00:00")),
        urlencode(&at(day(5), "00:00"))
    );
    let availability = app.get(&url, &c.teacher).await.expect(200).json();
    let mut open_days: Vec<String> = availability["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["starts_at"].as_str().unwrap()[..10].to_owned())
        .collect();
    open_days.dedup();
    assert_eq!(
        open_days,
        [monday, day(2), day(3)].map(|d| d.to_string()),
        "{availability}"
    );
}

on_both_databases!(
    equipment_rules_and_conflicts,
    stations_are_shared_until_full,
    outside_bookings_wait_for_approval,
    companies_see_only_their_own_bookings,
    concurrent_requests_never_double_book,
    concurrent_requests_get_their_own_answers,
    one_batch_books_as_one_by_one,
    the_database_refuses_double_booking,
    idempotent_creation,
    weekly_term_skips_zone_c_holidays,
    series_keep_local_time_across_dst,
    all_or_nothing_lists_every_conflict,
    maintenance_blocks_or_cancels_bookings,
    closures_of_each_scope,
    calendar_feeds,
);
