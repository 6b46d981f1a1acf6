//! The account pages: « Mot de passe oublié » and the page of its e-mailed link, the
//! confirmation of an address, the pages where the code of either e-mail is typed, and
//! « Mon compte » (browser sessions, e-mail preferences,
//! password). Each write is the API's own use case, through the same function.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};

use super::visitor::{redirect, CheckedForm, Visitor, SESSION_COOKIE};
use crate::domain::accounts::LinkState;
use crate::domain::notifications::{Locale, NotificationKind};
use crate::error::ApiError;
use crate::state::AppState;
use crate::usecases::password_resets;
use crate::usecases::typed_codes::{self, CodeFrom};
use crate::usecases::{account_pages, accounts, auth as sessions, web_sessions};
use crate::views::users::OwnAccountChanges;
use crate::views::web::account::{
    field_error, mismatch, AccountPage, ConfirmationPage, ForgottenPasswordPage, NewPasswordErrors,
    ResetPasswordPage, TypedCodePage,
};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/mot-de-passe-oublie", web::get().to(forgotten_form))
        .route("/mot-de-passe-oublie", web::post().to(forgotten))
        // Before `{token}`, which "code" would otherwise be taken for.
        .route("/mot-de-passe-oublie/code", web::get().to(reset_code_form))
        .route("/mot-de-passe-oublie/code", web::post().to(reset_code))
        .route("/mot-de-passe-oublie/{token}", web::get().to(reset_form))
        .route("/mot-de-passe-oublie/{token}", web::post().to(reset))
        .route("/confirmation", web::get().to(confirmation_code_form))
        .route("/confirmation", web::post().to(confirmation_code))
        .route("/confirmation/{token}", web::get().to(confirmation_form))
        .route("/confirmation/{token}", web::post().to(confirm))
        .route("/compte", web::get().to(account))
        .route("/compte/courriels", web::post().to(preferences))
        .route("/compte/mot-de-passe", web::post().to(change_password))
        .route(
            "/compte/sessions/fermeture-des-autres",
            web::post().to(end_other_sessions),
        )
        .route(
            "/compte/sessions/{id}/fermeture",
            web::post().to(end_session),
        );
}

/// A refusal the page shows, with its `Retry-After` when it has one.
fn with_retry_after(mut response: HttpResponse, error: &ApiError) -> HttpResponse {
    if let Some(seconds) = error.retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, seconds.into());
    }
    response
}

// « Mot de passe oublié ».

#[derive(serde::Deserialize)]
struct DoneQuery {
    fait: Option<String>,
}

async fn forgotten_form(visitor: Visitor, query: web::Query<DoneQuery>) -> HttpResponse {
    let receipt = (query.fait.as_deref() == Some("demande"))
        .then(|| password_resets::RESET_RECEIPT.to_owned());
    visitor.ok(ForgottenPasswordPage {
        layout: visitor.layout("Mot de passe oublié"),
        email: String::new(),
        error: None,
        receipt,
    })
}

#[derive(serde::Deserialize)]
struct ForgottenForm {
    #[serde(default)]
    email: String,
}

/// `POST /api/v1/public/password-resets`'s use case, with its limit per client address;
/// the same answer whether or not the address has an account.
async fn forgotten(state: web::Data<AppState>, form: CheckedForm<ForgottenForm>) -> HttpResponse {
    let CheckedForm { visitor, form, .. } = form;
    let client = visitor.client_address();
    match password_resets::ask(&state, &client, &form.email).await {
        Ok(()) => visitor.finish(redirect("/mot-de-passe-oublie?fait=demande")),
        Err(error) if error.status.is_client_error() => {
            let message = field_error(&error, "email").unwrap_or_else(|| error.detail.clone());
            let page = visitor.page(
                error.status,
                ForgottenPasswordPage {
                    layout: visitor.layout("Mot de passe oublié"),
                    email: form.email,
                    error: Some(message),
                    receipt: None,
                },
            );
            with_retry_after(page, &error)
        }
        Err(error) => visitor.failure(error),
    }
}

