use actix_web::http::Method;

use serde_json::json;

use crate::on_both_databases;
use crate::support::{bootstrap_admin, id_of, TestApp, PASSWORD};

/// The committed document must be what the code describes.
#[test]
fn committed_openapi_matches_the_code() {
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json"))
            .expect("openapi/openapi.json");
    let generated = plateaux::app::openapi_json();
    assert!(
        committed == generated,
        "openapi/openapi.json is out of date: regenerate it with `cargo run -- openapi > openapi/openapi.json`"
    );
    let doc: serde_json::Value = serde_json::from_str(&generated).unwrap();
    let mut operation_ids: Vec<&str> = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| {
            item.as_object()
                .unwrap()
                .values()
                .filter_map(|op| op["operationId"].as_str())
        })
        .collect();
    let count = operation_ids.len();
    operation_ids.sort();
    operation_ids.dedup();
    assert_eq!(count, operation_ids.len(), "operationIds must be unique");
}

async fn serves_the_committed_document_and_health(app: TestApp) {
    let reply = app
        .call(Method::GET, "/api/v1/openapi.json", None, None, &[])
        .await
        .expect(200);
    assert_eq!(reply.text, plateaux::app::openapi_json());
    assert_eq!(reply.json()["openapi"], "3.1.0");
    let health = app
        .call(Method::GET, "/healthz", None, None, &[])
        .await
        .expect(200);
    assert_eq!(health.text, "ok");
    let ready = app
        .call(Method::GET, "/readyz", None, None, &[])
        .await
        .expect(200);
    assert_eq!(ready.text, "ready");
    assert!(ready.headers.contains_key("x-request-id"));
    // Requests are counted by route pattern, never by raw path: a platform read by its id
    // counts under `{id}`, and the id itself appears nowhere.
    let (campus_id, organisation_id) = bootstrap_admin(&app).await;
    let admin = app.login("admin@campus.test", PASSWORD).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let platform_id = id_of(
        app.post(
            "/api/v1/platforms",
            &admin,
            json!({
                "campus_id": campus_id, "owner_organisation_id": organisation_id,
                "name": "Atelier soudage", "domain": "welding", "stations": 14,
            }),
        )
        .await
        .expect(201),
    );
    for _ in 0..2 {
        app.get(&format!("/api/v1/platforms/{platform_id}"), &admin)
            .await
            .expect(200);
    }
    let metrics = app
        .call(Method::GET, "/metrics", None, None, &[])
        .await
        .expect(200);
    for counted in [
        r#"plateaux_http_requests_total{method="GET",route="/readyz",status="200"} 1"#,
        r#"plateaux_http_requests_total{method="GET",route="/api/v1/platforms/{id}",status="200"} 2"#,
        r#"plateaux_http_requests_total{method="POST",route="/api/v1/platforms",status="201"} 1"#,
    ] {
        assert!(
            metrics.text.contains(counted),
            "{counted}\n{}",
            metrics.text
        );
    }
    assert!(!metrics.text.contains(&platform_id), "{}", metrics.text);
    assert!(
        metrics.text.contains("plateaux_db_pool_connections"),
        "{}",
        metrics.text
    );
}

on_both_databases!(serves_the_committed_document_and_health);
