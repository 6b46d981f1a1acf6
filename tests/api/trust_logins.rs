//! Logins under load and concurrent idempotent requests.

use std::sync::Arc;
use std::time::Duration;

use actix_web::http::Method;
use serde_json::json;

use plateaux::passwords::PasswordGate;
use plateaux::rate_limit::{LoginThrottle, RateLimiter};
use plateaux::state::AppState;

use crate::on_both_databases;
use crate::support::{campus, relaxed_limits, Reply, TestApp, PASSWORD};

/// Runs `$name` on both databases with the state changed by `$change` (limits).
macro_rules! on_both_databases_with {
    ($name:ident, $change:expr) => {
        mod $name {
            #[actix_web::test]
            async fn sqlite() {
                super::$name(
                    $crate::support::TestApp::with_state($crate::support::Backend::Sqlite, $change)
                        .await,
                )
                .await
            }

            #[actix_web::test]
            async fn postgres() {
                super::$name(
                    $crate::support::TestApp::with_state(
                        $crate::support::Backend::Postgres,
                        $change,
                    )
                    .await,
                )
                .await
            }
        }
    };
}

async fn login_from(app: &TestApp, address: &str, email: &str, password: &str) -> Reply {
    let req = actix_web::test::TestRequest::post()
        .uri("/api/v1/auth/login")
        .peer_addr(format!("{address}:40000").parse().unwrap())
        .insert_header(("Content-Type", "application/json"))
        .set_payload(json!({ "email": email, "password": password }).to_string())
        .to_request();
    app.send(req).await
}

fn retry_after(reply: &Reply) -> u64 {
    reply
        .headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no Retry-After: {reply:?}"))
}

/// Words of the schema that no answer may show.
#[track_caller]
fn names_nothing_internal(reply: &Reply) {
    for word in [
        "_key",
        "_fkey",
        "_pkey",
        "constraint",
        "CONSTRAINT",
        "organisations.",
        "idempotency_records",
        "UNIQUE",
    ] {
        assert!(!reply.text.contains(word), "{word} in {}", reply.text);
    }
}

fn one_password_check_at_once(state: &mut AppState) {
    relaxed_limits(state);
    state.password_gate = Arc::new(PasswordGate::new(1, 0, Duration::from_secs(1)));
}

async fn logins_beyond_the_bound_are_refused_with_retry_after(app: TestApp) {
    campus(&app).await;
    let replies = futures_util::future::join_all((0..12).map(|_| {
        app.call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({ "email": "teacher@campus.test", "password": PASSWORD })),
            &[],
        )
    }))
    .await;
    let mut refused = 0;
    let mut admitted = 0;
    for reply in replies {
        match reply.status.as_u16() {
            200 => admitted += 1,
            429 => {
                assert!(retry_after(&reply) >= 1);
                reply.problem(429, "too_many_logins");
                refused += 1;
            }
            _ => panic!("neither admitted nor refused: {reply:?}"),
        }
    }
    assert!(admitted >= 1, "the first login is admitted");
    assert!(refused >= 1, "logins beyond the bound are refused");
    // Once the burst is over, logins are admitted again.
    app.login("teacher@campus.test", PASSWORD).await;
}

on_both_databases_with!(
    logins_beyond_the_bound_are_refused_with_retry_after,
    super::one_password_check_at_once
);

fn three_failures_allowed(state: &mut AppState) {
    relaxed_limits(state);
    state.login_throttle = Arc::new(LoginThrottle::new(
        3,
        // Long enough that a loaded machine answers the next requests within it.
        Duration::from_millis(2000),
        Duration::from_secs(60),
    ));
}

async fn failures_lock_an_account_for_a_while(app: TestApp) {
    let c = campus(&app).await;
    let teacher = "teacher@campus.test";
    for _ in 0..3 {
        login_from(&app, "203.0.113.7", teacher, "pas-le-bon-mot-de-passe")
            .await
            .problem(401, "invalid_credentials");
    }
    // Refused even with the right password, from any address.
    let refused = login_from(&app, "198.51.100.9", teacher, PASSWORD).await;
    assert!((1..=2).contains(&retry_after(&refused)), "{}", refused.text);
    refused.problem(429, "too_many_failures");
    // Other accounts are not locked; the locked one still works with its access token.
    login_from(&app, "203.0.113.7", "manager@campus.test", PASSWORD)
        .await
        .expect(200);
    app.get("/api/v1/me", &c.teacher).await.expect(200);

    actix_web::rt::time::sleep(Duration::from_millis(2100)).await;
    login_from(&app, "203.0.113.7", teacher, PASSWORD)
        .await
        .expect(200);
    // The success forgot the failures: one more is not a fourth in a row.
    login_from(&app, "203.0.113.7", teacher, "pas-le-bon-mot-de-passe")
        .await
        .problem(401, "invalid_credentials");
    login_from(&app, "203.0.113.7", teacher, PASSWORD)
        .await
        .expect(200);

    // Wrong current passwords given to PATCH /me count as failures of the account too.
    for _ in 0..3 {
        app.patch(
            "/api/v1/me",
            &c.manager,
            json!({ "current_password": "pas-le-bon-mot-de-passe", "new_password": "un-nouveau-mot-de-passe" }),
        )
        .await
        .problem(422, "validation_failed");
    }
    app.patch(
        "/api/v1/me",
        &c.manager,
        json!({ "current_password": PASSWORD, "new_password": "un-nouveau-mot-de-passe" }),
    )
    .await
    .problem(429, "too_many_failures");
    login_from(&app, "203.0.113.7", "manager@campus.test", PASSWORD)
        .await
        .problem(429, "too_many_failures");
}

