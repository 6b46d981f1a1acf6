//! Test harness: the whole application in process, on a fresh SQLite file or a fresh
//! PostgreSQL database, driven through HTTP requests.

pub mod contract;
pub mod dates;
pub mod postgres;
pub mod smtp;
pub mod util;
pub mod web;

use actix_http::Request;
use actix_service::ServiceExt;
use actix_web::body::{to_bytes, BoxBody};
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::{header, Method, StatusCode};
use actix_web::test;
use serde_json::{json, Value};

use plateaux::app;
use plateaux::auth::TokenKeys;
use plateaux::clock::{Clock, FixedClock};
use plateaux::domain::Role;
use plateaux::state::AppState;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

type BoxedService =
    actix_service::boxed::BoxService<Request, ServiceResponse<BoxBody>, actix_web::Error>;

pub struct TestApp {
    pub backend: Backend,
    pub database_url: String,
    pub pool: plateaux::db::Pool,
    service: BoxedService,
    pub metrics: std::sync::Arc<plateaux::metrics::Metrics>,
    pub load: std::sync::Arc<plateaux::load::Load>,
    /// The application's clock (`TestClock`): tests set the time instead of rewriting rows.
    pub clock: std::sync::Arc<TestClock>,
    /// The mail worker, when the test runs one (`with_mail`); stopped before the
    /// directories go.
    pub mail_worker: Option<plateaux::mail::MailWorker>,
    /// Where `.eml` files go when the test's mail goes to files.
    pub mail_dir: std::path::PathBuf,
    _mail_dir: tempfile::TempDir,
    _dir: Option<tempfile::TempDir>,
}

/// The mail settings of a test: a real SMTP server at `smtp_url`, or `.eml` files in
/// `dir`; retries, leases and polls short enough for a test to see them.
pub fn test_mail_config(
    smtp_url: Option<&str>,
    dir: &std::path::Path,
) -> plateaux::config::MailConfig {
    use plateaux::config::{Delivery, MailConfig, SmtpSettings};
    MailConfig {
        delivery: match smtp_url {
            Some(url) => Delivery::Smtp(SmtpSettings::parse(url).expect("SMTP URL")),
            None => Delivery::Files(dir.to_owned()),
        },
        from: plateaux::config::DEFAULT_MAIL_FROM.to_owned(),
        public_url: "https://plateaux.campus.test".to_owned(),
        retry: plateaux::domain::notifications::RetryPolicy {
            base_ms: 200,
            max_delay_ms: 1_000,
            max_attempts: 8,
        },
        lease_ms: 6_000,
        poll_ms: 100,
        senders: 2,
        // The suite keeps every core busy: mail threads at a lower priority would wait
        // behind it and the tests waiting for their messages with them.
        niceness: 0,
    }
}

/// The clock of a test's application: a `FixedClock` that stands still, unless the test
/// runs the mail worker, whose retries and leases need time to pass: there it also runs
/// with the wall clock from the moment it was last set. Either way `set` and `advance`
/// move it.
///
/// Without a date of its own (`on_both_databases!(at "…": name)`, `TestApp::at`), a test
/// starts at the real present, since the date helpers (`dates::next`) count from today.
pub struct TestClock {
    fixed: FixedClock,
    running_since: Option<std::time::Instant>,
}

impl TestClock {
    fn new(at: chrono::DateTime<chrono::Utc>, running: bool) -> TestClock {
        TestClock {
            fixed: FixedClock::new(at),
            running_since: running.then(std::time::Instant::now),
        }
    }

    fn elapsed_ms(&self) -> i64 {
        self.running_since
            .map_or(0, |since| since.elapsed().as_millis() as i64)
    }

    pub fn set(&self, at: chrono::DateTime<chrono::Utc>) {
        self.fixed
            .set(at - chrono::Duration::milliseconds(self.elapsed_ms()));
    }

    pub fn advance(&self, by: chrono::Duration) {
        self.fixed.advance(by);
    }
}

impl Clock for TestClock {
    fn now_ms(&self) -> i64 {
        self.fixed.now_ms() + self.elapsed_ms()
    }
}

/// An RFC 3339 instant of a test.
pub fn instant(rfc3339: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .unwrap_or_else(|e| panic!("not an RFC 3339 instant ({e}): {rfc3339}"))
        .with_timezone(&chrono::Utc)
}

