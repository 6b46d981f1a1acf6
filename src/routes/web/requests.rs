//! The pages of service requests: the public form (`/demandes/nouvelle`), the list
//! (`/demandes`) and one request (`/demandes/{id}`) with the forms of what the caller may do.
//! Every write is the API's own use case (`usecases::service_requests`), with its rules and
//! its refusals, shown next to the fields they concern.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use uuid::Uuid;

use super::form_key;
use super::visitor::{redirect, CheckedForm, Visitor};
use crate::db::service_requests::RequestFilter;
use crate::db::Page;
use crate::domain::service_request::{QuoteUnit, RequestAction, RequestState};
use crate::domain::{PlatformDomain, Role};
use crate::error::ApiError;
use crate::labels::Label;
use crate::state::AppState;
use crate::usecases::service_requests as desk;
use crate::views::service_requests::{
    MessageVisibility, NewMessage, NewQuote, NewQuoteLine, NewServiceRequest, PublicServiceRequest,
    TransitionRequest,
};
use crate::views::web::format::parse_date;
use crate::views::web::requests::{
    optional_euros, parse_decimal, parse_euros, parse_vat_rate, DraftLine, Drafts, MessageDraft,
    NewRequestPage, PublicDraft, QuoteDraft, Refusals, RequestPage, RequestSentPage, RequestsPage,
    Typed,
};

pub fn configure(cfg: &mut web::ServiceConfig) {
    // The fixed paths before `/demandes/{id}`, which would answer them as unknown requests.
    cfg.route("/demandes", web::get().to(list))
        .route("/demandes/nouvelle", web::get().to(new_request))
        .route("/demandes/nouvelle", web::post().to(submit))
        .route("/demandes/nouvelle/envoyee", web::get().to(sent))
        .route("/demandes/{id}", web::get().to(show))
        .route("/demandes/{id}/actions", web::post().to(act))
        .route("/demandes/{id}/devis", web::post().to(quote))
        .route("/demandes/{id}/messages", web::post().to(message));
}

/// A form's fields as typed, in order (a field may come several times: the domains).
type Pairs = Vec<(String, String)>;

