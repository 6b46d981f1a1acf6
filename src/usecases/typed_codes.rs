//! The codes of the confirmation and reset e-mails typed on a page, for people whose mail
//! program breaks the link or who read the mail on another device: the code is the link's
//! token, so a good one leads to the link's own page, which does the rest.

use crate::domain::accounts::{read_typed_code, LinkState};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::usecases::rate_limits::Scope;
use crate::usecases::{accounts, password_resets};

/// Which e-mail the code comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeFrom {
    /// The confirmation of a new account's address.
    Confirmation,
    /// A password reset.
    PasswordReset,
}

fn refused(code: &str, message: &str) -> ApiError {
    ApiError::field("code", code, message)
}

/// The token of a code typed by `client` (spaces, line breaks, dashes and letter case
/// as the e-mail may have come through), while its link still works; counted against the
/// public forms' limit per client address, a malformed code excepted (it reads nothing).
/// Reads only: the link's page then confirms or resets, through its own use case.
pub async fn redeem(
    state: &AppState,
    client: &str,
    from: CodeFrom,
    typed: &str,
) -> ApiResult<String> {
    if typed.trim().is_empty() {
        return Err(refused("required", "saisissez le code reçu par e-mail"));
    }
    let token = read_typed_code(typed).ok_or_else(|| {
        refused(
            "invalid_format",
            "ce code n'a pas la forme de ceux de nos e-mails : 64 chiffres et lettres de a à f, à recopier en entier",
        )
    })?;
    crate::usecases::rate_limits::admit_public(state, Scope::TypedCode, client).await?;
    let now = state.now();
    let read = token.clone();
    let unknown = || {
        refused(
            "invalid_token",
            "ce code ne correspond à aucun e-mail envoyé : vérifiez-le, ou utilisez celui du dernier e-mail reçu",
        )
    };
    match from {
        CodeFrom::Confirmation => {
            use accounts::ConfirmationLink;
            match state
                .db(move |conn| accounts::confirmation_link(conn, now, &read))
                .await?
            {
                ConfirmationLink::Usable { .. } => Ok(token),
                ConfirmationLink::Used { active: true } => Err(refused(
                    "invalid_token",
                    "ce code a déjà servi : l'adresse est confirmée. Connectez-vous avec le mot de passe choisi alors",
                )),
                ConfirmationLink::Used { active: false } => Err(refused(
                    "invalid_token",
                    "ce code a été remplacé par un plus récent : utilisez le dernier e-mail reçu, ou demandez-en un nouveau à la direction du campus",
                )),
                ConfirmationLink::Expired => Err(refused(
                    "invalid_token",
                    "ce code a expiré : il valait sept jours. Demandez-en un nouveau à la direction du campus",
                )),
                ConfirmationLink::Unknown => Err(unknown()),
            }
        }
        CodeFrom::PasswordReset => match state
            .db(move |conn| password_resets::link_state(conn, now, &read))
            .await?
        {
            LinkState::Usable => Ok(token),
            LinkState::Used => Err(refused(
                "invalid_token",
                "ce code a déjà servi, ou un e-mail plus récent l'a remplacé : chaque code ne sert qu'une fois",
            )),
            LinkState::Expired => Err(refused(
                "invalid_token",
                "ce code a expiré : il ne valait qu'une heure. Demandez un nouvel e-mail",
            )),
            LinkState::Unknown => Err(unknown()),
        },
    }
}
