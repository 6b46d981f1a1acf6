//! Addresses a hostile visitor types into the pages, through HTTP on both databases: each
//! answers the French error page (400) with a way back, never a 500, a dropped connection
//! or the API's problem document.

use actix_web::http::{Method, StatusCode};

use crate::on_both_databases;
use crate::support::{self, TestApp, PASSWORD};
use crate::web::{browse, log_in, Jar};

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

on_both_databases!(
    weeks_far_out_answer_the_error_page,
    nul_in_a_page_path_answers_the_error_page,
);
