//! Service requests through their life: each change is one transaction that checks the
//! state machine (`domain::service_request`) and the caller's side, writes the change and
//! appends it to the request's timeline. Who sees which request is `access::can_see_request`.

use crate::access::{self, request_side as side, visible_request as visible};
use crate::auth::CurrentUser;
use crate::db::service_requests::{
    self as store, Event, EventRow, MessageRow, QuoteLineRow, QuoteRow, RequestDetails,
    RequestFilter, RequestRow, Scope,
};
use crate::db::{self, DbConnection, Listed, Page};
use crate::domain::notifications::NotificationKind;
use crate::domain::service_request::{
    actions_today, allowed_actions, line_amounts, may_quote, quote_answerable, quote_totals,
    transition, RequestAction, RequestState, Side, MAX_AMOUNT_CENTS, MAX_QUANTITY_MILLI,
    MAX_UNIT_PRICE_CENTS, MAX_VAT_RATE_BP,
};
use crate::domain::validate::Checks;
use crate::domain::{OrganisationKind, Role};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::labels::Label;
use crate::mail::content::Facts;
use crate::mail::notices::ServiceRequestFacts;
use crate::views::service_requests::{
    MessageVisibility, NewMessage, NewQuote, NewServiceRequest, TransitionRequest,
};

fn state_of(row: &RequestRow) -> ApiResult<RequestState> {
    Ok(RequestState::from_db(&row.state)?)
}

/// The checked free-text fields of a request: title, description, links.
fn checked_fields(body: &NewServiceRequest) -> ApiResult<(String, String, Vec<String>)> {
    let mut checks = Checks::new();
    let title = checks.text("title", &body.title, 1, 200);
    let description = checks.text("description", &body.description, 1, 10_000);
    if body.domains.is_empty() {
        checks.fail("domains", "required", "au moins un domaine");
    }
    if let (Some(from), Some(to)) = (body.wished_from, body.wished_to) {
        if from > to {
            checks.fail(
                "wished_to",
                "before_start",
                "la fin de la période doit suivre son début",
            );
        }
    }
    if let Some(b) = body.budget_cents {
        checks.range("budget_cents", b, 0, MAX_AMOUNT_CENTS);
    }
    if body.links.len() > 20 {
        checks.fail("links", "too_long", "20 liens au plus");
    }
    let links: Vec<String> = body
        .links
        .iter()
        .enumerate()
        .map(|(i, l)| checks.text(&format!("links[{i}]"), l, 1, 2000))
        .collect();
    checks.finish()?;
    Ok((title, description, links))
}

/// The platform a request asks for, if any; an unknown one is refused on `platform_id`.
fn requested_platform(
    conn: &mut DbConnection,
    id: Option<uuid::Uuid>,
) -> ApiResult<Option<db::platforms::PlatformRow>> {
    let Some(id) = id else { return Ok(None) };
    db::platforms::find(conn, &id.to_string())?
        .map(Some)
        .ok_or_else(|| {
            ApiError::field(
                "platform_id",
                "unknown_reference",
                "plateau technique inconnu",
            )
        })
}

/// Submits a request: a company contact for their company, the staff for a company.
pub fn create(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    now: i64,
    body: NewServiceRequest,
) -> ApiResult<RequestDetails> {
    let row = create_request(conn, actor, now, body)?;
    db::completed(conn, row, store::with_work)
}

fn create_request(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    now: i64,
    body: NewServiceRequest,
) -> ApiResult<RequestRow> {
    let side = side(actor)?;
    let (title, description, links) = checked_fields(&body)?;
    db::write_transaction(conn, |conn| {
        let company_id = match (side, body.company_id) {
            (Side::Company, None) => actor.organisation_id.clone(),
            (Side::Company, Some(c)) if c.to_string() == actor.organisation_id => {
                actor.organisation_id.clone()
            }
            (Side::Company, Some(_)) => {
                return Err(ApiError::field(
                    "company_id",
                    "not_allowed",
                    "une entreprise ne demande que pour elle-même",
                ))
            }
            (Side::Campus, None) => {
                return Err(ApiError::field(
                    "company_id",
                    "required",
                    "indiquez l'entreprise demandeuse",
                ))
            }
            (Side::Campus, Some(c)) => {
                let org = db::organisations::find(conn, &c.to_string())?.ok_or_else(|| {
                    ApiError::field("company_id", "unknown_reference", "entreprise inconnue")
                })?;
                if OrganisationKind::from_db(&org.kind)? != OrganisationKind::Company {
                    return Err(ApiError::field(
                        "company_id",
                        "not_a_company",
                        "cette organisation n'est pas une entreprise",
                    ));
                }
                org.id
            }
        };
        let requested_platform_id = requested_platform(conn, body.platform_id)?.map(|p| p.id);
        let mut domains: Vec<&str> = body.domains.iter().map(|d| d.as_str()).collect();
        domains.sort_unstable();
        domains.dedup();
        let row = RequestRow {
            id: db::new_id(),
            company_id,
            contact_user_id: (side == Side::Company).then(|| actor.id.clone()),
            title: title.clone(),
            description: description.clone(),
            domains: format!(",{},", domains.join(",")),
            requested_platform_id,
            assigned_platform_id: None,
            assignee_id: None,
            wished_from: body.wished_from,
            wished_to: body.wished_to,
            budget_cents: body.budget_cents,
            confidential: body.confidential,
            links: links.join("\n"),
            state: RequestState::Submitted.as_str().to_owned(),
            agreement_reference: None,
            agreement_signed_on: None,
            delivery_note: None,
            invoice_reference: None,
            invoice_amount_cents: None,
            state_reason: None,
            created_at: now,
            updated_at: now,
        };
        store::insert(conn, &row)?;
        store::record(
            conn,
            now,
            &row.id,
            Some(&actor.id),
            Event {
                kind: "transition",
                action: "submit",
                from_state: None,
                to_state: Some("submitted"),
                internal: false,
                details: serde_json::json!({ "title": row.title }),
            },
        )?;
        notify(
            conn,
            now,
            &row,
            NotificationKind::ServiceRequestReceived,
            Audience::Both,
            &actor.id,
            None,
            None,
        )?;
        Ok(row)
    })
}