on_both_databases_with!(
    failures_lock_an_account_for_a_while,
    super::three_failures_allowed
);

/// Ten: the campus is built with seven logins from the harness's own (absent) address.
fn ten_logins_per_address(state: &mut AppState) {
    relaxed_limits(state);
    state.login_limiter = Arc::new(RateLimiter::new(10, Duration::from_secs(60)));
}

async fn an_address_is_limited_without_blocking_others(app: TestApp) {
    campus(&app).await;
    for _ in 0..10 {
        login_from(&app, "203.0.113.7", "admin@campus.test", "devine")
            .await
            .problem(401, "invalid_credentials");
    }
    let refused = login_from(&app, "203.0.113.7", "teacher@campus.test", PASSWORD).await;
    assert!(
        (1..=60).contains(&retry_after(&refused)),
        "{}",
        refused.text
    );
    refused.problem(429, "rate_limited");
    // Another client reaches the same accounts.
    login_from(&app, "198.51.100.9", "admin@campus.test", PASSWORD)
        .await
        .expect(200);
    login_from(&app, "198.51.100.9", "teacher@campus.test", PASSWORD)
        .await
        .expect(200);
}

on_both_databases_with!(
    an_address_is_limited_without_blocking_others,
    super::ten_logins_per_address
);

async fn tokens_are_never_replayed(app: TestApp) {
    let c = campus(&app).await;
    let records = app.count("idempotency_records").await;
    let key = [("Idempotency-Key", "connexion-1")];
    let body = json!({ "email": "teacher@campus.test", "password": PASSWORD });
    let first = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(body.clone()),
            &key,
        )
        .await
        .expect(200);
    let second = app
        .call(Method::POST, "/api/v1/auth/login", None, Some(body), &key)
        .await
        .expect(200);
    assert!(second.headers.get("idempotent-replayed").is_none());
    assert_ne!(
        first.json()["refresh_token"],
        second.json()["refresh_token"]
    );

    let refresh = json!({ "refresh_token": second.json()["refresh_token"] });
    let renewed = app
        .call(
            Method::POST,
            "/api/v1/auth/refresh",
            None,
            Some(refresh.clone()),
            &key,
        )
        .await
        .expect(200);
    // The token was used: a second presentation is refused, not answered from a store.
    let again = app
        .call(
            Method::POST,
            "/api/v1/auth/refresh",
            None,
            Some(refresh),
            &key,
        )
        .await;
    assert_ne!(again.status.as_u16(), 200, "{}", again.text);
    assert!(!again
        .text
        .contains(renewed.json()["refresh_token"].as_str().unwrap()));

    let feed = json!({ "feed": "platform", "target_id": c.platform_id });
    let key = [("Idempotency-Key", "agenda-1")];
    let one = app
        .call(
            Method::POST,
            "/api/v1/calendar-tokens",
            Some(&c.teacher),
            Some(feed.clone()),
            &key,
        )
        .await
        .expect(201);
    let two = app
        .call(
            Method::POST,
            "/api/v1/calendar-tokens",
            Some(&c.teacher),
            Some(feed),
            &key,
        )
        .await
        .expect(201);
    assert!(two.headers.get("idempotent-replayed").is_none());
    assert_ne!(one.text, two.text);
    assert_eq!(app.count("calendar_tokens").await, 2);

    assert_eq!(app.count("idempotency_records").await, records);
}

on_both_databases!(tokens_are_never_replayed);

async fn concurrent_duplicates_create_once(app: TestApp) {
    let c = campus(&app).await;
    let organisations = app.count("organisations").await;
    let body = json!({
        "name": "Forges de l'Aveyron", "kind": "company", "siret": "40483304800022",
        "campus_ids": [c.campus_id],
    });
    let replies = futures_util::future::join_all((0..16).map(|_| {
        app.call(
            Method::POST,
            "/api/v1/organisations",
            Some(&c.admin),
            Some(body.clone()),
            &[("Idempotency-Key", "forges-1")],
        )
    }))
    .await;
    let mut created: Option<String> = None;
    for reply in replies {
        names_nothing_internal(&reply);
        match reply.status.as_u16() {
            201 => match &created {
                Some(first) => assert_eq!(&reply.text, first, "the same answer"),
                None => created = Some(reply.text.clone()),
            },
            _ => {
                reply.problem(409, "idempotency_in_progress");
            }
        }
    }
    assert!(created.is_some());
    assert_eq!(app.count("organisations").await, organisations + 1);
}

