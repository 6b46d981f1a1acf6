//! The service-request pages through HTTP on both databases: the public form (its refusals,
//! its token, its limit shared with the API), the list and one request in each side's scope,
//! the quote editor, answering a quote, the transitions and the messages. Their writes are
//! the API's use cases: the same refusals, the same results.

use actix_web::http::{header, Method, StatusCode};
use chrono::Duration;
use serde_json::json;

use crate::on_both_databases;
use crate::support::dates::today;
use crate::support::{self, Campus, Reply, TestApp, PASSWORD};
use crate::web::{browse, csrf_of, log_in, Jar};

fn encoded(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

fn form(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(n, v)| format!("{n}={}", encoded(v)))
        .collect::<Vec<_>>()
        .join("&")
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

/// The text of the refusal shown next to the field `id`.
fn refusal_of(page: &Reply, id: &str) -> String {
    let marker = format!("id=\"{id}-erreur\">");
    let start = page
        .text
        .find(&marker)
        .unwrap_or_else(|| panic!("no refusal next to {id}: {}", page.text))
        + marker.len();
    let end = start + page.text[start..].find('<').unwrap();
    page.text[start..end].to_owned()
}

/// The page's content, without its frame (whose navigation marks the current section).
fn main_of(page: &Reply) -> String {
    let start = page.text.find("<main").expect("a main element");
    let end = page.text.find("</main>").expect("the end of main");
    page.text[start..end].to_owned()
}

async fn state_of(app: &TestApp, id: &str) -> String {
    for state in [
        "submitted",
        "in_review",
        "quoted",
        "accepted",
        "declined",
        "agreement_signed",
        "in_progress",
        "delivered",
        "invoiced",
        "closed",
        "withdrawn",
        "rejected",
    ] {
        let n = app
            .count_sql(format!(
                "SELECT COUNT(*) AS n FROM service_requests WHERE id = '{id}' AND state = '{state}'"
            ))
            .await;
        if n == 1 {
            return state.to_owned();
        }
    }
    panic!("no request {id}")
}

/// A request of the company (`token`), through the API, asking for `platform_id`.
async fn request_of(app: &TestApp, token: &str, title: &str, platform_id: &str) -> String {
    let request = app
        .post(
            "/api/v1/service-requests",
            token,
            json!({
                "title": title,
                "description": "Vingt éprouvettes en acier S355.",
                "domains": ["welding"],
                "platform_id": platform_id,
            }),
        )
        .await
        .expect(201)
        .json();
    request["id"].as_str().unwrap().to_owned()
}

async fn page_of(app: &TestApp, jar: &mut Jar, path: &str) -> Reply {
    browse(app, jar, Method::GET, path, "").await
}

fn public_fields<'a>(email: &'a str, siret: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("company_name", "Moules et Composites du Lot"),
        ("siret", siret),
        ("contact_name", "Claire Vayssié"),
        ("email", email),
        ("phone", "+33 5 65 00 00 00"),
        ("title", "Prototype de carter en composite"),
        ("description", "Trois pièces en fibre de carbone."),
        ("domains", "composites"),
        ("domains", "metrology"),
        ("platform_id", ""),
        ("budget", "2 500,50"),
    ]
}

