//! Accounts: creation rules, changes by the administrator, deactivation, managed platforms and
//! qualifications held.

use actix_web::http::Method;
use serde_json::{json, Value};

use crate::on_both_databases;
use crate::support::util::{item_ids, unknown_id};
use crate::support::{campus, id_of, TestApp, PASSWORD};

fn account(email: &str, role: &str, organisation_id: &str) -> Value {
    json!({ "email": email, "display_name": "Compte de test", "role": role, "organisation_id": organisation_id })
}

#[track_caller]
fn only_error(problem: &Value) -> (String, String) {
    let errors = problem["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors: {problem}"));
    assert_eq!(errors.len(), 1, "one field error expected: {problem}");
    (
        errors[0]["field"].as_str().unwrap().to_owned(),
        errors[0]["code"].as_str().unwrap().to_owned(),
    )
}

fn pair(field: &str, code: &str) -> (String, String) {
    (field.to_owned(), code.to_owned())
}

async fn accounts_are_created_with_checked_fields(app: TestApp) {
    let c = campus(&app).await;
    let users = app.count("users").await;
    let audit = app.count("audit_events").await;

    // The address must have the documented shape as sent (the document's pattern allows no
    // blank around it); it is kept in lower case.
    let spaced = account("  Nouveau.Prof@Campus.TEST ", "teacher", &c.lycee_id);
    let refused = app
        .post("/api/v1/users", &c.admin, spaced)
        .await
        .problem(422, "validation_failed");
    assert_eq!(refused["errors"][0]["field"], "email", "{refused}");
    assert_eq!(refused["errors"][0]["code"], "invalid_format", "{refused}");
    let mut body = account("Nouveau.Prof@Campus.TEST", "teacher", &c.lycee_id);
    body["display_name"] = json!("  Nouveau professeur ");
    let reply = app.post("/api/v1/users", &c.admin, body).await.expect(201);
    let created = reply.json();
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(
        reply.headers.get("location").unwrap().to_str().unwrap(),
        format!("/api/v1/users/{id}")
    );
    assert_eq!(
        created["email"], "nouveau.prof@campus.test",
        "e-mail lower-cased"
    );
    assert_eq!(created["display_name"], "Nouveau professeur");
    assert_eq!(created["role"], "teacher");
    assert_eq!(created["organisation_id"], c.lycee_id.as_str());
    // An invitation: inactive until its owner confirms it and chooses the password.
    assert_eq!(created["active"], false);
    assert_eq!(created["managed_platform_ids"], json!([]));
    assert!(
        created.get("password").is_none() && created.get("password_hash").is_none(),
        "no secret in the answer: {created}"
    );
    assert_eq!(
        app.get(&format!("/api/v1/users/{id}"), &c.admin)
            .await
            .expect(200)
            .json(),
        created
    );

    // The same address in another case is taken.
    app.post(
        "/api/v1/users",
        &c.admin,
        account("NOUVEAU.PROF@campus.test", "teacher", &c.other_lycee_id),
    )
    .await
    .problem(409, "email_taken");
    app.post(
        "/api/v1/users",
        &c.manager,
        account("Contact@Cele.Test", "company", &c.company_id),
    )
    .await
    .problem(409, "email_taken");

    let refusals: Vec<(Value, (String, String))> = vec![
        (
            json!({ "email": "court@campus.test", "display_name": "Court", "password": "onze-signes", "role": "teacher", "organisation_id": c.lycee_id }),
            pair("password", "unknown_field"),
        ),
        (
            json!({ "email": "long@campus.test", "display_name": "Long", "password": "x".repeat(257), "role": "teacher", "organisation_id": c.lycee_id }),
            pair("password", "unknown_field"),
        ),
        (
            account("sans-arobase.campus.test", "teacher", &c.lycee_id),
            pair("email", "invalid_format"),
        ),
        (
            account("prof@campus", "teacher", &c.lycee_id),
            pair("email", "invalid_format"),
        ),
        (
            account("prof nom@campus.test", "teacher", &c.lycee_id),
            pair("email", "invalid_format"),
        ),
        (
            account("entreprise@lycee.test", "company", &c.lycee_id),
            pair("organisation_id", "role_mismatch"),
        ),
        (
            account("prof@cele.test", "teacher", &c.company_id),
            pair("organisation_id", "role_mismatch"),
        ),
        (
            account("manager@cele.test", "manager", &c.company_id),
            pair("organisation_id", "role_mismatch"),
        ),
        (
            account("admin@cele.test", "admin", &c.other_company_id),
            pair("organisation_id", "role_mismatch"),
        ),
        (
            account("perdu@campus.test", "teacher", &unknown_id()),
            pair("organisation_id", "unknown_reference"),
        ),
        (
            json!({ "email": "gere@campus.test", "display_name": "Gère", "role": "teacher", "organisation_id": c.lycee_id, "managed_platform_ids": [c.platform_id] }),
            pair("managed_platform_ids", "not_allowed"),
        ),
        (
            json!({ "email": "gere@campus.test", "display_name": "Gère", "role": "manager", "organisation_id": c.lycee_id, "managed_platform_ids": [unknown_id()] }),
            pair("managed_platform_ids", "unknown_reference"),
        ),
        (
            json!({ "email": "vide@campus.test", "display_name": "  ", "role": "teacher", "organisation_id": c.lycee_id }),
            pair("display_name", "required"),
        ),
    ];
    for (body, expected) in refusals {
        let problem = app
            .post("/api/v1/users", &c.admin, body.clone())
            .await
            .problem(422, "validation_failed");
        assert_eq!(only_error(&problem), expected, "body: {body}");
    }
    assert_eq!(app.count("users").await, users + 1);

    // A manager may manage several platforms.
    let twelve = app
        .post("/api/v1/users", &c.admin, json!({
            "email": "douze@campus.test", "display_name": "Douze", "role": "manager",
            "organisation_id": c.other_lycee_id, "managed_platform_ids": [c.other_platform_id, c.platform_id, c.platform_id],
        }))
        .await
        .expect(201)
        .json();
    let mut both = vec![c.platform_id.clone(), c.other_platform_id.clone()];
    both.sort();
    assert_eq!(twelve["managed_platform_ids"], json!(both));
    let platform = app
        .get(
            &format!("/api/v1/platforms/{}", c.other_platform_id),
            &c.admin,
        )
        .await
        .expect(200)
        .json();
    assert_eq!(platform["manager_ids"], json!([twelve["id"]]));
    // Exactly twelve characters are enough for the password the owner chooses.
    crate::support::activate(
        &app,
        &c.admin,
        twelve["id"].as_str().unwrap(),
        "douze-signes",
    )
    .await;
    let tokens = app.login("DOUZE@campus.test", "douze-signes").await;
    assert_eq!(tokens["user"]["managed_platform_ids"], json!(both));

    // Managers bring in company contacts, and nothing else.
    let contact = app
        .post(
            "/api/v1/users",
            &c.manager,
            account(
                "nouveau.contact@stratiforme.test",
                "company",
                &c.other_company_id,
            ),
        )
        .await
        .expect(201)
        .json();
    assert_eq!(contact["role"], "company");
    assert_eq!(contact["organisation_id"], c.other_company_id.as_str());
    for role in ["teacher", "manager", "admin", "observer"] {
        app.post(
            "/api/v1/users",
            &c.manager,
            account(
                &format!("{role}.par.manager@campus.test"),
                role,
                &c.lycee_id,
            ),
        )
        .await
        .problem(403, "forbidden");
    }
    let problem = app
        .post(
            "/api/v1/users",
            &c.manager,
            account("contact@lycee.test", "company", &c.lycee_id),
        )
        .await
        .problem(422, "validation_failed");
    assert_eq!(
        only_error(&problem),
        pair("organisation_id", "role_mismatch")
    );
    for token in [&c.teacher, &c.company, &c.observer] {
        app.post(
            "/api/v1/users",
            token,
            account("interdit@cele.test", "company", &c.company_id),
        )
        .await
        .problem(403, "forbidden");
        app.post(
            "/api/v1/users",
            token,
            account("interdit@campus.test", "teacher", &c.lycee_id),
        )
        .await
        .problem(403, "forbidden");
    }
    assert_eq!(app.count("users").await, users + 3);
    // Three creations, and one confirmation token issued and used.
    assert_eq!(app.count("audit_events").await, audit + 5);
}

