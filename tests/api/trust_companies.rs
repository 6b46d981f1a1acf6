//! Company confidentiality: public sign-up, invitations, pending contacts, confidential requests.

use actix_web::http::Method;
use chrono::Duration;
use serde_json::{json, Value};

use crate::on_both_databases;
use crate::support::dates::today;
use crate::support::util::{item_ids, unknown_id};
use crate::support::{activate, campus, confirmation_token, id_of, Campus, TestApp, PASSWORD};

/// The SIRET of the fixture's company "Usinages du Célé" (public knowledge).
const CELE_SIRET: &str = "73282932000074";

fn public_body(email: &str, siret: &str) -> Value {
    json!({
        "company_name": "Usinages du Célé", "siret": siret, "contact_name": "Inconnu",
        "email": email, "phone": "05 65 00 00 00",
        "title": "Demande d'un inconnu", "description": "Pour voir.", "domains": ["machining"],
    })
}

async fn submit_public(app: &TestApp, body: Value) -> crate::support::Reply {
    app.call(
        Method::POST,
        "/api/v1/public/service-requests",
        None,
        Some(body),
        &[],
    )
    .await
}

async fn confirm(app: &TestApp, token: &str, password: &str) -> crate::support::Reply {
    app.call(
        Method::POST,
        "/api/v1/public/account-confirmations",
        None,
        Some(json!({ "token": token, "password": password })),
        &[],
    )
    .await
}

/// A request of the fixture's company with an issued quote, handled on the fixture's platform.
async fn quoted_request(app: &TestApp, c: &Campus) -> String {
    let id = id_of(
        app.post(
            "/api/v1/service-requests",
            &c.company,
            json!({ "title": "Pièces confidentielles", "description": "Plans joints.", "domains": ["welding"] }),
        )
        .await
        .expect(201),
    );
    app.post(
        &format!("/api/v1/service-requests/{id}/transitions"),
        &c.manager,
        json!({ "action": "take", "platform_id": c.platform_id }),
    )
    .await
    .expect(200);
    issue_quote(app, &c.manager, &id).await;
    id
}

async fn issue_quote(app: &TestApp, token: &str, id: &str) {
    app.post(&format!("/api/v1/service-requests/{id}/quotes"), token, json!({
        "valid_until": (today() + Duration::days(30)).to_string(),
        "lines": [{ "label": "Essai", "quantity": 2, "unit": "hour", "unit_price_cents": 9000, "vat_rate_bp": 2000 }],
    }))
    .await
    .expect(201);
}

