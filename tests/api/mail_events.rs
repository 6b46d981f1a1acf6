//! The messages of booking events, through the outbox to a real SMTP server on loopback
//! (aiosmtpd): who receives what, both alternatives, and the calendar invitation, read
//! back by the `ical` crate and by an outside parser (Python's `icalendar`, Debian's
//! `python3-icalendar`, which `.ci/run` installs).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use actix_web::http::Method;
use chrono::Weekday;
use serde_json::{json, Value};

use crate::support::dates::{at, next, today};
use crate::support::smtp::{Calendar, Received, SmtpSink};
use crate::support::{campus, Backend, TestApp};

const PUBLIC_URL: &str = "https://plateaux.campus.test";
const WAIT: Duration = Duration::from_secs(30);

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

/// The messages received for `address` whose subject starts with `subject`.
pub(crate) fn received(sink: &SmtpSink, address: &str, subject: &str) -> Vec<Received> {
    sink.messages()
        .into_iter()
        .filter(|m| m.rcpt_to == address && m.subject.starts_with(subject))
        .collect()
}

/// How many distinct messages (by Message-ID, one per outbox message) `address` received
/// whose subject starts with `subject`. A message whose lease ran out before its mark (a
/// loaded machine) is sent again under the same Message-ID: a copy, not a second message.
pub(crate) fn distinct(sink: &SmtpSink, address: &str, subject: &str) -> usize {
    let mut ids: Vec<String> = received(sink, address, subject)
        .into_iter()
        .map(|m| m.message_id)
        .collect();
    ids.sort();
    ids.dedup();
    ids.len()
}

