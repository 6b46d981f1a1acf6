//! The booking form (`/reservations/nouvelle`, with the preview of a series before it is
//! confirmed), one booking's page (`/reservations/{id}`: changing its times, cancelling)
//! and one series' page (`/series/{id}`: cancelling what remains). Each write is the API's
//! own use case; a refusal is shown next to the field it is about, with what was typed.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use uuid::Uuid;

use super::bookings::refused;
use super::form_key;
use super::visitor::{redirect, CheckedForm, Visitor};
use crate::auth::CurrentUser;
use crate::db::platforms::PlatformFilter;
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;
use crate::usecases::booking_form::{self as pages, BookingForm, SlotAsked};
use crate::usecases::bookings::{self, change, series, single::BookingRequest};
use crate::usecases::catalogue;
use crate::views::bookings::SeriesCancellation;
use crate::views::web::booking_form::{
    suggestion, wants_another_slot, BookingAsk, BookingFields, BookingFormPage, BookingPage,
    FormErrors, PlatformChoicePage, PreviewView, SeriesPage, TimeFields,
};
use crate::views::web::Choice;

pub fn configure(cfg: &mut web::ServiceConfig) {
    // Before `/reservations/{id}`, which would take « nouvelle » for an id.
    cfg.route("/reservations/nouvelle", web::get().to(form_page))
        .route("/reservations/nouvelle", web::post().to(submit))
        .route("/reservations/{id}", web::get().to(booking_page))
        .route("/reservations/{id}/horaires", web::post().to(change_times))
        .route("/series/{id}", web::get().to(series_page))
        .route("/series/{id}/annulation", web::post().to(cancel_series));
}

#[derive(serde::Deserialize)]
struct FormQuery {
    plateau: Option<String>,
}

fn page_id(text: &str) -> Option<String> {
    Uuid::parse_str(text.trim()).ok().map(|u| u.to_string())
}

async fn load_form(
    state: &AppState,
    user: &CurrentUser,
    platform_id: &str,
) -> Result<BookingForm, ApiError> {
    let (user, id, now) = (user.clone(), platform_id.to_owned(), state.now());
    state
        .db(move |conn| pages::booking_form(conn, &user, now, &id))
        .await
}

fn form_response(
    state: &AppState,
    visitor: &Visitor,
    status: StatusCode,
    form: BookingForm,
    fields: BookingFields,
    errors: FormErrors,
    preview: Option<PreviewView>,
) -> HttpResponse {
    let title = format!("Réserver : {}", form.platform.name);
    visitor.page(
        status,
        BookingFormPage::new(
            visitor.layout(title),
            form,
            fields,
            errors,
            preview,
            &state.timezone,
        ),
    )
}

async fn form_page(
    state: web::Data<AppState>,
    visitor: Visitor,
    query: web::Query<FormQuery>,
) -> HttpResponse {
    let Some(user) = visitor.user().cloned() else {
        return visitor.login_required();
    };
    let chosen = query
        .plateau
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty());
    let Some(chosen) = chosen else {
        // Without a platform: choose one first (those who book nothing see none).
        if let Err(error) = crate::access::booking_visibility(&user) {
            return refused(&visitor, error);
        }
        return match state
            .db(move |conn| catalogue::catalogue(conn, &user, &PlatformFilter::default()))
            .await
        {
            Ok(found) => {
                let mut platforms: Vec<Choice> = found
                    .platforms
                    .iter()
                    .map(|p| Choice {
                        value: p.id.clone(),
                        label: p.name.clone(),
                        selected: false,
                    })
                    .collect();
                platforms.sort_by(|a, b| a.label.cmp(&b.label));
                visitor.ok(PlatformChoicePage {
                    layout: visitor.layout("Nouvelle réservation"),
                    platforms,
                })
            }
            Err(error) => refused(&visitor, error),
        };
    };
    let Some(platform_id) = page_id(chosen) else {
        return visitor.not_found();
    };
    match load_form(&state, &user, &platform_id).await {
        Ok(form) => {
            let fields = BookingFields {
                plateau: platform_id,
                mode: "sauter".to_owned(),
                ..BookingFields::default()
            };
            form_response(
                &state,
                &visitor,
                StatusCode::OK,
                form,
                fields,
                FormErrors::default(),
                None,
            )
        }
        Err(error) => refused(&visitor, error),
    }
}