/// Who hears of an event on a request.
#[derive(Clone, Copy, PartialEq)]
enum Audience {
    /// The company's contact.
    Contact,
    /// The campus: the managers of the platform (chosen or asked for; all platform managers
    /// when none is), and the request's assignee.
    Campus,
    Both,
}

/// Queues the `kind` messages of an event on `row`, in the caller's transaction. The
/// author of the event is not told of it, except of a request they submitted (their
/// acknowledgement).
// The arguments are the facts of one event, each used once; a struct would only name them again.
#[allow(clippy::too_many_arguments)]
fn notify(
    conn: &mut DbConnection,
    now: i64,
    row: &RequestRow,
    kind: NotificationKind,
    audience: Audience,
    author_id: &str,
    detail: Option<String>,
    accepted: Option<bool>,
) -> ApiResult<()> {
    let mut to: Vec<String> = Vec::new();
    if audience != Audience::Campus {
        to.extend(row.contact_user_id.clone());
    }
    let platform_id = row
        .assigned_platform_id
        .clone()
        .or(row.requested_platform_id.clone());
    if audience != Audience::Contact {
        match &platform_id {
            Some(p) => to.extend(
                db::platforms::managers_of(conn, std::slice::from_ref(p))?
                    .into_iter()
                    .map(|(_, user)| user),
            ),
            None => to.extend(db::platforms::all_managers(conn)?),
        }
        to.extend(row.assignee_id.clone());
    }
    if kind != NotificationKind::ServiceRequestReceived {
        to.retain(|user| user != author_id);
    }
    if to.is_empty() {
        return Ok(());
    }
    let facts = ServiceRequestFacts {
        request_id: row.id.clone(),
        title: row.title.clone(),
        organisation: db::organisations::find(conn, &row.company_id)?
            .map(|o| o.name)
            .unwrap_or_default(),
        platform: match &platform_id {
            Some(p) => db::platforms::find(conn, p)?.map(|p| p.name),
            None => None,
        },
        detail,
        accepted,
        for_campus: false,
    };
    let messages: Vec<(&str, Facts)> = to
        .iter()
        .map(|user| {
            let for_campus = row.contact_user_id.as_deref() != Some(user.as_str());
            (
                user.as_str(),
                Facts::ServiceRequest(
                    kind,
                    ServiceRequestFacts {
                        for_campus,
                        ..facts.clone()
                    },
                ),
            )
        })
        .collect();
    crate::usecases::outbox::enqueue_many(conn, now, &messages)?;
    Ok(())
}

/// The actions `side` may take today on a request in `state`, as its view lists them: an
/// expired quote can no longer be answered.
fn actions_open(
    quotes: &[QuoteRow],
    state: RequestState,
    side: Side,
    today: chrono::NaiveDate,
) -> Vec<RequestAction> {
    let valid_until = quotes
        .iter()
        .find(|q| q.status == "issued")
        .map(|q| q.valid_until);
    actions_today(state, side, valid_until, today)
}

fn action_names(actions: &[RequestAction]) -> Vec<&'static str> {
    actions.iter().map(|a| a.as_str()).collect()
}

fn refuse(state: RequestState, allowed: &[RequestAction], action: RequestAction) -> ApiError {
    ApiError::new(ErrorCode::InvalidTransition,
        format!(
            "L'action « {} » n'est pas possible pour vous sur une demande « {} » ; actions possibles : {}.",
            action.label(),
            state.label(),
            crate::labels::join(allowed)
        ),
    )
    .with_extra(serde_json::json!({ "allowed_actions": action_names(allowed) }))
}

fn required_text(value: &Option<String>, field: &str, max: usize) -> ApiResult<String> {
    let mut checks = Checks::new();
    let text = checks.text(field, value.as_deref().unwrap_or(""), 1, max);
    checks.finish()?;
    Ok(text)
}

/// The quote a company answers: the latest issued version, still valid.
fn quote_answered(
    conn: &mut DbConnection,
    row: &RequestRow,
    version: Option<i32>,
    today: chrono::NaiveDate,
    state: RequestState,
    side: Side,
) -> ApiResult<QuoteRow> {
    let version = version.ok_or_else(|| {
        ApiError::field("quote_version", "required", "indiquez la version du devis")
    })?;
    let quotes = store::quotes_of(conn, &row.id)?;
    let quote = quotes
        .iter()
        .find(|q| q.version == version)
        .cloned()
        .ok_or_else(|| {
            ApiError::field(
                "quote_version",
                "unknown_reference",
                "cette version de devis n'existe pas",
            )
        })?;
    let allowed = actions_open(&quotes, state, side, today);
    if quote.status != "issued" {
        // As for `invalid_transition`, say what the caller may still do, and on which version.
        let current = quotes
            .iter()
            .find(|q| q.status == "issued")
            .map(|q| q.version);
        return Err(ApiError::new(ErrorCode::QuoteNotCurrent,
            format!(
                "La version {version} du devis n'est plus d'actualité ({}){} ; actions possibles : {}.",
                crate::labels::label_of(
                    &quote.status,
                    crate::views::service_requests::QuoteStatus::parse
                ),
                current.map(|v| format!(" : répondez à la version {v}")).unwrap_or_default(),
                crate::labels::join(&allowed)
            ),
        )
        .with_extra(serde_json::json!({ "allowed_actions": action_names(&allowed), "current_quote_version": current })));
    }
    if !quote_answerable(quote.valid_until, today) {
        return Err(ApiError::new(
            ErrorCode::QuoteExpired,
            format!(
                "La version {version} du devis était valable jusqu'au {} : demandez-en une nouvelle version à l'équipe du campus.",
                crate::views::web::format::long_date(quote.valid_until)
            ),
        )
        .with_extra(serde_json::json!({ "allowed_actions": action_names(&allowed) })));
    }
    Ok(quote)
}