/// Waits until `count` messages for `address` whose subject starts with `subject` arrived
/// (distinct ones: a copy sent again under its Message-ID counts once); answers the last.
#[track_caller]
pub(crate) fn wait_for(sink: &SmtpSink, address: &str, subject: &str, count: usize) -> Received {
    let started = Instant::now();
    loop {
        let mut found = received(sink, address, subject);
        let mut seen = std::collections::HashSet::new();
        found.retain(|m| seen.insert(m.message_id.clone()));
        if found.len() >= count {
            assert_eq!(found.len(), count, "{address}: {found:#?}");
            return found.pop().unwrap();
        }
        assert!(
            started.elapsed() < WAIT,
            "no message « {subject} » for {address}: {:#?}",
            sink.messages()
                .iter()
                .map(|m| (&m.rcpt_to, &m.subject))
                .collect::<Vec<_>>()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Waits until every message of the outbox is marked sent. The mail server has then
/// received everything the service queued (it keeps a message before accepting it, and the
/// mark follows the acceptance): a message it has not received was never queued. What
/// somebody did not receive is checked after this, never sooner.
pub(crate) async fn wait_until_all_sent(app: &TestApp) {
    let started = Instant::now();
    loop {
        let left = app
            .count_sql("SELECT COUNT(*) AS n FROM outbox_messages WHERE state <> 'sent'".to_owned())
            .await;
        if left == 0 {
            return;
        }
        assert!(
            started.elapsed() < WAIT,
            "{left} message(s) of the outbox still not sent"
        );
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A Python that has `icalendar`.
fn python() -> String {
    for candidate in std::env::var("PLATEAUX_TEST_PYTHON")
        .into_iter()
        .chain(["/usr/bin/python3".to_owned(), "python3".to_owned()])
    {
        let has_it = Command::new(&candidate)
            .args(["-c", "import icalendar"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if has_it {
            return candidate;
        }
    }
    panic!("no Python with icalendar: install Debian's python3-icalendar (bash .ci/run does)");
}

/// What Python's `icalendar` reads of an invitation.
fn outside_reading(ics: &str) -> Value {
    const SCRIPT: &str = r#"
import json, sys, icalendar
cal = icalendar.Calendar.from_ical(sys.stdin.buffer.read())
events = list(cal.walk("VEVENT"))
zones = list(cal.walk("VTIMEZONE"))
event = events[0]
print(json.dumps({
    "events": len(events),
    "method": str(cal["METHOD"]),
    "uid": str(event["UID"]),
    "sequence": int(event["SEQUENCE"]),
    "status": str(event["STATUS"]),
    "start": event.decoded("DTSTART").isoformat(),
    "end": event.decoded("DTEND").isoformat(),
    "start_tzid": event["DTSTART"].params.get("TZID"),
    "zone": str(zones[0]["TZID"]),
    "organizer": str(event["ORGANIZER"]),
    "attendee": str(event["ATTENDEE"]),
}))
"#;
    let mut child = Command::new(python())
        .args(["-c", SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python");
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(ics.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "icalendar refused:\n{ics}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON from the script")
}

/// Checks an invitation with both parsers: its METHOD (the same in the MIME part and in the
/// ICS), UID, SEQUENCE, times in the campus zone, organiser and attendee. Answers the
/// outside reading.
#[track_caller]
fn check_invitation(
    calendar: &Calendar,
    method: &str,
    uid: &str,
    sequence: i64,
    attendee: &str,
) -> Value {
    assert_eq!(calendar.method, method);
    assert!(
        calendar.charset.eq_ignore_ascii_case("utf-8"),
        "{calendar:?}"
    );
    let parsed = ical::IcalParser::new(std::io::BufReader::new(calendar.ics.as_bytes()))
        .next()
        .expect("a calendar")
        .expect("read by the ical crate");
    assert_eq!((parsed.events.len(), parsed.timezones.len()), (1, 1));
    let property = |name: &str| {
        parsed.events[0]
            .properties
            .iter()
            .find(|p| p.name == name)
            .and_then(|p| p.value.clone())
            .unwrap_or_default()
    };
    assert_eq!(property("UID"), uid);
    assert_eq!(property("SEQUENCE"), sequence.to_string());
    let reading = outside_reading(&calendar.ics);
    assert_eq!(reading["events"], 1, "{reading}");
    assert_eq!(reading["method"], method, "{reading}");
    assert_eq!(reading["uid"], uid, "{reading}");
    assert_eq!(reading["sequence"], sequence, "{reading}");
    assert_eq!(reading["start_tzid"], "Europe/Paris", "{reading}");
    assert_eq!(reading["zone"], "Europe/Paris", "{reading}");
    // The campus mailbox organises; the recipient attends.
    assert_eq!(
        reading["organizer"], "mailto:plateaux@localhost",
        "{reading}"
    );
    assert_eq!(
        reading["attendee"],
        format!("mailto:{attendee}"),
        "{reading}"
    );
    reading
}

/// Every link of a message points to the public URL.
#[track_caller]
pub(crate) fn links_are_public(message: &Received) {
    for word in message
        .text
        .split_whitespace()
        .filter(|w| w.starts_with("http"))
    {
        assert!(word.starts_with(PUBLIC_URL), "{word}");
    }
}

/// An outside booking: the manager is asked to approve it (no invitation: managers do not
/// attend); the approval reaches the booker with an invitation a calendar accepts; a change
/// raises its SEQUENCE and asks the manager again; the rejection cancels the event (same
/// UID, METHOD:CANCEL) and gives the reason.
async fn booking_messages_carry_an_invitation(backend: Backend) {
    let sink = SmtpSink::start();
    let app = TestApp::with_mail(backend, Some(&sink.url()), |_| {}).await;
    let c = campus(&app).await;
    let friday = next(Weekday::Fri, 7);
    let body = json!({ "platform_id": c.platform_id, "stations": 4, "starts_at": at(friday, "08:00"), "ends_at": at(friday, "10:00"), "group_label": "1re Bac Pro" });
    let booking = app
        .post("/api/v1/bookings", &c.other_teacher, body)
        .await
        .expect(201)
        .json();
    assert_eq!(booking["status"], "pending");
    let id = booking["id"].as_str().unwrap();
    let link = format!("{PUBLIC_URL}/reservations/{id}");
    let uid = format!("{id}@plateaux.campus.test");

    let asked = wait_for(&sink, "manager@campus.test", "Réservation à approuver", 1);
    assert_eq!(
        asked.subject,
        "Réservation à approuver : Atelier soudage (1re Bac Pro)"
    );
    assert!(asked.text.contains(&link), "{}", asked.text);
    assert!(
        asked.html.contains(&format!("href=\"{link}\"")),
        "{}",
        asked.html
    );
    assert!(
        asked.text.contains("Lycée Alexis Monteil") && asked.text.contains("4 postes"),
        "{}",
        asked.text
    );
    assert!(asked.calendar.is_none(), "{:?}", asked.calendar);
    links_are_public(&asked);

    app.post(
        &format!("/api/v1/bookings/{id}/approve"),
        &c.manager,
        json!({}),
    )
    .await
    .expect(200);
    let approved = wait_for(&sink, "teacher@monteil.test", "Réservation confirmée", 1);
    for part in [
        "multipart/alternative",
        "text/plain",
        "text/html",
        "text/calendar",
    ] {
        assert!(
            approved.content_types.iter().any(|c| c == part),
            "{part}: {:?}",
            approved.content_types
        );
    }
    assert!(
        approved.text.contains("Votre réservation est confirmée"),
        "{}",
        approved.text
    );
    assert!(approved.html.contains("<html lang=\"fr\">"));
    links_are_public(&approved);
    let first = check_invitation(
        approved.calendar.as_ref().expect("an invitation"),
        "REQUEST",
        &uid,
        1,
        "teacher@monteil.test",
    );
    assert_eq!(first["status"], "CONFIRMED");
    assert_eq!(first["start"], at(friday, "08:00"), "{first}");
    assert_eq!(first["end"], at(friday, "10:00"), "{first}");
    // The booker's calendar feed names the booking by the invitation's UID: a calendar
    // holding both knows them for one event.
    let token = app
        .post(
            "/api/v1/calendar-tokens",
            &c.other_teacher,
            json!({ "feed": "user" }),
        )
        .await
        .expect(201)
        .json();
    let feed = app
        .call(Method::GET, token["url"].as_str().unwrap(), None, None, &[])
        .await
        .expect(200);
    assert!(
        feed.text
            .replace("\r\n ", "")
            .contains(&format!("UID:{uid}\r\n")),
        "{}",
        feed.text
    );

    // A change by the outside booker: a new SEQUENCE, and the manager asked again.
    app.patch(
        &format!("/api/v1/bookings/{id}"),
        &c.other_teacher,
        json!({ "starts_at": at(friday, "13:30"), "ends_at": at(friday, "15:30") }),
    )
    .await
    .expect(200);
    let changed = wait_for(&sink, "teacher@monteil.test", "Réservation modifiée", 1);
    let second = check_invitation(
        changed.calendar.as_ref().expect("an invitation"),
        "REQUEST",
        &uid,
        2,
        "teacher@monteil.test",
    );
    assert_eq!(second["start"], at(friday, "13:30"), "{second}");
    assert_eq!(second["status"], "TENTATIVE");
    wait_for(&sink, "manager@campus.test", "Réservation à approuver", 2);

    app.post(
        &format!("/api/v1/bookings/{id}/reject"),
        &c.manager,
        json!({ "reason": "Atelier réservé aux examens" }),
    )
    .await
    .expect(200);
    let rejected = wait_for(&sink, "teacher@monteil.test", "Réservation refusée", 1);
    assert!(
        rejected
            .text
            .contains("Motif : Atelier réservé aux examens"),
        "{}",
        rejected.text
    );
    let third = check_invitation(
        rejected.calendar.as_ref().expect("an invitation"),
        "CANCEL",
        &uid,
        3,
        "teacher@monteil.test",
    );
    assert_eq!(third["status"], "CANCELLED");
    // The manager who decided is not told of it; each event was sent once.
    wait_until_all_sent(&app).await;
    assert!(received(&sink, "manager@campus.test", "Réservation refusée").is_empty());
    assert_eq!(
        received(&sink, "teacher@monteil.test", "Réservation").len(),
        3
    );
}

/// A maintenance window forced over a booking cancels it: the booker and the supervisor
/// each receive the cancellation of their event. A series created with a date in a
/// closure tells its booker which date was left out, and why.
async fn maintenance_and_series_messages(backend: Backend) {
    let sink = SmtpSink::start();
    let app = TestApp::with_mail(backend, Some(&sink.url()), |_| {}).await;
    let c = campus(&app).await;
    app.post(
        &format!("/api/v1/users/{}/qualifications", c.manager_id),
        &c.manager,
        json!({ "qualification_id": c.qualification_id, "awarded_on": today().to_string() }),
    )
    .await
    .expect(200);
    let wednesday = next(Weekday::Wed, 7);
    let booked = app
        .post(
            "/api/v1/bookings",
            &c.teacher,
            json!({
                "equipment_id": c.equipment_id, "supervisor_id": c.manager_id,
                "starts_at": at(wednesday, "08:00"), "ends_at": at(wednesday, "10:00"),
                "group_label": "BTS CPRP 1", "learners": [{ "status": "school", "headcount": 1 }],
            }),
        )
        .await
        .expect(201)
        .json();
    // Confirmed at once: nobody is asked anything.
    assert_eq!(booked["status"], "confirmed");
    let id = booked["id"].as_str().unwrap();
    app.post(
        "/api/v1/maintenance-windows",
        &c.manager,
        json!({
            "equipment_id": c.equipment_id, "starts_at": at(wednesday, "07:00"), "ends_at": at(wednesday, "18:00"),
            "reason": "Changement de torche", "force": true,
        }),
    )
    .await
    .expect(201);
    let uid = format!("{id}@plateaux.campus.test");
    for person in ["teacher@campus.test", "manager@campus.test"] {
        let cancelled = wait_for(&sink, person, "Réservation annulée", 1);
        assert_eq!(
            cancelled.subject,
            "Réservation annulée : Atelier soudage (BTS CPRP 1)"
        );
        assert!(
            cancelled.text.contains("Changement de torche")
                && cancelled.text.contains("Cabine TIG 1"),
            "{}",
            cancelled.text
        );
        check_invitation(
            cancelled.calendar.as_ref().expect("an invitation"),
            "CANCEL",
            &uid,
            1,
            person,
        );
    }

    // A series over a closed day.
    let monday = next(Weekday::Mon, 14);
    let closed = monday + chrono::Duration::days(7);
    app.post(
        "/api/v1/closures",
        &c.admin,
        json!({
            "scope": "campus", "scope_id": c.campus_id, "name": "Journée pédagogique",
            "starts_at": at(closed, "00:00"), "ends_at": at(closed + chrono::Duration::days(1), "00:00"),
        }),
    )
    .await
    .expect(201);
    let series = app
        .post("/api/v1/booking-series", &c.teacher, json!({
            "first_occurrence": {
                "platform_id": c.platform_id, "stations": 2, "starts_at": at(monday, "08:00"), "ends_at": at(monday, "10:00"),
                "group_label": "CAP RICS 1", "learners": [{ "status": "school", "headcount": 2 }],
            },
            "rrule": "FREQ=WEEKLY;COUNT=3",
            "mode": "skip_conflicts",
        }))
        .await
        .expect(201)
        .json();
    assert_eq!(series["skipped"].as_array().unwrap().len(), 1, "{series}");
    let told = wait_for(&sink, "teacher@campus.test", "Série réservée", 1);
    assert_eq!(
        told.subject,
        "Série réservée, 1 date non réservée : Atelier soudage"
    );
    // Written out as the pages write dates, not 15/12/2026.
    let date = plateaux::views::web::format::long_date(closed);
    let line = told
        .text
        .lines()
        .find(|l| l.starts_with(&format!("- {date} de 08:00 à 10:00 : ")))
        .unwrap_or_else(|| panic!("no line for {date}:\n{}", told.text));
    assert!(line.contains("Journée pédagogique"), "{line}");
    assert!(
        told.html
            .contains(&format!("<li>{date} de 08:00 à 10:00 : ")),
        "{}",
        told.html
    );
    assert!(told.calendar.is_none());
    assert!(
        told.text.contains(
            "compte 2 séances réservées. Cette date n'a pas été réservée, pour la raison"
        ),
        "{}",
        told.text
    );

    // Two dates left out, one session booked: each in its number.
    let bridge = closed + chrono::Duration::days(7);
    app.post(
        "/api/v1/closures",
        &c.admin,
        json!({
            "scope": "campus", "scope_id": c.campus_id, "name": "Pont",
            "starts_at": at(bridge, "00:00"), "ends_at": at(bridge + chrono::Duration::days(1), "00:00"),
        }),
    )
    .await
    .expect(201);
    app.post("/api/v1/booking-series", &c.teacher, json!({
        "first_occurrence": {
            "platform_id": c.platform_id, "stations": 2, "starts_at": at(monday, "10:00"), "ends_at": at(monday, "12:00"),
            "group_label": "CAP RICS 2", "learners": [{ "status": "school", "headcount": 2 }],
        },
        "rrule": "FREQ=WEEKLY;COUNT=3",
        "mode": "skip_conflicts",
    }))
    .await
    .expect(201);
    let told = wait_for(&sink, "teacher@campus.test", "Série réservée", 2);
    assert_eq!(
        told.subject,
        "Série réservée, 2 dates non réservées : Atelier soudage"
    );
    assert!(
        told.text.contains(
            "compte 1 séance réservée. Ces dates n'ont pas été réservées, pour la raison"
        ),
        "{}",
        told.text
    );
}

/// A teacher who turned approvals off gets none (nothing is even queued), and still gets
/// the other booking messages, in the language they chose.
async fn a_teacher_who_turned_approvals_off_gets_none(backend: Backend) {
    let sink = SmtpSink::start();
    let app = TestApp::with_mail(backend, Some(&sink.url()), |_| {}).await;
    let c = campus(&app).await;
    app.patch(
        "/api/v1/me/notifications",
        &c.other_teacher,
        json!({ "locale": "en", "kinds": [{ "kind": "booking_approved", "enabled": false }] }),
    )
    .await
    .expect(200);
    let friday = next(Weekday::Fri, 7);
    let id = crate::support::id_of(
        app.post("/api/v1/bookings", &c.other_teacher, json!({
            "platform_id": c.platform_id, "stations": 4, "starts_at": at(friday, "08:00"), "ends_at": at(friday, "10:00"), "group_label": "1re Bac Pro",
        }))
        .await
        .expect(201),
    );
    app.post(
        &format!("/api/v1/bookings/{id}/approve"),
        &c.manager,
        json!({}),
    )
    .await
    .expect(200);
    app.post(
        &format!("/api/v1/bookings/{id}/cancel"),
        &c.other_teacher,
        json!({ "reason": "Sortie annulée" }),
    )
    .await
    .expect(200);
    let cancelled = wait_for(&sink, "teacher@monteil.test", "Booking cancelled", 1);
    assert_eq!(
        cancelled.subject,
        "Booking cancelled: Atelier soudage (1re Bac Pro)"
    );
    assert!(
        cancelled.text.contains("Reason: Sortie annulée"),
        "{}",
        cancelled.text
    );
    assert!(cancelled.html.contains("<html lang=\"en\">"));
    check_invitation(
        cancelled.calendar.as_ref().expect("an invitation"),
        "CANCEL",
        &format!("{id}@plateaux.campus.test"),
        2,
        "teacher@monteil.test",
    );
    wait_until_all_sent(&app).await;
    assert!(received(&sink, "teacher@monteil.test", "Booking confirmed").is_empty());
    assert_eq!(
        app.count_sql(format!(
            "SELECT COUNT(*) AS n FROM outbox_messages WHERE kind = 'booking_approved' AND user_id = '{}'",
            c.other_teacher_id
        ))
        .await,
        0
    );
}

/// A service request through its first steps: the contact and the platform's manager hear
/// of its arrival, the contact of its taking, of a shared message (never of an internal
/// one) and of the quote; the manager of the quote's acceptance.
async fn service_request_messages(backend: Backend) {
    let sink = SmtpSink::start();
    let app = TestApp::with_mail(backend, Some(&sink.url()), |_| {}).await;
    let c = campus(&app).await;
    let id = crate::support::id_of(
        app.post(
            "/api/v1/service-requests",
            &c.company,
            json!({
                "title": "Essais de traction", "description": "Vingt éprouvettes en acier S355.",
                "domains": ["welding"], "platform_id": c.platform_id,
            }),
        )
        .await
        .expect(201),
    );
    let link = format!("{PUBLIC_URL}/demandes/{id}");
    // The company's acknowledgement, « de » elided before the vowel.
    let acknowledged = wait_for(&sink, "contact@cele.test", "Demande de prestation reçue", 1);
    // The staff's notice: what came in, where to take it; not the company's acknowledgement.
    let came_in = wait_for(
        &sink,
        "manager@campus.test",
        "Nouvelle demande de prestation",
        1,
    );
    assert_eq!(
        acknowledged.subject,
        "Demande de prestation reçue : « Essais de traction »"
    );
    assert!(
        acknowledged.text.contains(
            "La demande de prestation d'Usinages du Célé a été reçue ; l'équipe du campus y répond sous peu."
        ),
        "{}",
        acknowledged.text
    );
    assert_eq!(
        came_in.subject,
        "Nouvelle demande de prestation : « Essais de traction »"
    );
    assert!(
        came_in.text.contains(
            "Usinages du Célé a déposé une demande de prestation pour le plateau Atelier soudage. Lisez-la et prenez-la en charge depuis sa page."
        ),
        "{}",
        came_in.text
    );
    assert!(!came_in.text.contains("sous peu"), "{}", came_in.text);
    wait_until_all_sent(&app).await;
    assert!(
        received(&sink, "manager@campus.test", "Demande de prestation reçue").is_empty(),
        "the staff get no acknowledgement"
    );
    for message in [&acknowledged, &came_in] {
        assert!(message.text.contains(&link), "{}", message.text);
        assert!(message.calendar.is_none());
        links_are_public(message);
    }
    app.post(
        &format!("/api/v1/service-requests/{id}/transitions"),
        &c.manager,
        json!({ "action": "take", "platform_id": c.platform_id }),
    )
    .await
    .expect(200);
    wait_for(
        &sink,
        "contact@cele.test",
        "Demande de prestation prise en charge",
        1,
    );
    for (body, visibility) in [
        ("Tarif à valider avec la direction", "internal"),
        ("Pouvez-vous préciser la nuance d'acier ?", "shared"),
    ] {
        app.post(
            &format!("/api/v1/service-requests/{id}/messages"),
            &c.manager,
            json!({ "body": body, "visibility": visibility }),
        )
        .await
        .expect(201);
    }
    let message = wait_for(&sink, "contact@cele.test", "Nouveau message", 1);
    assert!(message.text.contains("nuance d'acier"), "{}", message.text);
    app.post(&format!("/api/v1/service-requests/{id}/quotes"), &c.manager, json!({
        "valid_until": (today() + chrono::Duration::days(30)).to_string(),
        "lines": [{ "label": "Essai de traction", "quantity": 2, "unit": "hour", "unit_price_cents": 8500, "vat_rate_bp": 2000 }],
    }))
    .await
    .expect(201);
    let quoted = wait_for(&sink, "contact@cele.test", "Devis disponible", 1);
    assert!(quoted.text.contains("204,00\u{a0}€ TTC"), "{}", quoted.text);
    app.post(
        &format!("/api/v1/service-requests/{id}/transitions"),
        &c.company,
        json!({ "action": "accept", "quote_version": 1 }),
    )
    .await
    .expect(200);
    wait_for(&sink, "manager@campus.test", "Devis accepté", 1);
    // The internal message reached nobody at the company; nobody heard of their own acts.
    wait_until_all_sent(&app).await;
    assert!(sink
        .messages()
        .iter()
        .all(|m| !m.text.contains("direction") && !m.html.contains("direction")));
    assert!(received(&sink, "manager@campus.test", "Nouveau message").is_empty());
    assert!(received(&sink, "contact@cele.test", "Devis accepté").is_empty());
}

/// The later steps of a service request: the company's contact hears of the agreement
/// signed, the work delivered and the invoice, each with what it says; a shared message
/// reaches the contact, an internal one never does (nor its words in any message).
async fn service_request_later_steps(backend: Backend) {
    let sink = SmtpSink::start();
    let app = TestApp::with_mail(backend, Some(&sink.url()), |_| {}).await;
    let c = campus(&app).await;
    let id = crate::support::id_of(
        app.post(
            "/api/v1/service-requests",
            &c.company,
            json!({
                "title": "Prototype de bride", "description": "Usinage de trois brides en inox 316L.",
                "domains": ["welding"], "platform_id": c.platform_id,
            }),
        )
        .await
        .expect(201),
    );
    let step = |body: Value| {
        let path = format!("/api/v1/service-requests/{id}/transitions");
        let (app, token) = (&app, c.manager.clone());
        async move { app.post(&path, &token, body).await.expect(200) }
    };
    step(json!({ "action": "take", "platform_id": c.platform_id })).await;
    app.post(&format!("/api/v1/service-requests/{id}/quotes"), &c.manager, json!({
        "valid_until": (today() + chrono::Duration::days(30)).to_string(),
        "lines": [{ "label": "Usinage", "quantity": 4, "unit": "hour", "unit_price_cents": 8000, "vat_rate_bp": 2000 }],
    }))
    .await
    .expect(201);
    app.post(
        &format!("/api/v1/service-requests/{id}/transitions"),
        &c.company,
        json!({ "action": "accept", "quote_version": 1 }),
    )
    .await
    .expect(200);
    step(json!({ "action": "sign_agreement", "agreement_reference": "CONV-2027-021", "signed_on": today().to_string() })).await;
    let signed = wait_for(&sink, "contact@cele.test", "Convention signée", 1);
    assert_eq!(signed.subject, "Convention signée : « Prototype de bride »");
    assert!(
        signed.text.contains("CONV-2027-021")
            && signed.text.contains("les travaux peuvent être planifiés"),
        "{}",
        signed.text
    );
    links_are_public(&signed);
    step(json!({ "action": "start_work" })).await;
    step(json!({ "action": "deliver", "delivery_note": "Trois brides et rapport de contrôle RC-27-021" })).await;
    let delivered = wait_for(&sink, "contact@cele.test", "Prestation livrée", 1);
    assert!(
        delivered.text.contains("rapport de contrôle RC-27-021"),
        "{}",
        delivered.text
    );
    // An internal note, then a shared message: only the second reaches the company.
    for (body, visibility) in [
        ("Marge négative sur ce dossier", "internal"),
        ("Les brides partent demain par transporteur.", "shared"),
    ] {
        app.post(
            &format!("/api/v1/service-requests/{id}/messages"),
            &c.manager,
            json!({ "body": body, "visibility": visibility }),
        )
        .await
        .expect(201);
    }
    let shared = wait_for(&sink, "contact@cele.test", "Nouveau message", 1);
    assert!(shared.text.contains("partent demain"), "{}", shared.text);
    step(json!({ "action": "invoice", "invoice_reference": "F-2027-0077", "amount_cents": 38400 }))
        .await;
    let invoiced = wait_for(&sink, "contact@cele.test", "Prestation facturée", 1);
    assert!(
        invoiced.text.contains("F-2027-0077 (384,00\u{a0}€)"),
        "{}",
        invoiced.text
    );
    // Nothing of the internal note went anywhere, and the manager was not told of their
    // own steps.
    wait_until_all_sent(&app).await;
    assert!(sink
        .messages()
        .iter()
        .all(|m| !m.text.contains("Marge") && !m.html.contains("Marge")));
    for subject in [
        "Convention signée",
        "Prestation livrée",
        "Prestation facturée",
        "Nouveau message",
    ] {
        assert!(
            received(&sink, "manager@campus.test", subject).is_empty(),
            "{subject}"
        );
    }
    assert_eq!(
        received(&sink, "contact@cele.test", "Nouveau message").len(),
        1
    );
}

/// A platform manager who is also the assignee of a service request is addressed twice
/// (as a manager of the platform, as the assignee) and receives one message per event; a
/// booker who supervises their own booking, one per decision.
async fn one_message_per_event_whatever_the_roles(backend: Backend) {
    let sink = SmtpSink::start();
    let app = TestApp::with_mail(backend, Some(&sink.url()), |_| {}).await;
    let c = campus(&app).await;
    let id = crate::support::id_of(
        app.post(
            "/api/v1/service-requests",
            &c.company,
            json!({
                "title": "Soudure de cadres", "description": "Six cadres en acier S235.",
                "domains": ["welding"], "platform_id": c.platform_id,
            }),
        )
        .await
        .expect(201),
    );
    // The director hands it to the platform with its manager in charge: the director acts,
    // so the manager is told of every later event, and is addressed twice for each.
    let transition = format!("/api/v1/service-requests/{id}/transitions");
    app.post(
        &transition,
        &c.admin,
        json!({ "action": "take", "platform_id": c.platform_id, "assignee_id": c.manager_id }),
    )
    .await
    .expect(200);
    assert_eq!(
        app.count_sql(format!(
            "SELECT COUNT(*) AS n FROM service_requests WHERE id = '{id}' AND assignee_id = '{}'",
            c.manager_id
        ))
        .await,
        1
    );
    app.post(&format!("/api/v1/service-requests/{id}/quotes"), &c.admin, json!({
        "valid_until": (today() + chrono::Duration::days(30)).to_string(),
        "lines": [{ "label": "Soudage MAG", "quantity": 6, "unit": "hour", "unit_price_cents": 7000, "vat_rate_bp": 2000 }],
    }))
    .await
    .expect(201);
    app.post(
        &transition,
        &c.company,
        json!({ "action": "accept", "quote_version": 1 }),
    )
    .await
    .expect(200);
    app.post(
        &format!("/api/v1/service-requests/{id}/messages"),
        &c.company,
        json!({ "body": "Les cadres arrivent lundi.", "visibility": "shared" }),
    )
    .await
    .expect(201);
    app.post(&transition, &c.admin, json!({ "action": "sign_agreement", "agreement_reference": "CONV-2027-030", "signed_on": today().to_string() }))
        .await
        .expect(200);
    wait_for(&sink, "manager@campus.test", "Convention signée", 1);

    // A booking whose booker is its supervisor: approved, then cancelled by the manager.
    let friday = next(Weekday::Fri, 7);
    let mut body = crate::support::station_booking(&c.platform_id, friday, "08:00", "10:00");
    body["supervisor_id"] = json!(c.other_teacher_id);
    let booking = crate::support::id_of(
        app.post("/api/v1/bookings", &c.other_teacher, body)
            .await
            .expect(201),
    );
    app.post(
        &format!("/api/v1/bookings/{booking}/approve"),
        &c.manager,
        json!({}),
    )
    .await
    .expect(200);
    app.post(
        &format!("/api/v1/bookings/{booking}/cancel"),
        &c.manager,
        json!({ "reason": "Panne du poste 2" }),
    )
    .await
    .expect(200);
    wait_for(&sink, "teacher@monteil.test", "Réservation annulée", 1);

    // Everything sent: now each count is final.
    wait_until_all_sent(&app).await;
    for subject in [
        "Nouvelle demande de prestation",
        "Devis accepté",
        "Nouveau message",
        "Convention signée",
    ] {
        assert_eq!(
            distinct(&sink, "manager@campus.test", subject),
            1,
            "{subject}"
        );
    }
    assert_eq!(
        app.count_sql(format!(
            "SELECT COUNT(*) AS n FROM outbox_messages WHERE user_id = '{}' AND kind IN \
             ('service_request_received', 'quote_answered', 'service_request_message', 'agreement_signed')",
            c.manager_id
        ))
        .await,
        4
    );
    for subject in ["Réservation confirmée", "Réservation annulée"] {
        assert_eq!(
            distinct(&sink, "teacher@monteil.test", subject),
            1,
            "{subject}"
        );
    }
    assert_eq!(
        app.count_sql(format!(
            "SELECT COUNT(*) AS n FROM outbox_messages WHERE user_id = '{}' AND kind LIKE 'booking%'",
            c.other_teacher_id
        ))
        .await,
        2
    );
}

/// A teacher who moves or cancels their own session gets the update of its invitation
/// (their calendar holds the event, and must follow), and so does its supervisor: once
/// each, nothing more.
async fn ones_own_change_updates_ones_calendar(backend: Backend) {
    let sink = SmtpSink::start();
    let app = TestApp::with_mail(backend, Some(&sink.url()), |_| {}).await;
    let c = campus(&app).await;
    let thursday = next(Weekday::Thu, 7);
    let mut body = crate::support::station_booking(&c.platform_id, thursday, "08:00", "10:00");
    body["supervisor_id"] = json!(c.manager_id);
    let booking = app
        .post("/api/v1/bookings", &c.teacher, body)
        .await
        .expect(201)
        .json();
    // Confirmed at once: nobody is told anything.
    assert_eq!(booking["status"], "confirmed");
    let id = booking["id"].as_str().unwrap();
    let uid = format!("{id}@plateaux.campus.test");
    app.patch(
        &format!("/api/v1/bookings/{id}"),
        &c.teacher,
        json!({ "starts_at": at(thursday, "13:30"), "ends_at": at(thursday, "15:30") }),
    )
    .await
    .expect(200);
    for person in ["teacher@campus.test", "manager@campus.test"] {
        let changed = wait_for(&sink, person, "Réservation modifiée", 1);
        let reading = check_invitation(
            changed.calendar.as_ref().expect("an invitation"),
            "REQUEST",
            &uid,
            1,
            person,
        );
        assert_eq!(reading["start"], at(thursday, "13:30"), "{reading}");
    }
    app.post(
        &format!("/api/v1/bookings/{id}/cancel"),
        &c.teacher,
        json!({ "reason": "Sortie au salon Industrie" }),
    )
    .await
    .expect(200);
    for person in ["teacher@campus.test", "manager@campus.test"] {
        let cancelled = wait_for(&sink, person, "Réservation annulée", 1);
        assert!(
            cancelled.text.contains("Motif : Sortie au salon Industrie"),
            "{}",
            cancelled.text
        );
        check_invitation(
            cancelled.calendar.as_ref().expect("an invitation"),
            "CANCEL",
            &uid,
            2,
            person,
        );
    }
    wait_until_all_sent(&app).await;
    assert_eq!(distinct(&sink, "teacher@campus.test", "Réservation"), 2);
    assert_eq!(distinct(&sink, "manager@campus.test", "Réservation"), 2);
}

on_both_backends!(
    booking_messages_carry_an_invitation,
    maintenance_and_series_messages,
    a_teacher_who_turned_approvals_off_gets_none,
    service_request_messages,
    service_request_later_steps,
    one_message_per_event_whatever_the_roles,
    ones_own_change_updates_ones_calendar,
);