async fn a_stranger_with_a_known_siret_waits_for_approval(app: TestApp) {
    let c = campus(&app).await;
    let secret = quoted_request(&app, &c).await;

    // Anyone can know a SIRET: signing up with the company's own does not make one its contact.
    submit_public(&app, public_body("intrus@exemple.fr", CELE_SIRET))
        .await
        .expect(202);
    let pending = app
        .get("/api/v1/account-confirmations", &c.admin)
        .await
        .expect(200)
        .json();
    let entry = pending
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["email"] == "intrus@exemple.fr")
        .expect("listed")
        .clone();
    assert_eq!(entry["organisation_name"], "Usinages du Célé");
    assert_eq!(entry["siret"], CELE_SIRET);
    assert_eq!(entry["awaiting_approval"], true);
    let stranger_id = entry["user_id"].as_str().unwrap().to_owned();
    let token = confirmation_token(&app, &c.admin, &stranger_id).await;
    confirm(&app, &token, "un-mot-de-passe-solide")
        .await
        .expect(200);
    let session = app
        .login("intrus@exemple.fr", "un-mot-de-passe-solide")
        .await;
    assert_eq!(session["user"]["awaiting_approval"], true);
    let stranger = session["access_token"].as_str().unwrap().to_owned();

    // Until approved: the company's request and its quotes are out of sight, and only the
    // stranger's own request is listed.
    for part in ["", "/quotes", "/messages", "/timeline"] {
        app.get(
            &format!("/api/v1/service-requests/{secret}{part}"),
            &stranger,
        )
        .await
        .problem(404, "not_found");
    }
    app.post(
        &format!("/api/v1/service-requests/{secret}/transitions"),
        &stranger,
        json!({ "action": "accept", "quote_version": 1 }),
    )
    .await
    .problem(404, "not_found");
    let listed = app
        .get("/api/v1/service-requests", &stranger)
        .await
        .expect(200)
        .json();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed["items"][0]["title"], "Demande d'un inconnu");
    let own = listed["items"][0]["id"].as_str().unwrap().to_owned();
    // Nor anything else of the company: its bookings, accounts, calendar.
    for path in [
        "/api/v1/bookings",
        "/api/v1/users",
        "/api/v1/calendar-tokens",
    ] {
        app.get(path, &stranger)
            .await
            .problem(403, "approval_pending");
    }
    // The stranger cannot commit the company to a quote, even on their own request.
    app.post(
        &format!("/api/v1/service-requests/{own}/transitions"),
        &c.manager,
        json!({ "action": "take", "platform_id": c.platform_id }),
    )
    .await
    .expect(200);
    issue_quote(&app, &c.manager, &own).await;
    app.post(
        &format!("/api/v1/service-requests/{own}/transitions"),
        &stranger,
        json!({ "action": "accept", "quote_version": 1 }),
    )
    .await
    .problem(403, "approval_pending");
    assert_eq!(
        app.count_where("quotes", "status = 'accepted'").await,
        0,
        "no quote accepted"
    );

    // The company's contact sees who waits, with the company and its SIRET; another
    // company does not; the stranger cannot approve themselves.
    let waiting = app
        .get("/api/v1/contacts-awaiting-approval", &c.company)
        .await
        .expect(200)
        .json();
    assert_eq!(waiting.as_array().unwrap().len(), 1, "{waiting}");
    assert_eq!(waiting[0]["email"], "intrus@exemple.fr");
    assert_eq!(waiting[0]["siret"], CELE_SIRET);
    assert_eq!(waiting[0]["company_name"], "Usinages du Célé");
    assert_eq!(waiting[0]["address_confirmed"], true);
    assert_eq!(
        app.get("/api/v1/contacts-awaiting-approval", &c.other_company)
            .await
            .expect(200)
            .json(),
        json!([])
    );
    app.post(
        &format!("/api/v1/users/{stranger_id}/approve"),
        &stranger,
        json!({}),
    )
    .await
    .problem(403, "approval_pending");
    app.post(
        &format!("/api/v1/users/{stranger_id}/approve"),
        &c.other_company,
        json!({}),
    )
    .await
    .problem(404, "not_found");

    // Once the company's contact vouches for them, they act for the company.
    let approved = app
        .post(
            &format!("/api/v1/users/{stranger_id}/approve"),
            &c.company,
            json!({}),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(approved["awaiting_approval"], false);
    app.get(&format!("/api/v1/service-requests/{secret}"), &stranger)
        .await
        .expect(200);
    app.get("/api/v1/bookings", &stranger).await.expect(200);
}

async fn staff_invite_and_never_know_the_password(app: TestApp) {
    let c = campus(&app).await;
    let users = app.count("users").await;
    // A manager can no longer choose a company contact's password...
    let problem = app
        .post("/api/v1/users", &c.manager, json!({
            "email": "complice@cele.test", "display_name": "Complice", "password": "mot-de-passe-connu",
            "role": "company", "organisation_id": c.company_id,
        }))
        .await
        .problem(422, "validation_failed");
    assert_eq!(problem["errors"][0]["field"], "password");
    assert_eq!(problem["errors"][0]["code"], "unknown_field");
    assert_eq!(app.count("users").await, users);

    // ...only invite one: inactive, and nobody but an administrator can get its token.
    let invited = app
        .post("/api/v1/users", &c.manager, json!({
            "email": "complice@cele.test", "display_name": "Complice", "role": "company", "organisation_id": c.company_id,
        }))
        .await
        .expect(201)
        .json();
    assert_eq!(invited["active"], false);
    let id = invited["id"].as_str().unwrap().to_owned();
    for password in ["mot-de-passe-connu", ""] {
        let reply = app
            .call(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({ "email": "complice@cele.test", "password": password })),
                &[],
            )
            .await;
        assert!(reply.status == 401 || reply.status == 422, "{}", reply.text);
    }
    app.get("/api/v1/account-confirmations", &c.manager)
        .await
        .problem(403, "forbidden");
    let pending = app
        .get("/api/v1/account-confirmations", &c.admin)
        .await
        .expect(200)
        .json();
    let entry = pending
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["user_id"] == id.as_str())
        .expect("listed")
        .clone();
    assert!(entry.get("token").is_none(), "{entry}");
    let path = format!(
        "/api/v1/account-confirmations/{}/token",
        entry["id"].as_str().unwrap()
    );
    app.post(&path, &c.manager, json!({}))
        .await
        .problem(403, "forbidden");

    // A fresh token replaces the earlier ones and is stored only as a hash.
    let issued = app.post(&path, &c.admin, json!({})).await.expect(201);
    assert_eq!(
        issued
            .headers
            .get("cache-control")
            .unwrap()
            .to_str()
            .unwrap(),
        "no-store"
    );
    let first = issued.json()["token"].as_str().unwrap().to_owned();
    let second = confirmation_token(&app, &c.admin, &id).await;
    assert_ne!(first, second);
    let stored = app
        .count_sql(format!(
            "SELECT COUNT(*) AS n FROM account_confirmations WHERE token_hash IN ('{first}', '{second}')"
        ))
        .await;
    assert_eq!(stored, 0, "tokens are not stored in clear");
    confirm(&app, &first, "le-choix-du-titulaire")
        .await
        .problem(422, "validation_failed");
    confirm(&app, &second, "le-choix-du-titulaire")
        .await
        .expect(200);
    let session = app
        .login("complice@cele.test", "le-choix-du-titulaire")
        .await;
    assert_eq!(session["user"]["active"], true);
    // Invited by the staff: no approval needed.
    assert_eq!(session["user"]["awaiting_approval"], false);
}

