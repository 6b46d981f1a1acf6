//! Who is browsing: the browser session of the cookie, if open, and the CSRF token its forms
//! carry; how a page is answered (status, headers, cookies); the checked forms.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::http::{header, StatusCode};
use actix_web::{web, FromRequest, HttpRequest, HttpResponse, Responder};
use askama::Template;

use super::form_key::FormKey;
use crate::auth::{CurrentUser, TokenKeys};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::usecases::web_sessions::{self, WebCaller};
use crate::views::web::{ErrorPage, Layout, NotFoundPage};

/// The cookie of a browser session: a random id, HttpOnly, SameSite=Lax.
pub const SESSION_COOKIE: &str = "plateaux_session";
/// Before logging in: a random value the login form's CSRF token is bound to.
pub const PRE_SESSION_COOKIE: &str = "plateaux_avant";

/// Strict: scripts and styles from the service's own files only, no inline ones.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

pub struct Visitor {
    pub caller: Option<WebCaller>,
    /// The token every POST form of the page carries: `csrf_secret` under a mask of this
    /// response's own (`mask_token`).
    pub csrf: String,
    /// What the forms' tokens unmask to: derived from the session (or pre-session) cookie.
    csrf_secret: String,
    req: HttpRequest,
    session_cookie: Option<String>,
    /// A session cookie whose session is over: removed with the answer.
    stale_session: bool,
    /// A pre-session cookie to set with the answer.
    new_pre_session: Option<String>,
}

