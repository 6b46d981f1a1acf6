//! Passwords, access tokens (JWT) and the authenticated caller.

use actix_web::{dev::Payload, http::header, web, FromRequest, HttpRequest};
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::db;
use crate::domain::Role;
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

/// Lifetime of an access token; refresh tokens renew it.
pub const ACCESS_TOKEN_SECONDS: i64 = 15 * 60;
/// How late an access token is still taken, for clocks slightly apart.
const TOKEN_LEEWAY_SECONDS: i64 = 5;
/// Lifetime of a refresh token (rotated at each use).
pub const REFRESH_TOKEN_SECONDS: i64 = 30 * 24 * 3600;

pub fn hash_password(password: &str) -> Result<String, ApiError> {
    let salt = SaltString::generate(&mut OsRng);
    let password = password.to_owned();
    crate::passwords::argon2_slot(move || {
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
    })
    .map_err(|e| ApiError::internal(format!("password hashing failed: {e}")))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    let (password, hash) = (password.to_owned(), hash.to_owned());
    crate::passwords::argon2_slot(move || {
        PasswordHash::new(&hash).is_ok_and(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
    })
}

/// How long an invitation or a sign-up confirmation token stays valid.
pub const CONFIRMATION_SECONDS: i64 = 7 * 86_400;

/// A password hash that matches nothing, for accounts whose owner has not chosen one yet.
/// It is a real Argon2 hash so that logging in to such an account takes the usual time.
pub fn unusable_password_hash() -> Result<String, ApiError> {
    hash_password(&random_token())
}

/// Spends the time of a real verification, so that an unknown e-mail answers as slowly as a
/// known one with a wrong password.
pub fn verify_against_nothing(password: &str) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let hash = DUMMY.get_or_init(|| hash_password("plateaux-dummy-password").unwrap_or_default());
    let _ = verify_password(password, hash);
}

/// 256 random bits, hex-encoded: refresh tokens, calendar tokens, generated secrets.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Secrets are stored only as their SHA-256, so a database leak does not leak them.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    role: Role,
    org: String,
    /// The session (refresh-token family) the token belongs to: closing the session ends
    /// its access tokens at once, not 15 minutes later.
    sid: String,
    iat: i64,
    exp: i64,
}

/// Signs and checks access tokens.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    /// Keys the web forms' CSRF tokens (`csrf_token`), derived from the same secret.
    csrf_key: [u8; 32],
}

impl TokenKeys {
    pub fn new(secret: &str) -> Self {
        TokenKeys {
            encoding: EncodingKey::from_secret(secret.as_bytes()),
            decoding: DecodingKey::from_secret(secret.as_bytes()),
            csrf_key: Sha256::new()
                .chain_update(b"plateaux-csrf\0")
                .chain_update(secret.as_bytes())
                .finalize()
                .into(),
        }
    }

    /// The CSRF token of the web forms of a browser: bound to its session cookie (or, before
    /// logging in, to its pre-session cookie), both HttpOnly, and keyed by the service's
    /// secret, so that another site can neither read nor compute it. The key has a fixed
    /// length and cookie values are hexadecimal, so that no length extension of the hash
    /// yields another cookie's token.
    pub fn csrf_token(&self, cookie_value: &str) -> String {
        hex::encode(
            Sha256::new()
                .chain_update(self.csrf_key)
                .chain_update(cookie_value.as_bytes())
                .finalize(),
        )
    }

    pub fn issue(&self, user: &CurrentUser, now: i64) -> Result<String, ApiError> {
        let claims = Claims {
            sub: user.id.clone(),
            role: user.role,
            org: user.organisation_id.clone(),
            sid: user.session_id.clone(),
            iat: now,
            exp: now + ACCESS_TOKEN_SECONDS,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| ApiError::internal(format!("token signing failed: {e}")))
    }

    /// Checks the signature and the expiry at `now` (the state's clock) only; `CurrentUser`
    /// also checks the account and the session in the database.
    pub fn verify(&self, token: &str, now: i64) -> Result<CurrentUser, ApiError> {
        let mut validation = Validation::new(Algorithm::HS256);
        // The expiry is checked below against the service's clock, not the library's.
        validation.validate_exp = false;
        let data =
            jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation).map_err(|_| {
                ApiError::unauthenticated("Le jeton d'accès est invalide : reconnectez-vous.")
            })?;
        if data.claims.exp + TOKEN_LEEWAY_SECONDS < now {
            return Err(ApiError::unauthenticated(
                "Le jeton d'accès a expiré : renouvelez-le avec /api/v1/auth/refresh.",
            ));
        }
        Ok(CurrentUser {
            id: data.claims.sub,
            role: data.claims.role,
            organisation_id: data.claims.org,
            session_id: data.claims.sid,
            awaiting_approval: false,
        })
    }
}

/// The caller of a request: its bearer token, checked against the account and the session
/// as they stand now.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub id: String,
    pub role: Role,
    pub organisation_id: String,
    /// The session (refresh-token family) of the access token.
    pub session_id: String,
    /// A company contact not yet approved: sees only their own service requests.
    pub awaiting_approval: bool,
}

impl CurrentUser {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

pub fn bearer_token(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

fn session_closed() -> ApiError {
    ApiError::new(ErrorCode::SessionClosed,
        "Cette session est fermée (déconnexion, mot de passe changé, compte désactivé ou modifié) : reconnectez-vous.",
    )
}

impl FromRequest for CurrentUser {
    type Error = ApiError;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let claimed = (|| {
            let keys = req
                .app_data::<web::Data<TokenKeys>>()
                .ok_or_else(|| ApiError::internal("token keys are not configured"))?;
            let token = bearer_token(req).ok_or_else(|| {
                ApiError::unauthenticated("En-tête « Authorization: Bearer <jeton> » attendu : connectez-vous avec /api/v1/auth/login.")
            })?;
            let now = state
                .as_ref()
                .ok_or_else(|| ApiError::internal("application state missing"))?
                .now();
            keys.verify(token, now)
        })();
        let path = req.path().to_owned();
        Box::pin(async move {
            let mut user = claimed?;
            let state = state.ok_or_else(|| ApiError::internal("application state missing"))?;
            let standing = match db::standing::recalled(&user.id, &user.session_id) {
                Some(standing) => standing,
                None => {
                    let (id, sid) = (user.id.clone(), user.session_id.clone());
                    let read_at = std::time::Instant::now();
                    let standing = state
                        .db(move |conn| db::users::standing(conn, &id, &sid))
                        .await?
                        .ok_or_else(|| ApiError::unauthenticated("Ce compte n'existe plus."))?;
                    db::standing::remember(&user.id, &user.session_id, read_at, &standing);
                    standing
                }
            };
            if !standing.active || !standing.session_open {
                return Err(session_closed());
            }
            user.role = Role::from_db(&standing.role)?;
            user.organisation_id = standing.organisation_id;
            user.awaiting_approval = standing.awaiting_approval;
            if user.awaiting_approval && !crate::access::open_to_contacts_awaiting_approval(&path) {
                return Err(ApiError::approval_pending(
                    "Votre compte attend l'accord d'un contact de votre entreprise ou de l'équipe du campus : d'ici là, vous ne voyez que vos propres demandes.",
                ));
            }
            Ok(user)
        })
    }
}
