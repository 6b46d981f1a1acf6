//! Addresses a hostile visitor types into the pages, through HTTP on both databases: each
//! answers the French error page (400) with a way back, never a 500, a dropped connection
//! or the API's problem document.

use actix_web::http::{Method, StatusCode};

use crate::on_both_databases;
use crate::support::{self, TestApp, PASSWORD};
use crate::web::{browse, csrf_of, log_in, Jar};

fn form(pairs: &[(&str, &str)]) -> String {
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        form.append_pair(k, v);
    }
    form.finish()
}

fn is_the_error_page(path: &str, page: &support::Reply, says: &str) {
    assert_eq!(
        page.status,
        StatusCode::BAD_REQUEST,
        "{path}: {}",
        page.text
    );
    assert!(
        page.content_type().starts_with("text/html"),
        "{path}: {}",
        page.content_type()
    );
    assert!(
        page.text.contains("<h1>Requête incorrecte</h1>"),
        "{path}: {}",
        page.text
    );
    assert!(page.text.contains(says), "{path}: {}", page.text);
    assert!(page.text.contains("href=\"/\""), "{path}: a way back");
}

/// A week whose year is far out (`262143-W01`, `0000-W01`) is refused on the week view and
/// on the manager's follow-up, as a misspelt one is; the years around ours still show.
async fn weeks_far_out_answer_the_error_page(app: TestApp) {
    let c = support::campus(&app).await;
    let mut manager = Jar::default();
    log_in(&app, &mut manager, "manager@campus.test", PASSWORD).await;
    for page in [
        format!("/plateaux/{}", c.platform_id),
        format!("/plateaux/{}/suivi", c.platform_id),
    ] {
        for week in [
            "262143-W01",
            "262142-W52",
            "100000-W01",
            "0000-W01",
            "-0001-W52",
        ] {
            let path = format!("{page}?semaine={week}");
            let reply = browse(&app, &mut manager, Method::GET, &path, "").await;
            is_the_error_page(&path, &reply, "2027-W10");
        }
        for week in ["2027-W10", "9998-W52", "1000-W01"] {
            let path = format!("{page}?semaine={week}");
            let reply = browse(&app, &mut manager, Method::GET, &path, "").await;
            assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.text);
        }
    }
}

/// A NUL character in a page's path answers the French error page, as one in its query
/// string does; the API keeps its problem document.
async fn nul_in_a_page_path_answers_the_error_page(app: TestApp) {
    let c = support::campus(&app).await;
    let mut teacher = Jar::default();
    log_in(&app, &mut teacher, "teacher@campus.test", PASSWORD).await;
    for path in [
        format!("/plateaux/{}%00", c.platform_id),
        "/reservations/%00".to_owned(),
        "/demandes/a%00b".to_owned(),
        "/confirmation/%00".to_owned(),
        "/mot-de-passe-oublie/%FF%00".to_owned(),
        "/nulle-part%00".to_owned(),
    ] {
        let reply = browse(&app, &mut teacher, Method::GET, &path, "").await;
        is_the_error_page(&path, &reply, "NUL");
    }
    let api = browse(&app, &mut teacher, Method::GET, "/api/v1/platforms/%00", "").await;
    assert_eq!(api.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(api.content_type().starts_with("application/problem+json"));
}

/// A machine put in maintenance from the year 0 to the year 9999, or a request wished for
/// those years: the form again with the refusal next to the date, nothing stored.
async fn dates_far_out_are_refused_next_to_their_field(app: TestApp) {
    let c = support::campus(&app).await;
    let mut manager = Jar::default();
    log_in(&app, &mut manager, "manager@campus.test", PASSWORD).await;
    let page = browse(
        &app,
        &mut manager,
        Method::GET,
        &format!("/plateaux/{}/suivi", c.platform_id),
        "",
    )
    .await;
    let csrf = csrf_of(&page);
    for (from, to) in [
        ("0000-01-01T08:00", "2027-03-08T10:00"),
        ("2027-03-08T08:00", "9999-12-31T10:00"),
        ("+262142-01-01T08:00", "+262143-01-01T10:00"),
    ] {
        let reply = browse(
            &app,
            &mut manager,
            Method::POST,
            &format!("/plateaux/{}/suivi/maintenance", c.platform_id),
            &form(&[
                ("csrf", &csrf),
                ("equipement", &c.equipment_id),
                ("debut", from),
                ("fin", to),
                ("motif", "Révision"),
            ]),
        )
        .await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{from} – {to}: {}",
            reply.text
        );
        assert!(
            reply.text.contains("Indiquez une date et une heure"),
            "{from} – {to}: {}",
            reply.text
        );
    }
    assert_eq!(app.count("maintenance_windows").await, 0);

    let mut visitor = Jar::default();
    let page = browse(&app, &mut visitor, Method::GET, "/demandes/nouvelle", "").await;
    let csrf = csrf_of(&page);
    for (from, to) in [("0000-01-01", "2027-03-08"), ("2027-03-08", "31/12/9999")] {
        let reply = browse(
            &app,
            &mut visitor,
            Method::POST,
            "/demandes/nouvelle",
            &form(&[
                ("csrf", &csrf),
                ("company_name", "Moules et Composites du Lot"),
                ("siret", "40483304800022"),
                ("contact_name", "Claire Vayssié"),
                ("email", "claire@moules-lot.fr"),
                ("phone", "+33 5 65 00 00 00"),
                ("title", "Prototype de carter en composite"),
                ("description", "Trois pièces en fibre de carbone."),
                ("domains", "composites"),
                ("wished_from", from),
                ("wished_to", to),
            ]),
        )
        .await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{from} – {to}: {}",
            reply.text
        );
        assert!(
            reply.text.contains("Date invalide"),
            "{from} – {to}: {}",
            reply.text
        );
    }
    assert_eq!(app.count("service_requests").await, 0);
}

on_both_databases!(
    weeks_far_out_answer_the_error_page,
    nul_in_a_page_path_answers_the_error_page,
    dates_far_out_are_refused_next_to_their_field,
);
