//! Hostile input: NUL characters, money overflow, usage times, CSV cells, security headers.

use actix_web::http::Method;
use chrono::{Duration, Weekday};
use serde_json::{json, Value};

use crate::on_both_databases;
use crate::support::dates::{at, next, today};
use crate::support::{campus, station_booking, Campus, Reply, TestApp};

/// The fields a 422 names, with the code each has.
#[track_caller]
fn refused_fields(reply: Reply) -> Vec<(String, String)> {
    let body = reply.problem(422, "validation_failed");
    body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap().to_owned(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn nul(field: &str) -> Vec<(String, String)> {
    vec![(field.to_owned(), "nul_character".to_owned())]
}

async fn nul_characters_are_refused_with_their_field(app: TestApp) {
    let c = campus(&app).await;
    let (users, bookings, organisations, requests, closures) = (
        app.count("users").await,
        app.count("bookings").await,
        app.count("organisations").await,
        app.count("service_requests").await,
        app.count("closures").await,
    );
    // Without a token.
    let login = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({ "email": "admin@campus.test\u{0}", "password": "x" })),
            &[],
        )
        .await;
    assert_eq!(refused_fields(login), nul("email"));
    // A booking, in a plain field and deep in an array.
    let day = next(Weekday::Tue, 14);
    let mut booking = station_booking(&c.platform_id, day, "08:00", "10:00");
    booking["group_label"] = json!("CAP\u{0}RICS");
    booking["learners"][0]["status"] = json!("school\u{0}");
    assert_eq!(
        refused_fields(app.post("/api/v1/bookings", &c.teacher, booking).await),
        vec![
            ("group_label".to_owned(), "nul_character".to_owned()),
            ("learners[0].status".to_owned(), "nul_character".to_owned()),
        ]
    );
    let organisation = json!({
        "name": "Lycée\u{0}", "kind": "lycee", "town": "Rodez", "uai": "0120024L", "campus_ids": [c.campus_id],
    });
    assert_eq!(
        refused_fields(
            app.post("/api/v1/organisations", &c.admin, organisation)
                .await
        ),
        nul("name")
    );
    // The anonymous public form.
    let public = json!({
        "company_name": "Moules du Lot", "siret": "40483304800022", "contact_name": "Claire",
        "email": "claire@moules-lot.fr", "phone": "+33 5 65 00 00 00",
        "title": "Carter", "description": "Trois pièces\u{0}", "domains": ["composites"],
    });
    let reply = app
        .call(
            Method::POST,
            "/api/v1/public/service-requests",
            None,
            Some(public),
            &[],
        )
        .await;
    assert_eq!(refused_fields(reply), nul("description"));
    // Query strings and paths.
    assert_eq!(
        refused_fields(app.get("/api/v1/platforms?domain=%00", &c.teacher).await),
        nul("domain")
    );
    assert_eq!(
        refused_fields(app.get("/api/v1/organisations?q=a%00b", &c.admin).await),
        nul("q")
    );
    assert_eq!(
        refused_fields(app.get("/api/v1/calendar/ab%00cd.ics", &c.admin).await),
        nul("path")
    );
    // The iCalendar import, a body that is not JSON.
    let ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:nul-1\r\n\
               DTSTAMP:20260101T000000Z\r\nDTSTART;VALUE=DATE:20270220\r\nDTEND;VALUE=DATE:20270301\r\n\
               SUMMARY:Vacances\u{0} d'hiver\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    let req = actix_web::test::TestRequest::post()
        .uri(&format!(
            "/api/v1/closures/import?scope=campus&scope_id={}",
            c.campus_id
        ))
        .insert_header(("Authorization", format!("Bearer {}", c.admin)))
        .insert_header(("Content-Type", "text/calendar"))
        .set_payload(ics)
        .to_request();
    assert_eq!(refused_fields(app.send(req).await), nul("body"));
    // Nothing was written.
    assert_eq!(
        (
            app.count("users").await,
            app.count("bookings").await,
            app.count("organisations").await,
            app.count("service_requests").await,
            app.count("closures").await,
        ),
        (users, bookings, organisations, requests, closures)
    );
    // An escaped backslash followed by "u0000" is no NUL character.
    let reply = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({ "email": "a\\u0000@campus.test", "password": "x" })),
            &[],
        )
        .await;
    assert_ne!(reply.status.as_u16(), 422, "body: {}", reply.text);
}

