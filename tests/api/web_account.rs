//! The account pages through HTTP on both databases: « Mot de passe oublié » and its link,
//! the confirmation of an address, « Mon compte » (browser sessions, e-mail preferences,
//! password), and the answers every page shares (a query string that is not UTF-8,
//! compression). Their writes are the API's use cases: the same rules, the same results.

use actix_web::http::{header, Method, StatusCode};
use actix_web::test::TestRequest;
use serde_json::{json, Value};

use crate::on_both_databases;
use crate::support::web::{csrf_of, WebSession};
use crate::support::{self, Reply, TestApp, PASSWORD};

fn encoded(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

fn location(reply: &Reply) -> String {
    reply
        .headers
        .get(header::LOCATION)
        .unwrap_or_else(|| panic!("no Location; {} {}", reply.status, reply.text))
        .to_str()
        .unwrap()
        .to_owned()
}

/// The token of the latest message of `kind` queued to `recipient`, from the facts the
/// outbox keeps until the message is sent (no mail worker runs here).
async fn queued_token(app: &TestApp, kind: &'static str, recipient: &'static str) -> String {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct Payload {
        #[diesel(sql_type = diesel::sql_types::Text)]
        payload: String,
    }
    let pool = app.pool.clone();
    let rows = actix_web::web::block(move || {
        let mut conn = pool.get().expect("connection");
        diesel::sql_query(format!(
            "SELECT payload FROM outbox_messages WHERE kind = '{kind}' AND recipient = '{recipient}' ORDER BY id DESC"
        ))
        .load::<Payload>(&mut **conn)
    })
    .await
    .expect("block")
    .expect("payloads");
    let payload: Value = serde_json::from_str(&rows.first().expect("a message").payload).unwrap();
    let token = payload["token"].as_str().expect("a token").to_owned();
    assert_eq!(token.len(), 64, "{payload}");
    token
}

async fn active(app: &TestApp, email: &str) -> bool {
    app.count_sql(format!(
        "SELECT COUNT(*) AS n FROM users WHERE email = '{email}' AND active = TRUE"
    ))
    .await
        == 1
}

async fn open_sessions(app: &TestApp) -> i64 {
    app.count_where("web_sessions", "revoked_at IS NULL").await
}

/// Whether the browser of `jar` is logged in (the account page answers, or sends to login).
async fn logged_in(jar: &mut WebSession<'_>) -> bool {
    let page = jar.get("/compte").await;
    match page.status {
        StatusCode::OK => true,
        StatusCode::SEE_OTHER => {
            assert!(location(&page).starts_with("/connexion?suite="));
            false
        }
        other => panic!("/compte answered {other}: {}", page.text),
    }
}

/// Forgotten password, from the login page to the new password: the same answer for known
/// and unknown addresses, the link's page, refusals next to their field, every session
/// closed, the link working once.
async fn password_reset_through_the_pages(app: TestApp) {
    support::campus(&app).await;
    // A browser where the teacher is logged in: the reset closes it.
    let mut elsewhere = WebSession::logged_in(&app, "teacher@campus.test", PASSWORD).await;
    assert!(logged_in(&mut elsewhere).await);

    let mut jar = WebSession::new(&app);
    let login = jar.get("/connexion").await;
    assert!(login.text.contains("href=\"/mot-de-passe-oublie\""));
    let page = jar.get("/mot-de-passe-oublie").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page
        .text
        .contains("<label for=\"email\">Adresse e-mail</label>"));
    let csrf = csrf_of(&page);

    // Without its token: refused, nothing asked.
    let refused = jar
        .post("/mot-de-passe-oublie", "email=teacher%40campus.test")
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(app.count("password_resets").await, 0);

    // A malformed address: the API's refusal in French next to the field, what was typed kept.
    let bad = jar
        .post(
            "/mot-de-passe-oublie",
            &format!("csrf={csrf}&email=pas-une-adresse"),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.text
            .contains("id=\"erreur-email\">Adresse e-mail invalide.</p>"),
        "{}",
        bad.text
    );
    assert!(bad.text.contains("value=\"pas-une-adresse\""));
    assert!(bad.text.contains("aria-describedby=\"erreur-email\""));

    // A known and an unknown address: the same answer; only the account gets an e-mail.
    let known = jar
        .post(
            "/mot-de-passe-oublie",
            &format!("csrf={csrf}&email={}", encoded("Teacher@Campus.test")),
        )
        .await;
    let unknown = jar
        .post(
            "/mot-de-passe-oublie",
            &format!("csrf={csrf}&email={}", encoded("personne@campus.test")),
        )
        .await;
    assert_eq!(known.status, StatusCode::SEE_OTHER);
    assert_eq!(unknown.status, known.status);
    assert_eq!(location(&known), "/mot-de-passe-oublie?fait=demande");
    assert_eq!(location(&unknown), location(&known));
    assert_eq!(known.text, unknown.text);
    let receipt = jar.get(&location(&known)).await;
    assert!(receipt.text.contains("role=\"status\""));
    assert!(receipt.text.contains(
        plateaux::usecases::password_resets::RESET_RECEIPT
            .split('\'')
            .next()
            .unwrap()
    ));
    assert_eq!(
        app.count_where("outbox_messages", "kind = 'password_reset'")
            .await,
        1
    );
    assert_eq!(
        app.count_sql(
            "SELECT COUNT(*) AS n FROM outbox_messages WHERE recipient = 'personne@campus.test'"
                .into()
        )
        .await,
        0
    );
    let token = queued_token(&app, "password_reset", "teacher@campus.test").await;
    let link = format!("/mot-de-passe-oublie/{token}");

    // The link's page: the new password twice.
    let page = jar.get(&link).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(page
        .text
        .contains("<label for=\"mot_de_passe\">Nouveau mot de passe</label>"));
    assert!(page.text.contains("<label for=\"mot_de_passe_bis\">"));
    let csrf = csrf_of(&page);
    let form = |first: &str, second: &str| {
        format!(
            "csrf={csrf}&mot_de_passe={}&mot_de_passe_bis={}",
            encoded(first),
            encoded(second)
        )
    };

    // Refusals next to their field; the link still works after them.
    let differ = jar
        .post(&link, &form("nouveau-mot-de-passe", "nouveau-mot-de-passf"))
        .await;
    assert_eq!(differ.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(differ.text.contains(
        "id=\"erreur-mot-de-passe-bis\">Les deux mots de passe ne sont pas identiques.</p>"
    ));
    let short = jar.post(&link, &form("court", "court")).await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        short.text.contains(
            "id=\"erreur-mot-de-passe\">Le mot de passe doit compter au moins 12 caractères.</p>"
        ),
        "{}",
        short.text
    );
    assert!(short.text.contains("aria-invalid=\"true\""));
    let refused = jar
        .post(
            &link,
            "mot_de_passe=nouveau-mot-de-passe&mot_de_passe_bis=nouveau-mot-de-passe",
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.count_where("password_resets", "consumed_at IS NULL")
            .await,
        1
    );

    // The new password: every session closed, to the login page, which says so.
    let done = jar
        .post(&link, &form("nouveau-mot-de-passe", "nouveau-mot-de-passe"))
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text);
    assert_eq!(location(&done), "/connexion?fait=mot-de-passe");
    let login = jar.get(&location(&done)).await;
    assert!(login
        .text
        .contains("Votre mot de passe est changé : connectez-vous avec le nouveau."));
    assert!(
        !logged_in(&mut elsewhere).await,
        "the other browser is still in"
    );
    assert_eq!(open_sessions(&app).await, 0);
    let old = jar.log_in("teacher@campus.test", PASSWORD).await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);
    let new = jar
        .log_in("teacher@campus.test", "nouveau-mot-de-passe")
        .await;
    assert_eq!(new.status, StatusCode::SEE_OTHER);

    // The link works once: its page says so, and so does its form.
    let mut other = WebSession::new(&app);
    let used = other.get(&link).await;
    assert_eq!(used.status, StatusCode::GONE);
    assert!(used.text.contains("Ce lien a déjà servi"), "{}", used.text);
    assert!(!used.text.contains("name=\"mot_de_passe\""), "no form left");
    let again = other
        .post(
            &link,
            &format!(
                "csrf={}&mot_de_passe=encore-un-autre-mot&mot_de_passe_bis=encore-un-autre-mot",
                csrf_of(&login)
            ),
        )
        .await;
    // The other browser's token is its own: refused before anything.
    assert_eq!(again.status, StatusCode::FORBIDDEN);
    let own = other.get("/mot-de-passe-oublie").await;
    let again = other
        .post(
            &link,
            &format!(
                "csrf={}&mot_de_passe=encore-un-autre-mot&mot_de_passe_bis=encore-un-autre-mot",
                csrf_of(&own)
            ),
        )
        .await;
    assert_eq!(again.status, StatusCode::GONE);
    assert!(again.text.contains("Ce lien a déjà servi"));
    app.login("teacher@campus.test", "nouveau-mot-de-passe")
        .await;

    // An unknown link: a clear French page, 404.
    let unknown = other
        .get(&format!("/mot-de-passe-oublie/{}", "0".repeat(64)))
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(unknown
        .text
        .contains("Ce lien de changement de mot de passe est inconnu"));

    // A link past its hour.
    other
        .post(
            "/mot-de-passe-oublie",
            &format!("csrf={}&email=copil%40campus.test", csrf_of(&own)),
        )
        .await;
    let token = queued_token(&app, "password_reset", "copil@campus.test").await;
    app.advance(chrono::Duration::minutes(61));
    let expired = other.get(&format!("/mot-de-passe-oublie/{token}")).await;
    assert_eq!(expired.status, StatusCode::GONE);
    assert!(expired.text.contains("Ce lien a expiré"));
}

