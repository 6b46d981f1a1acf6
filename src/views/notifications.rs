//! E-mail notifications on the wire: preferences, the administrators' view of the outbox,
//! password resets.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::domain::notifications::{Locale, MessageState, NotificationKind};

/// One kind of e-mail and whether the caller receives it.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationKindSetting {
    pub kind: NotificationKind,
    /// What it is, in French.
    pub label: String,
    pub enabled: bool,
    /// False for account and password messages, which always go out.
    pub can_be_turned_off: bool,
}

/// Which e-mails the caller receives, and in which language.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationPreferencesView {
    /// The language of the caller's e-mails: `fr` (default) or `en`.
    pub locale: Locale,
    /// Every kind of e-mail, including those the service does not send yet.
    pub kinds: Vec<NotificationKindSetting>,
}

/// A kind to turn on or off.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotificationKindChange {
    pub kind: NotificationKind,
    pub enabled: bool,
}

/// Changes to the caller's e-mail settings; what is not named stays as it is.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotificationPreferencesChanges {
    pub locale: Option<Locale>,
    /// Kinds to turn on or off (`account_confirmation` and `password_reset` cannot be
    /// turned off).
    #[serde(default)]
    pub kinds: Vec<NotificationKindChange>,
}

/// A message of the outbox. Its content is not shown: it may carry a confirmation or
/// reset link, and is forgotten once sent.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationView {
    pub id: String,
    pub kind: NotificationKind,
    pub state: MessageState,
    /// The address it was queued for.
    pub recipient: String,
    /// The account it is for.
    pub user_id: Option<String>,
    pub locale: Locale,
    pub subject: String,
    /// Attempts to send it so far (a dead message put back in the queue starts again at 0).
    pub attempts: i32,
    /// The error of the latest failed attempt.
    pub last_error: Option<String>,
    /// When it is tried next (queued and failed messages).
    pub next_attempt_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub sent_at: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotificationQuery {
    pub state: Option<MessageState>,
    pub kind: Option<NotificationKind>,
    /// The account the messages are for.
    pub user_id: Option<uuid::Uuid>,
    /// Part of the recipient's address (a text longer than any address matches nothing).
    pub recipient: Option<String>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    #[param(pattern = "^([0-9a-fA-F]{32})?$")]
    pub cursor: Option<String>,
}

/// Asks for a password reset link.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetRequest {
    #[schema(
        max_length = 254,
        pattern = "^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)+$"
    )]
    pub email: String,
}

/// The new password chosen through a reset link.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPassword {
    /// At least 12 characters.
    #[schema(min_length = 12, max_length = 256)]
    pub password: String,
}

/// A confirmation e-mail queued again.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConfirmationSentView {
    /// The new confirmation (the earlier ones of the account stop working).
    pub confirmation_id: String,
    pub user_id: String,
    /// Where the e-mail goes.
    pub email: String,
    pub expires_at: String,
}
