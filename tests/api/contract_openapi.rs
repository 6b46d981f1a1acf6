//! The OpenAPI document is a contract a generated client can rely on: what it says is what
//! the service sends and accepts.

use actix_web::http::Method;
use serde_json::{json, Value};

use crate::on_both_databases;
use crate::support::{self, TestApp};

fn document() -> Value {
    serde_json::from_str(&plateaux::app::openapi_json()).expect("the document is JSON")
}

fn enum_values(doc: &Value, name: &str) -> Vec<String> {
    doc["components"]["schemas"][name]["enum"]
        .as_array()
        .unwrap_or_else(|| panic!("schema {name} is an enum"))
        .iter()
        .map(|v| v.as_str().expect("text values").to_owned())
        .collect()
}

/// Every enum of the document lists exactly the texts serde writes and reads.
#[test]
fn enums_of_the_document_are_the_wire_values() {
    use plateaux::domain::booking::{BookingStatus, LearnerStatus, SeriesMode};
    use plateaux::domain::calendar::CalendarFeed;
    use plateaux::domain::closures::ClosureScope;
    use plateaux::domain::reports::Dimension;
    use plateaux::domain::service_request::{QuoteUnit, RequestAction, RequestState};
    use plateaux::domain::{
        EquipmentStatus, OrganisationKind, PlatformDomain, Role, Weekday, WhoMayBook,
    };
    use plateaux::views::service_requests::{MessageVisibility, QuoteStatus};
    let doc = document();
    macro_rules! same {
        ($($ty:ident),+) => {$(
            let wire: Vec<String> = $ty::ALL
                .iter()
                .map(|v| serde_json::to_value(v).unwrap().as_str().unwrap().to_owned())
                .collect();
            assert_eq!(enum_values(&doc, stringify!($ty)), wire, "enum {}", stringify!($ty));
        )+};
    }
    same!(
        BookingStatus,
        LearnerStatus,
        SeriesMode,
        Dimension,
        QuoteUnit,
        RequestAction,
        RequestState,
        EquipmentStatus,
        OrganisationKind,
        PlatformDomain,
        Role,
        Weekday,
        WhoMayBook,
        CalendarFeed,
        ClosureScope,
        MessageVisibility,
        QuoteStatus
    );
    // And nothing else in the document is an enum of another spelling.
    for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
        for value in schema["enum"].as_array().into_iter().flatten() {
            let text = value.as_str().unwrap_or_default();
            assert!(
                text.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "{name}: {text} is not snake_case"
            );
        }
    }
}

/// A client that filters by a status the document offers gets the list, not a 400.
async fn document_enum_values_are_accepted_as_filters(app: TestApp) {
    let campus = support::campus(&app).await;
    let doc = document();
    for status in enum_values(&doc, "BookingStatus") {
        app.get(&format!("/api/v1/bookings?status={status}"), &campus.admin)
            .await
            .expect(200);
    }
    for domain in enum_values(&doc, "PlatformDomain") {
        app.call(
            Method::GET,
            &format!("/api/v1/platforms?domain={domain}"),
            Some(&campus.teacher),
            None,
            &[],
        )
        .await
        .expect(200);
    }
}

on_both_databases!(document_enum_values_are_accepted_as_filters);

/// A mistyped filter is refused with its name rather than ignored (which answered the whole
/// organisation's list); declared parameters still work.
async fn unknown_query_parameters_are_refused(app: TestApp) {
    let campus = support::campus(&app).await;
    let problem = app
        .get(
            &format!("/api/v1/bookings?booker_id={}", campus.teacher_id),
            &campus.teacher,
        )
        .await
        .problem(400, "unknown_query_parameter");
    assert_eq!(problem["extra"]["parameter"], "booker_id", "{problem}");
    assert!(problem["detail"].as_str().unwrap().contains("booker_id"));
    // On an operation with no query parameter at all, and with an encoded name.
    let problem = app
        .get("/api/v1/me?verbose%5Fmode=1", &campus.teacher)
        .await
        .problem(400, "unknown_query_parameter");
    assert_eq!(problem["extra"]["parameter"], "verbose_mode");
    app.get("/api/v1/bookings?status=pending&limit=5", &campus.teacher)
        .await
        .expect(200);
}

on_both_databases!(unknown_query_parameters_are_refused);

