//! The scheduled messages (reminders the day before a session, the managers' morning
//! digest, qualifications about to expire) and the series events, through the outbox to a
//! real SMTP server on loopback (aiosmtpd). The scheduler runs as in the service, on the
//! application's clock, which the tests move to the hours that matter; each message must
//! go out once whatever the ticks, restarts and instances.

use std::time::Duration;

use chrono::{Datelike, Weekday};
use serde_json::json;

use plateaux::config::ScheduleConfig;

use crate::mail_events::{links_are_public, received, wait_for, wait_until_all_sent};
use crate::support::dates::{at, next, today};
use crate::support::smtp::SmtpSink;
use crate::support::{activate, campus, id_of, Backend, TestApp, PASSWORD};

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

/// Long enough for several ticks of the test schedulers (every 100 ms) and for the mail
/// worker to send what they queued.
fn let_ticks_pass() {
    std::thread::sleep(Duration::from_millis(800));
}

/// Messages of `kind` in the outbox (queued or sent).
async fn queued(app: &TestApp, kind: &str) -> i64 {
    app.count_sql(format!(
        "SELECT COUNT(*) AS n FROM outbox_messages WHERE kind = '{kind}'"
    ))
    .await
}

/// `mardi 2 mars 2027`, as the messages write a date in French.
fn french_date(day: chrono::NaiveDate) -> String {
    const DAYS: [&str; 7] = [
        "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
    ];
    const MONTHS: [&str; 12] = [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ];
    let number = match day.day() {
        1 => "1er".to_owned(),
        n => n.to_string(),
    };
    format!(
        "{} {number} {} {}",
        DAYS[day.weekday().num_days_from_monday() as usize],
        MONTHS[day.month0() as usize],
        day.year()
    )
}

