//! `plateaux backup` and `plateaux restore`, run as the real commands: a campus filled
//! through the API, backed up, restored into a new database, and compared table by table,
//! row by row, with its schema.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Output;

use actix_web::http::Method;
use chrono::{Duration, Weekday};
use diesel::prelude::*;
use diesel::sql_types::Text;
use serde_json::json;

use crate::on_both_databases;
use crate::support::dates::{at, next, today};
use crate::support::{campus, id_of, station_booking, Backend, Campus, TestApp};

/// Runs the `plateaux` binary on `database_url`.
async fn plateaux(database_url: &str, args: &[&str]) -> Output {
    let database_url = database_url.to_owned();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    actix_web::web::block(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_plateaux"))
            .args(&args)
            .env("PLATEAUX_DATABASE_URL", database_url)
            .env("PLATEAUX_LOG", "warn")
            .output()
            .expect("run plateaux")
    })
    .await
    .expect("block")
}

#[track_caller]
fn succeeded(output: &Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{}\n{stdout}{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

#[track_caller]
fn refused(output: &Output) -> String {
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Every table's rows as text, sorted, and the schema (tables, indexes, constraints,
/// extensions) under the key `(schema)`.
async fn snapshot(database_url: &str) -> BTreeMap<String, Vec<String>> {
    let url = database_url.to_owned();
    actix_web::web::block(move || {
        #[derive(QueryableByName)]
        struct Line {
            #[diesel(sql_type = Text)]
            r: String,
        }
        let mut conn = plateaux::db::ConnectionManager::new(&url)
            .and_then(|m| m.connect())
            .expect("connect");
        let mut lines = |sql: String| -> Vec<String> {
            let mut lines: Vec<String> = diesel::sql_query(&sql)
                .load::<Line>(&mut conn)
                .unwrap_or_else(|e| panic!("{sql}: {e}"))
                .into_iter()
                .map(|l| l.r)
                .collect();
            lines.sort();
            lines
        };
        let mut tables = BTreeMap::new();
        if url.starts_with("postgres") {
            let schema = [
                "SELECT extname AS r FROM pg_extension",
                "SELECT indexdef AS r FROM pg_indexes WHERE schemaname = 'public'",
                "SELECT conrelid::regclass::text || ' ' || conname || ' ' || \
                 pg_get_constraintdef(oid) AS r FROM pg_constraint \
                 WHERE connamespace = 'public'::regnamespace",
                "SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || \
                 is_nullable || ' ' || coalesce(column_default, '') AS r \
                 FROM information_schema.columns WHERE table_schema = 'public'",
            ]
            .into_iter()
            .flat_map(|sql| lines(sql.to_owned()))
            .collect();
            tables.insert("(schema)".to_owned(), schema);
            for table in
                lines("SELECT tablename AS r FROM pg_tables WHERE schemaname = 'public'".into())
            {
                let rows = lines(format!("SELECT CAST(t AS TEXT) AS r FROM \"{table}\" t"));
                tables.insert(table, rows);
            }
        } else {
            tables.insert(
                "(schema)".to_owned(),
                lines(
                    "SELECT type || ' ' || name || ' ' || coalesce(sql, '') AS r \
                     FROM sqlite_master"
                        .into(),
                ),
            );
            for table in lines(
                "SELECT name AS r FROM sqlite_master \
                 WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
                    .into(),
            ) {
                let columns = lines(format!(
                    "SELECT name AS r FROM pragma_table_info('{table}')"
                ));
                let row = columns
                    .iter()
                    .map(|c| format!("quote(\"{c}\")"))
                    .collect::<Vec<_>>()
                    .join(" || '|' || ");
                let rows = lines(format!("SELECT {row} AS r FROM \"{table}\""));
                tables.insert(table, rows);
            }
        }
        tables
    })
    .await
    .expect("block")
}

/// Bookings (single, a weekly series, one in the past with its usage record), a calendar
/// token, and a service request with a quote and a message: rows in most tables.
async fn fill(app: &TestApp, c: &Campus) {
    let day = next(Weekday::Tue, 14);
    app.post(
        "/api/v1/bookings",
        &c.teacher,
        station_booking(&c.platform_id, day, "08:00", "10:00"),
    )
    .await
    .expect(201);
    app.post("/api/v1/booking-series", &c.teacher, json!({
        "first_occurrence": {
            "platform_id": c.platform_id, "stations": 4,
            "starts_at": at(day, "13:30"), "ends_at": at(day, "15:30"),
            "group_label": "BTS CPRP 1", "level": "BTS",
            "learners": [{ "status": "school", "headcount": 3 }, { "status": "apprentice", "headcount": 1 }],
        },
        "rrule": "FREQ=WEEKLY;COUNT=4", "mode": "skip_conflicts",
    }))
    .await
    .expect(201);
    app.post(
        &format!("/api/v1/users/{}/qualifications", c.manager_id),
        &c.manager,
        json!({ "qualification_id": c.qualification_id, "awarded_on": (today() - Duration::days(60)).to_string() }),
    )
    .await
    .expect(200);
    // Booked four weeks ago (the clock goes back for the booking), now over.
    let past_day = day + Duration::days(1) - Duration::days(28);
    app.advance(-Duration::days(28));
    let past = id_of(
        app.post("/api/v1/bookings", &c.manager, json!({
            "equipment_id": c.equipment_id,
            "starts_at": at(past_day, "08:00"), "ends_at": at(past_day, "12:00"),
            "group_label": "Soudure TIG", "learners": [{ "status": "continuing_education", "headcount": 1 }],
        }))
        .await
        .expect(201),
    );
    app.advance(Duration::days(28));
    app.call(
        Method::PUT,
        &format!("/api/v1/bookings/{past}/usage"),
        Some(&c.manager),
        Some(json!({
            "actual_start": at(past_day, "08:10"), "actual_end": at(past_day, "11:50"),
            "learners": [{ "status": "continuing_education", "headcount": 1 }],
            "machine_time": [{ "equipment_id": c.equipment_id, "minutes": 200 }],
            "consumables": "Fil ER70S-6", "incident": false,
        })),
        &[],
    )
    .await
    .expect(200);
    app.post(
        "/api/v1/calendar-tokens",
        &c.teacher,
        json!({ "feed": "platform", "target_id": c.platform_id }),
    )
    .await
    .expect(201);
    let request = id_of(
        app.post(
            "/api/v1/service-requests",
            &c.company,
            json!({
                "title": "Essais de traction sur pièces soudées",
                "description": "Vingt éprouvettes en acier S355.",
                "domains": ["welding"], "wished_from": today().to_string(), "budget_cents": 250000,
                "platform_id": c.platform_id,
            }),
        )
        .await
        .expect(201),
    );
    app.post(
        &format!("/api/v1/service-requests/{request}/transitions"),
        &c.manager,
        json!({ "action": "take", "platform_id": c.platform_id }),
    )
    .await
    .expect(200);
    app.post(&format!("/api/v1/service-requests/{request}/quotes"), &c.manager, json!({
        "valid_until": (today() + Duration::days(30)).to_string(),
        "lines": [{ "label": "Essai de traction", "quantity": 6, "unit": "hour", "unit_price_cents": 8500, "vat_rate_bp": 2000 }],
    }))
    .await
    .expect(201);
    app.post(
        &format!("/api/v1/service-requests/{request}/messages"),
        &c.manager,
        json!({ "body": "Éprouvettes reçues.", "visibility": "shared" }),
    )
    .await
    .expect(201);
}

/// A backup taken from a filled campus and restored into a new database holds the same
/// rows in every table and the same schema (the PostgreSQL exclusion constraint against
/// overlapping bookings included); the restored database needs no migration.
async fn a_backup_restores_every_row(app: TestApp) {
    let c = campus(&app).await;
    fill(&app, &c).await;
    let dir = tempfile::tempdir().expect("temporary directory");
    let file = dir.path().join("plateaux.backup");
    let file_arg = file.to_str().unwrap();

    let said = succeeded(&plateaux(&app.database_url, &["backup", file_arg]).await);
    assert!(said.contains("backup written to"), "{said}");
    assert!(!Path::new(&format!("{file_arg}.partial")).exists());
    let original = snapshot(&app.database_url).await;
    let filled: Vec<&String> = original
        .iter()
        .filter(|(table, rows)| *table != "(schema)" && !rows.is_empty())
        .map(|(table, _)| table)
        .collect();
    for table in [
        "users",
        "user_qualifications",
        "bookings",
        "booking_series",
        "booking_learners",
        "booking_usages",
        "booking_usage_equipment",
        "audit_events",
        "calendar_tokens",
        "service_requests",
        "quote_lines",
        "service_request_messages",
        "__diesel_schema_migrations",
    ] {
        assert!(
            filled.contains(&&table.to_owned()),
            "{table} is empty: {filled:?}"
        );
    }
    if app.backend == Backend::Postgres {
        assert!(
            original["(schema)"]
                .iter()
                .any(|line| line.contains("EXCLUDE USING gist")),
            "{:?}",
            original["(schema)"]
        );
    }

    let (target, garbage) = match app.backend {
        Backend::Sqlite => (
            format!("sqlite://{}", dir.path().join("restored.db").display()),
            dir.path().join("garbage.db"),
        ),
        Backend::Postgres => (
            actix_web::web::block(crate::support::postgres::blank_database)
                .await
                .expect("block"),
            dir.path().join("garbage.dump"),
        ),
    };
    // A file that is no backup is refused and leaves the target as it was.
    std::fs::write(&garbage, "ceci n'est pas une sauvegarde").unwrap();
    refused(&plateaux(&target, &["restore", garbage.to_str().unwrap()]).await);

    let said = succeeded(&plateaux(&target, &["restore", file_arg]).await);
    assert!(said.contains("restored"), "{said}");
    let restored = snapshot(&target).await;
    assert_eq!(
        original.keys().collect::<Vec<_>>(),
        restored.keys().collect::<Vec<_>>()
    );
    for (table, rows) in &original {
        assert_eq!(rows, &restored[table], "table {table}");
    }
    let said = succeeded(&plateaux(&target, &["migrate"]).await);
    assert!(said.contains("0 migrations applied"), "{said}");

    match app.backend {
        Backend::Postgres => {
            // A database that holds tables is never restored over.
            let error = refused(&plateaux(&app.database_url, &["restore", file_arg]).await);
            assert!(error.contains("already holds"), "{error}");
        }
        Backend::Sqlite => {
            // The service's database, open in this process, is not replaced under it.
            let error = refused(&plateaux(&app.database_url, &["restore", file_arg]).await);
            assert!(
                error.contains(&format!("open in process {}", std::process::id())),
                "{error}"
            );
            // Another database, closed, is replaced, and kept aside.
            let other = dir.path().join("other.db");
            let other_url = format!("sqlite://{}", other.display());
            succeeded(&plateaux(&other_url, &["migrate"]).await);
            let before = snapshot(&other_url).await;
            let said = succeeded(&plateaux(&other_url, &["restore", file_arg]).await);
            assert!(said.contains("other.db.before-restore"), "{said}");
            assert_eq!(snapshot(&other_url).await, original);
            let aside = format!("sqlite://{}.before-restore", other.display());
            assert_eq!(snapshot(&aside).await, before);
            assert!(before["bookings"].is_empty());
        }
    }
}

on_both_databases!(a_backup_restores_every_row);