async fn public_form_creates_refuses_and_needs_its_token(app: TestApp) {
    support::campus(&app).await;
    let mut jar = Jar::default();
    let page = page_of(&app, &mut jar, "/demandes/nouvelle").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(page.text.contains("<h1>Demander une prestation</h1>"));
    assert!(page.text.contains(">Je ne sais pas</option>"));
    assert!(
        page.text.contains("Atelier soudage (soudage)"),
        "the platforms, in French"
    );
    assert!(
        page.text.contains("<label for=\"siret\">"),
        "a label on every field"
    );
    let csrf = csrf_of(&page);
    let before = (
        app.count("service_requests").await,
        app.count("users").await,
    );

    // Without its token, or with another browser's: refused, nothing stored.
    let fields = public_fields("claire@moules-lot.fr", "40483304800022");
    let refused = browse(
        &app,
        &mut jar,
        Method::POST,
        "/demandes/nouvelle",
        &form(&fields),
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let mut other = Jar::default();
    let other_page = page_of(&app, &mut other, "/demandes/nouvelle").await;
    let mut with_other = fields.clone();
    let other_csrf = csrf_of(&other_page);
    with_other.push(("csrf", &other_csrf));
    let refused = browse(
        &app,
        &mut jar,
        Method::POST,
        "/demandes/nouvelle",
        &form(&with_other),
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    // Refusals next to their fields, in French, what was typed kept, nothing stored.
    let mut bad = public_fields("claire@moules-lot.fr", "40483304800023");
    bad.retain(|(n, _)| *n != "title" && *n != "description");
    bad.push(("title", "  "));
    bad.push(("description", ""));
    bad.push(("csrf", &csrf));
    let refused = browse(
        &app,
        &mut jar,
        Method::POST,
        "/demandes/nouvelle",
        &form(&bad),
    )
    .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text
    );
    assert!(!refusal_of(&refused, "siret").is_empty());
    assert!(refused
        .text
        .contains("aria-describedby=\"siret-aide siret-erreur\""));
    assert_eq!(
        refusal_of(&refused, "title"),
        "Ce champ ne doit pas être vide."
    );
    assert_eq!(
        refusal_of(&refused, "description"),
        "Ce champ ne doit pas être vide.",
        "the need is required"
    );
    assert!(
        refused.text.contains("value=\"40483304800023\""),
        "the SIRET kept"
    );
    assert!(refused
        .text
        .contains("value=\"Moules et Composites du Lot\""));
    assert!(
        refused.text.contains("value=\"2 500,50\""),
        "the budget kept"
    );
    assert!(
        refused
            .text
            .contains("name=\"domains\" value=\"metrology\" checked"),
        "the domains kept"
    );
    assert!(refused.text.contains("value=\"Claire Vayssié\""));
    // A budget that is not an amount is refused before anything is sent.
    let mut bad_budget = public_fields("claire@moules-lot.fr", "40483304800022");
    bad_budget.retain(|(n, _)| *n != "budget");
    bad_budget.push(("budget", "beaucoup"));
    bad_budget.push(("csrf", &csrf));
    let refused = browse(
        &app,
        &mut jar,
        Method::POST,
        "/demandes/nouvelle",
        &form(&bad_budget),
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refusal_of(&refused, "budget").starts_with("Montant invalide"));
    // A NUL character is refused as the API refuses it, not stored.
    let mut nul = public_fields("claire@moules-lot.fr", "40483304800022");
    nul.push(("links", "https://exemple.fr/\0"));
    nul.push(("csrf", &csrf));
    let refused = browse(
        &app,
        &mut jar,
        Method::POST,
        "/demandes/nouvelle",
        &form(&nul),
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!refusal_of(&refused, "links").is_empty());
    assert_eq!(
        (
            app.count("service_requests").await,
            app.count("users").await
        ),
        before,
        "a refused form changes nothing"
    );

    // Accepted: the API's use case, then its receipt on a page of its own.
    let mut good = public_fields("claire@moules-lot.fr", "40483304800022");
    good.push(("csrf", &csrf));
    good.push(("confidential", "oui"));
    let done = browse(
        &app,
        &mut jar,
        Method::POST,
        "/demandes/nouvelle",
        &form(&good),
    )
    .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text);
    assert_eq!(location(&done), "/demandes/nouvelle/envoyee");
    assert_eq!(app.count("service_requests").await, before.0 + 1);
    assert_eq!(
        app.count_sql(
            "SELECT COUNT(*) AS n FROM service_requests WHERE title = 'Prototype de carter en composite' \
             AND domains = ',composites,metrology,' AND budget_cents = 250050 AND confidential = TRUE \
             AND requested_platform_id IS NULL"
                .to_owned()
        )
        .await,
        1
    );
    assert_eq!(
        app.count_sql(
            "SELECT COUNT(*) AS n FROM users WHERE email = 'claire@moules-lot.fr' AND active = FALSE"
                .to_owned()
        )
        .await,
        1,
        "an inactive contact waiting for its confirmation"
    );
    let receipt = page_of(&app, &mut jar, "/demandes/nouvelle/envoyee").await;
    assert_eq!(receipt.status, StatusCode::OK);
    assert!(
        receipt.text.contains("confirmez l&#x27;adresse")
            || receipt.text.contains("confirmez l&#39;adresse"),
        "{}",
        receipt.text
    );
    assert!(receipt.text.contains("Et ensuite ?"));

    // The staff see it in their list (confidential, with no platform asked for: the
    // director and the technology platforms' managers).
    let mut manager = Jar::default();
    log_in(&app, &mut manager, "admin@campus.test", PASSWORD).await;
    let list = page_of(&app, &mut manager, "/demandes").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.text.contains("Prototype de carter en composite"));
    assert!(list.text.contains("Moules et Composites du Lot"));
    assert!(
        list.text.contains("<strong>déposée</strong>"),
        "the state in French"
    );

    // Without an account the list asks to log in.
    let mut anonymous = Jar::default();
    let asked = page_of(&app, &mut anonymous, "/demandes").await;
    assert_eq!(asked.status, StatusCode::SEE_OTHER);
    assert_eq!(location(&asked), "/connexion?suite=%2Fdemandes");
}