on_both_databases!(concurrent_duplicates_create_once);

/// On PostgreSQL, the race made certain: an open transaction of the test holds the key
/// uncommitted, so every request with that key finds no record and stops on the key's
/// index; the test then rolls back and they all go on at once. (SQLite has one writer at
/// a time and no such race.)
#[actix_web::test]
async fn duplicates_racing_on_the_key_replay_the_first() {
    use diesel::prelude::*;
    let app = TestApp::new(crate::support::Backend::Postgres).await;
    let c = campus(&app).await;
    let organisations = app.count("organisations").await;
    let admin_id = app.get("/api/v1/me", &c.admin).await.expect(200).json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (held_tx, held_rx) = std::sync::mpsc::channel();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let url = app.database_url.clone();
    let holder = std::thread::spawn(move || {
        let mut conn = diesel::PgConnection::establish(&url).expect("connection");
        diesel::sql_query("BEGIN").execute(&mut conn).unwrap();
        diesel::sql_query(format!(
            "INSERT INTO idempotency_records (scope, idempotency_key, request_hash, created_at) \
             VALUES ('user:{admin_id}', 'forges-2', 'held by the test', extract(epoch from now())::bigint)"
        ))
        .execute(&mut conn)
        .unwrap();
        held_tx.send(()).unwrap();
        release_rx.recv().unwrap();
        diesel::sql_query("ROLLBACK").execute(&mut conn).unwrap();
    });
    held_rx.recv().unwrap();

    let body = json!({
        "name": "Forges de l'Aveyron", "kind": "company", "siret": "40483304800022",
        "campus_ids": [c.campus_id],
    });
    // Six requests: the pool's other two connections serve the test's own look-ups.
    let requests = futures_util::future::join_all((0..6).map(|_| {
        app.call(
            Method::POST,
            "/api/v1/organisations",
            Some(&c.admin),
            Some(body.clone()),
            &[("Idempotency-Key", "forges-2")],
        )
    }));
    let release = async {
        let mut waiting = 0;
        for _ in 0..400 {
            waiting = app
                .count_where(
                    "pg_stat_activity",
                    "datname = current_database() AND wait_event_type = 'Lock'",
                )
                .await;
            if waiting >= 6 {
                break;
            }
            actix_web::rt::time::sleep(Duration::from_millis(25)).await;
        }
        release_tx.send(()).unwrap();
        waiting
    };
    let (replies, waiting) = futures_util::future::join(requests, release).await;
    holder.join().unwrap();
    assert!(waiting >= 2, "only {waiting} requests met on the key");

    let mut created: Option<String> = None;
    for reply in replies {
        names_nothing_internal(&reply);
        match reply.status.as_u16() {
            201 => match &created {
                Some(first) => assert_eq!(&reply.text, first, "the same answer"),
                None => created = Some(reply.text.clone()),
            },
            _ => {
                reply.problem(409, "idempotency_in_progress");
            }
        }
    }
    assert!(created.is_some());
    assert_eq!(app.count("organisations").await, organisations + 1);
}

async fn a_duplicate_names_no_constraint(app: TestApp) {
    let c = campus(&app).await;
    let organisations = app.count("organisations").await;
    let company = |name: &str| json!({ "name": name, "kind": "company", "siret": "40483304800022", "campus_ids": [c.campus_id] });
    let (one, two) = futures_util::future::join(
        app.post(
            "/api/v1/organisations",
            &c.admin,
            company("Forges de l'Aveyron"),
        ),
        app.post("/api/v1/organisations", &c.admin, company("Forges du Lot")),
    )
    .await;
    let mut statuses = [one.status.as_u16(), two.status.as_u16()];
    statuses.sort();
    assert_eq!(statuses, [201, 409], "{} / {}", one.text, two.text);
    let refused = if one.status.as_u16() == 409 { one } else { two };
    names_nothing_internal(&refused);
    let problem = refused.problem(409, "already_exists");
    assert!(
        problem["detail"].as_str().unwrap().contains("SIRET"),
        "says what is taken: {problem}"
    );
    assert_eq!(app.count("organisations").await, organisations + 1);

    // The same, one after the other.
    let again = app
        .post("/api/v1/organisations", &c.admin, company("Forges du Tarn"))
        .await;
    names_nothing_internal(&again);
    again.problem(409, "already_exists");
}

on_both_databases!(a_duplicate_names_no_constraint);
