//! Logins under load and concurrent idempotent requests.

use std::sync::Arc;
use std::time::Duration;

use actix_web::http::Method;
use serde_json::json;

use plateaux::auth::TokenKeys;
use plateaux::domain::rate_limits::{LoginBackoff, RateLimit};
use plateaux::passwords::PasswordGate;
use plateaux::state::AppState;

use crate::on_both_databases;
use crate::support::{campus, relaxed_limits, Reply, TestApp, PASSWORD, TEST_SECRET};

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

/// Three failures in a row, then a minute's lock-out doubling up to fifteen minutes.
fn three_failures_allowed(state: &mut AppState) {
    relaxed_limits(state);
    state.login_backoff = LoginBackoff::new(3, 60, 900);
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
    assert_eq!(retry_after(&refused), 60, "{}", refused.text);
    refused.problem(429, "too_many_failures");
    // Other accounts are not locked; the locked one still works with its access token.
    login_from(&app, "203.0.113.7", "manager@campus.test", PASSWORD)
        .await
        .expect(200);
    app.get("/api/v1/me", &c.teacher).await.expect(200);

    app.advance(chrono::Duration::seconds(59));
    login_from(&app, "203.0.113.7", teacher, PASSWORD)
        .await
        .problem(429, "too_many_failures");
    app.advance(chrono::Duration::seconds(1));
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
    state.login_limit = RateLimit::new(10, 60);
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

/// A second instance of the service on `app`'s database, with the limits `change` sets;
/// both clocks stopped at the start of a ten-minute window (plus five seconds), so that
/// the windows of the two instances are the same ones.
async fn second_instance(app: &TestApp, change: fn(&mut AppState)) -> TestApp {
    let twin = TestApp::on_database(
        app.backend,
        app.database_url.clone(),
        None,
        change,
        TokenKeys::new(TEST_SECRET),
    )
    .await;
    let aligned = app.now() - app.now().rem_euclid(600) + 5;
    let at = chrono::DateTime::from_timestamp(aligned, 0).expect("an instant");
    app.clock.set(at);
    twin.clock.set(at);
    twin
}

/// Both clocks moved on by `seconds`.
fn advance_both(a: &TestApp, b: &TestApp, seconds: i64) {
    a.advance(chrono::Duration::seconds(seconds));
    b.advance(chrono::Duration::seconds(seconds));
}

/// The service's public limit (5 every ten minutes), ten logins per address and minute,
/// three failures in a row per account.
fn shared_limits(state: &mut AppState) {
    relaxed_limits(state);
    state.public_limit = RateLimit::public_default();
    state.login_limit = RateLimit::new(10, 60);
    state.login_backoff = LoginBackoff::new(3, 60, 900);
}

async fn submit_from(app: &TestApp, address: &str, email: &str) -> Reply {
    let req = actix_web::test::TestRequest::post()
        .uri("/api/v1/public/service-requests")
        .peer_addr(format!("{address}:40000").parse().unwrap())
        .insert_header(("Content-Type", "application/json"))
        .set_payload(crate::service_requests::public_body(email, "40483304800022").to_string())
        .to_request();
    app.send(req).await
}

/// Two instances of the service on one database count the requests of a client address
/// together: the public form's five every ten minutes and the logins' ten a minute are
/// each reached by requests split between them, and another address is counted apart.
async fn instances_share_the_limits_per_address(app: TestApp) {
    campus(&app).await;
    let twin = second_instance(&app, shared_limits).await;
    for (i, instance) in [&app, &twin, &app, &twin, &twin].into_iter().enumerate() {
        submit_from(instance, "203.0.113.7", &format!("contact{i}@exemple.fr"))
            .await
            .expect(202);
    }
    for instance in [&app, &twin] {
        let refused = submit_from(instance, "203.0.113.7", "contact9@exemple.fr").await;
        assert_eq!(retry_after(&refused), 595, "{}", refused.text);
        refused.problem(429, "rate_limited");
    }
    submit_from(&app, "198.51.100.9", "autre@exemple.fr")
        .await
        .expect(202);

    for i in 0..10 {
        let instance = if i % 2 == 0 { &app } else { &twin };
        login_from(instance, "203.0.113.8", "teacher@campus.test", PASSWORD)
            .await
            .expect(200);
    }
    for instance in [&app, &twin] {
        let refused = login_from(instance, "203.0.113.8", "teacher@campus.test", PASSWORD).await;
        assert_eq!(retry_after(&refused), 55, "{}", refused.text);
        refused.problem(429, "rate_limited");
    }
    login_from(&twin, "198.51.100.9", "teacher@campus.test", PASSWORD)
        .await
        .expect(200);
    // The next window starts afresh, on both.
    advance_both(&app, &twin, 55);
    login_from(&twin, "203.0.113.8", "teacher@campus.test", PASSWORD)
        .await
        .expect(200);
    advance_both(&app, &twin, 540);
    submit_from(&twin, "203.0.113.7", "contact10@exemple.fr")
        .await
        .expect(202);
}

on_both_databases_with!(instances_share_the_limits_per_address, super::shared_limits);

/// The failures of an account are counted by every instance: three in a row, wherever
/// they were made, lock it out on both for a minute, then for twice as long after one more;
/// the lock ends by itself, a success forgets the failures, and a quiet quarter of an hour
/// forgets them too, so the real user is never locked out for good.
async fn instances_share_the_lock_out_of_an_account(app: TestApp) {
    campus(&app).await;
    let twin = second_instance(&app, shared_limits).await;
    let teacher = "teacher@campus.test";
    let wrong = "pas-le-bon-mot-de-passe";
    let (a, b) = ("203.0.113.7", "198.51.100.9");
    for instance in [&app, &twin, &app] {
        login_from(instance, a, teacher, wrong)
            .await
            .problem(401, "invalid_credentials");
    }
    for instance in [&twin, &app] {
        let refused = login_from(instance, b, teacher, PASSWORD).await;
        assert_eq!(retry_after(&refused), 60, "{}", refused.text);
        refused.problem(429, "too_many_failures");
    }
    // The lock ends by itself; one more failure locks the account for twice as long.
    advance_both(&app, &twin, 60);
    login_from(&twin, a, teacher, wrong)
        .await
        .problem(401, "invalid_credentials");
    let refused = login_from(&app, b, teacher, PASSWORD).await;
    assert_eq!(retry_after(&refused), 120, "{}", refused.text);
    refused.problem(429, "too_many_failures");
    advance_both(&app, &twin, 120);
    login_from(&app, b, teacher, PASSWORD).await.expect(200);
    // The success forgot them: two more failures on the other instance do not lock it.
    for _ in 0..2 {
        login_from(&twin, a, teacher, wrong)
            .await
            .problem(401, "invalid_credentials");
    }
    login_from(&twin, b, teacher, PASSWORD).await.expect(200);
    // Three failures, then a quiet quarter of an hour: the next failure starts a new series.
    for _ in 0..3 {
        login_from(&app, a, teacher, wrong)
            .await
            .problem(401, "invalid_credentials");
    }
    advance_both(&app, &twin, 900);
    login_from(&twin, a, teacher, wrong)
        .await
        .problem(401, "invalid_credentials");
    login_from(&app, b, teacher, PASSWORD).await.expect(200);
    // The table keeps a digest of the address typed, not the address.
    assert_eq!(
        app.count_where("login_failures", "account_key LIKE '%campus%'")
            .await,
        0
    );
}

on_both_databases_with!(
    instances_share_the_lock_out_of_an_account,
    super::shared_limits
);

/// The scheduler each instance runs deletes the counts no limit reads any more: ended
/// windows and failures forgotten after a quiet quarter of an hour.
async fn ended_counts_are_pruned(app: TestApp) {
    campus(&app).await;
    let twin = second_instance(&app, shared_limits).await;
    submit_from(&twin, "203.0.113.7", "contact@exemple.fr")
        .await
        .expect(202);
    login_from(&twin, "203.0.113.7", "teacher@campus.test", "pas-le-bon")
        .await
        .problem(401, "invalid_credentials");
    let scheduler = app.scheduler(plateaux::config::ScheduleConfig::default());
    // Nothing ended yet: a tick leaves every count.
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    assert!(app.count("rate_limit_hits").await >= 2);
    assert_eq!(app.count("login_failures").await, 1);
    app.advance(chrono::Duration::seconds(900));
    let mut left = i64::MAX;
    for _ in 0..100 {
        left = app.count("rate_limit_hits").await + app.count("login_failures").await;
        if left == 0 {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    drop(scheduler);
    assert_eq!(left, 0, "counts left after they ended");
}

on_both_databases_with!(ended_counts_are_pruned, super::shared_limits);

/// The logins of `address` counted in the database, over all its windows.
async fn login_hits(app: &TestApp, address: &str) -> i64 {
    app.count_sql(format!(
        "SELECT CAST(COALESCE(SUM(hits), 0) AS BIGINT) AS n FROM rate_limit_hits \
         WHERE scope = 'login' AND client_key = '{address}'"
    ))
    .await
}

/// Once this instance has read that an address is over its limit, its further attempts are
/// refused from memory until the window ends: the same answer, a `Retry-After` no longer
/// than the rest of the window, and nothing counted in the database (its count stays
/// where it was); the next window admits it again. A locked account likewise stays refused
/// from memory until its lock ends, even with its failures gone from the database.
async fn known_refusals_spare_the_database(app: TestApp) {
    campus(&app).await;
    let aligned = app.now() - app.now().rem_euclid(600) + 5;
    app.clock
        .set(chrono::DateTime::from_timestamp(aligned, 0).expect("an instant"));
    let (flooder, other) = ("203.0.113.8", "198.51.100.9");
    let teacher = "teacher@campus.test";
    for _ in 0..10 {
        login_from(&app, flooder, teacher, PASSWORD)
            .await
            .expect(200);
    }
    let refused = login_from(&app, flooder, teacher, PASSWORD).await;
    assert_eq!(retry_after(&refused), 55, "{}", refused.text);
    refused.problem(429, "rate_limited");
    assert_eq!(login_hits(&app, flooder).await, 11);

    app.advance(chrono::Duration::seconds(20));
    for _ in 0..5 {
        let refused = login_from(&app, flooder, teacher, PASSWORD).await;
        assert_eq!(retry_after(&refused), 35, "{}", refused.text);
        refused.problem(429, "rate_limited");
    }
    assert_eq!(
        login_hits(&app, flooder).await,
        11,
        "refusals counted again"
    );
    login_from(&app, other, teacher, PASSWORD).await.expect(200);

    // The next window admits the address again, and counts it afresh.
    app.advance(chrono::Duration::seconds(35));
    login_from(&app, flooder, teacher, PASSWORD)
        .await
        .expect(200);
    assert_eq!(login_hits(&app, flooder).await, 12);
    assert_eq!(
        app.count_sql(format!(
            "SELECT COUNT(*) AS n FROM rate_limit_hits WHERE client_key = '{flooder}'"
        ))
        .await,
        2
    );

    // Three failures lock the account; once read, the lock is kept here until it ends.
    let manager = "manager@campus.test";
    for _ in 0..3 {
        login_from(&app, other, manager, "pas-le-bon-mot-de-passe")
            .await
            .problem(401, "invalid_credentials");
    }
    let refused = login_from(&app, other, manager, PASSWORD).await;
    assert_eq!(retry_after(&refused), 60, "{}", refused.text);
    refused.problem(429, "too_many_failures");
    assert_eq!(
        app.execute_sql("DELETE FROM login_failures".to_owned())
            .await,
        1
    );
    app.advance(chrono::Duration::seconds(10));
    let refused = login_from(&app, other, manager, PASSWORD).await;
    assert_eq!(retry_after(&refused), 50, "{}", refused.text);
    refused.problem(429, "too_many_failures");
    app.advance(chrono::Duration::seconds(50));
    login_from(&app, other, manager, PASSWORD).await.expect(200);
}

on_both_databases_with!(known_refusals_spare_the_database, super::shared_limits);