/// The page of a reset link: the form while the link works, why it no longer does
/// otherwise (410 for a link used or expired, 404 for an unknown one).
async fn reset_form(
    state: web::Data<AppState>,
    visitor: Visitor,
    token: web::Path<String>,
) -> HttpResponse {
    let token = token.into_inner();
    let now = state.now();
    let read = token.clone();
    match state
        .db(move |conn| password_resets::link_state(conn, now, &read))
        .await
    {
        Ok(link) => reset_page(&visitor, token, link, NewPasswordErrors::default()),
        Err(error) => visitor.failure(error),
    }
}

fn reset_page(
    visitor: &Visitor,
    token: String,
    link: LinkState,
    errors: NewPasswordErrors,
) -> HttpResponse {
    let status = match link {
        LinkState::Usable if errors.any() => StatusCode::UNPROCESSABLE_ENTITY,
        LinkState::Usable => StatusCode::OK,
        LinkState::Unknown => StatusCode::NOT_FOUND,
        LinkState::Used | LinkState::Expired => StatusCode::GONE,
    };
    visitor.page(
        status,
        ResetPasswordPage {
            layout: visitor.layout("Choisir un nouveau mot de passe"),
            link_error: ResetPasswordPage::link_message(link),
            token,
            errors,
        },
    )
}

#[derive(serde::Deserialize)]
struct NewPasswordForm {
    #[serde(default)]
    mot_de_passe: String,
    #[serde(default)]
    mot_de_passe_bis: String,
}

/// `POST /api/v1/public/password-resets/{token}`'s use case; its refusals next to their
/// field, and on success to the login page, which says so.
async fn reset(
    state: web::Data<AppState>,
    form: CheckedForm<NewPasswordForm>,
    token: web::Path<String>,
) -> HttpResponse {
    let CheckedForm { visitor, form, .. } = form;
    let token = token.into_inner();
    if let Some(again) = mismatch(&form.mot_de_passe, &form.mot_de_passe_bis) {
        let errors = NewPasswordErrors {
            password: None,
            again: Some(again),
        };
        return reset_page(&visitor, token, LinkState::Usable, errors);
    }
    match password_resets::choose(&state, token.clone(), form.mot_de_passe).await {
        // Every session of the account is closed; a browser holding one of them finds it
        // over at its next page, which removes its cookie.
        Ok(()) => visitor.finish(redirect("/connexion?fait=mot-de-passe")),
        Err(error) if error.errors.iter().any(|e| e.field == "token") => {
            // Used or expired meanwhile: say which, as the link's page does.
            let now = state.now();
            let read = token.clone();
            match state
                .db(move |conn| password_resets::link_state(conn, now, &read))
                .await
            {
                Ok(link) => {
                    let link = if link == LinkState::Usable {
                        LinkState::Used
                    } else {
                        link
                    };
                    reset_page(&visitor, token, link, NewPasswordErrors::default())
                }
                Err(error) => visitor.failure(error),
            }
        }
        Err(error) if error.status.is_client_error() => {
            let errors = NewPasswordErrors {
                password: field_error(&error, "password").or_else(|| Some(error.detail.clone())),
                again: None,
            };
            reset_page(&visitor, token, LinkState::Usable, errors)
        }
        Err(error) => visitor.failure(error),
    }
}

// The confirmation of an address.

/// What a confirmation link confirms, and the password to choose: nothing is confirmed
/// on GET (mail scanners follow links), only by the form's POST.
async fn confirmation_form(
    state: web::Data<AppState>,
    visitor: Visitor,
    token: web::Path<String>,
) -> HttpResponse {
    confirmation_page(&state, &visitor, token.into_inner(), None).await
}

