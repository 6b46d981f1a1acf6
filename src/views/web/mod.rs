//! The web interface's page views: what each template shows, built from what the use cases
//! answer, with French words for every enumerated value (`labels`).
//!
//! To add a page: a template under `templates/web/` extending `layout.html`, a struct here
//! (or in a module beside) with a `layout: Layout` field deriving `Template` and
//! `WebTemplate`, a thin handler in `routes/web/`, and its link in `NAV` when it has one.

pub mod account;
pub mod assets;
pub mod booking_form;
pub mod bookings;
pub mod format;
pub mod indicators;
pub mod requests;
pub mod usage;
pub mod week;

use askama::Template;
use askama_web::WebTemplate;
use chrono_tz::Tz;

use crate::db::organisations::OrganisationRow;
use crate::db::platforms::PlatformRow;
use crate::domain::{EquipmentStatus, PlatformDomain, Role};
use crate::labels::Label;
use crate::usecases::catalogue::{Catalogue, PlatformWeek, Portal};
use crate::usecases::web_sessions::WebCaller;

/// The links of the main navigation and who sees each: a role sees only its own.
const NAV: &[(&str, &str, &[Role])] = &[
    ("/", "Accueil", &[]),
    (
        "/plateaux",
        "Plateaux",
        &[
            Role::Admin,
            Role::Manager,
            Role::Teacher,
            Role::Company,
            Role::Observer,
        ],
    ),
    (
        "/reservations",
        "Mes réservations",
        &[Role::Admin, Role::Manager, Role::Teacher, Role::Company],
    ),
    ("/validations", "Validations", &[Role::Admin, Role::Manager]),
    (
        "/indicateurs",
        "Indicateurs",
        &[Role::Admin, Role::Observer],
    ),
    (
        "/demandes",
        "Demandes",
        &[Role::Admin, Role::Manager, Role::Company],
    ),
    (ACCOUNT_PAGE, "Mon compte", Role::ALL),
];

/// One's own account: every account reaches it, contacts awaiting approval included.
const ACCOUNT_PAGE: &str = "/compte";

