//! Operations under load: a stop loses no request, and a restart of the database answers
//! 503 and never 500. Both drive a stream of bookings; the stop is a real SIGTERM to the
//! real binary.

use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Weekday;
use serde_json::Value;

use crate::support::dates::next;
use crate::support::postgres::{Cluster, ReplicatedPair};
use crate::support::{campus, contract, station_booking, Backend, Campus, TestApp, TEST_SECRET};

/// The `n`th booking of a stream: one station of one of four slots on one of forty working
/// days, so that most are booked and the rest refused (409) once a slot's 14 are taken.
fn booking(c: &Campus, n: usize) -> Value {
    const SLOTS: [(&str, &str); 4] = [
        ("08:00", "10:00"),
        ("10:00", "12:00"),
        ("13:30", "15:30"),
        ("15:30", "17:30"),
    ];
    let (from, to) = SLOTS[n % 4];
    let working_day = (n / 4) % 40;
    let day = next(Weekday::Mon, 7)
        + chrono::Duration::days((working_day / 5 * 7 + working_day % 5) as i64);
    let mut body = station_booking(&c.platform_id, day, from, to);
    body["stations"] = 1.into();
    body["learners"][0]["headcount"] = 1.into();
    body
}

/// How many of `ids` the database holds.
async fn bookings_held(app: &TestApp, ids: &[String]) -> usize {
    if ids.is_empty() {
        return 0;
    }
    let list = ids
        .iter()
        .map(|id| format!("'{id}'"))
        .collect::<Vec<_>>()
        .join(",");
    app.count_sql(format!(
        "SELECT COUNT(*) AS n FROM bookings WHERE id IN ({list})"
    ))
    .await as usize
}

/// What became of one request sent to the real service.
#[derive(Debug)]
enum Outcome {
    /// An HTTP answer: its status, headers and body.
    Answered(u16, actix_web::http::header::HeaderMap, String),
    /// The connection was refused: nothing was sent, the client knows to go elsewhere.
    Refused,
    /// Sent, or half sent, and lost: reset, broken pipe or end of stream without an answer.
    Lost(String),
}

/// One request on its own connection (`Connection: close`), as a client or proxy opening
/// a connection per request does.
fn exchange(port: u16, method: &str, path: &str, token: &str, body: Option<&Value>) -> Outcome {
    let mut stream = match std::net::TcpStream::connect(("127.0.0.1", port)) {
        Ok(stream) => stream,
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => return Outcome::Refused,
        Err(e) => return Outcome::Lost(format!("connect: {e}")),
    };
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .expect("timeout");
    let body = body.map(Value::to_string).unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\
         Authorization: Bearer {token}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    if let Err(e) = stream.write_all(request.as_bytes()) {
        return Outcome::Lost(format!("write: {e}"));
    }
    let mut reply = Vec::new();
    if let Err(e) = stream.read_to_end(&mut reply) {
        return Outcome::Lost(format!("read: {e}"));
    }
    let reply = String::from_utf8_lossy(&reply).into_owned();
    let Some((head, body)) = reply.split_once("\r\n\r\n") else {
        return Outcome::Lost(format!("no answer: {reply:?}"));
    };
    let mut lines = head.lines();
    let Some(status) = lines
        .next()
        .and_then(|l| l.strip_prefix("HTTP/1.1 "))
        .and_then(|l| l.get(..3))
        .and_then(|s| s.parse().ok())
    else {
        return Outcome::Lost(format!("no status line: {reply:?}"));
    };
    let mut headers = actix_web::http::header::HeaderMap::new();
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            if let (Ok(name), Ok(value)) = (
                actix_web::http::header::HeaderName::try_from(name.trim()),
                actix_web::http::header::HeaderValue::from_str(value.trim()),
            ) {
                headers.append(name, value);
            }
        }
    }
    Outcome::Answered(status, headers, body.to_owned())
}

