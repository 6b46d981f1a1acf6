//! `/service-requests`: SME service requests, their transitions, quotes, messages and timeline.

use actix_web::http::header;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use uuid::Uuid;

use super::created;
use super::extract::{negotiate, Format, JsonBody};
use crate::access;
use crate::auth::CurrentUser;
use crate::db::service_requests::{RequestFilter, Scope};
use crate::domain::service_request::{side_of, Side};
use crate::error::{ApiError, ApiResult, Problem};
use crate::state::AppState;
use crate::usecases::{accounts, service_requests as desk};
use crate::views::service_requests::{
    export_header, export_record, AccountConfirmation, IssuedConfirmationView, MessageView,
    NewMessage, NewQuote, NewServiceRequest, PendingConfirmationView, PublicReceipt,
    PublicServiceRequest, QuoteView, RequestQuery, ServiceRequestView, TimelineEntry,
    TransitionRequest,
};
use crate::views::Paged;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_service_requests)
        .service(create_service_request)
        .service(show_service_request)
        .service(transition_service_request)
        .service(list_quotes)
        .service(issue_quote)
        .service(list_messages)
        .service(post_message)
        .service(show_timeline)
        .service(submit_public_request)
        .service(confirm_account)
        .service(list_account_confirmations)
        .service(issue_confirmation_token);
}

/// List the requests the caller may see; `format=csv` (or `Accept: text/csv`) exports them
/// for a spreadsheet: UTF-8 with a byte-order mark, `;` separators, amounts in euros with a
/// decimal comma, one line per request with the date of each step.
#[utoipa::path(tag = "service_requests", params(RequestQuery), responses(
    (status = 200, description = "the requests, or their CSV export", content(
        (Paged<ServiceRequestView> = "application/json"),
        (String = "text/csv"))),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
#[get("/service-requests")]
async fn list_service_requests(
    state: web::Data<AppState>,
    user: CurrentUser,
    req: HttpRequest,
    query: web::Query<RequestQuery>,
) -> ApiResult<HttpResponse> {
    // Teachers and observers see no request: an empty list, as other lists answer.
    let side = side_of(user.role).unwrap_or(Side::Company);
    let csv = negotiate(&req, query.format.as_deref(), &["json", "csv"])? == Format::Csv;
    let page = query.page()?;
    let filter = query.filter()?;
    let tz = state.timezone;
    let today = state.today();
    if csv {
        let scope = state
            .db(move |conn| desk::export_scope(conn, &user))
            .await?;
        return export_csv(state, scope, filter, tz).await;
    }
    let listed = state
        .db(move |conn| desk::list(conn, &user, &filter, &page))
        .await?;
    Ok(HttpResponse::Ok().json(Paged::of(listed, |r| {
        ServiceRequestView::new(r, side, today, &tz)
    })?))
}

/// The export of every request in scope that matches the filters (`limit` and `cursor` page
/// the JSON list only). It is read and sent page by page, each page its own unit of database
/// work, so that memory stays bounded however many requests there are. The first page is
/// read before answering, so that its failure is still a problem document; a later failure
/// cuts the download short (and is logged).
async fn export_csv(
    state: web::Data<AppState>,
    scope: Scope,
    filter: RequestFilter,
    tz: chrono_tz::Tz,
) -> ApiResult<HttpResponse> {
    let read = move |after: Option<String>| {
        let (state, scope, filter) = (state.clone(), scope.clone(), filter.clone());
        async move {
            let listed = state
                .db(move |conn| desk::export_page(conn, &scope, &filter, after))
                .await?;
            let lines = listed.rows.into_iter().map(|line| export_record(line, &tz));
            Ok::<_, ApiError>((crate::views::csv_rows(lines)?, listed.next_after))
        }
    };
    let (first, mut next) = read(None).await?;
    let head = format!("{}{first}", crate::views::csv_document([export_header()])?);
    let rest = futures_util::stream::unfold(next.take(), move |after| {
        let read = read.clone();
        async move {
            let after = after?;
            match read(Some(after)).await {
                Ok((text, next)) => Some((Ok(web::Bytes::from(text)), next)),
                Err(error) => {
                    tracing::error!(%error, "service request export cut short");
                    Some((Err(std::io::Error::other(error.to_string())), None))
                }
            }
        }
    });
    let body = futures_util::StreamExt::chain(
        futures_util::stream::once(async move { Ok(web::Bytes::from(head)) }),
        rest,
    );
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"demandes-de-prestation.csv\"",
        ))
        .streaming(body))
}