/// Moves a request along its life cycle; `today` bounds the dates given and the quotes
/// answered.
pub fn apply_transition(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    now: i64,
    id: &str,
    body: TransitionRequest,
    today: chrono::NaiveDate,
) -> ApiResult<RequestDetails> {
    let row = transition_request(conn, actor, now, id, body, today)?;
    db::completed(conn, row, store::with_work)
}

fn transition_request(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    now: i64,
    id: &str,
    body: TransitionRequest,
    today: chrono::NaiveDate,
) -> ApiResult<RequestRow> {
    db::write_transaction(conn, |conn| {
        let mut row = visible(conn, actor, id)?;
        let side = side(actor)?;
        let state = state_of(&row)?;
        let action = body.action;
        let next = match transition(state, action) {
            Some((next, who)) if who == side => next,
            _ => {
                let quotes = store::quotes_of(conn, &row.id)?;
                return Err(refuse(
                    state,
                    &actions_open(&quotes, state, side, today),
                    action,
                ));
            }
        };
        let mut details = serde_json::json!({});
        match action {
            RequestAction::Take => {
                let platform_id = body
                    .platform_id
                    .ok_or_else(|| {
                        ApiError::field(
                            "platform_id",
                            "required",
                            "indiquez le plateau qui traite la demande",
                        )
                    })?
                    .to_string();
                if db::platforms::find(conn, &platform_id)?.is_none() {
                    return Err(ApiError::field(
                        "platform_id",
                        "unknown_reference",
                        "plateau technique inconnu",
                    ));
                }
                access::require_hand_to_platform(conn, actor, &platform_id)?;
                let assignee = body
                    .assignee_id
                    .map(|a| a.to_string())
                    .unwrap_or_else(|| actor.id.clone());
                let user = db::users::find(conn, &assignee)?
                    .filter(|u| u.active && (u.role == "admin" || u.role == "manager"))
                    .ok_or_else(|| ApiError::field("assignee_id", "unknown_reference", "responsable inconnu : un compte actif de l'administration ou d'un plateau"))?;
                row.assigned_platform_id = Some(platform_id.clone());
                row.assignee_id = Some(user.id.clone());
                details = serde_json::json!({ "platform_id": platform_id, "assignee_id": user.id });
            }
            RequestAction::Accept | RequestAction::Decline => {
                access::require_approved_contact(actor)?;
                let quote = quote_answered(conn, &row, body.quote_version, today, state, side)?;
                let status = if action == RequestAction::Accept {
                    "accepted"
                } else {
                    "declined"
                };
                store::set_quote_status(conn, &quote.id, status)?;
                row.state_reason = body.reason.clone().filter(|r| !r.trim().is_empty());
                details = serde_json::json!({ "quote_version": quote.version, "total_incl_vat_cents": quote.total_incl_vat_cents, "reason": row.state_reason });
            }
            RequestAction::SignAgreement => {
                let reference =
                    required_text(&body.agreement_reference, "agreement_reference", 100)?;
                let signed_on = body.signed_on.ok_or_else(|| {
                    ApiError::field("signed_on", "required", "indiquez la date de signature")
                })?;
                if signed_on > today {
                    return Err(ApiError::field(
                        "signed_on",
                        "in_future",
                        "la date de signature ne peut pas être dans le futur",
                    ));
                }
                row.agreement_reference = Some(reference.clone());
                row.agreement_signed_on = Some(signed_on);
                details =
                    serde_json::json!({ "agreement_reference": reference, "signed_on": signed_on });
            }
            RequestAction::Deliver => {
                let note = required_text(&body.delivery_note, "delivery_note", 4000)?;
                row.delivery_note = Some(note.clone());
                details = serde_json::json!({ "delivery_note": note });
            }
            RequestAction::Invoice => {
                let reference = required_text(&body.invoice_reference, "invoice_reference", 100)?;
                let amount = body.amount_cents.ok_or_else(|| {
                    ApiError::field("amount_cents", "required", "indiquez le montant facturé")
                })?;
                if !(0..=MAX_AMOUNT_CENTS).contains(&amount) {
                    return Err(ApiError::field(
                        "amount_cents",
                        "out_of_range",
                        "montant invalide",
                    ));
                }
                row.invoice_reference = Some(reference.clone());
                row.invoice_amount_cents = Some(amount);
                details =
                    serde_json::json!({ "invoice_reference": reference, "amount_cents": amount });
            }
            RequestAction::Reject => {
                let reason = required_text(&body.reason, "reason", 2000)?;
                row.state_reason = Some(reason.clone());
                details = serde_json::json!({ "reason": reason });
            }
            RequestAction::Withdraw => {
                row.state_reason = body.reason.clone().filter(|r| !r.trim().is_empty());
                details = serde_json::json!({ "reason": row.state_reason });
            }
            RequestAction::StartWork | RequestAction::Close => {}
        }
        row.state = next.as_str().to_owned();
        row.updated_at = now;
        store::update(conn, &row)?;
        store::record(
            conn,
            now,
            &row.id,
            Some(&actor.id),
            Event {
                kind: "transition",
                action: action.as_str(),
                from_state: Some(state.as_str()),
                to_state: Some(next.as_str()),
                internal: false,
                details,
            },
        )?;
        let (kind, audience, detail) = match action {
            RequestAction::Take => (
                Some(NotificationKind::ServiceRequestTaken),
                Audience::Contact,
                None,
            ),
            RequestAction::Accept | RequestAction::Decline => (
                Some(NotificationKind::QuoteAnswered),
                Audience::Campus,
                row.state_reason.clone(),
            ),
            RequestAction::SignAgreement => (
                Some(NotificationKind::AgreementSigned),
                Audience::Both,
                row.agreement_reference.clone(),
            ),
            RequestAction::Deliver => (
                Some(NotificationKind::WorkDelivered),
                Audience::Contact,
                row.delivery_note.clone(),
            ),
            RequestAction::Invoice => (
                Some(NotificationKind::ServiceRequestInvoiced),
                Audience::Contact,
                row.invoice_amount_cents.map(|cents| {
                    format!(
                        "{} ({})",
                        row.invoice_reference.clone().unwrap_or_default(),
                        crate::labels::euros(cents)
                    )
                }),
            ),
            _ => (None, Audience::Contact, None),
        };
        if let Some(kind) = kind {
            let accepted = (kind == NotificationKind::QuoteAnswered)
                .then_some(action == RequestAction::Accept);
            notify(conn, now, &row, kind, audience, &actor.id, detail, accepted)?;
        }
        Ok(row)
    })
}