/// Every operation documents the refusals any request may meet, with the problem schema.
#[test]
fn every_operation_documents_the_common_refusals() {
    let doc = document();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let responses = &operation["responses"];
            let public = operation.get("security").is_some();
            let mut expected = vec!["400", "422", "429", "503"];
            if !public {
                expected.push("401");
            }
            if operation.get("requestBody").is_some() {
                expected.extend(["413", "415"]);
            }
            for status in expected {
                assert!(
                    responses.get(status).is_some(),
                    "{method} {path} does not document {status}"
                );
            }
        }
    }
    let bad_request = &doc["components"]["responses"]["BadRequest"];
    assert_eq!(
        bad_request["content"]["application/problem+json"]["schema"]["$ref"],
        "#/components/schemas/Problem"
    );
    let metrics = &doc["paths"]["/metrics"]["get"]["responses"]["200"]["content"];
    assert!(
        metrics.get("application/openmetrics-text").is_some(),
        "{metrics}"
    );
    let limit = doc["paths"]["/api/v1/bookings"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "limit")
        .unwrap()
        .clone();
    assert_eq!(limit["schema"]["minimum"], 1);
    assert_eq!(limit["schema"]["maximum"], 500);
}

/// The schema of a query parameter of `GET path`, compiled.
fn query_parameter(doc: &Value, path: &str, name: &str) -> jsonschema::Validator {
    let schema = doc["paths"][path]["get"]["parameters"]
        .as_array()
        .unwrap_or_else(|| panic!("GET {path} has parameters"))
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("GET {path} has {name}"))["schema"]
        .clone();
    jsonschema::validator_for(&schema).expect("the schema compiles")
}

/// The patterns of the report parameters say exactly what the service reads: a client that
/// follows the document is answered, and what the document refuses is refused.
#[test]
fn report_parameter_patterns_are_what_the_service_reads() {
    use plateaux::domain::reports::{parse_group_by, parse_school_year, Dimension};
    let doc = document();
    for path in ["/api/v1/reports/usage", "/api/v1/reports/indicators"] {
        let school_year = query_parameter(&doc, path, "school_year");
        let mut texts: Vec<String> = (1990..2120)
            .flat_map(|first| {
                (first - 1..=first + 2).map(move |second| format!("{first}-{second}"))
            })
            .collect();
        texts.extend(
            [
                "",
                "2026",
                "2026-2027 ",
                " 2026-2027",
                "02026-2027",
                "2026_2027",
            ]
            .map(String::from),
        );
        for text in texts {
            assert_eq!(
                school_year.is_valid(&json!(text)),
                parse_school_year(&text).is_some(),
                "{path} school_year={text:?}"
            );
        }
    }
    let group_by = query_parameter(&doc, "/api/v1/reports/usage", "group_by");
    let mut names: Vec<&str> = Dimension::ALL.iter().map(|d| d.as_str()).collect();
    names.extend(["colour", "", " month"]);
    // Every list of one to four of these, and no list at all.
    let mut texts = vec![String::new()];
    let mut lists: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    for _ in 0..4 {
        texts.extend(lists.iter().cloned());
        lists = lists
            .iter()
            .flat_map(|list| names.iter().map(move |n| format!("{list},{n}")))
            .collect();
    }
    assert!(texts.len() > 10_000, "{}", texts.len());
    for text in texts {
        assert_eq!(
            group_by.is_valid(&json!(text)),
            parse_group_by(&text).is_ok(),
            "group_by={text:?}"
        );
    }
}

