//! `/service-requests`: SME service requests, their transitions, quotes, messages and timeline.

use std::collections::{BTreeMap, HashMap};

use actix_web::http::header;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::db::service_requests::{
    self as store, QuoteLineRow, QuoteRow, RequestFilter, RequestRow, Scope,
};
use crate::db::{self, DbConnection};
use crate::domain::pagination::PageQuery;
use crate::domain::service_request::{allowed_actions, side_of, QuoteUnit, RequestState, Side};
use crate::domain::validate::Checks;
use crate::domain::{PlatformDomain, Role};
use crate::error::{ApiError, ApiResult, Problem};
use crate::labels::label_of;
use crate::routes::bookings::check_instant;
use crate::routes::created;
use crate::routes::extract::{negotiate, Format, JsonBody};
use crate::service_requests::{self as desk, side};
use crate::views::service_requests::{
    AccountConfirmation, IssuedConfirmationView, MessageView, MessageVisibility, NewMessage,
    NewQuote, NewServiceRequest, PendingConfirmationView, PlatformHours, PublicReceipt,
    PublicServiceRequest, QuoteLineView, QuoteStatus, QuoteView, ServiceRequestView, TimelineEntry,
    TransitionRequest,
};
use crate::views::{instant, Cell, Paged};

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

fn today(state: &AppState) -> chrono::NaiveDate {
    chrono::Utc::now()
        .with_timezone(&state.timezone)
        .date_naive()
}

/// Views of requests, with the work booked and used (two queries for the whole list).
fn request_views(
    conn: &mut DbConnection,
    rows: Vec<RequestRow>,
    side: Side,
    tz: &chrono_tz::Tz,
) -> ApiResult<Vec<ServiceRequestView>> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    // (seconds booked, bookings, seconds used) by request and platform.
    let mut work: HashMap<String, BTreeMap<String, (i64, i64, i64)>> = HashMap::new();
    for (request, platform, start, end) in store::linked_bookings(conn, &ids)? {
        let entry = work
            .entry(request)
            .or_default()
            .entry(platform)
            .or_default();
        entry.0 += end - start;
        entry.1 += 1;
    }
    for (request, platform, seconds) in db::usage::used_for_requests(conn, &ids)? {
        work.entry(request)
            .or_default()
            .entry(platform)
            .or_default()
            .2 += seconds;
    }
    rows.into_iter()
        .map(|row| {
            let work = work.remove(&row.id).unwrap_or_default();
            request_view(row, work, side, tz)
        })
        .collect()
}

fn one_view(
    conn: &mut DbConnection,
    row: RequestRow,
    side: Side,
    tz: &chrono_tz::Tz,
) -> ApiResult<ServiceRequestView> {
    request_views(conn, vec![row], side, tz)?
        .pop()
        .ok_or_else(ApiError::not_found)
}

fn request_view(
    row: RequestRow,
    work: BTreeMap<String, (i64, i64, i64)>,
    side: Side,
    tz: &chrono_tz::Tz,
) -> ApiResult<ServiceRequestView> {
    let state = RequestState::from_db(&row.state)?;
    Ok(ServiceRequestView {
        domains: row
            .domains
            .split(',')
            .filter(|d| !d.is_empty())
            .map(PlatformDomain::from_db)
            .collect::<ApiResult<_>>()?,
        links: row.links.lines().map(str::to_owned).collect(),
        state,
        allowed_actions: allowed_actions(state, side),
        work: work
            .into_iter()
            .map(|(platform_id, (booked, bookings, used))| PlatformHours {
                platform_id,
                hours_booked: booked as f64 / 3600.0,
                bookings,
                hours_used: used as f64 / 3600.0,
            })
            .collect(),
        created_at: instant(row.created_at, tz),
        updated_at: instant(row.updated_at, tz),
        id: row.id,
        company_id: row.company_id,
        contact_user_id: row.contact_user_id,
        title: row.title,
        description: row.description,
        requested_platform_id: row.requested_platform_id,
        assigned_platform_id: row.assigned_platform_id,
        assignee_id: row.assignee_id,
        wished_from: row.wished_from,
        wished_to: row.wished_to,
        budget_cents: row.budget_cents,
        confidential: row.confidential,
        agreement_reference: row.agreement_reference,
        agreement_signed_on: row.agreement_signed_on,
        delivery_note: row.delivery_note,
        invoice_reference: row.invoice_reference,
        invoice_amount_cents: row.invoice_amount_cents,
        state_reason: row.state_reason,
    })
}