/// The day before a confirmed session, from the reminder hour on, its booker and its
/// supervisor are reminded of it once: not before the hour, once with two instances
/// ticking together, not again at later ticks or after a restart; not at all a teacher who
/// turned reminders off; and the next day's sessions the next day.
async fn reminders_go_out_once_the_day_before(backend: Backend) {
    let sink = SmtpSink::start();
    let app = TestApp::with_mail(backend, Some(&sink.url()), |_| {}).await;
    let c = campus(&app).await;
    let wednesday = next(Weekday::Wed, 7);
    let tuesday = wednesday.pred_opt().unwrap();
    let thursday = wednesday.succ_opt().unwrap();
    let mut body = crate::support::station_booking(&c.platform_id, wednesday, "08:00", "10:00");
    body["supervisor_id"] = json!(c.manager_id);
    let supervised = app
        .post("/api/v1/bookings", &c.teacher, body)
        .await
        .expect(201)
        .json();
    assert_eq!(supervised["status"], "confirmed");
    let mut later = crate::support::station_booking(&c.platform_id, thursday, "08:00", "10:00");
    later["group_label"] = json!("BTS CPRP 2");
    app.post("/api/v1/bookings", &c.teacher, later)
        .await
        .expect(201);
    // A teacher of another lycée who turned reminders off, with a session approved.
    app.patch(
        "/api/v1/me/notifications",
        &c.other_teacher,
        json!({ "kinds": [{ "kind": "booking_reminder", "enabled": false }] }),
    )
    .await
    .expect(200);
    let outside = id_of(
        app.post(
            "/api/v1/bookings",
            &c.other_teacher,
            json!({
                "platform_id": c.platform_id, "stations": 4, "starts_at": at(wednesday, "13:30"),
                "ends_at": at(wednesday, "15:30"), "group_label": "1re Bac Pro",
            }),
        )
        .await
        .expect(201),
    );
    app.post(
        &format!("/api/v1/bookings/{outside}/approve"),
        &c.manager,
        json!({}),
    )
    .await
    .expect(200);

    // Two instances, each with its scheduler, tick together when the hour comes.
    app.set_time(&at(tuesday, "16:59"));
    let first = app.scheduler(ScheduleConfig::default());
    let twin = app.scheduler(ScheduleConfig::default());
    let_ticks_pass();
    assert_eq!(queued(&app, "booking_reminder").await, 0, "before the hour");

    app.set_time(&at(tuesday, "17:00"));
    let reminded = wait_for(&sink, "teacher@campus.test", "Rappel", 1);
    assert_eq!(
        reminded.subject,
        "Rappel : séance demain, Atelier soudage (CAP RICS 1)"
    );
    let when = format!(
        "{} de 08:00 à 10:00",
        plateaux::views::web::format::long_date(wednesday)
    );
    assert!(reminded.text.contains(&when), "{}", reminded.text);
    assert!(
        reminded.text.contains("Votre séance a lieu demain"),
        "{}",
        reminded.text
    );
    assert!(reminded.html.contains("<html lang=\"fr\">"));
    // A reminder changes nothing in a calendar: no invitation.
    assert!(reminded.calendar.is_none(), "{:?}", reminded.calendar);
    links_are_public(&reminded);
    let supervisor = wait_for(&sink, "manager@campus.test", "Rappel", 1);
    assert_eq!(supervisor.subject, reminded.subject);

    // Later ticks, a restart, and two instances again queue nothing more.
    let_ticks_pass();
    assert_eq!(queued(&app, "booking_reminder").await, 2);
    drop((first, twin));
    let second = app.scheduler(ScheduleConfig::default());
    let third = app.scheduler(ScheduleConfig::default());
    let_ticks_pass();
    assert_eq!(queued(&app, "booking_reminder").await, 2);
    wait_until_all_sent(&app).await;
    assert_eq!(received(&sink, "teacher@campus.test", "Rappel").len(), 1);
    assert_eq!(received(&sink, "manager@campus.test", "Rappel").len(), 1);
    // Turned off: nothing, not even queued.
    assert!(received(&sink, "teacher@monteil.test", "Rappel").is_empty());
    assert!(received(&sink, "teacher@monteil.test", "Reminder").is_empty());
    assert_eq!(
        app.count_sql(format!(
            "SELECT COUNT(*) AS n FROM outbox_messages WHERE kind = 'booking_reminder' AND user_id = '{}'",
            c.other_teacher_id
        ))
        .await,
        0
    );

    // Thursday's session, on Wednesday.
    app.set_time(&at(wednesday, "17:00"));
    let next_day = wait_for(&sink, "teacher@campus.test", "Rappel", 2);
    assert!(
        next_day
            .text
            .contains(&plateaux::views::web::format::long_date(thursday))
            && next_day.text.contains("BTS CPRP 2"),
        "{}",
        next_day.text
    );
    let_ticks_pass();
    drop((second, third));
    assert_eq!(queued(&app, "booking_reminder").await, 3);
    assert_eq!(received(&sink, "manager@campus.test", "Rappel").len(), 1);
}