pub struct NavLink {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

/// What every page's frame shows: title, navigation, the caller, the logout form's CSRF
/// token, the assets' paths.
pub struct Layout {
    pub title: String,
    pub nav: Vec<NavLink>,
    /// The caller's name and role, when logged in.
    pub user: Option<(String, &'static str)>,
    pub csrf: String,
    /// A fresh one-time key for the page's write form (`routes::web::form_key`): sent
    /// twice, the form writes once.
    pub form_key: String,
    pub css: String,
    pub htmx: String,
}

impl Layout {
    pub fn new(
        title: impl Into<String>,
        path: &str,
        caller: Option<&WebCaller>,
        csrf: &str,
    ) -> Self {
        let role = caller.map(|c| c.user.role);
        let nav = NAV
            .iter()
            .filter(|(_, _, roles)| roles.is_empty() || role.is_some_and(|r| roles.contains(&r)))
            .filter(|(href, _, roles)| {
                // Contacts awaiting approval do not read the inventory; they follow the
                // requests they submitted and keep their account.
                roles.is_empty()
                    || *href == ACCOUNT_PAGE
                    || *href == "/demandes"
                    || !caller.is_some_and(|c| c.user.awaiting_approval)
            })
            .map(|(href, label, _)| NavLink {
                href,
                label,
                current: *href == path || (*href != "/" && path.starts_with(&format!("{href}/"))),
            })
            .collect();
        Layout {
            title: title.into(),
            nav,
            user: caller.map(|c| (c.display_name.clone(), c.user.role.label())),
            csrf: csrf.to_owned(),
            form_key: crate::auth::random_token(),
            css: assets::url("app.css"),
            htmx: assets::url("htmx.min.js"),
        }
    }
}

fn domain_label(domain: &str) -> String {
    crate::labels::label_of(domain, PlatformDomain::parse)
}

// The public portal.

pub struct DomainGroup {
    pub label: String,
    pub platforms: Vec<PlatformCard>,
}

pub struct PlatformCard {
    pub id: String,
    pub name: String,
    pub domain: String,
    pub owner: String,
    pub town: String,
    pub description: String,
    pub stations: i32,
}

pub struct MemberCard {
    pub name: String,
    pub kind: String,
    pub town: String,
    pub offers: Vec<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "web/portal.html")]
pub struct PortalPage {
    pub layout: Layout,
    pub logged_in: bool,
    pub groups: Vec<DomainGroup>,
    pub members: Vec<MemberCard>,
}

fn card(p: &PlatformRow, members: &[OrganisationRow]) -> PlatformCard {
    PlatformCard {
        id: p.id.clone(),
        name: p.name.clone(),
        domain: domain_label(&p.domain),
        owner: members
            .iter()
            .find(|m| m.id == p.owner_organisation_id)
            .map(|m| m.name.clone())
            .unwrap_or_default(),
        town: p.town.clone().unwrap_or_default(),
        description: p.description.clone(),
        stations: p.stations,
    }
}

impl PortalPage {
    pub fn new(layout: Layout, logged_in: bool, portal: Portal) -> Self {
        let Portal { members, platforms } = portal;
        let groups = PlatformDomain::ALL
            .iter()
            .filter_map(|domain| {
                let mut cards: Vec<PlatformCard> = platforms
                    .iter()
                    .filter(|p| p.domain == domain.as_str())
                    .map(|p| card(p, &members))
                    .collect();
                cards.sort_by(|a, b| a.name.cmp(&b.name));
                (!cards.is_empty()).then(|| DomainGroup {
                    label: domain.label().to_owned(),
                    platforms: cards,
                })
            })
            .collect();
        let mut member_cards: Vec<MemberCard> = members
            .iter()
            .map(|m| {
                let mut offers: Vec<String> = platforms
                    .iter()
                    .filter(|p| p.owner_organisation_id == m.id)
                    .map(|p| format!("{} ({})", p.name, domain_label(&p.domain)))
                    .collect();
                offers.sort();
                MemberCard {
                    name: m.name.clone(),
                    kind: crate::labels::label_of(&m.kind, crate::domain::OrganisationKind::parse),
                    town: m.town.clone().unwrap_or_default(),
                    offers,
                }
            })
            .collect();
        member_cards.sort_by(|a, b| a.name.cmp(&b.name));
        PortalPage {
            layout,
            logged_in,
            groups,
            members: member_cards,
        }
    }
}

// Logging in.

#[derive(Template, WebTemplate)]
#[template(path = "web/login.html")]
pub struct LoginPage {
    pub layout: Layout,
    pub email: String,
    pub next: String,
    pub error: Option<String>,
    /// What was just done (a password chosen, an address confirmed).
    pub notice: Option<String>,
}

// The catalogue.

pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Default)]
pub struct CatalogueFilters {
    pub campus: String,
    pub member: String,
    pub domain: String,
    pub text: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "web/catalogue.html")]
pub struct CataloguePage {
    pub layout: Layout,
    pub text: String,
    pub campuses: Vec<Choice>,
    pub members: Vec<Choice>,
    pub domains: Vec<Choice>,
    pub platforms: Vec<PlatformCard>,
}

impl CataloguePage {
    pub fn new(layout: Layout, filters: CatalogueFilters, catalogue: Catalogue) -> Self {
        let choice = |value: &str, label: String, chosen: &str| Choice {
            selected: value == chosen,
            value: value.to_owned(),
            label,
        };
        CataloguePage {
            layout,
            campuses: catalogue
                .campuses
                .iter()
                .map(|c| choice(&c.id, c.name.clone(), &filters.campus))
                .collect(),
            members: catalogue
                .members
                .iter()
                .map(|m| choice(&m.id, m.name.clone(), &filters.member))
                .collect(),
            domains: PlatformDomain::ALL
                .iter()
                .map(|d| choice(d.as_str(), d.label().to_owned(), &filters.domain))
                .collect(),
            platforms: catalogue
                .platforms
                .iter()
                .map(|p| card(p, &catalogue.members))
                .collect(),
            text: filters.text,
        }
    }
}