/// The form and the API count against one limit per address: five submissions every ten
/// minutes, whichever door they come through.
async fn public_form_shares_the_api_limit(app: TestApp) {
    support::campus(&app).await;
    let mut jar = Jar::default();
    let page = page_of(&app, &mut jar, "/demandes/nouvelle").await;
    let csrf = csrf_of(&page);
    for i in 0..3 {
        let req = actix_web::test::TestRequest::post()
            .uri("/api/v1/public/service-requests")
            .peer_addr("127.0.0.1:4000".parse().unwrap())
            .insert_header(("Content-Type", "application/json"))
            .set_payload(
                json!({
                    "company_name": "Moules et Composites du Lot", "siret": "40483304800022",
                    "contact_name": "Claire Vayssié", "email": format!("api{i}@moules-lot.fr"),
                    "phone": "+33 5 65 00 00 00", "title": "Par l'API", "description": "Essai.",
                    "domains": ["composites"],
                })
                .to_string(),
            )
            .to_request();
        assert_eq!(app.send(req).await.status, StatusCode::ACCEPTED);
    }
    let mut fields = public_fields("web@moules-lot.fr", "40483304800022");
    fields.push(("csrf", &csrf));
    for _ in 0..2 {
        let done = browse(
            &app,
            &mut jar,
            Method::POST,
            "/demandes/nouvelle",
            &form(&fields),
        )
        .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text);
    }
    let stored = app.count("service_requests").await;
    let limited = browse(
        &app,
        &mut jar,
        Method::POST,
        "/demandes/nouvelle",
        &form(&fields),
    )
    .await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = limited
        .headers
        .get(header::RETRY_AFTER)
        .expect("Retry-After")
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry > 0 && retry <= 600);
    assert!(limited
        .text
        .contains("Trop de demandes depuis cette adresse"));
    assert!(
        limited.text.contains("value=\"web@moules-lot.fr\""),
        "what was typed kept"
    );
    assert_eq!(app.count("service_requests").await, stored);
}

async fn each_company_sees_its_own_requests_only(app: TestApp) {
    let c = support::campus(&app).await;
    let mine = request_of(
        &app,
        &c.company,
        "Essais de traction du Célé",
        &c.platform_id,
    )
    .await;
    let theirs = request_of(
        &app,
        &c.other_company,
        "Moule composite Stratiforme",
        &c.platform_id,
    )
    .await;
    let mut jar = Jar::default();
    log_in(&app, &mut jar, "contact@cele.test", PASSWORD).await;
    let list = page_of(&app, &mut jar, "/demandes").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    assert!(list.text.contains("Essais de traction du Célé"));
    assert!(!list.text.contains("Stratiforme"), "{}", list.text);
    assert!(list.text.contains("aria-current=\"page\">Demandes"));
    let own = page_of(&app, &mut jar, &format!("/demandes/{mine}")).await;
    assert_eq!(own.status, StatusCode::OK);
    assert!(own.text.contains("État : <strong>déposée</strong>"));
    assert!(own.text.contains("Retirer"), "the company may withdraw");
    assert!(!own.text.contains("Prendre en charge"), "a staff action");

    // Another company's request, an unknown one and a malformed id: the same 404 page.
    let unknown = page_of(&app, &mut jar, "/nulle-part").await;
    for path in [
        format!("/demandes/{theirs}"),
        format!("/demandes/{}", uuid::Uuid::now_v7()),
        "/demandes/pas-un-identifiant".to_owned(),
    ] {
        let page = page_of(&app, &mut jar, &path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(
            main_of(&page),
            main_of(&unknown),
            "{path}: not the 404 page"
        );
        assert!(!page.text.contains("Stratiforme"));
    }
    // Nor can it act on it or write there.
    let csrf = csrf_of(&own);
    let refused = browse(
        &app,
        &mut jar,
        Method::POST,
        &format!("/demandes/{theirs}/messages"),
        &form(&[("csrf", &csrf), ("body", "Bonjour")]),
    )
    .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    let refused = browse(
        &app,
        &mut jar,
        Method::POST,
        &format!("/demandes/{theirs}/actions"),
        &form(&[("csrf", &csrf), ("action", "withdraw")]),
    )
    .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    assert_eq!(state_of(&app, &theirs).await, "submitted");
    assert_eq!(app.count("service_request_messages").await, 0);

    // Logged in, a contact files a request for their company, without saying who they are.
    let page = page_of(&app, &mut jar, "/demandes/nouvelle").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        !page.text.contains("name=\"company_name\""),
        "{}",
        page.text
    );
    let csrf = csrf_of(&page);
    let filed = browse(
        &app,
        &mut jar,
        Method::POST,
        "/demandes/nouvelle",
        &form(&[
            ("csrf", &csrf),
            ("title", "Contrôle dimensionnel"),
            ("description", "Dix pièces à mesurer."),
            ("domains", "metrology"),
            ("platform_id", ""),
        ]),
    )
    .await;
    assert_eq!(filed.status, StatusCode::SEE_OTHER, "{}", filed.text);
    assert!(location(&filed).ends_with("?fait=depot"));
    assert_eq!(
        app.count_sql(format!(
            "SELECT COUNT(*) AS n FROM service_requests WHERE title = 'Contrôle dimensionnel' \
             AND company_id = '{}' AND contact_user_id = '{}'",
            c.company_id, c.company_user_id
        ))
        .await,
        1
    );
    let filed = page_of(&app, &mut jar, &location(&filed)).await;
    assert!(filed.text.contains("La demande est déposée"));

    // Teachers and observers read no request: the pages are unknown to them.
    for email in ["teacher@campus.test", "copil@campus.test"] {
        let mut jar = Jar::default();
        log_in(&app, &mut jar, email, PASSWORD).await;
        for path in ["/demandes".to_owned(), format!("/demandes/{mine}")] {
            let page = page_of(&app, &mut jar, &path).await;
            assert_eq!(page.status, StatusCode::NOT_FOUND, "{email} {path}");
            assert!(!page.text.contains("href=\"/demandes\""), "no link to it");
        }
    }
}