fn value(pairs: &Pairs, name: &str) -> String {
    pairs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

fn optional(pairs: &Pairs, name: &str) -> Option<String> {
    Some(value(pairs, name)).filter(|v| !v.trim().is_empty())
}

/// Refuses a NUL character wherever typed (no field needs one; PostgreSQL cannot store it),
/// as the API does.
fn refuse_nul(pairs: &Pairs, refusals: &mut Refusals, field_of: impl Fn(&str) -> String) {
    for (name, value) in pairs {
        if value.contains('\0') {
            refusals.add(&field_of(name), "caractère interdit (NUL)");
        }
    }
}

fn optional_date(
    pairs: &Pairs,
    name: &str,
    refusals: &mut Refusals,
    field: &str,
) -> Option<chrono::NaiveDate> {
    let text = optional(pairs, name)?;
    let date = parse_date(&text);
    if date.is_none() {
        refusals.add(field, "date invalide : jj/mm/aaaa");
    }
    date
}

/// An optional amount in euros: the refusal, when it is not one, on the API's `field`.
fn optional_amount(pairs: &Pairs, name: &str, refusals: &mut Refusals, field: &str) -> Option<i64> {
    optional_euros(&value(pairs, name)).unwrap_or_else(|refusal| {
        refusals.add(field, refusal);
        None
    })
}

/// A page outside one's scope answers as an unknown one (teachers and observers read no
/// request).
fn refused(visitor: &Visitor, error: ApiError) -> HttpResponse {
    if error.status == StatusCode::FORBIDDEN {
        return visitor.not_found();
    }
    visitor.failure(error)
}

// The public form.

async fn public_page(
    state: &AppState,
    visitor: &Visitor,
    status: StatusCode,
    draft: PublicDraft,
    refusals: Refusals,
) -> HttpResponse {
    match state.db(desk::public_platforms).await {
        Ok(platforms) => {
            let mut page = NewRequestPage::new(
                visitor.layout("Demander une prestation"),
                draft,
                &platforms,
                refusals,
            );
            page.signed_in = company_contact(visitor);
            visitor.page(status, page)
        }
        Err(error) => visitor.failure(error),
    }
}

/// A company contact logged in files the request for their company (`POST
/// /api/v1/service-requests`'s use case), not as a newcomer.
fn company_contact(visitor: &Visitor) -> bool {
    visitor.user().is_some_and(|u| u.role == Role::Company)
}

async fn new_request(state: web::Data<AppState>, visitor: Visitor) -> HttpResponse {
    public_page(
        &state,
        &visitor,
        StatusCode::OK,
        PublicDraft::default(),
        Refusals::default(),
    )
    .await
}

/// `POST /api/v1/public/service-requests`'s use case, with its limit: refusals next to
/// their fields, what was typed kept; then the same receipt as the API's.
async fn submit(state: web::Data<AppState>, form: CheckedForm<Pairs>) -> HttpResponse {
    let CheckedForm { visitor, form, key } = form;
    // Once per form key: a double click on « Envoyer la demande » files one request.
    let shared = state.clone();
    form_key::once(&state, visitor, key, move |visitor| {
        file_request(shared, visitor, form)
    })
    .await
}

async fn file_request(state: web::Data<AppState>, visitor: Visitor, form: Pairs) -> HttpResponse {
    let draft = PublicDraft {
        company_name: value(&form, "company_name"),
        siret: value(&form, "siret"),
        contact_name: value(&form, "contact_name"),
        email: value(&form, "email"),
        phone: value(&form, "phone"),
        title: value(&form, "title"),
        description: value(&form, "description"),
        domains: form
            .iter()
            .filter(|(n, _)| n == "domains")
            .map(|(_, v)| v.clone())
            .collect(),
        platform_id: value(&form, "platform_id"),
        wished_from: value(&form, "wished_from"),
        wished_to: value(&form, "wished_to"),
        budget: value(&form, "budget"),
        links: value(&form, "links"),
        confidential: !value(&form, "confidential").is_empty(),
    };
    let mut refusals = Refusals::default();
    refuse_nul(&form, &mut refusals, |name| match name {
        "budget" => "budget_cents".to_owned(),
        other => other.to_owned(),
    });
    let mut domains = Vec::new();
    for typed in &draft.domains {
        match PlatformDomain::parse(typed) {
            Some(domain) => domains.push(domain),
            None => refusals.add("domains", "domaine inconnu"),
        }
    }
    let platform_id = match optional(&form, "platform_id") {
        None => None,
        Some(text) => match Uuid::parse_str(text.trim()) {
            Ok(id) => Some(id),
            Err(_) => {
                refusals.add("platform_id", "plateau technique inconnu");
                None
            }
        },
    };
    let wished_from = optional_date(&form, "wished_from", &mut refusals, "wished_from");
    let wished_to = optional_date(&form, "wished_to", &mut refusals, "wished_to");
    let budget_cents = optional_amount(&form, "budget", &mut refusals, "budget_cents");
    if !refusals.is_empty() {
        return public_page(
            &state,
            &visitor,
            StatusCode::UNPROCESSABLE_ENTITY,
            draft,
            refusals,
        )
        .await;
    }
    let links: Vec<String> = draft
        .links
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    if let Some(user) = visitor
        .user()
        .cloned()
        .filter(|_| company_contact(&visitor))
    {
        let body = NewServiceRequest {
            company_id: None,
            title: draft.title.clone(),
            description: draft.description.clone(),
            domains,
            platform_id,
            wished_from,
            wished_to,
            budget_cents,
            confidential: draft.confidential,
            links,
        };
        let now = state.now();
        return match state
            .db(move |conn| desk::create(conn, &user, now, body))
            .await
        {
            Ok(request) => visitor.finish(redirect(&format!(
                "/demandes/{}?fait=depot",
                request.row.id
            ))),
            Err(error) if error.status.is_client_error() => {
                public_page(&state, &visitor, error.status, draft, Refusals::of(&error)).await
            }
            Err(error) => visitor.failure(error),
        };
    }
    let body = PublicServiceRequest {
        company_name: draft.company_name.clone(),
        siret: draft.siret.clone(),
        contact_name: draft.contact_name.clone(),
        email: draft.email.clone(),
        phone: draft.phone.clone(),
        title: draft.title.clone(),
        description: draft.description.clone(),
        domains,
        platform_id,
        wished_from,
        wished_to,
        budget_cents,
        confidential: draft.confidential,
        links,
    };
    let client = visitor.client_address();
    match desk::submit_public_from(&state, &client, body).await {
        Ok(_) => visitor.finish(redirect("/demandes/nouvelle/envoyee")),
        Err(error) if error.status.is_client_error() => {
            let retry_after = error.retry_after;
            let mut response =
                public_page(&state, &visitor, error.status, draft, Refusals::of(&error)).await;
            if let Some(seconds) = retry_after {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, seconds.into());
            }
            response
        }
        Err(error) => visitor.failure(error),
    }
}