/// Issues a quote, or a new version of it; the previous version is superseded.
pub fn issue_quote(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    now: i64,
    id: &str,
    body: NewQuote,
    today: chrono::NaiveDate,
) -> ApiResult<(QuoteRow, Vec<QuoteLineRow>)> {
    let mut checks = Checks::new();
    if body.lines.is_empty() || body.lines.len() > 100 {
        checks.fail("lines", "out_of_range", "de 1 à 100 lignes");
    }
    if body.valid_until < today {
        checks.fail(
            "valid_until",
            "in_past",
            "la date de validité est déjà passée",
        );
    }
    let mut parsed = Vec::with_capacity(body.lines.len());
    for (i, line) in body.lines.iter().enumerate() {
        let label = checks.text(&format!("lines[{i}].label"), &line.label, 1, 300);
        let milli = (line.quantity * 1000.0).round();
        let quantity_ok = line.quantity.is_finite()
            && line.quantity > 0.0
            && (line.quantity * 1000.0 - milli).abs() <= 1e-6
            && milli <= MAX_QUANTITY_MILLI as f64;
        if !quantity_ok {
            checks.fail(
                format!("lines[{i}].quantity"),
                "invalid_value",
                format!(
                    "quantité positive, trois décimales au plus, {} au plus",
                    MAX_QUANTITY_MILLI / 1000
                ),
            );
        }
        checks.range(
            &format!("lines[{i}].unit_price_cents"),
            line.unit_price_cents,
            0,
            MAX_UNIT_PRICE_CENTS,
        );
        checks.range(
            &format!("lines[{i}].vat_rate_bp"),
            line.vat_rate_bp,
            0,
            MAX_VAT_RATE_BP,
        );
        let mut amounts = (0, 0);
        if checks.is_empty() {
            match line_amounts(milli as i64, line.unit_price_cents, line.vat_rate_bp) {
                Some(a) => amounts = a,
                None => checks.fail(
                    format!("lines[{i}]"),
                    "amount_too_large",
                    "le montant de la ligne est trop grand",
                ),
            }
        }
        parsed.push((label, milli as i64, line, amounts));
    }
    // Every amount is computed before anything is written; the totals are bounded so
    // that sums over many quotes (indicators) stay exact.
    let totals = if checks.is_empty() {
        let amounts: Vec<(i64, i64)> = parsed.iter().map(|p| p.3).collect();
        let totals = quote_totals(&amounts);
        if totals.is_none() {
            checks.fail(
                "lines",
                "amount_too_large",
                format!(
                    "le total TTC du devis dépasse le plus grand montant permis ({} €)",
                    MAX_AMOUNT_CENTS / 100
                ),
            );
        }
        totals.unwrap_or_default()
    } else {
        (0, 0, 0)
    };
    checks.finish()?;
    db::write_transaction(conn, |conn| {
        let mut row = visible(conn, actor, id)?;
        if side(actor)? != Side::Campus {
            return Err(ApiError::forbidden(
                "Les devis sont établis par les équipes des plateaux.",
            ));
        }
        let state = state_of(&row)?;
        if !may_quote(state) {
            let allowed: Vec<&str> = allowed_actions(state, Side::Campus)
                .iter()
                .map(|a| a.as_str())
                .collect();
            return Err(ApiError::new(
                ErrorCode::InvalidTransition,
                format!(
                    "Une demande « {} » ne reçoit plus de devis ; actions possibles : {}.",
                    state.label(),
                    crate::labels::join(&allowed_actions(state, Side::Campus))
                ),
            )
            .with_extra(serde_json::json!({ "allowed_actions": allowed })));
        }
        let previous = store::quotes_of(conn, &row.id)?;
        for q in previous.iter().filter(|q| q.status == "issued") {
            store::set_quote_status(conn, &q.id, "superseded")?;
        }
        let version = previous.iter().map(|q| q.version).max().unwrap_or(0) + 1;
        let quote_id = db::new_id();
        let lines: Vec<QuoteLineRow> = parsed
            .iter()
            .enumerate()
            .map(|(i, (label, milli, line, (excl, vat)))| QuoteLineRow {
                id: db::new_id(),
                quote_id: quote_id.clone(),
                position: i as i32 + 1,
                label: label.clone(),
                quantity_milli: *milli,
                unit: line.unit.as_str().to_owned(),
                unit_price_cents: line.unit_price_cents,
                vat_rate_bp: line.vat_rate_bp,
                total_excl_vat_cents: *excl,
                vat_cents: *vat,
            })
            .collect();
        let (excl, vat, incl) = totals;
        let quote = QuoteRow {
            id: quote_id,
            request_id: row.id.clone(),
            version,
            status: "issued".into(),
            valid_until: body.valid_until,
            total_excl_vat_cents: excl,
            total_vat_cents: vat,
            total_incl_vat_cents: incl,
            created_by: Some(actor.id.clone()),
            created_at: now,
        };
        store::insert_quote(conn, &quote, &lines)?;
        row.state = RequestState::Quoted.as_str().to_owned();
        row.updated_at = now;
        store::update(conn, &row)?;
        store::record(
            conn,
            now,
            &row.id,
            Some(&actor.id),
            Event {
                kind: "quote",
                action: if version == 1 {
                    "quote"
                } else {
                    "revise_quote"
                },
                from_state: Some(state.as_str()),
                to_state: Some("quoted"),
                internal: false,
                details: serde_json::json!({ "version": version, "total_incl_vat_cents": quote.total_incl_vat_cents, "valid_until": quote.valid_until }),
            },
        )?;
        let detail = format!(
            "version {version}, {} TTC",
            crate::labels::euros(quote.total_incl_vat_cents)
        );
        notify(
            conn,
            now,
            &row,
            NotificationKind::QuoteIssued,
            Audience::Contact,
            &actor.id,
            Some(detail),
            None,
        )?;
        Ok((quote, lines))
    })
}