/// With no instance running over the reminder hour the day before, a tick the next
/// morning reminds the booker and supervisor of that day's later session once ("today"),
/// and nobody of a session already begun or of one approved that morning (the approval
/// told of it).
async fn missed_reminders_are_caught_up_the_next_morning(backend: Backend) {
    let sink = SmtpSink::start();
    let app = TestApp::with_mail(backend, Some(&sink.url()), |_| {}).await;
    let mut c = campus(&app).await;
    let wednesday = next(Weekday::Wed, 7);
    let tuesday = wednesday.pred_opt().unwrap();
    let mut afternoon =
        crate::support::station_booking(&c.platform_id, wednesday, "13:30", "15:30");
    afternoon["supervisor_id"] = json!(c.manager_id);
    app.post("/api/v1/bookings", &c.teacher, afternoon)
        .await
        .expect(201);
    let mut morning = crate::support::station_booking(&c.platform_id, wednesday, "08:00", "10:00");
    morning["group_label"] = json!("Déjà commencée");
    app.post("/api/v1/bookings", &c.teacher, morning)
        .await
        .expect(201);
    let outside = id_of(
        app.post(
            "/api/v1/bookings",
            &c.other_teacher,
            json!({
                "platform_id": c.platform_id, "stations": 4, "starts_at": at(wednesday, "15:30"),
                "ends_at": at(wednesday, "17:30"), "group_label": "Approuvée le jour même",
            }),
        )
        .await
        .expect(201),
    );

    // The service runs on Tuesday afternoon, then stops before the reminder hour.
    app.set_time(&at(tuesday, "16:00"));
    let before = app.scheduler(ScheduleConfig::default());
    let_ticks_pass();
    drop(before);
    assert_eq!(queued(&app, "booking_reminder").await, 0, "before the hour");

    // It starts again on Wednesday at 09:00; the outside session is approved then.
    app.set_time(&at(wednesday, "09:00"));
    c.log_in_again(&app).await;
    app.post(
        &format!("/api/v1/bookings/{outside}/approve"),
        &c.manager,
        json!({}),
    )
    .await
    .expect(200);
    let first = app.scheduler(ScheduleConfig::default());
    let twin = app.scheduler(ScheduleConfig::default());
    let reminded = wait_for(&sink, "teacher@campus.test", "Rappel", 1);
    assert_eq!(
        reminded.subject,
        "Rappel : séance aujourd'hui, Atelier soudage (CAP RICS 1)"
    );
    let when = format!(
        "{} de 13:30 à 15:30",
        plateaux::views::web::format::long_date(wednesday)
    );
    assert!(reminded.text.contains(&when), "{}", reminded.text);
    assert!(
        reminded.text.contains("Votre séance a lieu aujourd'hui"),
        "{}",
        reminded.text
    );
    let supervisor = wait_for(&sink, "manager@campus.test", "Rappel", 1);
    assert_eq!(supervisor.subject, reminded.subject);

    // Once, whatever the ticks, instances and restarts; nothing for the other two.
    let_ticks_pass();
    drop((first, twin));
    let again = app.scheduler(ScheduleConfig::default());
    let_ticks_pass();
    drop(again);
    assert_eq!(queued(&app, "booking_reminder").await, 2);
    wait_until_all_sent(&app).await;
    assert_eq!(received(&sink, "teacher@campus.test", "Rappel").len(), 1);
    assert_eq!(received(&sink, "manager@campus.test", "Rappel").len(), 1);
    for label in ["Déjà commencée", "Approuvée le jour même"] {
        assert_eq!(
            app.count_sql(format!(
                "SELECT COUNT(*) AS n FROM outbox_messages WHERE kind = 'booking_reminder' AND payload LIKE '%{label}%'"
            ))
            .await,
            0,
            "{label}"
        );
    }
}