/// The manager takes the request, issues a quote through the editor (the service computes
/// the totals), the company accepts it, then the agreement and the work follow.
async fn staff_quote_company_accepts_then_the_life_goes_on(app: TestApp) {
    let c: Campus = support::campus(&app).await;
    let id = request_of(
        &app,
        &c.company,
        "Essais de traction du Célé",
        &c.platform_id,
    )
    .await;
    let path = format!("/demandes/{id}");
    let mut staff = Jar::default();
    log_in(&app, &mut staff, "manager@campus.test", PASSWORD).await;
    let page = page_of(&app, &mut staff, &path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(page.text.contains("<h3>Prendre en charge</h3>"));
    assert!(page.text.contains("<h3>Refuser</h3>"));
    assert!(
        !page.text.contains("id=\"editeur\""),
        "no quote before it is taken"
    );
    let csrf = csrf_of(&page);
    let act = |fields: Vec<(&'static str, String)>| {
        let mut body: Vec<(&str, &str)> = fields.iter().map(|(n, v)| (*n, v.as_str())).collect();
        body.push(("csrf", &csrf));
        form(&body)
    };
    let actions = format!("{path}/actions");

    // Without its token nothing happens; taking it needs a platform.
    let refused = browse(&app, &mut staff, Method::POST, &actions, "action=take").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let refused = browse(
        &app,
        &mut staff,
        Method::POST,
        &actions,
        &act(vec![
            ("action", "take".into()),
            ("platform_id", String::new()),
        ]),
    )
    .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text
    );
    assert!(refusal_of(&refused, "take-platform_id").starts_with("Indiquez le plateau"));
    // A platform the manager does not run: the API's refusal, in the form.
    let refused = browse(
        &app,
        &mut staff,
        Method::POST,
        &actions,
        &act(vec![
            ("action", "take".into()),
            ("platform_id", c.other_platform_id.clone()),
        ]),
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(
        refused.text.contains("qu&#x27;à un plateau que vous gérez")
            || refused.text.contains("qu&#39;à un plateau que vous gérez"),
        "{}",
        refused.text
    );
    assert_eq!(state_of(&app, &id).await, "submitted");
    let taken = browse(
        &app,
        &mut staff,
        Method::POST,
        &actions,
        &act(vec![
            ("action", "take".into()),
            ("platform_id", c.platform_id.clone()),
        ]),
    )
    .await;
    assert_eq!(taken.status, StatusCode::SEE_OTHER, "{}", taken.text);
    assert_eq!(location(&taken), format!("{path}?fait=take"));
    assert_eq!(state_of(&app, &id).await, "in_review");

    // The editor: a wrong quantity is refused next to it, the lines kept.
    let page = page_of(&app, &mut staff, &path).await;
    assert!(page.text.contains("id=\"editeur\""));
    for name in [
        "label_0",
        "quantity_0",
        "unit_0",
        "price_0",
        "label_2",
        "vat_rate",
        "valid_until",
    ] {
        assert!(
            page.text.contains(&format!("name=\"{name}\"")),
            "the editor's field {name}"
        );
    }
    assert!(
        page.text
            .contains("Prendre en charge : demande prise en charge"),
        "the timeline"
    );
    let valid_until = (today() + Duration::days(30)).to_string();
    let lines = |quantity: &str, step: &str| {
        act(vec![
            ("label_0", "Essai de traction".into()),
            ("quantity_0", quantity.into()),
            ("unit_0", "hour".into()),
            ("price_0", "85,00".into()),
            ("label_1", "Rapport d'essai".into()),
            ("quantity_1", "1".into()),
            ("unit_1", "flat".into()),
            ("price_1", "1 200".into()),
            ("label_2", String::new()),
            ("quantity_2", String::new()),
            ("unit_2", "hour".into()),
            ("price_2", String::new()),
            ("vat_rate", "20".into()),
            ("valid_until", valid_until.clone()),
            ("etape", step.into()),
        ])
    };
    let editor = format!("{path}/devis");
    let refused = browse(
        &app,
        &mut staff,
        Method::POST,
        &editor,
        &lines("beaucoup", "emettre"),
    )
    .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text
    );
    assert!(refusal_of(&refused, "quantity_0").starts_with("Quantité invalide"));
    assert!(refused.text.contains("Totaux non calculés"));
    // htmx refreshing the totals gets a page it swaps (200), saying the totals wait.
    let req = actix_web::test::TestRequest::post()
        .uri(&editor)
        .peer_addr("127.0.0.1:4000".parse().unwrap())
        .insert_header(("hx-request", "true"))
        .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"))
        .insert_header((
            header::COOKIE,
            format!(
                "plateaux_session={}",
                staff.get("plateaux_session").unwrap()
            ),
        ))
        .set_payload(lines("beaucoup", "calculer"));
    let swapped = app.send_unchecked(req.to_request()).await;
    assert_eq!(swapped.status, StatusCode::OK);
    assert!(swapped.text.contains("Totaux non calculés"));
    assert_eq!(app.count("quotes").await, 0);
    assert!(
        refused.text.contains("value=\"Rapport d&#x27;essai\"")
            || refused.text.contains("value=\"Rapport d&#39;essai\"")
    );
    // Past the service's bounds: the use case's refusal, on the line at fault.
    let refused = browse(
        &app,
        &mut staff,
        Method::POST,
        &editor,
        &lines("0", "emettre"),
    )
    .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text
    );
    assert!(refusal_of(&refused, "quantity_0").contains("positive"));
    assert_eq!(app.count("quotes").await, 0);

    // The totals computed by the service before issuing, then issued.
    let computed = browse(
        &app,
        &mut staff,
        Method::POST,
        &editor,
        &lines("1,5", "calculer"),
    )
    .await;
    assert_eq!(computed.status, StatusCode::OK);
    assert!(
        computed.text.contains("1\u{a0}593,00\u{a0}€"),
        "{}",
        computed.text
    );
    assert_eq!(app.count("quotes").await, 0, "computing issues nothing");
    let issued = browse(
        &app,
        &mut staff,
        Method::POST,
        &editor,
        &lines("1,5", "emettre"),
    )
    .await;
    assert_eq!(issued.status, StatusCode::SEE_OTHER, "{}", issued.text);
    assert_eq!(
        app.count_sql(format!(
            "SELECT COUNT(*) AS n FROM quotes WHERE request_id = '{id}' AND version = 1 \
             AND total_excl_vat_cents = 132750 AND total_vat_cents = 26550 AND total_incl_vat_cents = 159300"
        ))
        .await,
        1
    );
    assert_eq!(state_of(&app, &id).await, "quoted");
    let page = page_of(&app, &mut staff, &path).await;
    for amount in [
        "127,50",
        "1\u{a0}200,00",
        "1\u{a0}327,50",
        "265,50",
        "1\u{a0}593,00",
    ] {
        assert!(
            page.text.contains(&format!("{amount}\u{a0}€")),
            "{amount}: {}",
            page.text
        );
    }
    assert!(page.text.contains("Devis, version 1 : émise"));
    assert!(page.text.contains("1,5 heure"));

    // The company reads it and accepts it.
    let mut company = Jar::default();
    log_in(&app, &mut company, "contact@cele.test", PASSWORD).await;
    let page = page_of(&app, &mut company, &path).await;
    assert!(page.text.contains("État : <strong>devisée</strong>"));
    assert!(page
        .text
        .contains("Accepter le devis (version 1, 1\u{a0}593,00\u{a0}€ TTC)"));
    assert!(
        !page.text.contains("id=\"editeur\""),
        "the editor is the staff's"
    );
    let company_csrf = csrf_of(&page);
    // An action the company may not take: the API's refusal, nothing changed.
    let refused = browse(
        &app,
        &mut company,
        Method::POST,
        &actions,
        &form(&[("csrf", &company_csrf), ("action", "close")]),
    )
    .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(
        refused
            .text
            .contains("actions possibles : accepter, décliner, retirer"),
        "{}",
        refused.text
    );
    let accepted = browse(
        &app,
        &mut company,
        Method::POST,
        &actions,
        &form(&[
            ("csrf", &company_csrf),
            ("action", "accept"),
            ("quote_version", "1"),
        ]),
    )
    .await;
    assert_eq!(accepted.status, StatusCode::SEE_OTHER, "{}", accepted.text);
    assert_eq!(state_of(&app, &id).await, "accepted");
    assert_eq!(
        app.count_sql(format!(
            "SELECT COUNT(*) AS n FROM quotes WHERE request_id = '{id}' AND status = 'accepted'"
        ))
        .await,
        1
    );
    let page = page_of(&app, &mut company, &format!("{path}?fait=accept")).await;
    assert!(
        page.text.contains("C&#x27;est enregistré : « accepter »")
            || page.text.contains("C&#39;est enregistré : « accepter »")
    );
    assert!(page.text.contains("Devis, version 1 : acceptée"));

    // The agreement needs its reference, shown next to the field when missing.
    let page = page_of(&app, &mut staff, &path).await;
    assert!(page.text.contains("<h3>Signer la convention</h3>"));
    let refused = browse(
        &app,
        &mut staff,
        Method::POST,
        &actions,
        &act(vec![
            ("action", "sign_agreement".into()),
            ("agreement_reference", " ".into()),
            ("signed_on", today().to_string()),
        ]),
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!refusal_of(&refused, "sign_agreement-agreement_reference").is_empty());
    assert!(
        refused.text.contains(&format!("value=\"{}\"", today())),
        "the date kept"
    );
    let signed = browse(
        &app,
        &mut staff,
        Method::POST,
        &actions,
        &act(vec![
            ("action", "sign_agreement".into()),
            ("agreement_reference", "CONV-2027-014".into()),
            ("signed_on", today().to_string()),
        ]),
    )
    .await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER, "{}", signed.text);
    assert_eq!(state_of(&app, &id).await, "agreement_signed");
    let started = browse(
        &app,
        &mut staff,
        Method::POST,
        &actions,
        &act(vec![("action", "start_work".into())]),
    )
    .await;
    assert_eq!(started.status, StatusCode::SEE_OTHER);
    assert_eq!(state_of(&app, &id).await, "in_progress");
    let page = page_of(&app, &mut company, &path).await;
    assert!(page
        .text
        .contains("État : <strong>travaux en cours</strong>"));
    assert!(page.text.contains("CONV-2027-014"));
    assert!(
        page.text
            .contains("Signer la convention : demande convention signée"),
        "the timeline: {}",
        page.text
    );
}