impl Visitor {
    pub async fn of(req: &HttpRequest) -> ApiResult<Visitor> {
        let state = req
            .app_data::<web::Data<AppState>>()
            .cloned()
            .ok_or_else(|| ApiError::internal("application state missing"))?;
        let keys = req
            .app_data::<web::Data<TokenKeys>>()
            .cloned()
            .ok_or_else(|| ApiError::internal("token keys are not configured"))?;
        let session_cookie = req
            .cookie(SESSION_COOKIE)
            .map(|c| c.value().to_owned())
            .filter(|v| !v.is_empty());
        let caller = match session_cookie.clone() {
            Some(cookie) => {
                let now = state.now();
                state
                    .db(move |conn| web_sessions::find(conn, now, &cookie))
                    .await?
            }
            None => None,
        };
        let mut visitor = Visitor {
            caller: None,
            csrf: String::new(),
            csrf_secret: String::new(),
            req: req.clone(),
            stale_session: session_cookie.is_some() && caller.is_none(),
            session_cookie: None,
            new_pre_session: None,
        };
        if let Some(caller) = caller {
            let cookie = session_cookie.expect("a session comes from its cookie");
            visitor.csrf_secret = keys.csrf_token(&cookie);
            visitor.caller = Some(caller);
            visitor.session_cookie = Some(cookie);
        } else {
            let pre = req
                .cookie(PRE_SESSION_COOKIE)
                .map(|c| c.value().to_owned())
                .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()));
            let pre = match pre {
                Some(pre) => pre,
                None => {
                    let fresh = crate::auth::random_token();
                    visitor.new_pre_session = Some(fresh.clone());
                    fresh
                }
            };
            visitor.csrf_secret = keys.csrf_token(&pre);
        }
        visitor.csrf = mask_token(&visitor.csrf_secret);
        Ok(visitor)
    }

    pub fn user(&self) -> Option<&CurrentUser> {
        self.caller.as_ref().map(|c| &c.user)
    }

    /// The session cookie's value, when a session is open.
    pub fn session_cookie(&self) -> Option<&str> {
        self.session_cookie.as_deref()
    }

    pub fn path(&self) -> &str {
        self.req.path()
    }

    /// The browser's `User-Agent` header, when it is readable text.
    pub fn user_agent(&self) -> Option<String> {
        self.req
            .headers()
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }

    pub fn client_address(&self) -> String {
        super::super::client_address(&self.req)
    }

    pub fn layout(&self, title: impl Into<String>) -> Layout {
        Layout::new(title, self.req.path(), self.caller.as_ref(), &self.csrf)
    }

    fn secure(&self) -> bool {
        self.req
            .app_data::<web::Data<AppState>>()
            .is_some_and(|s| s.secure_cookies)
    }

    pub fn cookie(&self, name: &'static str, value: String) -> Cookie<'static> {
        let mut cookie = Cookie::build(name, value)
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(self.secure())
            .finish();
        if name == SESSION_COOKIE {
            cookie.set_max_age(actix_web::cookie::time::Duration::seconds(
                web_sessions::SESSION_SECONDS,
            ));
        }
        cookie
    }

    pub fn removal(&self, name: &'static str) -> Cookie<'static> {
        let mut cookie = self.cookie(name, String::new());
        cookie.make_removal();
        cookie
    }

    /// The headers every page gets: its security policy, no caching (pages carry CSRF
    /// tokens and personal data), and the cookies to set or remove.
    pub fn finish(&self, mut response: HttpResponse) -> HttpResponse {
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            header::HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        );
        headers.insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static("no-store"),
        );
        headers.insert(
            header::REFERRER_POLICY,
            header::HeaderValue::from_static("same-origin"),
        );
        headers.insert(
            header::X_FRAME_OPTIONS,
            header::HeaderValue::from_static("DENY"),
        );
        if let Some(pre) = &self.new_pre_session {
            let _ = response.add_cookie(&self.cookie(PRE_SESSION_COOKIE, pre.clone()));
        }
        if self.stale_session {
            let _ = response.add_cookie(&self.removal(SESSION_COOKIE));
        }
        response
    }

    /// A page with its status.
    pub fn page(&self, status: StatusCode, page: impl Template + Responder) -> HttpResponse {
        let response = page
            .customize()
            .with_status(status)
            .respond_to(&self.req)
            .map_into_boxed_body();
        self.finish(response)
    }

    pub fn ok(&self, page: impl Template + Responder) -> HttpResponse {
        self.page(StatusCode::OK, page)
    }

    /// The same page for what does not exist and what is out of one's scope.
    pub fn not_found(&self) -> HttpResponse {
        self.page(
            StatusCode::NOT_FOUND,
            NotFoundPage {
                layout: self.layout("Page introuvable"),
            },
        )
    }

    /// A refusal or failure as a page: 404 as `not_found`, others with their French
    /// message (a failure of the service itself says nothing of its cause).
    pub fn failure(&self, error: ApiError) -> HttpResponse {
        if error.status == StatusCode::NOT_FOUND {
            return self.not_found();
        }
        // Logged as the API logs it.
        let _ = actix_web::ResponseError::error_response(&error);
        let message = if error.status.is_server_error() {
            "Le service n'a pas pu répondre. Réessayez dans un instant.".to_owned()
        } else {
            error.detail.clone()
        };
        self.page(
            error.status,
            ErrorPage {
                layout: self.layout(error.code.title()),
                message,
            },
        )
    }

    /// A page that needs an account, asked without one: to the login page, and back.
    pub fn login_required(&self) -> HttpResponse {
        let target = match self.req.query_string() {
            "" => self.req.path().to_owned(),
            query => format!("{}?{query}", self.req.path()),
        };
        let location = format!(
            "/connexion?suite={}",
            url::form_urlencoded::byte_serialize(target.as_bytes()).collect::<String>()
        );
        self.finish(redirect(&location))
    }
}

/// 303 See Other: after a form, the browser GETs the next page.
pub fn redirect(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location.to_owned()))
        .finish()
}

impl FromRequest for Visitor {
    type Error = actix_web::Error;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { Visitor::of(&req).await.map_err(page_error) })
    }
}

/// A failure before the visitor is known (the database unreachable): a bare page.
pub fn page_error(error: ApiError) -> actix_web::Error {
    let response = bare_page(
        error.status,
        error.code.title(),
        "Le service n'a pas pu répondre. Réessayez dans un instant.",
    );
    actix_web::error::InternalError::from_response(error.detail.clone(), response).into()
}