/// Submit a service request (company contacts for their company; staff for a company).
#[utoipa::path(tag = "service_requests", request_body = NewServiceRequest, responses(
    (status = 201, body = ServiceRequestView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
#[post("/service-requests")]
async fn create_service_request(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: JsonBody<NewServiceRequest>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let tz = state.timezone;
    let (request, side) = state
        .db(move |conn| {
            let request = desk::create(conn, &user, now, body.0)?;
            Ok((request, access::request_side(&user)?))
        })
        .await?;
    let view = ServiceRequestView::new(request, side, state.today(), &tz)?;
    Ok(created(
        format!("/api/v1/service-requests/{}", view.id),
        view,
    ))
}

/// One service request, with the actions the caller may take and the work booked.
#[utoipa::path(tag = "service_requests", responses(
    (status = 200, body = ServiceRequestView),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/service-requests/{id}")]
async fn show_service_request(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<ServiceRequestView>> {
    let id = id.into_inner().to_string();
    let (request, side) = state
        .db(move |conn| Ok((desk::find(conn, &user, &id)?, access::request_side(&user)?)))
        .await?;
    Ok(web::Json(ServiceRequestView::new(
        request,
        side,
        state.today(),
        &state.timezone,
    )?))
}

/// Move a request along its life cycle: `take` (staff: platform and person in charge),
/// `accept` / `decline` (company: a quote version), `sign_agreement`, `start_work`,
/// `deliver`, `invoice`, `close` (staff), `withdraw` (company, before acceptance), `reject`
/// (staff, with a reason). Anything else answers 409 `invalid_transition` with the actions
/// the caller may take.
#[utoipa::path(tag = "service_requests", request_body = TransitionRequest, responses(
    (status = 200, body = ServiceRequestView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
#[post("/service-requests/{id}/transitions")]
async fn transition_service_request(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
    body: JsonBody<TransitionRequest>,
) -> ApiResult<web::Json<ServiceRequestView>> {
    let id = id.into_inner().to_string();
    let now = state.now();
    let today = state.today();
    let (request, side) = state
        .db(move |conn| {
            let request = desk::apply_transition(conn, &user, now, &id, body.0, today)?;
            Ok((request, access::request_side(&user)?))
        })
        .await?;
    Ok(web::Json(ServiceRequestView::new(
        request,
        side,
        today,
        &state.timezone,
    )?))
}

/// Every quote version of a request.
#[utoipa::path(tag = "service_requests", responses(
    (status = 200, body = Vec<QuoteView>),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/service-requests/{id}/quotes")]
async fn list_quotes(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<Vec<QuoteView>>> {
    let id = id.into_inner().to_string();
    let quotes = state.db(move |conn| desk::quotes(conn, &user, &id)).await?;
    let tz = state.timezone;
    Ok(web::Json(
        quotes
            .into_iter()
            .map(|(quote, lines)| QuoteView::new(quote, lines, &tz))
            .collect::<ApiResult<Vec<_>>>()?,
    ))
}

/// Issue a quote, or a revised version while the request is quoted (staff). Totals are
/// computed by the service.
#[utoipa::path(tag = "service_requests", request_body = NewQuote, responses(
    (status = 201, body = QuoteView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
#[post("/service-requests/{id}/quotes")]
async fn issue_quote(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
    body: JsonBody<NewQuote>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let id = id.into_inner().to_string();
    let today = state.today();
    let (quote, lines) = state
        .db(move |conn| desk::issue_quote(conn, &user, now, &id, body.0, today))
        .await?;
    Ok(HttpResponse::Created().json(QuoteView::new(quote, lines, &state.timezone)?))
}

/// The conversation of a request; companies never receive internal messages.
#[utoipa::path(tag = "service_requests", responses(
    (status = 200, body = Vec<MessageView>),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/service-requests/{id}/messages")]
async fn list_messages(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<Vec<MessageView>>> {
    let id = id.into_inner().to_string();
    let rows = state
        .db(move |conn| desk::messages(conn, &user, &id))
        .await?;
    let tz = state.timezone;
    Ok(web::Json(
        rows.into_iter()
            .map(|r| MessageView::new(r, &tz))
            .collect::<ApiResult<_>>()?,
    ))
}

/// Write a message: shared with the company, or internal to the campus staff.
#[utoipa::path(tag = "service_requests", request_body = NewMessage, responses(
    (status = 201, body = MessageView),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
#[post("/service-requests/{id}/messages")]
async fn post_message(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
    body: JsonBody<NewMessage>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let id = id.into_inner().to_string();
    let row = state
        .db(move |conn| desk::post_message(conn, &user, now, &id, body.0))
        .await?;
    Ok(HttpResponse::Created().json(MessageView::new(row, &state.timezone)?))
}

/// Every step of a request in order: transitions, quote versions, messages, with who and
/// when (companies do not see internal messages).
#[utoipa::path(tag = "service_requests", responses(
    (status = 200, body = Vec<TimelineEntry>),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/service-requests/{id}/timeline")]
async fn show_timeline(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<Vec<TimelineEntry>>> {
    let id = id.into_inner().to_string();
    let events = state
        .db(move |conn| desk::timeline(conn, &user, &id))
        .await?;
    let tz = state.timezone;
    Ok(web::Json(
        events
            .into_iter()
            .map(|e| TimelineEntry::new(e, &tz))
            .collect(),
    ))
}

/// Submit a first request without an account (company, contact, request). The answer is
/// the same whether or not the e-mail already has an account; limited to 5 submissions per
/// client address every 10 minutes (429 `rate_limited`, with `Retry-After`). The contact
/// confirms the address with the token e-mailed to it.
#[utoipa::path(tag = "service_requests", security(()), request_body = PublicServiceRequest, responses(
    (status = 202, body = PublicReceipt),
    (status = 422, body = Problem, content_type = "application/problem+json"),
    (status = 429, body = Problem, content_type = "application/problem+json")))]
#[post("/public/service-requests")]
async fn submit_public_request(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody<PublicServiceRequest>,
) -> ApiResult<HttpResponse> {
    let client = super::client_address(&req);
    desk::submit_public_from(&state, &client, body.0).await?;
    Ok(HttpResponse::Accepted().json(PublicReceipt {
        message: desk::PUBLIC_RECEIPT.into(),
    }))
}

/// Confirm an e-mail address with its token and choose the account's password.
#[utoipa::path(tag = "service_requests", security(()), request_body = AccountConfirmation, responses(
    (status = 200, body = PublicReceipt),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
#[post("/public/account-confirmations")]
async fn confirm_account(
    state: web::Data<AppState>,
    body: JsonBody<AccountConfirmation>,
) -> ApiResult<web::Json<PublicReceipt>> {
    let AccountConfirmation { token, password } = body.0;
    accounts::confirm(&state, token, password).await?;
    Ok(web::Json(PublicReceipt {
        message: "Adresse confirmée : vous pouvez vous connecter.".into(),
    }))
}

/// Addresses not confirmed yet (admin): public sign-ups and invitations, with the company
/// and its SIRET. Tokens are stored only as hashes and never shown here; e-mail a fresh one
/// with `POST /account-confirmations/{id}/send`.
#[utoipa::path(tag = "service_requests", responses(
    (status = 200, body = Vec<PendingConfirmationView>),
    (status = 403, body = Problem, content_type = "application/problem+json")))]
#[get("/account-confirmations")]
async fn list_account_confirmations(
    state: web::Data<AppState>,
    user: CurrentUser,
) -> ApiResult<web::Json<Vec<PendingConfirmationView>>> {
    let rows = state
        .db(move |conn| accounts::pending_confirmations(conn, &user))
        .await?;
    let now = state.now();
    let tz = state.timezone;
    Ok(web::Json(
        rows.into_iter()
            .map(|p| PendingConfirmationView::new(p, now, &tz))
            .collect::<ApiResult<Vec<_>>>()?,
    ))
}

/// Issue a fresh confirmation token (admin), shown in this answer (and e-mailed to the
/// person), for an address that receives nothing. Earlier tokens of the account stop
/// working. To e-mail one without seeing it: `POST /account-confirmations/{id}/send`.
#[utoipa::path(tag = "service_requests", responses(
    (status = 201, body = IssuedConfirmationView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
#[post("/account-confirmations/{id}/token")]
async fn issue_confirmation_token(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let id = id.into_inner().to_string();
    let (confirmation_id, account, token, expires_at) = state
        .db(move |conn| accounts::issue_confirmation_token(conn, &user, now, &id))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(IssuedConfirmationView::new(
            confirmation_id,
            account,
            token,
            expires_at,
            &state.timezone,
        )))
}
