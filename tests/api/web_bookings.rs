//! The booking pages through HTTP on both databases: « Mes réservations » (cancelling, the
//! calendar feed) and « Validations » (approve or reject in one step, with and without htmx).
//! Their writes are the API's use cases: the same refusals, the same results.

use actix_web::http::{header, Method, StatusCode};
use actix_web::test::TestRequest;
use chrono::Weekday;
use serde_json::Value;

use crate::on_both_databases;
use crate::support::dates::next;
use crate::support::{self, station_booking, Reply, TestApp, PASSWORD};
use crate::web::{browse, csrf_of, log_in, Jar};

async fn status_of(app: &TestApp, id: &str, status: &str) -> bool {
    app.count_sql(format!(
        "SELECT COUNT(*) AS n FROM bookings WHERE id = '{id}' AND status = '{status}'"
    ))
    .await
        == 1
}

fn id_of(booking: &Value) -> String {
    booking["id"].as_str().unwrap().to_owned()
}

async fn my_bookings_list_cancel_and_subscribe(app: TestApp) {
    let c = support::campus(&app).await;
    let tuesday = next(Weekday::Tue, 7);
    let mut body = station_booking(&c.platform_id, tuesday, "08:00", "10:00");
    body["purpose"] = "Usinage de la pièce d'examen".into();
    let booking = app
        .post("/api/v1/bookings", &c.teacher, body)
        .await
        .expect(201)
        .json();
    let id = id_of(&booking);

    // Observers see no bookings: the page is out of their scope, answered as unknown.
    let mut observer = Jar::default();
    log_in(&app, &mut observer, "copil@campus.test", PASSWORD).await;
    let page = browse(&app, &mut observer, Method::GET, "/reservations", "").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.text.contains("<h1>Page introuvable</h1>"));
    assert!(
        !page.text.contains("href=\"/reservations\""),
        "no link to it"
    );

    let mut jar = Jar::default();
    log_in(&app, &mut jar, "teacher@campus.test", PASSWORD).await;
    let page = browse(&app, &mut jar, Method::GET, "/reservations", "").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(page.text.contains("CAP RICS 1"));
    assert!(
        page.text.contains("Usinage de la pièce d&#x27;examen")
            || page.text.contains("Usinage de la pièce d&#39;examen"),
        "{}",
        page.text
    );
    let day = plateaux::views::web::format::long_date(tuesday);
    assert!(
        page.text.contains(&format!("{day}, 08:00 – 10:00")),
        "the date in French, the campus's times: {}",
        page.text
    );
    assert!(page.text.contains("2 postes") && page.text.contains("2 scolaires"));
    assert!(page.text.contains(">confirmée<"), "the status in French");
    assert!(page.text.contains("aria-current=\"page\">Mes réservations"));
    let csrf = csrf_of(&page);
    let cancel = format!("/reservations/{id}/annulation");

    // Without its token: refused, nothing changed.
    let refused = browse(&app, &mut jar, Method::POST, &cancel, "motif=x").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    // Without a reason: the API's refusal next to the field, the page as it was.
    let refused = browse(
        &app,
        &mut jar,
        Method::POST,
        &cancel,
        &format!("csrf={csrf}&motif=+"),
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .text
            .contains(&format!("id=\"erreur-{id}\">Indiquez le motif.</p>")),
        "{}",
        refused.text
    );
    assert!(refused.text.contains("aria-invalid=\"true\""));
    assert!(status_of(&app, &id, "confirmed").await);

    // Another lycée's teacher cannot reach it: the 404 page, nothing changed.
    let mut other = Jar::default();
    log_in(&app, &mut other, "teacher@monteil.test", PASSWORD).await;
    let page = browse(&app, &mut other, Method::GET, "/reservations", "").await;
    assert!(!page.text.contains("CAP RICS 1"), "not another's booking");
    let foreign = browse(
        &app,
        &mut other,
        Method::POST,
        &cancel,
        &format!("csrf={}&motif=Pas+la+mienne", csrf_of(&page)),
    )
    .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    assert!(foreign.text.contains("<h1>Page introuvable</h1>"));
    assert!(status_of(&app, &id, "confirmed").await);

    // With a reason: cancelled, back to the list, which says so.
    let done = browse(
        &app,
        &mut jar,
        Method::POST,
        &cancel,
        &format!("csrf={csrf}&motif=Sortie+scolaire"),
    )
    .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(
        done.headers.get(header::LOCATION).unwrap(),
        "/reservations?fait=annulation"
    );
    assert!(status_of(&app, &id, "cancelled").await);
    assert_eq!(
        app.count_sql(format!(
            "SELECT COUNT(*) AS n FROM bookings WHERE id = '{id}' AND status_reason = 'Sortie scolaire'"
        ))
        .await,
        1
    );
    let page = browse(
        &app,
        &mut jar,
        Method::GET,
        "/reservations?fait=annulation",
        "",
    )
    .await;
    assert!(page.text.contains("La réservation est annulée."));
    assert!(page.text.contains(">annulée<"));
    assert!(
        !page.text.contains(&format!("action=\"{cancel}\"")),
        "a cancelled booking has nothing left to cancel"
    );

    // The calendar feed: one token of one's own bookings, its address shown once, and it works.
    let page = browse(
        &app,
        &mut jar,
        Method::POST,
        "/reservations/agenda",
        &format!("csrf={csrf}"),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(app.count("calendar_tokens").await, 1);
    let start = page
        .text
        .find("/api/v1/calendar/")
        .expect("the feed's address");
    let end = start + page.text[start..].find('"').unwrap();
    let feed = page.text[start..end].to_owned();
    let ics: Reply = app
        .send_unchecked(TestRequest::get().uri(&feed).to_request())
        .await;
    assert_eq!(ics.status, StatusCode::OK);
    assert!(ics.text.contains("BEGIN:VCALENDAR"));
    let again = browse(&app, &mut jar, Method::GET, "/reservations", "").await;
    assert!(!again.text.contains("/api/v1/calendar/"), "shown only once");
}

