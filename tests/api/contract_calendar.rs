//! The calendar as people really use it: the ministry's school calendar files, series rules
//! written by hand, feeds read by strict clients, "my bookings", and the lists and
//! refusals of service requests seen by every role.

use actix_web::http::Method;
use chrono::{Datelike, Duration, NaiveDate, Weekday};
use serde_json::{json, Value};

use crate::on_both_databases;
use crate::support::dates::{at, next, today};
use crate::support::{campus, id_of, station_booking, Campus, Reply, TestApp};

/// One holiday of the fixture: summary, first day, day after the last (equal to the first
/// for the start-of-summer marker, as the ministry writes it), zones.
struct Holiday {
    summary: &'static str,
    first: NaiveDate,
    end: NaiveDate,
    zones: &'static str,
}

fn saturday_from(year: i32, month: u32, day: u32) -> NaiveDate {
    let mut d = NaiveDate::from_ymd_opt(year, month, day).unwrap();
    while d.weekday() != Weekday::Sat {
        d += Duration::days(1);
    }
    d
}

/// The holidays of zone C for the school year starting in September of `year`, on the
/// ministry's pattern (dates made up, relative to the calendar, so that the suite keeps
/// passing as years go by).
fn school_year(year: i32) -> Vec<Holiday> {
    let two_weeks = |first: NaiveDate| first + Duration::days(16);
    let mut ascension = NaiveDate::from_ymd_opt(year + 1, 5, 13).unwrap();
    while ascension.weekday() != Weekday::Thu {
        ascension += Duration::days(1);
    }
    let toussaint = saturday_from(year, 10, 17);
    let noel = saturday_from(year, 12, 19);
    let hiver = saturday_from(year + 1, 2, 14);
    let printemps = saturday_from(year + 1, 4, 11);
    let ete = saturday_from(year + 1, 7, 4);
    vec![
        Holiday {
            summary: "Vacances de la Toussaint",
            first: toussaint,
            end: two_weeks(toussaint),
            zones: "Zones A/B/C",
        },
        Holiday {
            summary: "Vacances de Noël",
            first: noel,
            end: two_weeks(noel),
            zones: "Zones A/B/C",
        },
        Holiday {
            summary: "Vacances d'Hiver",
            first: hiver,
            end: two_weeks(hiver),
            zones: "Zone C",
        },
        Holiday {
            summary: "Vacances de Printemps",
            first: printemps,
            end: two_weeks(printemps),
            zones: "Zone C",
        },
        Holiday {
            summary: "Pont de l'Ascension",
            first: ascension,
            end: ascension + Duration::days(4),
            zones: "Zones A/B/C",
        },
        Holiday {
            summary: "Début des Vacances d'Été",
            first: ete,
            end: ete,
            zones: "Zone C",
        },
    ]
}

/// The school year (its September's year) that today belongs to.
fn current_school_year() -> i32 {
    let t = today();
    if t.month() >= 9 {
        t.year()
    } else {
        t.year() - 1
    }
}

/// Three school years around today.
fn holidays() -> Vec<Holiday> {
    let year = current_school_year();
    (year - 1..=year + 1).flat_map(school_year).collect()
}

/// A calendar in the layout of the files of data.education.gouv.fr: a VCALENDAR named with
/// X-WR-CALNAME, all-day events with a DESCRIPTION, a LOCATION and a UID, summaries
/// "<holiday> - Zone C" or "- Zones A/B/C", and a start-of-summer marker of zero length.
fn ministry_ics(holidays: &[Holiday]) -> String {
    let mut text = String::from(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Essai//Calendrier scolaire//FR\r\n\
         CALSCALE:GREGORIAN\r\nMETHOD:PUBLISH\r\nX-WR-CALNAME:Calendrier scolaire - Zone C\r\n\
         X-WR-TIMEZONE:Europe/Paris\r\n",
    );
    for (i, h) in holidays.iter().enumerate() {
        text.push_str(&format!(
            "BEGIN:VEVENT\r\nDTSTART;VALUE=DATE:{}\r\nDTEND;VALUE=DATE:{}\r\n\
             SUMMARY:{} - {}\r\nDESCRIPTION:{} (calendrier d'essai)\r\nLOCATION:{}\r\n\
             UID:essai-{i}-{}@calendrier-scolaire\r\nEND:VEVENT\r\n",
            h.first.format("%Y%m%d"),
            h.end.format("%Y%m%d"),
            h.summary,
            h.zones,
            h.summary,
            h.zones,
            h.first.format("%Y%m%d"),
        ));
    }
    // A rentrée day: a school day, which the import leaves out.
    text.push_str(&format!(
        "BEGIN:VEVENT\r\nDTSTART;VALUE=DATE:{year}0901\r\nSUMMARY:Rentrée scolaire des élèves - Zones A/B/C\r\n\
         LOCATION:Zones A/B/C\r\nUID:essai-rentree-{year}@calendrier-scolaire\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        year = current_school_year() + 1
    ));
    text
}

