//! Extractors that turn every malformed request into a problem document.

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, ErrorCode, FieldError};

/// Largest JSON body accepted.
pub const JSON_LIMIT: usize = 256 * 1024;

/// A JSON request body whose deserialisation errors name the field at fault.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = req.mime_type().ok().flatten().is_some_and(|m| {
            m.subtype() == mime_json() || m.suffix().is_some_and(|s| s == mime_json())
        });
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            if !is_json {
                return Err(ApiError::new(ErrorCode::UnsupportedMediaType,
                    "Le corps doit être du JSON, avec l'en-tête « Content-Type: application/json ».",
                ));
            }
            let bytes = body.await.map_err(|e| {
                if e.as_response_error().status_code() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::new(
                        ErrorCode::PayloadTooLarge,
                        format!("Le corps de la requête dépasse {} Kio.", JSON_LIMIT / 1024),
                    )
                } else {
                    ApiError::new(
                        ErrorCode::UnreadableBody,
                        format!("Le corps de la requête n'a pas pu être lu : {e}"),
                    )
                }
            })?;
            parse_json(&bytes).map(JsonBody)
        })
    }
}

fn mime_json() -> &'static str {
    "json"
}

/// Parses JSON, translating serde's messages into French problem documents.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // serde also accepts a struct written as an array of its fields in order; a body is an
    // object, so anything else is refused before that can happen.
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first == Some(&b'[') {
        return Err(ApiError::validation(vec![FieldError::new(
            "body",
            "invalid_type",
            "un objet JSON ({ … }) est attendu",
        )]));
    }
    refuse_nul_in_json(bytes)?;
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        match inner.classify() {
            serde_json::error::Category::Syntax
            | serde_json::error::Category::Eof
            | serde_json::error::Category::Io => ApiError::new(
                ErrorCode::MalformedJson,
                format!(
                    "Le corps n'est pas du JSON valide (ligne {}, colonne {}).",
                    inner.line(),
                    inner.column()
                ),
            ),
            serde_json::error::Category::Data => {
                ApiError::validation(vec![describe_data_error(&path, &inner.to_string())])
            }
        }
    });
    let value = match value {
        Ok(value) => value,
        // JSON Schema counts `971.0` as an integer, and so does the document: a body refused
        // for its type is read again with such numbers written as integers.
        Err(error) => match whole_numbers_as_integers(bytes) {
            Some(rewritten) => return parse_json(&rewritten),
            None => return Err(error),
        },
    };
    deserializer.end().map_err(|e| {
        ApiError::new(
            ErrorCode::MalformedJson,
            format!(
                "Le corps contient autre chose après l'objet JSON (ligne {}, colonne {}).",
                e.line(),
                e.column()
            ),
        )
    })?;
    Ok(value)
}

/// The body with every number that has a fraction part of zero (`971.0`, `1e3`) written as
/// an integer; `None` when there is none, or the body is not JSON.
fn whole_numbers_as_integers(bytes: &[u8]) -> Option<Vec<u8>> {
    fn rewrite(value: &mut serde_json::Value) -> bool {
        match value {
            serde_json::Value::Number(n) if n.is_f64() => {
                let f = n.as_f64().unwrap_or(f64::NAN);
                // Only where the float is the integer exactly (2^53).
                if f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_992.0 {
                    *value = serde_json::Value::from(f as i64);
                    true
                } else {
                    false
                }
            }
            // Every item is rewritten, not only up to the first changed.
            serde_json::Value::Array(items) => {
                items.iter_mut().map(rewrite).filter(|c| *c).count() > 0
            }
            serde_json::Value::Object(fields) => {
                fields.values_mut().map(rewrite).filter(|c| *c).count() > 0
            }
            _ => false,
        }
    }
    let mut value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    rewrite(&mut value).then(|| value.to_string().into_bytes())
}

/// The message of every refusal of a NUL character: PostgreSQL cannot store one in text, and
/// no field of the service has a use for it.
const NUL_MESSAGE: &str = "le caractère NUL (U+0000) n'est pas permis";

