//! The service-request pages through HTTP on both databases: the public form (its refusals,
//! its token, its limit shared with the API), the list and one request in each side's scope,
//! the quote editor, answering a quote, the transitions and the messages. Their writes are
//! the API's use cases: the same refusals, the same results.

use actix_web::http::{header, Method, StatusCode};
use chrono::Duration;
use serde_json::json;

use crate::on_both_databases;
use crate::support::dates::today;
use crate::support::web::{csrf_of, WebSession};
use crate::support::{self, Campus, Reply, TestApp, PASSWORD};

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
    let mut jar = WebSession::new(&app);
    let page = jar.get("/demandes/nouvelle").await;
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
    let refused = jar.post("/demandes/nouvelle", &form(&fields)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let mut other = WebSession::new(&app);
    let other_page = other.get("/demandes/nouvelle").await;
    let mut with_other = fields.clone();
    let other_csrf = csrf_of(&other_page);
    with_other.push(("csrf", &other_csrf));
    let refused = jar.post("/demandes/nouvelle", &form(&with_other)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    // Refusals next to their fields, in French, what was typed kept, nothing stored.
    let mut bad = public_fields("claire@moules-lot.fr", "40483304800023");
    bad.retain(|(n, _)| *n != "title" && *n != "description");
    bad.push(("title", "  "));
    bad.push(("description", ""));
    bad.push(("csrf", &csrf));
    let refused = jar.post("/demandes/nouvelle", &form(&bad)).await;
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
    let refused = jar.post("/demandes/nouvelle", &form(&bad_budget)).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refusal_of(&refused, "budget").starts_with("Montant invalide"));
    // A NUL character is refused as the API refuses it, not stored.
    let mut nul = public_fields("claire@moules-lot.fr", "40483304800022");
    nul.push(("links", "https://exemple.fr/\0"));
    nul.push(("csrf", &csrf));
    let refused = jar.post("/demandes/nouvelle", &form(&nul)).await;
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
    let done = jar.post("/demandes/nouvelle", &form(&good)).await;
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
    let receipt = jar.get("/demandes/nouvelle/envoyee").await;
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
    let mut manager = WebSession::logged_in(&app, "admin@campus.test", PASSWORD).await;
    let list = manager.get("/demandes").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.text.contains("Prototype de carter en composite"));
    assert!(list.text.contains("Moules et Composites du Lot"));
    assert!(
        list.text.contains("<strong>déposée</strong>"),
        "the state in French"
    );

    // Without an account the list asks to log in.
    let mut anonymous = WebSession::new(&app);
    let asked = anonymous.get("/demandes").await;
    assert_eq!(asked.status, StatusCode::SEE_OTHER);
    assert_eq!(location(&asked), "/connexion?suite=%2Fdemandes");
}