pub fn post_message(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    now: i64,
    id: &str,
    body: NewMessage,
) -> ApiResult<MessageRow> {
    let mut checks = Checks::new();
    let text = checks.text("body", &body.body, 1, 10_000);
    checks.finish()?;
    db::write_transaction(conn, |conn| {
        let row = visible(conn, actor, id)?;
        let visibility = body.visibility.unwrap_or(MessageVisibility::Shared);
        if side(actor)? == Side::Company && visibility == MessageVisibility::Internal {
            return Err(ApiError::field(
                "visibility",
                "not_allowed",
                "une entreprise n'écrit que des messages partagés",
            ));
        }
        let message = MessageRow {
            id: db::new_id(),
            request_id: row.id.clone(),
            author_id: Some(actor.id.clone()),
            visibility: visibility.as_str().to_owned(),
            body: text.clone(),
            created_at: now,
        };
        store::insert_message(conn, &message)?;
        store::record(
            conn,
            now,
            &row.id,
            Some(&actor.id),
            Event {
                kind: "message",
                action: "message",
                from_state: None,
                to_state: None,
                internal: visibility == MessageVisibility::Internal,
                details: serde_json::json!({ "message_id": message.id, "visibility": message.visibility }),
            },
        )?;
        // Internal messages stay with the campus: the company is never told of them.
        if visibility == MessageVisibility::Shared {
            let excerpt = crate::domain::linked_text::excerpt(&message.body, 300);
            notify(
                conn,
                now,
                &row,
                NotificationKind::ServiceRequestMessage,
                Audience::Both,
                &actor.id,
                Some(excerpt),
                None,
            )?;
        }
        Ok(message)
    })
}

/// Whether bookings may be linked to this request now: the caller sees it and the work
/// is agreed (accepted, agreement signed, or in progress).
pub fn check_bookable(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    request_id: &str,
) -> ApiResult<()> {
    let row = store::find(conn, request_id)?.ok_or_else(|| {
        ApiError::field(
            "service_request_id",
            "unknown_reference",
            "demande de prestation inconnue",
        )
    })?;
    if !access::can_see_request(conn, actor, &row)? {
        return Err(ApiError::field(
            "service_request_id",
            "unknown_reference",
            "demande de prestation inconnue",
        ));
    }
    let state = state_of(&row)?;
    if !matches!(
        state,
        RequestState::Accepted | RequestState::AgreementSigned | RequestState::InProgress
    ) {
        return Err(ApiError::field(
            "service_request_id",
            "not_schedulable",
            format!(
                "une demande « {} » ne reçoit pas de réservation",
                state.label()
            ),
        ));
    }
    Ok(())
}

/// What became of a public submission. The answer to the caller is the same in every
/// case, so that the endpoint reveals no account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublicOutcome {
    /// A new contact (and maybe a new company) was created with the request.
    SignedUp,
    /// The address awaits confirmation: the request is kept for that contact.
    AddedToPendingContact,
    /// The address has an active account (or is not a company's): nothing was stored, and
    /// the answer says that an account holder files requests after logging in.
    NotStored,
}