/// Refuses a body with a NUL character in any string (value or key), naming each field. JSON
/// can only carry one escaped (`\u0000`), so the body is walked only when that text appears.
fn refuse_nul_in_json(bytes: &[u8]) -> Result<(), ApiError> {
    if !bytes.windows(6).any(|w| w == br"\u0000") {
        return Ok(());
    }
    // Malformed JSON is reported by the typed parse that follows.
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes) else {
        return Ok(());
    };
    let mut errors = Vec::new();
    nul_fields(&value, String::new(), &mut errors);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(errors))
    }
}

fn nul_fields(value: &serde_json::Value, path: String, errors: &mut Vec<FieldError>) {
    let here = |path: &str| {
        if path.is_empty() {
            "body".to_owned()
        } else {
            path.to_owned()
        }
    };
    match value {
        serde_json::Value::String(s) if s.contains('\0') => {
            errors.push(FieldError::new(here(&path), "nul_character", NUL_MESSAGE))
        }
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                nul_fields(item, format!("{path}[{i}]"), errors);
            }
        }
        serde_json::Value::Object(fields) => {
            for (key, item) in fields {
                let inner = join_path(&path, key);
                if key.contains('\0') {
                    errors.push(FieldError::new(
                        inner.replace('\0', "\\u0000"),
                        "nul_character",
                        NUL_MESSAGE,
                    ));
                } else {
                    nul_fields(item, inner, errors);
                }
            }
        }
        _ => {}
    }
}

/// Refuses a non-JSON body (an iCalendar file) that holds a NUL character.
pub fn refuse_nul_in_text(text: &str) -> Result<(), ApiError> {
    if text.contains('\0') {
        return Err(ApiError::field("body", "nul_character", NUL_MESSAGE));
    }
    Ok(())
}

/// Middleware: a query string or a path with an encoded NUL character (`%00`) is refused
/// before any handler sees it, naming the query parameter.
pub async fn refuse_nul_in_url(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    let query = req.query_string();
    let field = if has_encoded_nul(query) {
        let pair = query
            .split('&')
            .find(|pair| has_encoded_nul(pair))
            .unwrap_or_default();
        let name = pair.split('=').next().unwrap_or_default();
        Some(if has_encoded_nul(name) || name.is_empty() {
            "query".to_owned()
        } else {
            name.to_owned()
        })
    } else if has_encoded_nul(req.uri().path()) {
        Some("path".to_owned())
    } else {
        None
    };
    match field {
        Some(field) => {
            let error = ApiError::field(&field, "nul_character", NUL_MESSAGE);
            Ok(req.error_response(error))
        }
        None => next.call(req).await.map(|r| r.map_into_boxed_body()),
    }
}

fn has_encoded_nul(text: &str) -> bool {
    text.as_bytes().windows(3).any(|w| w == b"%00")
}

fn join_path(path: &str, field: &str) -> String {
    if path.is_empty() || path == "." {
        field.to_owned()
    } else {
        format!("{path}.{field}")
    }
}

