//! The web interface's sessions, CSRF and answers, through HTTP on both databases. These
//! pages are outside the OpenAPI document, so their answers go through `send_unchecked`.
//! The browser's view of the same pages is `web_browser.rs`.

use actix_web::http::{header, Method, StatusCode};
use serde_json::json;

use crate::on_both_databases;
use crate::support::{self, Reply, TestApp, PASSWORD};

pub(crate) use crate::support::web::{browse, csrf_of, log_in, Jar};

fn encoded(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

fn header_of(reply: &Reply, name: header::HeaderName) -> String {
    reply
        .headers
        .get(&name)
        .unwrap_or_else(|| panic!("no {name} header"))
        .to_str()
        .unwrap()
        .to_owned()
}

async fn session_rotates_at_login_and_ends_at_logout(app: TestApp) {
    support::campus(&app).await;
    let mut jar = Jar::default();
    let reply = log_in(&app, &mut jar, "teacher@campus.test", PASSWORD).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text);
    assert_eq!(header_of(&reply, header::LOCATION), "/plateaux");
    let set = reply
        .headers
        .get_all(header::SET_COOKIE)
        .map(|v| v.to_str().unwrap().to_owned())
        .collect::<Vec<_>>();
    let session = set
        .iter()
        .find(|c| c.starts_with("plateaux_session="))
        .expect("a session cookie");
    assert!(
        session.contains("HttpOnly") && session.contains("SameSite=Lax"),
        "{session}"
    );
    assert!(!session.contains("Secure"), "plain http: {session}");
    let first = jar.get("plateaux_session").unwrap();
    assert_eq!(
        app.count_where("web_sessions", "revoked_at IS NULL").await,
        1
    );
    // Only a hash is stored.
    let stored =
        |value: String| format!("SELECT COUNT(*) AS n FROM web_sessions WHERE id_hash = '{value}'");
    assert_eq!(app.count_sql(stored(first.clone())).await, 0);
    assert_eq!(
        app.count_sql(stored(plateaux::auth::token_hash(&first)))
            .await,
        1
    );
    let page = browse(&app, &mut jar, Method::GET, "/plateaux", "").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("(enseignant)"), "the role in French");

    // Logging in again in the same browser: a new id, the old session ended.
    let mut stolen = jar.clone();
    let reply = log_in(&app, &mut jar, "teacher@campus.test", PASSWORD).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    let second = jar.get("plateaux_session").unwrap();
    assert_ne!(first, second);
    let old = browse(&app, &mut stolen, Method::GET, "/plateaux", "").await;
    assert_eq!(
        old.status,
        StatusCode::SEE_OTHER,
        "the first session still works"
    );
    assert!(header_of(&old, header::LOCATION).starts_with("/connexion?suite="));

    // Logging out without the token changes nothing; with it, the session ends.
    let page = browse(&app, &mut jar, Method::GET, "/plateaux", "").await;
    let refused = browse(&app, &mut jar, Method::POST, "/deconnexion", "").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(header_of(&refused, header::CONTENT_TYPE).starts_with("text/html"));
    let refused = browse(
        &app,
        &mut jar,
        Method::POST,
        "/deconnexion",
        &format!("csrf={}", "0".repeat(64)),
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.count_where("web_sessions", "revoked_at IS NULL").await,
        1
    );
    let cookie = jar.get("plateaux_session").unwrap();
    let done = browse(
        &app,
        &mut jar,
        Method::POST,
        "/deconnexion",
        &format!("csrf={}", csrf_of(&page)),
    )
    .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(jar.get("plateaux_session"), None, "the cookie is removed");
    assert_eq!(
        app.count_where("web_sessions", "revoked_at IS NULL").await,
        0
    );
    let mut replayed = Jar(vec![("plateaux_session".into(), cookie)]);
    let after = browse(&app, &mut replayed, Method::GET, "/plateaux", "").await;
    assert_eq!(
        after.status,
        StatusCode::SEE_OTHER,
        "a closed session still works"
    );
}