/// A first request from a company without an account. Creates (or finds, by SIRET) the
/// company, an inactive contact account with a confirmation token, and the request. A new
/// contact of a company that already exists waits for an approved contact of it or the
/// staff to vouch for them. `unusable_hash` (a hash matching nothing, computed by the caller
/// outside any transaction) is the new account's password until it is confirmed; it is
/// computed for every submission, so that answers take the same time whatever the address.
pub fn submit_public(
    conn: &mut DbConnection,
    now: i64,
    body: crate::views::service_requests::PublicServiceRequest,
    unusable_hash: String,
) -> ApiResult<PublicOutcome> {
    use crate::domain::accounts::check_email;
    use crate::domain::organisations::check_identifiers;
    let mut checks = Checks::new();
    let company_name = checks.text("company_name", &body.company_name, 1, 200);
    let (_, siret) = check_identifiers(
        &mut checks,
        OrganisationKind::Company,
        None,
        Some(&body.siret),
    );
    let contact_name = checks.text("contact_name", &body.contact_name, 1, 200);
    let email = check_email(&mut checks, "email", &body.email);
    let phone = checks.text("phone", &body.phone, 6, 30);
    if !phone
        .chars()
        .all(|c| c.is_ascii_digit() || " +.-()".contains(c))
    {
        checks.fail("phone", "invalid_format", "numéro de téléphone invalide");
    }
    // The need itself is required, before the contact's details are added to it.
    checks.text("description", &body.description, 1, 10_000);
    let identity = checks.finish().map_err(ApiError::from);
    let request = NewServiceRequest {
        company_id: None,
        title: body.title,
        description: format!(
            "{}\n\nContact : {contact_name}, {phone}",
            body.description.trim()
        ),
        domains: body.domains,
        platform_id: body.platform_id,
        wished_from: body.wished_from,
        wished_to: body.wished_to,
        budget_cents: body.budget_cents,
        confidential: body.confidential,
        links: body.links,
    };
    // Every refusal at once: who asks, and what is asked.
    let (first, second) = (identity.err(), checked_fields(&request).err());
    if first.is_some() || second.is_some() {
        let mut errors: Vec<crate::error::FieldError> = Vec::new();
        for e in first
            .iter()
            .chain(second.iter())
            .flat_map(|e| e.errors.iter())
        {
            if !errors
                .iter()
                .any(|k| k.field == e.field && k.code == e.code)
            {
                errors.push(e.clone());
            }
        }
        return Err(ApiError::validation(errors));
    }
    let siret = siret.unwrap_or_default();
    db::write_transaction(conn, |conn| {
        // Every reference is checked before the address is looked up, so that a refusal
        // never depends on whether the address has an account.
        let platform_campus = requested_platform(conn, request.platform_id)?.map(|p| p.campus_id);
        let existing_company = match db::organisations::find_by_siret(conn, &siret)? {
            Some(org) if OrganisationKind::from_db(&org.kind)? == OrganisationKind::Company => {
                Some(org.id)
            }
            Some(_) => {
                return Err(ApiError::field(
                    "siret",
                    "not_a_company",
                    "ce SIRET est celui d'un membre du campus, pas d'une entreprise",
                ))
            }
            None => None,
        };
        if let Some(known) = db::users::find_by_email(conn, &email)? {
            let pending_contact = !known.active
                && known.role == Role::Company.as_str()
                && db::confirmations::has_unused(conn, &known.id)?;
            if !pending_contact {
                return Ok(PublicOutcome::NotStored);
            }
            let contact = CurrentUser {
                id: known.id.clone(),
                role: Role::Company,
                organisation_id: known.organisation_id.clone(),
                session_id: String::new(),
                awaiting_approval: known.awaiting_approval,
            };
            create_request(conn, &contact, now, request)?;
            return Ok(PublicOutcome::AddedToPendingContact);
        }
        let (company, awaiting_approval) = match existing_company {
            // Anyone can know a SIRET: joining a known company needs someone to vouch.
            Some(id) => (id, true),
            None => {
                let campus = match platform_campus {
                    Some(campus) => campus,
                    None => {
                        db::campuses::list(
                            conn,
                            &db::Page {
                                after: None,
                                limit: 1,
                            },
                        )?
                        .rows
                        .pop()
                        .ok_or_else(|| ApiError::unavailable("no campus configured"))?
                        .id
                    }
                };
                let org = db::organisations::OrganisationRow {
                    id: db::new_id(),
                    name: company_name.clone(),
                    kind: OrganisationKind::Company.as_str().to_owned(),
                    town: None,
                    uai: None,
                    siret: Some(siret.clone()),
                    created_at: now,
                    updated_at: now,
                };
                db::organisations::insert(conn, &org, &[campus])?;
                db::audit::record(
                    conn,
                    now,
                    None,
                    "organisation",
                    &org.id,
                    "created",
                    serde_json::json!({ "name": org.name, "kind": "company", "siret": siret, "source": "public_service_request" }),
                )?;
                (org.id, false)
            }
        };
        let user = db::users::UserRow {
            id: db::new_id(),
            email: email.clone(),
            display_name: contact_name.clone(),
            password_hash: unusable_hash.clone(),
            role: Role::Company.as_str().to_owned(),
            organisation_id: company.clone(),
            active: false,
            created_at: now,
            updated_at: now,
            awaiting_approval,
        };
        db::users::insert(conn, &user)?;
        db::audit::record(
            conn,
            now,
            None,
            "user",
            &user.id,
            "created",
            serde_json::json!({ "email": user.email, "role": "company", "active": false, "awaiting_approval": awaiting_approval, "source": "public_service_request" }),
        )?;
        // The token goes out by e-mail only, queued in this transaction.
        super::accounts::open_confirmation(conn, now, &user.id)?;
        let contact = CurrentUser {
            id: user.id.clone(),
            role: Role::Company,
            organisation_id: company,
            session_id: String::new(),
            awaiting_approval,
        };
        create_request(conn, &contact, now, request)?;
        Ok(PublicOutcome::SignedUp)
    })
}

/// The requests the caller may see (`access::request_scope`) that match `filter`, with the
/// work booked and used for each.
pub fn list(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    filter: &RequestFilter,
    page: &Page,
) -> ApiResult<Listed<RequestDetails>> {
    let scope = access::request_scope(conn, actor)?;
    store::list(conn, &scope, filter, page)?.try_map(|rows| store::with_work(conn, rows))
}

