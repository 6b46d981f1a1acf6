//! `Idempotency-Key` on POST requests: a retried request with the same key and body gets the
//! first successful response again instead of creating a second resource.

use actix_web::body::{self, BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpMessage, HttpResponse};
use sha2::{Digest, Sha256};

use super::extract::read_limited;
use crate::auth::CurrentUser;
use crate::db::idempotency::{self as store, Claim};
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

const HEADER: &str = "idempotency-key";
/// How long a duplicate waits for the first request with its key: 20 × 50 ms.
const IN_PROGRESS_CHECKS: u32 = 20;
const IN_PROGRESS_PAUSE: std::time::Duration = std::time::Duration::from_millis(50);

pub async fn middleware(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if req.method() != Method::POST
        || !req.headers().contains_key(HEADER)
        || answers_secrets(req.match_info().as_str())
    {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    }
    // Authentication comes first: a request its handler refuses as unauthenticated (or
    // forbidden to a contact awaiting approval) gets that refusal whatever its key, and
    // keys are scoped to the caller, so that two accounts never collide or read each other's.
    let scope = if is_public(req.match_info().as_str()) {
        "anonymous".to_owned()
    } else {
        match CurrentUser::from_request(req.request(), &mut Payload::None).await {
            Ok(user) => format!("user:{}", user.id),
            Err(_) => {
                return next
                    .call(req)
                    .await
                    .map(ServiceResponse::map_into_boxed_body)
            }
        }
    };
    let key = match req.headers().get(HEADER).and_then(|v| v.to_str().ok()) {
        Some(k)
            if !k.is_empty() && k.len() <= 200 && k.bytes().all(|b| (0x21..0x7f).contains(&b)) =>
        {
            k.to_owned()
        }
        _ => {
            return Err(ApiError::new(
                ErrorCode::InvalidIdempotencyKey,
                "L'en-tête Idempotency-Key doit compter de 1 à 200 caractères ASCII visibles.",
            )
            .into())
        }
    };
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    let payload = req.take_payload();
    let bytes = match read_limited(payload).await {
        Ok(bytes) => bytes,
        Err(e) => return Err(e.into()),
    };
    let mut hasher = Sha256::new();
    hasher.update(req.method().as_str());
    hasher.update(b" ");
    hasher.update(req.uri().to_string());
    hasher.update(b"\n");
    hasher.update(&bytes);
    let request_hash = hex::encode(hasher.finalize());

    // A duplicate sent while the first is still running waits a little for its answer
    // rather than being refused at once.
    let mut claim = Claim::InProgress;
    for attempt in 0..=IN_PROGRESS_CHECKS {
        if attempt > 0 {
            actix_web::rt::time::sleep(IN_PROGRESS_PAUSE).await;
        }
        let (scope, key, request_hash) = (scope.clone(), key.clone(), request_hash.clone());
        let now = state.now();
        claim = state
            .db(move |conn| store::claim(conn, now, &scope, &key, &request_hash))
            .await?;
        if !matches!(claim, Claim::InProgress) {
            break;
        }
    }
    match claim {
        Claim::Replay(record) => {
            let mut response = HttpResponse::build(StatusCode::from_u16(record.status_code).unwrap_or(StatusCode::OK));
            if let Some(ct) = record.content_type {
                response.insert_header((header::CONTENT_TYPE, ct));
            }
            if let Some(location) = record.location {
                response.insert_header((header::LOCATION, location));
            }
            response.insert_header((HeaderName::from_static("idempotent-replayed"), HeaderValue::from_static("true")));
            let (http_req, _) = req.into_parts();
            Ok(ServiceResponse::new(http_req, response.body(record.body)))
        }
        Claim::Mismatch => Err(ApiError::new(ErrorCode::IdempotencyKeyReused,
            "Cette clé Idempotency-Key a déjà servi pour une autre requête : utilisez une nouvelle clé.",
        )
        .into()),
        Claim::InProgress => Err(ApiError::new(ErrorCode::IdempotencyInProgress,
            "Une requête avec cette clé Idempotency-Key est encore en cours : réessayez dans un instant.",
        )
        .into()),
        Claim::Claimed => {
            req.set_payload(bytes_payload(bytes));
            let response = next.call(req).await;
            let response = match response {
                Ok(r) => r,
                Err(e) => {
                    let (scope, key) = (scope.clone(), key.clone());
                    let _ = state.db(move |conn| store::release(conn, &scope, &key)).await;
                    return Err(e);
                }
            };
            let status = response.status();
            let content_type = header_text(response.headers().get(header::CONTENT_TYPE));
            let location = header_text(response.headers().get(header::LOCATION));
            let (http_req, http_res) = response.into_parts();
            let (head, body) = http_res.into_parts();
            let body_bytes = body::to_bytes(body).await.map_err(|_| ApiError::internal("response body unreadable"))?;
            let saved = {
                let (scope, key) = (scope.clone(), key.clone());
                let text = String::from_utf8_lossy(&body_bytes).into_owned();
                state
                    .db(move |conn| {
                        if status.is_success() {
                            store::complete(conn, &scope, &key, status.as_u16(), content_type, location, text)
                        } else {
                            // Only successes are kept: a refused request may be retried with the same key.
                            store::release(conn, &scope, &key)
                        }
                    })
                    .await
            };
            if let Err(e) = saved {
                tracing::error!(error = %e, "idempotency record not saved");
            }
            let http_res = head.set_body(BoxBody::new(body_bytes));
            Ok(ServiceResponse::new(http_req, http_res))
        }
    }
}

/// Paths whose answers carry secrets (access, refresh and calendar tokens) or consume one
/// (account confirmations, password resets): the header is ignored there, so that no stored replay ever
/// holds a token and a replay never hands one out again. Matched on the path as routed
/// (percent-decoded), so that an encoded spelling does not slip past.
fn answers_secrets(path: &str) -> bool {
    let path = path.trim_end_matches('/');
    let Some(rest) = path.strip_prefix("/api/v1/") else {
        return false;
    };
    rest.starts_with("auth/")
        || rest == "calendar-tokens"
        || rest.starts_with("calendar-tokens/")
        || rest
            .split('/')
            .any(|segment| matches!(segment, "account-confirmations" | "password-resets"))
}

/// Paths open without a token (`/public/…`): their keys are the anonymous caller's.
fn is_public(path: &str) -> bool {
    path.starts_with("/api/v1/public/")
}

fn header_text(value: Option<&HeaderValue>) -> Option<String> {
    value.and_then(|v| v.to_str().ok()).map(str::to_owned)
}

fn bytes_payload(bytes: web::Bytes) -> actix_web::dev::Payload {
    let (_, mut h1_payload) = actix_http::h1::Payload::create(true);
    h1_payload.unread_data(bytes);
    actix_web::dev::Payload::from(h1_payload)
}