/// The errors of a refusal, next to their fields; a refusal whose cure is another slot
/// says which is next free (`availability`, as the API gives it).
async fn refusal_errors(
    state: &AppState,
    error: &ApiError,
    learner_fields: &[&str],
    asked: Option<SlotAsked>,
) -> FormErrors {
    let mut errors = FormErrors::from_api(error, learner_fields);
    if let (true, Some(asked)) = (wants_another_slot(error), asked) {
        let (tz, now) = (state.timezone, state.now());
        let slot = state
            .db(move |conn| pages::next_free_slot(conn, tz, now, &asked))
            .await;
        if let Ok(Some(slot)) = slot {
            let advice = suggestion(slot, &tz);
            match errors.fields.first_mut() {
                Some((_, message)) => {
                    message.push(' ');
                    message.push_str(&advice);
                }
                None => errors.general.push(advice),
            }
        }
    }
    errors
}

/// A refusal shown on the form, or answered as a page of its own when it is not about the
/// form (not found, the service failing).
fn shown_on_form(error: &ApiError) -> bool {
    error.status.is_client_error() && error.status != StatusCode::NOT_FOUND
}

/// The form sent: once per form key (a double click on « Réserver » or « Confirmer »
/// books once).
async fn submit(state: web::Data<AppState>, form: CheckedForm<BookingFields>) -> HttpResponse {
    let CheckedForm {
        visitor,
        form: fields,
        key,
    } = form;
    let shared = state.clone();
    form_key::once(&state, visitor, key, move |visitor| {
        book(shared, visitor, fields)
    })
    .await
}

async fn book(state: web::Data<AppState>, visitor: Visitor, fields: BookingFields) -> HttpResponse {
    let Some(user) = visitor.user().cloned() else {
        return visitor.login_required();
    };
    let Some(platform_id) = page_id(&fields.plateau) else {
        return visitor.not_found();
    };
    let form = match load_form(&state, &user, &platform_id).await {
        Ok(form) => form,
        Err(error) => return refused(&visitor, error),
    };
    let tz = state.timezone;
    let ask = match fields.ask(&tz) {
        Ok(ask) => ask,
        Err(errors) => {
            return form_response(
                &state,
                &visitor,
                StatusCode::UNPROCESSABLE_ENTITY,
                form,
                fields,
                errors,
                None,
            )
        }
    };
    let learner_fields = fields.learner_fields();
    match ask {
        // « Confirmer » a series whose « chaque semaine » was unticked since its preview:
        // nothing is booked before the form is checked again.
        BookingAsk::Single(_) if fields.etape == "confirmer" => {
            let mut errors = FormErrors::default();
            errors.general.push(
                "Rien n'a été réservé : le formulaire a changé depuis l'aperçu de la série. Vérifiez-le, puis cliquez sur « Réserver »."
                    .to_owned(),
            );
            form_response(
                &state,
                &visitor,
                StatusCode::CONFLICT,
                form,
                fields,
                errors,
                None,
            )
        }
        BookingAsk::Single(draft) => {
            let target = SlotAsked {
                platform_id: draft.platform_id.clone(),
                equipment_id: draft.equipment_id.clone(),
                stations: draft.stations,
                span: draft.span,
            };
            let created = state
                .booking_writer
                .create(BookingRequest { actor: user, draft })
                .await;
            match created {
                Ok(row) => {
                    visitor.finish(redirect(&format!("/reservations/{}?fait=creee", row.id)))
                }
                Err(error) if shown_on_form(&error) => {
                    let errors =
                        refusal_errors(&state, &error, &learner_fields, Some(target)).await;
                    form_response(&state, &visitor, error.status, form, fields, errors, None)
                }
                Err(error) => refused(&visitor, error),
            }
        }
        BookingAsk::Series { draft, rule, mode } => {
            let now = state.now();
            if fields.confirms() {
                let (actor, first, first_rule) = (user.clone(), draft.clone(), rule.clone());
                let created = state
                    .db(move |conn| {
                        series::create_series(conn, &actor, tz, now, first, &first_rule, mode)
                    })
                    .await;
                match created {
                    Ok(details) => {
                        return visitor.finish(redirect(&format!(
                            "/series/{}?fait=creee",
                            details.series.id
                        )))
                    }
                    // The dates changed since the preview: show them again.
                    Err(error)
                        if matches!(
                            error.code,
                            ErrorCode::SeriesConflicts | ErrorCode::SeriesEmpty
                        ) => {}
                    Err(error) if shown_on_form(&error) => {
                        let errors = refusal_errors(&state, &error, &learner_fields, None).await;
                        return form_response(
                            &state,
                            &visitor,
                            error.status,
                            form,
                            fields,
                            errors,
                            None,
                        );
                    }
                    Err(error) => return refused(&visitor, error),
                }
            }
            let actor = user.clone();
            let previewed = state
                .db(move |conn| series::preview_series(conn, &actor, tz, now, &draft, &rule, mode))
                .await;
            match previewed {
                Ok(preview) => {
                    let view = PreviewView::new(&preview, mode, &tz);
                    let (status, errors) = if fields.etape == "confirmer" {
                        let mut errors = FormErrors::default();
                        errors.general.push(
                            "Rien n'a encore été réservé : les dates ou le formulaire ont changé depuis l'aperçu. Vérifiez la liste des dates, puis confirmez."
                                .to_owned(),
                        );
                        (StatusCode::CONFLICT, errors)
                    } else {
                        (StatusCode::OK, FormErrors::default())
                    };
                    form_response(&state, &visitor, status, form, fields, errors, Some(view))
                }
                Err(error) if shown_on_form(&error) => {
                    let errors = refusal_errors(&state, &error, &learner_fields, None).await;
                    form_response(&state, &visitor, error.status, form, fields, errors, None)
                }
                Err(error) => refused(&visitor, error),
            }
        }
    }
}

