//! French labels of the API's enumerated values, one table per enum: what messages, feeds
//! and CSV cells show people. The JSON fields keep the API values.

use crate::domain::booking::Action as BookingAction;
use crate::domain::booking::{BookingStatus, LearnerStatus, RefusalKind, SeriesMode};
use crate::domain::calendar::CalendarFeed;
use crate::domain::closures::ClosureScope;
use crate::domain::notifications::{Locale, MessageState, NotificationKind};
use crate::domain::reports::Dimension;
use crate::domain::service_request::{QuoteUnit, RequestAction, RequestState};
use crate::domain::{EquipmentStatus, OrganisationKind, PlatformDomain, Role, Weekday, WhoMayBook};
use crate::views::service_requests::{MessageVisibility, QuoteStatus};

/// A value with a French label for people.
pub trait Label: Copy + 'static {
    /// The values with their labels, in declaration order.
    const TABLE: &'static [(Self, &'static str)];

    fn label(self) -> &'static str;
}

macro_rules! labels {
    ($name:ident { $($variant:ident => $label:literal),+ $(,)? }) => {
        impl Label for $name {
            const TABLE: &'static [(Self, &'static str)] = &[$(($name::$variant, $label)),+];

            fn label(self) -> &'static str {
                // Exhaustive: a new variant does not compile until it has its label.
                match self { $($name::$variant => $label),+ }
            }
        }
    };
}

labels!(Role {
    Admin => "direction",
    Manager => "responsable de plateau",
    Teacher => "enseignant",
    Company => "entreprise",
    Observer => "observateur",
});

labels!(OrganisationKind {
    Lycee => "lycée",
    Cfa => "CFA",
    Greta => "GRETA",
    University => "université",
    EngineeringSchool => "école d'ingénieurs",
    TechnologyPlatform => "plateforme technologique",
    TrainingCentre => "centre de formation",
    ResearchLab => "laboratoire de recherche",
    Company => "entreprise",
});

labels!(PlatformDomain {
    Machining => "usinage",
    Composites => "composites",
    Welding => "soudage",
    Robotics => "robotique",
    AdditiveManufacturing => "fabrication additive",
    Metrology => "métrologie",
    Painting => "peinture",
    Maintenance => "maintenance",
    Automation => "automatismes",
    Other => "autre",
});

labels!(EquipmentStatus {
    Available => "disponible",
    Maintenance => "en maintenance",
    OutOfOrder => "en panne",
    Retired => "réformé",
});

labels!(WhoMayBook {
    OwnerOnly => "personnel du propriétaire",
    CampusMembers => "membres du campus",
    Anyone => "tout titulaire d'un compte",
});

labels!(Weekday {
    Monday => "lundi",
    Tuesday => "mardi",
    Wednesday => "mercredi",
    Thursday => "jeudi",
    Friday => "vendredi",
    Saturday => "samedi",
    Sunday => "dimanche",
});

labels!(LearnerStatus {
    School => "scolaires",
    Apprentice => "apprentis",
    ContinuingEducation => "formation continue",
    HigherEducation => "étudiants",
    Company => "salariés d'entreprise",
    Research => "recherche",
});

labels!(BookingStatus {
    Pending => "en attente",
    Confirmed => "confirmée",
    Rejected => "refusée",
    Cancelled => "annulée",
});

labels!(SeriesMode {
    AllOrNothing => "tout ou rien",
    SkipConflicts => "sauter les conflits",
});

labels!(RefusalKind {
    BookingConflict => "déjà réservé",
    NotEnoughStations => "postes insuffisants",
    Closed => "fermeture",
    EquipmentUnavailable => "machine indisponible",
    EquipmentInMaintenance => "maintenance",
    InvalidTimeRange => "horaires incohérents",
    InThePast => "date passée",
    NoticeTooShort => "délai de prévenance",
    BeyondHorizon => "trop lointain",
    DurationTooLong => "durée trop longue",
    OutsideOpeningHours => "hors des heures d'ouverture",
    QualificationMissing => "habilitation manquante",
    BookingNotAllowed => "réservation non autorisée",
});