/// The page's requests count in the API's limit per client address, and the other way round.
async fn forgotten_password_shares_the_api_limit(app: TestApp) {
    support::campus(&app).await;
    for _ in 0..3 {
        let req = TestRequest::post()
            .uri("/api/v1/public/password-resets")
            .peer_addr("127.0.0.1:4000".parse().unwrap())
            .insert_header((header::CONTENT_TYPE, "application/json"))
            .set_payload(json!({ "email": "personne@campus.test" }).to_string())
            .to_request();
        app.send(req).await.expect(202);
    }
    let mut jar = WebSession::new(&app);
    let page = jar.get("/mot-de-passe-oublie").await;
    let form = format!("csrf={}&email=personne%40campus.test", csrf_of(&page));
    for _ in 0..2 {
        let reply = jar.post("/mot-de-passe-oublie", &form).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER);
    }
    let limited = jar.post("/mot-de-passe-oublie", &form).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.headers.contains_key(header::RETRY_AFTER));
    assert!(
        limited
            .text
            .contains("Trop de demandes depuis cette adresse"),
        "{}",
        limited.text
    );
    assert!(limited.text.contains("value=\"personne@campus.test\""));
}

mod forgotten_password_shares_the_api_limit {
    use crate::support::{Backend, TestApp};