/// A request taken by the manager, ready for quotes.
async fn taken_request(app: &TestApp, c: &Campus) -> String {
    let id = app
        .post("/api/v1/service-requests", &c.company, json!({
            "title": "Essais de traction", "description": "Vingt éprouvettes.", "domains": ["welding"],
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
    id
}

fn quote_body(lines: Vec<Value>) -> Value {
    json!({ "valid_until": (today() + Duration::days(30)).to_string(), "lines": lines })
}

fn line(quantity: f64, unit_price_cents: i64, vat_rate_bp: i32) -> Value {
    json!({ "label": "Essai", "quantity": quantity, "unit": "hour",
            "unit_price_cents": unit_price_cents, "vat_rate_bp": vat_rate_bp })
}

async fn quote_amounts_never_overflow(app: TestApp) {
    let c = campus(&app).await;
    let id = taken_request(&app, &c).await;
    let path = format!("/api/v1/service-requests/{id}/quotes");
    // The tester's line: 999,999,999.999 × 100 million euros once answered 201 with a
    // negative amount.
    let reply = app
        .post(
            &path,
            &c.manager,
            quote_body(vec![line(999_999_999.999, 10_000_000_000, 2000)]),
        )
        .await;
    assert_eq!(
        refused_fields(reply),
        vec![("lines[0].quantity".to_owned(), "invalid_value".to_owned())]
    );
    // Each field within its bounds, the quote past the largest amount.
    let reply = app
        .post(
            &path,
            &c.manager,
            quote_body(vec![line(1_000_000.0, 10_000_000_000, 10_000)]),
        )
        .await;
    assert_eq!(
        refused_fields(reply),
        vec![("lines".to_owned(), "amount_too_large".to_owned())]
    );
    // One cent past the bound, then exactly at it.
    let reply = app
        .post(
            &path,
            &c.manager,
            quote_body(vec![line(1000.0, 100_000_000, 0), line(1.0, 1, 0)]),
        )
        .await;
    assert_eq!(
        refused_fields(reply),
        vec![("lines".to_owned(), "amount_too_large".to_owned())]
    );
    assert_eq!(app.count("quotes").await, 0);
    let quote = app
        .post(
            &path,
            &c.manager,
            quote_body(vec![line(1000.0, 100_000_000, 0)]),
        )
        .await
        .expect(201)
        .json();
    assert_eq!(quote["total_incl_vat_cents"], 100_000_000_000_i64);
    // Large amounts are summed without loss.
    let quote = app
        .post(
            &path,
            &c.manager,
            quote_body(vec![
                line(1000.0, 50_000_000, 2000),
                line(1000.0, 33_333_333, 0),
            ]),
        )
        .await
        .expect(201)
        .json();
    assert_eq!(quote["total_excl_vat_cents"], 83_333_333_000_i64);
    assert_eq!(quote["total_vat_cents"], 10_000_000_000_i64);
    assert_eq!(quote["total_incl_vat_cents"], 93_333_333_000_i64);
}

/// A two-hour session booked ahead four weeks ago (the clock goes back for the booking),
/// now over; its day.
async fn past_two_hours(
    app: &TestApp,
    c: &Campus,
    weekday: Weekday,
) -> (String, chrono::NaiveDate) {
    let day = next(weekday, 14) - Duration::days(28);
    app.advance(-Duration::days(28));
    let id = app
        .post(
            "/api/v1/bookings",
            &c.teacher,
            station_booking(&c.platform_id, day, "10:00", "12:00"),
        )
        .await
        .expect(201)
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.advance(Duration::days(28));
    (id, day)
}

async fn usage_times_stay_near_the_booking(app: TestApp) {
    let c = campus(&app).await;
    let (id, day) = past_two_hours(&app, &c, Weekday::Tue).await;
    let (second, second_day) = past_two_hours(&app, &c, Weekday::Thu).await;
    let record = |start: String, end: String| json!({ "actual_start": start, "actual_end": end, "learners": [{ "status": "school", "headcount": 2 }] });
    let put = |record: Value| {
        let path = format!("/api/v1/bookings/{id}/usage");
        let app = &app;
        let manager = c.manager.clone();
        async move {
            app.call(Method::PUT, &path, Some(&manager), Some(record), &[])
                .await
        }
    };
    // The tester's record: 160 hours, from two days before to four days after.
    let absurd = record(
        at(day - Duration::days(2), "10:00"),
        at(day + Duration::days(4), "12:00"),
    );
    assert_eq!(
        refused_fields(put(absurd).await),
        vec![
            ("actual_start".to_owned(), "outside_booking".to_owned()),
            ("actual_end".to_owned(), "outside_booking".to_owned()),
        ]
    );
    // A minute past the tolerance on either side.
    assert_eq!(
        refused_fields(put(record(at(day, "07:59"), at(day, "12:00"))).await),
        vec![("actual_start".to_owned(), "outside_booking".to_owned())]
    );
    assert_eq!(
        refused_fields(put(record(at(day, "10:00"), at(day, "14:01"))).await),
        vec![("actual_end".to_owned(), "outside_booking".to_owned())]
    );
    assert_eq!(app.count("booking_usages").await, 0);
    // Many at once: all or none, and the path names the record at fault.
    let bulk = |first: Value, second_record: Value| {
        let mut first = first;
        let mut second_record = second_record;
        first["booking_id"] = json!(id);
        second_record["booking_id"] = json!(second);
        json!({ "records": [first, second_record] })
    };
    let reply = app
        .post(
            "/api/v1/usage-records",
            &c.manager,
            bulk(
                record(at(day, "10:00"), at(day, "12:00")),
                record(
                    at(second_day, "10:00"),
                    at(second_day + Duration::days(1), "12:00"),
                ),
            ),
        )
        .await;
    assert_eq!(
        refused_fields(reply),
        vec![(
            "records[1].actual_end".to_owned(),
            "outside_booking".to_owned()
        )]
    );
    assert_eq!(app.count("booking_usages").await, 0);
    // Started two hours early and ran two hours late: the same session.
    let saved = put(record(at(day, "08:00"), at(day, "14:00")))
        .await
        .expect(200)
        .json();
    assert_eq!(saved["hours_used"], 6.0);
    app.post(
        "/api/v1/usage-records",
        &c.manager,
        bulk(
            record(at(day, "10:00"), at(day, "11:30")),
            record(at(second_day, "09:30"), at(second_day, "12:30")),
        ),
    )
    .await
    .expect(200);
    assert_eq!(app.count("booking_usages").await, 2);
}

/// The CSV export as records (header first), its byte-order mark removed.
fn csv_records(reply: Reply) -> Vec<csv::StringRecord> {
    let reply = reply.expect(200);
    assert!(reply.content_type().starts_with("text/csv"));
    let text = reply
        .text
        .strip_prefix('\u{feff}')
        .expect("byte-order mark");
    csv::ReaderBuilder::new()
        .delimiter(b';')
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(Result::unwrap)
        .collect()
}

async fn csv_cells_never_become_formulas(app: TestApp) {
    let c = campus(&app).await;
    let titles = [
        "=HYPERLINK(\"http://evil.test\";\"Cliquez\")",
        "+33 5 65 00 00 00",
        "-2+3",
        "@SUM(A1:A9)",
        "Soudure = TIG",
    ];
    for (i, title) in titles.iter().enumerate() {
        let body = json!({
            "company_name": format!("=Société {i}"), "siret": format!("9000000000{:04}", [1, 19, 27, 35, 43][i]),
            "contact_name": "Claire", "email": format!("contact{i}@moules-lot.fr"), "phone": "+33 5 65 00 00 00",
            "title": title, "description": format!("=HYPERLINK(\"http://evil.test/{i}\")"), "domains": ["composites"],
        });
        app.call(
            Method::POST,
            "/api/v1/public/service-requests",
            None,
            Some(body),
            &[],
        )
        .await
        .expect(202);
    }
    // A quote with an amount, which must stay a number.
    let quoted = taken_request(&app, &c).await;
    app.post(
        &format!("/api/v1/service-requests/{quoted}/quotes"),
        &c.manager,
        quote_body(vec![line(1.5, 8500, 2000)]),
    )
    .await
    .expect(201);
    let records = csv_records(
        app.get("/api/v1/service-requests?format=csv", &c.admin)
            .await,
    );
    let header = &records[0];
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (title, company, quote) = (
        column("titre"),
        column("entreprise"),
        column("devis TTC (€)"),
    );
    let written: Vec<&str> = records[1..].iter().map(|r| &r[title]).collect();
    for expected in [
        "'=HYPERLINK(\"http://evil.test\";\"Cliquez\")",
        "'+33 5 65 00 00 00",
        "'-2+3",
        "'@SUM(A1:A9)",
        "Soudure = TIG",
    ] {
        assert!(
            written.contains(&expected),
            "{expected:?} not in {written:?}"
        );
    }
    for record in &records[1..] {
        let name = &record[company];
        assert!(
            !name.starts_with('='),
            "company name written as a formula: {name}"
        );
    }
    let amounts: Vec<&str> = records[1..]
        .iter()
        .map(|r| &r[quote])
        .filter(|a| !a.is_empty())
        .collect();
    // 1.5 h at 85 €, plus 20 % VAT: 153,00, not '153,00.
    assert_eq!(amounts, ["153,00"]);
}

async fn the_export_holds_every_request(app: TestApp) {
    let c = campus(&app).await;
    const COUNT: usize = 1201;
    let pool = app.pool.clone();
    let company_id = c.company_id.clone();
    let now = app.now();
    actix_web::web::block(move || {
        use plateaux::db;
        let mut conn = pool.get().expect("connection");
        db::write_transaction(&mut conn, |conn| {
            for i in 0..COUNT {
                db::service_requests::insert(
                    conn,
                    &db::service_requests::RequestRow {
                        id: db::new_id(),
                        company_id: company_id.clone(),
                        contact_user_id: None,
                        title: format!("Demande {i}"),
                        description: "Essais".into(),
                        domains: ",welding,".into(),
                        requested_platform_id: None,
                        assigned_platform_id: None,
                        assignee_id: None,
                        wished_from: None,
                        wished_to: None,
                        budget_cents: None,
                        confidential: false,
                        links: "[]".into(),
                        state: "submitted".into(),
                        agreement_reference: None,
                        agreement_signed_on: None,
                        delivery_note: None,
                        invoice_reference: None,
                        invoice_amount_cents: None,
                        state_reason: None,
                        created_at: now,
                        updated_at: now,
                    },
                )?;
            }
            Ok::<_, plateaux::error::ApiError>(())
        })
    })
    .await
    .expect("block")
    .expect("requests");
    let records = csv_records(
        app.get("/api/v1/service-requests?format=csv", &c.admin)
            .await,
    );
    assert_eq!(
        records.len(),
        1 + COUNT,
        "a header and one line per request"
    );
    let mut titles: Vec<&str> = records[1..].iter().map(|r| &r[2]).collect();
    titles.sort();
    titles.dedup();
    assert_eq!(titles.len(), COUNT, "each request once");
    // The same through `Accept: text/csv`, and for the company, whose requests they are; a
    // `limit` pages the JSON list, not the export.
    let reply = app
        .call(
            Method::GET,
            "/api/v1/service-requests?limit=10",
            Some(&c.company),
            None,
            &[("Accept", "text/csv")],
        )
        .await;
    assert_eq!(csv_records(reply).len(), 1 + COUNT);
    // The other company still sees none.
    let reply = app
        .get("/api/v1/service-requests?format=csv", &c.other_company)
        .await;
    assert_eq!(csv_records(reply).len(), 1);
}

#[track_caller]
fn assert_headers(reply: &Reply, no_store: bool) {
    assert_eq!(
        reply
            .headers
            .get("x-content-type-options")
            .and_then(|v| v.to_str().ok()),
        Some("nosniff"),
        "status {}: {}",
        reply.status,
        reply.text
    );
    if no_store {
        assert_eq!(
            reply
                .headers
                .get("cache-control")
                .and_then(|v| v.to_str().ok()),
            Some("no-store"),
            "status {}: {}",
            reply.status,
            reply.text
        );
    }
}

async fn security_headers_on_every_response(app: TestApp) {
    let c = campus(&app).await;
    let login = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({ "email": "teacher@campus.test", "password": crate::support::PASSWORD })),
            &[],
        )
        .await
        .expect(200);
    assert_headers(&login, true);
    let refresh = login.json()["refresh_token"].as_str().unwrap().to_owned();
    let refreshed = app
        .call(
            Method::POST,
            "/api/v1/auth/refresh",
            None,
            Some(json!({ "refresh_token": refresh })),
            &[],
        )
        .await
        .expect(200);
    assert_headers(&refreshed, true);
    // Refusals under /auth/ too.
    let refused = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({ "email": "teacher@campus.test", "password": "faux" })),
            &[],
        )
        .await;
    assert_eq!(refused.status.as_u16(), 401);
    assert_headers(&refused, true);
    let calendar = app
        .post(
            "/api/v1/calendar-tokens",
            &c.teacher,
            json!({ "feed": "platform", "target_id": c.platform_id }),
        )
        .await
        .expect(201);
    assert_headers(&calendar, true);
    let confirmations = app
        .get("/api/v1/account-confirmations", &c.admin)
        .await
        .expect(200);
    assert_headers(&confirmations, true);
    let confirm = app
        .call(
            Method::POST,
            "/api/v1/public/account-confirmations",
            None,
            Some(json!({ "token": "inconnu", "password": "un-mot-de-passe-solide" })),
            &[],
        )
        .await;
    assert!(confirm.status.is_client_error(), "body: {}", confirm.text);
    assert_headers(&confirm, true);
    // Every other response: JSON, errors, unknown paths, health and metrics.
    for path in [
        "/api/v1/platforms",
        "/api/v1/nulle-part",
        "/healthz",
        "/readyz",
        "/metrics",
    ] {
        let reply = app.get(path, &c.teacher).await;
        assert_headers(&reply, false);
    }
    let unauthenticated = app.call(Method::GET, "/api/v1/me", None, None, &[]).await;
    assert_eq!(unauthenticated.status.as_u16(), 401);
    assert_headers(&unauthenticated, false);
    // A refusal of the idempotency layer, which answers before any handler.
    let bad_key = app
        .call(
            Method::POST,
            "/api/v1/organisations",
            Some(&c.admin),
            Some(json!({})),
            &[("Idempotency-Key", "clé avec espaces")],
        )
        .await;
    assert_eq!(bad_key.status.as_u16(), 400, "body: {}", bad_key.text);
    assert_headers(&bad_key, false);
    let wrong_method = app.delete("/api/v1/platforms", &c.admin).await;
    assert_eq!(wrong_method.status.as_u16(), 405);
    assert_headers(&wrong_method, false);
}

on_both_databases!(
    nul_characters_are_refused_with_their_field,
    quote_amounts_never_overflow,
    usage_times_stay_near_the_booking,
    csv_cells_never_become_formulas,
    the_export_holds_every_request,
    security_headers_on_every_response,
);