async fn internal_messages_stay_with_the_staff(app: TestApp) {
    let c = support::campus(&app).await;
    let id = request_of(
        &app,
        &c.company,
        "Essais de traction du Célé",
        &c.platform_id,
    )
    .await;
    let path = format!("/demandes/{id}");
    let messages = format!("{path}/messages");
    let mut staff = Jar::default();
    log_in(&app, &mut staff, "manager@campus.test", PASSWORD).await;
    let page = page_of(&app, &mut staff, &path).await;
    let csrf = csrf_of(&page);
    assert!(
        page.text.contains("message interne"),
        "the staff choose who reads"
    );
    let refused = browse(&app, &mut staff, Method::POST, &messages, "body=Bonjour").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let refused = browse(
        &app,
        &mut staff,
        Method::POST,
        &messages,
        &form(&[("csrf", &csrf), ("body", "   "), ("visibility", "internal")]),
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!refusal_of(&refused, "message").is_empty());
    for (body, visibility) in [
        ("Marge confortable : proposer 85 € de l'heure.", "internal"),
        ("Pouvez-vous préciser la nuance d'acier ?", "shared"),
    ] {
        let sent = browse(
            &app,
            &mut staff,
            Method::POST,
            &messages,
            &form(&[("csrf", &csrf), ("body", body), ("visibility", visibility)]),
        )
        .await;
        assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.text);
    }
    let page = page_of(&app, &mut staff, &path).await;
    assert!(page.text.contains("Marge confortable"));
    assert!(page.text.contains("<strong>message interne</strong>"));

    let mut company = Jar::default();
    log_in(&app, &mut company, "contact@cele.test", PASSWORD).await;
    let page = page_of(&app, &mut company, &path).await;
    assert!(
        page.text.contains("préciser la nuance"),
        "the shared message"
    );
    assert!(
        !page.text.contains("Marge confortable"),
        "an internal message shown to the company"
    );
    assert!(
        !page.text.contains("Message interne"),
        "nor its trace in the timeline"
    );
    assert!(
        !page.text.contains("name=\"visibility\""),
        "a company writes shared messages only"
    );
    let company_csrf = csrf_of(&page);
    // A company cannot write an internal message, even by crafting the form.
    let refused = browse(
        &app,
        &mut company,
        Method::POST,
        &messages,
        &form(&[
            ("csrf", &company_csrf),
            ("body", "En interne"),
            ("visibility", "internal"),
        ]),
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.count("service_request_messages").await, 2);
    let sent = browse(
        &app,
        &mut company,
        Method::POST,
        &messages,
        &form(&[("csrf", &company_csrf), ("body", "Acier S355 J2.")]),
    )
    .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.count_sql(format!(
            "SELECT COUNT(*) AS n FROM service_request_messages WHERE request_id = '{id}' \
             AND visibility = 'shared' AND body = 'Acier S355 J2.'"
        ))
        .await,
        1
    );
    let page = page_of(&app, &mut staff, &path).await;
    assert!(page.text.contains("Acier S355 J2."));
}

