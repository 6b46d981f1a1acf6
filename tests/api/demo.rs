//! The demo campus: seeding twice adds nothing, the data pass the API's own checks, and every
//! demo account works with the rights of its role.

use std::collections::{BTreeMap, HashMap};

use serde_json::{json, Value};

use crate::on_both_databases;
use crate::support::util::item_ids;
use crate::support::{Backend, TestApp};

const TABLES: [&str; 10] = [
    "campuses",
    "organisations",
    "campus_memberships",
    "platforms",
    "platform_opening_intervals",
    "equipment",
    "equipment_qualifications",
    "qualifications",
    "users",
    "user_qualifications",
];

pub(crate) async fn seed(app: &TestApp) -> plateaux::demo::SeedReport {
    let pool = app.pool.clone();
    let now = app.now();
    actix_web::web::block(move || {
        let mut conn = pool.get().expect("connection");
        plateaux::demo::seed(&mut conn, now)
    })
    .await
    .expect("block")
    .expect("seed")
}

async fn counts(app: &TestApp) -> BTreeMap<&'static str, i64> {
    let mut all = BTreeMap::new();
    for table in TABLES {
        all.insert(table, app.count(table).await);
    }
    all
}

fn demo_data() -> Value {
    serde_json::from_str(include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src/demo/campus.json"
    )))
    .expect("campus.json")
}

fn len(data: &Value, key: &str) -> i64 {
    data[key].as_array().unwrap().len() as i64
}