/// One request the caller may see, with the work booked and used for it.
pub fn find(conn: &mut DbConnection, actor: &CurrentUser, id: &str) -> ApiResult<RequestDetails> {
    let row = visible(conn, actor, id)?;
    db::completed(conn, row, store::with_work)
}

/// Every quote version of a request the caller may see, each with its lines.
pub fn quotes(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    id: &str,
) -> ApiResult<Vec<(QuoteRow, Vec<QuoteLineRow>)>> {
    let row = visible(conn, actor, id)?;
    let quotes = store::quotes_of(conn, &row.id)?;
    let ids: Vec<String> = quotes.iter().map(|q| q.id.clone()).collect();
    let mut lines = db::grouped(
        store::lines_of(conn, &ids)?
            .into_iter()
            .map(|line| (line.quote_id.clone(), line)),
    );
    Ok(quotes
        .into_iter()
        .map(|q| {
            let l = lines.remove(&q.id).unwrap_or_default();
            (q, l)
        })
        .collect())
}

/// The conversation of a request; internal messages only for the campus staff.
pub fn messages(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    id: &str,
) -> ApiResult<Vec<MessageRow>> {
    let row = visible(conn, actor, id)?;
    store::messages_of(conn, &row.id, access::sees_internal_messages(actor)?)
}

/// Every step of a request; internal ones only for the campus staff.
pub fn timeline(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    id: &str,
) -> ApiResult<Vec<EventRow>> {
    let row = visible(conn, actor, id)?;
    store::timeline(conn, &row.id, access::sees_internal_messages(actor)?)
}

/// What the export writes of a request: the request, its company's name, when it reached
/// each state, and its latest quote's total including VAT.
pub struct ExportLine {
    pub row: RequestRow,
    pub company_name: String,
    pub reached: std::collections::HashMap<String, i64>,
    pub latest_quote_cents: Option<i64>,
}

/// The scope the export reads in, decided once for every page.
pub fn export_scope(conn: &mut DbConnection, actor: &CurrentUser) -> ApiResult<Scope> {
    access::request_scope(conn, actor)
}

/// Requests read from the database at a time by the CSV export.
const EXPORT_PAGE: i64 = 500;

/// One page of the export, after the request `after` (a few queries for the whole page),
/// so that memory stays bounded however many requests there are.
pub fn export_page(
    conn: &mut DbConnection,
    scope: &Scope,
    filter: &RequestFilter,
    after: Option<String>,
) -> ApiResult<Listed<ExportLine>> {
    let page = Page {
        after,
        limit: EXPORT_PAGE,
    };
    store::list(conn, scope, filter, &page)?.try_map(|rows| {
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        let mut reached: std::collections::HashMap<String, std::collections::HashMap<String, i64>> =
            Default::default();
        for event in store::transitions_of(conn, &ids)? {
            if let Some(to) = event.to_state {
                reached
                    .entry(event.request_id)
                    .or_default()
                    .entry(to)
                    .or_insert(event.at);
            }
        }
        let mut company_ids: Vec<String> = rows.iter().map(|r| r.company_id.clone()).collect();
        company_ids.sort();
        company_ids.dedup();
        let companies: std::collections::HashMap<String, String> =
            db::organisations::names_of(conn, &company_ids)?
                .into_iter()
                .collect();
        // The latest quote of each request that has one (versions come in order).
        let mut latest_quote: std::collections::HashMap<String, i64> = Default::default();
        for quote in store::quotes_of_requests(conn, &ids)? {
            if quote.status != "superseded" {
                latest_quote.insert(quote.request_id, quote.total_incl_vat_cents);
            }
        }
        Ok(rows
            .into_iter()
            .map(|row| ExportLine {
                company_name: companies.get(&row.company_id).cloned().unwrap_or_default(),
                reached: reached.remove(&row.id).unwrap_or_default(),
                latest_quote_cents: latest_quote.get(&row.id).copied(),
                row,
            })
            .collect())
    })
}

/// What the service answers to every accepted public submission, whatever became of it: it
/// must not tell whether the address has an account, and never says "recorded" for what
/// was not stored. The API's answer and the web form's confirmation page.
pub const PUBLIC_RECEIPT: &str = "Demande reçue. Si cette adresse e-mail est nouvelle ou attend encore sa confirmation, la demande est enregistrée : confirmez l'adresse avec le lien reçu pour la suivre. Si cette adresse a déjà un compte actif, la demande n'est pas enregistrée : connectez-vous pour la déposer.";

/// A public submission from the client address `client`, through the API or the web form:
/// the public limit (5 per address every 10 minutes), a password hash computed for every
/// submission outside any connection (so that the answer takes the same time whether or not
/// the address has an account), then `submit_public`.
pub async fn submit_public_from(
    state: &crate::state::AppState,
    client: &str,
    body: crate::views::service_requests::PublicServiceRequest,
) -> ApiResult<PublicOutcome> {
    let now = state.now();
    crate::usecases::rate_limits::admit_public(
        state,
        crate::usecases::rate_limits::Scope::PublicForm,
        client,
    )
    .await?;
    let unusable_hash = actix_web::web::block(crate::auth::unusable_password_hash).await??;
    state
        .db(move |conn| submit_public(conn, now, body, unusable_hash))
        .await
}

/// The platforms a public request may name (anyone may read them: the portal shows them).
pub fn public_platforms(conn: &mut DbConnection) -> ApiResult<Vec<db::platforms::PlatformRow>> {
    let mut platforms = db::platforms::list(
        conn,
        &db::platforms::PlatformFilter::default(),
        &Page {
            after: None,
            limit: crate::domain::pagination::MAX_LIMIT,
        },
    )?
    .rows;
    platforms.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(platforms)
}