async fn confirmation_page(
    state: &AppState,
    visitor: &Visitor,
    token: String,
    errors: Option<NewPasswordErrors>,
) -> HttpResponse {
    let now = state.now();
    let read = token.clone();
    let link = match state
        .db(move |conn| accounts::confirmation_link(conn, now, &read))
        .await
    {
        Ok(link) => link,
        Err(error) => return visitor.failure(error),
    };
    let status = match &link {
        accounts::ConfirmationLink::Usable { .. } if errors.is_some() => {
            StatusCode::UNPROCESSABLE_ENTITY
        }
        accounts::ConfirmationLink::Usable { .. } => StatusCode::OK,
        accounts::ConfirmationLink::Unknown => StatusCode::NOT_FOUND,
        _ => StatusCode::GONE,
    };
    let mut page = ConfirmationPage::new(
        visitor.layout("Confirmer votre compte"),
        token,
        link,
        &state.timezone,
    );
    page.errors = errors.unwrap_or_default();
    visitor.page(status, page)
}

/// `POST /api/v1/public/account-confirmations`'s use case: the address is confirmed and
/// the password set; then to the login page, which says so.
async fn confirm(
    state: web::Data<AppState>,
    form: CheckedForm<NewPasswordForm>,
    token: web::Path<String>,
) -> HttpResponse {
    let CheckedForm { visitor, form, .. } = form;
    let token = token.into_inner();
    if let Some(again) = mismatch(&form.mot_de_passe, &form.mot_de_passe_bis) {
        let errors = NewPasswordErrors {
            password: None,
            again: Some(again),
        };
        return confirmation_page(&state, &visitor, token, Some(errors)).await;
    }
    match accounts::confirm(&state, token.clone(), form.mot_de_passe).await {
        Ok(()) => visitor.finish(redirect("/connexion?fait=confirmation")),
        // Used or expired meanwhile: the page says which.
        Err(error) if error.errors.iter().any(|e| e.field == "token") => {
            confirmation_page(&state, &visitor, token, None).await
        }
        Err(error) if error.status.is_client_error() => {
            let errors = NewPasswordErrors {
                password: field_error(&error, "password").or_else(|| Some(error.detail.clone())),
                again: None,
            };
            confirmation_page(&state, &visitor, token, Some(errors)).await
        }
        Err(error) => visitor.failure(error),
    }
}

// The code of an e-mail, typed.

fn code_title(from: CodeFrom) -> &'static str {
    match from {
        CodeFrom::Confirmation => "Confirmer votre compte avec un code",
        CodeFrom::PasswordReset => "Changer de mot de passe avec un code",
    }
}

async fn confirmation_code_form(visitor: Visitor) -> HttpResponse {
    code_form(&visitor, CodeFrom::Confirmation)
}

async fn reset_code_form(visitor: Visitor) -> HttpResponse {
    code_form(&visitor, CodeFrom::PasswordReset)
}

fn code_form(visitor: &Visitor, from: CodeFrom) -> HttpResponse {
    visitor.ok(TypedCodePage::new(visitor.layout(code_title(from)), from))
}

#[derive(serde::Deserialize)]
struct CodeForm {
    #[serde(default)]
    code: String,
}

async fn confirmation_code(
    state: web::Data<AppState>,
    form: CheckedForm<CodeForm>,
) -> HttpResponse {
    typed_code(&state, form, CodeFrom::Confirmation).await
}

async fn reset_code(state: web::Data<AppState>, form: CheckedForm<CodeForm>) -> HttpResponse {
    typed_code(&state, form, CodeFrom::PasswordReset).await
}