/// The form and the API count against one limit per address: five submissions every ten
/// minutes, whichever door they come through.
async fn public_form_shares_the_api_limit(app: TestApp) {
    support::campus(&app).await;
    let mut jar = WebSession::new(&app);
    let page = jar.get("/demandes/nouvelle").await;
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
        let done = jar.post("/demandes/nouvelle", &form(&fields)).await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text);
    }
    let stored = app.count("service_requests").await;
    let limited = jar.post("/demandes/nouvelle", &form(&fields)).await;
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
    let mut jar = WebSession::logged_in(&app, "contact@cele.test", PASSWORD).await;
    let list = jar.get("/demandes").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    assert!(list.text.contains("Essais de traction du Célé"));
    assert!(!list.text.contains("Stratiforme"), "{}", list.text);
    assert!(list.text.contains("aria-current=\"page\">Demandes"));
    let own = jar.get(&format!("/demandes/{mine}")).await;
    assert_eq!(own.status, StatusCode::OK);
    assert!(own.text.contains("État : <strong>déposée</strong>"));
    assert!(own.text.contains("Retirer"), "the company may withdraw");
    assert!(!own.text.contains("Prendre en charge"), "a staff action");

    // Another company's request, an unknown one and a malformed id: the same 404 page.
    let unknown = jar.get("/nulle-part").await;
    for path in [
        format!("/demandes/{theirs}"),
        format!("/demandes/{}", uuid::Uuid::now_v7()),
        "/demandes/pas-un-identifiant".to_owned(),
    ] {
        let page = jar.get(&path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(
            main_of(&page),
            main_of(&unknown),
            "{path}: not the 404 page"
        );
        assert!(!page.text.contains("Stratiforme"));
    }
    // Nor can it act on it or write there.
    let refused = jar
        .post_form(
            &format!("/demandes/{theirs}/messages"),
            &[("body", "Bonjour")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    let refused = jar
        .post_form(
            &format!("/demandes/{theirs}/actions"),
            &[("action", "withdraw")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    assert_eq!(state_of(&app, &theirs).await, "submitted");
    assert_eq!(app.count("service_request_messages").await, 0);

    // Logged in, a contact files a request for their company, without saying who they are.
    let page = jar.get("/demandes/nouvelle").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        !page.text.contains("name=\"company_name\""),
        "{}",
        page.text
    );
    let filed = jar
        .post_form(
            "/demandes/nouvelle",
            &[
                ("title", "Contrôle dimensionnel"),
                ("description", "Dix pièces à mesurer."),
                ("domains", "metrology"),
                ("platform_id", ""),
            ],
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
    let filed = jar.get(&location(&filed)).await;
    assert!(filed.text.contains("La demande est déposée"));

    // Teachers and observers read no request: the pages are unknown to them.
    for email in ["teacher@campus.test", "copil@campus.test"] {
        let mut jar = WebSession::logged_in(&app, email, PASSWORD).await;
        for path in ["/demandes".to_owned(), format!("/demandes/{mine}")] {
            let page = jar.get(&path).await;
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
    let mut staff = WebSession::logged_in(&app, "manager@campus.test", PASSWORD).await;
    let page = staff.get(&path).await;
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
    let refused = staff.post(&actions, "action=take").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let refused = staff
        .post(
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
    let refused = staff
        .post(
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
    let taken = staff
        .post(
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
    let page = staff.get(&path).await;
    assert!(page.text.contains("id=\"editeur\""));
    for name in [
        "label_0",
        "quantity_0",
        "unit_0",
        "price_0",
        "label_2",
        "vat_rate_0",
        "vat_rate_2",
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
            ("vat_rate_0", "20".into()),
            ("vat_rate_1", "20".into()),
            ("vat_rate_2", "20".into()),
            ("valid_until", valid_until.clone()),
            ("etape", step.into()),
        ])
    };
    let editor = format!("{path}/devis");
    let refused = staff.post(&editor, &lines("beaucoup", "emettre")).await;
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
                staff.cookie("plateaux_session").unwrap()
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
    let refused = staff.post(&editor, &lines("0", "emettre")).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text
    );
    assert!(refusal_of(&refused, "quantity_0").contains("positive"));
    assert_eq!(app.count("quotes").await, 0);

    // The totals computed by the service before issuing, then issued.
    let computed = staff.post(&editor, &lines("1,5", "calculer")).await;
    assert_eq!(computed.status, StatusCode::OK);
    assert!(
        computed.text.contains("1\u{a0}593,00\u{a0}€"),
        "{}",
        computed.text
    );
    assert_eq!(app.count("quotes").await, 0, "computing issues nothing");
    let issued = staff.post(&editor, &lines("1,5", "emettre")).await;
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
    let page = staff.get(&path).await;
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
    let mut company = WebSession::logged_in(&app, "contact@cele.test", PASSWORD).await;
    let page = company.get(&path).await;
    assert!(page.text.contains("État : <strong>devisée</strong>"));
    assert!(page
        .text
        .contains("Accepter le devis (version 1, 1\u{a0}593,00\u{a0}€ TTC)"));
    assert!(
        !page.text.contains("id=\"editeur\""),
        "the editor is the staff's"
    );
    // An action the company may not take: the API's refusal, nothing changed.
    let refused = company.post_form(&actions, &[("action", "close")]).await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(
        refused
            .text
            .contains("actions possibles : accepter, décliner, retirer"),
        "{}",
        refused.text
    );
    let accepted = company
        .post_form(&actions, &[("action", "accept"), ("quote_version", "1")])
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
    let page = company.get(&format!("{path}?fait=accept")).await;
    assert!(
        page.text.contains("C&#x27;est enregistré : « accepter »")
            || page.text.contains("C&#39;est enregistré : « accepter »")
    );
    assert!(page.text.contains("Devis, version 1 : acceptée"));

    // The agreement needs its reference, shown next to the field when missing.
    let page = staff.get(&path).await;
    assert!(page.text.contains("<h3>Signer la convention</h3>"));
    let refused = staff
        .post(
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
    let signed = staff
        .post(
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
    let started = staff
        .post(&actions, &act(vec![("action", "start_work".into())]))
        .await;
    assert_eq!(started.status, StatusCode::SEE_OTHER);
    assert_eq!(state_of(&app, &id).await, "in_progress");
    let page = company.get(&path).await;
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

/// Text of an attribute as the page escapes it, unescaped.
fn unescaped(text: &str) -> String {
    text.replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The value of the attribute `name` in a tag's text.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let marker = format!(" {name}=\"");
    let from = tag.find(&marker)? + marker.len();
    let to = from + tag[from..].find('"')?;
    Some(unescaped(&tag[from..to]))
}

/// What the quote editor's form sends when submitted untouched, as a browser sends it: each
/// input's value and each select's selected option (its first when none is).
fn editor_fields(page: &Reply) -> Vec<(String, String)> {
    let start = page.text.find("id=\"editeur\"").expect("the editor");
    let end = start
        + page.text[start..]
            .find("</form>")
            .expect("the editor's end");
    let html = &page.text[start..end];
    let tag_at = |at: usize| &html[at..at + html[at..].find('>').unwrap()];
    let mut fields = Vec::new();
    for (at, _) in html.match_indices("<input ") {
        let tag = tag_at(at);
        if let Some(name) = attribute(tag, "name") {
            fields.push((name, attribute(tag, "value").unwrap_or_default()));
        }
    }
    for (at, _) in html.match_indices("<select ") {
        let name = attribute(tag_at(at), "name").expect("a select's name");
        let body = &html[at..at + html[at..].find("</select>").unwrap()];
        let options: Vec<&str> = body
            .match_indices("<option ")
            .map(|(o, _)| &body[o..o + body[o..].find('>').unwrap()])
            .collect();
        let chosen = options
            .iter()
            .find(|o| o.contains(" selected"))
            .or(options.first())
            .unwrap_or_else(|| panic!("no option in {name}"));
        fields.push((name, attribute(chosen, "value").expect("an option's value")));
    }
    fields
}

fn field_value<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no field {name} in {fields:?}"))
}

/// The editor's body: `fields` with `changes` in place of their values, and the step.
fn editor_body(fields: &[(String, String)], changes: &[(&str, &str)], step: &str) -> String {
    let mut body: Vec<(&str, &str)> = fields
        .iter()
        .map(|(n, v)| {
            let changed = changes.iter().find(|(c, _)| c == n).map(|(_, v)| *v);
            (n.as_str(), changed.unwrap_or(v.as_str()))
        })
        .collect();
    body.push(("etape", step));
    form(&body)
}

/// A quote issued through the API with lines at 20 %, 0 %, 5.5 % and an unusual 8.5 %:
/// the page shows its VAT by rate as the lines sum it, and revising it in the editor without
/// touching the rates (with and without htmx) keeps every line's rate; a bad rate is refused
/// next to its field and issues nothing.
async fn revising_a_quote_in_the_page_keeps_each_lines_vat_rate(app: TestApp) {
    let c = support::campus(&app).await;
    let id = request_of(&app, &c.company, "Soudage et formation", &c.platform_id).await;
    app.post(
        &format!("/api/v1/service-requests/{id}/transitions"),
        &c.manager,
        json!({ "action": "take", "platform_id": c.platform_id }),
    )
    .await
    .expect(200);
    let quotes = format!("/api/v1/service-requests/{id}/quotes");
    let line = |label: &str, quantity: f64, unit: &str, price: i64, rate: i32| json!({ "label": label, "quantity": quantity, "unit": unit, "unit_price_cents": price, "vat_rate_bp": rate });
    let issued = app
        .post(
            &quotes,
            &c.manager,
            json!({
                "valid_until": (today() + Duration::days(30)).to_string(),
                "lines": [
                    line("Essai de traction", 1.5, "hour", 8500, 2000),
                    line("Formation d'opérateur", 1.0, "day", 45000, 0),
                    line("Consommables", 3.0, "piece", 1234, 550),
                    line("Rapport", 1.0, "flat", 10000, 850),
                ],
            }),
        )
        .await
        .expect(201)
        .json();
    // 127,50 + 450,00 + 37,02 + 100,00 excluding VAT; 25,50 + 0 + 2,04 + 8,50 of VAT.
    assert_eq!(issued["total_excl_vat_cents"], 71452);
    assert_eq!(issued["total_vat_cents"], 3604);
    assert_eq!(issued["total_incl_vat_cents"], 75056);

    let path = format!("/demandes/{id}");
    let editor = format!("{path}/devis");
    let mut staff = WebSession::logged_in(&app, "manager@campus.test", PASSWORD).await;
    let page = staff.get(&path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    // The issued version: the VAT by rate, highest first, adding up to the API's totals.
    let breakdown = [
        "<dt>TVA 20 % sur 127,50\u{a0}€</dt><dd>25,50\u{a0}€</dd>",
        "<dt>TVA 8,5 % sur 100,00\u{a0}€</dt><dd>8,50\u{a0}€</dd>",
        "<dt>TVA 5,5 % sur 37,02\u{a0}€</dt><dd>2,04\u{a0}€</dd>",
        "<dt>TVA 0 % sur 450,00\u{a0}€</dt><dd>0,00\u{a0}€</dd>",
        "<dt>Total TVA</dt><dd>36,04\u{a0}€</dd>",
        "<dt>Total TTC</dt><dd><strong>750,56\u{a0}€</strong></dd>",
    ];
    let in_order = |text: &str| {
        let mut from = 0;
        for share in breakdown {
            let at = text[from..]
                .find(share)
                .unwrap_or_else(|| panic!("{share} not after the previous share: {text}"));
            from += at + share.len();
        }
    };
    in_order(&main_of(&page));

    // The editor starts from the version revised: each line's rate, the unusual one offered.
    let fields = editor_fields(&page);
    for (name, rate) in [
        ("vat_rate_0", "20"),
        ("vat_rate_1", "0"),
        ("vat_rate_2", "5,5"),
        ("vat_rate_3", "8,5"),
        ("vat_rate_4", "20"),
    ] {
        assert_eq!(field_value(&fields, name), rate, "{name}");
    }
    assert_eq!(field_value(&fields, "label_1"), "Formation d'opérateur");
    assert_eq!(
        field_value(&fields, "label_4"),
        "",
        "a blank line to add one"
    );
    assert!(page
        .text
        .contains("<label for=\"vat_rate_2\">Ligne 3 : taux de TVA</label>"));
    for option in ["20", "10", "5,5", "2,1", "0"] {
        assert!(
            page.text
                .contains(&format!("<option value=\"{option}\">{option} %</option>")),
            "the French rate {option} % on offer"
        );
    }

    // Without JavaScript, « Calculer les totaux »: the same amounts by rate, nothing issued.
    let computed = staff
        .post(&editor, &editor_body(&fields, &[], "calculer"))
        .await;
    assert_eq!(computed.status, StatusCode::OK, "{}", computed.text);
    let totals_of = |page: &Reply| {
        let start = page.text.find("id=\"totaux\"").expect("the totals");
        let end = start + page.text[start..].find("</div>").unwrap();
        page.text[start..end].to_owned()
    };
    in_order(&totals_of(&computed));
    assert!(computed
        .text
        .contains("Montant HT 37,02\u{a0}€, TVA 2,04\u{a0}€"));
    // htmx refreshing the totals as one types gets the same totals to swap in.
    let htmx = actix_web::test::TestRequest::post()
        .uri(&editor)
        .peer_addr("127.0.0.1:4000".parse().unwrap())
        .insert_header(("hx-request", "true"))
        .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"))
        .insert_header((
            header::COOKIE,
            format!(
                "plateaux_session={}",
                staff.cookie("plateaux_session").unwrap()
            ),
        ))
        .set_payload(editor_body(&fields, &[("quantity_2", "4")], "calculer"));
    let swapped = app.send_unchecked(htmx.to_request()).await;
    assert_eq!(swapped.status, StatusCode::OK);
    assert!(
        totals_of(&swapped).contains("<dt>TVA 5,5 % sur 49,36\u{a0}€</dt><dd>2,71\u{a0}€</dd>"),
        "{}",
        totals_of(&swapped)
    );
    assert_eq!(app.count("quotes").await, 1, "computing issues nothing");

    // A bad rate: refused next to its line's rate, what was sent kept, nothing issued.
    for bad in ["vingt", "150", "8,125", ""] {
        let refused = staff
            .post(
                &editor,
                &editor_body(&fields, &[("vat_rate_2", bad)], "emettre"),
            )
            .await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            refused.text
        );
        assert!(
            refusal_of(&refused, "vat_rate_2").starts_with("Taux de TVA invalide"),
            "{bad}: {}",
            refusal_of(&refused, "vat_rate_2")
        );
        assert!(refused.text.contains("Totaux non calculés"));
        let kept = editor_fields(&refused);
        if !bad.is_empty() {
            assert_eq!(field_value(&kept, "vat_rate_2"), bad, "what was sent, kept");
        }
        assert_eq!(
            field_value(&kept, "vat_rate_3"),
            "8,5",
            "the other lines kept"
        );
    }
    assert_eq!(app.count("quotes").await, 1, "a bad rate issues nothing");

    // Issued untouched: version 2 has every line's rate of version 1, and its totals.
    let revised = staff
        .post(&editor, &editor_body(&fields, &[], "emettre"))
        .await;
    assert_eq!(revised.status, StatusCode::SEE_OTHER, "{}", revised.text);
    let versions = app.get(&quotes, &c.manager).await.expect(200).json();
    let versions = versions.as_array().expect("the versions");
    let second = versions
        .iter()
        .find(|q| q["version"] == 2)
        .expect("version 2");
    let rates: Vec<i64> = second["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["vat_rate_bp"].as_i64().unwrap())
        .collect();
    assert_eq!(rates, [2000, 0, 550, 850]);
    for key in [
        "total_excl_vat_cents",
        "total_vat_cents",
        "total_incl_vat_cents",
    ] {
        assert_eq!(second[key], issued[key], "{key}");
    }
    let page = staff.get(&path).await;
    assert!(page.text.contains("Devis, version 2 : émise"));
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
    let mut staff = WebSession::logged_in(&app, "manager@campus.test", PASSWORD).await;
    let page = staff.get(&path).await;
    assert!(
        page.text.contains("message interne"),
        "the staff choose who reads"
    );
    let refused = staff.post(&messages, "body=Bonjour").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let refused = staff
        .post_form(&messages, &[("body", "   "), ("visibility", "internal")])
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!refusal_of(&refused, "message").is_empty());
    for (body, visibility) in [
        ("Marge confortable : proposer 85 € de l'heure.", "internal"),
        ("Pouvez-vous préciser la nuance d'acier ?", "shared"),
    ] {
        let sent = staff
            .post_form(&messages, &[("body", body), ("visibility", visibility)])
            .await;
        assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.text);
    }
    let page = staff.get(&path).await;
    assert!(page.text.contains("Marge confortable"));
    assert!(page.text.contains("<strong>message interne</strong>"));

    let mut company = WebSession::logged_in(&app, "contact@cele.test", PASSWORD).await;
    let page = company.get(&path).await;
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
    // A company cannot write an internal message, even by crafting the form.
    let refused = company
        .post_form(
            &messages,
            &[("body", "En interne"), ("visibility", "internal")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.count("service_request_messages").await, 2);
    let sent = company
        .post_form(&messages, &[("body", "Acier S355 J2.")])
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
    let page = staff.get(&path).await;
    assert!(page.text.contains("Acier S355 J2."));
}

/// The `<a>` elements of `html` whose address starts with `http` in any case, as written.
fn outside_links(html: &str) -> Vec<String> {
    html.to_ascii_lowercase()
        .match_indices("<a href=\"http")
        .map(|(at, _)| {
            let end = at + html[at..].find("</a>").expect("a closed link");
            html[at..end + "</a>".len()].to_owned()
        })
        .collect()
}

/// Web addresses written in a request (its need, its links) and in its messages are links
/// on its page, safely: only http(s) ones, the sentence's punctuation left out, everything
/// else escaped text, and every such link `rel="nofollow noopener noreferrer"`.
async fn addresses_in_requests_are_links_and_nothing_else(app: TestApp) {
    let c = support::campus(&app).await;
    let description =
        "Plans sur https://exemple.fr/plans?lot=2&rev=B. Voir aussi (http://cele.test/essais).\n\
        <script>alert(1)</script> javascript:alert(1) data:text/html,<b>x</b> \
        https://piege.test/\"onmouseover=\"alert(1)\" <a href=\"javascript:alert(2)\">ici</a>";
    let id = app
        .post(
            "/api/v1/service-requests",
            &c.company,
            json!({
                "title": "Essais de traction du Célé",
                "description": description,
                "domains": ["welding"],
                "platform_id": c.platform_id,
                "links": ["https://partage.cele.test/dossier-42", "javascript:alert(3)"],
            }),
        )
        .await
        .expect(201)
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/demandes/{id}");
    let mut company = WebSession::logged_in(&app, "contact@cele.test", PASSWORD).await;
    company.get(&path).await;
    let sent = company
        .post_form(
            &format!("{path}/messages"),
            &[(
                "body",
                "Le rapport : HTTPS://Partage.cele.test/rapport.pdf, et la vidéo https://fr.wikipedia.org/wiki/Tour_(usinage) !",
            )],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.text);

    let mut staff = WebSession::logged_in(&app, "manager@campus.test", PASSWORD).await;
    let page = staff.get(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    let main = main_of(&page);
    let rel = "rel=\"nofollow noopener noreferrer\"";
    let link = |address: &str| format!("<a href=\"{address}\" {rel}>{address}</a>");
    for expected in [
        format!("{}. Voir aussi ({}).", link("https://exemple.fr/plans?lot=2&#38;rev=B"), link("http://cele.test/essais")),
        format!("<li>{}</li>", link("https://partage.cele.test/dossier-42")),
        format!("{},", link("HTTPS://Partage.cele.test/rapport.pdf")),
        format!("{} !", link("https://fr.wikipedia.org/wiki/Tour_(usinage)")),
        "&#60;script&#62;alert(1)&#60;/script&#62; javascript:alert(1) data:text/html,&#60;b&#62;x&#60;/b&#62;".to_owned(),
        "<li>javascript:alert(3)</li>".to_owned(),
    ] {
        assert!(main.contains(&expected), "{expected}\n{main}");
    }
    // The address stops at the quote: what follows is text, its quotes escaped.
    let trap = link("https://piege.test/");
    assert!(main.contains(&trap), "{main}");
    let after = &main[main.find(&trap).unwrap() + trap.len()..];
    assert!(
        after.starts_with(
            "&#34;onmouseover=&#34;alert(1)&#34; &#60;a href=&#34;javascript:alert(2)&#34;&#62;"
        ),
        "{after}"
    );
    assert!(!main.contains("<script>"));
    assert!(!main.contains("<b>"));
    assert!(!main.to_lowercase().contains("href=\"javascript:"));
    assert!(!main.to_lowercase().contains("href=\"data:"));
    let links = outside_links(&main);
    assert_eq!(links.len(), 6, "{links:#?}");
    assert!(links.iter().all(|a| a.contains(rel)), "{links:#?}");
    // The company's page shows them the same way.
    let theirs = main_of(&company.get(&path).await);
    assert_eq!(outside_links(&theirs), links);
}

/// The HTML e-mail of a shared message makes its web addresses links the same way; its
/// excerpt never ends in the middle of one.
async fn shared_message_addresses_are_links_in_the_mail(backend: support::Backend) {
    use crate::mail_events::wait_for;
    let sink = crate::support::smtp::SmtpSink::start();
    let app = TestApp::with_mail(backend, Some(&sink.url()), |_| {}).await;
    let c = support::campus(&app).await;
    let id = request_of(&app, &c.company, "Essais de traction", &c.platform_id).await;
    app.post(
        &format!("/api/v1/service-requests/{id}/transitions"),
        &c.manager,
        json!({ "action": "take", "platform_id": c.platform_id }),
    )
    .await
    .expect(200);
    // 300 characters reach into the second address: the excerpt stops before it.
    let body = format!(
        "Les plans : https://partage.campus.test/plans?v=2&lot=A. <script>alert(1)</script> javascript:alert(1) {} https://partage.campus.test/suite-du-dossier",
        "x".repeat(160)
    );
    assert!(body.chars().count() > 300 && body.chars().count() < 320);
    app.post(
        &format!("/api/v1/service-requests/{id}/messages"),
        &c.manager,
        json!({ "body": body, "visibility": "shared" }),
    )
    .await
    .expect(201);
    let message = wait_for(&sink, "contact@cele.test", "Nouveau message", 1);
    assert!(
        message.html.contains(
            "<a href=\"https://partage.campus.test/plans?v=2&#38;lot=A\" rel=\"nofollow noopener noreferrer\">https://partage.campus.test/plans?v=2&#38;lot=A</a>. &#60;script&#62;alert(1)&#60;/script&#62; javascript:alert(1)"
        ),
        "{}",
        message.html
    );
    assert!(!message.html.contains("<script>"));
    assert!(!message.html.contains("href=\"javascript:"));
    assert!(
        !message.html.contains("partage.campus.test/s"),
        "{}",
        message.html
    );
    assert!(message
        .text
        .contains("https://partage.campus.test/plans?v=2&lot=A."));
}

mod shared_message_addresses_are_links_in_the_mail {
    #[actix_web::test]
    async fn sqlite() {
        super::shared_message_addresses_are_links_in_the_mail(crate::support::Backend::Sqlite).await
    }

    #[actix_web::test]
    async fn postgres() {
        super::shared_message_addresses_are_links_in_the_mail(crate::support::Backend::Postgres)
            .await
    }
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
    let mut company = WebSession::logged_in(&app, "contact@cele.test", PASSWORD).await;
    let page = company.get(&path).await;
    assert!(page
        .text
        .contains("Décliner le devis (version 1, 204,00\u{a0}€ TTC)"));
    // A version that is not the one to answer: the API's refusal, nothing changed.
    let refused = company
        .post_form(
            &format!("{path}/actions"),
            &[("action", "decline"), ("quote_version", "7")],
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
    let declined = company
        .post_form(
            &format!("{path}/actions"),
            &[
                ("action", "decline"),
                ("quote_version", "1"),
                ("reason", "Budget dépassé cette année."),
            ],
        )
        .await;
    assert_eq!(declined.status, StatusCode::SEE_OTHER, "{}", declined.text);
    assert_eq!(state_of(&app, &id).await, "declined");
    let page = company.get(&path).await;
    assert!(
        page.text.contains("Budget dépassé cette année."),
        "the reason shown"
    );
    assert!(
        !page.text.contains("<h3>Retirer</h3>"),
        "nothing more to do"
    );

    let mut staff = WebSession::logged_in(&app, "manager@campus.test", PASSWORD).await;
    let page = staff.get(&path).await;
    assert!(page.text.contains("<h3>Clore</h3>"));
    assert!(
        !page.text.contains("id=\"editeur\""),
        "no quote on a declined request"
    );
    let closed = staff
        .post_form(&format!("{path}/actions"), &[("action", "close")])
        .await;
    assert_eq!(closed.status, StatusCode::SEE_OTHER);
    assert_eq!(state_of(&app, &id).await, "closed");
    let page = staff.get(&path).await;
    assert!(page.text.contains("État : <strong>close</strong>"));
    assert!(!page.text.contains("Ce que vous pouvez faire"));
}

/// Anyone can know a SIRET: a newcomer who signs up through the form with a known company's
/// follows their own request only, and cannot commit the company on a quote until approved.
async fn a_contact_awaiting_approval_follows_only_their_own(app: TestApp) {
    let c = support::campus(&app).await;
    let secret = request_of(&app, &c.company, "Secret du Célé", &c.platform_id).await;
    let mut jar = WebSession::new(&app);
    let page = jar.get("/demandes/nouvelle").await;
    let mut fields = public_fields("intrus@exemple.fr", "73282932000074");
    fields.retain(|(n, _)| *n != "title");
    fields.push(("title", "Demande du nouveau venu"));
    let csrf = csrf_of(&page);
    fields.push(("csrf", &csrf));
    let sent = jar.post("/demandes/nouvelle", &form(&fields)).await;
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

    let mut newcomer = WebSession::new(&app);
    newcomer
        .log_in("intrus@exemple.fr", "un-mot-de-passe-solide")
        .await;
    let list = newcomer.get("/demandes").await;
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
    let hidden = newcomer.get(&format!("/demandes/{secret}")).await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    let page = newcomer.get(&format!("/demandes/{own}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let refused = newcomer
        .post_form(
            &format!("/demandes/{own}/actions"),
            &[("action", "accept"), ("quote_version", "1")],
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
    let mut company = WebSession::logged_in(&app, "contact@cele.test", PASSWORD).await;
    let page = company.get(&path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(
        page.text.contains("Accepter le devis (version 1"),
        "{}",
        page.text
    );
    assert!(!page.text.contains("a expiré"), "{}", page.text);

    app.advance(Duration::days(3));
    let mut company = WebSession::logged_in(&app, "contact@cele.test", PASSWORD).await;
    let page = company.get(&path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
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
    revising_a_quote_in_the_page_keeps_each_lines_vat_rate,
    internal_messages_stay_with_the_staff,
    addresses_in_requests_are_links_and_nothing_else,
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
