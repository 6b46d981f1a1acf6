//! The platform manager's week follow-up, `/plateaux/{id}/suivi?semaine=2027-W10`: the
//! week's sessions, their usage recorded in one form (`POST /api/v1/usage-records`'s use
//! case, all or nothing) and a machine put in maintenance (`POST
//! /api/v1/maintenance-windows`'s). Out of the managers' scope the page is the 404 page.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use uuid::Uuid;

use super::form_key;
use super::visitor::{redirect, CheckedForm, Visitor};
use crate::auth::CurrentUser;
use crate::error::ErrorCode;
use crate::state::AppState;
use crate::usecases::bookings::usage;
use crate::usecases::{closures, usage_pages};
use crate::views::web::format;
use crate::views::web::usage::{
    place_maintenance_errors, session_text, MaintenanceFields, UsageForm, UsagePage,
};
use crate::views::web::week;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/plateaux/{id}/suivi", web::get().to(follow_up))
        .route("/plateaux/{id}/suivi", web::post().to(record_week))
        .route(
            "/plateaux/{id}/suivi/maintenance",
            web::post().to(plan_maintenance),
        );
}

#[derive(serde::Deserialize)]
struct FollowUpQuery {
    semaine: Option<String>,
    enregistrees: Option<String>,
}

/// The caller, the platform and the week asked, or the answer already due (login, 404, a
/// week badly written).
fn asked(
    state: &AppState,
    visitor: &Visitor,
    id: &str,
    week: Option<&str>,
) -> Result<(CurrentUser, String, NaiveDate), Box<HttpResponse>> {
    let Some(user) = visitor.user().cloned() else {
        return Err(Box::new(visitor.login_required()));
    };
    let Ok(id) = Uuid::parse_str(id) else {
        return Err(Box::new(visitor.not_found()));
    };
    let monday = super::monday_of(state, week).map_err(|e| Box::new(visitor.failure(e)))?;
    Ok((user, id.to_string(), monday))
}

/// The week's page as it stands, changed by `adjust` (a notice, a form as typed).
async fn page(
    state: &AppState,
    visitor: &Visitor,
    user: CurrentUser,
    id: String,
    monday: NaiveDate,
    status: StatusCode,
    adjust: impl FnOnce(UsagePage) -> UsagePage,
) -> HttpResponse {
    let tz = state.timezone;
    let window = week::window(monday, &tz);
    let now = state.now();
    match state
        .db(move |conn| usage_pages::usage_week(conn, &user, &id, window))
        .await
    {
        Ok(data) => {
            let title = format!("Suivi de la semaine : {}", data.platform.name);
            let page = UsagePage::new(visitor.layout(title), data, monday, &tz, now);
            visitor.page(status, adjust(page))
        }
        Err(error) => visitor.failure(error),
    }
}

async fn follow_up(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<String>,
    query: web::Query<FollowUpQuery>,
) -> HttpResponse {
    let (user, id, monday) = match asked(&state, &visitor, &id, query.semaine.as_deref()) {
        Ok(asked) => asked,
        Err(response) => return *response,
    };
    let notice = query
        .enregistrees
        .as_deref()
        .and_then(|n| n.parse::<u32>().ok())
        .map(|n| match n {
            0 => "Aucune séance n'a changé : rien n'a été enregistré.".to_owned(),
            1 => "L'usage d'une séance est enregistré.".to_owned(),
            n => format!("L'usage de {n} séances est enregistré."),
        });
    page(
        &state,
        &visitor,
        user,
        id,
        monday,
        StatusCode::OK,
        |mut p| {
            p.notice = notice;
            p
        },
    )
    .await
}

/// The week's usage in one form: every session checked by the API's rules, then written
/// together by `usage::record_many` (all or nothing); a refusal comes back next to its
/// fields with everything typed.
async fn record_week(
    state: web::Data<AppState>,
    form: CheckedForm<Vec<(String, String)>>,
    id: web::Path<String>,
    query: web::Query<FollowUpQuery>,
) -> HttpResponse {
    let CheckedForm { visitor, form, key } = form;
    // Once per form key: « Enregistrer » sent twice records the week once, and the second
    // answer says what the first recorded.
    let shared = state.clone();
    let (id, week) = (id.into_inner(), query.into_inner().semaine);
    form_key::once(&state, visitor, key, move |visitor| {
        record(shared, visitor, form, id, week)
    })
    .await
}