fn describe_data_error(path: &str, raw: &str) -> FieldError {
    // serde_json appends the position; the field path says more to a client.
    let message = raw.split(" at line ").next().unwrap_or(raw);
    let path_or_body = if path.is_empty() || path == "." {
        "body".to_owned()
    } else {
        path.to_owned()
    };
    let ticked = |text: &str| text.split('`').nth(1).unwrap_or_default().to_owned();
    let expected = |text: &str| {
        text.split_once("expected ")
            .map(|(_, e)| e.replace('`', ""))
            .unwrap_or_default()
    };
    if message.starts_with("missing field") {
        FieldError::new(
            join_path(path, &ticked(message)),
            "required",
            "champ obligatoire manquant",
        )
    } else if message.starts_with("unknown field") {
        // The path already ends with the unknown field's name.
        let field = if path.is_empty() || path == "." {
            ticked(message)
        } else {
            path.to_owned()
        };
        FieldError::new(
            field,
            "unknown_field",
            format!("champ inconnu ; champs permis : {}", expected(message)),
        )
    } else if message.starts_with("unknown variant") {
        let (text, allowed) = unknown_value(message);
        FieldError::new(path_or_body, "unknown_value", text).with_allowed_values(allowed)
    } else if let Some(rest) = message.strip_prefix("invalid type: ") {
        let (got, want) = rest.split_once(", expected ").unwrap_or((rest, "?"));
        FieldError::new(
            path_or_body,
            "invalid_type",
            format!("type incorrect : {got} reçu, {want} attendu"),
        )
    } else if let Some(rest) = message.strip_prefix("invalid value: ") {
        let (got, want) = rest.split_once(", expected ").unwrap_or((rest, "?"));
        FieldError::new(
            path_or_body,
            "invalid_value",
            format!("valeur incorrecte : {got} reçu, {want} attendu"),
        )
    } else if let Some(rest) = message.strip_prefix("invalid length ") {
        FieldError::new(
            path_or_body,
            "invalid_length",
            format!("longueur incorrecte : {rest}"),
        )
    } else {
        FieldError::new(path_or_body, "invalid", message.to_owned())
    }
}

/// serde's « unknown variant `x`, expected one of `a`, `b` » as a French message naming
/// the allowed values by their labels, and those values for `allowed_values`.
pub fn unknown_value(message: &str) -> (String, Vec<String>) {
    let given = message.split('`').nth(1).unwrap_or_default();
    let expected = message.split_once("expected ").map_or("", |(_, e)| e);
    let allowed: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    let shown = match crate::labels::labels_of_set(&allowed) {
        Some(labels) => labels.join(", "),
        None => allowed.join(", "),
    };
    (
        format!(
            "valeur inconnue « {given} » ; valeurs permises : {shown} (voir « allowed_values »)"
        ),
        allowed.into_iter().map(str::to_owned).collect(),
    )
}

/// Problem documents for malformed paths and query strings.
pub fn path_error(err: actix_web::error::PathError, req: &HttpRequest) -> actix_web::Error {
    if let Some(refusal) = super::literal_path_refused(req) {
        return refusal.into();
    }
    ApiError::new(
        ErrorCode::InvalidPathParameter,
        format!("Identifiant invalide dans le chemin : un UUID est attendu ({err})."),
    )
    .into()
}

pub fn query_error(
    err: actix_web::error::QueryPayloadError,
    req: &HttpRequest,
) -> actix_web::Error {
    // People read a page's refusal: the error page, in French.
    if super::web::is_web_path(req.path()) {
        let response = super::web::visitor::bare_page(
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidQuery.title(),
            "L'adresse de cette page est mal formée (un paramètre y figure deux fois, ou sa valeur est illisible) : vérifiez le lien.",
        );
        return actix_web::error::InternalError::from_response(err.to_string(), response).into();
    }
    let message = err.to_string();
    let message = message
        .strip_prefix("Query deserialize error: ")
        .unwrap_or(&message)
        .to_owned();
    if message.starts_with("unknown variant") {
        let (text, allowed) = unknown_value(&message);
        return ApiError::new(
            ErrorCode::InvalidQuery,
            format!("Paramètres de requête invalides : {text}."),
        )
        .with_extra(serde_json::json!({ "allowed_values": allowed }))
        .into();
    }
    ApiError::new(
        ErrorCode::InvalidQuery,
        format!("Paramètres de requête invalides : {message}."),
    )
    .into()
}

/// Reads a whole body, refusing one larger than the JSON limit with a problem document.
pub async fn read_limited(mut payload: actix_web::dev::Payload) -> Result<web::Bytes, ApiError> {
    use futures_util::StreamExt;
    let mut buffer = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::new(
                ErrorCode::UnreadableBody,
                format!("Le corps de la requête n'a pas pu être lu : {e}"),
            )
        })?;
        if buffer.len() + chunk.len() > JSON_LIMIT {
            return Err(ApiError::new(
                ErrorCode::PayloadTooLarge,
                format!("Le corps de la requête dépasse {} Kio.", JSON_LIMIT / 1024),
            ));
        }
        buffer.extend_from_slice(&chunk);
    }
    Ok(buffer.freeze())
}