/// From the digest hour, each platform manager gets one digest a day of the bookings
/// waiting for their approval and of last week's sessions still without a usage record;
/// a manager with nothing to read gets none.
async fn managers_get_one_morning_digest(backend: Backend) {
    let sink = SmtpSink::start();
    let mut app = TestApp::with_mail(backend, Some(&sink.url()), |_| {}).await;
    let mut c = campus(&app).await;
    // A second manager, of the other platform, where nothing waits.
    let other_manager = id_of(
        app.post(
            "/api/v1/users",
            &c.admin,
            json!({
                "email": "usinage@campus.test", "display_name": "Responsable usinage", "role": "manager",
                "organisation_id": c.other_lycee_id, "managed_platform_ids": [c.other_platform_id],
            }),
        )
        .await
        .expect(201),
    );
    activate(&app, &c.admin, &other_manager, PASSWORD).await;
    let monday = next(Weekday::Mon, 14);
    let day = |back: u64| monday.checked_sub_days(chrono::Days::new(back)).unwrap();
    let book = |day, label: &'static str| {
        let mut body = crate::support::station_booking(&c.platform_id, day, "08:00", "10:00");
        body["group_label"] = json!(label);
        body
    };
    let recorded = id_of(
        app.post("/api/v1/bookings", &c.teacher, book(day(4), "BTS relevé"))
            .await
            .expect(201),
    );
    let cap_session = id_of(
        app.post(
            "/api/v1/bookings",
            &c.teacher,
            book(day(3), "CAP sans relevé"),
        )
        .await
        .expect(201),
    );
    // Ten days before: not last week's.
    app.post("/api/v1/bookings", &c.teacher, book(day(10), "Trop ancien"))
        .await
        .expect(201);
    let wednesday = monday.checked_add_days(chrono::Days::new(2)).unwrap();
    app.post(
        "/api/v1/bookings",
        &c.other_teacher,
        json!({
            "platform_id": c.platform_id, "stations": 4, "starts_at": at(wednesday, "13:30"),
            "ends_at": at(wednesday, "15:30"), "group_label": "1re Bac Pro",
        }),
    )
    .await
    .expect(201);
    // Thursday's session is recorded on Sunday.
    app.set_time(&at(day(1), "12:00"));
    c.log_in_again(&app).await;
    app.call(
        actix_web::http::Method::PUT,
        &format!("/api/v1/bookings/{recorded}/usage"),
        Some(&c.manager),
        Some(json!({
            "actual_start": at(day(4), "08:00"), "actual_end": at(day(4), "10:00"),
            "learners": [{ "status": "school", "headcount": 2 }], "incident": false,
        })),
        &[],
    )
    .await
    .expect(200);

    app.set_time(&at(monday, "06:59"));
    let scheduler = app.scheduler(ScheduleConfig::default());
    let_ticks_pass();
    assert_eq!(queued(&app, "manager_digest").await, 0, "before the hour");
    app.set_time(&at(monday, "07:00"));
    let digest = wait_for(&sink, "manager@campus.test", "Plateaux, ", 1);
    assert_eq!(
        digest.subject,
        format!(
            "Plateaux, {} : 1 réservation à approuver, 1 séance sans relevé",
            french_date(monday)
        )
    );
    let line = |prefix: &str| {
        digest
            .text
            .lines()
            .find(|l| l.contains(prefix))
            .unwrap_or_else(|| panic!("no line « {prefix} »:\n{}", digest.text))
            .to_owned()
    };
    let pending = line("À approuver — ");
    assert!(
        pending.contains(&french_date(wednesday))
            && pending.contains("13:30")
            && pending.contains("1re Bac Pro")
            && pending.contains("Lycée Alexis Monteil"),
        "{pending}"
    );
    let unrecorded = line("Sans relevé — ");
    assert!(
        unrecorded.contains(&french_date(day(3))) && unrecorded.contains("CAP sans relevé"),
        "{unrecorded}"
    );
    assert!(
        !digest.text.contains("BTS relevé") && !digest.text.contains("Trop ancien"),
        "{}",
        digest.text
    );
    assert!(digest
        .text
        .contains("https://plateaux.campus.test/validations"));
    links_are_public(&digest);

    // Once a day, whatever the ticks and restarts; none for the manager with nothing.
    let_ticks_pass();
    drop(scheduler);
    let again = app.scheduler(ScheduleConfig::default());
    let_ticks_pass();
    assert_eq!(queued(&app, "manager_digest").await, 1);
    wait_until_all_sent(&app).await;
    assert!(received(&sink, "usinage@campus.test", "Plateaux").is_empty());
    // The next morning, the booking still waits, with a second one; Friday's session is
    // recorded meanwhile: a new digest counts only what waits, each in its number.
    c.log_in_again(&app).await;
    let thursday = monday.checked_add_days(chrono::Days::new(3)).unwrap();
    app.post(
        "/api/v1/bookings",
        &c.other_teacher,
        json!({
            "platform_id": c.platform_id, "stations": 4, "starts_at": at(thursday, "13:30"),
            "ends_at": at(thursday, "15:30"), "group_label": "2de Bac Pro",
        }),
    )
    .await
    .expect(201);
    app.call(
        actix_web::http::Method::PUT,
        &format!("/api/v1/bookings/{cap_session}/usage"),
        Some(&c.manager),
        Some(json!({
            "actual_start": at(day(3), "08:00"), "actual_end": at(day(3), "10:00"),
            "learners": [{ "status": "school", "headcount": 2 }], "incident": false,
        })),
        &[],
    )
    .await
    .expect(200);
    let tuesday_date = monday.succ_opt().unwrap();
    app.set_time(&at(tuesday_date, "07:00"));
    let tuesday = wait_for(&sink, "manager@campus.test", "Plateaux, ", 2);
    assert_eq!(
        tuesday.subject,
        format!(
            "Plateaux, {} : 2 réservations à approuver",
            french_date(tuesday_date)
        )
    );
    drop(again);
    app.mail_worker.take();
}