/// The error page without the visitor's navigation, for refusals made before any handler
/// runs and without the database (a malformed query string).
pub fn bare_page(status: StatusCode, title: &str, message: &str) -> HttpResponse {
    let page = ErrorPage {
        layout: Layout::new(title, "", None, ""),
        message: message.to_owned(),
    };
    let body = page.render().unwrap_or_default();
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
}

/// A POST form whose CSRF token (field `csrf`) is the visitor's: any other, or none, is
/// refused with 403 before the handler runs. Every state-changing web request takes its
/// form through this.
pub struct CheckedForm<T> {
    pub visitor: Visitor,
    pub form: T,
    /// The form's one-time key, when it carries one (`form_key`).
    pub key: Option<FormKey>,
}

#[derive(serde::Deserialize)]
struct CsrfField {
    csrf: Option<String>,
}

/// Forms are small; past this the request is refused.
const FORM_LIMIT: usize = 64 * 1024;

impl<T: serde::de::DeserializeOwned + 'static> FromRequest for CheckedForm<T> {
    type Error = actix_web::Error;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let body = web::Bytes::from_request(&req, payload);
        Box::pin(async move {
            let visitor = Visitor::of(&req).await.map_err(page_error)?;
            let refuse = |visitor: &Visitor, status: StatusCode, message: &str| {
                let response = visitor.page(
                    status,
                    ErrorPage {
                        layout: visitor.layout("Formulaire refusé"),
                        message: message.to_owned(),
                    },
                );
                actix_web::error::InternalError::from_response(message.to_owned(), response).into()
            };
            let body = match body.await {
                Ok(body) if body.len() <= FORM_LIMIT => body,
                _ => {
                    return Err(refuse(
                        &visitor,
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "Ce formulaire est trop volumineux.",
                    ))
                }
            };
            let token = serde_urlencoded::from_bytes::<CsrfField>(&body)
                .ok()
                .and_then(|f| f.csrf);
            let unmasked = token.as_deref().and_then(unmask_token);
            if !unmasked
                .is_some_and(|t| constant_time_eq(t.as_bytes(), visitor.csrf_secret.as_bytes()))
            {
                return Err(refuse(
                    &visitor,
                    StatusCode::FORBIDDEN,
                    "Ce formulaire a expiré ou ne vient pas de ce site : rechargez la page et recommencez.",
                ));
            }
            match serde_urlencoded::from_bytes::<T>(&body) {
                Ok(form) => {
                    let key = FormKey::of(&req.uri().to_string(), &body);
                    Ok(CheckedForm { visitor, form, key })
                }
                Err(_) => Err(refuse(
                    &visitor,
                    StatusCode::BAD_REQUEST,
                    "Ce formulaire est incomplet : rechargez la page et recommencez.",
                )),
            }
        })
    }
}

/// The CSRF secret (64 hex digits) under a fresh random mask: the mask, then the secret
/// XOR the mask, in hex. Pages are compressed, and a page that reflects what a visitor
/// typed beside an unchanging secret would let an attacker guess it from the compressed
/// lengths (BREACH); masked, the token differs at every response and each copy unmasks to
/// the same secret.
fn mask_token(secret: &str) -> String {
    let secret = hex::decode(secret).unwrap_or_default();
    let mask = hex::decode(crate::auth::random_token()).unwrap_or_default();
    let masked: Vec<u8> = secret.iter().zip(&mask).map(|(s, m)| s ^ m).collect();
    format!("{}{}", hex::encode(&mask), hex::encode(masked))
}

/// The secret a masked token carries; `None` for anything that is not a masked token.
fn unmask_token(token: &str) -> Option<String> {
    let bytes = hex::decode(token).ok().filter(|b| b.len() == 64)?;
    let (mask, masked) = bytes.split_at(32);
    Some(hex::encode(
        mask.iter()
            .zip(masked)
            .map(|(m, x)| m ^ x)
            .collect::<Vec<u8>>(),
    ))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