async fn seeding_twice_adds_nothing_and_every_account_works(app: TestApp) {
    // Each run really uses the database it names.
    let scheme = match app.backend {
        Backend::Sqlite => "sqlite://",
        Backend::Postgres => "postgres://",
    };
    assert!(app.database_url.starts_with(scheme), "{}", app.database_url);
    let data = demo_data();
    let first = seed(&app).await;
    let after_first = counts(&app).await;
    let expected_created = 1 + [
        "organisations",
        "qualifications",
        "platforms",
        "equipment",
        "users",
    ]
    .iter()
    .map(|k| len(&data, k))
    .sum::<i64>();
    assert_eq!(first.created as i64, expected_created);
    assert_eq!(after_first["campuses"], 1);
    assert_eq!(after_first["organisations"], len(&data, "organisations"));
    assert_eq!(after_first["platforms"], len(&data, "platforms"));
    assert_eq!(after_first["equipment"], len(&data, "equipment"));
    assert_eq!(after_first["qualifications"], len(&data, "qualifications"));
    assert_eq!(after_first["users"], len(&data, "users"));
    assert!(after_first["organisations"] >= 10, "{after_first:?}");
    assert!(after_first["platforms"] >= 15, "{after_first:?}");
    assert!(after_first["equipment"] >= 60, "{after_first:?}");
    assert!(after_first["qualifications"] >= 6, "{after_first:?}");
    assert!(
        after_first["platform_opening_intervals"] > 0
            && after_first["equipment_qualifications"] > 0
            && after_first["user_qualifications"] > 0
    );

    let second = seed(&app).await;
    assert_eq!(second.created, 0);
    assert_eq!(counts(&app).await, after_first, "a second run adds nothing");
    let logins: Vec<(String, String, String)> = second
        .logins
        .iter()
        .map(|l| (l.email.clone(), l.password.clone(), l.role.to_string()))
        .collect();
    let from_file: Vec<(String, String, String)> = data["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["email"].as_str().unwrap().to_owned(),
                u["password"].as_str().unwrap().to_owned(),
                u["role"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(logins, from_file);
    for role in ["admin", "manager", "teacher", "company", "observer"] {
        assert!(logins.iter().any(|(_, _, r)| r == role), "no demo {role}");
    }

    // Every demo account logs in with its role.
    let mut tokens: HashMap<String, String> = HashMap::new();
    for (email, password, role) in &logins {
        let session = app.login(email, password).await;
        let token = session["access_token"].as_str().unwrap().to_owned();
        let me = app.get("/api/v1/me", &token).await.expect(200).json();
        assert_eq!(me["email"], email.as_str());
        assert_eq!(me["role"], role.as_str());
        assert_eq!(me["active"], true);
        tokens.insert(email.clone(), token);
    }
    let admin = &tokens["directeur@demo.plateaux.test"];

    // The data pass the API's own checks: identifiers, opening hours and policies.
    let organisations = app
        .get("/api/v1/organisations?limit=500", admin)
        .await
        .expect(200)
        .json();
    let mut by_name: HashMap<String, String> = HashMap::new();
    for org in organisations["items"].as_array().unwrap() {
        let id = org["id"].as_str().unwrap();
        by_name.insert(org["name"].as_str().unwrap().to_owned(), id.to_owned());
        let unchanged = app
            .patch(
                &format!("/api/v1/organisations/{id}"),
                admin,
                json!({ "uai": org["uai"], "siret": org["siret"] }),
            )
            .await
            .expect(200)
            .json();
        assert_eq!(
            (&unchanged["uai"], &unchanged["siret"]),
            (&org["uai"], &org["siret"])
        );
    }
    let platforms = app
        .get("/api/v1/platforms?limit=500", admin)
        .await
        .expect(200)
        .json();
    assert_eq!(item_ids(&platforms).len() as i64, len(&data, "platforms"));
    for platform in platforms["items"].as_array().unwrap() {
        let id = platform["id"].as_str().unwrap();
        assert!(
            !platform["opening_hours"].as_array().unwrap().is_empty(),
            "{}",
            platform["name"]
        );
        let unchanged = app
            .patch(&format!("/api/v1/platforms/{id}"), admin, json!({
                "opening_hours": platform["opening_hours"], "booking_policy": platform["booking_policy"], "stations": platform["stations"],
            }))
            .await
            .expect(200)
            .json();
        assert_eq!(unchanged["opening_hours"], platform["opening_hours"]);
        assert_eq!(unchanged["booking_policy"], platform["booking_policy"]);
    }
    let users = app
        .get("/api/v1/users?limit=500", admin)
        .await
        .expect(200)
        .json();
    for role in ["admin", "manager", "teacher", "company", "observer"] {
        assert!(
            users["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|u| u["role"] == role),
            "no {role} account"
        );
    }

    // Managers manage their two platforms; the teacher holds the welding safety training.
    let manager = app
        .get(
            "/api/v1/me",
            &tokens["responsable.usinage@demo.plateaux.test"],
        )
        .await
        .expect(200)
        .json();
    assert_eq!(manager["managed_platform_ids"].as_array().unwrap().len(), 2);
    let machining = by_name["Lycée La Découverte"].clone();
    let owned = app
        .get(
            &format!("/api/v1/platforms?owner_organisation_id={machining}"),
            admin,
        )
        .await
        .expect(200)
        .json();
    let mut owned_ids = item_ids(&owned);
    owned_ids.sort();
    assert_eq!(manager["managed_platform_ids"], json!(owned_ids));
    let teacher = &tokens["enseignant.soudage@demo.plateaux.test"];
    let teacher_id = app.get("/api/v1/me", teacher).await.expect(200).json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let held = app
        .get(
            &format!("/api/v1/users/{teacher_id}/qualifications"),
            teacher,
        )
        .await
        .expect(200)
        .json();
    assert_eq!(held[0]["name"], "Sécurité en soudage à l'arc");
    assert_eq!(held[0]["awarded_on"], "2025-09-01");
    assert_eq!(held[0]["expires_on"], "2027-09-01");

    // A demo company sees itself, not the other demo company.
    let company = &tokens["contact@usinages-cele.demo.plateaux.test"];
    let own = by_name["Usinages Précis du Célé"].clone();
    let other = by_name["Stratiforme Capdenac"].clone();
    app.get(&format!("/api/v1/organisations/{own}"), company)
        .await
        .expect(200);
    app.get(&format!("/api/v1/organisations/{other}"), company)
        .await
        .problem(404, "not_found");
    let companies = app
        .get("/api/v1/organisations?kind=company", company)
        .await
        .expect(200)
        .json();
    assert_eq!(item_ids(&companies), vec![own.clone()]);
    let other_contact = app
        .get("/api/v1/users?email=stratiforme", admin)
        .await
        .expect(200)
        .json();
    let other_contact_id = item_ids(&other_contact)
        .pop()
        .expect("the other company's contact");
    app.get(&format!("/api/v1/users/{other_contact_id}"), company)
        .await
        .problem(404, "not_found");
    // The steering committee reads the inventory but no accounts.
    let observer = &tokens["copil@demo.plateaux.test"];
    app.get("/api/v1/users", observer)
        .await
        .problem(403, "forbidden");
    let equipment = app
        .get("/api/v1/equipment?limit=500", observer)
        .await
        .expect(200)
        .json();
    assert_eq!(item_ids(&equipment).len() as i64, len(&data, "equipment"));
    app.get(&format!("/api/v1/organisations/{own}"), observer)
        .await
        .problem(404, "not_found");

    // The third run, after all this, still adds nothing.
    assert_eq!(seed(&app).await.created, 0);
    assert_eq!(counts(&app).await, after_first);
}

on_both_databases!(seeding_twice_adds_nothing_and_every_account_works);

/// The demo's equipment reads in French on the platform pages: its types (a free text) were
/// English words (« 5-axis CNC machining centre ») in a French table.
async fn demo_equipment_types_read_in_french(app: TestApp) {
    use actix_web::http::Method;
    seed(&app).await;
    let mut jar = crate::web::Jar::default();
    crate::web::log_in(
        &app,
        &mut jar,
        "enseignant.soudage@demo.plateaux.test",
        "demo-soudage-2027",
    )
    .await;
    let teacher = app
        .login("enseignant.soudage@demo.plateaux.test", "demo-soudage-2027")
        .await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let platforms = app
        .get("/api/v1/platforms?limit=500", &teacher)
        .await
        .expect(200)
        .json();
    let english = [
        "machining",
        "lathe",
        "welding",
        "booth",
        "printer",
        "bench",
        "analyser",
        "cutter",
        "grinder",
        "moulding",
        "painting",
        "robotic",
        "measuring",
        "training",
    ];
    let mut pages = 0;
    let mut french_type_shown = false;
    for id in item_ids(&platforms) {
        let page =
            crate::web::browse(&app, &mut jar, Method::GET, &format!("/plateaux/{id}"), "").await;
        assert_eq!(page.status, actix_web::http::StatusCode::OK, "{id}");
        let lower = page.text.to_lowercase();
        for word in english {
            assert!(!lower.contains(word), "« {word} » on /plateaux/{id}");
        }
        french_type_shown |= page
            .text
            .contains("<td>centre d&#39;usinage 5 axes à commande numérique</td>");
        pages += 1;
    }
    assert_eq!(pages as i64, len(&demo_data(), "platforms"));
    assert!(french_type_shown, "the machining centres' type, in French");
}

on_both_databases!(demo_equipment_types_read_in_french);

/// The demo's request waiting for the company's answer has a quote still valid today: its
/// contact, trying the demo, accepts it from the request's page.
async fn the_demo_quote_awaiting_an_answer_can_be_accepted(app: TestApp) {
    use actix_web::http::{Method, StatusCode};
    seed(&app).await;
    let mut jar = crate::web::Jar::default();
    crate::web::log_in(
        &app,
        &mut jar,
        "contact@stratiforme.demo.plateaux.test",
        "demo-stratiforme-2027",
    )
    .await;
    let company = app
        .login(
            "contact@stratiforme.demo.plateaux.test",
            "demo-stratiforme-2027",
        )
        .await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let requests = app
        .get("/api/v1/service-requests?limit=50", &company)
        .await
        .expect(200)
        .json();
    let id = requests["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["state"] == "quoted")
        .expect("a request waiting for the company's answer")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/demandes/{id}");
    let page = crate::web::browse(&app, &mut jar, Method::GET, &path, "").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    // Its lines read as French writes quantities.
    assert!(page.text.contains("<td>6 heures</td>"), "{}", page.text);
    assert!(page.text.contains("<td>1 forfait</td>"), "{}", page.text);
    let csrf = crate::web::csrf_of(&page);
    let form: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("csrf", &csrf)
        .append_pair("action", "accept")
        .append_pair("quote_version", "1")
        .finish();
    let accepted = crate::web::browse(
        &app,
        &mut jar,
        Method::POST,
        &format!("{path}/actions"),
        &form,
    )
    .await;
    assert_eq!(accepted.status, StatusCode::SEE_OTHER, "{}", accepted.text);
    assert_eq!(
        app.count_sql(format!(
            "SELECT COUNT(*) AS n FROM service_requests WHERE id = '{id}' AND state = 'accepted'"
        ))
        .await,
        1
    );
}

on_both_databases!(the_demo_quote_awaiting_an_answer_can_be_accepted);

/// Rows of the past term: what the second load must not add to.
const HISTORY_TABLES: [&str; 10] = [
    "bookings",
    "booking_series",
    "booking_usages",
    "closures",
    "maintenance_windows",
    "service_requests",
    "quotes",
    "service_request_events",
    "outbox_messages",
    "audit_events",
];

fn figure(value: &Value) -> f64 {
    value
        .as_f64()
        .unwrap_or_else(|| panic!("a number: {value}"))
}

/// The demo has a past term: non-zero indicators for the school year (sessions, hours,
/// occupancy, learner statuses, shared and company use), sessions left unreported (last
/// week's most), cancellations and no-shows, one holiday import, one maintenance window,
/// service requests at every stage with quotes; its e-mails went out at the time; loading
/// it again adds nothing.
async fn the_demo_has_a_past_term_written_once(app: TestApp) {
    let started = std::time::Instant::now();
    let first = seed(&app).await;
    let took = started.elapsed();
    eprintln!(
        "demo loaded in {took:?} on {:?}: {} items, {} rows of history",
        app.backend, first.created, first.history
    );
    assert!(first.history > 150, "{}", first.history);
    assert!(
        took < std::time::Duration::from_secs(30),
        "the demo loads fast: {took:?}"
    );
    let admin = app
        .login("directeur@demo.plateaux.test", "demo-directeur-2027")
        .await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let indicators = app
        .get("/api/v1/reports/indicators?school_year=2026-2027", &admin)
        .await
        .expect(200)
        .json();
    let campus = &indicators["campus"];
    assert!(figure(&campus["sessions_booked"]) >= 130.0, "{campus}");
    assert!(figure(&campus["hours_used"]) > 300.0, "{campus}");
    assert!(figure(&campus["occupied_hours"]) > 0.0, "{campus}");
    assert!(figure(&campus["occupancy"]) > 0.0, "{campus}");
    assert!(figure(&campus["sessions_cancelled"]) >= 3.0, "{campus}");
    assert!(figure(&campus["sessions_no_show"]) >= 2.0, "{campus}");
    assert!(figure(&campus["sessions_unreported"]) >= 5.0, "{campus}");
    assert!(figure(&campus["mixed_sessions"]) >= 10.0, "{campus}");
    assert!(figure(&campus["shared_hours_used"]) > 0.0, "{campus}");
    assert!(figure(&campus["company_hours_used"]) > 0.0, "{campus}");
    for status in [
        "school",
        "apprentice",
        "continuing_education",
        "higher_education",
        "company",
    ] {
        assert!(
            figure(&campus["learner_hours"][status]) > 0.0,
            "{status}: {campus}"
        );
    }
    let requests = &indicators["service_requests"];
    assert!(figure(&requests["received"]) >= 10.0, "{requests}");
    assert!(figure(&requests["quoted"]) >= 6.0, "{requests}");
    assert!(figure(&requests["accepted"]) >= 4.0, "{requests}");
    assert!(figure(&requests["delivered"]) >= 2.0, "{requests}");
    assert!(figure(&requests["invoiced_cents"]) > 0.0, "{requests}");
    assert!(!indicators["top_platforms_by_shared_use"]
        .as_array()
        .unwrap()
        .is_empty());

    // Unreported sessions: last week's most of all, a few older ones.
    let last_monday = {
        let today = chrono::DateTime::from_timestamp(app.now(), 0)
            .unwrap()
            .with_timezone(&chrono_tz::Europe::Paris)
            .date_naive();
        today
            - chrono::Duration::days(i64::from(
                chrono::Datelike::weekday(&today).num_days_from_monday(),
            ))
            - chrono::Duration::weeks(1)
    };
    let since = plateaux::domain::time::date_at_minute(last_monday, 0, &chrono_tz::Europe::Paris);
    let unreported = |from: i64, to: i64| {
        format!(
            "SELECT COUNT(*) AS n FROM bookings b WHERE b.status = 'confirmed' AND b.starts_at >= {from} AND b.starts_at < {to} \
             AND NOT EXISTS (SELECT 1 FROM booking_usages u WHERE u.booking_id = b.id)"
        )
    };
    let last_week = app.count_sql(unreported(since, since + 7 * 86_400)).await;
    let before = app.count_sql(unreported(0, since)).await;
    assert!(last_week >= 5, "last week unreported: {last_week}");
    assert!(
        before >= 1 && before < last_week,
        "older unreported: {before}"
    );
    // Nothing in the current week or later: the demo's future is free to book.
    assert_eq!(
        app.count_sql(format!(
            "SELECT COUNT(*) AS n FROM bookings WHERE ends_at > {}",
            since + 7 * 86_400
        ))
        .await,
        0
    );

    // Requests at every stage, with quotes.
    let states = app
        .count_sql("SELECT COUNT(DISTINCT state) AS n FROM service_requests".to_owned())
        .await;
    assert!(states >= 9, "{states} states");
    assert!(app.count("quotes").await >= 7);
    assert_eq!(
        app.count_sql("SELECT COUNT(*) AS n FROM closures WHERE source_uid IS NOT NULL".to_owned())
            .await,
        3,
        "one past holiday, two coming ones"
    );
    assert_eq!(app.count("maintenance_windows").await, 1);
    // The week of the holiday has no class session: the series skipped it.
    assert!(app.count("booking_series_skips").await >= 12);
    // The e-mails of the past went out at the time: none waits to be sent.
    assert_eq!(
        app.count_sql(
            "SELECT COUNT(*) AS n FROM outbox_messages WHERE state IN ('queued', 'failed')"
                .to_owned()
        )
        .await,
        0
    );

    let mut after_first = BTreeMap::new();
    for table in HISTORY_TABLES {
        after_first.insert(table, app.count(table).await);
    }
    let second = seed(&app).await;
    assert_eq!((second.created, second.history, second.holidays), (0, 0, 0));
    let mut after_second = BTreeMap::new();
    for table in HISTORY_TABLES {
        after_second.insert(table, app.count(table).await);
    }
    assert_eq!(after_second, after_first, "a second load adds nothing");
}

on_both_databases!(at "2027-03-10T10:00:00+01:00": the_demo_has_a_past_term_written_once);

/// A teacher trying a term series on the demo sees the coming school holidays skipped: the
/// demo holds them, placed from today, as an imported holiday calendar would.
async fn a_term_series_on_the_demo_skips_the_coming_holidays(app: TestApp) {
    use crate::support::dates::{at, next};
    use chrono::{Duration, Weekday};
    let first = seed(&app).await;
    assert_eq!(first.holidays, 2);
    let teacher = app
        .login("enseignant.soudage@demo.plateaux.test", "demo-soudage-2027")
        .await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let platforms = app
        .get("/api/v1/platforms?limit=50", &teacher)
        .await
        .expect(200)
        .json();
    let platform_id = platforms["items"][0]["id"].as_str().unwrap().to_owned();
    // Weekly on Tuesdays for the next twelve weeks.
    let tuesday = next(Weekday::Tue, 1);
    let until = tuesday + Duration::weeks(11);
    let preview = app
        .post(
            "/api/v1/booking-series/preview",
            &teacher,
            json!({
                "first_occurrence": crate::support::station_booking(&platform_id, tuesday, "08:00", "10:00"),
                "rrule": format!("FREQ=WEEKLY;UNTIL={}", until.format("%Y%m%d")),
                "mode": "skip_conflicts",
            }),
        )
        .await
        .expect(200)
        .json();
    let holidays: Vec<&Value> = preview["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| {
            s["code"] == "closed"
                && s["reason"]
                    .as_str()
                    .is_some_and(|r| r.contains("Vacances scolaires"))
        })
        .collect();
    // Each period is two weeks, so the first takes two Tuesdays in a row; the second starts
    // nine weeks after the first, so on some days one or both of its Tuesdays fall within
    // the twelve weeks too.
    assert!((2..=4).contains(&holidays.len()), "{preview}");
    let weeks: Vec<i64> = holidays
        .iter()
        .map(|s| {
            let starts = s["starts_at"].as_str().unwrap();
            (0..12)
                .find(|w| starts == at(tuesday + Duration::weeks(*w), "08:00"))
                .unwrap_or_else(|| panic!("{starts} is not a Tuesday of the series"))
        })
        .collect();
    assert_eq!(weeks[1], weeks[0] + 1, "{preview}");
    if let Some(third) = weeks.get(2) {
        assert_eq!(*third, weeks[0] + 9, "{preview}");
    }

    // Loaded again the same day, the demo adds no holiday.
    let closures = app.count("closures").await;
    let audit = app.count("audit_events").await;
    let second = seed(&app).await;
    assert_eq!(second.holidays, 0);
    assert_eq!(app.count("closures").await, closures);
    assert_eq!(app.count("audit_events").await, audit);
}

on_both_databases!(a_term_series_on_the_demo_skips_the_coming_holidays);