/// One page of the requests the caller may see (as `list`), with the names its lines show.
pub struct RequestList {
    pub side: Side,
    pub listed: Listed<RequestDetails>,
    /// Company and platform names, by id.
    pub names: std::collections::HashMap<String, String>,
}

/// The web list: the caller's requests (teachers and observers have none to read: 403, which
/// the pages answer as an unknown page).
pub fn list_page(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    filter: &RequestFilter,
    page: &Page,
) -> ApiResult<RequestList> {
    let side = side(actor)?;
    let listed = list(conn, actor, filter, page)?;
    let mut names = std::collections::HashMap::new();
    let rows: Vec<&RequestRow> = listed.rows.iter().map(|r| &r.row).collect();
    name_companies_and_platforms(conn, &rows, &mut names)?;
    Ok(RequestList {
        side,
        listed,
        names,
    })
}

fn name_companies_and_platforms(
    conn: &mut DbConnection,
    rows: &[&RequestRow],
    names: &mut std::collections::HashMap<String, String>,
) -> ApiResult<()> {
    let mut companies: Vec<String> = rows.iter().map(|r| r.company_id.clone()).collect();
    companies.sort();
    companies.dedup();
    names.extend(db::organisations::names_of(conn, &companies)?);
    let mut platforms: Vec<String> = rows
        .iter()
        .flat_map(|r| {
            [
                r.requested_platform_id.clone(),
                r.assigned_platform_id.clone(),
            ]
        })
        .flatten()
        .collect();
    platforms.sort();
    platforms.dedup();
    for id in platforms {
        if let Some(p) = db::platforms::find(conn, &id)? {
            names.insert(p.id, p.name);
        }
    }
    Ok(())
}

/// Everything the page of one request shows the caller: the request, its quote versions with
/// their lines, the messages and the timeline the caller may read, and the names of the
/// people, company and platforms they mention.
pub struct RequestPage {
    pub side: Side,
    pub request: RequestDetails,
    pub quotes: Vec<(QuoteRow, Vec<QuoteLineRow>)>,
    pub messages: Vec<MessageRow>,
    pub timeline: Vec<EventRow>,
    /// Names of the people, company and platforms, by id.
    pub names: std::collections::HashMap<String, String>,
    /// The platforms the caller may hand the request to (`take`), when it may be taken.
    pub platforms: Vec<db::platforms::PlatformRow>,
}

pub fn page(conn: &mut DbConnection, actor: &CurrentUser, id: &str) -> ApiResult<RequestPage> {
    let request = find(conn, actor, id)?;
    let side = side(actor)?;
    let quotes = quotes(conn, actor, id)?;
    let messages = messages(conn, actor, id)?;
    let timeline = timeline(conn, actor, id)?;
    let mut names = std::collections::HashMap::new();
    name_companies_and_platforms(conn, &[&request.row], &mut names)?;
    let mut people: Vec<String> = [
        request.row.assignee_id.clone(),
        request.row.contact_user_id.clone(),
    ]
    .into_iter()
    .flatten()
    .chain(quotes.iter().filter_map(|(q, _)| q.created_by.clone()))
    .chain(messages.iter().filter_map(|m| m.author_id.clone()))
    .chain(timeline.iter().filter_map(|e| e.actor_id.clone()))
    .collect();
    people.sort();
    people.dedup();
    names.extend(
        db::users::find_many(conn, &people)?
            .into_iter()
            .map(|u| (u.id, u.display_name)),
    );
    let may_take = allowed_actions(state_of(&request.row)?, side).contains(&RequestAction::Take);
    let mut platforms = Vec::new();
    if may_take {
        for platform in public_platforms(conn)? {
            if access::manages_platform(conn, actor, &platform.id)? {
                platforms.push(platform);
            }
        }
    }
    Ok(RequestPage {
        side,
        request,
        quotes,
        messages,
        timeline,
        names,
        platforms,
    })
}

/// The amounts of a quote's lines, in cents, as `issue_quote` computes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuoteAmounts {
    /// Each line's amount excluding VAT and its VAT.
    pub lines: Vec<(i64, i64)>,
    /// The VAT by rate, highest rate first.
    pub by_rate: Vec<crate::domain::service_request::VatShare>,
    /// Excluding VAT, VAT, including VAT.
    pub totals: (i64, i64, i64),
}

/// The amounts a quote's lines would have, as `issue_quote` computes them (each line's
/// amount excluding VAT and its VAT, the VAT by rate, then the totals), for a draft shown
/// before it is issued; `None` when a line is out of bounds (issuing it would name the
/// field).
pub fn preview_quote(
    lines: &[crate::views::service_requests::NewQuoteLine],
) -> Option<QuoteAmounts> {
    let amounts = lines
        .iter()
        .map(|line| {
            let milli = (line.quantity * 1000.0).round();
            let within = line.quantity.is_finite()
                && milli > 0.0
                && milli <= MAX_QUANTITY_MILLI as f64
                && (0..=MAX_UNIT_PRICE_CENTS).contains(&line.unit_price_cents)
                && (0..=MAX_VAT_RATE_BP).contains(&line.vat_rate_bp);
            if !within {
                return None;
            }
            line_amounts(milli as i64, line.unit_price_cents, line.vat_rate_bp)
        })
        .collect::<Option<Vec<_>>>()?;
    let totals = quote_totals(&amounts)?;
    let by_rate = crate::domain::service_request::vat_by_rate(
        lines
            .iter()
            .zip(&amounts)
            .map(|(line, (excl, vat))| (line.vat_rate_bp, *excl, *vat)),
    )?;
    Some(QuoteAmounts {
        lines: amounts,
        by_rate,
        totals,
    })
}
