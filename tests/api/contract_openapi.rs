//! The OpenAPI document is a contract a generated client can rely on: what it says is what
//! the service sends and accepts.

use actix_web::http::Method;
use serde_json::Value;

use crate::on_both_databases;
use crate::support::{self, TestApp};

fn document() -> Value {
    serde_json::from_str(&plateaux::app::openapi_json()).expect("the document is JSON")
}

fn enum_values(doc: &Value, name: &str) -> Vec<String> {
    doc["components"]["schemas"][name]["enum"]
        .as_array()
        .unwrap_or_else(|| panic!("schema {name} is an enum"))
        .iter()
        .map(|v| v.as_str().expect("text values").to_owned())
        .collect()
}

/// Every enum of the document lists exactly the texts serde writes and reads.
#[test]
fn enums_of_the_document_are_the_wire_values() {
    use plateaux::domain::booking::{BookingStatus, LearnerStatus, SeriesMode};
    use plateaux::domain::reports::Dimension;
    use plateaux::domain::service_request::{QuoteUnit, RequestAction, RequestState};
    use plateaux::domain::{
        EquipmentStatus, OrganisationKind, PlatformDomain, Role, Weekday, WhoMayBook,
    };
    use plateaux::views::closures::{CalendarFeed, ClosureScope};
    use plateaux::views::service_requests::{MessageVisibility, QuoteStatus};
    let doc = document();
    macro_rules! same {
        ($($ty:ident),+) => {$(
            let wire: Vec<String> = $ty::ALL
                .iter()
                .map(|v| serde_json::to_value(v).unwrap().as_str().unwrap().to_owned())
                .collect();
            assert_eq!(enum_values(&doc, stringify!($ty)), wire, "enum {}", stringify!($ty));
        )+};
    }
    same!(
        BookingStatus,
        LearnerStatus,
        SeriesMode,
        Dimension,
        QuoteUnit,
        RequestAction,
        RequestState,
        EquipmentStatus,
        OrganisationKind,
        PlatformDomain,
        Role,
        Weekday,
        WhoMayBook,
        CalendarFeed,
        ClosureScope,
        MessageVisibility,
        QuoteStatus
    );
    // And nothing else in the document is an enum of another spelling.
    for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
        for value in schema["enum"].as_array().into_iter().flatten() {
            let text = value.as_str().unwrap_or_default();
            assert!(
                text.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "{name}: {text} is not snake_case"
            );
        }
    }
}

/// A client that filters by a status the document offers gets the list, not a 400.
async fn document_enum_values_are_accepted_as_filters(app: TestApp) {
    let campus = support::campus(&app).await;
    let doc = document();
    for status in enum_values(&doc, "BookingStatus") {
        app.get(&format!("/api/v1/bookings?status={status}"), &campus.admin)
            .await
            .expect(200);
    }
    for domain in enum_values(&doc, "PlatformDomain") {
        app.call(
            Method::GET,
            &format!("/api/v1/platforms?domain={domain}"),
            Some(&campus.teacher),
            None,
            &[],
        )
        .await
        .expect(200);
    }
}

on_both_databases!(document_enum_values_are_accepted_as_filters);

/// A mistyped filter is refused with its name rather than ignored (which answered the whole
/// organisation's list); declared parameters still work.
async fn unknown_query_parameters_are_refused(app: TestApp) {
    let campus = support::campus(&app).await;
    let problem = app
        .get(
            &format!("/api/v1/bookings?booker_id={}", campus.teacher_id),
            &campus.teacher,
        )
        .await
        .problem(400, "unknown_query_parameter");
    assert_eq!(problem["extra"]["parameter"], "booker_id", "{problem}");
    assert!(problem["detail"].as_str().unwrap().contains("booker_id"));
    // On an operation with no query parameter at all, and with an encoded name.
    let problem = app
        .get("/api/v1/me?verbose%5Fmode=1", &campus.teacher)
        .await
        .problem(400, "unknown_query_parameter");
    assert_eq!(problem["extra"]["parameter"], "verbose_mode");
    app.get("/api/v1/bookings?status=pending&limit=5", &campus.teacher)
        .await
        .expect(200);
}

on_both_databases!(unknown_query_parameters_are_refused);

/// Every operation documents the refusals any request may meet, with the problem schema.
#[test]
fn every_operation_documents_the_common_refusals() {
    let doc = document();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let responses = &operation["responses"];
            let public = operation.get("security").is_some();
            let mut expected = vec!["400", "422", "429", "503"];
            if !public {
                expected.push("401");
            }
            if operation.get("requestBody").is_some() {
                expected.extend(["413", "415"]);
            }
            for status in expected {
                assert!(
                    responses.get(status).is_some(),
                    "{method} {path} does not document {status}"
                );
            }
        }
    }
    let bad_request = &doc["components"]["responses"]["BadRequest"];
    assert_eq!(
        bad_request["content"]["application/problem+json"]["schema"]["$ref"],
        "#/components/schemas/Problem"
    );
    let metrics = &doc["paths"]["/metrics"]["get"]["responses"]["200"]["content"];
    assert!(
        metrics.get("application/openmetrics-text").is_some(),
        "{metrics}"
    );
    let limit = doc["paths"]["/api/v1/bookings"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "limit")
        .unwrap()
        .clone();
    assert_eq!(limit["schema"]["minimum"], 1);
    assert_eq!(limit["schema"]["maximum"], 500);
}
