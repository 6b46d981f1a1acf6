//! Account rules: what a valid account is (who may see which is in `access`).

use super::codes::is_plausible_email;
use super::validate::Checks;
use super::{OrganisationKind, Role};

pub const MIN_PASSWORD_CHARS: usize = 12;

/// How long a password reset link works.
pub const RESET_SECONDS: i64 = 3600;
/// An address gets at most one reset e-mail in this time, however often it is asked for:
/// the form cannot be used to flood someone's mailbox.
pub const RESET_INTERVAL_SECONDS: i64 = 60;

/// What a single-use link (password reset, account confirmation) is worth now: for the
/// page it opens, and for the use itself, which only a usable link allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    Usable,
    /// Used, or replaced by a newer link.
    Used,
    Expired,
    Unknown,
}

/// What a known single-use link is worth at `now`.
pub fn link_state_at(consumed: bool, expires_at: i64, now: i64) -> LinkState {
    if consumed {
        LinkState::Used
    } else if expires_at <= now {
        LinkState::Expired
    } else {
        LinkState::Usable
    }
}

/// Whether another reset e-mail may go to an account whose latest was sent at `latest_at`.
pub fn may_send_reset(latest_at: Option<i64>, now: i64) -> bool {
    latest_at.is_none_or(|at| now - at >= RESET_INTERVAL_SECONDS)
}

/// A code copied from a confirmation or reset e-mail, which writes the link's token (64
/// lowercase hexadecimal digits) on one line that mail programs may wrap or break: the
/// token, whatever spaces, line breaks and dashes were typed or pasted into it and in
/// whatever letter case; `None` when what is left cannot be a token.
pub fn read_typed_code(typed: &str) -> Option<String> {
    let code: String = typed
        .chars()
        .filter(|c| {
            !c.is_whitespace()
                && !matches!(c, '-' | '\u{2010}' | '\u{2011}' | '\u{2013}' | '\u{2014}')
        })
        .map(|c| c.to_ascii_lowercase())
        .collect();
    (code.len() == 64 && code.bytes().all(|b| b.is_ascii_hexdigit())).then_some(code)
}

pub const MAX_PASSWORD_CHARS: usize = 256;

pub fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// The address as typed must have the documented shape (no blank around it: the API
/// document's pattern refuses it too); it is kept in lower case.
pub fn check_email(checks: &mut Checks, field: &str, email: &str) -> String {
    if !is_plausible_email(email) {
        checks.fail(field, "invalid_format", "adresse e-mail invalide");
    }
    normalise_email(email)
}

pub fn check_password(checks: &mut Checks, field: &str, password: &str) {
    let len = password.chars().count();
    if len < MIN_PASSWORD_CHARS {
        checks.fail(
            field,
            "too_short",
            format!("le mot de passe doit compter au moins {MIN_PASSWORD_CHARS} caractères"),
        );
    } else if len > MAX_PASSWORD_CHARS {
        checks.fail(
            field,
            "too_long",
            format!("le mot de passe doit compter au plus {MAX_PASSWORD_CHARS} caractères"),
        );
    }
}

/// A company account belongs to a company; every other account to a campus member that
/// is not a company.
pub fn check_role_fits_organisation(checks: &mut Checks, role: Role, kind: OrganisationKind) {
    let company_org = kind == OrganisationKind::Company;
    if (role == Role::Company) != company_org {
        checks.fail(
            "organisation_id",
            "role_mismatch",
            if company_org {
                "un compte d'entreprise doit avoir le rôle « entreprise »"
            } else {
                "le rôle « entreprise » est réservé aux comptes d'une entreprise"
            },
        );
    }
}

/// Everything needed to create an account, as given: `usecases::accounts::create_account`
/// checks it.
pub struct AccountDraft {
    pub email: String,
    pub display_name: String,
    /// `None` for an invitation: the account stays inactive until its owner confirms the
    /// address and chooses a password, so that nobody else ever knows it.
    pub password: Option<String>,
    pub role: Role,
    pub organisation_id: String,
    pub managed_platform_ids: Vec<uuid::Uuid>,
}

/// A change to an account by an administrator, checked; `None` leaves a field as it is.
pub struct AccountChange {
    pub display_name: Option<String>,
    /// Hashed by the use case, once the change is known to be allowed.
    pub password: Option<String>,
    pub role: Option<Role>,
    pub organisation_id: Option<String>,
    pub active: Option<bool>,
    pub managed_platform_ids: Option<Vec<uuid::Uuid>>,
}

/// A qualification awarded (or renewed) to an account; without an expiry, the
/// qualification's validity sets it.
pub struct QualificationAward {
    pub qualification_id: String,
    pub awarded_on: chrono::NaiveDate,
    pub expires_on: Option<chrono::NaiveDate>,
}

/// A change to one's own account, checked; the new password comes with the current one.
pub struct OwnAccountChange {
    pub display_name: Option<String>,
    pub passwords: Option<PasswordChange>,
}

pub struct PasswordChange {
    pub current: String,
    pub new: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typed_code_is_read_as_the_token() {
        let token = "0123456789abcdef".repeat(4);
        assert_eq!(read_typed_code(&token), Some(token.clone()));
        let wrapped = format!(" {}\r\n{} ", &token[..40], &token[40..]);
        assert_eq!(read_typed_code(&wrapped), Some(token.clone()));
        let grouped: Vec<&str> = (0..16).map(|i| &token[i * 4..i * 4 + 4]).collect();
        assert_eq!(
            read_typed_code(&grouped.join("-").to_uppercase()),
            Some(token.clone())
        );
        assert_eq!(read_typed_code(&token[..63]), None);
        assert_eq!(read_typed_code(&format!("{token}0")), None);
        assert_eq!(read_typed_code(&token.replace('a', "g")), None);
        assert_eq!(read_typed_code(""), None);
    }

    #[test]
    fn a_reset_link_works_once_within_the_hour() {
        let issued = 1_000;
        let expires_at = issued + RESET_SECONDS;
        assert_eq!(link_state_at(false, expires_at, issued), LinkState::Usable);
        assert_eq!(
            link_state_at(false, expires_at, expires_at - 1),
            LinkState::Usable
        );
        assert_eq!(
            link_state_at(false, expires_at, expires_at),
            LinkState::Expired
        );
        assert_eq!(link_state_at(true, expires_at, issued), LinkState::Used);
    }

    #[test]
    fn reset_mails_are_spaced() {
        assert!(may_send_reset(None, 0));
        assert!(!may_send_reset(Some(100), 100 + RESET_INTERVAL_SECONDS - 1));
        assert!(may_send_reset(Some(100), 100 + RESET_INTERVAL_SECONDS));
    }
}