#[derive(serde::Deserialize)]
struct DoneQuery {
    fait: Option<String>,
}

/// One booking's page, with what a form on it was refused.
pub(super) struct SheetState {
    pub status: StatusCode,
    pub done: Option<String>,
    pub times: Option<TimeFields>,
    pub time_errors: FormErrors,
    /// What was typed in the cancellation's reason, and why it was refused.
    pub cancel: Option<(String, String)>,
}

impl Default for SheetState {
    fn default() -> Self {
        SheetState {
            status: StatusCode::OK,
            done: None,
            times: None,
            time_errors: FormErrors::default(),
            cancel: None,
        }
    }
}

pub(super) async fn sheet_page(
    state: &AppState,
    visitor: &Visitor,
    id: &str,
    shown: SheetState,
) -> HttpResponse {
    let Some(user) = visitor.user().cloned() else {
        return visitor.login_required();
    };
    let Some(id) = page_id(id) else {
        return visitor.not_found();
    };
    let tz = state.timezone;
    let sheet = state
        .db(move |conn| pages::booking_sheet(conn, &user, &id))
        .await;
    match sheet {
        Ok(sheet) => {
            let title = format!("Réservation : {}", sheet.entry.platform);
            let mut page = BookingPage::new(
                visitor.layout(title),
                sheet,
                &tz,
                shown.times,
                shown.time_errors,
            );
            if let Some((reason, error)) = shown.cancel {
                page.line.reason = reason;
                page.line.error = Some(error);
            }
            page.notice = match (shown.done.as_deref(), page.line.pending) {
                (Some("creee"), true) => Some("Votre réservation est enregistrée. Elle est en attente : le plateau appartient à une autre organisation, dont les responsables doivent l'accepter ; vous recevrez un e-mail à leur décision.".to_owned()),
                (Some("creee"), false) => Some("Votre réservation est confirmée.".to_owned()),
                (Some("modifiee"), true) => Some("L'horaire est changé ; la réservation attend de nouveau l'accord des responsables du plateau.".to_owned()),
                (Some("modifiee"), false) => Some("L'horaire est changé.".to_owned()),
                (Some("annulation"), _) => Some("La réservation est annulée.".to_owned()),
                _ => None,
            };
            visitor.page(shown.status, page)
        }
        Err(error) => refused(visitor, error),
    }
}

async fn booking_page(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<String>,
    query: web::Query<DoneQuery>,
) -> HttpResponse {
    let shown = SheetState {
        done: query.into_inner().fait,
        ..SheetState::default()
    };
    sheet_page(&state, &visitor, &id, shown).await
}