/// Thirty days before a qualification expires, its holder and whoever awarded it are told,
/// once; another award expiring later is told of later.
async fn qualifications_about_to_expire_are_told_once(backend: Backend) {
    let sink = SmtpSink::start();
    let app = TestApp::with_mail(backend, Some(&sink.url()), |_| {}).await;
    let c = campus(&app).await;
    let expires = today() + chrono::Duration::days(40);
    let later = today() + chrono::Duration::days(45);
    for (token, user, until) in [
        (&c.manager, &c.teacher_id, expires),
        (&c.admin, &c.other_teacher_id, later),
    ] {
        app.post(
            &format!("/api/v1/users/{user}/qualifications"),
            token,
            json!({
                "qualification_id": c.qualification_id, "awarded_on": today().to_string(),
                "expires_on": until.to_string(),
            }),
        )
        .await
        .expect(200);
    }
    let notice_day = |until: chrono::NaiveDate| until - chrono::Duration::days(30);

    app.set_time(&at(
        notice_day(expires) - chrono::Duration::days(1),
        "08:00",
    ));
    let first = app.scheduler(ScheduleConfig::default());
    let_ticks_pass();
    assert_eq!(queued(&app, "qualification_expiring").await, 0);

    app.set_time(&at(notice_day(expires), "08:00"));
    let holder = wait_for(&sink, "teacher@campus.test", "Votre habilitation", 1);
    assert_eq!(
        holder.subject,
        "Votre habilitation « Soudage » arrive à échéance"
    );
    assert!(
        holder
            .text
            .contains(&format!("prend fin le {}", french_date(expires))),
        "{}",
        holder.text
    );
    let awarder = wait_for(&sink, "manager@campus.test", "Habilitation", 1);
    assert_eq!(
        awarder.subject,
        "Habilitation « Soudage » de teacher@campus.test bientôt échue"
    );
    links_are_public(&awarder);
    let_ticks_pass();
    drop(first);
    let second = app.scheduler(ScheduleConfig::default());
    let_ticks_pass();
    assert_eq!(queued(&app, "qualification_expiring").await, 2);
    // The other award is not due yet.
    wait_until_all_sent(&app).await;
    assert!(received(&sink, "teacher@monteil.test", "Votre habilitation").is_empty());
    assert!(received(&sink, "admin@campus.test", "Habilitation").is_empty());

    app.set_time(&at(notice_day(later), "08:00"));
    wait_for(&sink, "teacher@monteil.test", "Votre habilitation", 1);
    let director = wait_for(&sink, "admin@campus.test", "Habilitation", 1);
    assert!(
        director.subject.contains("teacher@monteil.test"),
        "{}",
        director.subject
    );
    let_ticks_pass();
    drop(second);
    assert_eq!(queued(&app, "qualification_expiring").await, 4);
    assert_eq!(
        received(&sink, "teacher@campus.test", "Votre habilitation").len(),
        1
    );
}

