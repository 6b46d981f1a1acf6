//! The pages about bookings: « Mes réservations » (cancelling, the calendar feed) and the
//! manager's « Validations ». Each write is the API's own use case.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use super::visitor::{redirect, CheckedForm, Visitor};
use crate::domain::booking::Action;
use crate::domain::calendar::CalendarFeed;
use crate::error::ApiError;
use crate::state::AppState;
use crate::usecases::bookings::change;
use crate::usecases::{booking_pages, calendar};
use crate::views::web::bookings::{ApprovalRow, ApprovalsPage, BookingLine, BookingsPage, Refused};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/reservations", web::get().to(my_bookings))
        .route("/reservations/agenda", web::post().to(calendar_feed))
        .route(
            "/reservations/{id}/annulation",
            web::post().to(cancel_booking),
        )
        .route("/validations", web::get().to(approvals))
        .route("/validations/{id}", web::post().to(decide));
}

/// A page out of one's scope answers as an unknown one (observers see no bookings).
pub(super) fn refused(visitor: &Visitor, error: ApiError) -> HttpResponse {
    if error.status == StatusCode::FORBIDDEN {
        return visitor.not_found();
    }
    visitor.failure(error)
}

/// The refusal of a form's reason field, to show next to it; `None` for any other refusal.
fn reason_refusal(error: &ApiError, booking_id: &str, reason: &str) -> Option<Refused> {
    let field = error.errors.iter().find(|e| e.field == "reason")?;
    let message = field.message.clone();
    let mut chars = message.chars();
    let message = match chars.next() {
        Some(first) => first.to_uppercase().collect::<String>() + chars.as_str() + ".",
        None => message,
    };
    Some(Refused {
        booking_id: booking_id.to_owned(),
        reason: reason.to_owned(),
        error: message,
    })
}

async fn bookings_page(
    state: &AppState,
    visitor: &Visitor,
    status: StatusCode,
    refusal: Option<Refused>,
    feed_url: Option<String>,
    notice: Option<String>,
) -> HttpResponse {
    let Some(user) = visitor.user().cloned() else {
        return visitor.login_required();
    };
    let now = state.now();
    let tz = state.timezone;
    match state
        .db(move |conn| booking_pages::my_bookings(conn, &user, now))
        .await
    {
        Ok(data) => {
            let mut page = BookingsPage::new(
                visitor.layout("Mes réservations"),
                data,
                &tz,
                refusal.as_ref(),
            );
            page.feed_url = feed_url;
            page.notice = notice;
            visitor.page(status, page)
        }
        Err(error) => refused(visitor, error),
    }
}

#[derive(serde::Deserialize)]
struct DoneQuery {
    fait: Option<String>,
}

async fn my_bookings(
    state: web::Data<AppState>,
    visitor: Visitor,
    query: web::Query<DoneQuery>,
) -> HttpResponse {
    let notice = match query.fait.as_deref() {
        Some("annulation") => Some("La réservation est annulée.".to_owned()),
        _ => None,
    };
    bookings_page(&state, &visitor, StatusCode::OK, None, None, notice).await
}

#[derive(serde::Deserialize)]
struct ReasonForm {
    #[serde(default)]
    motif: String,
    decision: Option<String>,
    /// `fiche` when the form is the booking's own page, which the answer goes back to.
    retour: Option<String>,
}

/// `POST /api/v1/bookings/{id}/cancel`'s use case; a missing reason is shown next to its
/// field, with the page as it was.
async fn cancel_booking(
    state: web::Data<AppState>,
    form: CheckedForm<ReasonForm>,
    id: web::Path<String>,
) -> HttpResponse {
    let CheckedForm { visitor, form, .. } = form;
    let Some(user) = visitor.user().cloned() else {
        return visitor.login_required();
    };
    let id = id.into_inner();
    let reason = form.motif.clone();
    let target = id.clone();
    let now = state.now();
    let from_sheet = form.retour.as_deref() == Some("fiche");
    match state
        .db(move |conn| change::transition(conn, &user, now, &target, Action::Cancel, Some(reason)))
        .await
    {
        Ok(_) if from_sheet => {
            visitor.finish(redirect(&format!("/reservations/{id}?fait=annulation")))
        }
        Ok(_) => visitor.finish(redirect("/reservations?fait=annulation")),
        Err(error) if from_sheet => match reason_refusal(&error, &id, &form.motif) {
            Some(refusal) => {
                let shown = super::booking_form::SheetState {
                    status: error.status,
                    cancel: Some((refusal.reason, refusal.error)),
                    ..Default::default()
                };
                super::booking_form::sheet_page(&state, &visitor, &id, shown).await
            }
            None => refused(&visitor, error),
        },
        Err(error) => match reason_refusal(&error, &id, &form.motif) {
            Some(refusal) => {
                bookings_page(&state, &visitor, error.status, Some(refusal), None, None).await
            }
            None => refused(&visitor, error),
        },
    }
}

