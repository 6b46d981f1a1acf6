//! Sessions: refresh tokens used at once, password changes, deactivation.

use actix_web::http::Method;
use serde_json::{json, Value};

use crate::on_both_databases;
use crate::support::{campus, TestApp, PASSWORD};

async fn refresh(app: &TestApp, token: &str) -> crate::support::Reply {
    app.call(
        Method::POST,
        "/api/v1/auth/refresh",
        None,
        Some(json!({ "refresh_token": token })),
        &[],
    )
    .await
}

fn text(value: &Value, field: &str) -> String {
    value[field].as_str().unwrap().to_owned()
}

async fn a_refresh_token_used_at_once_gives_one_session(app: TestApp) {
    let c = campus(&app).await;
    // Several rounds: a race that is lost only now and then must still be caught.
    for _ in 0..4 {
        let session = app.login("teacher@campus.test", PASSWORD).await;
        let token = text(&session, "refresh_token");
        let replies = futures_util::future::join_all((0..16).map(|_| refresh(&app, &token))).await;
        let winners: Vec<&crate::support::Reply> =
            replies.iter().filter(|r| r.status == 200).collect();
        assert_eq!(winners.len(), 1, "exactly one use wins");
        for reply in replies.iter().filter(|r| r.status != 200) {
            assert_eq!(reply.status, 401, "{}", reply.text);
            assert_eq!(reply.json()["code"], "session_closed", "{}", reply.text);
        }
        // The other uses counted as reuse: the whole session is closed, the winner's new
        // tokens included.
        let won = winners[0].json();
        refresh(&app, &text(&won, "refresh_token"))
            .await
            .problem(401, "session_closed");
        app.get("/api/v1/me", &text(&won, "access_token"))
            .await
            .problem(401, "session_closed");
        let user_id = session["user"]["id"].as_str().unwrap();
        let open = app
            .count_sql(format!(
                "SELECT COUNT(*) AS n FROM refresh_tokens WHERE revoked_at IS NULL AND user_id = '{user_id}'"
            ))
            .await;
        assert_eq!(
            open, 1,
            "only the account's other session (the fixture's) stays open"
        );
    }
    app.get("/api/v1/me", &c.teacher).await.expect(200);
}

async fn a_new_password_ends_the_other_sessions(app: TestApp) {
    campus(&app).await;
    let here = app.login("teacher@campus.test", PASSWORD).await;
    let thief = app.login("teacher@campus.test", PASSWORD).await;
    let (here_access, thief_access) = (text(&here, "access_token"), text(&thief, "access_token"));
    app.get("/api/v1/me", &thief_access).await.expect(200);
    app.patch(
        "/api/v1/me",
        &here_access,
        json!({ "current_password": PASSWORD, "new_password": "un-tout-nouveau-secret" }),
    )
    .await
    .expect(200);
    // The other session ends at once, access token and refresh token alike.
    app.get("/api/v1/me", &thief_access)
        .await
        .problem(401, "session_closed");
    refresh(&app, &text(&thief, "refresh_token"))
        .await
        .problem(401, "session_closed");
    // The session that changed it goes on.
    app.get("/api/v1/me", &here_access).await.expect(200);
    refresh(&app, &text(&here, "refresh_token"))
        .await
        .expect(200);
}

/// An administrator who changes their own password or organisation through
/// `/users/{id}` keeps the session that made the change, as with `PATCH /me`; their other
/// sessions end.
async fn an_administrator_changing_their_own_account_keeps_this_session(app: TestApp) {
    let c = campus(&app).await;
    let me = app.get("/api/v1/me", &c.admin).await.expect(200).json();
    let admin_id = text(&me, "id");
    let other = app.login("admin@campus.test", PASSWORD).await;
    let other_access = text(&other, "access_token");
    app.patch(
        &format!("/api/v1/users/{admin_id}"),
        &c.admin,
        json!({ "password": "un-secret-de-direction" }),
    )
    .await
    .expect(200);
    app.get("/api/v1/me", &c.admin).await.expect(200);
    app.get("/api/v1/me", &other_access)
        .await
        .problem(401, "session_closed");
    // Another organisation too.
    let again = app
        .login("admin@campus.test", "un-secret-de-direction")
        .await;
    app.patch(
        &format!("/api/v1/users/{admin_id}"),
        &c.admin,
        json!({ "organisation_id": c.other_lycee_id }),
    )
    .await
    .expect(200);
    let now = app.get("/api/v1/me", &c.admin).await.expect(200).json();
    assert_eq!(now["organisation_id"], c.other_lycee_id.as_str(), "{now}");
    app.get("/api/v1/me", &text(&again, "access_token"))
        .await
        .problem(401, "session_closed");
    // Another administrator's change still ends every session of the account changed.
    app.patch(
        &format!("/api/v1/users/{}", c.teacher_id),
        &c.admin,
        json!({ "password": "un-secret-d-enseignant" }),
    )
    .await
    .expect(200);
    app.get("/api/v1/me", &c.teacher)
        .await
        .problem(401, "session_closed");
}

async fn deactivation_role_change_and_logout_apply_at_once(app: TestApp) {
    let c = campus(&app).await;
    // Deactivation: the very next request is refused.
    app.get("/api/v1/me", &c.teacher).await.expect(200);
    app.patch(
        &format!("/api/v1/users/{}", c.teacher_id),
        &c.admin,
        json!({ "active": false }),
    )
    .await
    .expect(200);
    app.get("/api/v1/me", &c.teacher)
        .await
        .problem(401, "session_closed");
    app.get("/api/v1/platforms", &c.teacher)
        .await
        .problem(401, "session_closed");

    // A manager made a teacher loses the manager's rights at once.
    app.get("/api/v1/account-confirmations", &c.manager)
        .await
        .problem(403, "forbidden");
    let before = app.count("users").await;
    app.patch(
        &format!("/api/v1/users/{}", c.manager_id),
        &c.admin,
        json!({ "role": "teacher", "managed_platform_ids": [] }),
    )
    .await
    .expect(200);
    app.post("/api/v1/users", &c.manager, json!({
        "email": "apres@cele.test", "display_name": "Après", "role": "company", "organisation_id": c.company_id,
    }))
    .await
    .problem(401, "session_closed");
    assert_eq!(app.count("users").await, before);

    // Logging out ends the access token too, not 15 minutes later.
    let session = app.login("contact@cele.test", PASSWORD).await;
    let access = text(&session, "access_token");
    app.get("/api/v1/me", &access).await.expect(200);
    app.call(
        Method::POST,
        "/api/v1/auth/logout",
        None,
        Some(json!({ "refresh_token": session["refresh_token"] })),
        &[],
    )
    .await
    .expect(204);
    app.get("/api/v1/me", &access)
        .await
        .problem(401, "session_closed");
    // Other sessions of the same account are untouched.
    app.get("/api/v1/me", &c.company).await.expect(200);
}

on_both_databases!(
    a_refresh_token_used_at_once_gives_one_session,
    a_new_password_ends_the_other_sessions,
    an_administrator_changing_their_own_account_keeps_this_session,
    deactivation_role_change_and_logout_apply_at_once,
);