/// A series waiting for approval asks the platform's managers once for all its sessions;
/// a series changed or cancelled tells its booker and supervisor once, its sessions listed,
/// except whichever of them made the change.
async fn series_events_are_one_message_each(backend: Backend) {
    let sink = SmtpSink::start();
    let app = TestApp::with_mail(backend, Some(&sink.url()), |_| {}).await;
    let c = campus(&app).await;
    let monday = next(Weekday::Mon, 14);
    let series = |token: &str, supervisor: Option<&str>| {
        let mut first = crate::support::station_booking(&c.platform_id, monday, "08:00", "10:00");
        if let Some(s) = supervisor {
            first["supervisor_id"] = json!(s);
        }
        let token = token.to_owned();
        let app = &app;
        async move {
            app.post(
                "/api/v1/booking-series",
                &token,
                json!({ "first_occurrence": first, "rrule": "FREQ=WEEKLY;COUNT=3", "mode": "all_or_nothing" }),
            )
            .await
            .expect(201)
            .json()
        }
    };
    let outside = series(&c.other_teacher, None).await;
    assert_eq!(outside["occurrences"][0]["status"], "pending", "{outside}");
    let asked = wait_for(&sink, "manager@campus.test", "Série à approuver", 1);
    assert_eq!(
        asked.subject,
        "Série à approuver, 3 séances : Atelier soudage (CAP RICS 1)"
    );
    for week in 0..3 {
        let day = monday + chrono::Duration::days(7 * week);
        assert!(
            asked
                .text
                .contains(&format!("{}, 08:00 – 10:00", french_date(day))),
            "{day}: {}",
            asked.text
        );
    }
    assert!(
        asked.text.contains("Lycée Alexis Monteil"),
        "{}",
        asked.text
    );
    // A series of a single session says so in the singular.
    let mut single = crate::support::station_booking(
        &c.platform_id,
        monday.succ_opt().unwrap(),
        "08:00",
        "10:00",
    );
    single["group_label"] = json!("1re Bac Pro");
    app.post(
        "/api/v1/booking-series",
        &c.other_teacher,
        json!({ "first_occurrence": single, "rrule": "FREQ=WEEKLY;COUNT=1", "mode": "all_or_nothing" }),
    )
    .await
    .expect(201);
    let asked = wait_for(&sink, "manager@campus.test", "Série à approuver", 2);
    assert_eq!(
        asked.subject,
        "Série à approuver, 1 séance : Atelier soudage (1re Bac Pro)"
    );

    let own = series(&c.teacher, Some(&c.manager_id)).await;
    assert_eq!(own["occurrences"][0]["status"], "confirmed", "{own}");
    let id = own["series"]["id"]
        .as_str()
        .or(own["id"].as_str())
        .expect("the series' id")
        .to_owned();
    app.patch(
        &format!("/api/v1/booking-series/{id}"),
        &c.teacher,
        json!({ "start_time": "13:30", "end_time": "15:30" }),
    )
    .await
    .expect(200);
    // The supervisor is told; the teacher who changed it is not (no invitation to update).
    let changed = wait_for(&sink, "manager@campus.test", "Série modifiée", 1);
    assert_eq!(
        changed.subject,
        "Série modifiée, 3 séances : Atelier soudage (CAP RICS 1)"
    );
    assert!(
        changed
            .text
            .contains(&format!("{}, 13:30 – 15:30", french_date(monday))),
        "{}",
        changed.text
    );
    // Changed by the manager who supervises it: the teacher is told, the manager not.
    app.patch(
        &format!("/api/v1/booking-series/{id}"),
        &c.manager,
        json!({ "start_time": "14:00", "end_time": "16:00" }),
    )
    .await
    .expect(200);
    let told = wait_for(&sink, "teacher@campus.test", "Série modifiée", 1);
    assert!(
        told.text
            .contains(&format!("{}, 14:00 – 16:00", french_date(monday))),
        "{}",
        told.text
    );
    app.post(
        &format!("/api/v1/booking-series/{id}/cancel"),
        &c.teacher,
        json!({ "reason": "Fin du projet" }),
    )
    .await
    .expect(200);
    let cancelled = wait_for(&sink, "manager@campus.test", "Série annulée", 1);
    assert_eq!(
        cancelled.subject,
        "Série annulée, 3 séances : Atelier soudage (CAP RICS 1)"
    );
    assert!(
        cancelled.text.contains("Motif : Fin du projet"),
        "{}",
        cancelled.text
    );
    // One message for each series event, none for each of its sessions; nobody told of
    // their own change.
    wait_until_all_sent(&app).await;
    for person in ["teacher@campus.test", "manager@campus.test"] {
        assert!(
            received(&sink, person, "Réservation").is_empty(),
            "{person}"
        );
    }
    assert_eq!(received(&sink, "manager@campus.test", "Série").len(), 4);
    assert_eq!(received(&sink, "teacher@campus.test", "Série").len(), 1);
    assert_eq!(received(&sink, "teacher@monteil.test", "Série").len(), 0);
    assert_eq!(
        app.count_sql(format!(
            "SELECT COUNT(*) AS n FROM outbox_messages WHERE user_id = '{}' AND kind LIKE 'series%'",
            c.teacher_id
        ))
        .await,
        1
    );
}

on_both_backends!(
    reminders_go_out_once_the_day_before,
    missed_reminders_are_caught_up_the_next_morning,
    managers_get_one_morning_digest,
    qualifications_about_to_expire_are_told_once,
    series_events_are_one_message_each,
);
