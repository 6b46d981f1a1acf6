//! Passwords, access tokens (JWT) and the authenticated caller.

use std::future::{ready, Ready};

use actix_web::{dev::Payload, http::header, web, FromRequest, HttpRequest};
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::domain::Role;
use crate::error::ApiError;

/// Lifetime of an access token; refresh tokens renew it.
pub const ACCESS_TOKEN_SECONDS: i64 = 15 * 60;
/// Lifetime of a refresh token (rotated at each use).
pub const REFRESH_TOKEN_SECONDS: i64 = 30 * 24 * 3600;

pub fn hash_password(password: &str) -> Result<String, ApiError> {
    let salt = SaltString::generate(&mut OsRng);
    crate::passwords::argon2_slot(|| Argon2::default().hash_password(password.as_bytes(), &salt))
        .map(|h| h.to_string())
        .map_err(|e| ApiError::internal(format!("password hashing failed: {e}")))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            crate::passwords::argon2_slot(|| {
                Argon2::default().verify_password(password.as_bytes(), &parsed)
            })
            .is_ok()
        })
        .unwrap_or(false)
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
    iat: i64,
    exp: i64,
}

/// Signs and checks access tokens.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl TokenKeys {
    pub fn new(secret: &str) -> Self {
        TokenKeys {
            encoding: EncodingKey::from_secret(secret.as_bytes()),
            decoding: DecodingKey::from_secret(secret.as_bytes()),
        }
    }

    pub fn issue(&self, user: &CurrentUser, now: i64) -> Result<String, ApiError> {
        let claims = Claims {
            sub: user.id.clone(),
            role: user.role,
            org: user.organisation_id.clone(),
            iat: now,
            exp: now + ACCESS_TOKEN_SECONDS,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| ApiError::internal(format!("token signing failed: {e}")))
    }

    pub fn verify(&self, token: &str) -> Result<CurrentUser, ApiError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation).map_err(
            |e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => ApiError::unauthenticated(
                    "Le jeton d'accès a expiré : renouvelez-le avec /api/v1/auth/refresh.",
                ),
                _ => ApiError::unauthenticated("Le jeton d'accès est invalide : reconnectez-vous."),
            },
        )?;
        Ok(CurrentUser {
            id: data.claims.sub,
            role: data.claims.role,
            organisation_id: data.claims.org,
        })
    }
}

/// The caller of a request, from its bearer token.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub id: String,
    pub role: Role,
    pub organisation_id: String,
}

impl CurrentUser {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// Refuses the action unless the caller has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "Le rôle « {} » ne permet pas cette action.",
                self.role
            )))
        }
    }
}

pub fn bearer_token(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

impl FromRequest for CurrentUser {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let result = (|| {
            let keys = req
                .app_data::<web::Data<TokenKeys>>()
                .ok_or_else(|| ApiError::internal("token keys are not configured"))?;
            let token = bearer_token(req).ok_or_else(|| {
                ApiError::unauthenticated("En-tête « Authorization: Bearer <jeton> » attendu : connectez-vous avec /api/v1/auth/login.")
            })?;
            keys.verify(token)
        })();
        ready(result)
    }
}