/// A good code leads to its link's page, which goes on as the link would; a refusal is
/// shown next to the field, what was typed kept.
async fn typed_code(state: &AppState, form: CheckedForm<CodeForm>, from: CodeFrom) -> HttpResponse {
    let CheckedForm { visitor, form, .. } = form;
    let client = visitor.client_address();
    match typed_codes::redeem(state, &client, from, &form.code).await {
        Ok(token) => {
            let link = match from {
                CodeFrom::Confirmation => format!("/confirmation/{token}"),
                CodeFrom::PasswordReset => format!("/mot-de-passe-oublie/{token}"),
            };
            visitor.finish(redirect(&link))
        }
        Err(error) if error.status.is_client_error() => {
            let mut page = TypedCodePage::new(visitor.layout(code_title(from)), from);
            page.error = Some(field_error(&error, "code").unwrap_or_else(|| error.detail.clone()));
            page.code = form.code;
            with_retry_after(visitor.page(error.status, page), &error)
        }
        Err(error) => visitor.failure(error),
    }
}

// « Mon compte ».

async fn account(
    state: web::Data<AppState>,
    visitor: Visitor,
    query: web::Query<DoneQuery>,
) -> HttpResponse {
    let notice = match query.fait.as_deref() {
        Some("courriels") => Some("Vos préférences de courriels sont enregistrées."),
        Some("mot-de-passe") => {
            Some("Votre mot de passe est changé ; vos autres sessions sont fermées.")
        }
        Some("session") => Some("La session est fermée."),
        Some("sessions") => Some("Toutes vos autres sessions sont fermées."),
        _ => None,
    };
    account_page(&state, &visitor, StatusCode::OK, |page| {
        page.notice = notice.map(str::to_owned);
    })
    .await
}

/// « Mon compte » with `status`, as `change` leaves it (a refusal next to its field).
async fn account_page(
    state: &AppState,
    visitor: &Visitor,
    status: StatusCode,
    change: impl FnOnce(&mut AccountPage),
) -> HttpResponse {
    let Some(user) = visitor.user().cloned() else {
        return visitor.login_required();
    };
    let now = state.now();
    let current = user.session_id.clone();
    match state
        .db(move |conn| account_pages::overview(conn, &user, now))
        .await
    {
        Ok(overview) => {
            let mut page = AccountPage::new(
                visitor.layout("Mon compte"),
                overview,
                &current,
                &state.timezone,
            );
            change(&mut page);
            visitor.page(status, page)
        }
        Err(error) => visitor.failure(error),
    }
}

/// `PATCH /api/v1/me/notifications`'s use case. The form lists the kinds received (`recu`,
/// once each, checked boxes only) and the language (`langue`); every kind that can be
/// turned off and is not listed is turned off.
async fn preferences(
    state: web::Data<AppState>,
    form: CheckedForm<Vec<(String, String)>>,
) -> HttpResponse {
    let CheckedForm { visitor, form, .. } = form;
    let Some(user) = visitor.user().cloned() else {
        return visitor.login_required();
    };
    let mut received = Vec::new();
    let mut locale = None;
    for (name, value) in &form {
        match name.as_str() {
            "recu" => match NotificationKind::parse(value) {
                Some(kind) => received.push(kind),
                None => return unreadable(&visitor),
            },
            "langue" => match Locale::parse(value) {
                Some(chosen) => locale = Some(chosen),
                None => return unreadable(&visitor),
            },
            _ => {}
        }
    }
    // Account and password messages cannot be turned off: their boxes are not sent.
    let kinds: Vec<(NotificationKind, bool)> = NotificationKind::ALL
        .iter()
        .filter(|k| k.can_be_turned_off())
        .map(|k| (*k, received.contains(k)))
        .collect();
    let now = state.now();
    match state
        .db(move |conn| {
            crate::usecases::outbox::change_preferences(conn, &user, now, locale, &kinds)
        })
        .await
    {
        Ok(_) => visitor.finish(redirect("/compte?fait=courriels#courriels")),
        Err(error) if error.status.is_client_error() => {
            let message = error
                .errors
                .first()
                .and_then(|e| field_error(&error, &e.field))
                .unwrap_or_else(|| error.detail.clone());
            account_page(&state, &visitor, error.status, |page| {
                page.preferences_error = Some(message);
            })
            .await
        }
        Err(error) => visitor.failure(error),
    }
}

