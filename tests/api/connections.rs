//! The database dropping the service's connections (a restart, an administrator's
//! `pg_terminate_backend`). PostgreSQL only: an embedded SQLite database has no server to
//! lose.

use std::time::Duration;

use chrono::Weekday;
use diesel::{Connection, PgConnection, RunQueryDsl};

use crate::support::dates::next;
use crate::support::{campus, station_booking, Backend, Reply, TestApp};

/// Closes every other session of the test database, as a restart of the server would.
async fn drop_service_connections(app: &TestApp) {
    let url = app.database_url.clone();
    actix_web::web::block(move || {
        let mut conn = PgConnection::establish(&url).expect("a session of our own");
        diesel::sql_query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        .execute(&mut conn)
        .expect("terminate the service's sessions");
    })
    .await
    .expect("block");
}

/// How many bookings the database holds, read on a session of the test's own (the
/// service's pool may still hold dropped connections).
async fn bookings_written(app: &TestApp) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let url = app.database_url.clone();
    actix_web::web::block(move || {
        let mut conn = PgConnection::establish(&url).expect("a session of our own");
        diesel::sql_query("SELECT count(*) AS n FROM bookings")
            .get_result::<Count>(&mut conn)
            .expect("count")
            .n
    })
    .await
    .expect("block")
}

/// Sends `request` until it succeeds; every failure on the way must be a 503 problem
/// document (never a 500), and there may be at most one per connection the pools held.
async fn until_answered<F, Fut>(success: u16, mut request: F) -> (Reply, usize)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Reply>,
{
    // The main pool (8) and the booking writer's (2), plus the attempt that succeeds.
    const MOST_ATTEMPTS: usize = 8 + 2 + 1;
    for failures in 0..MOST_ATTEMPTS {
        let reply = request().await;
        if reply.status.as_u16() == success {
            return (reply, failures);
        }
        assert_eq!(
            reply
                .headers
                .get("retry-after")
                .and_then(|v| v.to_str().ok()),
            Some("1"),
            "{}",
            reply.text
        );
        reply.problem(503, "database_unavailable");
    }
    panic!("still failing after {MOST_ATTEMPTS} attempts");
}

#[actix_web::test]
async fn dropped_connections_are_replaced() {
    let app = TestApp::new(Backend::Postgres).await;
    let c = campus(&app).await;
    let day = next(Weekday::Tue, 7);
    app.post(
        "/api/v1/bookings",
        &c.manager,
        station_booking(&c.platform_id, day, "08:00", "10:00"),
    )
    .await
    .expect(201);

    // Connections in use a moment ago are not checked again before their next use: the
    // requests that meet a dropped one fail with 503 and the connection is replaced.
    drop_service_connections(&app).await;
    let (platforms, _) = until_answered(200, || app.get("/api/v1/platforms", &c.teacher)).await;
    assert_eq!(platforms.json()["items"].as_array().unwrap().len(), 2);
    let (created, failures) = until_answered(201, || {
        app.post(
            "/api/v1/bookings",
            &c.manager,
            station_booking(&c.platform_id, day, "10:00", "12:00"),
        )
    })
    .await;
    assert_eq!(created.json()["stations"], 2);
    assert_eq!(
        bookings_written(&app).await,
        2,
        "the {failures} refused attempt(s) wrote nothing"
    );
    // Every pooled connection works again.
    for _ in 0..12 {
        app.get("/api/v1/platforms", &c.teacher).await.expect(200);
    }

    // Several bookings at once on dropped connections: those that meet in one batch fail
    // as a whole and are written again one by one, on other connections. Each answer is
    // 201 or 503, and exactly the bookings answered 201 are written.
    let wednesday = day + chrono::Duration::days(1);
    app.post(
        "/api/v1/bookings",
        &c.manager,
        station_booking(&c.platform_id, wednesday, "13:30", "15:30"),
    )
    .await
    .expect(201);
    drop_service_connections(&app).await;
    let before = bookings_written(&app).await;
    let replies = futures_util::future::join_all((0..6).map(|_| {
        app.post(
            "/api/v1/bookings",
            &c.manager,
            station_booking(&c.platform_id, wednesday, "08:00", "10:00"),
        )
    }))
    .await;
    let mut created = 0;
    for reply in replies {
        if reply.status.as_u16() == 201 {
            created += 1;
        } else {
            reply.problem(503, "database_unavailable");
        }
    }
    assert_eq!(bookings_written(&app).await, before + created);
    until_answered(201, || {
        app.post(
            "/api/v1/bookings",
            &c.manager,
            station_booking(&c.platform_id, wednesday, "10:00", "12:00"),
        )
    })
    .await;

    // Connections that idled for a second are checked before use: dropping them while the
    // service is quiet costs no request at all.
    drop_service_connections(&app).await;
    actix_web::rt::time::sleep(Duration::from_millis(1_200)).await;
    app.get("/api/v1/platforms", &c.teacher).await.expect(200);
    app.post(
        "/api/v1/bookings",
        &c.manager,
        station_booking(&c.platform_id, day, "13:30", "15:30"),
    )
    .await
    .expect(201);
    assert_eq!(bookings_written(&app).await, before + created + 2);
}

/// Instances started at the same moment on an empty PostgreSQL database all migrate
/// successfully, and each migration is applied once (PostgreSQL only: an SQLite file belongs
/// to one service).
#[test]
fn instances_starting_together_migrate_once() {
    let url = crate::support::postgres::blank_database();
    let pool = plateaux::db::build_pool(&url, 6).expect("pool");
    let start = std::sync::Arc::new(std::sync::Barrier::new(6));
    let runs: Vec<_> = (0..6)
        .map(|_| {
            let (pool, start) = (pool.clone(), start.clone());
            std::thread::spawn(move || {
                let mut conn = pool.get().expect("connection");
                start.wait();
                plateaux::db::run_migrations(&mut conn)
            })
        })
        .collect();
    let applied: Vec<usize> = runs
        .into_iter()
        .map(|run| {
            run.join()
                .expect("thread")
                .expect("every instance migrates")
        })
        .collect();
    // One instance applied them all; the others found nothing left to do.
    assert_eq!(applied.iter().filter(|n| **n > 0).count(), 1, "{applied:?}");
    let versions = {
        use diesel::prelude::*;
        #[derive(QueryableByName)]
        struct Counts {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            applied: i64,
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            versions: i64,
        }
        let mut conn = pool.get().expect("connection");
        diesel::sql_query(
            "SELECT COUNT(*) AS applied, COUNT(DISTINCT version) AS versions FROM __diesel_schema_migrations",
        )
        .get_result::<Counts>(&mut **conn)
        .expect("versions")
    };
    assert_eq!(versions.applied, versions.versions);
    assert_eq!(versions.applied, *applied.iter().max().unwrap() as i64);
}
