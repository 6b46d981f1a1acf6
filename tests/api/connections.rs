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
    // 201 or 503, and exactly the bookings answered 201 are written. (Here the session
    // checks meet dropped connections too, so any of them may answer 503: that a failed
    // batch books what it can is pinned by `a_failed_batch_is_written_again_one_by_one`.)
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

/// The PostgreSQL sessions of the test database waiting for a lock: all of them, or only
/// those waiting for session `holder` itself (a second session waiting for the same row
/// waits for the first one in the queue, not for the holder).
fn sessions_waiting(conn: &mut PgConnection, holder: Option<i32>) -> Vec<i32> {
    #[derive(diesel::QueryableByName)]
    struct Pid {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        pid: i32,
    }
    let condition = match holder {
        Some(holder) => format!("{holder} = ANY(pg_blocking_pids(pid))"),
        None => "cardinality(pg_blocking_pids(pid)) > 0".to_owned(),
    };
    diesel::sql_query(format!(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND {condition}"
    ))
    .load::<Pid>(conn)
    .expect("sessions waiting")
    .into_iter()
    .map(|p| p.pid)
    .collect()
}

/// Waits until `count` sessions wait as `sessions_waiting` reads it.
async fn until_waiting(watcher: &mut PgConnection, holder: Option<i32>, count: usize) {
    for _ in 0..500 {
        if sessions_waiting(watcher, holder).len() >= count {
            return;
        }
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{count} session(s) never came to wait (for {holder:?})");
}

/// A session of the test's own holding the row of `platform_id` locked, as a station
/// booking locks it, until it commits; and its process id.
fn lock_platform(url: &str, platform_id: &str) -> (PgConnection, i32) {
    use diesel::connection::SimpleConnection;
    #[derive(diesel::QueryableByName)]
    struct Pid {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        pid: i32,
    }
    let mut conn = PgConnection::establish(url).expect("a session of our own");
    let pid = diesel::sql_query("SELECT pg_backend_pid() AS pid")
        .get_result::<Pid>(&mut conn)
        .expect("pid")
        .pid;
    conn.batch_execute(&format!(
        "BEGIN; SELECT id FROM platforms WHERE id = '{platform_id}' FOR UPDATE"
    ))
    .expect("lock the platform");
    (conn, pid)
}

/// A batch whose transaction fails as a whole (its connection dropped while it waits) is
/// written again one by one on other connections: each request gets the answer it would
/// have had alone, here seven bookings of two stations and one refusal on a platform of
/// fourteen, and not one 503. Only the booking writer's session is dropped, so nothing
/// else can fail on the way.
#[actix_web::test]
async fn a_failed_batch_is_written_again_one_by_one() {
    use diesel::connection::SimpleConnection;
    let app = TestApp::new(Backend::Postgres).await;
    let c = campus(&app).await;
    let day = next(Weekday::Tue, 7);
    let url = app.database_url.clone();
    let mut watcher = PgConnection::establish(&url).expect("a session of our own");
    // Both writer threads are kept waiting on the other platform, so that the eight
    // requests queue meanwhile and one thread takes them in one batch.
    let (mut plugs_lock, plugs_holder) = lock_platform(&url, &c.other_platform_id);
    let (mut batch_lock, batch_holder) = lock_platform(&url, &c.platform_id);
    let plug = |from: &str, to: &str| {
        app.post(
            "/api/v1/bookings",
            &c.admin,
            station_booking(&c.other_platform_id, day, from, to),
        )
    };
    let before = bookings_written(&app).await;
    let (first_plug, (second_plug, replies)) =
        futures_util::future::join(plug("08:00", "10:00"), async {
            until_waiting(&mut watcher, Some(plugs_holder), 1).await;
            futures_util::future::join(plug("10:00", "12:00"), async {
                until_waiting(&mut watcher, None, 2).await;
                let eight = futures_util::future::join_all((0..8).map(|_| {
                    app.post(
                        "/api/v1/bookings",
                        &c.manager,
                        station_booking(&c.platform_id, day, "08:00", "10:00"),
                    )
                }));
                let control = async {
                    // The eight wait in the writer's queue.
                    actix_web::rt::time::sleep(Duration::from_millis(1_000)).await;
                    plugs_lock.batch_execute("COMMIT").expect("commit");
                    // The first thread free takes the eight into one transaction, which
                    // waits for our lock on the platform; that session is dropped there. (A
                    // later batch would wait behind it, not for our lock, and live on.)
                    until_waiting(&mut watcher, Some(batch_holder), 1).await;
                    let writers = sessions_waiting(&mut watcher, Some(batch_holder));
                    for pid in writers {
                        diesel::sql_query(format!("SELECT pg_terminate_backend({pid})"))
                            .execute(&mut watcher)
                            .expect("terminate the writer's session");
                    }
                    batch_lock.batch_execute("COMMIT").expect("commit");
                };
                futures_util::future::join(eight, control).await.0
            })
            .await
        })
        .await;
    first_plug.expect(201);
    second_plug.expect(201);
    let mut created = 0;
    for reply in replies {
        match reply.status.as_u16() {
            201 => created += 1,
            _ => {
                reply.problem(409, "not_enough_stations");
            }
        }
    }
    assert_eq!(created, 7, "seven groups of two fit in fourteen stations");
    assert_eq!(bookings_written(&app).await, before + 2 + 7);
    // The writer did take several of them into one transaction: the batch that failed. (Had
    // it taken one alone, that one would have answered 503 above.)
    let metrics = app
        .call(actix_web::http::Method::GET, "/metrics", None, None, &[])
        .await
        .expect(200)
        .text;
    let value = |name: &str| -> u64 {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
            .unwrap_or_else(|| panic!("no {name}:\n{metrics}"))
    };
    assert!(
        value("plateaux_booking_batch_size_count")
            > value(r#"plateaux_booking_batch_size_bucket{le="1.0"}"#),
        "{metrics}"
    );
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