async fn login_form_needs_its_token_and_shares_the_api_checks(app: TestApp) {
    support::campus(&app).await;
    let mut jar = Jar::default();
    // No token, or the token of another browser: refused, no session.
    let form = format!(
        "email={}&password={PASSWORD}",
        encoded("teacher@campus.test")
    );
    let refused = browse(&app, &mut jar, Method::POST, "/connexion", &form).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let mut other = Jar::default();
    let page = browse(&app, &mut other, Method::GET, "/connexion", "").await;
    let mut mine = Jar::default();
    browse(&app, &mut mine, Method::GET, "/connexion", "").await;
    let refused = browse(
        &app,
        &mut mine,
        Method::POST,
        "/connexion",
        &format!("csrf={}&{form}", csrf_of(&page)),
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(app.count("web_sessions").await, 0);

    // A wrong password: the API's refusal, in French, the e-mail kept.
    let reply = log_in(&app, &mut jar, "teacher@campus.test", "pas le bon").await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert!(reply
        .text
        .contains("Adresse e-mail ou mot de passe incorrect."));
    assert!(reply.text.contains("value=\"teacher@campus.test\""));
}

/// With the service's own limits: the failures count for the account as the API's do;
/// after five, even the right password is refused for a while, through either door.
async fn web_logins_share_the_api_limits(app: TestApp) {
    support::campus(&app).await;
    let mut jar = Jar::default();
    for _ in 0..5 {
        log_in(&app, &mut jar, "teacher@campus.test", "pas le bon").await;
    }
    let locked = log_in(&app, &mut jar, "teacher@campus.test", PASSWORD).await;
    assert_eq!(
        locked.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        locked.text
    );
    assert!(locked.headers.contains_key(header::RETRY_AFTER));
    let api = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"email": "teacher@campus.test", "password": PASSWORD})),
            &[],
        )
        .await;
    api.problem(429, "too_many_failures");
    assert_eq!(app.count("web_sessions").await, 0);
}

async fn deactivating_an_account_ends_its_browser_sessions(app: TestApp) {
    let campus = support::campus(&app).await;
    let mut jar = Jar::default();
    log_in(&app, &mut jar, "teacher@campus.test", PASSWORD).await;
    assert_eq!(
        browse(&app, &mut jar, Method::GET, "/plateaux", "")
            .await
            .status,
        StatusCode::OK
    );
    app.patch(
        &format!("/api/v1/users/{}", campus.teacher_id),
        &campus.admin,
        json!({"active": false}),
    )
    .await
    .expect(200);
    let after = browse(&app, &mut jar, Method::GET, "/plateaux", "").await;
    assert_eq!(after.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.count_where("web_sessions", "revoked_at IS NULL").await,
        0
    );
}

async fn pages_out_of_scope_answer_the_not_found_page(app: TestApp) {
    let campus = support::campus(&app).await;
    let mut jar = Jar::default();
    let unknown = browse(&app, &mut jar, Method::GET, "/nulle-part", "").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(header_of(&unknown, header::CONTENT_TYPE).starts_with("text/html"));
    assert!(unknown.text.contains("<h1>Page introuvable</h1>"));
    // The API keeps its problem documents.
    let api = browse(&app, &mut jar, Method::GET, "/api/v1/nulle-part", "").await;
    assert_eq!(api.status, StatusCode::NOT_FOUND);
    assert!(header_of(&api, header::CONTENT_TYPE).starts_with("application/problem+json"));

    log_in(&app, &mut jar, "contact@cele.test", PASSWORD).await;
    let own = browse(
        &app,
        &mut jar,
        Method::GET,
        &format!("/plateaux/{}", campus.platform_id),
        "",
    )
    .await;
    assert_eq!(own.status, StatusCode::OK);
    for path in [
        format!("/plateaux/{}", uuid::Uuid::now_v7()),
        "/plateaux/pas-un-identifiant".to_owned(),
    ] {
        let reply = browse(&app, &mut jar, Method::GET, &path, "").await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
        assert!(reply.text.contains("<h1>Page introuvable</h1>"), "{path}");
    }
    let bad_week = browse(
        &app,
        &mut jar,
        Method::GET,
        &format!("/plateaux/{}?semaine=mardi", campus.platform_id),
        "",
    )
    .await;
    assert_eq!(bad_week.status, StatusCode::BAD_REQUEST);
    assert!(bad_week.text.contains("2027-W10"));
}