    #[actix_web::test]
    async fn sqlite() {
        super::forgotten_password_shares_the_api_limit(
            TestApp::with_production_limits(Backend::Sqlite).await,
        )
        .await
    }

    #[actix_web::test]
    async fn postgres() {
        super::forgotten_password_shares_the_api_limit(
            TestApp::with_production_limits(Backend::Postgres).await,
        )
        .await
    }
}

/// The confirmation link's page shows what it confirms and confirms nothing by itself; its
/// form (CSRF, the password twice) does, once.
async fn confirmation_page_confirms_on_post_only(app: TestApp) {
    let campus = support::campus(&app).await;
    app.post(
        "/api/v1/users",
        &campus.admin,
        json!({
            "email": "nouvelle@campus.test", "display_name": "Nouvelle Collègue", "role": "teacher",
            "organisation_id": campus.lycee_id,
        }),
    )
    .await
    .expect(201);
    let token = queued_token(&app, "account_confirmation", "nouvelle@campus.test").await;
    let link = format!("/confirmation/{token}");

    // Read twice, as a mail scanner would: nothing confirmed.
    let mut jar = WebSession::new(&app);
    for _ in 0..2 {
        let page = jar.get(&link).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        assert!(page.text.contains("nouvelle@campus.test"));
        assert!(page.text.contains("Nouvelle Collègue"));
        assert!(page.text.contains("Lycée La Découverte"));
        assert!(
            page.text.contains("<dd>enseignant</dd>"),
            "the role in French"
        );
    }
    assert!(!active(&app, "nouvelle@campus.test").await);
    let page = jar.get(&link).await;
    let csrf = csrf_of(&page);
    let form = |first: &str, second: &str| {
        format!(
            "csrf={csrf}&mot_de_passe={}&mot_de_passe_bis={}",
            encoded(first),
            encoded(second)
        )
    };

    // Without its token, or with two different passwords, or too short: nothing confirmed.
    let refused = jar
        .post(
            &link,
            "mot_de_passe=mot-de-passe-choisi&mot_de_passe_bis=mot-de-passe-choisi",
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let differ = jar
        .post(&link, &form("mot-de-passe-choisi", "mot-de-passe-choisy"))
        .await;
    assert_eq!(differ.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(differ
        .text
        .contains("Les deux mots de passe ne sont pas identiques."));
    assert!(
        differ.text.contains("nouvelle@campus.test"),
        "the page as it was"
    );
    let short = jar.post(&link, &form("court", "court")).await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(short.text.contains(
        "id=\"erreur-mot-de-passe\">Le mot de passe doit compter au moins 12 caractères.</p>"
    ));
    assert!(!active(&app, "nouvelle@campus.test").await);
    assert_eq!(
        app.count_where("account_confirmations", "consumed_at IS NULL")
            .await,
        1
    );

    // Confirmed: to the login page, which says so, and the password works.
    let done = jar
        .post(&link, &form("mot-de-passe-choisi", "mot-de-passe-choisi"))
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text);
    assert_eq!(location(&done), "/connexion?fait=confirmation");
    assert!(active(&app, "nouvelle@campus.test").await);
    let login = jar.get(&location(&done)).await;
    assert!(login.text.contains("Votre adresse est confirmée"));
    let reply = jar
        .log_in("nouvelle@campus.test", "mot-de-passe-choisi")
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);

    // Used: the page says so, the form is gone, and posting again changes nothing.
    let mut other = WebSession::new(&app);
    let used = other.get(&link).await;
    assert_eq!(used.status, StatusCode::GONE);
    assert!(
        used.text
            .contains("Ce lien a déjà servi : l&#x27;adresse est confirmée")
            || used
                .text
                .contains("Ce lien a déjà servi : l&#39;adresse est confirmée"),
        "{}",
        used.text
    );
    assert!(!used.text.contains("name=\"mot_de_passe\""));
    let form_page = other.get("/mot-de-passe-oublie").await;
    let again = other
        .post(
            &link,
            &format!(
                "csrf={}&mot_de_passe=un-autre-mot-de-passe&mot_de_passe_bis=un-autre-mot-de-passe",
                csrf_of(&form_page)
            ),
        )
        .await;
    assert_eq!(again.status, StatusCode::GONE);
    app.login("nouvelle@campus.test", "mot-de-passe-choisi")
        .await;

    // Unknown, and expired.
    let unknown = other
        .get(&format!("/confirmation/{}", "0".repeat(64)))
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(unknown.text.contains("Ce lien de confirmation est inconnu"));
    app.post(
        "/api/v1/users",
        &campus.admin,
        json!({
            "email": "tardif@campus.test", "display_name": "Tardif", "role": "teacher",
            "organisation_id": campus.lycee_id,
        }),
    )
    .await
    .expect(201);
    let token = queued_token(&app, "account_confirmation", "tardif@campus.test").await;
    app.advance(chrono::Duration::days(8));
    let expired = other.get(&format!("/confirmation/{token}")).await;
    assert_eq!(expired.status, StatusCode::GONE);
    assert!(expired.text.contains("Ce lien a expiré"));
}

