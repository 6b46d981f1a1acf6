//! The web interface: server-rendered pages in French over the same use cases as the API.
//! Thin handlers: who is browsing (`Visitor`), authorise through `access` (inside the use
//! cases), call one use case, map to a page view (`views::web`).
//!
//! To add a page, follow `catalogue` below: a handler taking a `Visitor` (and, for a POST,
//! a `CheckedForm<T>`, which refuses a form without its CSRF token), `visitor.user()` or
//! `visitor.login_required()`, one use case through `state.db`, errors through
//! `visitor.failure` (404 answers the same page as an unknown path), the page through
//! `visitor.ok`; then its route in `configure`.

pub mod account;
pub mod booking_form;
pub mod bookings;
pub mod form_key;
pub mod indicators;
pub mod requests;
pub mod usage;
pub mod visitor;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use uuid::Uuid;

use crate::db::platforms::PlatformFilter;
use crate::domain::PlatformDomain;
use crate::state::AppState;
use crate::usecases::{auth as sessions, catalogue, web_sessions};
use crate::views::web::{
    assets, format, week, AccessibilityPage, CatalogueFilters, CataloguePage, LoginPage,
    PlatformPage, PortalPage,
};
use visitor::{redirect, CheckedForm, Visitor, PRE_SESSION_COOKIE, SESSION_COOKIE};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(portal))
        .route("/connexion", web::get().to(login_form))
        .route("/connexion", web::post().to(login))
        .route("/deconnexion", web::post().to(logout))
        .route("/plateaux", web::get().to(catalogue_page))
        .route("/plateaux/{id}", web::get().to(platform_page))
        .route("/accessibilite", web::get().to(accessibility))
        .route("/static/{version}/{name}", web::get().to(asset));
    bookings::configure(cfg);
    indicators::configure(cfg);
    usage::configure(cfg);
    account::configure(cfg);
    requests::configure(cfg);
    booking_form::configure(cfg);
}

/// Whether a path is the web interface's rather than the API's or the operations'.
pub fn is_web_path(path: &str) -> bool {
    !(path == "/api"
        || path.starts_with("/api/")
        || matches!(path, "/healthz" | "/readyz" | "/metrics"))
}

/// Middleware: a page's query string whose encoded bytes are not UTF-8 (`?texte=%FF`), or
/// hold a NUL character, is refused with the French error page (400) instead of being read
/// with replacement characters, and so is a page's path holding a NUL (`/plateaux/%00`),
/// which the API's check would answer with a problem document; the API's paths are left to
/// their own checks.
pub async fn refuse_unreadable_query(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    if !is_web_path(req.path()) {
        return next.call(req).await.map(|r| r.map_into_boxed_body());
    }
    let nul_in_path = req.uri().path().as_bytes().windows(3).any(|w| w == b"%00");
    let message = match decoded_query(req.query_string()) {
        _ if nul_in_path => {
            "L'adresse de cette page contient un caractère NUL, qui n'est pas permis : vérifiez le lien."
        }
        Some(bytes) if bytes.contains(&0) => {
            "L'adresse de cette page contient un caractère NUL, qui n'est pas permis : vérifiez le lien."
        }
        Some(bytes) if std::str::from_utf8(&bytes).is_err() => {
            "L'adresse de cette page contient des caractères illisibles (ce n'est pas de l'UTF-8) : vérifiez le lien."
        }
        _ => return next.call(req).await.map(|r| r.map_into_boxed_body()),
    };
    let error = crate::error::ApiError::new(crate::error::ErrorCode::InvalidEncoding, message);
    let response = match Visitor::of(req.request()).await {
        Ok(visitor) => visitor.failure(error),
        Err(error) => visitor::page_error(error).error_response(),
    };
    Ok(req.into_response(response))
}

/// The bytes a query string stands for (`%XX` decoded, `+` as a space); `None` when it
/// has no escape at all, and so is the ASCII it is written in.
fn decoded_query(query: &str) -> Option<Vec<u8>> {
    if !query.contains('%') {
        return None;
    }
    let bytes = query.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    Some(out)
}