labels!(BookingAction {
    Approve => "approuver",
    Reject => "refuser",
    Cancel => "annuler",
});

labels!(RequestState {
    Submitted => "déposée",
    InReview => "prise en charge",
    Quoted => "devisée",
    Accepted => "acceptée",
    Declined => "déclinée",
    AgreementSigned => "convention signée",
    InProgress => "travaux en cours",
    Delivered => "livrée",
    Invoiced => "facturée",
    Closed => "close",
    Withdrawn => "retirée",
    Rejected => "refusée",
});

labels!(RequestAction {
    Take => "prendre en charge",
    Accept => "accepter",
    Decline => "décliner",
    SignAgreement => "signer la convention",
    StartWork => "commencer les travaux",
    Deliver => "livrer",
    Invoice => "facturer",
    Close => "clore",
    Withdraw => "retirer",
    Reject => "refuser",
});

labels!(QuoteUnit {
    Hour => "heure",
    Day => "jour",
    Piece => "pièce",
    Flat => "forfait",
});

labels!(QuoteStatus {
    Issued => "émise",
    Superseded => "remplacée par une version plus récente",
    Accepted => "acceptée",
    Declined => "déclinée",
});

labels!(MessageVisibility {
    Shared => "partagé avec l'entreprise",
    Internal => "interne",
});

labels!(ClosureScope {
    Campus => "campus",
    Organisation => "organisation",
    Platform => "plateau",
});

labels!(CalendarFeed {
    User => "mes réservations",
    Platform => "plateau",
    Equipment => "équipement",
});

labels!(Dimension {
    Platform => "plateau",
    Equipment => "équipement",
    OwnerOrganisation => "organisation propriétaire",
    Organisation => "organisation utilisatrice",
    LearnerStatus => "statut des apprenants",
    Domain => "domaine",
    Week => "semaine",
    Month => "mois",
    SchoolYear => "année scolaire",
});

labels!(NotificationKind {
    AccountConfirmation => "confirmation de l'adresse d'un compte",
    PasswordReset => "réinitialisation du mot de passe",
    BookingPending => "réservation à approuver",
    BookingApproved => "réservation approuvée",
    BookingRejected => "réservation refusée",
    BookingCancelled => "réservation annulée",
    BookingChanged => "réservation modifiée",
    BookingCancelledByUnavailability => "réservation annulée par une maintenance ou une fermeture",
    SeriesSkippedDates => "série créée avec des dates sautées",
    SeriesPending => "série à approuver",
    SeriesCancelled => "série annulée",
    SeriesChanged => "série modifiée",
    BookingReminder => "rappel la veille d'une séance",
    ManagerDigest => "récapitulatif du matin des responsables de plateau",
    ServiceRequestReceived => "demande de prestation reçue",
    ServiceRequestTaken => "demande de prestation prise en charge",
    QuoteIssued => "devis émis ou révisé",
    QuoteAnswered => "devis accepté ou décliné",
    AgreementSigned => "convention signée",
    WorkDelivered => "travaux livrés",
    ServiceRequestInvoiced => "prestation facturée",
    ServiceRequestMessage => "nouveau message sur une demande de prestation",
    QualificationExpiring => "habilitation bientôt échue",
});

labels!(MessageState {
    Queued => "en file d'attente",
    Sent => "envoyé",
    Failed => "en échec (à réessayer)",
    Dead => "abandonné",
});

labels!(Locale {
    French => "français",
    English => "anglais",
});

/// The label of an API value of `T`, or the text itself when it is not one.
pub fn label_of<T: Label + PartialEq>(api_value: &str, parse: fn(&str) -> Option<T>) -> String {
    parse(api_value).map_or_else(|| api_value.to_owned(), |v| v.label().to_owned())
}