/// `code` as a person may type it from the e-mail: in groups of four, dashes and a line
/// break between them, in capitals.
fn typed_as_from_the_mail(code: &str) -> String {
    let groups: Vec<String> = code
        .as_bytes()
        .chunks(4)
        .map(|g| String::from_utf8(g.to_vec()).unwrap().to_uppercase())
        .collect();
    format!(" {} -\r\n{} ", groups[..8].join(" "), groups[8..].join("-"))
}

/// The codes of the confirmation and reset e-mails, typed on their pages (linked from the
/// login page and from the page saying a reset e-mail left): a good one leads to the link's
/// page, which goes on as the link would; a wrong, used or expired one is refused next to
/// the field, what was typed kept, nothing changed.
async fn typed_codes_continue_as_the_links(app: TestApp) {
    let campus = support::campus(&app).await;
    let mut jar = WebSession::new(&app);
    let login = jar.get("/connexion").await;
    assert!(login.text.contains("href=\"/confirmation\""));
    assert!(login.text.contains("href=\"/mot-de-passe-oublie/code\""));

    // The confirmation of a new account.
    app.post(
        "/api/v1/users",
        &campus.admin,
        json!({
            "email": "nouvelle@campus.test", "display_name": "Nouvelle Collègue", "role": "teacher",
            "organisation_id": campus.lycee_id,
        }),
    )
    .await
    .expect(201);
    let token = queued_token(&app, "account_confirmation", "nouvelle@campus.test").await;
    let page = jar.get("/confirmation").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(page
        .text
        .contains("<label for=\"code\">Code reçu par e-mail</label>"));
    let csrf = csrf_of(&page);
    let code_form = |code: &str| format!("csrf={csrf}&code={}", encoded(code));

    // Without its CSRF token: refused.
    let refused = jar
        .post("/confirmation", &format!("code={}", encoded(&token)))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    // Blank, malformed, unknown, or the other e-mail's kind: refused next to the field.
    let blank = jar.post("/confirmation", &code_form("  ")).await;
    assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        blank
            .text
            .contains("id=\"erreur-code\">Saisissez le code reçu par e-mail.</p>"),
        "{}",
        blank.text
    );
    let short = jar.post("/confirmation", &code_form(&token[..60])).await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        short.text.contains("Ce code n&#x27;a pas la forme")
            || short.text.contains("Ce code n&#39;a pas la forme"),
        "{}",
        short.text
    );
    assert!(short.text.contains(&format!("value=\"{}\"", &token[..60])));
    assert!(short.text.contains("aria-invalid=\"true\""));
    assert!(short.text.contains("aria-describedby=\"erreur-code\""));
    let unknown = jar.post("/confirmation", &code_form(&"0".repeat(64))).await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unknown
        .text
        .contains("Ce code ne correspond à aucun e-mail envoyé"));
    let crossed = jar
        .post("/mot-de-passe-oublie/code", &code_form(&token))
        .await;
    assert_eq!(crossed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(crossed
        .text
        .contains("Ce code ne correspond à aucun e-mail envoyé"));
    assert!(!active(&app, "nouvelle@campus.test").await);

    // The code as it may be typed: to the link's page, which confirms nothing by itself.
    let good = jar
        .post("/confirmation", &code_form(&typed_as_from_the_mail(&token)))
        .await;
    assert_eq!(good.status, StatusCode::SEE_OTHER, "{}", good.text);
    assert_eq!(location(&good), format!("/confirmation/{token}"));
    let link = jar.get(&location(&good)).await;
    assert_eq!(link.status, StatusCode::OK);
    assert!(link.text.contains("nouvelle@campus.test"));
    assert!(!active(&app, "nouvelle@campus.test").await);
    let done = jar
        .post(
            &location(&good),
            &format!(
                "csrf={}&mot_de_passe=mot-de-passe-choisi&mot_de_passe_bis=mot-de-passe-choisi",
                csrf_of(&link)
            ),
        )
        .await;
    assert_eq!(location(&done), "/connexion?fait=confirmation");
    assert!(active(&app, "nouvelle@campus.test").await);
    let used = jar.post("/confirmation", &code_form(&token)).await;
    assert_eq!(used.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(used.text.contains("Ce code a déjà servi"), "{}", used.text);

    // A password reset: the page saying the e-mail left links to the code's page.
    let page = jar.get("/mot-de-passe-oublie").await;
    let asked = jar
        .post(
            "/mot-de-passe-oublie",
            &format!("csrf={}&email=teacher%40campus.test", csrf_of(&page)),
        )
        .await;
    let receipt = jar.get(&location(&asked)).await;
    assert!(receipt.text.contains("href=\"/mot-de-passe-oublie/code\""));
    let token = queued_token(&app, "password_reset", "teacher@campus.test").await;
    let page = jar.get("/mot-de-passe-oublie/code").await;
    assert_eq!(page.status, StatusCode::OK);
    let good = jar
        .post(
            "/mot-de-passe-oublie/code",
            &format!(
                "csrf={}&code={}",
                csrf_of(&page),
                encoded(&typed_as_from_the_mail(&token))
            ),
        )
        .await;
    assert_eq!(good.status, StatusCode::SEE_OTHER, "{}", good.text);
    assert_eq!(location(&good), format!("/mot-de-passe-oublie/{token}"));
    assert_eq!(
        app.count_where("password_resets", "consumed_at IS NULL")
            .await,
        1,
        "the code alone uses nothing"
    );
    let link = jar.get(&location(&good)).await;
    assert!(link
        .text
        .contains("<label for=\"mot_de_passe\">Nouveau mot de passe</label>"));
    let done = jar
        .post(
            &location(&good),
            &format!(
                "csrf={}&mot_de_passe=nouveau-mot-de-passe&mot_de_passe_bis=nouveau-mot-de-passe",
                csrf_of(&link)
            ),
        )
        .await;
    assert_eq!(location(&done), "/connexion?fait=mot-de-passe");
    app.login("teacher@campus.test", "nouveau-mot-de-passe")
        .await;
    let page = jar.get("/mot-de-passe-oublie/code").await;
    let used = jar
        .post(
            "/mot-de-passe-oublie/code",
            &format!("csrf={}&code={token}", csrf_of(&page)),
        )
        .await;
    assert_eq!(used.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(used.text.contains("Ce code a déjà servi"), "{}", used.text);

    // Codes past their time: a reset's hour, a confirmation's seven days.
    let page = jar.get("/mot-de-passe-oublie").await;
    jar.post(
        "/mot-de-passe-oublie",
        &format!("csrf={}&email=copil%40campus.test", csrf_of(&page)),
    )
    .await;
    let reset = queued_token(&app, "password_reset", "copil@campus.test").await;
    app.post(
        "/api/v1/users",
        &campus.admin,
        json!({
            "email": "tardif@campus.test", "display_name": "Tardif", "role": "teacher",
            "organisation_id": campus.lycee_id,
        }),
    )
    .await
    .expect(201);
    let confirmation = queued_token(&app, "account_confirmation", "tardif@campus.test").await;
    app.advance(chrono::Duration::minutes(61));
    let page = jar.get("/mot-de-passe-oublie/code").await;
    let expired = jar
        .post(
            "/mot-de-passe-oublie/code",
            &format!("csrf={}&code={reset}", csrf_of(&page)),
        )
        .await;
    assert_eq!(expired.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        expired
            .text
            .contains("Ce code a expiré : il ne valait qu&#x27;une heure")
            || expired
                .text
                .contains("Ce code a expiré : il ne valait qu&#39;une heure"),
        "{}",
        expired.text
    );
    app.advance(chrono::Duration::days(8));
    let page = jar.get("/confirmation").await;
    let expired = jar
        .post(
            "/confirmation",
            &format!("csrf={}&code={confirmation}", csrf_of(&page)),
        )
        .await;
    assert_eq!(expired.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(expired
        .text
        .contains("Ce code a expiré : il valait sept jours"));
    assert!(!active(&app, "tardif@campus.test").await);
}

/// Typed codes count against the public forms' limit per client address: past it, even a
/// good code is refused (429, `Retry-After`), and the page says when to try again.
async fn typed_codes_are_rate_limited(app: TestApp) {
    let campus = support::campus(&app).await;
    app.post(
        "/api/v1/users",
        &campus.admin,
        json!({
            "email": "nouvelle@campus.test", "display_name": "Nouvelle Collègue", "role": "teacher",
            "organisation_id": campus.lycee_id,
        }),
    )
    .await
    .expect(201);
    let token = queued_token(&app, "account_confirmation", "nouvelle@campus.test").await;
    let mut jar = WebSession::new(&app);
    let page = jar.get("/confirmation").await;
    let csrf = csrf_of(&page);
    for guess in 1..=5 {
        let wrong = jar
            .post(
                "/confirmation",
                &format!("csrf={csrf}&code={}", guess.to_string().repeat(64)),
            )
            .await;
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY, "{guess}");
    }
    let limited = jar
        .post("/confirmation", &format!("csrf={csrf}&code={token}"))
        .await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.headers.contains_key(header::RETRY_AFTER));
    assert!(
        limited
            .text
            .contains("Trop de demandes depuis cette adresse"),
        "{}",
        limited.text
    );
    assert!(limited.text.contains(&format!("value=\"{token}\"")));
    assert!(!active(&app, "nouvelle@campus.test").await);
    // The other code page shares the count.
    let page = jar.get("/mot-de-passe-oublie/code").await;
    let limited = jar
        .post(
            "/mot-de-passe-oublie/code",
            &format!("csrf={}&code={}", csrf_of(&page), "a".repeat(64)),
        )
        .await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
}

mod typed_codes_are_rate_limited {
    use crate::support::{Backend, TestApp};

    #[actix_web::test]
    async fn sqlite() {
        super::typed_codes_are_rate_limited(TestApp::with_production_limits(Backend::Sqlite).await)
            .await
    }

    #[actix_web::test]
    async fn postgres() {
        super::typed_codes_are_rate_limited(
            TestApp::with_production_limits(Backend::Postgres).await,
        )
        .await
    }
}

/// The ids of the sessions the account page offers to close.
fn closable_sessions(page: &Reply) -> Vec<String> {
    page.text
        .match_indices("action=\"/compte/sessions/")
        .filter_map(|(at, found)| {
            let rest = &page.text[at + found.len()..];
            rest[..rest.find('"').unwrap()]
                .strip_suffix("/fermeture")
                .map(str::to_owned)
        })
        .collect()
}

/// « Mon compte » lists the open browser sessions, this one marked; closing one logs that
/// browser out at once, closing the others leaves this one.
async fn sessions_listed_and_revoked(app: TestApp) {
    support::campus(&app).await;
    let mut here = WebSession::new(&app);
    let mut there = WebSession::logged_in(&app, "teacher@campus.test", PASSWORD).await;
    here.log_in("teacher@campus.test", PASSWORD).await;
    // Another account's session, which no one else may close.
    let mut stranger = WebSession::logged_in(&app, "teacher@monteil.test", PASSWORD).await;

    let page = here.get("/compte").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(page.text.contains("<h1>Mon compte</h1>"));
    assert!(page.text.contains("aria-current=\"page\">Mon compte</a>"));
    assert_eq!(page.text.matches("Session ouverte le ").count(), 2);
    assert_eq!(page.text.matches("(ce navigateur)").count(), 1);
    let today = plateaux::views::web::format::long_date(app.today());
    assert!(
        page.text
            .contains(&format!("Session ouverte le {today} à ")),
        "French dates: {}",
        page.text
    );
    let closable = closable_sessions(&page);
    assert_eq!(closable.len(), 1, "only the other browser's: {closable:?}");
    let csrf = csrf_of(&page);

    // Without its token: refused, the session stays open.
    let path = format!("/compte/sessions/{}/fermeture", closable[0]);
    let refused = here.post(&path, "").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(logged_in(&mut there).await);
    // The stranger cannot close it: the 404 page, nothing changed.
    let theirs = stranger.get("/compte").await;
    let foreign = stranger
        .post(&path, &format!("csrf={}", csrf_of(&theirs)))
        .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    assert!(foreign.text.contains("<h1>Page introuvable</h1>"));
    assert!(logged_in(&mut there).await);

    // Closed: that browser is logged out at once, this one stays.
    let done = here.post(&path, &format!("csrf={csrf}")).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(location(&done), "/compte?fait=session#sessions");
    assert!(!logged_in(&mut there).await);
    let page = here.get("/compte?fait=session").await;
    assert!(page.text.contains("La session est fermée."));
    assert_eq!(page.text.matches("Session ouverte le ").count(), 1);
    assert!(closable_sessions(&page).is_empty());

    // Two more browsers; « close all the others » ends both, and not the stranger's.
    let mut third = WebSession::new(&app);
    there.log_in("teacher@campus.test", PASSWORD).await;
    third.log_in("teacher@campus.test", PASSWORD).await;
    let page = here.get("/compte").await;
    assert_eq!(closable_sessions(&page).len(), 2);
    let done = here
        .post(
            "/compte/sessions/fermeture-des-autres",
            &format!("csrf={csrf}"),
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert!(!logged_in(&mut there).await);
    assert!(!logged_in(&mut third).await);
    assert!(logged_in(&mut here).await);
    assert!(logged_in(&mut stranger).await);

    assert_eq!(
        app.count_sql(
            "SELECT COUNT(*) AS n FROM web_sessions w JOIN users u ON u.id = w.user_id WHERE u.email = 'teacher@campus.test' AND w.revoked_at IS NULL".into(),
        )
        .await,
        1
    );

    // Without a session, the page asks to log in.
    let mut nobody = WebSession::new(&app);
    let reply = nobody.get("/compte").await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert_eq!(location(&reply), "/connexion?suite=%2Fcompte");
}

/// Each session in the list names the browser it was opened from, as its `User-Agent`
/// said at login.
async fn sessions_name_their_browser(app: TestApp) {
    support::campus(&app).await;
    let mut firefox = WebSession::new(&app);
    let page = firefox.get("/connexion").await;
    let form = format!(
        "csrf={}&email=teacher%40campus.test&password={}",
        csrf_of(&page),
        encoded(PASSWORD)
    );
    let req = TestRequest::post()
        .uri("/connexion")
        .peer_addr("127.0.0.1:4000".parse().unwrap())
        .insert_header((
            header::COOKIE,
            format!(
                "plateaux_avant={}",
                firefox.cookie("plateaux_avant").unwrap()
            ),
        ))
        .insert_header((
            header::USER_AGENT,
            "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
        ))
        .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"))
        .set_payload(form)
        .to_request();
    let reply = app.send_unchecked(req).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text);

    let mut here = WebSession::logged_in(&app, "teacher@campus.test", PASSWORD).await;
    let page = here.get("/compte").await;
    assert_eq!(page.text.matches("Session ouverte le ").count(), 2);
    assert_eq!(
        page.text
            .matches("<p>Depuis Firefox sous Linux</p>")
            .count(),
        1,
        "{}",
        page.text
    );
    // This test browser sent no User-Agent: its session names none.
    assert_eq!(page.text.matches("<p>Depuis ").count(), 1);
}

/// The e-mail preferences of the page are the API's: French labels, the account messages
/// locked on, and a change the API then reads.
async fn preferences_change_reflected_in_the_api(app: TestApp) {
    let campus = support::campus(&app).await;
    let mut jar = WebSession::logged_in(&app, "teacher@campus.test", PASSWORD).await;
    let page = jar.get("/compte").await;
    assert!(
        page.text.contains(">réservation approuvée</label>"),
        "{}",
        page.text
    );
    assert!(page.text.contains(
        "id=\"courriel-password_reset\" name=\"recu\" value=\"password_reset\" checked disabled"
    ));
    assert!(page
        .text
        .contains("<option value=\"fr\" selected>français</option>"));
    assert!(
        !page.text.contains(">booking_approved<"),
        "no API value shown"
    );
    let csrf = csrf_of(&page);

    // Every kind kept but « réservation approuvée », and English e-mails.
    let mut form = format!("csrf={csrf}&langue=en");
    for kind in plateaux::domain::notifications::NotificationKind::ALL {
        if kind.as_str() != "booking_approved" && kind.can_be_turned_off() {
            form.push_str(&format!("&recu={}", kind.as_str()));
        }
    }
    // Without its token: refused, nothing changed.
    let refused = jar
        .post(
            "/compte/courriels",
            &form.replace(&format!("csrf={csrf}&"), ""),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(app.count("notification_opt_outs").await, 0);
    // A value no box has: refused, nothing changed.
    let odd = jar
        .post("/compte/courriels", &format!("{form}&recu=pas_un_courriel"))
        .await;
    assert_eq!(odd.status, StatusCode::BAD_REQUEST);
    assert!(odd.text.contains("Ce formulaire est incomplet"));
    assert_eq!(app.count("notification_opt_outs").await, 0);

    let done = jar.post("/compte/courriels", &form).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text);
    let api = app
        .get("/api/v1/me/notifications", &campus.teacher)
        .await
        .expect(200)
        .json();
    assert_eq!(api["locale"], "en");
    for kind in api["kinds"].as_array().unwrap() {
        assert_eq!(
            kind["enabled"],
            kind["kind"] != "booking_approved",
            "{kind}"
        );
    }
    let page = jar.get("/compte?fait=courriels").await;
    assert!(page
        .text
        .contains("Vos préférences de courriels sont enregistrées."));
    assert!(page
        .text
        .contains("id=\"courriel-booking_approved\" name=\"recu\" value=\"booking_approved\">"));
    assert!(page
        .text
        .contains("<option value=\"en\" selected>anglais</option>"));

    // Turned back on through the API: the page reads it.
    app.patch(
        "/api/v1/me/notifications",
        &campus.teacher,
        json!({ "kinds": [{ "kind": "booking_approved", "enabled": true }] }),
    )
    .await
    .expect(200);
    let page = jar.get("/compte").await;
    assert!(page.text.contains(
        "id=\"courriel-booking_approved\" name=\"recu\" value=\"booking_approved\" checked>"
    ));
}

/// The password form is `PATCH /me`'s: the current password checked, the refusals next to
/// their field, every other session closed and this one kept.
async fn password_changed_from_the_account_page(app: TestApp) {
    let campus = support::campus(&app).await;
    let mut here = WebSession::new(&app);
    let mut there = WebSession::logged_in(&app, "teacher@campus.test", PASSWORD).await;
    here.log_in("teacher@campus.test", PASSWORD).await;
    let page = here.get("/compte").await;
    let csrf = csrf_of(&page);
    let form = |current: &str, new: &str, again: &str| {
        format!(
            "csrf={csrf}&mot_de_passe_actuel={}&mot_de_passe={}&mot_de_passe_bis={}",
            encoded(current),
            encoded(new),
            encoded(again)
        )
    };
    let wrong = here
        .post(
            "/compte/mot-de-passe",
            &form("pas le bon", "nouveau-mot-de-passe", "nouveau-mot-de-passe"),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong
        .text
        .contains("id=\"erreur-mot-de-passe-actuel\">Mot de passe actuel incorrect.</p>"));
    let short = here
        .post("/compte/mot-de-passe", &form(PASSWORD, "court", "court"))
        .await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(short.text.contains(
        "id=\"erreur-mot-de-passe\">Le mot de passe doit compter au moins 12 caractères.</p>"
    ));
    let differ = here
        .post(
            "/compte/mot-de-passe",
            &form(PASSWORD, "nouveau-mot-de-passe", "autre-mot-de-passe"),
        )
        .await;
    assert_eq!(differ.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(differ
        .text
        .contains("Les deux mots de passe ne sont pas identiques."));
    let refused = here
        .post(
            "/compte/mot-de-passe",
            &form(PASSWORD, "nouveau-mot-de-passe", "nouveau-mot-de-passe")
                .replace(&format!("csrf={csrf}&"), ""),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    app.login("teacher@campus.test", PASSWORD).await;

    let done = here
        .post(
            "/compte/mot-de-passe",
            &form(PASSWORD, "nouveau-mot-de-passe", "nouveau-mot-de-passe"),
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text);
    assert!(logged_in(&mut here).await, "this session stays");
    assert!(!logged_in(&mut there).await, "the other is closed");
    app.get("/api/v1/me", &campus.teacher)
        .await
        .problem(401, "session_closed");
    app.login("teacher@campus.test", "nouveau-mot-de-passe")
        .await;
    let page = here.get("/compte?fait=mot-de-passe").await;
    assert!(page.text.contains("Votre mot de passe est changé"));
}

/// Wrong current passwords typed on the page count as failed logins, as `PATCH /me`'s do:
/// after five, even the right one is refused for a while, with the wait in French.
async fn password_form_shares_the_login_limits(app: TestApp) {
    support::campus(&app).await;
    let mut jar = WebSession::logged_in(&app, "teacher@campus.test", PASSWORD).await;
    let page = jar.get("/compte").await;
    let form = |current: &str| {
        format!(
            "csrf={}&mot_de_passe_actuel={}&mot_de_passe=nouveau-mot-de-passe&mot_de_passe_bis=nouveau-mot-de-passe",
            csrf_of(&page),
            encoded(current)
        )
    };
    for _ in 0..5 {
        let wrong = jar.post("/compte/mot-de-passe", &form("pas le bon")).await;
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let locked = jar.post("/compte/mot-de-passe", &form(PASSWORD)).await;
    assert_eq!(
        locked.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        locked.text
    );
    assert!(locked.headers.contains_key(header::RETRY_AFTER));
    assert!(
        locked.text.contains("Trop d&#x27;échecs") || locked.text.contains("Trop d&#39;échecs"),
        "{}",
        locked.text
    );
    // The password is unchanged, and the API's login is locked too.
    app.call(
        Method::POST,
        "/api/v1/auth/login",
        None,
        Some(json!({"email": "teacher@campus.test", "password": PASSWORD})),
        &[],
    )
    .await
    .problem(429, "too_many_failures");
}

mod password_form_shares_the_login_limits {
    use crate::support::{Backend, TestApp};

    #[actix_web::test]
    async fn sqlite() {
        super::password_form_shares_the_login_limits(
            TestApp::with_production_limits(Backend::Sqlite).await,
        )
        .await
    }

    #[actix_web::test]
    async fn postgres() {
        super::password_form_shares_the_login_limits(
            TestApp::with_production_limits(Backend::Postgres).await,
        )
        .await
    }
}

/// A query string that is not UTF-8 on a page answers the French error page (400), as does
/// one the page cannot read (a parameter twice) or with a NUL character; the API keeps its
/// problem documents.
async fn non_utf8_query_answers_the_error_page(app: TestApp) {
    support::campus(&app).await;
    let mut jar = WebSession::logged_in(&app, "teacher@campus.test", PASSWORD).await;
    for (path, says) in [
        ("/plateaux?texte=%FF", "UTF-8"),
        ("/connexion?suite=%C3%28", "UTF-8"),
        ("/compte?fait=%FE", "UTF-8"),
        ("/plateaux?texte=%00", "NUL"),
        ("/plateaux?texte=a&texte=b", "mal formée"),
    ] {
        let page = jar.get(path).await;
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
        assert!(page.text.contains("<html lang=\"fr\">"), "{path}");
        assert!(
            page.text.contains("<h1>Requête incorrecte</h1>"),
            "{path}: {}",
            page.text
        );
        assert!(page.text.contains(says), "{path}: {}", page.text);
    }
    // Before any handler, the visitor is still known: the page keeps its navigation.
    let page = jar.get("/plateaux?texte=%FF").await;
    assert!(page.text.contains(">Mon compte</a>"));
    // Text that is UTF-8 is read as such.
    let page = jar.get("/plateaux?texte=%C3%A9").await;
    assert_eq!(page.status, StatusCode::OK);
    let api = jar.get("/api/v1/platforms?name=%00").await;
    assert!(api.content_type().starts_with("application/problem+json"));
}

/// Pages are compressed for browsers that accept gzip; others get them as they are.
async fn pages_are_compressed(app: TestApp) {
    let plain = WebSession::new(&app).get("/").await;
    assert_eq!(plain.headers.get(header::CONTENT_ENCODING), None);
    let req = TestRequest::get()
        .uri("/")
        .insert_header((header::ACCEPT_ENCODING, "gzip"))
        .to_request();
    let gzipped = app.send_unchecked(req).await;
    assert_eq!(gzipped.status, StatusCode::OK);
    assert_eq!(
        gzipped.headers.get(header::CONTENT_ENCODING).unwrap(),
        "gzip"
    );
    assert!(gzipped.text.starts_with('\u{1f}'), "the gzip magic number");
    assert!(
        !gzipped.text.contains("<html"),
        "the page is not sent as it is"
    );
    let vary = gzipped.headers.get(header::VARY).unwrap().to_str().unwrap();
    assert!(vary.to_lowercase().contains("accept-encoding"), "{vary}");
}

on_both_databases!(
    password_reset_through_the_pages,
    confirmation_page_confirms_on_post_only,
    typed_codes_continue_as_the_links,
    sessions_listed_and_revoked,
    sessions_name_their_browser,
    preferences_change_reflected_in_the_api,
    password_changed_from_the_account_page,
    non_utf8_query_answers_the_error_page,
    pages_are_compressed,
);
