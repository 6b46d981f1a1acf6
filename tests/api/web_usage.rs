//! The manager's week follow-up page (`/plateaux/{id}/suivi`) through HTTP on both
//! databases: who sees it, a week of usage recorded and corrected in one form (read back
//! through the API), rows refused next to their fields with nothing stored, CSRF, and a
//! machine put in maintenance (refused over a booking, then forced).

use actix_web::http::{header, Method, StatusCode};
use chrono::{Datelike, Duration, NaiveDate, Weekday};
use serde_json::{json, Value};

use crate::on_both_databases;
use crate::support::dates::{at, next, today};
use crate::support::{self, Campus, Reply, TestApp, PASSWORD};
use crate::web::{browse, csrf_of, log_in, Jar};

/// `2027-W10` for the week holding `date`.
pub(crate) fn iso_week(date: NaiveDate) -> String {
    let week = date.iso_week();
    format!("{:04}-W{:02}", week.year(), week.week())
}

/// The Monday two weeks ago: its sessions are all over, whatever the hour.
pub(crate) fn past_monday() -> NaiveDate {
    let day = today() - Duration::days(14);
    day - Duration::days(i64::from(day.weekday().num_days_from_monday()))
}

/// Sessions the teacher booked four weeks before `monday`'s week (the clock goes back for
/// the bookings, then forward again): `(day offset, from, to)` each, answering their ids.
pub(crate) async fn past_sessions(
    app: &TestApp,
    c: &Campus,
    monday: NaiveDate,
    slots: &[(i64, &str, &str)],
) -> Vec<String> {
    let back = Duration::days(28);
    app.advance(-back);
    let mut ids = Vec::new();
    for (offset, from, to) in slots {
        let day = monday + Duration::days(*offset);
        let booking = app
            .post("/api/v1/bookings", &c.teacher, json!({
                "platform_id": c.platform_id, "stations": 6, "starts_at": at(day, from), "ends_at": at(day, to),
                "group_label": format!("CAP soudure {offset}"),
                "learners": [{ "status": "school", "headcount": 8 }, { "status": "apprentice", "headcount": 4 }],
            }))
            .await
            .expect(201)
            .json();
        assert_eq!(booking["status"], "confirmed");
        ids.push(booking["id"].as_str().unwrap().to_owned());
    }
    app.advance(back);
    ids
}

fn form(pairs: &[(String, String)]) -> String {
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        form.append_pair(k, v);
    }
    form.finish()
}

fn pair(name: &str, value: &str) -> (String, String) {
    (name.to_owned(), value.to_owned())
}

fn location(reply: &Reply) -> String {
    reply
        .headers
        .get(header::LOCATION)
        .expect("a Location header")
        .to_str()
        .unwrap()
        .to_owned()
}

async fn usage_of(app: &TestApp, c: &Campus, id: &str) -> Reply {
    app.get(&format!("/api/v1/bookings/{id}/usage"), &c.manager)
        .await
}

