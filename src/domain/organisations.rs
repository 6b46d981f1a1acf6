//! Rules of member organisations: identifiers, and who sees which.

use super::codes::{is_valid_siret, is_valid_uai};
use super::validate::Checks;
use super::{OrganisationKind, Role};
use crate::auth::CurrentUser;

/// Checks a UAI (schools) and a SIRET (required for companies); returns them normalised.
pub fn check_identifiers(
    checks: &mut Checks,
    kind: OrganisationKind,
    uai: Option<&str>,
    siret: Option<&str>,
) -> (Option<String>, Option<String>) {
    let uai = uai
        .map(|u| u.trim().to_uppercase())
        .filter(|u| !u.is_empty());
    let siret = siret
        .map(|s| s.chars().filter(|c| !c.is_whitespace()).collect::<String>())
        .filter(|s| !s.is_empty());
    if let Some(u) = &uai {
        if kind == OrganisationKind::Company {
            checks.fail("uai", "not_allowed", "une entreprise n'a pas de code UAI");
        } else if !is_valid_uai(u) {
            checks.fail("uai", "invalid_format", "code UAI invalide : sept chiffres puis la lettre de contrôle (par exemple 0750655E)");
        }
    }
    match &siret {
        Some(s) if !is_valid_siret(s) => checks.fail(
            "siret",
            "invalid_format",
            "SIRET invalide : quatorze chiffres dont le dernier est une clé de Luhn",
        ),
        None if kind == OrganisationKind::Company => checks.fail(
            "siret",
            "required",
            "le SIRET est obligatoire pour une entreprise",
        ),
        _ => {}
    }
    (uai, siret)
}

/// Companies are visible only to campus staff who work with them and to their own people;
/// every other member organisation is visible to all accounts.
pub fn can_see_organisation(viewer: &CurrentUser, id: &str, kind: OrganisationKind) -> bool {
    kind != OrganisationKind::Company
        || matches!(viewer.role, Role::Admin | Role::Manager)
        || viewer.organisation_id == id
}

/// Admins change any organisation; managers bring in and maintain companies.
pub fn can_change_organisation(actor: &CurrentUser, kind: OrganisationKind) -> bool {
    actor.role == Role::Admin || (actor.role == Role::Manager && kind == OrganisationKind::Company)
}
