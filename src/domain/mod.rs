//! Domain rules as plain functions and types, free of HTTP and of the database.

pub mod accounts;
pub mod booking;
pub mod calendar;
pub mod closures;
pub mod codes;
pub mod error;
pub mod inventory;
pub mod linked_text;
pub mod network;
pub mod notifications;
pub mod opening_hours;
pub mod organisations;
pub mod pagination;
pub mod plural;
pub mod rate_limits;
pub mod recurrence;
pub mod reports;
pub mod service_request;
pub mod time;
pub mod usage;
pub mod validate;

/// Declares a closed set of values stored as text and written as snake_case on the wire.
macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:tt),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
                 serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        pub enum $name {
            $(#[serde(rename = $text)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }

            /// Reads a value the database holds; its CHECK constraint keeps it in the set.
            pub fn from_db(text: &str) -> Result<Self, $crate::domain::error::DomainError> {
                Self::parse(text).ok_or_else(|| $crate::domain::error::DomainError::Corrupt(
                    format!("unexpected {} value in the database: {text}", stringify!($name))))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use text_enum;

text_enum! {
    /// What an account may do: see the roles in the README.
    Role {
        Admin => "admin",
        Manager => "manager",
        Teacher => "teacher",
        Company => "company",
        Observer => "observer",
    }
}

text_enum! {
    /// Kind of a member organisation of a campus.
    OrganisationKind {
        Lycee => "lycee",
        Cfa => "cfa",
        Greta => "greta",
        University => "university",
        EngineeringSchool => "engineering_school",
        TechnologyPlatform => "technology_platform",
        TrainingCentre => "training_centre",
        ResearchLab => "research_lab",
        Company => "company",
    }
}

text_enum! {
    /// Technical domain of a platform.
    PlatformDomain {
        Machining => "machining",
        Composites => "composites",
        Welding => "welding",
        Robotics => "robotics",
        AdditiveManufacturing => "additive_manufacturing",
        Metrology => "metrology",
        Painting => "painting",
        Maintenance => "maintenance",
        Automation => "automation",
        Other => "other",
    }
}

text_enum! {
    /// State of an equipment item.
    EquipmentStatus {
        Available => "available",
        Maintenance => "maintenance",
        OutOfOrder => "out_of_order",
        Retired => "retired",
    }
}

text_enum! {
    /// Who may book a platform: its owner's staff only, any member of its campus, or anyone
    /// with an account (companies included).
    WhoMayBook {
        OwnerOnly => "owner_only",
        CampusMembers => "campus_members",
        Anyone => "anyone",
    }
}

text_enum! {
    Weekday {
        Monday => "monday",
        Tuesday => "tuesday",
        Wednesday => "wednesday",
        Thursday => "thursday",
        Friday => "friday",
        Saturday => "saturday",
        Sunday => "sunday",
    }
}

impl Weekday {
    /// ISO number, Monday = 1.
    pub fn number(self) -> i16 {
        Weekday::ALL
            .iter()
            .position(|d| *d == self)
            .expect("listed") as i16
            + 1
    }

    pub fn from_number(n: i16) -> Option<Self> {
        Weekday::ALL.get(usize::try_from(n - 1).ok()?).copied()
    }
}