async fn sent(visitor: Visitor) -> HttpResponse {
    visitor.ok(RequestSentPage {
        layout: visitor.layout("Demande envoyée"),
        receipt: desk::PUBLIC_RECEIPT,
    })
}

// The list.

#[derive(serde::Deserialize)]
struct ListQuery {
    etat: Option<String>,
    apres: Option<String>,
}

async fn list(
    state: web::Data<AppState>,
    visitor: Visitor,
    query: web::Query<ListQuery>,
) -> HttpResponse {
    let Some(user) = visitor.user().cloned() else {
        return visitor.login_required();
    };
    let chosen = query.etat.as_deref().unwrap_or_default().trim().to_owned();
    let filter = RequestFilter {
        // An unknown state matches nothing, as any filter would.
        state: (!chosen.is_empty()).then(|| {
            RequestState::parse(&chosen).map_or_else(|| "-".to_owned(), |s| s.as_str().to_owned())
        }),
        ..Default::default()
    };
    let page = Page {
        after: query
            .apres
            .as_deref()
            .and_then(|a| Uuid::parse_str(a.trim()).ok())
            .map(|id| id.to_string()),
        limit: 50,
    };
    let tz = state.timezone;
    match state
        .db(move |conn| desk::list_page(conn, &user, &filter, &page))
        .await
    {
        Ok(data) => visitor.ok(RequestsPage::new(
            visitor.layout("Demandes de prestation"),
            data,
            &chosen,
            &tz,
        )),
        Err(error) => refused(&visitor, error),
    }
}

// One request.

async fn request_page(
    state: &AppState,
    visitor: &Visitor,
    id: &str,
    status: StatusCode,
    drafts: Drafts,
) -> HttpResponse {
    let Some(user) = visitor.user().cloned() else {
        return visitor.login_required();
    };
    let Ok(id) = Uuid::parse_str(id) else {
        return visitor.not_found();
    };
    let id = id.to_string();
    let (tz, today) = (state.timezone, state.today());
    match state.db(move |conn| desk::page(conn, &user, &id)).await {
        Ok(data) => {
            let title = data.request.row.title.clone();
            visitor.page(
                status,
                RequestPage::new(visitor.layout(title), data, drafts, today, &tz),
            )
        }
        Err(error) => refused(visitor, error),
    }
}

#[derive(serde::Deserialize)]
struct DoneQuery {
    fait: Option<String>,
}

async fn show(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<String>,
    query: web::Query<DoneQuery>,
) -> HttpResponse {
    let notice = match query.fait.as_deref() {
        Some("devis") => Some("Le devis est émis : l'entreprise en est avertie.".to_owned()),
        Some("message") => Some("Le message est envoyé.".to_owned()),
        Some("depot") => Some(
            "La demande est déposée : l'équipe du campus en est avertie et vous répond ici."
                .to_owned(),
        ),
        Some(action) => {
            RequestAction::parse(action).map(|a| format!("C'est enregistré : « {} ».", a.label()))
        }
        None => None,
    };
    let drafts = Drafts {
        notice,
        ..Default::default()
    };
    request_page(&state, &visitor, &id, StatusCode::OK, drafts).await
}