/// A manager of a platform of `owner`, invited and confirmed.
async fn manager_of(
    app: &TestApp,
    c: &Campus,
    email: &str,
    platform_id: &str,
    owner: &str,
) -> String {
    let id = id_of(
        app.post(
            "/api/v1/users",
            &c.admin,
            json!({
                "email": email, "display_name": email, "role": "manager", "organisation_id": owner,
                "managed_platform_ids": [platform_id],
            }),
        )
        .await
        .expect(201),
    );
    activate(app, &c.admin, &id, PASSWORD).await;
    app.login(email, PASSWORD).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn confidential_requests_reach_only_their_platform(app: TestApp) {
    let c = campus(&app).await;
    // A technology platform (PFT) with a platform and its manager.
    let pft = id_of(
        app.post("/api/v1/organisations", &c.admin, json!({
            "name": "PFT Composites", "kind": "technology_platform", "siret": crate::support::util::siret(356_000_000), "campus_ids": [c.campus_id],
        }))
        .await
        .expect(201),
    );
    let pft_platform = id_of(
        app.post("/api/v1/platforms", &c.admin, json!({
            "campus_id": c.campus_id, "owner_organisation_id": pft, "name": "Atelier composites", "domain": "composites",
            "stations": 4, "opening_hours": [{ "weekday": "monday", "opens": "08:00", "closes": "17:00" }],
        }))
        .await
        .expect(201),
    );
    let pft_manager = manager_of(&app, &c, "pft@campus.test", &pft_platform, &pft).await;
    let machining = manager_of(
        &app,
        &c,
        "usinage@campus.test",
        &c.other_platform_id,
        &c.other_lycee_id,
    )
    .await;
    let welding = c.manager.clone();

    let submit = |confidential: bool, platform: Option<String>| {
        let company = c.company.clone();
        let app = &app;
        async move {
            let mut body = json!({ "title": "Pièce", "description": "Plans.", "domains": ["welding"], "confidential": confidential });
            if let Some(p) = platform {
                body["platform_id"] = json!(p);
            }
            id_of(
                app.post("/api/v1/service-requests", &company, body)
                    .await
                    .expect(201),
            )
        }
    };
    let to_welding = submit(true, Some(c.platform_id.clone())).await;
    let to_nobody = submit(true, None).await;
    let open = submit(false, None).await;

    let sees = |token: String, id: String| {
        let app = &app;
        async move {
            let single = app
                .get(&format!("/api/v1/service-requests/{id}"), &token)
                .await;
            let listed = item_ids(
                &app.get("/api/v1/service-requests?limit=500", &token)
                    .await
                    .expect(200)
                    .json(),
            )
            .contains(&id);
            // The list and the single read follow one rule.
            assert_eq!(single.status == 200, listed, "{}", single.text);
            assert!(single.status == 200 || single.status == 404);
            listed
        }
    };
    // Before it is taken: a confidential request reaches the managers of the platform asked
    // for, or the PFTs' managers when none was; an ordinary one reaches every manager.
    assert!(sees(welding.clone(), to_welding.clone()).await);
    assert!(!sees(machining.clone(), to_welding.clone()).await);
    assert!(!sees(pft_manager.clone(), to_welding.clone()).await);
    assert!(sees(pft_manager.clone(), to_nobody.clone()).await);
    assert!(!sees(welding.clone(), to_nobody.clone()).await);
    assert!(!sees(machining.clone(), to_nobody.clone()).await);
    for manager in [&welding, &machining, &pft_manager] {
        assert!(sees(manager.clone(), open.clone()).await);
    }
    assert!(sees(c.admin.clone(), to_nobody.clone()).await);
    assert!(sees(c.company.clone(), to_nobody.clone()).await);
    assert!(!sees(c.other_company.clone(), to_nobody.clone()).await);

    // The PFT's manager takes it on their platform and puts the welding manager in charge:
    // then the person in charge and that platform's managers see it, and nobody else.
    app.post(
        &format!("/api/v1/service-requests/{to_nobody}/transitions"),
        &pft_manager,
        json!({ "action": "take", "platform_id": pft_platform, "assignee_id": c.manager_id }),
    )
    .await
    .expect(200);
    assert!(sees(pft_manager.clone(), to_nobody.clone()).await);
    assert!(sees(welding.clone(), to_nobody.clone()).await);
    assert!(!sees(machining.clone(), to_nobody.clone()).await);
    assert!(sees(c.admin.clone(), to_nobody.clone()).await);
    // An ordinary request, once taken, leaves the sight of the other managers too.
    app.post(
        &format!("/api/v1/service-requests/{open}/transitions"),
        &welding,
        json!({ "action": "take", "platform_id": c.platform_id }),
    )
    .await
    .expect(200);
    assert!(!sees(machining.clone(), open.clone()).await);
    assert!(!sees(pft_manager.clone(), open.clone()).await);
}

async fn the_public_form_answers_alike(app: TestApp) {
    let c = campus(&app).await;
    let before = (
        app.count("users").await,
        app.count("organisations").await,
        app.count("service_requests").await,
    );
    // A body that cannot be accepted is refused the same way, whether or not the address
    // has an account: everything is checked before the address is looked up.
    let mut refusals = Vec::new();
    for email in ["contact@cele.test", "personne@exemple.fr"] {
        let mut body = public_body(email, "40483304800022");
        body["platform_id"] = json!(unknown_id());
        refusals.push(
            submit_public(&app, body)
                .await
                .problem(422, "validation_failed"),
        );
    }
    assert_eq!(refusals[0], refusals[1]);
    // The SIRET of a campus member that is not a company.
    let member_siret = crate::support::util::siret(356_000_000);
    app.post("/api/v1/organisations", &c.admin, json!({
        "name": "PFT Composites", "kind": "technology_platform", "siret": member_siret, "campus_ids": [c.campus_id],
    }))
    .await
    .expect(201);
    let before = (before.0, before.1 + 1, before.2);
    let mut refusals = Vec::new();
    for email in ["contact@cele.test", "personne@exemple.fr"] {
        refusals.push(
            submit_public(&app, public_body(email, &member_siret))
                .await
                .problem(422, "validation_failed"),
        );
    }
    assert_eq!(refusals[0], refusals[1]);
    assert_eq!(refusals[0]["errors"][0]["code"], "not_a_company");
    let after_refusals = (
        app.count("users").await,
        app.count("organisations").await,
        app.count("service_requests").await,
    );
    assert_eq!(after_refusals, before, "a refusal changes nothing");
    // A known, active address gets the same answer as a new one and stores nothing; the
    // answer never claims the request was recorded for it.
    let known = submit_public(&app, public_body("contact@cele.test", "40483304800022"))
        .await
        .expect(202)
        .json();
    let new = submit_public(&app, public_body("nouveau@exemple.fr", "40483304800022"))
        .await
        .expect(202)
        .json();
    assert_eq!(known, new);
    let message = known["message"].as_str().unwrap();
    assert!(message.contains("n'est pas enregistrée"), "{message}");
    assert_eq!(app.count("service_requests").await, after_refusals.2 + 1);
    assert_eq!(app.count("users").await, after_refusals.0 + 1);
}

on_both_databases!(
    a_stranger_with_a_known_siret_waits_for_approval,
    staff_invite_and_never_know_the_password,
    confidential_requests_reach_only_their_platform,
    the_public_form_answers_alike,
);