async fn record(
    state: web::Data<AppState>,
    visitor: Visitor,
    form: Vec<(String, String)>,
    id: String,
    week: Option<String>,
) -> HttpResponse {
    let (user, id, monday) = match asked(&state, &visitor, &id, week.as_deref()) {
        Ok(asked) => asked,
        Err(response) => return *response,
    };
    let tz = state.timezone;
    let window = week::window(monday, &tz);
    let now = state.now();
    let (reader, platform) = (user.clone(), id.clone());
    // The sessions as they stand (and who may see them) are what the form is read against.
    let data = match state
        .db(move |conn| usage_pages::usage_week(conn, &reader, &platform, window))
        .await
    {
        Ok(data) => data,
        Err(error) => return visitor.failure(error),
    };
    let mut typed = UsageForm::read(&data, &form, &tz, now);
    let title = format!("Suivi de la semaine : {}", data.platform.name);
    let refuse = |visitor: &Visitor, status, data, typed: &UsageForm| {
        let page = UsagePage::new(visitor.layout(title.clone()), data, monday, &tz, now);
        visitor.page(status, page.with_usage_form(typed))
    };
    if typed.has_errors() {
        return refuse(&visitor, StatusCode::UNPROCESSABLE_ENTITY, data, &typed);
    }
    let done = format!(
        "/plateaux/{id}/suivi?semaine={}&enregistrees=",
        format::iso_week(monday)
    );
    if typed.drafts.is_empty() {
        return visitor.finish(redirect(&format!("{done}0")));
    }
    let drafts = typed.drafts.clone();
    match state
        .db(move |conn| usage::record_many(conn, &user, now, &drafts))
        .await
    {
        Ok(records) => visitor.finish(redirect(&format!("{done}{}", records.len()))),
        Err(error) if error.status.is_client_error() => {
            typed.refused(&error);
            refuse(&visitor, error.status, data, &typed)
        }
        Err(error) => visitor.failure(error),
    }
}

/// A machine put in maintenance (`closures::create_maintenance`): bookings in the way
/// refuse it unless the form asks to cancel them; the page says what was cancelled.
async fn plan_maintenance(
    state: web::Data<AppState>,
    form: CheckedForm<MaintenanceFields>,
    id: web::Path<String>,
    query: web::Query<FollowUpQuery>,
) -> HttpResponse {
    let CheckedForm { visitor, form, .. } = form;
    let (user, id, monday) = match asked(&state, &visitor, &id, query.semaine.as_deref()) {
        Ok(asked) => asked,
        Err(response) => return *response,
    };
    let tz = state.timezone;
    let window = week::window(monday, &tz);
    let now = state.now();
    let (reader, platform) = (user.clone(), id.clone());
    let data = match state
        .db(move |conn| usage_pages::usage_week(conn, &reader, &platform, window))
        .await
    {
        Ok(data) => data,
        Err(error) => return visitor.failure(error),
    };
    let title = format!("Suivi de la semaine : {}", data.platform.name);
    let draft = match form.draft(&data, &tz) {
        Ok(draft) => draft,
        Err(errors) => {
            let page = UsagePage::new(visitor.layout(title), data, monday, &tz, now);
            return visitor.page(
                StatusCode::UNPROCESSABLE_ENTITY,
                page.with_maintenance_form(&form, &errors),
            );
        }
    };
    let (equipment, span, reason) = (
        data.equipment
            .iter()
            .find(|e| e.id == draft.equipment_id)
            .map(|e| e.name.clone())
            .unwrap_or_default(),
        draft.span,
        draft.reason.clone(),
    );
    let actor = user.clone();
    let planned = state
        .db(move |conn| {
            let (_, cancelled) = closures::create_maintenance(conn, &actor, now, tz, draft)?;
            usage_pages::sessions(conn, &actor, &cancelled)
        })
        .await;
    match planned {
        Ok(cancelled) => {
            let moment = |t: i64| {
                format!(
                    "{} à {}",
                    format::long_date(crate::domain::time::local(t, &tz).date_naive()),
                    format::time_of(t, &tz)
                )
            };
            let notice = format!(
                "« {equipment} » est en maintenance du {} au {} ({reason}).{}",
                moment(span.start),
                moment(span.end),
                match cancelled.len() {
                    0 => " Aucune réservation n'a été annulée.".to_owned(),
                    1 => " Une réservation a été annulée et sa personne prévenue :".to_owned(),
                    n =>
                        format!(" {n} réservations ont été annulées et leurs personnes prévenues :"),
                }
            );
            let lines: Vec<String> = cancelled.iter().map(|s| session_text(s, &tz)).collect();
            page(
                &state,
                &visitor,
                user,
                id,
                monday,
                StatusCode::OK,
                |mut p| {
                    p.notice = Some(notice);
                    p.notice_lines = lines;
                    p
                },
            )
            .await
        }
        Err(error) if error.code == ErrorCode::MaintenanceConflicts => {
            let ids: Vec<String> = error
                .extra
                .as_ref()
                .and_then(|e| e["bookings"].as_array())
                .map(|list| {
                    list.iter()
                        .filter_map(|b| b["booking_id"].as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            let actor = user.clone();
            let in_the_way = match state
                .db(move |conn| usage_pages::sessions(conn, &actor, &ids))
                .await
            {
                Ok(found) => found,
                Err(error) => return visitor.failure(error),
            };
            let lines = in_the_way.iter().map(|s| session_text(s, &tz)).collect();
            page(&state, &visitor, user, id, monday, error.status, |p| {
                p.with_maintenance_form(&form, &Default::default())
                    .with_conflicts(lines)
            })
            .await
        }
        Err(error) if error.status.is_client_error() && !error.errors.is_empty() => {
            let mut errors = Default::default();
            place_maintenance_errors(&mut errors, &error.errors);
            page(&state, &visitor, user, id, monday, error.status, |p| {
                p.with_maintenance_form(&form, &errors)
            })
            .await
        }
        Err(error) => visitor.failure(error),
    }
}
