//! E-mail through the outbox, against a real SMTP server on loopback (aiosmtpd): account
//! confirmations, password reset, a mail server down or stuck, a permanent refusal, a dead
//! message retried, two instances sharing the queue, a service killed between claim and
//! send.

use std::time::{Duration, Instant};

use actix_web::http::Method;
use serde_json::{json, Value};

use crate::on_both_databases;
use crate::support::smtp::{BlackHole, Received, SmtpSink};
use crate::support::{self, Backend, TestApp, PASSWORD};

const PUBLIC_URL: &str = "https://plateaux.campus.test";
const WAIT: Duration = Duration::from_secs(30);

/// Runs an `async fn(Backend)` once on SQLite and once on PostgreSQL: these tests build
/// their application themselves, with a mail worker.
macro_rules! on_both_backends {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[actix_web::test]
            async fn sqlite() {
                super::$name(crate::support::Backend::Sqlite).await
            }

            #[actix_web::test]
            async fn postgres() {
                super::$name(crate::support::Backend::Postgres).await
            }
        }
    )+};
}

/// The administrator's token and the id of their organisation (a lycée).
async fn admin(app: &TestApp) -> (String, String) {
    let (_, lycee_id) = support::bootstrap_admin(app).await;
    let token = app.login("admin@campus.test", PASSWORD).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    (token, lycee_id)
}

async fn invite(
    app: &TestApp,
    admin: &str,
    organisation_id: &str,
    email: &str,
    name: &str,
) -> String {
    support::id_of(
        app.post(
            "/api/v1/users",
            admin,
            json!({ "email": email, "display_name": name, "role": "teacher", "organisation_id": organisation_id }),
        )
        .await
        .expect(201),
    )
}

async fn public_post(app: &TestApp, path: &str, body: Value) -> crate::support::Reply {
    app.call(Method::POST, path, None, Some(body), &[]).await
}

/// The messages received for `address`.
fn to(messages: &[Received], address: &str) -> Vec<Received> {
    messages
        .iter()
        .filter(|m| m.rcpt_to == address)
        .cloned()
        .collect()
}

