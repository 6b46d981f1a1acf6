//! Rules of member organisations: their identifiers, and the drafts of their requests
//! (who sees which is in `access`).

use super::codes::{is_valid_siret, is_valid_uai};
use super::validate::Checks;
use super::OrganisationKind;

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

pub struct OrganisationDraft {
    pub name: String,
    pub kind: OrganisationKind,
    pub town: Option<String>,
    pub uai: Option<String>,
    pub siret: Option<String>,
    pub campus_ids: Vec<uuid::Uuid>,
}

/// A change as asked, checked against the organisation it changes; `None` leaves a field
/// as it is, `Some(None)` clears an optional one.
pub struct OrganisationChange {
    pub name: Option<String>,
    pub town: Option<Option<String>>,
    pub uai: Option<Option<String>>,
    pub siret: Option<Option<String>>,
    pub campus_ids: Option<Vec<uuid::Uuid>>,
}