async fn only_the_platform_managers_see_it(app: TestApp) {
    let c = support::campus(&app).await;
    let week = iso_week(today());
    let path = format!("/plateaux/{}/suivi?semaine={week}", c.platform_id);

    let mut manager = Jar::default();
    log_in(&app, &mut manager, "manager@campus.test", PASSWORD).await;
    let platform = browse(
        &app,
        &mut manager,
        Method::GET,
        &format!("/plateaux/{}", c.platform_id),
        "",
    )
    .await;
    assert!(
        platform.text.contains(&format!(
            "href=\"/plateaux/{}/suivi?semaine={week}\"",
            c.platform_id
        )),
        "the platform page links to it for its managers: {}",
        platform.text
    );
    let page = browse(&app, &mut manager, Method::GET, &path, "").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(page.text.contains("<h1>Suivi de la semaine</h1>"));
    assert!(page.text.contains("Aucune séance cette semaine."));
    assert!(page.text.contains("<option value=\"") && page.text.contains("Cabine TIG 1"));
    let previous = iso_week(today() - Duration::days(7));
    assert!(
        page.text.contains(&format!(
            "href=\"/plateaux/{}/suivi?semaine={previous}\" rel=\"prev\"",
            c.platform_id
        )),
        "{}",
        page.text
    );
    // A platform the manager does not manage, an unknown one: the 404 page.
    for other in [
        format!("/plateaux/{}/suivi", c.other_platform_id),
        "/plateaux/0190c3a0-0000-7000-8000-000000000000/suivi".to_owned(),
    ] {
        let page = browse(&app, &mut manager, Method::GET, &other, "").await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{other}");
        assert!(page.text.contains("<h1>Page introuvable</h1>"));
    }
    // Without an account: to the login page, and back.
    let page = browse(&app, &mut Jar::default(), Method::GET, &path, "").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert!(location(&page).starts_with("/connexion?suite="));

    // A teacher, a company, the steering committee: the same 404 page as an unknown path,
    // and no link to it.
    let unknown = browse(&app, &mut manager, Method::GET, "/nulle-part", "").await;
    for email in [
        "teacher@campus.test",
        "contact@cele.test",
        "copil@campus.test",
    ] {
        let mut jar = Jar::default();
        log_in(&app, &mut jar, email, PASSWORD).await;
        let page = browse(&app, &mut jar, Method::GET, &path, "").await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{email}");
        assert!(page.text.contains("<h1>Page introuvable</h1>"), "{email}");
        assert_eq!(
            page.text.split("<main").nth(1),
            unknown.text.split("<main").nth(1),
            "{email}: not the unknown page's content"
        );
        let platform = browse(
            &app,
            &mut jar,
            Method::GET,
            &format!("/plateaux/{}", c.platform_id),
            "",
        )
        .await;
        assert!(!platform.text.contains("/suivi"), "{email} sees the link");
        // Posting is no way round.
        let refused = browse(
            &app,
            &mut jar,
            Method::POST,
            &format!("/plateaux/{}/suivi/maintenance", c.platform_id),
            &form(&[
                pair("csrf", &csrf_of(&platform)),
                pair("equipement", &c.equipment_id),
                pair("debut", "2030-01-07T08:00"),
                pair("fin", "2030-01-07T12:00"),
                pair("motif", "Révision"),
            ]),
        )
        .await;
        assert_eq!(refused.status, StatusCode::NOT_FOUND, "{email}");
    }
    assert_eq!(app.count("maintenance_windows").await, 0);
    // A week badly written is refused in French.
    let page = browse(
        &app,
        &mut manager,
        Method::GET,
        &format!("/plateaux/{}/suivi?semaine=mardi", c.platform_id),
        "",
    )
    .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(
        page.text.contains("La semaine s&#x27;écrit")
            || page.text.contains("La semaine s&#39;écrit")
    );
}