/// Labels joined for a sentence, or « aucune » when there are none.
pub fn join<T: Label>(values: &[T]) -> String {
    if values.is_empty() {
        "aucune".to_owned()
    } else {
        values
            .iter()
            .map(|v| v.label())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Every enum's `(API value, label)` pairs: what the unknown-value messages translate, and
/// what tests scan people's texts for.
pub fn every_table() -> Vec<(&'static str, Vec<(&'static str, &'static str)>)> {
    fn table<T: Label>(
        name: &'static str,
        api: fn(T) -> &'static str,
    ) -> (&'static str, Vec<(&'static str, &'static str)>) {
        (name, T::TABLE.iter().map(|(v, l)| (api(*v), *l)).collect())
    }
    vec![
        table::<Role>("Role", Role::as_str),
        table::<OrganisationKind>("OrganisationKind", OrganisationKind::as_str),
        table::<PlatformDomain>("PlatformDomain", PlatformDomain::as_str),
        table::<EquipmentStatus>("EquipmentStatus", EquipmentStatus::as_str),
        table::<WhoMayBook>("WhoMayBook", WhoMayBook::as_str),
        table::<Weekday>("Weekday", Weekday::as_str),
        table::<LearnerStatus>("LearnerStatus", LearnerStatus::as_str),
        table::<BookingStatus>("BookingStatus", BookingStatus::as_str),
        table::<SeriesMode>("SeriesMode", SeriesMode::as_str),
        table::<BookingAction>("BookingAction", BookingAction::name),
        table::<RequestState>("RequestState", RequestState::as_str),
        table::<RequestAction>("RequestAction", RequestAction::as_str),
        table::<QuoteUnit>("QuoteUnit", QuoteUnit::as_str),
        table::<QuoteStatus>("QuoteStatus", QuoteStatus::as_str),
        table::<MessageVisibility>("MessageVisibility", MessageVisibility::as_str),
        table::<ClosureScope>("ClosureScope", ClosureScope::as_str),
        table::<CalendarFeed>("CalendarFeed", CalendarFeed::as_str),
        table::<Dimension>("Dimension", Dimension::as_str),
        table::<NotificationKind>("NotificationKind", NotificationKind::as_str),
        table::<MessageState>("MessageState", MessageState::as_str),
        table::<Locale>("Locale", Locale::as_str),
    ]
}

/// The labels of a closed set of API values given in full (serde's « expected one of »),
/// when the set is exactly one enum's; `None` when no enum has exactly these values.
pub fn labels_of_set(values: &[&str]) -> Option<Vec<&'static str>> {
    every_table().into_iter().find_map(|(_, table)| {
        let same = table.len() == values.len() && table.iter().all(|(v, _)| values.contains(v));
        same.then(|| table.iter().map(|(_, l)| *l).collect())
    })
}

/// An amount as people read it in French: `1 234,56 €` (no-break spaces between thousands
/// and before the sign). CSV cells keep the plain `1234,56` of `views::Cell::euros`.
pub fn euros(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    let units = (abs / 100).to_string();
    let mut grouped = String::new();
    for (i, digit) in units.chars().enumerate() {
        if i > 0 && (units.len() - i).is_multiple_of(3) {
            grouped.push('\u{a0}');
        }
        grouped.push(digit);
    }
    format!("{sign}{grouped},{:02}\u{a0}€", abs % 100)
}

#[cfg(test)]
mod tests {
    #[test]
    fn money_is_grouped_by_thousands_with_a_decimal_comma() {
        assert_eq!(super::euros(123_456), "1\u{a0}234,56\u{a0}€");
        assert_eq!(super::euros(5), "0,05\u{a0}€");
        assert_eq!(super::euros(-10_000_000), "-100\u{a0}000,00\u{a0}€");
    }

    use super::*;

    #[test]
    fn every_value_has_a_distinct_label_within_its_enum() {
        for (name, table) in every_table() {
            let mut labels: Vec<&str> = table.iter().map(|(_, l)| *l).collect();
            labels.sort();
            labels.dedup();
            assert_eq!(
                labels.len(),
                table.len(),
                "{name}: two values share a label"
            );
        }
    }

    #[test]
    fn sets_are_recognised_whatever_their_order() {
        assert_eq!(
            labels_of_set(&["cancelled", "pending", "rejected", "confirmed"]),
            Some(vec!["en attente", "confirmée", "refusée", "annulée"])
        );
        assert_eq!(labels_of_set(&["pending"]), None);
    }
}