/// What a list or a report is answered as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
    Svg,
}

/// The format a request asks for: its `format` parameter, else its `Accept` header (CSV, or
/// SVG where allowed), else JSON. An unknown or unoffered `format` is a 422 on that field.
pub fn negotiate(
    req: &HttpRequest,
    requested: Option<&str>,
    allowed: &[&str],
) -> Result<Format, ApiError> {
    let name = match requested {
        Some(f) if allowed.contains(&f) => f,
        Some(f) => {
            return Err(ApiError::field(
                "format",
                "unknown_value",
                format!(
                    "format inconnu « {f} » ; formats permis : {}",
                    allowed.join(", ")
                ),
            ))
        }
        None => {
            let accept = req
                .headers()
                .get(actix_web::http::header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            if accept.contains("text/csv") && allowed.contains(&"csv") {
                "csv"
            } else if accept.contains("image/svg+xml") && allowed.contains(&"svg") {
                "svg"
            } else {
                "json"
            }
        }
    };
    Ok(match name {
        "csv" => Format::Csv,
        "svg" => Format::Svg,
        _ => Format::Json,
    })
}

/// A CSV document (see `views::csv_document`) as a download named `filename`.
pub fn csv_attachment(text: String, filename: &str) -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ))
        .body(text)
}

/// The query parameters the OpenAPI document declares, by method and route pattern.
type DeclaredQueries = std::collections::HashMap<(String, String), Vec<String>>;

fn declared_queries() -> &'static DeclaredQueries {
    static DECLARED: std::sync::OnceLock<DeclaredQueries> = std::sync::OnceLock::new();
    DECLARED.get_or_init(|| {
        use utoipa::openapi::path::ParameterIn;
        let document = crate::app::openapi_document();
        let mut declared = DeclaredQueries::new();
        for (path, item) in &document.paths.paths {
            let operations = [
                ("GET", &item.get),
                ("PUT", &item.put),
                ("POST", &item.post),
                ("DELETE", &item.delete),
                ("PATCH", &item.patch),
            ];
            for (method, operation) in operations {
                let Some(operation) = operation else { continue };
                let names = operation
                    .parameters
                    .iter()
                    .flatten()
                    .filter(|p| p.parameter_in == ParameterIn::Query)
                    .map(|p| p.name.clone())
                    .collect();
                declared.insert((method.to_owned(), path.clone()), names);
            }
        }
        declared
    })
}

/// Middleware: a query parameter the document does not declare for the operation (a
/// mistyped filter such as `?booker_id=`) is refused with 400 `unknown_query_parameter`
/// naming it, instead of being ignored and answering an unfiltered list. The document is the
/// one list of what each operation reads, so a parameter a handler reads and the document
/// forgets is refused too, and the tests see it.
pub async fn refuse_unknown_query_parameters(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    let unknown = match req.query_string() {
        "" => None,
        query => req.match_pattern().and_then(|pattern| {
            let key = (req.method().as_str().to_owned(), pattern);
            let declared = declared_queries().get(&key)?;
            query
                .split('&')
                .filter(|pair| !pair.is_empty())
                .map(|pair| pair.split('=').next().unwrap_or_default())
                .map(percent_decode)
                .find(|name| !declared.iter().any(|d| d == name))
        }),
    };
    match unknown {
        Some(name) => {
            let error = ApiError::new(
                ErrorCode::UnknownQueryParameter,
                format!("Paramètre de requête inconnu : « {name} »."),
            )
            .with_extra(serde_json::json!({ "parameter": name }));
            Ok(req.error_response(error))
        }
        None => next.call(req).await.map(|r| r.map_into_boxed_body()),
    }
}

/// Decodes `%XX` and `+` in a query parameter's name.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or_default();
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