async fn a_week_of_usage_recorded_and_corrected_in_one_form(app: TestApp) {
    let c = support::campus(&app).await;
    let monday = past_monday();
    let ids = past_sessions(
        &app,
        &c,
        monday,
        &[
            (0, "08:00", "12:00"),
            (1, "13:30", "17:30"),
            (3, "08:00", "12:00"),
        ],
    )
    .await;
    // A session still to come in the current week is shown, without a form.
    let mut manager = Jar::default();
    log_in(&app, &mut manager, "manager@campus.test", PASSWORD).await;
    let path = format!(
        "/plateaux/{}/suivi?semaine={}",
        c.platform_id,
        iso_week(monday)
    );
    let page = browse(&app, &mut manager, Method::GET, &path, "").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(page.text.contains("3 séances à saisir."), "{}", page.text);
    assert_eq!(page.text.matches(">à saisir</span>").count(), 3);
    let day = plateaux::views::web::format::long_date(monday);
    assert!(page.text.contains(&format!("<h3>{day}</h3>")), "day by day");
    assert!(page.text.contains("Prévu : 8 scolaires, 4 apprentis"));
    // The form starts from what was planned.
    assert!(page.text.contains(&format!(
        "id=\"debut-{}\" name=\"debut-{}\" type=\"time\" value=\"08:00\"",
        ids[0], ids[0]
    )));
    let csrf = csrf_of(&page);

    let posted = browse(
        &app,
        &mut manager,
        Method::POST,
        &path,
        &form(&[
            pair("csrf", &csrf),
            pair(&format!("etat-{}", ids[0]), "tenue"),
            pair(&format!("debut-{}", ids[0]), "08:10"),
            pair(&format!("fin-{}", ids[0]), "11:50"),
            pair(&format!("effectif-school-{}", ids[0]), "7"),
            pair(&format!("effectif-apprentice-{}", ids[0]), "4"),
            pair(&format!("effectif-research-{}", ids[0]), "0"),
            pair(&format!("etat-{}", ids[1]), "absente"),
            pair(&format!("debut-{}", ids[1]), "13:30"),
            pair(&format!("fin-{}", ids[1]), "17:30"),
            pair(&format!("effectif-school-{}", ids[1]), "8"),
            pair(&format!("etat-{}", ids[2]), "tenue"),
            pair(&format!("debut-{}", ids[2]), "08:00"),
            pair(&format!("fin-{}", ids[2]), "11:00"),
            pair(&format!("effectif-continuing_education-{}", ids[2]), "10"),
            pair(&format!("incident-{}", ids[2]), "oui"),
            pair(
                &format!("note-{}", ids[2]),
                "Brûlure légère, soins sur place",
            ),
        ]),
    )
    .await;
    assert_eq!(posted.status, StatusCode::SEE_OTHER, "{}", posted.text);
    assert_eq!(location(&posted), format!("{path}&enregistrees=3"));

    let first = usage_of(&app, &c, &ids[0]).await.expect(200).json();
    assert_eq!(first["actual_start"], at(monday, "08:10"));
    assert_eq!(first["actual_end"], at(monday, "11:50"));
    assert_eq!(
        first["learners"],
        json!([{ "status": "apprentice", "headcount": 4 }, { "status": "school", "headcount": 7 }])
    );
    let second = usage_of(&app, &c, &ids[1]).await.expect(200).json();
    assert_eq!(second["no_show"], true);
    assert_eq!(second["learners"], json!([]));
    assert_eq!(second["actual_start"], Value::Null);
    let third = usage_of(&app, &c, &ids[2]).await.expect(200).json();
    assert_eq!(third["hours_used"], 3.0);
    assert_eq!(third["incident"], true);
    assert_eq!(third["incident_note"], "Brûlure légère, soins sur place");
    assert_eq!(
        third["learners"],
        json!([{ "status": "continuing_education", "headcount": 10 }])
    );

    // The page says so, and shows each record.
    let page = browse(&app, &mut manager, Method::GET, &location(&posted), "").await;
    assert!(
        page.text
            .contains("L&#x27;usage de 3 séances est enregistré.")
            || page
                .text
                .contains("L&#39;usage de 3 séances est enregistré."),
        "{}",
        page.text
    );
    assert!(page.text.contains("Aucune séance à saisir."));
    assert!(page
        .text
        .contains("Saisi : Tenue de 08:10 à 11:50 · 7 scolaires, 4 apprentis"));
    assert!(
        page.text
            .contains("Saisi : Absence : personne n&#x27;est venu.")
            || page
                .text
                .contains("Saisi : Absence : personne n&#39;est venu.")
    );
    assert!(page
        .text
        .contains("incident : Brûlure légère, soins sur place"));
    assert!(
        !page.text.contains("value=\"a-saisir\""),
        "a record is corrected, not undone"
    );

    // A correction of one session: only it is written, its history keeps the first record.
    let csrf = csrf_of(&page);
    let mut same = vec![pair("csrf", &csrf)];
    for (k, v) in [
        ("etat", "tenue"),
        ("debut", "08:10"),
        ("fin", "11:50"),
        ("effectif-school", "8"),
        ("effectif-apprentice", "4"),
    ] {
        same.push(pair(&format!("{k}-{}", ids[0]), v));
    }
    // The third as it stands: unchanged, not written again.
    for (k, v) in [
        ("etat", "tenue"),
        ("debut", "08:00"),
        ("fin", "11:00"),
        ("effectif-continuing_education", "10"),
        ("incident", "oui"),
        ("note", "Brûlure légère, soins sur place"),
    ] {
        same.push(pair(&format!("{k}-{}", ids[2]), v));
    }
    let posted = browse(&app, &mut manager, Method::POST, &path, &form(&same)).await;
    assert_eq!(posted.status, StatusCode::SEE_OTHER, "{}", posted.text);
    assert_eq!(location(&posted), format!("{path}&enregistrees=1"));
    let first = usage_of(&app, &c, &ids[0]).await.expect(200).json();
    assert_eq!(
        first["learners"][1],
        json!({ "status": "school", "headcount": 8 })
    );
    let history = app
        .get(&format!("/api/v1/bookings/{}/history", ids[0]), &c.manager)
        .await
        .expect(200)
        .json();
    let actions: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .filter(|a| a.starts_with("usage"))
        .collect();
    assert_eq!(actions, ["usage_recorded", "usage_corrected"]);
    // Posted again as it stands: nothing written, and the page says so.
    let posted = browse(&app, &mut manager, Method::POST, &path, &form(&same)).await;
    assert_eq!(location(&posted), format!("{path}&enregistrees=0"));
    let page = browse(&app, &mut manager, Method::GET, &location(&posted), "").await;
    assert!(
        page.text
            .contains("Aucune séance n&#x27;a changé : rien n&#x27;a été enregistré.")
            || page
                .text
                .contains("Aucune séance n&#39;a changé : rien n&#39;a été enregistré."),
        "{}",
        page.text
    );
    let history = app
        .get(&format!("/api/v1/bookings/{}/history", ids[2]), &c.manager)
        .await
        .expect(200)
        .json();
    assert_eq!(
        history
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == "usage_corrected")
            .count(),
        0,
        "an unchanged session is not written again"
    );
}