fn quote_view(
    quote: QuoteRow,
    lines: Vec<QuoteLineRow>,
    tz: &chrono_tz::Tz,
) -> ApiResult<QuoteView> {
    Ok(QuoteView {
        status: QuoteStatus::from_db(&quote.status)?,
        lines: lines
            .into_iter()
            .map(|l| {
                Ok(QuoteLineView {
                    unit: QuoteUnit::from_db(&l.unit)?,
                    quantity: l.quantity_milli as f64 / 1000.0,
                    label: l.label,
                    unit_price_cents: l.unit_price_cents,
                    vat_rate_bp: l.vat_rate_bp,
                    total_excl_vat_cents: l.total_excl_vat_cents,
                    vat_cents: l.vat_cents,
                })
            })
            .collect::<ApiResult<_>>()?,
        created_at: instant(quote.created_at, tz),
        id: quote.id,
        version: quote.version,
        valid_until: quote.valid_until,
        total_excl_vat_cents: quote.total_excl_vat_cents,
        total_vat_cents: quote.total_vat_cents,
        total_incl_vat_cents: quote.total_incl_vat_cents,
        created_by: quote.created_by,
    })
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RequestQuery {
    pub state: Option<RequestState>,
    /// Assigned or requested platform.
    pub platform_id: Option<Uuid>,
    pub domain: Option<PlatformDomain>,
    pub company_id: Option<Uuid>,
    /// Submitted at or after this instant (RFC 3339).
    #[param(format = DateTime)]
    pub from: Option<String>,
    /// Submitted before this instant (RFC 3339).
    #[param(format = DateTime)]
    pub to: Option<String>,
    /// `csv` for a spreadsheet export (also with `Accept: text/csv`) of every matching
    /// request; `limit` and `cursor` page the JSON list only.
    #[param(pattern = "^(json|csv)$")]
    pub format: Option<String>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    #[param(pattern = "^([0-9a-fA-F]{32})?$")]
    pub cursor: Option<String>,
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
    let q = query.into_inner();
    let csv = negotiate(&req, q.format.as_deref(), &["json", "csv"])? == Format::Csv;
    let page = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    }
    .page()?;
    let mut checks = Checks::new();
    let filter = RequestFilter {
        state: q.state.map(|s| s.as_str().to_owned()),
        platform_id: q.platform_id.map(|p| p.to_string()),
        domain: q.domain.map(|d| d.as_str().to_owned()),
        company_id: q.company_id.map(|c| c.to_string()),
        from: q
            .from
            .as_deref()
            .map(|t| check_instant(&mut checks, "from", t)),
        to: q.to.as_deref().map(|t| check_instant(&mut checks, "to", t)),
    };
    checks.finish()?;
    let tz = state.timezone;
    if csv {
        let scope = {
            let user = user.clone();
            state.db(move |conn| desk::scope_of(conn, &user)).await?
        };
        return export_csv(state, scope, filter, tz).await;
    }
    let (items, last) = state
        .db(move |conn| {
            let scope = desk::scope_of(conn, &user)?;
            let (rows, more) = store::list(conn, &scope, &filter, &page)?;
            let last = more.then(|| rows.last().map(|r| r.id.clone())).flatten();
            let items = request_views(conn, rows, side, &tz)?;
            Ok((items, last))
        })
        .await?;
    Ok(HttpResponse::Ok().json(Paged::new(items, last.as_deref())))
}

fn euros(cents: Option<i64>) -> String {
    cents
        .map(|c| {
            format!(
                "{}{},{:02}",
                if c < 0 { "-" } else { "" },
                c.abs() / 100,
                c.abs() % 100
            )
        })
        .unwrap_or_default()
}

/// Requests read from the database at a time by the CSV export.
const EXPORT_PAGE: i64 = 500;

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
            let page = crate::db::Page {
                after,
                limit: EXPORT_PAGE,
            };
            state
                .db(move |conn| export_page(conn, &scope, &filter, &page, &tz))
                .await
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

fn export_header() -> Vec<Cell> {
    let mut header = vec!["id", "entreprise", "titre", "domaines", "état"];
    header.extend(EXPORT_STEPS.iter().map(|s| match *s {
        "submitted" => "déposée le",
        "in_review" => "prise en charge le",
        "quoted" => "devisée le",
        "accepted" => "acceptée le",
        "agreement_signed" => "convention signée le",
        "in_progress" => "travaux commencés le",
        "delivered" => "livrée le",
        "invoiced" => "facturée le",
        _ => "close le",
    }));
    header.extend(["devis TTC (€)", "facturé (€)"]);
    header.into_iter().map(Cell::from).collect()
}