/// The 404 page of the paths no route answers.
pub async fn not_found(req: HttpRequest) -> HttpResponse {
    match Visitor::of(&req).await {
        Ok(visitor) => visitor.not_found(),
        Err(error) => visitor::page_error(error).error_response(),
    }
}

async fn portal(state: web::Data<AppState>, visitor: Visitor) -> HttpResponse {
    match state.db(catalogue::portal).await {
        Ok(portal) => visitor.ok(PortalPage::new(
            visitor.layout("Accueil"),
            visitor.user().is_some(),
            portal,
        )),
        Err(error) => visitor.failure(error),
    }
}

#[derive(serde::Deserialize)]
struct LoginQuery {
    suite: Option<String>,
    /// What was just done: `mot-de-passe` (a new password), `confirmation` (an address).
    fait: Option<String>,
}

/// Where to go after logging in: a path of this site only, never another site's address.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.contains('\\')
                && !path.chars().any(char::is_control) =>
        {
            path.to_owned()
        }
        _ => "/plateaux".to_owned(),
    }
}

async fn login_form(visitor: Visitor, query: web::Query<LoginQuery>) -> HttpResponse {
    let next = safe_next(query.suite.as_deref());
    if visitor.user().is_some() {
        return visitor.finish(redirect(&next));
    }
    let notice = match query.fait.as_deref() {
        Some("mot-de-passe") => Some("Votre mot de passe est changé : connectez-vous avec le nouveau. Toutes les sessions de votre compte ont été fermées."),
        Some("confirmation") => Some("Votre adresse est confirmée : connectez-vous avec le mot de passe choisi."),
        _ => None,
    };
    visitor.ok(LoginPage {
        layout: visitor.layout("Se connecter"),
        email: String::new(),
        next,
        error: None,
        notice: notice.map(str::to_owned),
    })
}

#[derive(serde::Deserialize)]
struct LoginForm {
    email: String,
    password: String,
    suite: Option<String>,
}

/// The same check as `POST /api/v1/auth/login` (limits, password gate), then a browser
/// session with a new id.
async fn login(state: web::Data<AppState>, form: CheckedForm<LoginForm>) -> HttpResponse {
    let CheckedForm { visitor, form, .. } = form;
    let next = safe_next(form.suite.as_deref());
    let client = visitor.client_address();
    let user = match sessions::authenticate(&state, &client, &form.email, form.password).await {
        Ok(user) => user,
        Err(error) if error.status.is_client_error() => {
            let retry_after = error.retry_after;
            let mut response = visitor.page(
                error.status,
                LoginPage {
                    layout: visitor.layout("Se connecter"),
                    email: form.email,
                    next,
                    error: Some(error.detail.clone()),
                    notice: None,
                },
            );
            if let Some(seconds) = retry_after {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, seconds.into());
            }
            return response;
        }
        Err(error) => return visitor.failure(error),
    };
    let previous = visitor.session_cookie().map(str::to_owned);
    let agent = visitor.user_agent();
    let now = state.now();
    let opened = state
        .db(move |conn| web_sessions::open(conn, now, &user, previous.as_deref(), agent.as_deref()))
        .await;
    match opened {
        Ok(cookie) => {
            let mut response = visitor.finish(redirect(&next));
            let _ = response.add_cookie(&visitor.cookie(SESSION_COOKIE, cookie));
            let _ = response.add_cookie(&visitor.removal(PRE_SESSION_COOKIE));
            response
        }
        Err(error) => visitor.failure(error),
    }
}

#[derive(serde::Deserialize)]
struct NoFields {}

async fn logout(state: web::Data<AppState>, form: CheckedForm<NoFields>) -> HttpResponse {
    let visitor = form.visitor;
    if let Some(cookie) = visitor.session_cookie().map(str::to_owned) {
        let now = state.now();
        if let Err(error) = state
            .db(move |conn| web_sessions::close(conn, now, &cookie))
            .await
        {
            return visitor.failure(error);
        }
    }
    let mut response = visitor.finish(redirect("/"));
    let _ = response.add_cookie(&visitor.removal(SESSION_COOKIE));
    response
}

#[derive(serde::Deserialize)]
struct CatalogueQuery {
    campus: Option<String>,
    membre: Option<String>,
    domaine: Option<String>,
    texte: Option<String>,
}

