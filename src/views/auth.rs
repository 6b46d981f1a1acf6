use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::users::UserView;
use crate::auth::{ACCESS_TOKEN_SECONDS, REFRESH_TOKEN_SECONDS};
use crate::error::ApiResult;
use crate::usecases::auth::IssuedTokens;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[schema(example = "directeur@demo.plateaux.test")]
    pub email: String,
    pub password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenView {
    /// Short-lived JWT for `Authorization: Bearer …`.
    pub access_token: String,
    #[schema(example = "Bearer")]
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// Single-use token for `/auth/refresh`; each use returns a new one.
    pub refresh_token: String,
    /// Seconds until the refresh token expires.
    pub refresh_expires_in: i64,
    pub user: UserView,
}

impl TokenView {
    pub fn new(tokens: IssuedTokens, tz: &chrono_tz::Tz) -> ApiResult<Self> {
        Ok(TokenView {
            access_token: tokens.access_token,
            token_type: "Bearer".into(),
            expires_in: ACCESS_TOKEN_SECONDS,
            refresh_token: tokens.refresh_token,
            refresh_expires_in: REFRESH_TOKEN_SECONDS,
            user: UserView::new(tokens.account, tz)?,
        })
    }
}
