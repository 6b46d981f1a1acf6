//! Account rules: who may see which accounts, and what a valid account is.

use super::codes::is_plausible_email;
use super::validate::Checks;
use super::{OrganisationKind, Role};
use crate::auth::CurrentUser;

pub const MIN_PASSWORD_CHARS: usize = 12;
pub const MAX_PASSWORD_CHARS: usize = 256;

pub fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

pub fn check_email(checks: &mut Checks, field: &str, email: &str) -> String {
    let email = normalise_email(email);
    if !is_plausible_email(&email) {
        checks.fail(field, "invalid_format", "adresse e-mail invalide");
    }
    email
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

/// Whether `viewer` may see the account `(user_id, organisation_id)`.
pub fn can_see_user(viewer: &CurrentUser, user_id: &str, organisation_id: &str) -> bool {
    if viewer.id == user_id {
        return true;
    }
    match viewer.role {
        Role::Admin | Role::Manager => true,
        Role::Teacher | Role::Company => viewer.organisation_id == organisation_id,
        Role::Observer => false,
    }
}

/// Which accounts a new account's creator may create.
pub fn may_create_role(creator: Role, role: Role) -> bool {
    match creator {
        Role::Admin => true,
        // Platform managers bring in company contacts for service requests.
        Role::Manager => role == Role::Company,
        _ => false,
    }
}