async fn pages_are_french_and_assets_cache_busted(app: TestApp) {
    let mut jar = Jar::default();
    let page = browse(&app, &mut jar, Method::GET, "/", "").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("<html lang=\"fr\">"));
    let policy = header_of(&page, header::CONTENT_SECURITY_POLICY);
    assert!(
        policy.starts_with("default-src 'self'") && !policy.contains("unsafe"),
        "{policy}"
    );
    assert!(
        !page.text.contains("style="),
        "an inline style breaks the policy"
    );
    let css = page
        .text
        .split('"')
        .find(|s| s.starts_with("/static/") && s.ends_with("/app.css"))
        .expect("the style sheet's path")
        .to_owned();
    let sheet = browse(&app, &mut jar, Method::GET, &css, "").await;
    assert_eq!(sheet.status, StatusCode::OK);
    assert_eq!(
        header_of(&sheet, header::CACHE_CONTROL),
        "public, max-age=31536000, immutable"
    );
    assert!(header_of(&sheet, header::CONTENT_TYPE).starts_with("text/css"));
    let stale = browse(
        &app,
        &mut jar,
        Method::GET,
        "/static/0000000000000000/app.css",
        "",
    )
    .await;
    assert_eq!(stale.status, StatusCode::NOT_FOUND);
}

mod web_logins_share_the_api_limits {
    use crate::support::{Backend, TestApp};

    #[actix_web::test]
    async fn sqlite() {
        super::web_logins_share_the_api_limits(
            TestApp::with_production_limits(Backend::Sqlite).await,
        )
        .await
    }

    #[actix_web::test]
    async fn postgres() {
        super::web_logins_share_the_api_limits(
            TestApp::with_production_limits(Backend::Postgres).await,
        )
        .await
    }
}

/// Pages are compressed, so the CSRF token in a page is masked afresh at every response
/// (a compressed page that also reflects typed text must not let its length give the token
/// away): two pages carry different tokens, and each is accepted; a token of another
/// session, masked or not, is not.
async fn csrf_tokens_change_at_every_page_and_each_works(app: TestApp) {
    support::campus(&app).await;
    let mut jar = Jar::default();
    log_in(&app, &mut jar, "teacher@campus.test", PASSWORD).await;
    let first = browse(&app, &mut jar, Method::GET, "/plateaux?texte=a", "").await;
    let second = browse(&app, &mut jar, Method::GET, "/plateaux?texte=a", "").await;
    let (first, second) = (csrf_of(&first), csrf_of(&second));
    assert_ne!(first, second, "the token is masked afresh");
    assert_eq!(first.len(), 128, "{first}");

    let mut other = Jar::default();
    log_in(&app, &mut other, "manager@campus.test", PASSWORD).await;
    let theirs = csrf_of(&browse(&app, &mut other, Method::GET, "/plateaux", "").await);
    let refused = browse(
        &app,
        &mut jar,
        Method::POST,
        "/deconnexion",
        &format!("csrf={theirs}"),
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    // The older of the two pages' tokens still works.
    let done = browse(
        &app,
        &mut jar,
        Method::POST,
        "/deconnexion",
        &format!("csrf={first}"),
    )
    .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(jar.get("plateaux_session"), None);
}

on_both_databases!(
    csrf_tokens_change_at_every_page_and_each_works,
    session_rotates_at_login_and_ends_at_logout,
    login_form_needs_its_token_and_shares_the_api_checks,
    deactivating_an_account_ends_its_browser_sessions,
    pages_out_of_scope_answer_the_not_found_page,
    pages_are_french_and_assets_cache_busted,
);