async fn import(app: &TestApp, c: &Campus, query: &str, ics: &str) -> Value {
    let req = actix_web::test::TestRequest::post()
        .uri(&format!(
            "/api/v1/closures/import?scope=campus&scope_id={}{query}",
            c.campus_id
        ))
        .insert_header(("Authorization", format!("Bearer {}", c.admin)))
        .insert_header(("Content-Type", "text/calendar"))
        .set_payload(ics.to_owned())
        .to_request();
    app.send(req).await.expect(201).json()
}

fn names(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap().to_owned())
        .collect()
}

/// Point 5 and 6: the ministry's file imports as published, holidays and bridges by default;
/// the summer marker closes until 31 August; a second import adds nothing and says so.
async fn ministry_calendar_imports_as_published(app: TestApp) {
    let c = campus(&app).await;
    let holidays = holidays();
    let ics = ministry_ics(&holidays);
    let first = import(&app, &c, "", &ics).await;
    let imported = first["imported"].as_array().unwrap();
    assert_eq!(imported.len(), holidays.len(), "{first}");
    assert_eq!(first["already_present"], 0);
    let imported_names = names(&first["imported"]);
    assert!(
        imported_names.contains(&"Pont de l'Ascension - Zones A/B/C".to_owned()),
        "bridges are imported by default: {imported_names:?}"
    );
    assert!(imported_names.contains(&"Vacances de Noël - Zones A/B/C".to_owned()));
    // Each summer marker closes from its day to the end of August.
    let summers: Vec<&Value> = imported
        .iter()
        .filter(|e| e["name"] == "Début des Vacances d'Été - Zone C")
        .collect();
    assert_eq!(summers.len(), 3);
    for (summer, h) in summers
        .iter()
        .zip(holidays.iter().filter(|h| h.first == h.end))
    {
        assert_eq!(summer["starts_at"], at(h.first, "00:00"));
        assert_eq!(
            summer["ends_at"],
            at(
                NaiveDate::from_ymd_opt(h.first.year(), 9, 1).unwrap(),
                "00:00"
            )
        );
    }
    // The rentrée is skipped, with the reason.
    let skipped = first["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 1, "{first}");
    assert_eq!(
        skipped[0]["name"],
        "Rentrée scolaire des élèves - Zones A/B/C"
    );
    assert!(skipped[0]["reason"].as_str().unwrap().contains("rentrée"));
    assert_eq!(app.count("closures").await, holidays.len() as i64);

    // Again: nothing added, everything listed as already there with its closure.
    let again = import(&app, &c, "", &ics).await;
    assert_eq!(again["imported"], json!([]));
    assert_eq!(again["already_present"], holidays.len());
    let present = again["already_present_events"].as_array().unwrap();
    let mut closure_ids: Vec<&str> = present
        .iter()
        .map(|e| e["closure_id"].as_str().unwrap())
        .collect();
    let mut first_ids: Vec<&str> = imported.iter().map(|e| e["id"].as_str().unwrap()).collect();
    closure_ids.sort();
    first_ids.sort();
    assert_eq!(closure_ids, first_ids);
    assert!(present
        .iter()
        .all(|e| !e["reason"].as_str().unwrap().is_empty()));
    assert_eq!(app.count("closures").await, holidays.len() as i64);

    // The filter narrows: the bridges only, on a platform; the others are listed as skipped.
    let req = actix_web::test::TestRequest::post()
        .uri(&format!(
            "/api/v1/closures/import?scope=platform&scope_id={}&only_matching=pont",
            c.platform_id
        ))
        .insert_header(("Authorization", format!("Bearer {}", c.admin)))
        .insert_header(("Content-Type", "text/calendar"))
        .set_payload(ics.clone())
        .to_request();
    let bridges = app.send(req).await.expect(201).json();
    assert_eq!(
        names(&bridges["imported"]),
        vec!["Pont de l'Ascension - Zones A/B/C"; 3]
    );
    assert_eq!(
        bridges["skipped"].as_array().unwrap().len(),
        holidays.len() - 3 + 1
    );
}

/// The done-when: a weekly series over a school year skips exactly the holiday weeks of the
/// ministry's file, the summer included.
async fn weekly_series_skips_exactly_the_holiday_weeks(app: TestApp) {
    let c = campus(&app).await;
    let holidays = holidays();
    import(&app, &c, "", &ministry_ics(&holidays)).await;
    // Fridays, so that the Ascension bridge (Thursday to Sunday) falls on one.
    let first = next(Weekday::Fri, 7);
    let weeks = 49;
    let closed = |d: NaiveDate| {
        holidays.iter().any(|h| {
            let end = if h.first == h.end {
                NaiveDate::from_ymd_opt(h.first.year(), 9, 1).unwrap()
            } else {
                h.end
            };
            h.first <= d && d < end
        })
    };
    let fridays: Vec<NaiveDate> = (0..weeks).map(|w| first + Duration::weeks(w)).collect();
    let expected_skips: Vec<String> = fridays
        .iter()
        .filter(|d| closed(**d))
        .map(|d| at(*d, "08:00"))
        .collect();
    assert!(
        expected_skips.len() >= 8,
        "the year holds holidays: {expected_skips:?}"
    );
    let series = app
        .post("/api/v1/booking-series", &c.teacher, json!({
            "first_occurrence": {
                "platform_id": c.platform_id, "stations": 12, "starts_at": at(first, "08:00"), "ends_at": at(first, "12:00"),
                "group_label": "BTS CPRP 1", "learners": [{ "status": "school", "headcount": 12 }],
            },
            "rrule": format!("FREQ=WEEKLY;COUNT={weeks}"),
            "mode": "all_or_nothing",
        }))
        .await
        .expect(201)
        .json();
    let skipped: Vec<String> = series["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["starts_at"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(skipped, expected_skips);
    assert!(series["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["code"] == "closed"));
    assert_eq!(
        series["occurrences"].as_array().unwrap().len(),
        weeks as usize - expected_skips.len()
    );
}

fn series_body(c: &Campus, first: NaiveDate, rrule: &str) -> Value {
    json!({
        "first_occurrence": {
            "platform_id": c.platform_id, "stations": 2, "starts_at": at(first, "08:00"), "ends_at": at(first, "12:00"),
            "group_label": "CAP RICS 1", "learners": [{ "status": "school", "headcount": 2 }],
        },
        "rrule": rrule,
        "mode": "skip_conflicts",
    })
}

/// Point 7: UNTIL written as a date includes that day; recurrence errors are in French.
async fn series_until_a_date_and_french_errors(app: TestApp) {
    let c = campus(&app).await;
    let first = next(Weekday::Tue, 7);
    let third = first + Duration::weeks(2);
    let series = app
        .post(
            "/api/v1/booking-series",
            &c.teacher,
            series_body(
                &c,
                first,
                &format!("FREQ=WEEKLY;UNTIL={}", third.format("%Y%m%d")),
            ),
        )
        .await
        .expect(201)
        .json();
    let starts: Vec<&str> = series["occurrences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["starts_at"].as_str().unwrap())
        .collect();
    assert_eq!(
        starts,
        [
            at(first, "08:00"),
            at(first + Duration::weeks(1), "08:00"),
            at(third, "08:00")
        ]
    );
    for (rule, mentions) in [
        ("FREQ=WEEKLY;COUNT=x", "COUNT"),
        ("FREQ=FORTNIGHTLY;COUNT=3", "FREQ"),
        ("FREQ=WEEKLY;BYDAY=XX;COUNT=3", "jour"),
    ] {
        let problem = app
            .post(
                "/api/v1/booking-series",
                &c.teacher,
                series_body(&c, first, rule),
            )
            .await
            .problem(422, "validation_failed");
        let message = problem["errors"][0]["message"].as_str().unwrap();
        assert_eq!(problem["errors"][0]["field"], "rrule");
        assert!(message.contains(mentions), "{rule}: {message}");
        assert!(
            !message.contains(" is ") && !message.contains("error"),
            "{rule}: a French message, not the library's: {message}"
        );
    }
    assert_eq!(app.count("bookings").await, 3);
}

/// Points 8 and 9: feed lines fit in 75 octets, folded between characters; a personal feed
/// is named "Mes réservations", not after its owner.
async fn feeds_fold_at_octets_and_name_nobody(app: TestApp) {
    let c = campus(&app).await;
    let tuesday = next(Weekday::Tue, 7);
    let group = "Élèves de première année en électrotechnique et énergétique é".to_owned();
    app.post("/api/v1/bookings", &c.teacher, json!({
        "platform_id": c.platform_id, "stations": 12, "starts_at": at(tuesday, "08:00"), "ends_at": at(tuesday, "12:00"),
        "group_label": group, "learners": [{ "status": "school", "headcount": 12 }],
    }))
    .await
    .expect(201);
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
    for line in feed.text.split("\r\n") {
        assert!(
            line.len() <= 75,
            "{} octets: {line:?}\n{}",
            line.len(),
            feed.text
        );
    }
    let text = feed.text.replace("\r\n ", "");
    assert!(
        text.contains(&format!("SUMMARY:{group} – Lycée La Découverte")),
        "{text}"
    );
    assert!(text.contains("X-WR-CALNAME:Mes réservations\r\n"), "{text}");
    assert!(!text.contains("teacher@campus.test"), "{text}");
}

/// Calendar applications poll feeds every few minutes: the feed answers a weak ETag, the
/// same while nothing changes, and `304 Not Modified` with no body to a request naming it;
/// a booking made in the window, then its cancellation, each give a new tag and a new feed.
async fn feed_etag_answers_not_modified_until_a_booking_changes(app: TestApp) {
    let c = campus(&app).await;
    let book = |day: NaiveDate| {
        json!({
            "platform_id": c.platform_id, "stations": 4, "starts_at": at(day, "08:00"), "ends_at": at(day, "12:00"),
            "group_label": "BTS CRSA", "learners": [{ "status": "school", "headcount": 4 }],
        })
    };
    app.post("/api/v1/bookings", &c.teacher, book(next(Weekday::Tue, 7)))
        .await
        .expect(201);
    let token = app
        .post(
            "/api/v1/calendar-tokens",
            &c.manager,
            json!({ "feed": "platform", "target_id": c.platform_id }),
        )
        .await
        .expect(201)
        .json();
    let url = token["url"].as_str().unwrap().to_owned();
    let fetch = |if_none_match: Option<String>| {
        let url = url.clone();
        let app = &app;
        async move {
            let headers: Vec<(&str, &str)> = match &if_none_match {
                Some(tag) => vec![("If-None-Match", tag.as_str())],
                None => vec![],
            };
            app.call(Method::GET, &url, None, None, &headers).await
        }
    };
    let etag = |reply: &crate::support::Reply| {
        reply
            .headers
            .get("etag")
            .expect("an ETag")
            .to_str()
            .unwrap()
            .to_owned()
    };

    let first = fetch(None).await.expect(200);
    let tag = etag(&first);
    assert!(tag.starts_with("W/\"") && tag.ends_with('"'), "{tag}");
    assert_eq!(
        first.text.matches("BEGIN:VEVENT").count(),
        1,
        "{}",
        first.text
    );
    assert_eq!(etag(&fetch(None).await.expect(200)), tag);

    let unchanged = fetch(Some(tag.clone())).await.expect(304);
    assert!(unchanged.text.is_empty(), "{}", unchanged.text);
    assert_eq!(etag(&unchanged), tag);
    // Among others, and compared weakly as RFC 9110 asks of If-None-Match.
    let listed = format!("\"autre\", {}", tag.trim_start_matches("W/"));
    fetch(Some(listed)).await.expect(304);
    fetch(Some("W/\"autre\"".to_owned())).await.expect(200);

    let made = app
        .post("/api/v1/bookings", &c.teacher, book(next(Weekday::Wed, 7)))
        .await
        .expect(201)
        .json();
    let id = made["id"].as_str().unwrap().to_owned();
    let after_booking = fetch(Some(tag.clone())).await.expect(200);
    let booked_tag = etag(&after_booking);
    assert_ne!(booked_tag, tag);
    assert_eq!(after_booking.text.matches("BEGIN:VEVENT").count(), 2);
    assert!(
        after_booking.text.contains(&format!("UID:{id}@")),
        "{}",
        after_booking.text
    );
    fetch(Some(booked_tag.clone())).await.expect(304);

    app.post(
        &format!("/api/v1/bookings/{id}/cancel"),
        &c.teacher,
        json!({ "reason": "Sortie pédagogique" }),
    )
    .await
    .expect(200);
    let after_cancel = fetch(Some(booked_tag.clone())).await.expect(200);
    let cancelled_tag = etag(&after_cancel);
    assert_ne!(cancelled_tag, booked_tag);
    assert_ne!(cancelled_tag, tag);
    assert_eq!(after_cancel.text.matches("BEGIN:VEVENT").count(), 1);
    assert!(
        !after_cancel.text.contains(&format!("UID:{id}@")),
        "{}",
        after_cancel.text
    );
    fetch(Some(cancelled_tag)).await.expect(304);
}

/// The secret URL of a new feed of `actor`'s.
async fn feed_url(app: &TestApp, actor: &str, body: Value) -> String {
    app.post("/api/v1/calendar-tokens", actor, body)
        .await
        .expect(201)
        .json()["url"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A feed fetched as a calendar application polls it, naming the tag of its copy if any.
async fn poll(app: &TestApp, url: &str, tag: Option<&str>) -> Reply {
    let headers: Vec<(&str, &str)> = tag.map(|t| ("If-None-Match", t)).into_iter().collect();
    app.call(Method::GET, url, None, None, &headers).await
}

fn etag_of(reply: &Reply) -> String {
    reply
        .headers
        .get("etag")
        .expect("an ETag")
        .to_str()
        .unwrap()
        .to_owned()
}

/// The feed's text with its folded lines joined again.
fn unfolded(text: &str) -> String {
    text.replace("\r\n ", "")
}

/// A feed names organisations, platforms and equipment items (and an item's feed is named
/// after it, even with no booking): renaming one gives a new tag and the new name at the
/// next poll, the same day; a poll with nothing changed since still gets 304.
async fn feed_tag_follows_renames_of_what_the_feed_names(app: TestApp) {
    // In the morning, so that the seconds moved on below stay within the day.
    app.set_time(&at(today(), "10:00"));
    let c = campus(&app).await;
    let tuesday = next(Weekday::Tue, 7);
    app.post(
        "/api/v1/bookings",
        &c.teacher,
        station_booking(&c.platform_id, tuesday, "08:00", "10:00"),
    )
    .await
    .expect(201);
    let mig = id_of(
        app.post(
            "/api/v1/equipment",
            &c.admin,
            json!({
                "platform_id": c.platform_id, "name": "Poste MIG 2", "kind": "poste de soudage MIG",
            }),
        )
        .await
        .expect(201),
    );
    app.post(
        "/api/v1/bookings",
        &c.teacher,
        json!({
            "equipment_id": mig, "starts_at": at(tuesday, "13:30"), "ends_at": at(tuesday, "15:30"),
            "group_label": "CAP RICS 2", "learners": [{ "status": "school", "headcount": 1 }],
        }),
    )
    .await
    .expect(201);
    let platform_feed = feed_url(
        &app,
        &c.manager,
        json!({ "feed": "platform", "target_id": c.platform_id }),
    )
    .await;
    let booth_feed = feed_url(
        &app,
        &c.manager,
        json!({ "feed": "equipment", "target_id": c.equipment_id }),
    )
    .await;

    let renames = [
        (
            format!("/api/v1/platforms/{}", c.platform_id),
            &platform_feed,
            "Atelier soudage – 2 postes",
            "Atelier soudage et chaudronnerie",
        ),
        (
            format!("/api/v1/organisations/{}", c.lycee_id),
            &platform_feed,
            "Lycée La Découverte",
            "Lycée polyvalent La Découverte",
        ),
        (
            format!("/api/v1/equipment/{mig}"),
            &platform_feed,
            "Poste MIG 2 (",
            "Poste MIG Fronius",
        ),
        (
            format!("/api/v1/equipment/{}", c.equipment_id),
            &booth_feed,
            "X-WR-CALNAME:Cabine TIG 1",
            "Cabine TIG Lincoln",
        ),
    ];
    for (path, url, old, new) in renames {
        let before = poll(&app, url, None).await.expect(200);
        let tag = etag_of(&before);
        let text = unfolded(&before.text);
        assert!(text.contains(old) && !text.contains(new), "{old}: {text}");
        poll(&app, url, Some(&tag)).await.expect(304);
        // Rows keep the second of their last change, and the test clock stands still.
        app.advance(Duration::seconds(1));
        app.patch(&path, &c.admin, json!({ "name": new }))
            .await
            .expect(200);
        let after = poll(&app, url, Some(&tag)).await.expect(200);
        let renamed = etag_of(&after);
        assert_ne!(renamed, tag, "{path}");
        let text = unfolded(&after.text);
        assert!(text.contains(new) && !text.contains(old), "{new}: {text}");
        poll(&app, url, Some(&renamed)).await.expect(304);
    }
}

/// A manager's feed of a platform shows its company bookings in full only while they
/// manage it: losing the platform, and being given it again, each give a new tag.
async fn feed_tag_follows_the_platforms_a_manager_is_given(app: TestApp) {
    app.set_time(&at(today(), "10:00"));
    let c = campus(&app).await;
    app.patch(&format!("/api/v1/platforms/{}", c.platform_id), &c.manager, json!({
        "booking_policy": { "who_may_book": "anyone", "outside_requires_approval": true, "min_notice_hours": 24, "max_horizon_days": 365, "max_duration_minutes": 480 },
    }))
    .await
    .expect(200);
    app.post("/api/v1/bookings", &c.company, json!({
        "platform_id": c.platform_id, "stations": 1, "starts_at": at(next(Weekday::Mon, 7), "08:00"),
        "ends_at": at(next(Weekday::Mon, 7), "10:00"), "learners": [{ "status": "company", "headcount": 1 }],
    }))
    .await
    .expect(201);
    let url = feed_url(
        &app,
        &c.manager,
        json!({ "feed": "platform", "target_id": c.platform_id }),
    )
    .await;
    let managed = poll(&app, &url, None).await.expect(200);
    let tag = etag_of(&managed);
    assert!(
        unfolded(&managed.text).contains("Usinages du Célé"),
        "{}",
        managed.text
    );
    poll(&app, &url, Some(&tag)).await.expect(304);

    let manage = |platforms: Vec<String>| {
        let app = &app;
        let c = &c;
        async move {
            // Rows keep the second of their last change, and the test clock stands still.
            app.advance(Duration::seconds(1));
            app.patch(
                &format!("/api/v1/users/{}", c.manager_id),
                &c.admin,
                json!({ "managed_platform_ids": platforms }),
            )
            .await
            .expect(200);
        }
    };
    manage(vec![c.other_platform_id.clone()]).await;
    let lost = poll(&app, &url, Some(&tag)).await.expect(200);
    let lost_tag = etag_of(&lost);
    assert_ne!(lost_tag, tag);
    let text = unfolded(&lost.text);
    assert!(
        !text.contains("Usinages du Célé") && text.contains("SUMMARY:Réservé – Atelier soudage"),
        "{text}"
    );
    poll(&app, &url, Some(&lost_tag)).await.expect(304);

    manage(vec![c.platform_id.clone(), c.other_platform_id.clone()]).await;
    let given = poll(&app, &url, Some(&lost_tag)).await.expect(200);
    assert_ne!(etag_of(&given), lost_tag);
    assert!(
        unfolded(&given.text).contains("Usinages du Célé"),
        "{}",
        given.text
    );
}

/// The feed and its tag read the same bookings: one just beyond the window (a year ahead)
/// is in neither, nor is the organisation only it names; one just within is in both.
async fn feed_and_its_tag_leave_out_the_same_bookings(app: TestApp) {
    app.set_time(&at(today(), "10:00"));
    let c = campus(&app).await;
    app.patch(&format!("/api/v1/platforms/{}", c.platform_id), &c.manager, json!({
        "booking_policy": { "who_may_book": "campus_members", "outside_requires_approval": true, "min_notice_hours": 24, "max_horizon_days": 700, "max_duration_minutes": 480 },
    }))
    .await
    .expect(200);
    let url = feed_url(
        &app,
        &c.manager,
        json!({ "feed": "platform", "target_id": c.platform_id }),
    )
    .await;
    let empty = poll(&app, &url, None).await.expect(200);
    let tag = etag_of(&empty);
    assert_eq!(
        empty.text.matches("BEGIN:VEVENT").count(),
        0,
        "{}",
        empty.text
    );

    // The window ends 366 days from now.
    let beyond = id_of(
        app.post(
            "/api/v1/bookings",
            &c.other_teacher,
            station_booking(&c.platform_id, next(Weekday::Tue, 368), "08:00", "10:00"),
        )
        .await
        .expect(201),
    );
    poll(&app, &url, Some(&tag)).await.expect(304);
    let full = poll(&app, &url, None).await.expect(200);
    assert_eq!(etag_of(&full), tag);
    assert!(!full.text.contains(&beyond), "{}", full.text);
    app.advance(Duration::seconds(1));
    app.patch(
        &format!("/api/v1/organisations/{}", c.other_lycee_id),
        &c.admin,
        json!({ "name": "Lycée Alexis Monteil de Rodez" }),
    )
    .await
    .expect(200);
    poll(&app, &url, Some(&tag)).await.expect(304);

    let within = id_of(
        app.post(
            "/api/v1/bookings",
            &c.other_teacher,
            station_booking(&c.platform_id, next(Weekday::Tue, 358), "08:00", "10:00"),
        )
        .await
        .expect(201),
    );
    let after = poll(&app, &url, Some(&tag)).await.expect(200);
    let within_tag = etag_of(&after);
    assert_ne!(within_tag, tag);
    let text = unfolded(&after.text);
    assert_eq!(text.matches("BEGIN:VEVENT").count(), 1, "{text}");
    assert!(text.contains(&format!("UID:{within}@")), "{text}");
    assert!(!text.contains(&beyond), "{text}");
    assert!(text.contains("Lycée Alexis Monteil de Rodez"), "{text}");
    poll(&app, &url, Some(&within_tag)).await.expect(304);
}

/// Point 11: accepting a superseded quote lists what may still be done.
async fn superseded_quote_lists_the_allowed_actions(app: TestApp) {
    let c = campus(&app).await;
    let id = app
        .post("/api/v1/service-requests", &c.company, json!({
            "title": "Essais de traction", "description": "Dix éprouvettes", "domains": ["welding"],
            "platform_id": c.platform_id,
        }))
        .await
        .expect(201)
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.post(
        &format!("/api/v1/service-requests/{id}/transitions"),
        &c.manager,
        json!({ "action": "take", "platform_id": c.platform_id }),
    )
    .await
    .expect(200);
    for _ in 0..2 {
        app.post(&format!("/api/v1/service-requests/{id}/quotes"), &c.manager, json!({
            "valid_until": (today() + Duration::days(30)).to_string(),
            "lines": [{ "label": "Essai", "quantity": 1, "unit": "flat", "unit_price_cents": 15000, "vat_rate_bp": 2000 }],
        }))
        .await
        .expect(201);
    }
    let problem = app
        .post(
            &format!("/api/v1/service-requests/{id}/transitions"),
            &c.company,
            json!({ "action": "accept", "quote_version": 1 }),
        )
        .await
        .problem(409, "quote_not_current");
    assert_eq!(
        problem["extra"]["allowed_actions"],
        json!(["accept", "decline", "withdraw"])
    );
    assert_eq!(problem["extra"]["current_quote_version"], 2);
}

/// Point 12: teachers and observers list no service request, as JSON and as CSV.
async fn service_requests_list_empty_for_teachers_and_observers(app: TestApp) {
    let c = campus(&app).await;
    app.post(
        "/api/v1/service-requests",
        &c.company,
        json!({
            "title": "Essais de traction", "description": "Dix éprouvettes", "domains": ["welding"],
        }),
    )
    .await
    .expect(201);
    for token in [&c.teacher, &c.observer] {
        let list = app
            .get("/api/v1/service-requests", token)
            .await
            .expect(200)
            .json();
        assert_eq!(list, json!({ "items": [], "next_cursor": null }));
        let csv = app
            .get("/api/v1/service-requests?format=csv", token)
            .await
            .expect(200);
        assert!(csv.content_type().starts_with("text/csv"));
        let text = csv.text.strip_prefix('\u{feff}').expect("byte-order mark");
        assert_eq!(text.lines().count(), 1, "header only: {text}");
        assert!(text.starts_with("id;"), "{text}");
    }
}

async fn booking_ids(app: &TestApp, query: &str, token: &str) -> Vec<Value> {
    app.get(&format!("/api/v1/bookings?{query}"), token)
        .await
        .expect(200)
        .json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].clone())
        .collect()
}

/// Point 14: "my bookings", by booker and by supervisor, `me` or a visible account.
async fn my_bookings(app: TestApp) {
    let c = campus(&app).await;
    let tuesday = next(Weekday::Tue, 7);
    let booking = |from: &str, to: &str, supervisor: Option<&str>| {
        let mut body = crate::support::station_booking(&c.platform_id, tuesday, from, to);
        if let Some(s) = supervisor {
            body["supervisor_id"] = json!(s);
        }
        body
    };
    let mine = app
        .post(
            "/api/v1/bookings",
            &c.teacher,
            booking("08:00", "09:00", None),
        )
        .await
        .expect(201)
        .json()["id"]
        .clone();
    let supervised = app
        .post(
            "/api/v1/bookings",
            &c.manager,
            booking("09:00", "10:00", Some(&c.teacher_id)),
        )
        .await
        .expect(201)
        .json()["id"]
        .clone();
    assert_eq!(
        booking_ids(&app, "booked_by=me", &c.teacher).await,
        vec![mine]
    );
    assert_eq!(
        booking_ids(&app, "supervised_by=me", &c.teacher).await,
        vec![supervised.clone()]
    );
    assert_eq!(
        booking_ids(&app, &format!("booked_by={}", c.manager_id), &c.teacher).await,
        vec![supervised.clone()]
    );
    assert_eq!(
        booking_ids(&app, &format!("supervised_by={}", c.teacher_id), &c.admin).await,
        vec![supervised]
    );
    // Without them, the teacher sees both, as bookings of its organisation.
    assert_eq!(booking_ids(&app, "limit=50", &c.teacher).await.len(), 2);
    // An account the caller may not see, or one that does not exist, filters the caller's
    // bookings down to none, as any other filter would: nothing tells them apart.
    for query in [
        format!("booked_by={}", c.other_teacher_id),
        "booked_by=00000000-0000-7000-8000-000000000000".to_owned(),
    ] {
        assert_eq!(
            booking_ids(&app, &query, &c.teacher).await.len(),
            0,
            "{query}"
        );
    }
    let problem = app
        .get("/api/v1/bookings?supervised_by=moi", &c.teacher)
        .await
        .problem(422, "validation_failed");
    assert_eq!(problem["errors"][0]["field"], "supervised_by");
}

on_both_databases!(
    ministry_calendar_imports_as_published,
    weekly_series_skips_exactly_the_holiday_weeks,
    series_until_a_date_and_french_errors,
    feeds_fold_at_octets_and_name_nobody,
    feed_etag_answers_not_modified_until_a_booking_changes,
    feed_tag_follows_renames_of_what_the_feed_names,
    feed_tag_follows_the_platforms_a_manager_is_given,
    feed_and_its_tag_leave_out_the_same_bookings,
    superseded_quote_lists_the_allowed_actions,
    service_requests_list_empty_for_teachers_and_observers,
    my_bookings,
);