/// The company declines a quote with its reason, then the staff close the request; a
/// withdrawn request offers nothing more.
async fn declining_then_closing(app: TestApp) {
    let c = support::campus(&app).await;
    let id = request_of(
        &app,
        &c.company,
        "Essais de traction du Célé",
        &c.platform_id,
    )
    .await;
    app.post(
        &format!("/api/v1/service-requests/{id}/transitions"),
        &c.manager,
        json!({ "action": "take", "platform_id": c.platform_id }),
    )
    .await
    .expect(200);
    app.post(&format!("/api/v1/service-requests/{id}/quotes"), &c.manager, json!({
        "valid_until": (today() + Duration::days(30)).to_string(),
        "lines": [{ "label": "Essai", "quantity": 2, "unit": "hour", "unit_price_cents": 8500, "vat_rate_bp": 2000 }],
    }))
    .await
    .expect(201);
    let path = format!("/demandes/{id}");
    let mut company = Jar::default();
    log_in(&app, &mut company, "contact@cele.test", PASSWORD).await;
    let page = page_of(&app, &mut company, &path).await;
    assert!(page
        .text
        .contains("Décliner le devis (version 1, 204,00\u{a0}€ TTC)"));
    let csrf = csrf_of(&page);
    // A version that is not the one to answer: the API's refusal, nothing changed.
    let refused = browse(
        &app,
        &mut company,
        Method::POST,
        &format!("{path}/actions"),
        &form(&[
            ("csrf", &csrf),
            ("action", "decline"),
            ("quote_version", "7"),
        ]),
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
            .contains("Cette version de devis n&#x27;existe pas")
            || refused
                .text
                .contains("Cette version de devis n&#39;existe pas"),
        "{}",
        refused.text
    );
    assert_eq!(state_of(&app, &id).await, "quoted");
    let declined = browse(
        &app,
        &mut company,
        Method::POST,
        &format!("{path}/actions"),
        &form(&[
            ("csrf", &csrf),
            ("action", "decline"),
            ("quote_version", "1"),
            ("reason", "Budget dépassé cette année."),
        ]),
    )
    .await;
    assert_eq!(declined.status, StatusCode::SEE_OTHER, "{}", declined.text);
    assert_eq!(state_of(&app, &id).await, "declined");
    let page = page_of(&app, &mut company, &path).await;
    assert!(
        page.text.contains("Budget dépassé cette année."),
        "the reason shown"
    );
    assert!(
        !page.text.contains("<h3>Retirer</h3>"),
        "nothing more to do"
    );

    let mut staff = Jar::default();
    log_in(&app, &mut staff, "manager@campus.test", PASSWORD).await;
    let page = page_of(&app, &mut staff, &path).await;
    assert!(page.text.contains("<h3>Clore</h3>"));
    assert!(
        !page.text.contains("id=\"editeur\""),
        "no quote on a declined request"
    );
    let closed = browse(
        &app,
        &mut staff,
        Method::POST,
        &format!("{path}/actions"),
        &form(&[("csrf", &csrf_of(&page)), ("action", "close")]),
    )
    .await;
    assert_eq!(closed.status, StatusCode::SEE_OTHER);
    assert_eq!(state_of(&app, &id).await, "closed");
    let page = page_of(&app, &mut staff, &path).await;
    assert!(page.text.contains("État : <strong>close</strong>"));
    assert!(!page.text.contains("Ce que vous pouvez faire"));
}