/// A response, its body read.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: header::HeaderMap,
    pub text: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    pub fn content_type(&self) -> &str {
        self.headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// Asserts the status, showing the body when it differs.
    #[track_caller]
    pub fn expect(self, status: u16) -> Self {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            self.text
        );
        self
    }

    /// Asserts a problem document with this status and code; returns it.
    #[track_caller]
    pub fn problem(self, status: u16, code: &str) -> Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            self.text
        );
        assert_eq!(
            self.content_type(),
            "application/problem+json",
            "body: {}",
            self.text
        );
        let body = self.json();
        assert_eq!(body["code"], code, "body: {body}");
        assert_eq!(body["status"], status, "body: {body}");
        assert_eq!(body["type"], format!("urn:plateaux:problem:{code}"));
        // Every code is in the table, and its title is the same at every occurrence.
        let listed = plateaux::error::ErrorCode::ALL
            .iter()
            .find(|c| c.as_str() == code)
            .unwrap_or_else(|| panic!("code {code} is not in the table; body: {body}"));
        assert_eq!(body["title"], listed.title(), "body: {body}");
        assert!(
            body["detail"].as_str().is_some_and(|t| !t.is_empty()),
            "body: {body}"
        );
        body
    }
}

/// Limits no test reaches by accident: many tests log several accounts in at once from the
/// same (absent) address.
pub fn relaxed_limits(state: &mut AppState) {
    use plateaux::domain::rate_limits::{LoginBackoff, RateLimit};
    use std::{sync::Arc, time::Duration};
    state.public_limit = RateLimit::new(10_000, 600);
    state.login_limit = RateLimit::new(1_000_000, 60);
    state.login_backoff = LoginBackoff::new(1_000, 60, 60);
    state.password_gate = Arc::new(plateaux::passwords::PasswordGate::new(
        4,
        10_000,
        Duration::from_secs(600),
    ));
}

pub const TEST_SECRET: &str = "test-secret-test-secret-test-secret-0123";

impl TestApp {
    /// The application with limits high enough for any test (public submissions, logins
    /// per address and per account, password checks at once); see `with_production_limits`
    /// for the service's own.
    pub async fn new(backend: Backend) -> TestApp {
        Self::with_state(backend, relaxed_limits).await
    }

    /// The application with its clock stopped at `rfc3339`.
    pub async fn at(backend: Backend, rfc3339: &str) -> TestApp {
        let app = Self::new(backend).await;
        app.set_time(rfc3339);
        app
    }

    /// The application with the service's own limits.
    pub async fn with_production_limits(backend: Backend) -> TestApp {
        Self::with_state(backend, |_| {}).await
    }

    /// The application with its mail worker sending to `smtp_url` (or to `.eml` files in
    /// `mail_dir` when `None`), with the settings `tune` makes of `test_mail_config`'s.
    pub async fn with_mail(
        backend: Backend,
        smtp_url: Option<&str>,
        tune: impl FnOnce(&mut plateaux::config::MailConfig),
    ) -> TestApp {
        let clock = std::sync::Arc::new(TestClock::new(chrono::Utc::now(), true));
        // The service names the feeds' UIDs by the same public URL as the e-mails.
        let mut app = Self::with_clock(backend, clock, |state| {
            relaxed_limits(state);
            state.uid_host = "plateaux.campus.test".to_owned();
        })
        .await;
        let mut config = test_mail_config(smtp_url, &app.mail_dir);
        tune(&mut config);
        let metrics = app.metrics.clone();
        app.mail_worker = Some(
            plateaux::mail::MailWorker::start(
                app.pool.clone(),
                &config,
                chrono_tz::Europe::Paris,
                app.clock.clone(),
                metrics,
                app.load.clone(),
            )
            .expect("mail worker"),
        );
        app
    }

    /// The application with its state changed by `change` before it starts (limits).
    pub async fn with_state(backend: Backend, change: impl FnOnce(&mut AppState)) -> TestApp {
        let clock = std::sync::Arc::new(TestClock::new(chrono::Utc::now(), false));
        Self::with_clock(backend, clock, change).await
    }