/// `PATCH /api/v1/bookings/{id}` with new times: every rule runs again.
async fn change_times(
    state: web::Data<AppState>,
    form: CheckedForm<TimeFields>,
    id: web::Path<String>,
) -> HttpResponse {
    let CheckedForm {
        visitor,
        form: fields,
        ..
    } = form;
    let Some(user) = visitor.user().cloned() else {
        return visitor.login_required();
    };
    let Some(id) = page_id(&id) else {
        return visitor.not_found();
    };
    let tz = state.timezone;
    let change = match fields.change(&tz) {
        Ok(change) => change,
        Err(errors) => {
            let shown = SheetState {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                times: Some(fields),
                time_errors: errors,
                ..SheetState::default()
            };
            return sheet_page(&state, &visitor, &id, shown).await;
        }
    };
    let span = change.span;
    let now = state.now();
    let (actor, target) = (user.clone(), id.clone());
    let changed = state
        .db(move |conn| change::change_booking(conn, &actor, tz, now, &target, change))
        .await;
    match changed {
        Ok(_) => visitor.finish(redirect(&format!("/reservations/{id}?fait=modifiee"))),
        Err(error) if shown_on_form(&error) && error.status != StatusCode::FORBIDDEN => {
            let target = id.clone();
            let booking = state
                .db(move |conn| bookings::find(conn, &user, &target))
                .await
                .ok();
            let slot_of = booking.zip(span).map(|(b, span)| SlotAsked {
                platform_id: Some(b.row.platform_id),
                equipment_id: b.row.equipment_id,
                stations: b.row.stations,
                span,
            });
            let time_errors = refusal_errors(&state, &error, &[], slot_of).await;
            let shown = SheetState {
                status: error.status,
                times: Some(fields),
                time_errors,
                ..SheetState::default()
            };
            sheet_page(&state, &visitor, &id, shown).await
        }
        Err(error) => refused(&visitor, error),
    }
}

async fn series_page(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<String>,
    query: web::Query<DoneQuery>,
) -> HttpResponse {
    let done = query.into_inner().fait;
    let notice = match done.as_deref() {
        Some("creee") => Some(
            "La série est enregistrée ; les dates sautées, s'il y en a, sont listées plus bas."
                .to_owned(),
        ),
        Some("annulation") => Some("Les séances à venir de la série sont annulées.".to_owned()),
        _ => None,
    };
    let created = done.as_deref() == Some("creee");
    series_response(&state, &visitor, &id, StatusCode::OK, notice, None, created).await
}

async fn series_response(
    state: &AppState,
    visitor: &Visitor,
    id: &str,
    status: StatusCode,
    notice: Option<String>,
    refusal: Option<(String, String)>,
    created: bool,
) -> HttpResponse {
    let Some(user) = visitor.user().cloned() else {
        return visitor.login_required();
    };
    let Some(id) = page_id(id) else {
        return visitor.not_found();
    };
    let (tz, now) = (state.timezone, state.now());
    match state
        .db(move |conn| pages::series_sheet(conn, &user, now, &id))
        .await
    {
        Ok(sheet) => {
            let title = format!("Série : {}", sheet.platform);
            let mut page = SeriesPage::new(visitor.layout(title), sheet, &tz);
            page.notice = notice;
            if let Some((reason, error)) = refusal {
                page.reason = reason;
                page.reason_error = Some(error);
            }
            let waiting = page.occurrences.iter().any(|o| o.pending);
            if let (Some(notice), true) = (page.notice.as_mut(), waiting && created) {
                notice.push_str(" Ses séances attendent l'accord des responsables du plateau ; vous recevrez un e-mail à leur décision.");
            }
            visitor.page(status, page)
        }
        Err(error) => refused(visitor, error),
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ReasonFields {
    motif: String,
}

/// `POST /api/v1/booking-series/{id}/cancel` for every occurrence still to come.
async fn cancel_series(
    state: web::Data<AppState>,
    form: CheckedForm<ReasonFields>,
    id: web::Path<String>,
) -> HttpResponse {
    let CheckedForm {
        visitor,
        form: fields,
        ..
    } = form;
    let Some(user) = visitor.user().cloned() else {
        return visitor.login_required();
    };
    let Some(id) = page_id(&id) else {
        return visitor.not_found();
    };
    let body = SeriesCancellation {
        reason: fields.motif.clone(),
        from: None,
    };
    let (from, reason) = match body.draft() {
        Ok(checked) => checked,
        Err(error) => {
            let errors = FormErrors::from_api(&error, &[]);
            let message = errors.of("motif").unwrap_or_else(|| error.detail.clone());
            return series_response(
                &state,
                &visitor,
                &id,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                Some((fields.motif, message)),
                false,
            )
            .await;
        }
    };
    let now = state.now();
    let target = id.clone();
    match state
        .db(move |conn| series::cancel_series(conn, &user, now, &target, from, &reason))
        .await
    {
        Ok(_) => visitor.finish(redirect(&format!("/series/{id}?fait=annulation"))),
        Err(error) => refused(&visitor, error),
    }
}