async fn bad_rows_are_refused_next_to_their_fields(app: TestApp) {
    let app = &app;
    let c = support::campus(app).await;
    let monday = past_monday();
    let ids = past_sessions(
        app,
        &c,
        monday,
        &[(1, "08:00", "12:00"), (2, "08:00", "12:00")],
    )
    .await;
    let mut manager = Jar::default();
    log_in(app, &mut manager, "manager@campus.test", PASSWORD).await;
    let path = format!(
        "/plateaux/{}/suivi?semaine={}",
        c.platform_id,
        iso_week(monday)
    );
    let page = browse(app, &mut manager, Method::GET, &path, "").await;
    let csrf = csrf_of(&page);
    let row = |id: &str, start: &str, end: &str, school: &str, note: &str| {
        let mut fields = vec![
            pair(&format!("etat-{id}"), "tenue"),
            pair(&format!("debut-{id}"), start),
            pair(&format!("fin-{id}"), end),
            pair(&format!("effectif-school-{id}"), school),
        ];
        if !note.is_empty() {
            fields.push(pair(&format!("incident-{id}"), "oui"));
            fields.push(pair(&format!("note-{id}"), note));
        }
        fields
    };
    let post = |fields: Vec<(String, String)>| {
        let mut all = vec![pair("csrf", &csrf)];
        all.extend(fields);
        let body = form(&all);
        let path = path.clone();
        let mut jar = manager.clone();
        async move { browse(app, &mut jar, Method::POST, &path, &body).await }
    };

    // An end before its start and a negative headcount, in two rows of one form.
    let mut fields = row(&ids[0], "10:00", "09:00", "8", "");
    fields.extend(row(&ids[1], "08:00", "12:00", "-3", ""));
    let refused = post(fields).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text
    );
    assert!(
        refused
            .text
            .contains("2 séances sont à corriger : rien n&#x27;a été enregistré.")
            || refused
                .text
                .contains("2 séances sont à corriger : rien n&#39;a été enregistré."),
        "{}",
        refused.text
    );
    assert!(refused
        .text
        .contains(&format!("href=\"#seance-{}\"", ids[0])));
    let end_error = format!(
        "<p class=\"alert\" role=\"alert\" id=\"erreur-fin-{}\">La fin doit suivre le début, sept jours au plus après.</p>",
        ids[0]
    );
    assert!(refused.text.contains(&end_error), "{}", refused.text);
    assert!(refused.text.contains(&format!(
        "name=\"fin-{}\" type=\"time\" value=\"09:00\" aria-invalid=\"true\" aria-describedby=\"erreur-fin-{}\"",
        ids[0], ids[0]
    )), "the end kept as typed, marked and described");
    assert!(
        refused.text.contains(&format!(
            "id=\"erreur-effectif-school-{}\">Doit être compris entre 1 et 1000.</p>",
            ids[1]
        )),
        "{}",
        refused.text
    );
    assert!(
        refused.text.contains("value=\"-3\""),
        "the headcount kept as typed"
    );
    assert_eq!(app.count("booking_usages").await, 0, "nothing stored");

    // A note too long for an incident; the other row valid: nothing stored either.
    let mut fields = row(&ids[0], "08:00", "12:00", "8", &"x".repeat(4001));
    fields.extend(row(&ids[1], "08:00", "12:00", "8", ""));
    let refused = post(fields).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.text.contains(&format!(
            "id=\"erreur-note-{}\">Doit compter au plus 4000 caractères.</p>",
            ids[0]
        )),
        "{}",
        refused.text
    );
    assert!(refused.text.contains("Une séance est à corriger"));
    assert_eq!(app.count("booking_usages").await, 0);

    // An hour that is not one, and a headcount that is not a number.
    let fields = row(&ids[0], "huit heures", "12:00", "beaucoup", "");
    let refused = post(fields).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text.contains(&format!(
        "id=\"erreur-debut-{}\">Indiquez une heure, par exemple 08:30.</p>",
        ids[0]
    )));
    assert!(refused.text.contains(&format!(
        "id=\"erreur-effectif-school-{}\">Indiquez un nombre entier de personnes.</p>",
        ids[0]
    )));
    assert!(refused.text.contains("value=\"huit heures\""));

    // Refused when written (the session ran three hours late), the valid row with it: the
    // error next to the late row's end.
    let mut fields = row(&ids[0], "08:00", "12:00", "8", "");
    fields.extend(row(&ids[1], "08:00", "15:00", "8", ""));
    let refused = post(fields).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text
    );
    assert!(
        refused.text.contains(&format!(
            "id=\"erreur-fin-{}\">La fin réelle suit de plus de 2 h la fin réservée.</p>",
            ids[1]
        )),
        "{}",
        refused.text
    );
    assert_eq!(app.count("booking_usages").await, 0, "all or nothing");

    // Without its token: refused, nothing stored.
    let body = form(&row(&ids[0], "08:00", "12:00", "8", ""));
    let mut jar = manager.clone();
    let refused = browse(app, &mut jar, Method::POST, &path, &body).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.text.contains("Ce formulaire a expiré"));
    let mut forged = vec![pair("csrf", &"0".repeat(64))];
    forged.extend(row(&ids[0], "08:00", "12:00", "8", ""));
    let refused = browse(app, &mut jar, Method::POST, &path, &form(&forged)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(app.count("booking_usages").await, 0);

    // Corrected: both stored at once.
    let mut fields = row(&ids[0], "08:00", "12:00", "8", "");
    fields.extend(row(&ids[1], "08:00", "12:00", "6", ""));
    let done = post(fields).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text);
    assert_eq!(app.count("booking_usages").await, 2);
}

