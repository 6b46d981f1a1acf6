use actix_web::http::Method;
use serde_json::json;

use crate::on_both_databases;
use crate::support::{bootstrap_admin, TestApp, PASSWORD};

async fn login_refresh_rotation_and_logout(app: TestApp) {
    bootstrap_admin(&app).await;
    let tokens = app.login("ADMIN@campus.test ", PASSWORD).await;
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 900);
    assert_eq!(tokens["user"]["role"], "admin");
    let access = tokens["access_token"].as_str().unwrap();
    let me = app.get("/api/v1/me", access).await.expect(200).json();
    assert_eq!(me["email"], "admin@campus.test");

    // A refresh token works once and is replaced.
    let first = tokens["refresh_token"].as_str().unwrap().to_owned();
    let refreshed = app
        .call(
            Method::POST,
            "/api/v1/auth/refresh",
            None,
            Some(json!({ "refresh_token": first })),
            &[],
        )
        .await
        .expect(200)
        .json();
    let second = refreshed["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(first, second);
    app.get("/api/v1/me", refreshed["access_token"].as_str().unwrap())
        .await
        .expect(200);

    // Presenting the used one again closes the whole session, including the new token.
    app.call(
        Method::POST,
        "/api/v1/auth/refresh",
        None,
        Some(json!({ "refresh_token": first })),
        &[],
    )
    .await
    .problem(401, "session_closed");
    app.call(
        Method::POST,
        "/api/v1/auth/refresh",
        None,
        Some(json!({ "refresh_token": second })),
        &[],
    )
    .await
    .problem(401, "session_closed");

    // Logout closes a fresh session.
    let again = app.login("admin@campus.test", PASSWORD).await;
    let refresh = again["refresh_token"].as_str().unwrap();
    app.call(
        Method::POST,
        "/api/v1/auth/logout",
        None,
        Some(json!({ "refresh_token": refresh })),
        &[],
    )
    .await
    .expect(204);
    app.call(
        Method::POST,
        "/api/v1/auth/refresh",
        None,
        Some(json!({ "refresh_token": refresh })),
        &[],
    )
    .await
    .problem(401, "session_closed");
}

async fn wrong_credentials_are_refused_alike(app: TestApp) {
    bootstrap_admin(&app).await;
    let wrong_password = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({ "email": "admin@campus.test", "password": "pas-le-bon-mot-de-passe" })),
            &[],
        )
        .await
        .problem(401, "invalid_credentials");
    let unknown = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({ "email": "personne@campus.test", "password": "pas-le-bon-mot-de-passe" })),
            &[],
        )
        .await
        .problem(401, "invalid_credentials");
    assert_eq!(wrong_password["detail"], unknown["detail"]);
    assert_eq!(app.count("refresh_tokens").await, 0);
}

async fn bearer_tokens_are_checked(app: TestApp) {
    app.call(Method::GET, "/api/v1/me", None, None, &[])
        .await
        .problem(401, "unauthenticated");
    app.get("/api/v1/me", "not-a-jwt")
        .await
        .problem(401, "unauthenticated");
    // Signed with another secret.
    let forged = {
        let keys = plateaux::auth::TokenKeys::new("another-secret-another-secret-another-secret");
        let user = plateaux::auth::CurrentUser {
            id: uuid::Uuid::now_v7().to_string(),
            role: plateaux::domain::Role::Admin,
            organisation_id: uuid::Uuid::now_v7().to_string(),
            session_id: uuid::Uuid::now_v7().to_string(),
            awaiting_approval: false,
        };
        keys.issue(&user, app.now()).unwrap()
    };
    app.get("/api/v1/campuses", &forged)
        .await
        .problem(401, "unauthenticated");
    // Expired.
    let expired = {
        let keys = plateaux::auth::TokenKeys::new(crate::support::TEST_SECRET);
        let user = plateaux::auth::CurrentUser {
            id: uuid::Uuid::now_v7().to_string(),
            role: plateaux::domain::Role::Admin,
            organisation_id: uuid::Uuid::now_v7().to_string(),
            session_id: uuid::Uuid::now_v7().to_string(),
            awaiting_approval: false,
        };
        keys.issue(&user, app.now() - 3600).unwrap()
    };
    let problem = app
        .get("/api/v1/campuses", &expired)
        .await
        .problem(401, "unauthenticated");
    assert!(problem["detail"].as_str().unwrap().contains("expiré"));
}

async fn own_password_change_needs_the_current_one(app: TestApp) {
    bootstrap_admin(&app).await;
    let token = app.login("admin@campus.test", PASSWORD).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let problem = app
        .patch(
            "/api/v1/me",
            &token,
            json!({ "new_password": "un-nouveau-mot-de-passe" }),
        )
        .await
        .problem(422, "validation_failed");
    assert_eq!(problem["errors"][0]["field"], "current_password");
    app.patch("/api/v1/me", &token, json!({ "new_password": "un-nouveau-mot-de-passe", "current_password": "faux-faux-faux-faux" }))
        .await
        .problem(422, "validation_failed");
    app.patch(
        "/api/v1/me",
        &token,
        json!({ "new_password": "court", "current_password": PASSWORD }),
    )
    .await
    .problem(422, "validation_failed");
    let me = app
        .patch("/api/v1/me", &token, json!({ "new_password": "un-nouveau-mot-de-passe", "current_password": PASSWORD, "display_name": "Direction" }))
        .await
        .expect(200)
        .json();
    assert_eq!(me["display_name"], "Direction");
    app.login("admin@campus.test", "un-nouveau-mot-de-passe")
        .await;
    app.call(
        Method::POST,
        "/api/v1/auth/login",
        None,
        Some(json!({ "email": "admin@campus.test", "password": PASSWORD })),
        &[],
    )
    .await
    .problem(401, "invalid_credentials");
}

on_both_databases!(
    login_refresh_rotation_and_logout,
    wrong_credentials_are_refused_alike,
    bearer_tokens_are_checked,
    own_password_change_needs_the_current_one,
);