/// The steps whose dates the export gives, in order.
const EXPORT_STEPS: [&str; 9] = [
    "submitted",
    "in_review",
    "quoted",
    "accepted",
    "agreement_signed",
    "in_progress",
    "delivered",
    "invoiced",
    "closed",
];

/// One page of the export as CSV lines, and the id to read the next page after, if any.
fn export_page(
    conn: &mut DbConnection,
    scope: &Scope,
    filter: &RequestFilter,
    page: &crate::db::Page,
    tz: &chrono_tz::Tz,
) -> ApiResult<(String, Option<String>)> {
    let (rows, more) = store::list(conn, scope, filter, page)?;
    let next = more.then(|| rows.last().map(|r| r.id.clone())).flatten();
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut reached: HashMap<(String, String), i64> = HashMap::new();
    for event in store::transitions_of(conn, &ids)? {
        if let Some(to) = event.to_state {
            reached.entry((event.request_id, to)).or_insert(event.at);
        }
    }
    let mut company_ids: Vec<String> = rows.iter().map(|r| r.company_id.clone()).collect();
    company_ids.sort();
    company_ids.dedup();
    let companies: HashMap<String, String> = db::organisations::names_of(conn, &company_ids)?
        .into_iter()
        .collect();
    // The latest quote of each request that has one (versions come in order).
    let mut latest_quote: HashMap<String, i64> = HashMap::new();
    for quote in store::quotes_of_requests(conn, &ids)? {
        if quote.status != "superseded" {
            latest_quote.insert(quote.request_id, quote.total_incl_vat_cents);
        }
    }
    let mut lines = Vec::with_capacity(rows.len());
    for row in rows {
        let mut record: Vec<Cell> = vec![
            row.id.clone().into(),
            companies
                .get(&row.company_id)
                .cloned()
                .unwrap_or_default()
                .into(),
            row.title.clone().into(),
            row.domains
                .split(',')
                .filter(|d| !d.is_empty())
                .map(|d| label_of(d, PlatformDomain::parse))
                .collect::<Vec<_>>()
                .join(", ")
                .into(),
            label_of(&row.state, RequestState::parse).into(),
        ];
        for step in EXPORT_STEPS {
            record.push(
                reached
                    .get(&(row.id.clone(), step.to_owned()))
                    .map(|t| {
                        crate::domain::time::local(*t, tz)
                            .format("%d/%m/%Y")
                            .to_string()
                    })
                    .unwrap_or_default()
                    .into(),
            );
        }
        record.push(Cell::Number(euros(latest_quote.get(&row.id).copied())));
        record.push(Cell::Number(euros(row.invoice_amount_cents)));
        lines.push(record);
    }
    Ok((crate::views::csv_rows(lines)?, next))
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
    let tz = state.timezone;
    let view = state
        .db(move |conn| {
            let row = desk::create(conn, &user, body.0)?;
            one_view(conn, row, side(&user)?, &tz)
        })
        .await?;
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
    let tz = state.timezone;
    let view = state
        .db(move |conn| {
            let row = desk::visible(conn, &user, &id)?;
            one_view(conn, row, side(&user)?, &tz)
        })
        .await?;
    Ok(web::Json(view))
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
    let tz = state.timezone;
    let today = today(&state);
    let view = state
        .db(move |conn| {
            let row = desk::apply_transition(conn, &user, &id, body.0, today)?;
            one_view(conn, row, side(&user)?, &tz)
        })
        .await?;
    Ok(web::Json(view))
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
    let tz = state.timezone;
    let views = state
        .db(move |conn| {
            let row = desk::visible(conn, &user, &id)?;
            let quotes = store::quotes_of(conn, &row.id)?;
            let mut lines: HashMap<String, Vec<QuoteLineRow>> = HashMap::new();
            for line in store::lines_of(
                conn,
                &quotes.iter().map(|q| q.id.clone()).collect::<Vec<_>>(),
            )? {
                lines.entry(line.quote_id.clone()).or_default().push(line);
            }
            quotes
                .into_iter()
                .map(|q| {
                    let l = lines.remove(&q.id).unwrap_or_default();
                    quote_view(q, l, &tz)
                })
                .collect::<ApiResult<Vec<_>>>()
        })
        .await?;
    Ok(web::Json(views))
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
    let id = id.into_inner().to_string();
    let tz = state.timezone;
    let today = today(&state);
    let view = state
        .db(move |conn| {
            let (quote, lines) = desk::issue_quote(conn, &user, &id, body.0, today)?;
            quote_view(quote, lines, &tz)
        })
        .await?;
    Ok(HttpResponse::Created().json(view))
}