/// An identifier typed in a filter: an unknown or malformed one matches nothing.
fn id_filter(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| Uuid::parse_str(v).map_or_else(|_| "-".to_owned(), |id| id.to_string()))
}

async fn catalogue_page(
    state: web::Data<AppState>,
    visitor: Visitor,
    query: web::Query<CatalogueQuery>,
) -> HttpResponse {
    let Some(user) = visitor.user().cloned() else {
        return visitor.login_required();
    };
    let query = query.into_inner();
    let domain = query
        .domaine
        .as_deref()
        .unwrap_or_default()
        .trim()
        .to_owned();
    let filter = PlatformFilter {
        campus_id: id_filter(&query.campus),
        owner_organisation_id: id_filter(&query.membre),
        // An unknown domain matches nothing, as any filter would.
        domain: (!domain.is_empty()).then(|| {
            PlatformDomain::parse(&domain).map_or_else(|| "-".to_owned(), |d| d.as_str().to_owned())
        }),
        name_contains: query
            .texte
            .as_deref()
            .map(|t| t.trim().replace('\0', ""))
            .filter(|t| !t.is_empty()),
    };
    let filters = CatalogueFilters {
        campus: query.campus.unwrap_or_default(),
        member: query.membre.unwrap_or_default(),
        domain,
        text: query.texte.unwrap_or_default(),
    };
    match state
        .db(move |conn| catalogue::catalogue(conn, &user, &filter))
        .await
    {
        Ok(found) => visitor.ok(CataloguePage::new(
            visitor.layout("Catalogue des plateaux"),
            filters,
            found,
        )),
        Err(error) => visitor.failure(error),
    }
}

#[derive(serde::Deserialize)]
struct WeekQuery {
    semaine: Option<String>,
}

/// The Monday of the week asked (`2027-W10`), this week's when none is.
pub(crate) fn monday_of(
    state: &AppState,
    week: Option<&str>,
) -> Result<chrono::NaiveDate, crate::error::ApiError> {
    match week.filter(|s| !s.is_empty()) {
        None => {
            let today = state.today();
            Ok(today
                - chrono::Duration::days(i64::from(
                    chrono::Datelike::weekday(&today).num_days_from_monday(),
                )))
        }
        Some(text) => format::parse_iso_week(text).ok_or_else(|| {
            crate::error::ApiError::new(
                crate::error::ErrorCode::InvalidQuery,
                "La semaine s'écrit année-Wnuméro, par exemple 2027-W10, avec une année de 1000 à 9998.",
            )
        }),
    }
}

async fn platform_page(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<String>,
    query: web::Query<WeekQuery>,
) -> HttpResponse {
    let Some(user) = visitor.user().cloned() else {
        return visitor.login_required();
    };
    let Ok(id) = Uuid::parse_str(&id) else {
        return visitor.not_found();
    };
    let tz = state.timezone;
    let monday = match monday_of(&state, query.semaine.as_deref()) {
        Ok(monday) => monday,
        Err(error) => return visitor.failure(error),
    };
    let window = week::window(monday, &tz);
    let sees_bookings = crate::access::booking_visibility(&user).is_ok();
    let id = id.to_string();
    let now = state.now();
    match state
        .db(move |conn| catalogue::platform_week(conn, &user, tz, now, &id, window))
        .await
    {
        Ok(data) => {
            let title = data.platform.row.name.clone();
            visitor.ok(PlatformPage::new(
                visitor.layout(title),
                data,
                monday,
                &tz,
                sees_bookings,
            ))
        }
        Err(error) => visitor.failure(error),
    }
}

async fn accessibility(visitor: Visitor) -> HttpResponse {
    visitor.ok(AccessibilityPage {
        layout: visitor.layout("Déclaration d'accessibilité"),
    })
}

/// An embedded file, kept a year by browsers: its path changes with its content.
async fn asset(req: HttpRequest, path: web::Path<(String, String)>) -> HttpResponse {
    let (version, name) = path.into_inner();
    match assets::find(&version, &name) {
        Some(asset) => HttpResponse::Ok()
            .content_type(asset.content_type)
            .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
            .body(asset.bytes),
        None => not_found(req).await,
    }
}