/// The harness's check of every response against the document fails on what it should:
/// a body that does not fit, an undocumented status or content type, a success outside the
/// document.
#[test]
fn responses_outside_the_contract_are_caught() {
    use actix_web::http::header::{HeaderMap, HeaderValue, CONTENT_TYPE};
    use actix_web::http::StatusCode;
    use support::contract::check;
    let headers = |content_type: &str| {
        let mut map = HeaderMap::new();
        map.insert(CONTENT_TYPE, HeaderValue::from_str(content_type).unwrap());
        map
    };
    let problem = json!({
        "type": "urn:plateaux:problem:not_found", "title": "Introuvable", "status": 404,
        "detail": "Rien ici.", "code": "not_found",
    })
    .to_string();
    let json_type = headers("application/json");
    let problem_type = headers("application/problem+json");
    // What fits passes.
    check(
        &Method::GET,
        "/api/v1/nowhere",
        StatusCode::NOT_FOUND,
        &problem_type,
        &problem,
    );
    check(
        &Method::GET,
        "/api/v1/bookings/0195f3a4-5b6c-7d8e-9f00-112233445566",
        StatusCode::NOT_FOUND,
        &problem_type,
        &problem,
    );
    check(
        &Method::DELETE,
        "/api/v1/closures/0195f3a4-5b6c-7d8e-9f00-112233445566",
        StatusCode::NO_CONTENT,
        &HeaderMap::new(),
        "",
    );
    let caught = |method: Method,
                  uri: &'static str,
                  status: StatusCode,
                  headers: HeaderMap,
                  body: String| {
        let outcome =
            std::panic::catch_unwind(move || check(&method, uri, status, &headers, &body));
        assert!(outcome.is_err(), "{uri} {status} passed the check");
    };
    // A body that does not fit its schema (`/me` answers an account).
    caught(
        Method::GET,
        "/api/v1/me",
        StatusCode::OK,
        json_type.clone(),
        "{}".into(),
    );
    caught(
        Method::GET,
        "/api/v1/me",
        StatusCode::OK,
        json_type.clone(),
        "pas du JSON".into(),
    );
    // A status the operation does not document.
    caught(
        Method::GET,
        "/api/v1/me",
        StatusCode::IM_A_TEAPOT,
        problem_type.clone(),
        problem.clone(),
    );
    // A content type the operation does not document for that status.
    caught(
        Method::GET,
        "/api/v1/reports/usage",
        StatusCode::OK,
        headers("application/pdf"),
        "%PDF".into(),
    );
    caught(
        Method::GET,
        "/api/v1/bookings",
        StatusCode::NOT_FOUND,
        json_type.clone(),
        problem.clone(),
    );
    // Outside the document: only problem documents.
    caught(
        Method::GET,
        "/api/v1/nowhere",
        StatusCode::OK,
        json_type.clone(),
        "{}".into(),
    );
    caught(
        Method::GET,
        "/api/v1/nowhere",
        StatusCode::NOT_FOUND,
        problem_type,
        "{}".into(),
    );
}

/// The bounded time of each Schemathesis run (one per backend and token), in seconds.
const SCHEMATHESIS_SECONDS: &str = "45";

/// The Schemathesis the tests run, pinned: another version generates other cases.
const SCHEMATHESIS_VERSION: &str = "4.32.5";

fn is_pinned_schemathesis(program: &std::path::Path) -> bool {
    std::process::Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| {
            o.status.success() && String::from_utf8_lossy(&o.stdout).contains(SCHEMATHESIS_VERSION)
        })
}

/// Where Schemathesis is: `PLATEAUX_SCHEMATHESIS`, else the pinned version in a virtual
/// environment under the target directory, installed there the first time (`python3 -m
/// venv`, then `pip` from PyPI). The two backend tests may both find it missing: a lock
/// file lets one install it while the other waits.
fn schemathesis_program() -> std::path::PathBuf {
    use std::os::unix::io::AsRawFd;
    use std::path::{Path, PathBuf};
    if let Some(program) = std::env::var_os("PLATEAUX_SCHEMATHESIS") {
        return PathBuf::from(program);
    }
    // The binary under test is `<target>/<profile>/plateaux`.
    let target = Path::new(env!("CARGO_BIN_EXE_plateaux"))
        .parent()
        .and_then(Path::parent)
        .expect("the target directory");
    let venv = target.join("schemathesis-venv");
    let program = venv.join("bin/schemathesis");
    if is_pinned_schemathesis(&program) {
        return program;
    }
    let lock = std::fs::File::create(target.join("schemathesis-venv.lock")).expect("lock file");
    // Released when the file is closed, even if this test dies.
    assert_eq!(
        unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) },
        0,
        "lock {}",
        target.join("schemathesis-venv.lock").display()
    );
    if is_pinned_schemathesis(&program) {
        return program;
    }
    let run = |what: &str, command: &mut std::process::Command| {
        let output = command
            .output()
            .unwrap_or_else(|e| panic!("Schemathesis is missing and {what} cannot run: {e}"));
        assert!(
            output.status.success(),
            "Schemathesis is missing and {what} failed; install Python 3 with its venv module \
             (Debian: python3-venv) and reach PyPI, or set PLATEAUX_SCHEMATHESIS to a \
             schemathesis {SCHEMATHESIS_VERSION} program:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    };
    eprintln!(
        "installing schemathesis {SCHEMATHESIS_VERSION} into {}",
        venv.display()
    );
    run(
        "python3 -m venv",
        std::process::Command::new("python3")
            .args(["-m", "venv", "--clear"])
            .arg(&venv),
    );
    run(
        "pip install",
        std::process::Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "--disable-pip-version-check"])
            .arg(format!("schemathesis=={SCHEMATHESIS_VERSION}")),
    );
    assert!(
        is_pinned_schemathesis(&program),
        "schemathesis {SCHEMATHESIS_VERSION} was installed into {} but does not run",
        venv.display()
    );
    program
}