async fn managers_approve_and_reject_in_one_step(app: TestApp) {
    let c = support::campus(&app).await;
    let friday = next(Weekday::Fri, 7);
    let mut ids = Vec::new();
    for (from, to) in [("08:00", "10:00"), ("10:00", "12:00"), ("13:30", "15:30")] {
        let booking = app
            .post(
                "/api/v1/bookings",
                &c.other_teacher,
                station_booking(&c.platform_id, friday, from, to),
            )
            .await
            .expect(201)
            .json();
        assert_eq!(booking["status"], "pending");
        ids.push(id_of(&booking));
    }

    // Teachers give no approvals: the page is out of their scope.
    let mut teacher = Jar::default();
    log_in(&app, &mut teacher, "teacher@campus.test", PASSWORD).await;
    let page = browse(&app, &mut teacher, Method::GET, "/validations", "").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.text.contains("<h1>Page introuvable</h1>"));
    let post = browse(
        &app,
        &mut teacher,
        Method::POST,
        &format!("/validations/{}", ids[0]),
        &format!("csrf={}&decision=approuver", csrf_of(&page)),
    )
    .await;
    assert_eq!(post.status, StatusCode::NOT_FOUND);
    assert!(status_of(&app, &ids[0], "pending").await);

    let mut jar = Jar::default();
    log_in(&app, &mut jar, "manager@campus.test", PASSWORD).await;
    let page = browse(&app, &mut jar, Method::GET, "/validations", "").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(
        page.text.contains("3 réservations en attente"),
        "{}",
        page.text
    );
    assert!(page.text.contains("Lycée") || page.text.contains("demandée par"));
    let csrf = csrf_of(&page);

    // Approving without JavaScript: back to the list, one fewer.
    let done = browse(
        &app,
        &mut jar,
        Method::POST,
        &format!("/validations/{}", ids[0]),
        &format!("csrf={csrf}&decision=approuver&motif="),
    )
    .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert!(status_of(&app, &ids[0], "confirmed").await);
    let page = browse(&app, &mut jar, Method::GET, "/validations", "").await;
    assert!(page.text.contains("2 réservations en attente"));
    assert!(!page.text.contains(&ids[0]));

    // Rejecting needs a reason: said next to the field, what was typed is kept.
    let refused = browse(
        &app,
        &mut jar,
        Method::POST,
        &format!("/validations/{}", ids[1]),
        &format!("csrf={csrf}&decision=refuser&motif=++"),
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused
        .text
        .contains(&format!("id=\"erreur-{}\">Indiquez le motif.</p>", ids[1])));
    assert!(status_of(&app, &ids[1], "pending").await);

    // With htmx: only the line comes back, with the refusal or the decision.
    let htmx = |id: &str, form: String| {
        let mut req = TestRequest::post()
            .uri(&format!("/validations/{id}"))
            .peer_addr("127.0.0.1:4000".parse().unwrap())
            .insert_header(("HX-Request", "true"))
            .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"))
            .set_payload(form);
        let cookies: Vec<String> = ["plateaux_session"]
            .iter()
            .filter_map(|n| jar.get(n).map(|v| format!("{n}={v}")))
            .collect();
        req = req.insert_header((header::COOKIE, cookies.join("; ")));
        req.to_request()
    };
    let line = app
        .send_unchecked(htmx(
            &ids[1],
            format!("csrf={csrf}&decision=refuser&motif="),
        ))
        .await;
    assert_eq!(line.status, StatusCode::OK);
    assert!(
        line.text
            .starts_with(&format!("<li class=\"card\" id=\"validation-{}\">", ids[1])),
        "{}",
        line.text
    );
    assert!(!line.text.contains("<html"), "a fragment");
    assert!(line.text.contains("Indiquez le motif."));
    assert!(status_of(&app, &ids[1], "pending").await);
    let line = app
        .send_unchecked(htmx(
            &ids[1],
            format!("csrf={csrf}&decision=refuser&motif=Atelier+ferm%C3%A9+ce+jour-l%C3%A0"),
        ))
        .await;
    assert_eq!(line.status, StatusCode::OK);
    assert!(line.text.contains("Réservation refusée."), "{}", line.text);
    assert!(status_of(&app, &ids[1], "rejected").await);
    let line = app
        .send_unchecked(htmx(&ids[2], format!("csrf={csrf}&decision=approuver")))
        .await;
    assert!(
        line.text.contains("Réservation confirmée."),
        "{}",
        line.text
    );
    assert!(status_of(&app, &ids[2], "confirmed").await);

    // A second decision on a decided booking: the API's refusal, in French.
    let again = browse(
        &app,
        &mut jar,
        Method::POST,
        &format!("/validations/{}", ids[2]),
        &format!("csrf={csrf}&decision=refuser&motif=Trop+tard"),
    )
    .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(
        again.text.contains("n&#x27;est pas possible")
            || again.text.contains("n&#39;est pas possible"),
        "{}",
        again.text
    );
    assert!(status_of(&app, &ids[2], "confirmed").await);
    let page = browse(&app, &mut jar, Method::GET, "/validations", "").await;
    assert!(
        page.text
            .contains("Aucune réservation n'attend de validation."),
        "{}",
        page.text
    );
}

on_both_databases!(
    my_bookings_list_cancel_and_subscribe,
    managers_approve_and_reject_in_one_step,
);