async fn the_administrator_changes_and_deactivates_accounts(app: TestApp) {
    let c = campus(&app).await;
    let id = id_of(
        app.post(
            "/api/v1/users",
            &c.admin,
            account("partant@campus.test", "teacher", &c.lycee_id),
        )
        .await
        .expect(201),
    );
    let path = format!("/api/v1/users/{id}");
    crate::support::activate(&app, &c.admin, &id, PASSWORD).await;
    let session = app.login("partant@campus.test", PASSWORD).await;
    let refresh = session["refresh_token"].as_str().unwrap().to_owned();

    let renamed = app
        .patch(
            &path,
            &c.admin,
            json!({ "display_name": "Professeur partant" }),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(renamed["display_name"], "Professeur partant");
    assert_eq!(renamed["active"], true);

    // Deactivation: no more logins, and the open sessions are closed.
    let inactive = app
        .patch(&path, &c.admin, json!({ "active": false }))
        .await
        .expect(200)
        .json();
    assert_eq!(inactive["active"], false);
    assert_eq!(inactive["display_name"], "Professeur partant");
    app.call(
        Method::POST,
        "/api/v1/auth/login",
        None,
        Some(json!({ "email": "partant@campus.test", "password": PASSWORD })),
        &[],
    )
    .await
    .problem(403, "account_inactive");
    app.call(
        Method::POST,
        "/api/v1/auth/refresh",
        None,
        Some(json!({ "refresh_token": refresh })),
        &[],
    )
    .await
    .problem(401, "session_closed");
    // A wrong password still says only that the credentials are wrong.
    app.call(
        Method::POST,
        "/api/v1/auth/login",
        None,
        Some(json!({ "email": "partant@campus.test", "password": "pas-le-bon-mot-de-passe" })),
        &[],
    )
    .await
    .problem(401, "invalid_credentials");
    let reactivated = app
        .patch(&path, &c.admin, json!({ "active": true }))
        .await
        .expect(200)
        .json();
    assert_eq!(reactivated["active"], true);
    let session = app.login("partant@campus.test", PASSWORD).await;

    // A new password closes the sessions too and replaces the old one.
    let problem = app
        .patch(&path, &c.admin, json!({ "password": "court" }))
        .await
        .problem(422, "validation_failed");
    assert_eq!(only_error(&problem), pair("password", "too_short"));
    app.patch(
        &path,
        &c.admin,
        json!({ "password": "un-tout-nouveau-secret" }),
    )
    .await
    .expect(200);
    app.call(
        Method::POST,
        "/api/v1/auth/refresh",
        None,
        Some(json!({ "refresh_token": session["refresh_token"] })),
        &[],
    )
    .await
    .problem(401, "session_closed");
    app.call(
        Method::POST,
        "/api/v1/auth/login",
        None,
        Some(json!({ "email": "partant@campus.test", "password": PASSWORD })),
        &[],
    )
    .await
    .problem(401, "invalid_credentials");

    // The administrator cannot lock itself out.
    let me = app.get("/api/v1/me", &c.admin).await.expect(200).json();
    let admin_path = format!("/api/v1/users/{}", me["id"].as_str().unwrap());
    let problem = app
        .patch(&admin_path, &c.admin, json!({ "active": false }))
        .await
        .problem(422, "validation_failed");
    assert_eq!(problem["errors"][0]["code"], "self_lockout");
    let problem = app
        .patch(&admin_path, &c.admin, json!({ "role": "teacher" }))
        .await
        .problem(422, "validation_failed");
    assert_eq!(only_error(&problem), pair("role", "self_lockout"));
    let me_after = app.get("/api/v1/me", &c.admin).await.expect(200).json();
    assert_eq!(me_after["role"], "admin");
    assert_eq!(me_after["active"], true);
    let renamed_self = app
        .patch(
            &admin_path,
            &c.admin,
            json!({ "display_name": "Direction", "role": "admin", "active": true }),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(renamed_self["display_name"], "Direction");

    // Managed platforms belong to managers only.
    let problem = app
        .patch(
            &path,
            &c.admin,
            json!({ "managed_platform_ids": [c.platform_id] }),
        )
        .await
        .problem(422, "validation_failed");
    assert_eq!(
        only_error(&problem),
        pair("managed_platform_ids", "not_allowed")
    );
    let promoted = app
        .patch(
            &path,
            &c.admin,
            json!({ "role": "manager", "managed_platform_ids": [c.other_platform_id] }),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(promoted["role"], "manager");
    assert_eq!(
        promoted["managed_platform_ids"],
        json!([c.other_platform_id])
    );
    let platform = app
        .get(
            &format!("/api/v1/platforms/{}", c.other_platform_id),
            &c.admin,
        )
        .await
        .expect(200)
        .json();
    assert_eq!(platform["manager_ids"], json!([id]));
    let problem = app
        .patch(
            &path,
            &c.admin,
            json!({ "managed_platform_ids": [unknown_id()] }),
        )
        .await
        .problem(422, "validation_failed");
    assert_eq!(
        only_error(&problem),
        pair("managed_platform_ids", "unknown_reference")
    );
    let demoted = app
        .patch(&path, &c.admin, json!({ "role": "teacher" }))
        .await
        .expect(200)
        .json();
    assert_eq!(
        demoted["managed_platform_ids"],
        json!([]),
        "a teacher manages nothing"
    );
    let platform = app
        .get(
            &format!("/api/v1/platforms/{}", c.other_platform_id),
            &c.admin,
        )
        .await
        .expect(200)
        .json();
    assert_eq!(platform["manager_ids"], json!([]));

    // Role and organisation must fit together.
    let problem = app
        .patch(&path, &c.admin, json!({ "role": "company" }))
        .await
        .problem(422, "validation_failed");
    assert_eq!(
        only_error(&problem),
        pair("organisation_id", "role_mismatch")
    );
    let problem = app
        .patch(&path, &c.admin, json!({ "organisation_id": c.company_id }))
        .await
        .problem(422, "validation_failed");
    assert_eq!(
        only_error(&problem),
        pair("organisation_id", "role_mismatch")
    );
    let problem = app
        .patch(&path, &c.admin, json!({ "organisation_id": unknown_id() }))
        .await
        .problem(422, "validation_failed");
    assert_eq!(
        only_error(&problem),
        pair("organisation_id", "unknown_reference")
    );
    let moved = app
        .patch(
            &path,
            &c.admin,
            json!({ "role": "company", "organisation_id": c.company_id }),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(moved["role"], "company");
    assert_eq!(moved["organisation_id"], c.company_id.as_str());
    let shown = app.get(&path, &c.company).await.expect(200).json();
    assert_eq!(shown, moved, "the company now sees its new contact");

    // Only the administrator changes accounts.
    app.patch(&path, &c.manager, json!({ "display_name": "X" }))
        .await
        .problem(403, "forbidden");
    app.patch(&path, &c.company, json!({ "display_name": "X" }))
        .await
        .problem(403, "forbidden");
    app.patch(&path, &c.teacher, json!({ "display_name": "X" }))
        .await
        .problem(404, "not_found");
    app.patch(
        &format!("/api/v1/users/{}", unknown_id()),
        &c.admin,
        json!({ "display_name": "X" }),
    )
    .await
    .problem(404, "not_found");
    app.get(&format!("/api/v1/users/{}", unknown_id()), &c.admin)
        .await
        .problem(404, "not_found");
    assert_eq!(
        app.get(&path, &c.admin).await.expect(200).json()["display_name"],
        "Professeur partant"
    );
}

/// Deactivating oneself is refused, and the error should name the field that was sent.
async fn self_deactivation_names_the_active_field(app: TestApp) {
    let c = campus(&app).await;
    let me = app.get("/api/v1/me", &c.admin).await.expect(200).json();
    let problem = app
        .patch(
            &format!("/api/v1/users/{}", me["id"].as_str().unwrap()),
            &c.admin,
            json!({ "active": false }),
        )
        .await
        .problem(422, "validation_failed");
    assert_eq!(only_error(&problem), pair("active", "self_lockout"));
}

async fn qualifications_are_awarded_renewed_and_withdrawn(app: TestApp) {
    let c = campus(&app).await;
    let held_path = format!("/api/v1/users/{}/qualifications", c.teacher_id);
    assert_eq!(
        app.get(&held_path, &c.teacher).await.expect(200).json(),
        json!([])
    );

    // Default expiry: the award date plus the qualification's validity (24 months).
    let held = app
        .post(
            &held_path,
            &c.manager,
            json!({ "qualification_id": c.qualification_id, "awarded_on": "2025-09-01" }),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(
        held,
        json!([{ "qualification_id": c.qualification_id, "name": "Soudage", "awarded_on": "2025-09-01", "expires_on": "2027-09-01", "valid_today": true }])
    );
    assert_eq!(
        app.get(&held_path, &c.teacher).await.expect(200).json(),
        held
    );

    // Refusals change nothing.
    let refusals: Vec<(Value, (String, String))> = vec![
        (
            json!({ "qualification_id": c.qualification_id, "awarded_on": "2025-09-01", "expires_on": "2025-08-31" }),
            pair("expires_on", "before_start"),
        ),
        (
            json!({ "qualification_id": c.qualification_id, "awarded_on": "2025-09-01", "expires_on": "2025-09-01" }),
            pair("expires_on", "before_start"),
        ),
        (
            json!({ "qualification_id": c.qualification_id, "awarded_on": (app.today() + chrono::Days::new(3)).to_string() }),
            pair("awarded_on", "in_future"),
        ),
        (
            json!({ "qualification_id": unknown_id(), "awarded_on": "2025-09-01" }),
            pair("qualification_id", "unknown_reference"),
        ),
    ];
    for (body, expected) in refusals {
        let problem = app
            .post(&held_path, &c.admin, body.clone())
            .await
            .problem(422, "validation_failed");
        assert_eq!(only_error(&problem), expected, "body: {body}");
    }
    assert_eq!(app.get(&held_path, &c.admin).await.expect(200).json(), held);

    // Renewal replaces the dates instead of adding a second line.
    let renewed = app
        .post(
            &held_path,
            &c.admin,
            json!({ "qualification_id": c.qualification_id, "awarded_on": "2026-03-02" }),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(renewed[0]["awarded_on"], "2026-03-02");
    assert_eq!(renewed[0]["expires_on"], "2028-03-02");
    assert_eq!(renewed.as_array().unwrap().len(), 1);
    assert_eq!(app.count("user_qualifications").await, 1);
    let explicit = app
        .post(&held_path, &c.admin, json!({ "qualification_id": c.qualification_id, "awarded_on": "2026-03-02", "expires_on": "2026-12-31" }))
        .await
        .expect(200)
        .json();
    assert_eq!(
        explicit[0]["expires_on"], "2026-12-31",
        "an explicit expiry wins over the default"
    );
    let today_award = app
        .post(
            &held_path,
            &c.admin,
            json!({ "qualification_id": c.qualification_id, "awarded_on": app.today().to_string() }),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(
        today_award[0]["valid_today"], true,
        "awarded today is valid today"
    );

    // Expired, never expiring, and month ends.
    let first_aid = id_of(
        app.post(
            "/api/v1/qualifications",
            &c.admin,
            json!({ "name": "Gestes de premiers secours", "validity_months": 12 }),
        )
        .await
        .expect(201),
    );
    let autoclave = id_of(
        app.post(
            "/api/v1/qualifications",
            &c.admin,
            json!({ "name": "Autoclave" }),
        )
        .await
        .expect(201),
    );
    let half_year = id_of(
        app.post(
            "/api/v1/qualifications",
            &c.admin,
            json!({ "name": "Cariste", "validity_months": 6 }),
        )
        .await
        .expect(201),
    );
    app.post(
        &held_path,
        &c.admin,
        json!({ "qualification_id": first_aid, "awarded_on": "2024-01-10" }),
    )
    .await
    .expect(200);
    app.post(
        &held_path,
        &c.admin,
        json!({ "qualification_id": autoclave, "awarded_on": "2019-05-20" }),
    )
    .await
    .expect(200);
    let all = app
        .post(
            &held_path,
            &c.admin,
            json!({ "qualification_id": half_year, "awarded_on": "2025-08-31" }),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(
        all,
        json!([
            { "qualification_id": autoclave, "name": "Autoclave", "awarded_on": "2019-05-20", "expires_on": null, "valid_today": true },
            { "qualification_id": half_year, "name": "Cariste", "awarded_on": "2025-08-31", "expires_on": "2026-02-28", "valid_today": false },
            { "qualification_id": first_aid, "name": "Gestes de premiers secours", "awarded_on": "2024-01-10", "expires_on": "2025-01-10", "valid_today": false },
            { "qualification_id": c.qualification_id, "name": "Soudage", "awarded_on": app.today().to_string(), "expires_on": (app.today() + chrono::Months::new(24)).to_string(), "valid_today": true },
        ]),
        "sorted by name"
    );

    // Withdrawal: 204, then there is nothing left to withdraw.
    let withdraw = format!("{held_path}/{first_aid}");
    let reply = app.delete(&withdraw, &c.manager).await.expect(204);
    assert_eq!(reply.text, "");
    app.delete(&withdraw, &c.manager)
        .await
        .problem(404, "not_found");
    app.delete(&format!("{held_path}/{}", unknown_id()), &c.admin)
        .await
        .problem(404, "not_found");
    let left = app.get(&held_path, &c.admin).await.expect(200).json();
    assert_eq!(left.as_array().unwrap().len(), 3);
    assert!(left
        .as_array()
        .unwrap()
        .iter()
        .all(|h| h["qualification_id"] != first_aid.as_str()));

    // Who may award and see: staff award; others get 403 on accounts they see, 404 on the rest.
    let award = json!({ "qualification_id": first_aid, "awarded_on": "2025-01-01" });
    app.post(&held_path, &c.teacher, award.clone())
        .await
        .problem(403, "forbidden");
    app.post(
        &format!("/api/v1/users/{}/qualifications", c.other_teacher_id),
        &c.teacher,
        award.clone(),
    )
    .await
    .problem(404, "not_found");
    app.post(&held_path, &c.company, award.clone())
        .await
        .problem(404, "not_found");
    app.post(
        &format!("/api/v1/users/{}/qualifications", c.company_user_id),
        &c.company,
        award.clone(),
    )
    .await
    .problem(403, "forbidden");
    app.post(&held_path, &c.observer, award.clone())
        .await
        .problem(404, "not_found");
    app.post(
        &format!("/api/v1/users/{}/qualifications", c.observer_id),
        &c.observer,
        award.clone(),
    )
    .await
    .problem(403, "forbidden");
    app.delete(&format!("{held_path}/{autoclave}"), &c.teacher)
        .await
        .problem(403, "forbidden");
    app.delete(&format!("{held_path}/{autoclave}"), &c.company)
        .await
        .problem(404, "not_found");
    app.delete(&format!("{held_path}/{autoclave}"), &c.other_teacher)
        .await
        .problem(404, "not_found");
    app.get(&held_path, &c.company)
        .await
        .problem(404, "not_found");
    app.get(&held_path, &c.observer)
        .await
        .problem(404, "not_found");
    app.get(&held_path, &c.other_teacher)
        .await
        .problem(404, "not_found");
    assert_eq!(
        app.get(&held_path, &c.manager).await.expect(200).json(),
        left
    );
    app.post(
        &format!("/api/v1/users/{}/qualifications", unknown_id()),
        &c.admin,
        award.clone(),
    )
    .await
    .problem(404, "not_found");
    app.get(
        &format!("/api/v1/users/{}/qualifications", unknown_id()),
        &c.admin,
    )
    .await
    .problem(404, "not_found");
    assert_eq!(app.count("user_qualifications").await, 3);

    // A company contact can be awarded a qualification by a manager.
    let held = app
        .post(
            &format!("/api/v1/users/{}/qualifications", c.company_user_id),
            &c.manager,
            award,
        )
        .await
        .expect(200)
        .json();
    assert_eq!(held[0]["expires_on"], "2026-01-01");
    assert_eq!(
        app.get(
            &format!("/api/v1/users/{}/qualifications", c.company_user_id),
            &c.company
        )
        .await
        .expect(200)
        .json(),
        held
    );
    let listed = app
        .get("/api/v1/users", &c.company)
        .await
        .expect(200)
        .json();
    assert_eq!(item_ids(&listed), vec![c.company_user_id.clone()]);
}

on_both_databases!(
    accounts_are_created_with_checked_fields,
    the_administrator_changes_and_deactivates_accounts,
    self_deactivation_names_the_active_field,
);

// Its award dates are written out: the date is fixed so that they never expire.
on_both_databases!(at "2026-10-05T08:00:00+02:00": qualifications_are_awarded_renewed_and_withdrawn);