async fn a_machine_put_in_maintenance(app: TestApp) {
    let c = support::campus(&app).await;
    // The teacher may use the booth, and books it next Wednesday morning.
    app.post(
        &format!("/api/v1/users/{}/qualifications", c.teacher_id),
        &c.manager,
        json!({ "qualification_id": c.qualification_id, "awarded_on": today().to_string() }),
    )
    .await
    .expect(200);
    let wednesday = next(Weekday::Wed, 7);
    let booked = app
        .post("/api/v1/bookings", &c.teacher, json!({
            "equipment_id": c.equipment_id, "starts_at": at(wednesday, "08:00"), "ends_at": at(wednesday, "10:00"),
            "group_label": "BTS CPRP 1", "learners": [{ "status": "school", "headcount": 1 }],
        }))
        .await
        .expect(201)
        .json();
    let booked_id = booked["id"].as_str().unwrap().to_owned();

    let mut manager = Jar::default();
    log_in(&app, &mut manager, "manager@campus.test", PASSWORD).await;
    let path = format!(
        "/plateaux/{}/suivi/maintenance?semaine={}",
        c.platform_id,
        iso_week(wednesday)
    );
    let page = browse(
        &app,
        &mut manager,
        Method::GET,
        &format!(
            "/plateaux/{}/suivi?semaine={}",
            c.platform_id,
            iso_week(wednesday)
        ),
        "",
    )
    .await;
    assert!(page
        .text
        .contains("Aucune maintenance prévue cette semaine."));
    assert!(
        page.text.contains(">à venir</span>"),
        "the booking to come, without a form"
    );
    let csrf = csrf_of(&page);
    let day = wednesday.format("%Y-%m-%d").to_string();
    let fields = |from: &str, to: &str, reason: &str, force: bool| {
        let mut fields = vec![
            pair("csrf", &csrf),
            pair("equipement", &c.equipment_id),
            pair("debut", &format!("{day}T{from}")),
            pair("fin", &format!("{day}T{to}")),
            pair("motif", reason),
        ];
        if force {
            fields.push(pair("annuler", "oui"));
        }
        form(&fields)
    };

    // An end before its start, an empty reason: next to their fields, as typed.
    let refused = browse(
        &app,
        &mut manager,
        Method::POST,
        &path,
        &fields("12:00", "07:00", " ", false),
    )
    .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text
    );
    assert!(
        refused
            .text
            .contains("id=\"erreur-fin-maintenance\">La fin doit suivre le début.</p>"),
        "{}",
        refused.text
    );
    assert!(
        refused
            .text
            .contains("id=\"erreur-motif-maintenance\">Ne doit pas être vide.</p>"),
        "{}",
        refused.text
    );
    assert!(refused.text.contains(&format!("value=\"{day}T12:00\"")));
    assert!(refused
        .text
        .contains(&format!("<option value=\"{}\" selected>", c.equipment_id)));
    // An item of another platform is no choice here.
    let other = app
        .post("/api/v1/equipment", &c.admin, json!({
            "platform_id": c.other_platform_id, "name": "Tour CN", "kind": "tour", "inventory_number": "MON-USI-001",
        }))
        .await
        .expect(201)
        .json();
    let forged = fields("07:00", "12:00", "Révision", false)
        .replace(&c.equipment_id, other["id"].as_str().unwrap());
    let refused = browse(&app, &mut manager, Method::POST, &path, &forged).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused
        .text
        .contains("id=\"erreur-equipement\">Choisissez un équipement de ce plateau.</p>"));
    assert_eq!(app.count("maintenance_windows").await, 0);

    // Over the booking: refused, the booking named, nothing created.
    let refused = browse(
        &app,
        &mut manager,
        Method::POST,
        &path,
        &fields("07:00", "12:00", "Changement de torche", false),
    )
    .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.text);
    assert!(
        refused
            .text
            .contains("Une réservation tombe dans cette période : rien n&#x27;a été créé.")
            || refused
                .text
                .contains("Une réservation tombe dans cette période : rien n&#39;a été créé."),
        "{}",
        refused.text
    );
    let line = format!(
        "BTS CPRP 1 (Lycée La Découverte) sur « Cabine TIG 1 », {}, 08:00 – 10:00",
        plateaux::views::web::format::long_date(wednesday)
    );
    assert!(
        refused.text.contains(&format!("<li>{line}</li>")),
        "{}",
        refused.text
    );
    assert_eq!(app.count("maintenance_windows").await, 0);
    assert_eq!(
        app.get(&format!("/api/v1/bookings/{booked_id}"), &c.teacher)
            .await
            .expect(200)
            .json()["status"],
        "confirmed"
    );

    // Forced: created, the booking cancelled, both said.
    let done = browse(
        &app,
        &mut manager,
        Method::POST,
        &path,
        &fields("07:00", "12:00", "Changement de torche", true),
    )
    .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    let when = plateaux::views::web::format::long_date(wednesday);
    assert!(done.text.contains(&format!(
        "« Cabine TIG 1 » est en maintenance du {when} à 07:00 au {when} à 12:00 (Changement de torche). Une réservation a été annulée"
    )), "{}", done.text);
    assert!(done.text.contains("BTS CPRP 1"));
    assert!(
        done.text.contains(&format!(
        "<strong>Cabine TIG 1</strong> du {when} à 07:00 au {when} à 12:00 : Changement de torche"
    )),
        "the window shown in the week: {}",
        done.text
    );
    let windows = app
        .get(
            &format!(
                "/api/v1/maintenance-windows?equipment_id={}",
                c.equipment_id
            ),
            &c.manager,
        )
        .await
        .expect(200)
        .json();
    assert_eq!(windows["items"].as_array().unwrap().len(), 1);
    assert_eq!(windows["items"][0]["reason"], "Changement de torche");
    assert_eq!(windows["items"][0]["starts_at"], at(wednesday, "07:00"));
    assert_eq!(
        app.get(&format!("/api/v1/bookings/{booked_id}"), &c.teacher)
            .await
            .expect(200)
            .json()["status"],
        "cancelled"
    );
}

on_both_databases!(
    only_the_platform_managers_see_it,
    a_week_of_usage_recorded_and_corrected_in_one_form,
    bad_rows_are_refused_next_to_their_fields,
    a_machine_put_in_maintenance,
);