// One platform.

pub struct OpeningLine {
    pub day: &'static str,
    pub hours: String,
}

pub struct EquipmentLine {
    pub name: String,
    pub kind: String,
    pub status: String,
    pub available: bool,
    pub qualifications: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "web/platform.html")]
pub struct PlatformPage {
    pub layout: Layout,
    pub id: String,
    pub name: String,
    pub domain: String,
    pub owner: String,
    pub town: String,
    pub description: String,
    pub stations: i32,
    pub opening: Vec<OpeningLine>,
    pub equipment: Vec<EquipmentLine>,
    pub week: week::WeekGrid,
    pub sees_bookings: bool,
    /// Its managers (and the director) get the link to the week's follow-up.
    pub manages: bool,
}

impl PlatformPage {
    pub fn new(
        layout: Layout,
        data: PlatformWeek,
        monday: chrono::NaiveDate,
        tz: &Tz,
        sees_bookings: bool,
    ) -> Self {
        let PlatformWeek {
            platform,
            owner,
            equipment,
            qualifications,
            free_stations,
            bookings,
            manages,
        } = data;
        let row = &platform.row;
        let mut hours = platform.opening_hours.clone();
        hours.sort_by_key(|h| (h.weekday as u8, h.opens_minute));
        let opening = crate::domain::Weekday::ALL
            .iter()
            .filter_map(|day| {
                let spans: Vec<String> = hours
                    .iter()
                    .filter(|h| h.weekday == *day)
                    .map(|h| {
                        format!(
                            "{} – {}",
                            format::minute_of_day(h.opens_minute),
                            format::minute_of_day(h.closes_minute)
                        )
                    })
                    .collect();
                (!spans.is_empty()).then(|| OpeningLine {
                    day: day.label(),
                    hours: spans.join(", "),
                })
            })
            .collect();
        let equipment_lines = equipment
            .iter()
            .map(|e| {
                let required: Vec<String> = e
                    .required_qualification_ids
                    .iter()
                    .filter_map(|id| qualifications.iter().find(|q| &q.id == id))
                    .map(|q| q.name.clone())
                    .collect();
                EquipmentLine {
                    name: e.row.name.clone(),
                    kind: e.row.kind.clone(),
                    status: crate::labels::label_of(&e.row.status, EquipmentStatus::parse),
                    available: e.row.status == EquipmentStatus::Available.as_str(),
                    qualifications: if required.is_empty() {
                        "aucune".to_owned()
                    } else {
                        required.join(", ")
                    },
                }
            })
            .collect();
        let week = week::build(
            &row.name,
            row.stations,
            &hours,
            monday,
            tz,
            &free_stations,
            &bookings,
            &equipment,
        );
        PlatformPage {
            layout,
            id: row.id.clone(),
            name: row.name.clone(),
            domain: domain_label(&row.domain),
            owner: owner.map(|o| o.name).unwrap_or_default(),
            town: row.town.clone().unwrap_or_default(),
            description: row.description.clone(),
            stations: row.stations,
            opening,
            equipment: equipment_lines,
            week,
            sees_bookings,
            manages,
        }
    }
}

// Fixed pages.

#[derive(Template, WebTemplate)]
#[template(path = "web/accessibility.html")]
pub struct AccessibilityPage {
    pub layout: Layout,
}

#[derive(Template, WebTemplate)]
#[template(path = "web/not_found.html")]
pub struct NotFoundPage {
    pub layout: Layout,
}

/// A refusal or failure other than « not found », in French.
#[derive(Template, WebTemplate)]
#[template(path = "web/error.html")]
pub struct ErrorPage {
    pub layout: Layout,
    pub message: String,
}