/// Anyone can know a SIRET: a newcomer who signs up through the form with a known company's
/// follows their own request only, and cannot commit the company on a quote until approved.
async fn a_contact_awaiting_approval_follows_only_their_own(app: TestApp) {
    let c = support::campus(&app).await;
    let secret = request_of(&app, &c.company, "Secret du Célé", &c.platform_id).await;
    let mut jar = Jar::default();
    let page = page_of(&app, &mut jar, "/demandes/nouvelle").await;
    let mut fields = public_fields("intrus@exemple.fr", "73282932000074");
    fields.retain(|(n, _)| *n != "title");
    fields.push(("title", "Demande du nouveau venu"));
    let csrf = csrf_of(&page);
    fields.push(("csrf", &csrf));
    let sent = browse(
        &app,
        &mut jar,
        Method::POST,
        "/demandes/nouvelle",
        &form(&fields),
    )
    .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.text);
    let pending = app
        .get("/api/v1/account-confirmations", &c.admin)
        .await
        .expect(200)
        .json();
    let user_id = pending
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["email"] == "intrus@exemple.fr")
        .expect("the newcomer waits for confirmation")["user_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let token = support::confirmation_token(&app, &c.admin, &user_id).await;
    app.call(
        Method::POST,
        "/api/v1/public/account-confirmations",
        None,
        Some(json!({ "token": token, "password": "un-mot-de-passe-solide" })),
        &[],
    )
    .await
    .expect(200);
    let own = app
        .get("/api/v1/service-requests", &c.manager)
        .await
        .expect(200)
        .json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["title"] == "Demande du nouveau venu")
        .expect("the newcomer's request")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.post(
        &format!("/api/v1/service-requests/{own}/transitions"),
        &c.manager,
        json!({ "action": "take", "platform_id": c.platform_id }),
    )
    .await
    .expect(200);
    app.post(&format!("/api/v1/service-requests/{own}/quotes"), &c.manager, json!({
        "valid_until": (today() + Duration::days(30)).to_string(),
        "lines": [{ "label": "Essai", "quantity": 2, "unit": "hour", "unit_price_cents": 8500, "vat_rate_bp": 2000 }],
    }))
    .await
    .expect(201);

    let mut newcomer = Jar::default();
    log_in(
        &app,
        &mut newcomer,
        "intrus@exemple.fr",
        "un-mot-de-passe-solide",
    )
    .await;
    let list = page_of(&app, &mut newcomer, "/demandes").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    assert!(list.text.contains("Demande du nouveau venu"));
    assert!(
        !list.text.contains("Secret du Célé"),
        "the company's other request"
    );
    assert!(
        list.text.contains("href=\"/demandes\""),
        "the link to their requests"
    );
    let hidden = page_of(&app, &mut newcomer, &format!("/demandes/{secret}")).await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    let page = page_of(&app, &mut newcomer, &format!("/demandes/{own}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let refused = browse(
        &app,
        &mut newcomer,
        Method::POST,
        &format!("/demandes/{own}/actions"),
        &form(&[
            ("csrf", &csrf_of(&page)),
            ("action", "accept"),
            ("quote_version", "1"),
        ]),
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text);
    assert!(
        refused.text.contains("Seul un contact approuvé"),
        "{}",
        refused.text
    );
    assert_eq!(state_of(&app, &own).await, "quoted");
}