fn message_view(row: store::MessageRow, tz: &chrono_tz::Tz) -> ApiResult<MessageView> {
    Ok(MessageView {
        visibility: MessageVisibility::from_db(&row.visibility)?,
        created_at: instant(row.created_at, tz),
        id: row.id,
        author_id: row.author_id,
        body: row.body,
    })
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
    let tz = state.timezone;
    let rows = state
        .db(move |conn| {
            let row = desk::visible(conn, &user, &id)?;
            store::messages_of(conn, &row.id, side(&user)? == Side::Campus)
        })
        .await?;
    Ok(web::Json(
        rows.into_iter()
            .map(|r| message_view(r, &tz))
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
    let id = id.into_inner().to_string();
    let tz = state.timezone;
    let row = state
        .db(move |conn| desk::post_message(conn, &user, &id, body.0))
        .await?;
    Ok(HttpResponse::Created().json(message_view(row, &tz)?))
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
    let tz = state.timezone;
    let events = state
        .db(move |conn| {
            let row = desk::visible(conn, &user, &id)?;
            store::timeline(conn, &row.id, side(&user)? == Side::Campus)
        })
        .await?;
    Ok(web::Json(
        events
            .into_iter()
            .map(|e| TimelineEntry {
                at: instant(e.at, &tz),
                details: serde_json::from_str(&e.details).unwrap_or(serde_json::Value::Null),
                actor_id: e.actor_id,
                kind: e.kind,
                action: e.action,
                from_state: e.from_state,
                to_state: e.to_state,
            })
            .collect(),
    ))
}

/// The answer to every accepted public submission, whatever became of it: it must not tell
/// whether the address has an account, and never says "recorded" for what was not stored.
const PUBLIC_RECEIPT: &str = "Demande reçue. Si cette adresse e-mail est nouvelle ou attend encore sa confirmation, la demande est enregistrée : confirmez l'adresse avec le lien reçu pour la suivre. Si cette adresse a déjà un compte actif, la demande n'est pas enregistrée : connectez-vous pour la déposer.";

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
    let client = req
        .peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".to_owned());
    if let Err(wait) = state.public_limiter.hit(&client) {
        let error = ApiError::new(
            actix_web::http::StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "Trop de demandes",
            format!("Trop de demandes depuis cette adresse : réessayez dans {wait} secondes."),
        );
        let mut response = actix_web::ResponseError::error_response(&error);
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from(wait));
        return Ok(response);
    }
    // Hashed for every submission and outside any connection: the answer takes the same
    // time whether or not the address has an account.
    let unusable_hash = web::block(crate::auth::unusable_password_hash).await??;
    state
        .db(move |conn| desk::submit_public(conn, body.0, unusable_hash))
        .await?;
    Ok(HttpResponse::Accepted().json(PublicReceipt {
        message: PUBLIC_RECEIPT.into(),
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
    let mut checks = Checks::new();
    crate::domain::accounts::check_password(&mut checks, "password", &password);
    checks.finish()?;
    let hash = web::block(move || crate::auth::hash_password(&password)).await??;
    state
        .db(move |conn| desk::confirm_account(conn, &token, hash))
        .await?;
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
    let tz = state.timezone;
    let rows = state
        .db(move |conn| crate::accounts::pending_confirmations(conn, &user))
        .await?;
    let now = db::now();
    Ok(web::Json(
        rows.into_iter()
            .map(|p| {
                Ok(PendingConfirmationView {
                    id: p.confirmation.id,
                    user_id: p.confirmation.user_id,
                    email: p.email,
                    display_name: p.display_name,
                    role: Role::from_db(&p.role)?,
                    organisation_id: p.organisation_id,
                    organisation_name: p.organisation_name,
                    siret: p.siret,
                    awaiting_approval: p.awaiting_approval,
                    created_at: instant(p.confirmation.created_at, &tz),
                    expires_at: instant(p.confirmation.expires_at, &tz),
                    expired: p.confirmation.expires_at <= now,
                })
            })
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
    let id = id.into_inner().to_string();
    let tz = state.timezone;
    let (confirmation_id, account, token, expires_at) = state
        .db(move |conn| crate::accounts::issue_confirmation_token(conn, &user, &id))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(IssuedConfirmationView {
            confirmation_id,
            user_id: account.id,
            email: account.email,
            token,
            expires_at: instant(expires_at, &tz),
        }))
}