/// Waits (blocking the test, not the worker) until a message for `address` arrived.
#[track_caller]
fn wait_for_message_to(sink: &SmtpSink, address: &str) -> Received {
    let started = Instant::now();
    loop {
        if let Some(m) = to(&sink.messages(), address).pop() {
            return m;
        }
        assert!(started.elapsed() < WAIT, "no message for {address}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn token_of(link: &str) -> String {
    link.rsplit('/').next().unwrap().to_owned()
}

/// The outbox as the administrator sees it.
async fn outbox(app: &TestApp, admin: &str, query: &str) -> Vec<Value> {
    app.get(&format!("/api/v1/notifications{query}"), admin)
        .await
        .expect(200)
        .json()["items"]
        .as_array()
        .unwrap()
        .clone()
}

/// Waits until the outbox holds `count` messages in `state`.
async fn wait_for_state(app: &TestApp, admin: &str, state: &str, count: usize) -> Vec<Value> {
    let started = Instant::now();
    loop {
        let items = outbox(app, admin, &format!("?state={state}")).await;
        if items.len() >= count {
            return items;
        }
        assert!(
            started.elapsed() < WAIT,
            "{count} {state} message(s) expected: {items:?}"
        );
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until `/metrics` shows `line`. The queue's length is the one the mail worker last
/// read, when it claims: it follows a message marked sent a moment later, so a reading
/// taken at once may still count that message.
async fn wait_for_metric(app: &TestApp, admin: &str, line: &str) {
    let started = Instant::now();
    loop {
        let metrics = app.get("/metrics", admin).await.expect(200).text;
        if metrics.lines().any(|l| l.trim() == line) {
            return;
        }
        assert!(started.elapsed() < WAIT, "no « {line} » in:\n{metrics}");
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}

/// An invitation reaches the person: right recipient, sender and subject, a plain-text and
/// an HTML part, a link to the public URL whose token confirms the account; the public
/// sign-up's confirmation reaches the company contact. The administrators' view and the
/// metrics show what was sent.
async fn account_confirmations_reach_people(backend: Backend) {
    let sink = SmtpSink::start();
    let app = TestApp::with_mail(backend, Some(&sink.url()), |_| {}).await;
    let (admin, lycee) = admin(&app).await;
    let user_id = invite(&app, &admin, &lycee, "lea.martin@lycee.test", "Léa Martin").await;
    let message = wait_for_message_to(&sink, "lea.martin@lycee.test");
    assert_eq!(message.to, "lea.martin@lycee.test");
    assert_eq!(message.from, "plateaux@localhost");
    assert_eq!(
        message.subject,
        "Confirmez votre adresse e-mail pour activer votre compte Plateaux"
    );
    assert!(
        message
            .content_types
            .iter()
            .any(|c| c == "multipart/alternative")
            && message.content_types.iter().any(|c| c == "text/plain")
            && message.content_types.iter().any(|c| c == "text/html"),
        "{:?}",
        message.content_types
    );
    assert!(
        message.text.contains("Bonjour Léa Martin"),
        "{}",
        message.text
    );
    assert!(
        message.text.contains("Lycée La Découverte"),
        "{}",
        message.text
    );
    // Its expiry is written out as the pages write dates (« mardi 15 décembre 2026 à 14:00 »).
    let until = message
        .text
        .split("valable jusqu'au ")
        .nth(1)
        .and_then(|rest| rest.split(" et ne sert").next())
        .unwrap_or_else(|| panic!("no expiry in {}", message.text));
    assert!(
        ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]
            .iter()
            .any(|day| until.starts_with(&format!("{day} ")))
            && !until.contains('/')
            && until.contains(" à "),
        "{until}"
    );
    let link = message.link(&format!("{PUBLIC_URL}/confirmation/"));
    assert!(
        message.html.contains(&format!("href=\"{link}\"")),
        "{}",
        message.html
    );
    // The 64 characters of the code break anywhere: unbroken, they widen the message past
    // a phone's screen (360 px).
    assert!(
        message.html.contains(&format!(
            "<code style=\"word-break:break-all;\">{}</code>",
            token_of(&link)
        )),
        "{}",
        message.html
    );
    // Every link of the message points to the public URL.
    for word in message
        .text
        .split_whitespace()
        .filter(|w| w.starts_with("http"))
    {
        assert!(word.starts_with(PUBLIC_URL), "{word}");
    }
    // The token of the e-mail confirms the account: nobody copied it by hand.
    public_post(
        &app,
        "/api/v1/public/account-confirmations",
        json!({ "token": token_of(&link), "password": "un-mot-de-passe-choisi" }),
    )
    .await
    .expect(200);
    app.login("lea.martin@lycee.test", "un-mot-de-passe-choisi")
        .await;

    // A public sign-up: the contact receives their confirmation.
    public_post(
        &app,
        "/api/v1/public/service-requests",
        json!({
            "company_name": "Moules et Composites du Lot", "siret": "40483304800022", "contact_name": "Claire Vayssié",
            "email": "claire@moules-lot.test", "phone": "+33 5 65 00 00 00",
            "title": "Prototype de carter", "description": "Trois pièces en fibre de carbone.", "domains": ["composites"],
        }),
    )
    .await
    .expect(202);
    let contact = wait_for_message_to(&sink, "claire@moules-lot.test");
    assert!(
        contact.text.contains("Moules et Composites du Lot"),
        "{}",
        contact.text
    );
    assert!(contact.text.contains("Bonjour Claire Vayssié"));

    // The administrators see both sent, once each, without their content.
    let sent = wait_for_state(&app, &admin, "sent", 2).await;
    let lea = sent
        .iter()
        .find(|m| m["user_id"] == user_id)
        .expect("Léa's message listed");
    assert_eq!(lea["kind"], "account_confirmation");
    assert_eq!(lea["recipient"], "lea.martin@lycee.test");
    assert_eq!(lea["attempts"], 1);
    assert!(
        lea["sent_at"].is_string() && lea["next_attempt_at"].is_null(),
        "{lea}"
    );
    assert!(lea.get("payload").is_none() && !lea.to_string().contains(&token_of(&link)));
    // The Message-ID names the outbox message.
    assert!(
        message.message_id.contains(lea["id"].as_str().unwrap()),
        "{}",
        message.message_id
    );
    let filtered = outbox(&app, &admin, "?recipient=CLAIRE&kind=account_confirmation").await;
    assert_eq!(filtered.len(), 1, "{filtered:?}");
    assert_eq!(sink.messages().len(), 2);
    // Each send is counted before its message is marked sent: this is read at once.
    let metrics = app.get("/metrics", &admin).await.expect(200).text;
    assert!(
        metrics.contains("plateaux_mail_sends_total{outcome=\"sent\"} 2"),
        "{metrics}"
    );
    wait_for_metric(&app, &admin, "plateaux_mail_queue_length 0").await;
}

/// With the mail server stuck (it accepts connections and never answers), a public sign-up
/// answers at once: sending is not part of the request. The messages wait in the outbox;
/// once a real server listens on that port, each arrives exactly once.
async fn a_stuck_mail_server_delays_nothing_and_loses_nothing(backend: Backend) {
    let mut hole = BlackHole::start();
    let port = hole.port;
    // Each exchange with the stuck server waits 5 s for its greeting.
    let app = TestApp::with_mail(backend, Some(&hole.url()), |c| c.lease_ms = 15_000).await;
    let (admin, _) = admin(&app).await;
    let addresses: Vec<String> = (0..3)
        .map(|i| format!("contact{i}@atelier-{i}.test"))
        .collect();
    for (i, email) in addresses.iter().enumerate() {
        let started = Instant::now();
        public_post(
            &app,
            "/api/v1/public/service-requests",
            json!({
                "company_name": format!("Atelier {i}"), "siret": support::util::siret(7_000 + i as u64), "contact_name": "Paul Delmas",
                "email": email, "phone": "+33 5 65 00 00 00",
                "title": "Essais de traction", "description": "Dix éprouvettes.", "domains": ["metrology"],
            }),
        )
        .await
        .expect(202);
        let elapsed = started.elapsed();
        assert!(
            elapsed < Duration::from_millis(2_500),
            "sign-up took {elapsed:?}"
        );
    }
    // Nothing was sent: the messages wait.
    actix_web::rt::time::sleep(Duration::from_millis(500)).await;
    let waiting = outbox(&app, &admin, "").await;
    assert_eq!(waiting.len(), 3, "{waiting:?}");
    assert!(
        waiting
            .iter()
            .all(|m| m["state"] == "queued" || m["state"] == "failed"),
        "{waiting:?}"
    );
    // The server comes back on the same port.
    hole.close();
    let sink = SmtpSink::start_on(port);
    let messages = sink.wait_for(3, WAIT);
    wait_for_state(&app, &admin, "sent", 3).await;
    // A while longer: no second copy.
    actix_web::rt::time::sleep(Duration::from_millis(1_500)).await;
    let messages_after = sink.messages();
    assert_eq!(messages_after.len(), 3, "{messages:?}");
    for email in &addresses {
        assert_eq!(to(&messages_after, email).len(), 1, "{email}");
    }
}

/// A refused connection is retried (it is neither transient nor permanent for lettre); a
/// message whose attempts run out is dead, with its last error; the administrator puts it
/// back in the queue and it goes out once the server listens.
async fn a_dead_message_is_retried_by_the_administrator(backend: Backend) {
    let mut sink = SmtpSink::stopped();
    let app = TestApp::with_mail(backend, Some(&sink.url()), |c| c.retry.max_attempts = 3).await;
    let (admin, lycee) = admin(&app).await;
    invite(
        &app,
        &admin,
        &lycee,
        "sans.serveur@lycee.test",
        "Sans Serveur",
    )
    .await;
    // Retried first, then given up.
    let failed = wait_for_state(&app, &admin, "failed", 1).await;
    assert!(failed[0]["next_attempt_at"].is_string(), "{failed:?}");
    let dead = wait_for_state(&app, &admin, "dead", 1).await;
    assert_eq!(dead[0]["attempts"], 3, "{dead:?}");
    let error = dead[0]["last_error"].as_str().unwrap().to_lowercase();
    assert!(
        error.contains("connect") || error.contains("refused"),
        "{error}"
    );
    let id = dead[0]["id"].as_str().unwrap().to_owned();
    let metrics = app.get("/metrics", &admin).await.text;
    assert!(
        metrics.contains("plateaux_mail_sends_total{outcome=\"dead\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("plateaux_mail_sends_total{outcome=\"failed\"} 2"),
        "{metrics}"
    );

    sink.resume();
    let retried = app
        .post(
            &format!("/api/v1/notifications/{id}/retry"),
            &admin,
            json!({}),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(
        (retried["state"].as_str(), retried["attempts"].as_i64()),
        (Some("queued"), Some(0))
    );
    let message = wait_for_message_to(&sink, "sans.serveur@lycee.test");
    assert!(message.text.contains("Sans Serveur"));
    let sent = wait_for_state(&app, &admin, "sent", 1).await;
    assert_eq!(sent[0]["id"], id.as_str());
    // Only a dead message can be put back.
    let problem = app
        .post(
            &format!("/api/v1/notifications/{id}/retry"),
            &admin,
            json!({}),
        )
        .await
        .problem(409, "not_dead");
    assert_eq!(problem["extra"]["state"], "sent");
    app.post(
        &format!(
            "/api/v1/notifications/{}/retry",
            support::util::unknown_id()
        ),
        &admin,
        json!({}),
    )
    .await
    .problem(404, "not_found");
    assert_eq!(to(&sink.messages(), "sans.serveur@lycee.test").len(), 1);
}

/// A permanent refusal (550 at RCPT) makes that message dead at its first attempt; the
/// others of the batch go out.
async fn a_permanent_refusal_is_not_retried(backend: Backend) {
    let sink = SmtpSink::start_refusing("refuse");
    let app = TestApp::with_mail(backend, Some(&sink.url()), |_| {}).await;
    let (admin, lycee) = admin(&app).await;
    invite(&app, &admin, &lycee, "refuse.moi@lycee.test", "Refusé").await;
    invite(&app, &admin, &lycee, "accepte@lycee.test", "Accepté").await;
    wait_for_message_to(&sink, "accepte@lycee.test");
    let dead = wait_for_state(&app, &admin, "dead", 1).await;
    assert_eq!(dead[0]["recipient"], "refuse.moi@lycee.test");
    assert_eq!(dead[0]["attempts"], 1, "{dead:?}");
    assert!(
        dead[0]["last_error"].as_str().unwrap().contains("550"),
        "{dead:?}"
    );
    assert_eq!(sink.messages().len(), 1);
}

/// Password reset from end to end: the same answer for known and unknown addresses, one
/// e-mail (in the account's language) with a link valid one hour, a new password that ends
/// every session, a link that works once, at most one e-mail a minute per address.
async fn password_reset_end_to_end(backend: Backend) {
    let sink = SmtpSink::start();
    let app = TestApp::with_mail(backend, Some(&sink.url()), |_| {}).await;
    let (admin, lycee) = admin(&app).await;
    invite(&app, &admin, &lycee, "prof@lycee.test", "Prof Dupont").await;
    let invitation = wait_for_message_to(&sink, "prof@lycee.test");
    public_post(
        &app,
        "/api/v1/public/account-confirmations",
        json!({ "token": token_of(&invitation.link(PUBLIC_URL)), "password": "ancien-mot-de-passe" }),
    )
    .await
    .expect(200);
    let session = app.login("prof@lycee.test", "ancien-mot-de-passe").await;
    let access = session["access_token"].as_str().unwrap().to_owned();
    // English e-mails from now on.
    let preferences = app
        .patch(
            "/api/v1/me/notifications",
            &access,
            json!({ "locale": "en" }),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(preferences["locale"], "en");

    let known = public_post(
        &app,
        "/api/v1/public/password-resets",
        json!({ "email": "Prof@Lycee.test" }),
    )
    .await
    .expect(202);
    let unknown = public_post(
        &app,
        "/api/v1/public/password-resets",
        json!({ "email": "personne@lycee.test" }),
    )
    .await
    .expect(202);
    assert_eq!(known.text, unknown.text);
    let started = Instant::now();
    let reset = loop {
        let mine = to(&sink.messages(), "prof@lycee.test");
        if mine.len() == 2 {
            break mine
                .into_iter()
                .find(|m| m.message_id != invitation.message_id)
                .unwrap();
        }
        assert!(started.elapsed() < WAIT, "no reset e-mail");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(
        reset.subject,
        "Changing the password of your Plateaux account"
    );
    assert!(reset.text.contains("one hour"), "{}", reset.text);
    assert!(reset.html.contains("<html lang=\"en\">"));
    let link = reset.link(&format!("{PUBLIC_URL}/mot-de-passe-oublie/"));
    let token = token_of(&link);
    assert!(
        reset.html.contains(&format!(
            "<code style=\"word-break:break-all;\">{token}</code>"
        )),
        "the code breaks to fit a phone: {}",
        reset.html
    );
    // Asked again at once: the same answer, no second e-mail.
    public_post(
        &app,
        "/api/v1/public/password-resets",
        json!({ "email": "prof@lycee.test" }),
    )
    .await
    .expect(202);
    assert_eq!(
        app.count_where("outbox_messages", "kind = 'password_reset'")
            .await,
        1
    );
    assert!(to(&sink.messages(), "personne@lycee.test").is_empty());

    // Bad input is refused before anything else.
    public_post(
        &app,
        "/api/v1/public/password-resets",
        json!({ "email": "pas-une-adresse" }),
    )
    .await
    .problem(422, "validation_failed");
    let short = public_post(
        &app,
        &format!("/api/v1/public/password-resets/{token}"),
        json!({ "password": "court" }),
    )
    .await
    .problem(422, "validation_failed");
    assert_eq!(short["errors"][0]["field"], "password");

    public_post(
        &app,
        &format!("/api/v1/public/password-resets/{token}"),
        json!({ "password": "nouveau-mot-de-passe" }),
    )
    .await
    .expect(200);
    // Every session is closed, the old password no longer works, the new one does.
    app.get("/api/v1/me", &access)
        .await
        .problem(401, "session_closed");
    public_post(
        &app,
        "/api/v1/auth/refresh",
        json!({ "refresh_token": session["refresh_token"] }),
    )
    .await
    .expect(401);
    public_post(
        &app,
        "/api/v1/auth/login",
        json!({ "email": "prof@lycee.test", "password": "ancien-mot-de-passe" }),
    )
    .await
    .problem(401, "invalid_credentials");
    app.login("prof@lycee.test", "nouveau-mot-de-passe").await;
    // The link works once.
    let again = public_post(
        &app,
        &format!("/api/v1/public/password-resets/{token}"),
        json!({ "password": "encore-un-autre-mot" }),
    )
    .await
    .problem(422, "validation_failed");
    assert_eq!(again["errors"][0]["code"], "invalid_token");

    // A link past its hour no longer works.
    public_post(
        &app,
        "/api/v1/public/password-resets",
        json!({ "email": "admin@campus.test" }),
    )
    .await
    .expect(202);
    let admin_reset = wait_for_message_to(&sink, "admin@campus.test");
    assert_eq!(
        admin_reset.subject,
        "Changement du mot de passe de votre compte Plateaux"
    );
    // An hour and a second later.
    app.advance(chrono::Duration::seconds(3601));
    let expired = public_post(
        &app,
        &format!(
            "/api/v1/public/password-resets/{}",
            token_of(&admin_reset.link(PUBLIC_URL))
        ),
        json!({ "password": "nouveau-mot-de-passe" }),
    )
    .await
    .problem(422, "validation_failed");
    assert_eq!(expired["errors"][0]["code"], "invalid_token");
    app.login("admin@campus.test", PASSWORD).await;
}

/// Without an SMTP server, messages are written as `.eml` files in the mail directory.
async fn without_smtp_messages_are_files(backend: Backend) {
    let app = TestApp::with_mail(backend, None, |_| {}).await;
    let (admin, lycee) = admin(&app).await;
    invite(&app, &admin, &lycee, "fichier@lycee.test", "Fichier").await;
    let started = Instant::now();
    let file = loop {
        let files: Vec<_> = std::fs::read_dir(&app.mail_dir)
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        if let Some(f) = files
            .into_iter()
            .find(|f| f.extension().is_some_and(|e| e == "eml"))
        {
            break f;
        }
        assert!(
            started.elapsed() < WAIT,
            "no .eml file in {}",
            app.mail_dir.display()
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let message = crate::support::smtp::parse_file(&file);
    assert_eq!(message.to, "fichier@lycee.test");
    assert!(message
        .text
        .contains(&format!("{PUBLIC_URL}/confirmation/")));
    wait_for_state(&app, &admin, "sent", 1).await;
}

/// What the booking writer says when it takes several requests at once, said without pause
/// from another thread until stopped.
struct Pressing {
    on: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

impl Pressing {
    fn start(app: &TestApp) -> Pressing {
        use std::sync::atomic::Ordering;
        let on = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let (load, still) = (app.load.clone(), on.clone());
        let thread = std::thread::spawn(move || {
            while still.load(Ordering::SeqCst) {
                load.booking_batch(8);
                std::thread::sleep(Duration::from_millis(5));
            }
        });
        Pressing { on, thread }
    }

    fn stop(self) {
        self.on.store(false, std::sync::atomic::Ordering::SeqCst);
        self.thread.join().unwrap();
    }
}

/// While bookings queue up behind one another, the mail worker gives way: an invitation
/// queued then waits; it goes out once they stop, and even under bookings that never stop
/// (after five seconds at most).
async fn mail_gives_way_to_queued_bookings(backend: Backend) {
    let sink = SmtpSink::start();
    let app = TestApp::with_mail(backend, Some(&sink.url()), |_| {}).await;
    let (admin, lycee) = admin(&app).await;
    let press = Pressing::start(&app);
    invite(&app, &admin, &lycee, "prof@lycee.test", "Prof Dupont").await;
    std::thread::sleep(Duration::from_secs(1));
    assert!(
        sink.messages().is_empty(),
        "sent while bookings were queued"
    );
    press.stop();
    wait_for_message_to(&sink, "prof@lycee.test");

    // Bookings that never stop hold a message back five seconds at most.
    let press = Pressing::start(&app);
    let queued = Instant::now();
    invite(&app, &admin, &lycee, "autre@lycee.test", "Autre Prof").await;
    wait_for_message_to(&sink, "autre@lycee.test");
    press.stop();
    assert!(queued.elapsed() < WAIT, "{:?}", queued.elapsed());
}

on_both_backends!(
    mail_gives_way_to_queued_bookings,
    account_confirmations_reach_people,
    a_stuck_mail_server_delays_nothing_and_loses_nothing,
    a_dead_message_is_retried_by_the_administrator,
    a_permanent_refusal_is_not_retried,
    password_reset_end_to_end,
    without_smtp_messages_are_files,
);

/// Notification settings: every kind listed with its French label, on by default; kinds
/// turned off and on; account and password messages stay on; the language.
async fn notification_preferences(app: TestApp) {
    let campus = support::campus(&app).await;
    let preferences = app
        .get("/api/v1/me/notifications", &campus.teacher)
        .await
        .expect(200)
        .json();
    assert_eq!(preferences["locale"], "fr");
    let kinds = preferences["kinds"].as_array().unwrap();
    assert_eq!(
        kinds.len(),
        plateaux::domain::notifications::NotificationKind::ALL.len()
    );
    assert!(kinds.iter().all(|k| k["enabled"] == true), "{preferences}");
    let approved = kinds
        .iter()
        .find(|k| k["kind"] == "booking_approved")
        .unwrap();
    assert_eq!(approved["label"], "réservation approuvée");
    assert_eq!(approved["can_be_turned_off"], true);
    let reset = kinds
        .iter()
        .find(|k| k["kind"] == "password_reset")
        .unwrap();
    assert_eq!(reset["can_be_turned_off"], false);

    let changed = app
        .patch(
            "/api/v1/me/notifications",
            &campus.teacher,
            json!({ "kinds": [{ "kind": "booking_approved", "enabled": false }, { "kind": "booking_reminder", "enabled": false }] }),
        )
        .await
        .expect(200)
        .json();
    let enabled = |view: &Value, kind: &str| {
        view["kinds"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["kind"] == kind)
            .unwrap()["enabled"]
            .clone()
    };
    assert_eq!(enabled(&changed, "booking_approved"), false);
    assert_eq!(enabled(&changed, "booking_reminder"), false);
    assert_eq!(enabled(&changed, "booking_pending"), true);
    // Kept, and only for this account.
    let again = app
        .get("/api/v1/me/notifications", &campus.teacher)
        .await
        .json();
    assert_eq!(enabled(&again, "booking_approved"), false);
    let other = app
        .get("/api/v1/me/notifications", &campus.manager)
        .await
        .json();
    assert_eq!(enabled(&other, "booking_approved"), true);
    // Turned on again.
    let on = app
        .patch(
            "/api/v1/me/notifications",
            &campus.teacher,
            json!({ "kinds": [{ "kind": "booking_reminder", "enabled": true }] }),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(enabled(&on, "booking_reminder"), true);
    assert_eq!(enabled(&on, "booking_approved"), false);

    // Account and password messages cannot be turned off; nothing changes.
    let problem = app
        .patch(
            "/api/v1/me/notifications",
            &campus.teacher,
            json!({ "locale": "en", "kinds": [{ "kind": "password_reset", "enabled": false }] }),
        )
        .await
        .problem(422, "validation_failed");
    assert_eq!(problem["errors"][0]["field"], "kinds.password_reset");
    assert_eq!(problem["errors"][0]["code"], "cannot_be_turned_off");
    assert_eq!(
        app.get("/api/v1/me/notifications", &campus.teacher)
            .await
            .json()["locale"],
        "fr"
    );
    for bad in [
        json!({ "kinds": [{ "kind": "booking_teleported", "enabled": false }] }),
        json!({ "locale": "de" }),
        json!({ "kinds": [{ "kind": "booking_approved" }] }),
        json!({ "mute": true }),
    ] {
        app.patch("/api/v1/me/notifications", &campus.teacher, bad)
            .await
            .problem(422, "validation_failed");
    }
    let english = app
        .patch(
            "/api/v1/me/notifications",
            &campus.teacher,
            json!({ "locale": "en" }),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(english["locale"], "en");
}

/// The outbox view and "send again" are the administrators'; "send again" queues a fresh
/// confirmation and ends the earlier one.
async fn outbox_administration(app: TestApp) {
    let campus = support::campus(&app).await;
    for token in [
        &campus.manager,
        &campus.teacher,
        &campus.company,
        &campus.observer,
    ] {
        app.get("/api/v1/notifications", token)
            .await
            .problem(403, "forbidden");
    }
    // No worker runs here: every message of the campus's accounts waits.
    let queued = app
        .get("/api/v1/notifications?state=queued&limit=2", &campus.admin)
        .await
        .expect(200)
        .json();
    assert_eq!(queued["items"].as_array().unwrap().len(), 2);
    let (ids, _) = support::util::walk(
        &app,
        &campus.admin,
        "/api/v1/notifications?kind=account_confirmation",
        3,
    )
    .await;
    assert_eq!(ids.len() as i64, app.count("outbox_messages").await);
    let mut sorted = ids.clone();
    sorted.sort();
    sorted.reverse();
    assert_eq!(ids, sorted, "newest first");
    let problem = app
        .get("/api/v1/notifications?state=lost", &campus.admin)
        .await
        .problem(400, "invalid_query");
    assert_eq!(
        problem["extra"]["allowed_values"],
        json!(["queued", "sent", "failed", "dead"])
    );

    let user_id = support::id_of(
        app.post(
            "/api/v1/users",
            &campus.admin,
            json!({ "email": "relance@lycee.test", "display_name": "Relance", "role": "teacher", "organisation_id": campus.lycee_id }),
        )
        .await
        .expect(201),
    );
    let pending = app
        .get("/api/v1/account-confirmations", &campus.admin)
        .await
        .json();
    let confirmation = pending
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["user_id"] == user_id)
        .unwrap()
        .clone();
    let before = app
        .count_sql(format!(
            "SELECT COUNT(*) AS n FROM outbox_messages WHERE user_id = '{user_id}'"
        ))
        .await;
    let path = format!(
        "/api/v1/account-confirmations/{}/send",
        confirmation["id"].as_str().unwrap()
    );
    app.post(&path, &campus.teacher, json!({}))
        .await
        .problem(403, "forbidden");
    let sent = app
        .post(&path, &campus.admin, json!({}))
        .await
        .expect(202)
        .json();
    assert_eq!(sent["email"], "relance@lycee.test");
    assert!(sent.get("token").is_none(), "{sent}");
    assert_ne!(sent["confirmation_id"], confirmation["id"]);
    assert_eq!(
        app.count_sql(format!(
            "SELECT COUNT(*) AS n FROM outbox_messages WHERE user_id = '{user_id}'"
        ))
        .await,
        before + 1
    );
    // The earlier confirmation is over: sending it again is not found.
    app.post(&path, &campus.admin, json!({}))
        .await
        .problem(404, "not_found");
}

/// At most 5 reset requests per client address every 10 minutes.
async fn password_resets_are_rate_limited(app: TestApp) {
    for _ in 0..5 {
        public_post(
            &app,
            "/api/v1/public/password-resets",
            json!({ "email": "x@lycee.test" }),
        )
        .await
        .expect(202);
    }
    let refused = public_post(
        &app,
        "/api/v1/public/password-resets",
        json!({ "email": "x@lycee.test" }),
    )
    .await;
    assert!(refused.headers.contains_key("retry-after"));
    refused.problem(429, "rate_limited");
}

async fn production_limits(backend: Backend) {
    password_resets_are_rate_limited(TestApp::with_production_limits(backend).await).await
}

on_both_databases!(notification_preferences, outbox_administration);
on_both_backends!(production_limits);

// ---- The real binary: two instances, and a crash between claim and send. ----

/// A running `plateaux serve`, killed (SIGKILL) when dropped.
struct Service {
    child: std::process::Child,
    port: u16,
    log: std::path::PathBuf,
}

impl Service {
    /// The service with its mail threads at its own priority (the suite keeps the cores
    /// busy: lowered, they would wait behind it).
    fn start(database_url: &str, smtp_url: &str, dir: &std::path::Path, name: &str) -> Service {
        Self::start_with(
            database_url,
            smtp_url,
            dir,
            name,
            &[("PLATEAUX_MAIL_NICENESS", "0")],
        )
    }

    fn start_with(
        database_url: &str,
        smtp_url: &str,
        dir: &std::path::Path,
        name: &str,
        env: &[(&str, &str)],
    ) -> Service {
        let port = crate::support::smtp::free_port();
        let log = dir.join(format!("{name}.log"));
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_plateaux"))
            .arg("serve")
            .current_dir(dir)
            .env("PLATEAUX_DATABASE_URL", database_url)
            .env("PLATEAUX_BIND", format!("127.0.0.1:{port}"))
            .env("PLATEAUX_JWT_SECRET", support::TEST_SECRET)
            .env("PLATEAUX_SMTP_URL", smtp_url)
            .env("PLATEAUX_PUBLIC_URL", PUBLIC_URL)
            .env("PLATEAUX_MAIL_RETRY_BASE_MS", "200")
            .env("PLATEAUX_MAIL_LEASE_MS", "6000")
            .env("PLATEAUX_MAIL_POLL_MS", "100")
            .env("PLATEAUX_LOG", "info")
            .envs(env.iter().copied())
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(&log).expect("log"))
            .spawn()
            .expect("start the service");
        let service = Service { child, port, log };
        let started = Instant::now();
        while !service.ready() {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the service did not start: {}",
                std::fs::read_to_string(&service.log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        service
    }

    fn ready(&self) -> bool {
        use std::io::{Read, Write};
        let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let _ = write!(
            stream,
            "GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        );
        let mut reply = String::new();
        let _ = stream.read_to_string(&mut reply);
        reply.starts_with("HTTP/1.1 200")
    }

    /// Lines of its log that say a message went out.
    fn sent(&self) -> usize {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains("mail sent"))
            .count()
    }

    /// SIGKILL: no chance to finish anything.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A database for the binary: a fresh PostgreSQL database, or a migrated SQLite file.
fn database(backend: Backend, dir: &std::path::Path) -> String {
    let url = match backend {
        Backend::Postgres => support::postgres::fresh_database(),
        Backend::Sqlite => format!("sqlite://{}", dir.join("plateaux.db").display()),
    };
    let pool = plateaux::db::build_pool(&url, 2).expect("pool");
    plateaux::db::run_migrations(&mut pool.get().expect("connection")).expect("migrations");
    url
}

/// Queues one password-reset message to each of `count` new accounts, in one transaction
/// (as a use case would, through `outbox::enqueue`); returns their addresses.
fn queue_messages(database_url: &str, count: usize) -> Vec<String> {
    use plateaux::db;
    use plateaux::mail::content::{Facts, PasswordResetFacts};
    let pool = db::build_pool(database_url, 2).expect("pool");
    let mut conn = pool.get().expect("connection");
    let now = plateaux::clock::Clock::now(&plateaux::clock::SystemClock);
    db::write_transaction(&mut conn, |conn| {
        let org = db::organisations::OrganisationRow {
            id: db::new_id(),
            name: "Lycée Champollion".into(),
            kind: "lycee".into(),
            town: None,
            uai: None,
            siret: None,
            created_at: now,
            updated_at: now,
        };
        let campus = db::campuses::CampusRow {
            id: db::new_id(),
            name: "Campus".into(),
            timezone: "Europe/Paris".into(),
            created_at: now,
            updated_at: now,
        };
        db::campuses::insert(conn, &campus)?;
        db::organisations::insert(conn, &org, std::slice::from_ref(&campus.id))?;
        let mut addresses = Vec::new();
        for i in 0..count {
            let user = db::users::UserRow {
                id: db::new_id(),
                email: format!("personne{i:03}@champollion.test"),
                display_name: format!("Personne {i}"),
                password_hash: "none".into(),
                role: "teacher".into(),
                organisation_id: org.id.clone(),
                active: true,
                created_at: now,
                updated_at: now,
                awaiting_approval: false,
            };
            db::users::insert(conn, &user)?;
            plateaux::usecases::outbox::enqueue(
                conn,
                now,
                &user.id,
                &Facts::PasswordReset(PasswordResetFacts {
                    display_name: user.display_name.clone(),
                    token: format!("{i:064}"),
                    expires_at: now + 3600,
                }),
            )?;
            addresses.push(user.email);
        }
        Ok::<_, plateaux::error::ApiError>(addresses)
    })
    .expect("queued")
}

/// Waits until `count` messages of the outbox are marked sent: a message reaches the mail
/// server before its mark, which comes a moment later (at the end of its batch).
#[track_caller]
fn wait_for_sent(database_url: &str, count: i64) {
    let started = Instant::now();
    loop {
        let sent = count_in_state(database_url, "sent");
        if sent >= count {
            assert_eq!(sent, count);
            return;
        }
        assert!(
            started.elapsed() < WAIT,
            "{sent} message(s) marked sent, {count} expected"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn count_in_state(database_url: &str, state: &str) -> i64 {
    use diesel::prelude::*;
    use plateaux::db::schema::outbox_messages as om;
    let pool = plateaux::db::build_pool(database_url, 1).expect("pool");
    let mut conn = pool.get().expect("connection");
    om::table
        .filter(om::state.eq(state))
        .count()
        .get_result(&mut **conn)
        .expect("count")
}

/// Two instances of the service on one database share 200 queued messages: each is
/// delivered exactly once.
fn two_instances_deliver_each_message_once(backend: Backend) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let sink = SmtpSink::start();
    let url = database(backend, dir.path());
    let first = Service::start(&url, &sink.url(), dir.path(), "first");
    let second = Service::start(&url, &sink.url(), dir.path(), "second");
    let addresses = queue_messages(&url, 200);
    sink.wait_for(200, Duration::from_secs(120));
    // Every message marked: none can be claimed again. Then time for a second copy already
    // on its way to show up, if there were one.
    wait_for_sent(&url, 200);
    std::thread::sleep(Duration::from_secs(1));
    let messages = sink.messages();
    assert_eq!(messages.len(), 200);
    let mut received: Vec<&str> = messages.iter().map(|m| m.rcpt_to.as_str()).collect();
    received.sort();
    let mut expected: Vec<&str> = addresses.iter().map(String::as_str).collect();
    expected.sort();
    assert_eq!(received, expected, "each address exactly once");
    let mut ids: Vec<&str> = messages.iter().map(|m| m.message_id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 200);
    assert_eq!(first.sent() + second.sent(), 200);
    eprintln!(
        "sent by the first instance: {}, by the second: {}",
        first.sent(),
        second.sent()
    );
}

/// A service killed (SIGKILL) after claiming a message and before the mail server took it
/// (the server is stuck): after a restart, once the lease has expired, the message goes out.
fn a_killed_service_sends_after_restart(backend: Backend) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut hole = BlackHole::start();
    let port = hole.port;
    let url = database(backend, dir.path());
    let mut service = Service::start(&url, &hole.url(), dir.path(), "killed");
    let addresses = queue_messages(&url, 1);
    // Wait for the claim: the worker now waits for the stuck server's greeting.
    let started = Instant::now();
    loop {
        use diesel::prelude::*;
        use plateaux::db::schema::outbox_messages as om;
        let pool = plateaux::db::build_pool(&url, 1).expect("pool");
        let claimed: Option<(Option<String>, i32)> = om::table
            .select((om::lease_id, om::attempts))
            .first(&mut **pool.get().expect("connection"))
            .optional()
            .expect("read");
        if matches!(claimed, Some((Some(_), 1))) {
            break;
        }
        assert!(started.elapsed() < WAIT, "never claimed: {claimed:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
    service.kill();
    assert_eq!(count_in_state(&url, "queued"), 1, "claimed, not marked");
    hole.close();
    let sink = SmtpSink::start_on(port);
    let _restarted = Service::start(&url, &sink.url(), dir.path(), "restarted");
    let messages = sink.wait_for(1, WAIT);
    assert_eq!(messages[0].rcpt_to, addresses[0]);
    wait_for_sent(&url, 1);
    // A while longer: no second copy.
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(sink.messages().len(), 1);
}

/// The niceness of each thread of process `pid` named `prefix…`, and of the process itself.
#[cfg(target_os = "linux")]
fn niceness_of_threads(pid: u32, prefix: &str) -> (Vec<i64>, i64) {
    // Field 19 of stat; the name (field 2) may hold spaces, so count after its ')'.
    let nice = |stat: String| -> i64 {
        let after = &stat[stat.rfind(')').expect("stat") + 1..];
        after
            .split_whitespace()
            .nth(16)
            .expect("nice")
            .parse()
            .expect("number")
    };
    let mut found = Vec::new();
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).expect("tasks") {
        let path = task.expect("task").path();
        let name = std::fs::read_to_string(path.join("comm")).unwrap_or_default();
        if name.trim_end().starts_with(prefix) {
            found.push(nice(
                std::fs::read_to_string(path.join("stat")).expect("stat"),
            ));
        }
    }
    let own = nice(std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("stat"));
    (found, own)
}

/// By default the threads sending e-mail run 10 steps of niceness below the service (so that
/// on a busy machine bookings get the processor first), and still deliver.
#[cfg(target_os = "linux")]
fn mail_threads_yield_to_requests(backend: Backend) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let sink = SmtpSink::start();
    let url = database(backend, dir.path());
    let service = Service::start_with(&url, &sink.url(), dir.path(), "nice", &[]);
    let addresses = queue_messages(&url, 3);
    let messages = sink.wait_for(3, WAIT);
    let mut received: Vec<&str> = messages.iter().map(|m| m.rcpt_to.as_str()).collect();
    received.sort();
    assert_eq!(
        received,
        addresses.iter().map(String::as_str).collect::<Vec<_>>()
    );
    let (senders, own) = niceness_of_threads(service.child.id(), "mail-worker-");
    assert_eq!(senders.len(), 4, "PLATEAUX_MAIL_SENDERS' default");
    let lowered = (own + 10).min(19);
    assert!(
        own < 19,
        "the test itself runs at the lowest priority: nothing to see"
    );
    assert!(
        senders.iter().all(|n| *n == lowered),
        "{senders:?}, service at {own}"
    );
    let (writers, _) = niceness_of_threads(service.child.id(), "booking-writer-");
    assert!(
        !writers.is_empty() && writers.iter().all(|n| *n == own),
        "{writers:?}"
    );
}

#[cfg(target_os = "linux")]
#[test]
fn mail_threads_yield_to_requests_on_postgres() {
    mail_threads_yield_to_requests(Backend::Postgres);
}

#[cfg(target_os = "linux")]
#[test]
fn mail_threads_yield_to_requests_on_sqlite() {
    mail_threads_yield_to_requests(Backend::Sqlite);
}

#[test]
fn two_instances_deliver_each_message_once_on_postgres() {
    two_instances_deliver_each_message_once(Backend::Postgres);
}

#[test]
fn two_instances_deliver_each_message_once_on_sqlite() {
    two_instances_deliver_each_message_once(Backend::Sqlite);
}

#[test]
fn a_killed_service_sends_after_restart_on_postgres() {
    a_killed_service_sends_after_restart(Backend::Postgres);
}

#[test]
fn a_killed_service_sends_after_restart_on_sqlite() {
    a_killed_service_sends_after_restart(Backend::Sqlite);
}

/// The demo says where its e-mails go.
#[test]
fn the_demo_prints_the_mail_directory() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_plateaux"))
        .arg("seed-demo")
        .current_dir(dir.path())
        .env(
            "PLATEAUX_DATABASE_URL",
            format!("sqlite://{}", dir.path().join("plateaux.db").display()),
        )
        .env_remove("PLATEAUX_SMTP_URL")
        .output()
        .expect("seed-demo");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let mail = dir.path().join("mail");
    assert!(
        stdout.contains(&format!(
            "Courriels : fichiers .eml dans {}",
            mail.display()
        )),
        "{stdout}"
    );
}