/// The target of a write: the request's id, when it is one (anything else is unknown).
fn request_id(id: &str) -> Option<String> {
    Uuid::parse_str(id).ok().map(|id| id.to_string())
}

/// `POST /api/v1/service-requests/{id}/transitions`'s use case: one of the actions the
/// page offers, with the fields it requires.
async fn act(
    state: web::Data<AppState>,
    form: CheckedForm<Pairs>,
    id: web::Path<String>,
) -> HttpResponse {
    let CheckedForm { visitor, form, .. } = form;
    let Some(user) = visitor.user().cloned() else {
        return visitor.login_required();
    };
    let Some(id) = request_id(&id) else {
        return visitor.not_found();
    };
    let typed_action = value(&form, "action");
    let Some(action) = RequestAction::parse(&typed_action) else {
        return visitor.failure(ApiError::field(
            "action",
            "unknown_value",
            "choisissez une des actions proposées",
        ));
    };
    let mut refusals = Refusals::default();
    refuse_nul(&form, &mut refusals, |name| match name {
        "amount" => "amount_cents".to_owned(),
        other => other.to_owned(),
    });
    let platform_id = match optional(&form, "platform_id") {
        None => None,
        Some(text) => match Uuid::parse_str(text.trim()) {
            Ok(id) => Some(id),
            Err(_) => {
                refusals.add("platform_id", "plateau technique inconnu");
                None
            }
        },
    };
    let quote_version = match optional(&form, "quote_version") {
        None => None,
        Some(text) => match text.trim().parse::<i32>() {
            Ok(v) => Some(v),
            Err(_) => {
                refusals.add("quote_version", "version de devis inconnue");
                None
            }
        },
    };
    let signed_on = optional_date(&form, "signed_on", &mut refusals, "signed_on");
    let amount_cents = optional_amount(&form, "amount", &mut refusals, "amount_cents");
    let values = form.iter().cloned().collect();
    let back = |refusals: Refusals, status: StatusCode| {
        let drafts = Drafts {
            action: Typed {
                action: typed_action.clone(),
                values,
                refusals,
            },
            ..Default::default()
        };
        let (state, visitor, id) = (state.clone(), &visitor, id.clone());
        async move { request_page(&state, visitor, &id, status, drafts).await }
    };
    if !refusals.is_empty() {
        return back(refusals, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let body = TransitionRequest {
        action,
        platform_id,
        assignee_id: None,
        quote_version,
        agreement_reference: optional(&form, "agreement_reference"),
        signed_on,
        delivery_note: optional(&form, "delivery_note"),
        invoice_reference: optional(&form, "invoice_reference"),
        amount_cents,
        reason: optional(&form, "reason"),
    };
    let (now, today) = (state.now(), state.today());
    let target = id.clone();
    match state
        .db(move |conn| desk::apply_transition(conn, &user, now, &target, body, today))
        .await
    {
        Ok(_) => visitor.finish(redirect(&format!(
            "/demandes/{id}?fait={}",
            action.as_str()
        ))),
        Err(error) if error.status == StatusCode::NOT_FOUND => visitor.not_found(),
        Err(error) if error.status.is_client_error() => {
            back(Refusals::of(&error), error.status).await
        }
        Err(error) => visitor.failure(error),
    }
}

/// The lines of the editor as typed, in the order of their rows (`label_0`, `quantity_0`,
/// `vat_rate_0`…).
fn typed_lines(form: &Pairs) -> Vec<DraftLine> {
    let rows = form
        .iter()
        .filter_map(|(name, _)| name.rsplit_once('_'))
        .filter(|(field, _)| matches!(*field, "label" | "quantity" | "unit" | "price" | "vat_rate"))
        .filter_map(|(_, row)| row.parse::<usize>().ok())
        .filter(|row| *row < 200)
        .max()
        .map_or(0, |max| max + 1);
    (0..rows)
        .map(|i| DraftLine {
            label: value(form, &format!("label_{i}")),
            quantity: value(form, &format!("quantity_{i}")),
            unit: value(form, &format!("unit_{i}")),
            price: value(form, &format!("price_{i}")),
            vat_rate: value(form, &format!("vat_rate_{i}")),
        })
        .collect()
}

fn blank(line: &DraftLine) -> bool {
    line.label.trim().is_empty() && line.quantity.trim().is_empty() && line.price.trim().is_empty()
}

/// The API's field of a quote refusal as the editor's field: `lines[1].quantity` is the
/// quantity of the second line filled in, whatever its row.
fn editor_field(field: &str, rows: &[usize]) -> Option<String> {
    let rest = field.strip_prefix("lines[")?;
    let (index, rest) = rest.split_once(']')?;
    let row = *rows.get(index.parse::<usize>().ok()?)?;
    Some(match rest {
        ".label" => format!("label_{row}"),
        ".quantity" => format!("quantity_{row}"),
        ".unit" => format!("unit_{row}"),
        ".unit_price_cents" => format!("price_{row}"),
        ".vat_rate_bp" => format!("vat_rate_{row}"),
        _ => format!("price_{row}"),
    })
}

/// `POST /api/v1/service-requests/{id}/quotes`'s use case from the editor: its lines, each
/// with its VAT rate, the validity. « Calculer les totaux » shows the amounts the service would
/// compute, without issuing; « Ajouter une ligne » gives one more row.
async fn quote(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: CheckedForm<Pairs>,
    id: web::Path<String>,
) -> HttpResponse {
    let CheckedForm { visitor, form, .. } = form;
    let Some(user) = visitor.user().cloned() else {
        return visitor.login_required();
    };
    let Some(id) = request_id(&id) else {
        return visitor.not_found();
    };
    let step = value(&form, "etape");
    let mut lines = typed_lines(&form);
    while lines.last().is_some_and(blank) {
        lines.pop();
    }
    let mut draft = QuoteDraft {
        valid_until: value(&form, "valid_until"),
        lines,
        ..Default::default()
    };
    if step == "ligne" {
        draft.lines.push(DraftLine::default());
        let drafts = Drafts {
            quote: Some(draft),
            ..Default::default()
        };
        return request_page(&state, &visitor, &id, StatusCode::OK, drafts).await;
    }
    let mut refusals = Refusals::default();
    refuse_nul(&form, &mut refusals, str::to_owned);
    let valid_until = parse_date(&draft.valid_until);
    if valid_until.is_none() {
        refusals.add("valid_until", "date invalide : jj/mm/aaaa");
    }
    let mut rows = Vec::new();
    let mut new_lines = Vec::new();
    for (i, line) in draft.lines.iter().enumerate() {
        if blank(line) {
            continue;
        }
        let quantity = parse_decimal(&line.quantity);
        if quantity.is_none() {
            refusals.add(
                &format!("quantity_{i}"),
                "quantité invalide : un nombre, par exemple 1,5",
            );
        }
        let price = parse_euros(&line.price);
        if price.is_none() {
            refusals.add(
                &format!("price_{i}"),
                "prix invalide : des euros, par exemple 85 ou 85,50",
            );
        }
        let unit = QuoteUnit::parse(&line.unit);
        if unit.is_none() {
            refusals.add(&format!("unit_{i}"), "unité inconnue");
        }
        let vat_rate_bp = parse_vat_rate(&line.vat_rate);
        if vat_rate_bp.is_none() {
            refusals.add(
                &format!("vat_rate_{i}"),
                "taux de TVA invalide : choisissez un des taux proposés",
            );
        }
        if let (Some(quantity), Some(price), Some(unit), Some(vat_rate_bp)) =
            (quantity, price, unit, vat_rate_bp)
        {
            rows.push(i);
            new_lines.push(NewQuoteLine {
                label: line.label.clone(),
                quantity,
                unit,
                unit_price_cents: price,
                vat_rate_bp,
            });
        }
    }
    if !refusals.is_empty() {
        draft.refusals = refusals;
        let drafts = Drafts {
            quote: Some(draft),
            ..Default::default()
        };
        // htmx refreshing the totals as one types swaps only a 200 answer: there, the totals
        // say they wait for a correction. Without it, the refusal is a 422 page.
        let status = if step == "calculer" && req.headers().contains_key("hx-request") {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        return request_page(&state, &visitor, &id, status, drafts).await;
    }
    if step == "calculer" {
        draft.amounts = desk::preview_quote(&new_lines);
        if draft.amounts.is_none() && !new_lines.is_empty() {
            draft.refusals.add(
                "lines",
                "un montant dépasse ce que le service accepte : émettez le devis pour voir la ligne en cause",
            );
        }
        let drafts = Drafts {
            quote: Some(draft),
            ..Default::default()
        };
        return request_page(&state, &visitor, &id, StatusCode::OK, drafts).await;
    }
    let body = NewQuote {
        valid_until: valid_until.expect("checked above"),
        lines: new_lines,
    };
    let (now, today) = (state.now(), state.today());
    let target = id.clone();
    match state
        .db(move |conn| desk::issue_quote(conn, &user, now, &target, body, today))
        .await
    {
        Ok(_) => visitor.finish(redirect(&format!("/demandes/{id}?fait=devis"))),
        Err(error) if error.status == StatusCode::NOT_FOUND => visitor.not_found(),
        Err(error) if error.status.is_client_error() => {
            let mut refusals = Refusals {
                general: error.errors.is_empty().then(|| error.detail.clone()),
                ..Default::default()
            };
            for e in &error.errors {
                match editor_field(&e.field, &rows) {
                    Some(field) => refusals.add(&field, &e.message),
                    None => refusals.add(&e.field, &e.message),
                }
            }
            draft.refusals = refusals;
            let drafts = Drafts {
                quote: Some(draft),
                ..Default::default()
            };
            request_page(&state, &visitor, &id, error.status, drafts).await
        }
        Err(error) => visitor.failure(error),
    }
}

/// `POST /api/v1/service-requests/{id}/messages`'s use case: shared with the company, or
/// internal to the staff.
async fn message(
    state: web::Data<AppState>,
    form: CheckedForm<Pairs>,
    id: web::Path<String>,
) -> HttpResponse {
    let CheckedForm { visitor, form, .. } = form;
    let Some(user) = visitor.user().cloned() else {
        return visitor.login_required();
    };
    let Some(id) = request_id(&id) else {
        return visitor.not_found();
    };
    let draft = MessageDraft {
        body: value(&form, "body"),
        visibility: value(&form, "visibility"),
        error: None,
    };
    let mut refusals = Refusals::default();
    refuse_nul(&form, &mut refusals, str::to_owned);
    let visibility = match optional(&form, "visibility") {
        None => None,
        Some(text) => {
            let parsed = MessageVisibility::parse(text.trim());
            if parsed.is_none() {
                refusals.add("visibility", "choisissez qui lit le message");
            }
            parsed
        }
    };
    let back = |mut refusals: Refusals, status: StatusCode, mut draft: MessageDraft| {
        draft.error = refusals.rest();
        let drafts = Drafts {
            message: draft,
            ..Default::default()
        };
        let (state, visitor, id) = (state.clone(), &visitor, id.clone());
        async move { request_page(&state, visitor, &id, status, drafts).await }
    };
    if !refusals.is_empty() {
        return back(refusals, StatusCode::UNPROCESSABLE_ENTITY, draft).await;
    }
    let body = NewMessage {
        body: draft.body.clone(),
        visibility,
    };
    let now = state.now();
    let target = id.clone();
    match state
        .db(move |conn| desk::post_message(conn, &user, now, &target, body))
        .await
    {
        Ok(_) => visitor.finish(redirect(&format!("/demandes/{id}?fait=message#messages"))),
        Err(error) if error.status == StatusCode::NOT_FOUND => visitor.not_found(),
        Err(error) if error.status.is_client_error() => {
            back(Refusals::of(&error), error.status, draft).await
        }
        Err(error) => visitor.failure(error),
    }
}