    async fn with_clock(
        backend: Backend,
        clock: std::sync::Arc<TestClock>,
        change: impl FnOnce(&mut AppState),
    ) -> TestApp {
        let (database_url, dir) = match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temporary directory");
                (
                    format!("sqlite://{}", dir.path().join("plateaux.db").display()),
                    Some(dir),
                )
            }
            Backend::Postgres => (
                actix_web::web::block(postgres::fresh_database)
                    .await
                    .expect("database"),
                None,
            ),
        };
        Self::on_database_with_clock(
            backend,
            database_url,
            dir,
            clock,
            change,
            TokenKeys::new(TEST_SECRET),
        )
        .await
    }

    /// The application on the database at `database_url` (migrated here), with its state
    /// changed by `change` and tokens signed and checked with `keys`; `dir` is kept as long
    /// as the application (a SQLite file's).
    pub async fn on_database(
        backend: Backend,
        database_url: String,
        dir: Option<tempfile::TempDir>,
        change: impl FnOnce(&mut AppState),
        keys: TokenKeys,
    ) -> TestApp {
        let clock = std::sync::Arc::new(TestClock::new(chrono::Utc::now(), false));
        Self::on_database_with_clock(backend, database_url, dir, clock, change, keys).await
    }

    async fn on_database_with_clock(
        backend: Backend,
        database_url: String,
        dir: Option<tempfile::TempDir>,
        clock: std::sync::Arc<TestClock>,
        change: impl FnOnce(&mut AppState),
        keys: TokenKeys,
    ) -> TestApp {
        let pool = plateaux::db::build_pool(&database_url, 8).expect("pool");
        {
            let pool = pool.clone();
            actix_web::web::block(move || {
                plateaux::db::run_migrations(&mut pool.get().expect("connection"))
            })
            .await
            .expect("block")
            .expect("migrations");
        }
        let mut state = AppState::new(
            pool.clone(),
            plateaux::db::build_booking_writer_pool(&database_url, 2).expect("writer pool"),
            chrono_tz::Europe::Paris,
            clock.clone(),
        );
        change(&mut state);
        let metrics = state.metrics.clone();
        let load = state.load.clone();
        let service = test::init_service(app::build(state, keys)).await;
        let service = actix_service::boxed::service(service.map(|r| r.map_into_boxed_body()));
        let mail_dir = tempfile::tempdir().expect("temporary directory");
        TestApp {
            backend,
            database_url,
            pool,
            service,
            metrics,
            load,
            clock,
            mail_worker: None,
            mail_dir: mail_dir.path().join("mail"),
            _mail_dir: mail_dir,
            _dir: dir,
        }
    }

    /// Starts a scheduler on the application's database and clock, as each instance of the
    /// service runs one, ticking every 100 ms; it stops when dropped (several make several
    /// instances, a new one after a drop a restart).
    pub fn scheduler(
        &self,
        schedule: plateaux::config::ScheduleConfig,
    ) -> plateaux::mail::Scheduler {
        plateaux::mail::Scheduler::start(
            self.pool.clone(),
            self.clock.clone(),
            chrono_tz::Europe::Paris,
            schedule,
            std::time::Duration::from_millis(100),
        )
        .expect("scheduler")
    }

    /// Sets the application's clock (RFC 3339).
    pub fn set_time(&self, rfc3339: &str) {
        self.clock.set(instant(rfc3339));
    }

    /// Moves the application's clock on (or back, for a negative duration).
    pub fn advance(&self, by: chrono::Duration) {
        self.clock.advance(by);
    }

    /// The application's present, in Unix seconds.
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// The application's today in the campus time zone.
    pub fn today(&self) -> chrono::NaiveDate {
        self.clock.now_utc().with_timezone(&dates::TZ).date_naive()
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Reply {
        // A client on loopback, as the tests are.
        let mut req = test::TestRequest::default()
            .method(method)
            .uri(path)
            .peer_addr("127.0.0.1:40000".parse().unwrap());
        if let Some(token) = token {
            req = req.insert_header((header::AUTHORIZATION, format!("Bearer {token}")));
        }
        for (name, value) in headers {
            req = req.insert_header((*name, *value));
        }
        if let Some(body) = body {
            req = req
                .insert_header((header::CONTENT_TYPE, "application/json"))
                .set_payload(body.to_string());
        }
        self.send(req.to_request()).await
    }

    /// Sends a raw request (for malformed bodies and odd headers). The response is checked
    /// against the OpenAPI document (`contract::check`).
    pub async fn send(&self, req: Request) -> Reply {
        let (method, uri) = (req.method().clone(), req.uri().to_string());
        let reply = self.send_unchecked(req).await;
        contract::check(&method, &uri, reply.status, &reply.headers, &reply.text);
        reply
    }

    /// Sends a request whose answer the document cannot describe. Only for the few tests
    /// that need it, each saying why.
    pub async fn send_unchecked(&self, req: Request) -> Reply {
        let response = match self.service.call(req).await {
            Ok(response) => response.into_parts().1,
            Err(error) => error.error_response(),
        };
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = to_bytes(response.into_body()).await.unwrap_or_default();
        Reply {
            status,
            headers,
            text: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.call(Method::GET, path, Some(token), None, &[]).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Reply {
        self.call(Method::POST, path, Some(token), Some(body), &[])
            .await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Reply {
        self.call(Method::PATCH, path, Some(token), Some(body), &[])
            .await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Reply {
        self.call(Method::DELETE, path, Some(token), None, &[])
            .await
    }

    pub async fn login(&self, email: &str, password: &str) -> Value {
        self.call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({ "email": email, "password": password })),
            &[],
        )
        .await
        .expect(200)
        .json()
    }

    /// Counts the rows of a table, to prove that a refused request changed nothing.
    pub async fn count(&self, table: &'static str) -> i64 {
        self.count_query(format!("SELECT COUNT(*) AS n FROM {table}"))
            .await
    }

    /// Counts the rows of a table that meet `condition` (an SQL expression), e.g. the
    /// bookings in one status.
    pub async fn count_where(&self, table: &'static str, condition: &'static str) -> i64 {
        self.count_query(format!(
            "SELECT COUNT(*) AS n FROM {table} WHERE {condition}"
        ))
        .await
    }

    /// Counts with a query of the test's own (`SELECT COUNT(*) AS n …`).
    pub async fn count_sql(&self, sql: String) -> i64 {
        self.count_query(sql).await
    }

    /// Runs a statement of the test's own, e.g. to take a row away behind the service's
    /// back; answers how many rows it changed.
    pub async fn execute_sql(&self, sql: String) -> usize {
        use diesel::prelude::*;
        let pool = self.pool.clone();
        actix_web::web::block(move || {
            let mut conn = pool.get().expect("connection");
            diesel::sql_query(sql).execute(&mut **conn)
        })
        .await
        .expect("block")
        .expect("statement")
    }

    async fn count_query(&self, sql: String) -> i64 {
        use diesel::prelude::*;
        #[derive(QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let pool = self.pool.clone();
        actix_web::web::block(move || {
            let mut conn = pool.get().expect("connection");
            diesel::sql_query(sql)
                .get_result::<Count>(&mut **conn)
                .map(|c| c.n)
        })
        .await
        .expect("block")
        .expect("count")
    }
}

pub const PASSWORD: &str = "mot-de-passe-de-test";

/// A small campus built through the API: one campus, a lycée owning a welding platform with
/// a booth that needs a qualification, a second lycée, a company, and one account per role.
pub struct Campus {
    pub campus_id: String,
    pub lycee_id: String,
    pub other_lycee_id: String,
    pub company_id: String,
    pub other_company_id: String,
    pub platform_id: String,
    pub other_platform_id: String,
    pub equipment_id: String,
    pub qualification_id: String,
    pub admin: String,
    pub manager: String,
    pub manager_id: String,
    pub teacher: String,
    pub teacher_id: String,
    pub other_teacher: String,
    pub other_teacher_id: String,
    pub company: String,
    pub company_user_id: String,
    pub other_company: String,
    pub other_company_user_id: String,
    pub observer: String,
    pub observer_id: String,
}

impl Campus {
    /// Logs every account in again: access tokens last 15 minutes of the application's
    /// clock, so a test that moves it further needs fresh ones.
    pub async fn log_in_again(&mut self, app: &TestApp) {
        let token = |email: &'static str| async move {
            app.login(email, PASSWORD).await["access_token"]
                .as_str()
                .unwrap()
                .to_owned()
        };
        self.admin = token("admin@campus.test").await;
        self.manager = token("manager@campus.test").await;
        self.teacher = token("teacher@campus.test").await;
        self.other_teacher = token("teacher@monteil.test").await;
        self.company = token("contact@cele.test").await;
        self.other_company = token("contact@stratiforme.test").await;
        self.observer = token("copil@campus.test").await;
    }

    pub fn token(&self, role: Role) -> &str {
        match role {
            Role::Admin => &self.admin,
            Role::Manager => &self.manager,
            Role::Teacher => &self.teacher,
            Role::Company => &self.company,
            Role::Observer => &self.observer,
        }
    }
}

pub fn id_of(reply: Reply) -> String {
    reply.json()["id"].as_str().expect("id").to_owned()
}

/// Creates the first administrator directly, as `PLATEAUX_ADMIN_EMAIL` does at start-up.
pub async fn bootstrap_admin(app: &TestApp) -> (String, String) {
    let pool = app.pool.clone();
    let now = app.now();
    actix_web::web::block(move || {
        use plateaux::db;
        let mut conn = pool.get().expect("connection");
        let campus = db::campuses::CampusRow {
            id: db::new_id(),
            name: "Campus Mecanic Vallée".into(),
            timezone: "Europe/Paris".into(),
            created_at: now,
            updated_at: now,
        };
        db::campuses::insert(&mut conn, &campus).expect("campus");
        let org = db::organisations::OrganisationRow {
            id: db::new_id(),
            name: "Lycée La Découverte".into(),
            kind: "lycee".into(),
            town: Some("Decazeville".into()),
            uai: Some("0750655E".into()),
            siret: None,
            created_at: now,
            updated_at: now,
        };
        db::organisations::insert(&mut conn, &org, std::slice::from_ref(&campus.id))
            .expect("organisation");
        plateaux::usecases::accounts::create_account(
            &mut conn,
            None,
            now,
            plateaux::domain::accounts::AccountDraft {
                email: "admin@campus.test".into(),
                display_name: "Direction du campus".into(),
                password: Some(PASSWORD.into()),
                role: Role::Admin,
                organisation_id: org.id.clone(),
                managed_platform_ids: Vec::new(),
            },
        )
        .expect("admin");
        (campus.id, org.id)
    })
    .await
    .expect("block")
}

/// The fresh confirmation token of an account not confirmed yet, as an administrator gets
/// it (`POST /account-confirmations/{id}/token`) without reading the person's mail.
pub async fn confirmation_token(app: &TestApp, admin: &str, user_id: &str) -> String {
    let pending = app
        .get("/api/v1/account-confirmations", admin)
        .await
        .expect(200)
        .json();
    let confirmation = pending
        .as_array()
        .expect("list")
        .iter()
        .find(|c| c["user_id"] == user_id)
        .unwrap_or_else(|| panic!("no pending confirmation for {user_id}: {pending}"));
    let path = format!(
        "/api/v1/account-confirmations/{}/token",
        confirmation["id"].as_str().unwrap()
    );
    app.post(&path, admin, json!({})).await.expect(201).json()["token"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Confirms an invited account with `password`, as its owner does with the token they got.
pub async fn activate(app: &TestApp, admin: &str, user_id: &str, password: &str) {
    let token = confirmation_token(app, admin, user_id).await;
    app.call(
        Method::POST,
        "/api/v1/public/account-confirmations",
        None,
        Some(json!({ "token": token, "password": password })),
        &[],
    )
    .await
    .expect(200);
}

/// A group of two on two stations of `platform_id`, on `day` from `from` to `to` (local).
pub fn station_booking(platform_id: &str, day: chrono::NaiveDate, from: &str, to: &str) -> Value {
    json!({
        "platform_id": platform_id, "stations": 2,
        "starts_at": dates::at(day, from), "ends_at": dates::at(day, to),
        "group_label": "CAP RICS 1", "learners": [{ "status": "school", "headcount": 2 }],
    })
}

pub async fn campus(app: &TestApp) -> Campus {
    let (campus_id, lycee_id) = bootstrap_admin(app).await;
    let admin = app.login("admin@campus.test", PASSWORD).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let other_lycee_id = id_of(
        app.post("/api/v1/organisations", &admin, json!({
            "name": "Lycée Alexis Monteil", "kind": "lycee", "town": "Rodez", "uai": "0120006S", "campus_ids": [campus_id],
        })).await.expect(201),
    );
    let company_id = id_of(
        app.post("/api/v1/organisations", &admin, json!({
            "name": "Usinages du Célé", "kind": "company", "siret": "73282932000074", "campus_ids": [campus_id],
        })).await.expect(201),
    );
    let other_company_id = id_of(
        app.post("/api/v1/organisations", &admin, json!({
            "name": "Stratiforme", "kind": "company", "siret": "55210055400013", "campus_ids": [campus_id],
        })).await.expect(201),
    );
    let qualification_id = id_of(
        app.post(
            "/api/v1/qualifications",
            &admin,
            json!({ "name": "Soudage", "validity_months": 24 }),
        )
        .await
        .expect(201),
    );
    let hours: Vec<Value> = ["monday", "tuesday", "wednesday", "thursday", "friday"]
        .iter()
        .flat_map(|d| {
            [
                json!({ "weekday": d, "opens": "08:00", "closes": "12:00" }),
                json!({ "weekday": d, "opens": "13:30", "closes": "17:30" }),
            ]
        })
        .collect();
    let platform_id = id_of(
        app.post("/api/v1/platforms", &admin, json!({
            "campus_id": campus_id, "owner_organisation_id": lycee_id, "name": "Atelier soudage", "domain": "welding",
            "stations": 14, "opening_hours": hours,
        })).await.expect(201),
    );
    let other_platform_id = id_of(
        app.post("/api/v1/platforms", &admin, json!({
            "campus_id": campus_id, "owner_organisation_id": other_lycee_id, "name": "Atelier usinage", "domain": "machining",
            "stations": 12, "opening_hours": hours,
        })).await.expect(201),
    );
    let equipment_id = id_of(
        app.post("/api/v1/equipment", &admin, json!({
            "platform_id": platform_id, "name": "Cabine TIG 1", "kind": "cabine de soudage TIG", "inventory_number": "DEC-SOU-001",
            "hourly_rate_cents": 4500, "required_qualification_ids": [qualification_id],
        })).await.expect(201),
    );
    let account = |email: &'static str, role: &'static str, org: String, managed: Vec<String>| {
        let admin = admin.clone();
        async move {
            let id = id_of(
                app.post(
                    "/api/v1/users",
                    &admin,
                    json!({
                        "email": email, "display_name": email, "role": role,
                        "organisation_id": org, "managed_platform_ids": managed,
                    }),
                )
                .await
                .expect(201),
            );
            activate(app, &admin, &id, PASSWORD).await;
            let token = app.login(email, PASSWORD).await["access_token"]
                .as_str()
                .unwrap()
                .to_owned();
            (id, token)
        }
    };
    let (manager_id, manager) = account(
        "manager@campus.test",
        "manager",
        lycee_id.clone(),
        vec![platform_id.clone()],
    )
    .await;
    let (teacher_id, teacher) =
        account("teacher@campus.test", "teacher", lycee_id.clone(), vec![]).await;
    let (other_teacher_id, other_teacher) = account(
        "teacher@monteil.test",
        "teacher",
        other_lycee_id.clone(),
        vec![],
    )
    .await;
    let (company_user_id, company) =
        account("contact@cele.test", "company", company_id.clone(), vec![]).await;
    let (other_company_user_id, other_company) = account(
        "contact@stratiforme.test",
        "company",
        other_company_id.clone(),
        vec![],
    )
    .await;
    let (observer_id, observer) =
        account("copil@campus.test", "observer", lycee_id.clone(), vec![]).await;
    Campus {
        campus_id,
        lycee_id,
        other_lycee_id,
        company_id,
        other_company_id,
        platform_id,
        other_platform_id,
        equipment_id,
        qualification_id,
        admin,
        manager,
        manager_id,
        teacher,
        teacher_id,
        other_teacher,
        other_teacher_id,
        company,
        company_user_id,
        other_company,
        other_company_user_id,
        observer,
        observer_id,
    }
}

/// Runs an `async fn(TestApp)` once on SQLite and once on PostgreSQL. Attributes written
/// before a name (e.g. `#[ignore = "bug: …"]`) go on both tests. `at "<RFC 3339>":` before
/// the names stops the application's clock at that instant for each of them; without it
/// the clock stands at the real present of the test's start (see `TestClock`).
#[macro_export]
macro_rules! on_both_databases {
    (at $at:literal: $($(#[$attr:meta])* $name:ident),+ $(,)?) => {
        $(
            mod $name {
                #[actix_web::test]
                $(#[$attr])*
                async fn sqlite() {
                    super::$name($crate::support::TestApp::at($crate::support::Backend::Sqlite, $at).await).await
                }

                #[actix_web::test]
                $(#[$attr])*
                async fn postgres() {
                    super::$name($crate::support::TestApp::at($crate::support::Backend::Postgres, $at).await).await
                }
            }
        )+
    };
    ($($(#[$attr:meta])* $name:ident),+ $(,)?) => {
        $(
            mod $name {
                #[actix_web::test]
                $(#[$attr])*
                async fn sqlite() {
                    super::$name($crate::support::TestApp::new($crate::support::Backend::Sqlite).await).await
                }

                #[actix_web::test]
                $(#[$attr])*
                async fn postgres() {
                    super::$name($crate::support::TestApp::new($crate::support::Backend::Postgres).await).await
                }
            }
        )+
    };
}