/// `POST /api/v1/calendar-tokens` for one's own bookings; the address is shown once.
async fn calendar_feed(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: CheckedForm<ReasonForm>,
) -> HttpResponse {
    let CheckedForm { visitor, .. } = form;
    let Some(user) = visitor.user().cloned() else {
        return visitor.login_required();
    };
    let now = state.now();
    let created = state
        .db(move |conn| calendar::create_token(conn, &user, now, CalendarFeed::User, None))
        .await;
    match created {
        Ok((_, token)) => {
            let url = {
                let info = req.connection_info();
                format!(
                    "{}://{}/api/v1/calendar/{token}.ics",
                    info.scheme(),
                    info.host()
                )
            };
            bookings_page(&state, &visitor, StatusCode::OK, None, Some(url), None).await
        }
        Err(error) => refused(&visitor, error),
    }
}

async fn approvals(state: web::Data<AppState>, visitor: Visitor) -> HttpResponse {
    approvals_page(&state, &visitor, StatusCode::OK, None).await
}

async fn approvals_page(
    state: &AppState,
    visitor: &Visitor,
    status: StatusCode,
    refusal: Option<Refused>,
) -> HttpResponse {
    let Some(user) = visitor.user().cloned() else {
        return visitor.login_required();
    };
    let tz = state.timezone;
    match state
        .db(move |conn| booking_pages::pending_approvals(conn, &user))
        .await
    {
        Ok(entries) => visitor.page(
            status,
            ApprovalsPage::new(
                visitor.layout("Validations"),
                entries,
                &tz,
                refusal.as_ref(),
            ),
        ),
        Err(error) => refused(visitor, error),
    }
}

/// Approves or rejects in one step (`POST /api/v1/bookings/{id}/approve` or `…/reject`).
/// Without JavaScript the browser comes back to the list; with htmx only the line is
/// swapped, answered with 200 even when refused so that htmx shows the message in place.
async fn decide(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: CheckedForm<ReasonForm>,
    id: web::Path<String>,
) -> HttpResponse {
    let CheckedForm { visitor, form, .. } = form;
    let Some(user) = visitor.user().cloned() else {
        return visitor.login_required();
    };
    let htmx = req.headers().contains_key("hx-request");
    let action = match form.decision.as_deref() {
        Some("approuver") => Action::Approve,
        Some("refuser") => Action::Reject,
        _ => {
            return visitor.failure(ApiError::field(
                "decision",
                "required",
                "choisissez d'approuver ou de refuser",
            ))
        }
    };
    let id = id.into_inner();
    let reason = form.motif.clone();
    let (target, actor) = (id.clone(), user.clone());
    let now = state.now();
    let decided = state
        .db(move |conn| {
            change::transition(conn, &actor, now, &target, action, Some(reason))?;
            booking_pages::approval(conn, &actor, &target)
        })
        .await;
    let tz = state.timezone;
    match decided {
        Ok(entry) if htmx => visitor.ok(ApprovalRow {
            csrf: visitor.csrf.clone(),
            row: BookingLine::new(entry, &tz),
        }),
        Ok(_) => visitor.finish(redirect("/validations")),
        Err(error) => {
            let Some(refusal) = reason_refusal(&error, &id, &form.motif) else {
                return refused(&visitor, error);
            };
            if !htmx {
                return approvals_page(&state, &visitor, error.status, Some(refusal)).await;
            }
            let target = id.clone();
            match state
                .db(move |conn| booking_pages::approval(conn, &user, &target))
                .await
            {
                Ok(entry) => {
                    let mut row = BookingLine::new(entry, &tz);
                    row.reason = refusal.reason;
                    row.error = Some(refusal.error);
                    visitor.ok(ApprovalRow {
                        csrf: visitor.csrf.clone(),
                        row,
                    })
                }
                Err(error) => refused(&visitor, error),
            }
        }
    }
}