/// A quote past its validity is not offered for an answer (the service would refuse it):
/// the page says when it expired and how to get a new version.
async fn an_expired_quote_is_not_offered_for_acceptance(app: TestApp) {
    let c = support::campus(&app).await;
    let id = request_of(&app, &c.company, "Usinage d'une série", &c.platform_id).await;
    app.post(
        &format!("/api/v1/service-requests/{id}/transitions"),
        &c.manager,
        json!({ "action": "take", "platform_id": c.platform_id }),
    )
    .await
    .expect(200);
    let valid_until = app.today() + Duration::days(2);
    app.post(&format!("/api/v1/service-requests/{id}/quotes"), &c.manager, json!({
        "valid_until": valid_until.to_string(),
        "lines": [{ "label": "Usinage", "quantity": 2, "unit": "hour", "unit_price_cents": 8500, "vat_rate_bp": 2000 }],
    }))
    .await
    .expect(201);
    let path = format!("/demandes/{id}");
    let mut company = Jar::default();
    log_in(&app, &mut company, "contact@cele.test", PASSWORD).await;
    let page = page_of(&app, &mut company, &path).await;
    assert!(
        page.text.contains("Accepter le devis (version 1"),
        "{}",
        page.text
    );
    assert!(!page.text.contains("a expiré"), "{}", page.text);

    app.advance(Duration::days(3));
    let mut company = Jar::default();
    log_in(&app, &mut company, "contact@cele.test", PASSWORD).await;
    let page = page_of(&app, &mut company, &path).await;
    assert!(!page.text.contains("Accepter le devis"), "{}", page.text);
    assert!(!page.text.contains("Décliner le devis"), "{}", page.text);
    let text = page.text.replace("&#39;", "'").replace("&#x27;", "'");
    let expired = format!(
        "La version 1 du devis a expiré le {} (elle était valable jusqu'au {})",
        plateaux::views::web::format::long_date(valid_until + Duration::days(1)),
        plateaux::views::web::format::long_date(valid_until)
    );
    assert!(text.contains(&expired), "{expired}\n{text}");
    assert!(
        text.contains("demandez-la à l'équipe du campus par un message"),
        "{text}"
    );
    // Withdrawing stays possible; the request still waits for an answer.
    assert!(page.text.contains("<h3>Retirer</h3>"), "{}", page.text);
    assert_eq!(state_of(&app, &id).await, "quoted");
}

on_both_databases!(
    an_expired_quote_is_not_offered_for_acceptance,
    a_contact_awaiting_approval_follows_only_their_own,
    declining_then_closing,
    public_form_creates_refuses_and_needs_its_token,
    each_company_sees_its_own_requests_only,
    staff_quote_company_accepts_then_the_life_goes_on,
    internal_messages_stay_with_the_staff,
);

mod public_form_shares_the_api_limit {
    #[actix_web::test]
    async fn sqlite() {
        super::public_form_shares_the_api_limit(
            crate::support::TestApp::with_production_limits(crate::support::Backend::Sqlite).await,
        )
        .await
    }

    #[actix_web::test]
    async fn postgres() {
        super::public_form_shares_the_api_limit(
            crate::support::TestApp::with_production_limits(crate::support::Backend::Postgres)
                .await,
        )
        .await
    }
}