/// A form the page never sends (a value no box or option has).
fn unreadable(visitor: &Visitor) -> HttpResponse {
    visitor.failure(ApiError::new(
        crate::error::ErrorCode::BadRequest,
        "Ce formulaire est incomplet : rechargez la page et recommencez.",
    ))
}

#[derive(serde::Deserialize)]
struct PasswordChangeForm {
    #[serde(default)]
    mot_de_passe_actuel: String,
    #[serde(default)]
    mot_de_passe: String,
    #[serde(default)]
    mot_de_passe_bis: String,
}

/// `PATCH /api/v1/me`'s use case for a new password: the current one checked (failures
/// count as failed logins), every other session closed, this one kept.
async fn change_password(
    state: web::Data<AppState>,
    form: CheckedForm<PasswordChangeForm>,
) -> HttpResponse {
    let CheckedForm { visitor, form, .. } = form;
    let Some(user) = visitor.user().cloned() else {
        return visitor.login_required();
    };
    if let Some(again) = mismatch(&form.mot_de_passe, &form.mot_de_passe_bis) {
        return account_page(&state, &visitor, StatusCode::UNPROCESSABLE_ENTITY, |page| {
            page.errors.again = Some(again);
        })
        .await;
    }
    let change = OwnAccountChanges {
        display_name: None,
        new_password: Some(form.mot_de_passe),
        current_password: Some(form.mot_de_passe_actuel),
    }
    .draft();
    let changed = match change {
        Ok(change) => sessions::change_own_account(&state, &user, change).await,
        Err(error) => Err(error),
    };
    match changed {
        Ok(_) => visitor.finish(redirect("/compte?fait=mot-de-passe")),
        Err(error) if error.status.is_client_error() => {
            let current = field_error(&error, "current_password");
            let new = field_error(&error, "new_password");
            let other = (current.is_none() && new.is_none()).then(|| error.detail.clone());
            let response = account_page(&state, &visitor, error.status, |page| {
                page.current_error = current;
                page.errors.password = new;
                page.password_error = other;
            })
            .await;
            with_retry_after(response, &error)
        }
        Err(error) => visitor.failure(error),
    }
}

#[derive(serde::Deserialize)]
struct NoFields {}

/// Ends one of one's browser sessions; another's, or one already over, is the 404 page.
/// Ending this very one logs this browser out.
async fn end_session(
    state: web::Data<AppState>,
    form: CheckedForm<NoFields>,
    id: web::Path<String>,
) -> HttpResponse {
    let visitor = form.visitor;
    let Some(user) = visitor.user().cloned() else {
        return visitor.login_required();
    };
    let id = id.into_inner();
    let own = id == user.session_id;
    let now = state.now();
    match state
        .db(move |conn| web_sessions::revoke(conn, &user, now, &id))
        .await
    {
        Ok(()) if own => {
            let mut response = visitor.finish(redirect("/connexion"));
            let _ = response.add_cookie(&visitor.removal(SESSION_COOKIE));
            response
        }
        Ok(()) => visitor.finish(redirect("/compte?fait=session#sessions")),
        Err(error) => visitor.failure(error),
    }
}

/// Ends every browser session of the account but this one.
async fn end_other_sessions(
    state: web::Data<AppState>,
    form: CheckedForm<NoFields>,
) -> HttpResponse {
    let visitor = form.visitor;
    let Some(user) = visitor.user().cloned() else {
        return visitor.login_required();
    };
    let now = state.now();
    match state
        .db(move |conn| web_sessions::revoke_others(conn, &user, now))
        .await
    {
        Ok(()) => visitor.finish(redirect("/compte?fait=sessions#sessions")),
        Err(error) => visitor.failure(error),
    }
}