/// One HTTP/1.1 exchange with the running service: status and body.
pub(crate) fn http(port: u16, method: &str, path: &str, body: Option<&Value>) -> (u16, String) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .expect("write");
    let mut reply = String::new();
    stream.read_to_string(&mut reply).expect("read");
    let status = reply.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = reply.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    (status, body.to_owned())
}

/// Kills the service when the test ends, passed or not.
pub(crate) struct Service(std::process::Child);

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the real binary (`serve --demo`) on `database_url`, working in `dir` (its log
/// is `dir/service.log`), with `admin` as the configured administrator; answers once it is
/// ready, with its port. The service is killed when the answer is dropped.
pub(crate) fn start_demo_service(
    database_url: &str,
    dir: &std::path::Path,
    admin: (&str, &str),
) -> (Service, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let log = std::fs::File::create(dir.join("service.log")).expect("log file");
    let service = Service(
        std::process::Command::new(env!("CARGO_BIN_EXE_plateaux"))
            .args(["serve", "--demo"])
            .current_dir(dir)
            .env("PLATEAUX_DATABASE_URL", database_url)
            .env("PLATEAUX_BIND", format!("127.0.0.1:{port}"))
            .env("PLATEAUX_JWT_SECRET", support::TEST_SECRET)
            .env("PLATEAUX_ADMIN_EMAIL", admin.0)
            .env("PLATEAUX_ADMIN_PASSWORD", admin.1)
            .env("PLATEAUX_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start the service"),
    );
    // Wait for it to listen (migrations and the demo campus come first).
    let mut ready = false;
    for _ in 0..600 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
            && http(port, "GET", "/readyz", None).0 == 200
        {
            ready = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(ready, "the service did not start on {database_url}");
    (service, port)
}

/// Starts the real binary on `database_url` with the demo campus and runs Schemathesis over
/// its served document with an administrator's token, then a teacher's. Any failing case,
/// of any check, fails the test with Schemathesis's report.
fn schemathesis_over(database_url: &str) {
    let program = schemathesis_program();
    let dir = tempfile::tempdir().expect("temporary directory");
    let admin = ("schemathesis@plateaux.test", "schemathesis-admin-2027");
    let (_service, port) = start_demo_service(database_url, dir.path(), admin);
    let token = |email: &str, password: &str| {
        let credentials = serde_json::json!({ "email": email, "password": password });
        let (status, body) = http(port, "POST", "/api/v1/auth/login", Some(&credentials));
        assert_eq!(status, 200, "login of {email}: {body}");
        serde_json::from_str::<Value>(&body).unwrap()["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let tokens = [
        ("admin", token(admin.0, admin.1)),
        (
            "teacher",
            token("enseignant.soudage@demo.plateaux.test", "demo-soudage-2027"),
        ),
    ];
    let dir_of_config = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/schemathesis");
    let config = format!("{dir_of_config}/schemathesis.toml");
    let mut failures = Vec::new();
    for (role, token) in tokens {
        let output = std::process::Command::new(&program)
            .args(["--config-file", &config, "--no-color", "run"])
            .arg(format!("http://127.0.0.1:{port}/api/v1/openapi.json"))
            .args(["--checks", "all"])
            .args(["--phases", "examples,coverage,fuzzing,stateful"])
            .args(["--max-time", SCHEMATHESIS_SECONDS])
            // One worker: Hypothesis is not safe across threads (it failed at random, its
            // own error rather than a case, with two), and the two backends already run side
            // by side.
            .args(["--workers", "1"])
            .args(["--seed", "1"])
            .args(["--header", &format!("Authorization: Bearer {token}")])
            // The configuration's hooks (hooks.py) are found through it.
            .env("PLATEAUX_SCHEMATHESIS_DIR", dir_of_config)
            .current_dir(dir.path())
            .output()
            .unwrap_or_else(|e| panic!("run {}: {e}", program.display()));
        if !output.status.success() {
            failures.push(format!(
                "Schemathesis with the {role} token on {database_url} found failures:\n{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn schemathesis_finds_nothing_on_sqlite() {
    let dir = tempfile::tempdir().expect("temporary directory");
    schemathesis_over(&format!(
        "sqlite://{}",
        dir.path().join("plateaux.db").display()
    ));
}

#[test]
fn schemathesis_finds_nothing_on_postgres() {
    schemathesis_over(&support::postgres::fresh_database());
}

/// Every body the service refuses for the shape of a value (blank, out of bounds, not a
/// date-time, an unknown time zone, a list too short or too long…), the document refuses
/// too: a client that follows the document never meets these refusals, and Schemathesis may
/// hold writes to business refusals alone.
async fn what_the_service_refuses_for_its_shape_the_document_refuses(app: TestApp) {
    use support::contract::request_body_fits;
    let c = support::campus(&app).await;
    let tomorrow = support::dates::today() + chrono::Duration::days(1);
    let at = |hm: &str| support::dates::at(tomorrow, hm);
    let qualification = format!("/api/v1/qualifications/{}", c.qualification_id);
    // (method, path template, path, token, body, field, code)
    let cases: Vec<(Method, &str, String, &str, Value, &str, &str)> = vec![
        (
            Method::POST,
            "/api/v1/campuses",
            "/api/v1/campuses".into(),
            &c.admin,
            json!({ "name": " \t" }),
            "name",
            "required",
        ),
        (
            Method::POST,
            "/api/v1/campuses",
            "/api/v1/campuses".into(),
            &c.admin,
            json!({ "name": "Campus", "timezone": "Europe/Rodez" }),
            "timezone",
            "unknown_value",
        ),
        (
            Method::POST,
            "/api/v1/qualifications",
            "/api/v1/qualifications".into(),
            &c.admin,
            json!({ "name": "Habilitation", "validity_months": 0 }),
            "validity_months",
            "out_of_range",
        ),
        (
            Method::PATCH,
            "/api/v1/qualifications/{id}",
            qualification.clone(),
            &c.admin,
            json!({ "validity_months": 241 }),
            "validity_months",
            "out_of_range",
        ),
        // An address the document's pattern refuses, on the public form that answers the
        // same to every well-formed address.
        (
            Method::POST,
            "/api/v1/public/password-resets",
            "/api/v1/public/password-resets".into(),
            &c.admin,
            json!({ "email": "0@0.0*" }),
            "email",
            "invalid_format",
        ),
        (
            Method::PATCH,
            "/api/v1/qualifications/{id}",
            qualification,
            &c.admin,
            json!({ "name": "x".repeat(201) }),
            "name",
            "too_long",
        ),
        (
            Method::PATCH,
            "/api/v1/platforms/{id}",
            format!("/api/v1/platforms/{}", c.platform_id),
            &c.admin,
            json!({ "booking_policy": {
                "who_may_book": "campus_members", "outside_requires_approval": true,
                "min_notice_hours": 0, "max_horizon_days": 0, "max_duration_minutes": 60,
            } }),
            "booking_policy.max_horizon_days",
            "out_of_range",
        ),
        (
            Method::POST,
            "/api/v1/maintenance-windows",
            "/api/v1/maintenance-windows".into(),
            &c.admin,
            json!({ "equipment_id": c.equipment_id, "starts_at": "demain 8 h", "ends_at": at("12:00"),
                "reason": "Révision" }),
            "starts_at",
            "invalid_format",
        ),
        (
            Method::POST,
            "/api/v1/maintenance-windows",
            "/api/v1/maintenance-windows".into(),
            &c.admin,
            json!({ "equipment_id": c.equipment_id, "starts_at": at("08:00"), "ends_at": at("12:00"),
                "reason": "  " }),
            "reason",
            "required",
        ),
        (
            Method::POST,
            "/api/v1/usage-records",
            "/api/v1/usage-records".into(),
            &c.admin,
            json!({ "records": [] }),
            "records",
            "out_of_range",
        ),
        (
            Method::POST,
            "/api/v1/service-requests",
            "/api/v1/service-requests".into(),
            &c.company,
            json!({ "title": "Pièces", "description": "Usinage", "domains": [] }),
            "domains",
            "required",
        ),
        (
            Method::POST,
            "/api/v1/public/password-resets",
            "/api/v1/public/password-resets".into(),
            &c.admin,
            json!({ "email": "personne@intranet" }),
            "email",
            "invalid_format",
        ),
    ];
    for (method, template, path, token, body, field, code) in cases {
        let problem = app
            .call(method.clone(), &path, Some(token), Some(body.clone()), &[])
            .await
            .problem(422, "validation_failed");
        assert!(
            problem["errors"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["field"] == field && e["code"] == code),
            "{method} {path} {body}: {problem}"
        );
        assert!(
            !request_body_fits(&method, template, &body),
            "the document allows {method} {template} {body}, which the service refuses ({field} {code})"
        );
    }
}

on_both_databases!(what_the_service_refuses_for_its_shape_the_document_refuses);

/// JSON Schema counts a number with a fraction part of zero (`971.0`, `2e0`) as an integer,
/// and so does the document: the service reads it as that integer.
async fn whole_numbers_written_with_a_fraction_are_integers(app: TestApp) {
    use support::contract::request_body_fits;
    let c = support::campus(&app).await;
    let body = json!({
        "platform_id": c.platform_id, "name": "Tour", "kind": "tour", "hourly_rate_cents": 971.0,
    });
    assert!(request_body_fits(&Method::POST, "/api/v1/equipment", &body));
    let created = app
        .post("/api/v1/equipment", &c.admin, body)
        .await
        .expect(201)
        .json();
    assert_eq!(created["hourly_rate_cents"], 971, "{created}");
    let day = support::dates::next(chrono::Weekday::Tue, 10);
    let mut booking = support::station_booking(&c.platform_id, day, "09:00", "11:00");
    booking["stations"] = json!(2.0);
    booking["learners"] = json!([{ "status": "school", "headcount": 3e0 }]);
    let booked = app
        .post("/api/v1/bookings", &c.admin, booking)
        .await
        .expect(201)
        .json();
    assert_eq!(booked["stations"], 2, "{booked}");
    assert_eq!(booked["total_headcount"], 3, "{booked}");
    // A fraction is still refused, naming the field.
    let problem = app
        .post("/api/v1/equipment", &c.admin, json!({
            "platform_id": c.platform_id, "name": "Tour", "kind": "tour", "hourly_rate_cents": 971.5,
        }))
        .await
        .problem(422, "validation_failed");
    assert_eq!(
        problem["errors"][0]["field"], "hourly_rate_cents",
        "{problem}"
    );
}

on_both_databases!(whole_numbers_written_with_a_fraction_are_integers);

/// Every RFC 3339 spelling of an instant the document's `date-time` allows is read: lower-case
/// `t` and `z`, fractions of a second, `+00:00`, `-00:00`.
async fn every_rfc_3339_spelling_of_an_instant_is_read(app: TestApp) {
    use support::contract::request_body_fits;
    let c = support::campus(&app).await;
    let day = support::dates::next(chrono::Weekday::Tue, 20);
    let date = day.format("%Y-%m-%d");
    for (i, (start, end)) in [
        (format!("{date}t08:00:00z"), format!("{date}T08:30:00.5Z")),
        (
            format!("{date}T09:00:00.000+00:00"),
            format!("{date}T09:30:00-00:00"),
        ),
        (
            format!("{date}T11:00:00.123456789+01:00"),
            format!("{date}t11:30:00+01:00"),
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let body = json!({
            "platform_id": c.platform_id, "stations": 1, "starts_at": start, "ends_at": end,
            "group_label": format!("Groupe {i}"),
        });
        assert!(
            request_body_fits(&Method::POST, "/api/v1/bookings", &body),
            "{body}"
        );
        app.post("/api/v1/bookings", &c.admin, body)
            .await
            .expect(201);
    }
}

on_both_databases!(every_rfc_3339_spelling_of_an_instant_is_read);

/// A campus's time zone may be `null`, as the document says: read as left out, the
/// service's zone for a new campus and no change for an edit.
async fn a_null_time_zone_is_the_field_left_out(app: TestApp) {
    let c = support::campus(&app).await;
    let created = app
        .post(
            "/api/v1/campuses",
            &c.admin,
            json!({ "name": "Campus sans fuseau", "timezone": null }),
        )
        .await
        .expect(201)
        .json();
    assert_eq!(created["timezone"], "Europe/Paris");
    let id = created["id"].as_str().unwrap();
    app.patch(
        &format!("/api/v1/campuses/{id}"),
        &c.admin,
        json!({ "timezone": "America/Cayenne" }),
    )
    .await
    .expect(200);
    let unchanged = app
        .patch(
            &format!("/api/v1/campuses/{id}"),
            &c.admin,
            json!({ "name": "Campus de Guyane", "timezone": null }),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(unchanged["timezone"], "America/Cayenne");
    assert_eq!(unchanged["name"], "Campus de Guyane");
}

on_both_databases!(a_null_time_zone_is_the_field_left_out);