/// The real binary on the test's database, killed when the test ends however it ends.
struct Service {
    child: std::process::Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Service {
    fn start(database_url: &str, drain_ms: u64) -> Service {
        let dir = tempfile::tempdir().expect("temporary directory");
        let port = crate::support::smtp::free_port();
        let log = std::fs::File::create(dir.path().join("service.log")).expect("log file");
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_plateaux"))
            .arg("serve")
            .current_dir(dir.path())
            .env("PLATEAUX_DATABASE_URL", database_url)
            .env("PLATEAUX_BIND", format!("127.0.0.1:{port}"))
            .env("PLATEAUX_JWT_SECRET", TEST_SECRET)
            .env("PLATEAUX_SHUTDOWN_DRAIN_MS", drain_ms.to_string())
            .env("PLATEAUX_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start the service");
        let service = Service {
            child,
            port,
            _dir: dir,
        };
        for _ in 0..600 {
            if let Outcome::Answered(200, ..) = exchange(port, "GET", "/readyz", "", None) {
                return service;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the service did not start on {database_url}");
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self._dir.path().join("service.log")).unwrap_or_default()
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A request of the stream: when it was begun, and what became of it.
struct Sent {
    begun: Instant,
    outcome: Outcome,
}

/// SIGTERM in the middle of a stream of bookings from six clients, each opening a
/// connection per request: every request begun before the signal is answered (201 or
/// 409) or refused, none is cut off; readiness answers 503 during the drain while
/// bookings are still served; the process ends by itself, and every 201 is in the database.
async fn a_stop_answers_every_request_sent_before_it(app: TestApp) {
    let c = campus(&app).await;
    let service = Service::start(&app.database_url, 500);
    let port = service.port;
    let counter = Arc::new(AtomicUsize::new(0));
    let sent: Arc<Mutex<Vec<Sent>>> = Default::default();
    let clients: Vec<_> = (0..6)
        .map(|_| {
            let (counter, sent) = (counter.clone(), sent.clone());
            let token = c.teacher.clone();
            let bodies: Vec<Value> = (0..4_000).map(|n| booking(&c, n)).collect();
            std::thread::spawn(move || {
                let until = Instant::now() + Duration::from_secs(60);
                while Instant::now() < until {
                    let n = counter.fetch_add(1, Ordering::Relaxed) % bodies.len();
                    let begun = Instant::now();
                    let outcome =
                        exchange(port, "POST", "/api/v1/bookings", &token, Some(&bodies[n]));
                    let refused = matches!(outcome, Outcome::Refused);
                    sent.lock().unwrap().push(Sent { begun, outcome });
                    if refused {
                        return;
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(1_500));
    let signal = Instant::now();
    // SAFETY: a signal to the child process this test started and still owns.
    let signalled = unsafe { libc::kill(service.child.id() as libc::pid_t, libc::SIGTERM) };
    assert_eq!(signalled, 0, "SIGTERM");

    // Readiness turns 503 as soon as the signal is handled, while the drain lasts.
    let mut ready = None;
    while signal.elapsed() < Duration::from_millis(400) {
        match exchange(port, "GET", "/readyz", "", None) {
            Outcome::Answered(503, headers, body) => {
                ready = Some((headers, body));
                break;
            }
            Outcome::Answered(200, ..) => std::thread::sleep(Duration::from_millis(10)),
            other => panic!("readiness during the drain: {other:?}"),
        }
    }
    let (headers, body) = ready.expect("readiness answered 503 during the drain");
    contract::check(
        &actix_web::http::Method::GET,
        "/readyz",
        actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
        &headers,
        &body,
    );
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["code"],
        "shutting_down"
    );

    for client in clients {
        client.join().expect("client thread");
    }
    let mut service = service;
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = service.child.try_wait().expect("wait") {
            break status;
        }
        assert!(Instant::now() < deadline, "the service did not stop");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(
        status.success(),
        "the service ended with {status}: {}",
        service.log()
    );

    let sent = std::mem::take(&mut *sent.lock().unwrap());
    let before: Vec<&Sent> = sent.iter().filter(|s| s.begun < signal).collect();
    let lost: Vec<String> = before
        .iter()
        .filter_map(|s| match &s.outcome {
            Outcome::Lost(why) => Some(format!(
                "{why} ({} ms before the signal)",
                (signal - s.begun).as_millis()
            )),
            _ => None,
        })
        .collect();
    assert!(
        lost.is_empty(),
        "{} of {} requests sent before the signal got no answer: {lost:#?}",
        lost.len(),
        before.len()
    );
    let mut created = Vec::new();
    for s in &sent {
        if let Outcome::Answered(status, headers, body) = &s.outcome {
            contract::check(
                &actix_web::http::Method::POST,
                "/api/v1/bookings",
                actix_web::http::StatusCode::from_u16(*status).unwrap(),
                headers,
                body,
            );
            assert!(matches!(status, 201 | 409), "{status}: {body}");
            if *status == 201 {
                let booking: Value = serde_json::from_str(body).unwrap();
                created.push(booking["id"].as_str().unwrap().to_owned());
            }
        }
    }
    assert!(
        before.len() >= 20,
        "only {} requests before the signal",
        before.len()
    );
    let served_after = sent
        .iter()
        .filter(|s| s.begun > signal && matches!(s.outcome, Outcome::Answered(..)))
        .count();
    assert!(served_after > 0, "no request was served during the drain");
    assert!(sent.iter().any(|s| matches!(s.outcome, Outcome::Refused)));
    assert_eq!(bookings_held(&app, &created).await, created.len());
}

crate::on_both_databases!(a_stop_answers_every_request_sent_before_it);

/// What a stream of bookings met around a disruption of the database.
struct Stream {
    /// Each answer: when, its status, the booking's id for a 201.
    answers: Vec<(Instant, u16, String)>,
    /// When the disruption began and when it was over.
    began: Instant,
    ended: Instant,
}

impl Stream {
    fn created(&self) -> Vec<String> {
        self.answers
            .iter()
            .filter(|(_, status, _)| *status == 201)
            .map(|(_, _, id)| id.clone())
            .collect()
    }

    fn unavailable(&self) -> usize {
        self.answers.iter().filter(|(_, s, _)| *s == 503).count()
    }

    fn booked_before_and_after(&self) -> (bool, bool) {
        let booked = |at: &dyn Fn(Instant) -> bool| {
            self.answers
                .iter()
                .any(|(when, status, _)| at(*when) && *status == 201)
        };
        (booked(&|t| t < self.began), booked(&|t| t > self.ended))
    }
}

/// Eight clients book without pause; after 800 ms `disrupt` runs (blocking), and the stream
/// goes on for `settle` after it. Every answer must be 201, 409 or 503 with `Retry-After`;
/// after a 503 a client waits `retry_pause` before sending again.
async fn bookings_during(
    app: &TestApp,
    c: &Campus,
    what: &str,
    disrupt: impl FnOnce() + Send + 'static,
    settle: Duration,
    retry_pause: Duration,
) -> Stream {
    let counter = AtomicUsize::new(0);
    let done = AtomicBool::new(false);
    let times: Mutex<Option<(Instant, Instant)>> = Mutex::new(None);
    let answers: Mutex<Vec<(Instant, u16, String)>> = Mutex::new(Vec::new());
    let client = || async {
        while !done.load(Ordering::Relaxed) {
            let n = counter.fetch_add(1, Ordering::Relaxed);
            let reply = app
                .post("/api/v1/bookings", &c.teacher, booking(c, n))
                .await;
            let status = reply.status.as_u16();
            let detail = match status {
                201 => reply.json()["id"].as_str().unwrap().to_owned(),
                503 => {
                    assert!(reply.headers.contains_key("retry-after"), "{}", reply.text);
                    reply.problem(503, "database_unavailable");
                    if !retry_pause.is_zero() {
                        actix_web::rt::time::sleep(retry_pause).await;
                    }
                    String::new()
                }
                409 => String::new(),
                _ => panic!(
                    "a booking answered {status} during the {what}: {}",
                    reply.text
                ),
            };
            answers
                .lock()
                .unwrap()
                .push((Instant::now(), status, detail));
        }
    };
    let control = async {
        actix_web::rt::time::sleep(Duration::from_millis(800)).await;
        let began = Instant::now();
        actix_web::web::block(disrupt).await.expect(what);
        *times.lock().unwrap() = Some((began, Instant::now()));
        actix_web::rt::time::sleep(settle).await;
        done.store(true, Ordering::Relaxed);
    };
    futures_util::future::join(
        futures_util::future::join_all((0..8).map(|_| client())),
        control,
    )
    .await;
    let (began, ended) = times.into_inner().unwrap().expect("disrupted");
    Stream {
        answers: answers.into_inner().unwrap(),
        began,
        ended,
    }
}

/// A restart of PostgreSQL (`pg_ctl stop -m fast`, then start) during a stream of bookings
/// from eight clients at once: every answer is 201, 409 or 503 with `Retry-After`, never
/// 500; bookings are answered 201 again after the restart without any help; and every
/// booking answered 201 is in the database. PostgreSQL only: SQLite has no server.
#[actix_web::test]
async fn a_database_restart_under_load_answers_503_never_500() {
    let cluster = Arc::new(
        actix_web::web::block(Cluster::start)
            .await
            .expect("cluster"),
    );
    let app = TestApp::on_database(
        Backend::Postgres,
        cluster.url(),
        None,
        crate::support::relaxed_limits,
        plateaux::auth::TokenKeys::new(TEST_SECRET),
    )
    .await;
    let c = campus(&app).await;
    let restart = cluster.clone();
    // Long enough after for the pools to replace their connections and book again.
    let stream = bookings_during(
        &app,
        &c,
        "restart",
        move || restart.restart(),
        Duration::from_millis(3_000),
        Duration::ZERO,
    )
    .await;
    let (created, unavailable) = (stream.created(), stream.unavailable());
    let (before, after) = stream.booked_before_and_after();
    assert!(before, "bookings were made before the restart");
    assert!(
        after,
        "bookings are made again after the restart ({unavailable} answered 503)"
    );
    assert_eq!(
        bookings_held(&app, &created).await,
        created.len(),
        "every booking answered 201 is in the database ({unavailable} answered 503)"
    );
}

/// Failover of a replicated PostgreSQL under a stream of bookings: the primary, with a
/// synchronous streaming replica, dies (`pg_ctl stop -m immediate`) and the replica is
/// promoted. The service, given both hosts with `target_session_attrs=read-write`, finds the
/// new primary by itself: every answer is 201, 409 or 503 with `Retry-After`, never a wrong
/// one; bookings are answered 201 again after the promotion; every booking answered 201,
/// before or after, is on the new primary. PostgreSQL only.
#[actix_web::test]
async fn a_failover_to_the_synchronous_replica_loses_no_booking() {
    let pair = Arc::new(
        actix_web::web::block(ReplicatedPair::start)
            .await
            .expect("replicated pair"),
    );
    let app = TestApp::on_database(
        Backend::Postgres,
        pair.service_url(),
        None,
        crate::support::relaxed_limits,
        plateaux::auth::TokenKeys::new(TEST_SECRET),
    )
    .await;
    let c = campus(&app).await;
    let check = pair.clone();
    assert!(
        actix_web::web::block(move || check.replica_is_synchronous())
            .await
            .unwrap(),
        "the replica streams as a synchronous standby"
    );
    let switch = pair.clone();
    // Clients wait a little after a 503, as told, before sending again.
    let stream = bookings_during(
        &app,
        &c,
        "failover",
        move || {
            switch.kill_primary();
            // The time an operator or Patroni takes to decide.
            std::thread::sleep(Duration::from_millis(300));
            switch.promote_replica();
        },
        Duration::from_millis(4_000),
        Duration::from_millis(100),
    )
    .await;
    let (created, unavailable) = (stream.created(), stream.unavailable());
    let (before, after) = stream.booked_before_and_after();
    assert!(before, "bookings were made before the failover");
    assert!(
        after,
        "bookings are made again on the new primary ({unavailable} answered 503)"
    );
    // Read on the new primary alone, not through the service's list of hosts.
    let new_primary = TestApp::on_database(
        Backend::Postgres,
        pair.replica_url(),
        None,
        crate::support::relaxed_limits,
        plateaux::auth::TokenKeys::new(TEST_SECRET),
    )
    .await;
    assert_eq!(
        bookings_held(&new_primary, &created).await,
        created.len(),
        "every booking answered 201 is on the new primary ({} answered 201, {unavailable} 503)",
        created.len()
    );
}

/// With a read replica (`PLATEAUX_REPORTS_DATABASE_URL`), reports read it and bookings the
/// primary: while the replica's replay is paused, a new booking is answered and found
/// through the API but the usage report does not count it yet; once replay resumes, it
/// does. PostgreSQL only.
#[actix_web::test]
async fn reports_read_the_replica_and_bookings_the_primary() {
    let pair = Arc::new(
        actix_web::web::block(ReplicatedPair::start)
            .await
            .expect("replicated pair"),
    );
    let replica = pair.replica_url();
    let app = TestApp::on_database(
        Backend::Postgres,
        pair.primary_url(),
        None,
        move |state| {
            crate::support::relaxed_limits(state);
            state.reports_pool = Some(plateaux::db::build_pool(&replica, 2).expect("replica pool"));
        },
        plateaux::auth::TokenKeys::new(TEST_SECRET),
    )
    .await;
    let c = campus(&app).await;
    let today = app.today();
    let path = format!(
        "/api/v1/reports/usage?from={today}&to={}",
        today + chrono::Duration::days(120)
    );
    let booked = || async {
        app.get(&path, &c.admin).await.expect(200).json()["total"]["sessions_booked"]
            .as_i64()
            .unwrap()
    };
    let eventually = |want: i64| async move {
        for _ in 0..100 {
            if booked().await == want {
                return;
            }
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the report never counted {want} sessions");
    };
    app.post("/api/v1/bookings", &c.teacher, booking(&c, 0))
        .await
        .expect(201);
    eventually(1).await;

    let switch = pair.clone();
    actix_web::web::block(move || switch.pause_replay(true))
        .await
        .unwrap();
    let second = app
        .post("/api/v1/bookings", &c.teacher, booking(&c, 1))
        .await
        .expect(201)
        .json();
    app.get(
        &format!("/api/v1/bookings/{}", second["id"].as_str().unwrap()),
        &c.teacher,
    )
    .await
    .expect(200);
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(booked().await, 1, "the report reads the paused replica");

    let switch = pair.clone();
    actix_web::web::block(move || switch.pause_replay(false))
        .await
        .unwrap();
    eventually(2).await;
}

/// Every response, success or refusal, carries the security headers: no type sniffing,
/// the referrer kept to this origin, the content security policy of the web pages; and
/// `Strict-Transport-Security` only when the public URL is https.
async fn every_response_carries_the_security_headers(app: TestApp) {
    use actix_web::http::Method;
    let header = |reply: &crate::support::Reply, name: &str| {
        reply
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let replies = [
        app.call(Method::GET, "/healthz", None, None, &[])
            .await
            .expect(200),
        app.call(Method::GET, "/api/v1/platforms", None, None, &[])
            .await,
        app.call(Method::GET, "/api/v1/inexistant", None, None, &[])
            .await,
        app.send(
            actix_web::test::TestRequest::post()
                .uri("/api/v1/auth/login")
                .insert_header(("Content-Type", "application/json"))
                .set_payload("{")
                .to_request(),
        )
        .await,
    ];
    for reply in &replies {
        assert_eq!(
            header(reply, "x-content-type-options").as_deref(),
            Some("nosniff")
        );
        assert_eq!(
            header(reply, "referrer-policy").as_deref(),
            Some("same-origin")
        );
        assert_eq!(
            header(reply, "content-security-policy").as_deref(),
            Some("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
        );
        assert_eq!(
            header(reply, "strict-transport-security"),
            None,
            "{reply:?}"
        );
    }
    assert_eq!(
        replies
            .iter()
            .map(|r| r.status.as_u16())
            .collect::<Vec<_>>(),
        [200, 401, 404, 400]
    );
    let https = TestApp::with_state(app.backend, |state| {
        state.strict_transport_security = true;
    })
    .await;
    for path in ["/healthz", "/api/v1/inexistant"] {
        let reply = https.call(Method::GET, path, None, None, &[]).await;
        assert_eq!(
            header(&reply, "strict-transport-security").as_deref(),
            Some("max-age=31536000"),
            "{path}"
        );
    }
}

crate::on_both_databases!(every_response_carries_the_security_headers);

/// A password-reset request from `peer` with `X-Forwarded-For: forwarded` (5 per client
/// address every 10 minutes).
async fn reset_from(app: &TestApp, peer: &str, forwarded: &str) -> u16 {
    let req = actix_web::test::TestRequest::post()
        .uri("/api/v1/public/password-resets")
        .peer_addr(format!("{peer}:40000").parse().unwrap())
        .insert_header(("X-Forwarded-For", forwarded))
        .insert_header(("Content-Type", "application/json"))
        .set_payload(serde_json::json!({ "email": "personne@exemple.fr" }).to_string())
        .to_request();
    let reply = app.send(req).await;
    if reply.status.as_u16() == 429 {
        reply.problem(429, "rate_limited");
        return 429;
    }
    reply.expect(202).status.as_u16()
}

/// The per-client limits read `X-Forwarded-For` only from a trusted proxy
/// (`PLATEAUX_TRUSTED_PROXIES`, here 10.0.0.0/8): from any other peer the header is the
/// client's own word and the peer is counted; through a trusted proxy each client is
/// counted on its own, and an address the client wrote before the proxy's does not help it
/// escape its count; a second instance sees the same counts.
async fn forwarded_for_counts_only_from_trusted_proxies(app: TestApp) {
    let app = TestApp::with_state(app.backend, |state| {
        state.trusted_proxies =
            Arc::new(plateaux::domain::network::Cidr::parse_list("10.0.0.0/8").unwrap());
    })
    .await;
    for i in 0..5 {
        assert_eq!(
            reset_from(&app, "203.0.113.7", &format!("198.51.100.{i}")).await,
            202
        );
    }
    assert_eq!(reset_from(&app, "203.0.113.7", "198.51.100.99").await, 429);

    for i in 10..17 {
        assert_eq!(
            reset_from(&app, "10.0.0.2", &format!("198.51.100.{i}")).await,
            202
        );
    }
    for _ in 0..5 {
        assert_eq!(reset_from(&app, "10.0.0.3", "198.51.100.50").await, 202);
    }
    assert_eq!(reset_from(&app, "10.0.0.2", "198.51.100.50").await, 429);
    assert_eq!(
        reset_from(&app, "10.0.0.2", "192.0.2.1, 198.51.100.50").await,
        429
    );
    assert_eq!(reset_from(&app, "10.0.0.2", "198.51.100.51").await, 202);

    // Another instance behind the same proxy counts the same clients: the counts are in the
    // database they share.
    let twin = TestApp::on_database(
        app.backend,
        app.database_url.clone(),
        None,
        |state| {
            state.trusted_proxies =
                Arc::new(plateaux::domain::network::Cidr::parse_list("10.0.0.0/8").unwrap());
        },
        plateaux::auth::TokenKeys::new(TEST_SECRET),
    )
    .await;
    twin.clock
        .set(chrono::DateTime::from_timestamp(app.now(), 0).expect("an instant"));
    assert_eq!(reset_from(&twin, "10.0.0.4", "198.51.100.50").await, 429);
    assert_eq!(reset_from(&twin, "203.0.113.7", "198.51.100.98").await, 429);
    for _ in 0..4 {
        assert_eq!(reset_from(&twin, "10.0.0.4", "198.51.100.51").await, 202);
    }
    assert_eq!(reset_from(&app, "10.0.0.2", "198.51.100.51").await, 429);
}

crate::on_both_databases!(forwarded_for_counts_only_from_trusted_proxies);

/// The signing key changes without logging anybody out: with the old key given as
/// `PLATEAUX_JWT_PREVIOUS_SECRET`, tokens signed with it are still accepted while new
/// ones are signed with the new key; without it, they are refused.
async fn tokens_of_the_previous_key_are_accepted_during_a_rotation(app: TestApp) {
    use plateaux::auth::TokenKeys;
    const NEW_SECRET: &str = "the-new-secret-the-new-secret-the-new-secret";
    let c = campus(&app).await;
    let on_keys = |keys: TokenKeys| {
        TestApp::on_database(
            app.backend,
            app.database_url.clone(),
            None,
            crate::support::relaxed_limits,
            keys,
        )
    };
    let rotated = on_keys(TokenKeys::new(NEW_SECRET).with_previous(TEST_SECRET)).await;
    let new_only = on_keys(TokenKeys::new(NEW_SECRET)).await;
    rotated.get("/api/v1/me", &c.teacher).await.expect(200);
    new_only
        .get("/api/v1/me", &c.teacher)
        .await
        .problem(401, "unauthenticated");
    let fresh = rotated
        .login("teacher@campus.test", crate::support::PASSWORD)
        .await;
    let fresh = fresh["access_token"].as_str().unwrap();
    new_only.get("/api/v1/me", fresh).await.expect(200);
    app.get("/api/v1/me", fresh)
        .await
        .problem(401, "unauthenticated");
}

crate::on_both_databases!(tokens_of_the_previous_key_are_accepted_during_a_rotation);

/// A GET of `path` from `peer` with the extra `headers`.
async fn get_from(
    app: &TestApp,
    peer: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> crate::support::Reply {
    let mut req = actix_web::test::TestRequest::get()
        .uri(path)
        .peer_addr(format!("{peer}:40000").parse().unwrap());
    for header in headers {
        req = req.insert_header(*header);
    }
    app.send(req.to_request()).await
}

const METRICS_TOKEN: &str = "jeton-de-la-supervision-2027";

/// `/metrics` answers the monitoring only: loopback by default, the blocks of
/// `PLATEAUX_METRICS_ALLOW` when set, or whoever shows `PLATEAUX_METRICS_TOKEN`; a client
/// behind a trusted local proxy is not the proxy, so the proxy does not open them to it.
async fn metrics_answer_the_monitoring_only(app: TestApp) {
    assert!(get_from(&app, "127.0.0.1", "/metrics", &[])
        .await
        .expect(200)
        .text
        .contains("plateaux_db_pool_connections"));
    get_from(&app, "[::1]", "/metrics", &[]).await.expect(200);
    let refused = get_from(&app, "203.0.113.7", "/metrics", &[])
        .await
        .problem(403, "forbidden");
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .contains("PLATEAUX_METRICS_ALLOW"),
        "{refused}"
    );
    // No token is configured: none opens them.
    get_from(
        &app,
        "203.0.113.7",
        "/metrics",
        &[("Authorization", "Bearer anything-at-all-here")],
    )
    .await
    .problem(403, "forbidden");

    let configured = TestApp::with_state(app.backend, |state| {
        state.metrics_access = Arc::new(plateaux::state::MetricsAccess {
            allow: plateaux::domain::network::Cidr::parse_list("192.0.2.0/24").unwrap(),
            token: Some(METRICS_TOKEN.to_owned()),
        });
        state.trusted_proxies =
            Arc::new(plateaux::domain::network::Cidr::parse_list("127.0.0.1").unwrap());
    })
    .await;
    get_from(&configured, "192.0.2.44", "/metrics", &[])
        .await
        .expect(200);
    get_from(&configured, "198.51.100.3", "/metrics", &[])
        .await
        .problem(403, "forbidden");
    let bearer = format!("Bearer {METRICS_TOKEN}");
    get_from(
        &configured,
        "198.51.100.3",
        "/metrics",
        &[("Authorization", bearer.as_str())],
    )
    .await
    .expect(200);
    get_from(
        &configured,
        "198.51.100.3",
        "/metrics",
        &[("Authorization", "Bearer jeton-de-la-supervision-2028")],
    )
    .await
    .problem(403, "forbidden");
    // Loopback is no longer in the list; and through the local proxy the client counts.
    get_from(&configured, "127.0.0.2", "/metrics", &[])
        .await
        .problem(403, "forbidden");
    get_from(
        &configured,
        "127.0.0.1",
        "/metrics",
        &[("X-Forwarded-For", "198.51.100.3")],
    )
    .await
    .problem(403, "forbidden");
    get_from(
        &configured,
        "127.0.0.1",
        "/metrics",
        &[("X-Forwarded-For", "192.0.2.9")],
    )
    .await
    .expect(200);
}

crate::on_both_databases!(metrics_answer_the_monitoring_only);

fn header<'a>(reply: &'a crate::support::Reply, name: &str) -> Option<&'a str> {
    reply.headers.get(name).map(|v| v.to_str().unwrap())
}

/// A preflight request (`OPTIONS` with `Access-Control-Request-*`) from `origin`. Its
/// answer is the CORS layer's, which the document does not describe (no operation is an
/// `OPTIONS`), hence unchecked.
async fn preflight(app: &TestApp, origin: &str) -> crate::support::Reply {
    let req = actix_web::test::TestRequest::default()
        .method(actix_web::http::Method::OPTIONS)
        .uri("/api/v1/bookings")
        .peer_addr("198.51.100.3:40000".parse().unwrap())
        .insert_header(("Origin", origin))
        .insert_header(("Access-Control-Request-Method", "POST"))
        .insert_header((
            "Access-Control-Request-Headers",
            "authorization, content-type, idempotency-key",
        ))
        .to_request();
    app.send_unchecked(req).await
}

/// CORS is closed by default: no page of another origin may read an answer. With
/// `PLATEAUX_CORS_ORIGINS`, the pages of those origins may call the API with a bearer token
/// (preflight answered, headers they need exposed), never with the browser's cookies; any
/// other origin still gets no CORS header.
async fn cors_is_closed_unless_origins_are_listed(app: TestApp) {
    let c = campus(&app).await;
    const APP: &str = "https://app.campus.example";
    let reply = app
        .call(
            actix_web::http::Method::GET,
            "/api/v1/platforms",
            Some(&c.teacher),
            None,
            &[("Origin", APP)],
        )
        .await
        .expect(200);
    assert_eq!(header(&reply, "access-control-allow-origin"), None);
    let reply = preflight(&app, APP).await;
    assert_eq!(header(&reply, "access-control-allow-origin"), None);
    assert_eq!(header(&reply, "access-control-allow-methods"), None);

    let open = TestApp::with_state(app.backend, |state| {
        state.cors_origins = Arc::new(vec![APP.to_owned()]);
    })
    .await;
    let c = campus(&open).await;
    let reply = preflight(&open, APP).await;
    assert!(
        reply.status.is_success(),
        "{}: {}",
        reply.status,
        reply.text
    );
    assert_eq!(header(&reply, "access-control-allow-origin"), Some(APP));
    assert!(header(&reply, "access-control-allow-methods")
        .unwrap()
        .contains("POST"));
    let allowed = header(&reply, "access-control-allow-headers")
        .unwrap()
        .to_lowercase();
    for name in ["authorization", "content-type", "idempotency-key"] {
        assert!(allowed.contains(name), "{allowed}");
    }
    assert_eq!(header(&reply, "access-control-allow-credentials"), None);
    let reply = open
        .call(
            actix_web::http::Method::GET,
            "/api/v1/platforms",
            Some(&c.teacher),
            None,
            &[("Origin", APP)],
        )
        .await
        .expect(200);
    assert_eq!(header(&reply, "access-control-allow-origin"), Some(APP));
    assert!(header(&reply, "access-control-expose-headers")
        .unwrap()
        .to_lowercase()
        .contains("location"));
    assert_eq!(header(&reply, "access-control-allow-credentials"), None);

    // Another origin: the request is answered (the browser, not the service, withholds the
    // answer from the page), without any CORS header.
    let reply = open
        .call(
            actix_web::http::Method::GET,
            "/api/v1/platforms",
            Some(&c.teacher),
            None,
            &[("Origin", "https://ailleurs.example")],
        )
        .await
        .expect(200);
    assert_eq!(header(&reply, "access-control-allow-origin"), None);
    let reply = preflight(&open, "https://ailleurs.example").await;
    assert_eq!(header(&reply, "access-control-allow-origin"), None);
}

crate::on_both_databases!(cors_is_closed_unless_origins_are_listed);

/// The value of the sample `series` (name and labels as written) in a `/metrics` text.
fn sample(metrics: &str, series: &str) -> Option<f64> {
    metrics.lines().find_map(|line| {
        line.strip_prefix(series)
            .and_then(|rest| rest.strip_prefix(' '))
            .and_then(|value| value.trim().parse().ok())
    })
}

/// `/metrics` counts single bookings by outcome (created, or the refusal's code) and the
/// waits for a database connection.
async fn metrics_count_bookings_by_outcome_and_pool_waits(app: TestApp) {
    let c = campus(&app).await;
    let mut body = booking(&c, 0);
    body["stations"] = 14.into();
    body["learners"][0]["headcount"] = 14.into();
    app.post("/api/v1/bookings", &c.teacher, body.clone())
        .await
        .expect(201);
    app.post("/api/v1/bookings", &c.teacher, body)
        .await
        .problem(409, "not_enough_stations");
    app.post("/api/v1/bookings", &c.teacher, booking(&c, 1))
        .await
        .expect(201);
    let metrics = app
        .call(actix_web::http::Method::GET, "/metrics", None, None, &[])
        .await
        .expect(200)
        .text;
    assert_eq!(
        sample(&metrics, "plateaux_bookings_total{outcome=\"created\"}"),
        Some(2.0),
        "{metrics}"
    );
    assert_eq!(
        sample(
            &metrics,
            "plateaux_bookings_total{outcome=\"not_enough_stations\"}"
        ),
        Some(1.0),
        "{metrics}"
    );
    assert!(
        sample(&metrics, "plateaux_db_pool_wait_seconds_count").is_some_and(|n| n >= 3.0),
        "{metrics}"
    );
}

crate::on_both_databases!(metrics_count_bookings_by_outcome_and_pool_waits);
