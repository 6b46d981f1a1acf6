//! Every response the tests receive is checked against the OpenAPI document the service
//! serves: its status and content type must be documented for the operation, and a JSON body
//! must fit the schema documented for them. A request outside the document (an unknown path
//! or method) must meet one of the refusals the document describes for any request: a
//! problem document.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use actix_web::http::{header, Method, StatusCode};
use serde_json::{json, Value};

/// Where the document sits in the schema registry; its `$ref`s resolve against it.
const DOCUMENT_URI: &str = "https://plateaux.test/openapi.json";

fn document() -> &'static Value {
    static DOCUMENT: OnceLock<Value> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        serde_json::from_str(&plateaux::app::openapi_json()).expect("the document is JSON")
    })
}

fn registry() -> &'static jsonschema::Registry<'static> {
    static REGISTRY: OnceLock<jsonschema::Registry<'static>> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        jsonschema::Registry::new()
            .add(DOCUMENT_URI, document().clone())
            .and_then(|builder| builder.prepare())
            .expect("the document is a schema registry")
    })
}

/// The validator of the schema at `pointer` (a JSON pointer into the document), compiled
/// once for the whole test run.
fn validator(pointer: &str) -> Arc<jsonschema::Validator> {
    static VALIDATORS: OnceLock<Mutex<HashMap<String, Arc<jsonschema::Validator>>>> =
        OnceLock::new();
    let cache = VALIDATORS.get_or_init(Default::default);
    if let Some(found) = cache.lock().unwrap().get(pointer) {
        return found.clone();
    }
    let schema = json!({ "$ref": format!("{DOCUMENT_URI}#{}", fragment(pointer)) });
    let compiled = Arc::new(
        jsonschema::options()
            .with_registry(registry())
            .should_validate_formats(true)
            .build(&schema)
            .unwrap_or_else(|e| panic!("the schema at {pointer} compiles: {e}")),
    );
    cache
        .lock()
        .unwrap()
        .entry(pointer.to_owned())
        .or_insert(compiled)
        .clone()
}

/// A JSON pointer written as a URI fragment: the characters a fragment cannot hold (`{`,
/// `}` of path templates) percent-encoded.
fn fragment(pointer: &str) -> String {
    let mut out = String::with_capacity(pointer.len());
    for byte in pointer.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/?".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// `~` and `/` escaped for a JSON pointer.
fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

fn percent_decoded(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Whether one segment of a request path fits one segment of a path template (`{id}`,
/// `{token}.ics`, or literal text).
fn segment_fits(template: &str, segment: &str) -> bool {
    match (template.find('{'), template.find('}')) {
        (Some(open), Some(close)) => {
            let (before, after) = (&template[..open], &template[close + 1..]);
            segment.len() > before.len() + after.len()
                && segment.starts_with(before)
                && segment.ends_with(after)
        }
        _ => template == segment,
    }
}

/// The path template of the document that `path` falls under: the one with the most literal
/// segments when several fit (`/closures/import` rather than `/closures/{id}`).
fn path_template(path: &str) -> Option<&'static str> {
    let segments: Vec<String> = path.split('/').map(percent_decoded).collect();
    document()["paths"]
        .as_object()
        .expect("paths")
        .keys()
        .filter(|template| {
            let parts: Vec<&str> = template.split('/').collect();
            parts.len() == segments.len()
                && parts.iter().zip(&segments).all(|(t, s)| segment_fits(t, s))
        })
        .max_by_key(|template| template.split('/').filter(|t| !t.contains('{')).count())
        .map(String::as_str)
}

/// A response object, its `$ref` to the shared responses followed; with its pointer.
fn resolve_response(pointer: String, response: &'static Value) -> (String, &'static Value) {
    match response["$ref"].as_str() {
        Some(reference) => {
            let target = reference.strip_prefix('#').expect("a local reference");
            let resolved = document()
                .pointer(target)
                .unwrap_or_else(|| panic!("{reference} exists"));
            (target.to_owned(), resolved)
        }
        None => (pointer, response),
    }
}

/// The media type without its parameters (`text/csv; charset=utf-8` is `text/csv`).
fn essence(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

fn is_json(media_type: &str) -> bool {
    media_type == "application/json" || media_type.ends_with("+json")
}

/// Checks one exchange against the document; panics with what is wrong.
pub fn check(
    method: &Method,
    uri: &str,
    status: StatusCode,
    headers: &header::HeaderMap,
    body: &str,
) {
    let path = uri.split(['?', '#']).next().unwrap_or_default();
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(essence);
    let exchange = format!("{method} {uri} → {status}");
    let operation = path_template(path).and_then(|template| {
        document()["paths"][template]
            .get(method.as_str().to_ascii_lowercase())
            .map(|operation| (template, operation))
    });
    let Some((template, operation)) = operation else {
        // Outside the document: the refusals any request may meet are problem documents.
        assert!(
            status.is_client_error() || status.is_server_error(),
            "{exchange}: an undocumented request succeeded: {body}"
        );
        assert_eq!(
            content_type.as_deref(),
            Some("application/problem+json"),
            "{exchange}: a refusal outside the document is a problem document: {body}"
        );
        validate(&exchange, "/components/schemas/Problem", body);
        return;
    };
    let status_text = status.as_u16().to_string();
    let operation_pointer = format!(
        "/paths/{}/{}",
        escape(template),
        method.as_str().to_ascii_lowercase()
    );
    let Some(response) = operation["responses"].get(&status_text) else {
        panic!(
            "{exchange}: status {status_text} is not documented for {} {template} (documented: {:?}); body: {body}",
            method,
            operation["responses"].as_object().map(|r| r.keys().collect::<Vec<_>>()),
        );
    };
    let (response_pointer, response) = resolve_response(
        format!("{operation_pointer}/responses/{status_text}"),
        response,
    );
    let content = response["content"].as_object();
    let Some(media_type) = content_type else {
        assert!(
            body.is_empty(),
            "{exchange}: a body without a content type: {body}"
        );
        return;
    };
    let Some(documented) = content.and_then(|c| c.get(&media_type)) else {
        panic!(
            "{exchange}: content type {media_type} is not documented (documented: {:?}); body: {body}",
            content.map(|c| c.keys().collect::<Vec<_>>())
        );
    };
    if is_json(&media_type) && documented.get("schema").is_some() {
        let pointer = format!("{response_pointer}/content/{}/schema", escape(&media_type));
        validate(&exchange, &pointer, body);
    }
}

fn validate(exchange: &str, pointer: &str, body: &str) {
    let value: Value = serde_json::from_str(body).unwrap_or_else(|e| {
        panic!("{exchange}: a JSON content type with a body that is not JSON ({e}): {body}")
    });
    let validator = validator(pointer);
    let errors: Vec<String> = validator
        .iter_errors(&value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{exchange}: the body does not fit the schema at {pointer}:\n  {}\nbody: {body}",
        errors.join("\n  ")
    );
}

/// Whether `body` fits the JSON request body the document describes for `method` on the path
/// template `path` (`/api/v1/campuses/{id}`): what a client that follows the document may
/// send.
pub fn request_body_fits(method: &Method, path: &str, body: &Value) -> bool {
    let pointer = format!(
        "/paths/{}/{}/requestBody/content/application~1json/schema",
        escape(path),
        method.as_str().to_lowercase()
    );
    let mut at = document();
    for token in pointer.split('/').skip(1) {
        let token = token.replace("~1", "/").replace("~0", "~");
        at = at
            .get(&token)
            .unwrap_or_else(|| panic!("{method} {path} has no JSON request body ({token})"));
    }
    validator(&pointer).is_valid(body)
}
