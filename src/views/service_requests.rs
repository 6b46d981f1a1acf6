use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{check_instant, instant, Cell};
use crate::db::confirmations::PendingRow;
use crate::db::service_requests::{
    EventRow, MessageRow, QuoteLineRow, QuoteRow, RequestDetails, RequestFilter,
};
use crate::db::users::UserRow;
use crate::domain::service_request::{actions_today, QuoteUnit, RequestAction, RequestState, Side};
use crate::domain::validate::Checks;
use crate::domain::{PlatformDomain, Role};
use crate::error::ApiResult;
use crate::labels::label_of;
use crate::usecases::service_requests::ExportLine;

/// Hours booked on one platform for a request.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlatformHours {
    pub platform_id: String,
    /// Hours of the pending and confirmed bookings linked to the request.
    pub hours_booked: f64,
    pub bookings: i64,
    /// Hours really used, from the usage recorded for those bookings (unreported sessions
    /// count for nothing here).
    pub hours_used: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceRequestView {
    pub id: String,
    pub company_id: String,
    pub contact_user_id: Option<String>,
    pub title: String,
    pub description: String,
    pub domains: Vec<PlatformDomain>,
    /// The platform the company asked for, if it knew.
    pub requested_platform_id: Option<String>,
    /// The platform handling it, once taken.
    pub assigned_platform_id: Option<String>,
    pub assignee_id: Option<String>,
    pub wished_from: Option<chrono::NaiveDate>,
    pub wished_to: Option<chrono::NaiveDate>,
    /// Budget indication, euro cents excluding VAT.
    pub budget_cents: Option<i64>,
    pub confidential: bool,
    /// Links or file references.
    pub links: Vec<String>,
    pub state: RequestState,
    /// What the caller may do now (`POST …/transitions`).
    pub allowed_actions: Vec<RequestAction>,
    pub agreement_reference: Option<String>,
    pub agreement_signed_on: Option<chrono::NaiveDate>,
    pub delivery_note: Option<String>,
    pub invoice_reference: Option<String>,
    pub invoice_amount_cents: Option<i64>,
    /// Why it was rejected, declined or withdrawn.
    pub state_reason: Option<String>,
    /// Bookings linked to the request, by platform.
    pub work: Vec<PlatformHours>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewServiceRequest {
    /// The company asking; staff only (a company contact asks for its own company).
    pub company_id: Option<uuid::Uuid>,
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub title: String,
    #[schema(min_length = 1, max_length = 10000, pattern = "\\S")]
    pub description: String,
    /// At least one.
    #[schema(min_items = 1)]
    pub domains: Vec<PlatformDomain>,
    pub platform_id: Option<uuid::Uuid>,
    pub wished_from: Option<chrono::NaiveDate>,
    pub wished_to: Option<chrono::NaiveDate>,
    /// Budget indication, euro cents excluding VAT, 0 to 100,000,000,000.
    #[schema(minimum = 0, maximum = 100_000_000_000_i64)]
    pub budget_cents: Option<i64>,
    #[serde(default)]
    pub confidential: bool,
    /// Links or file references (at most 20).
    #[serde(default)]
    #[schema(max_items = 20)]
    pub links: Vec<String>,
}

/// One step of the life cycle, with what that step needs.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionRequest {
    pub action: RequestAction,
    /// `take`: the platform that handles the request.
    pub platform_id: Option<uuid::Uuid>,
    /// `take`: the staff member in charge (default: the caller).
    pub assignee_id: Option<uuid::Uuid>,
    /// `accept`, `decline`: the quote version answered.
    pub quote_version: Option<i32>,
    /// `sign_agreement`: reference of the agreement (*convention*).
    #[schema(min_length = 1, max_length = 100, pattern = "\\S")]
    pub agreement_reference: Option<String>,
    /// `sign_agreement`: date of signature.
    pub signed_on: Option<chrono::NaiveDate>,
    /// `deliver`: what was delivered (report, parts).
    #[schema(min_length = 1, max_length = 4000, pattern = "\\S")]
    pub delivery_note: Option<String>,
    /// `invoice`: invoice reference.
    #[schema(min_length = 1, max_length = 100, pattern = "\\S")]
    pub invoice_reference: Option<String>,
    /// `invoice`: amount invoiced, euro cents including VAT, 0 to 100,000,000,000.
    #[schema(minimum = 0, maximum = 100_000_000_000_i64)]
    pub amount_cents: Option<i64>,
    /// `reject` (required), `decline`, `withdraw`: why.
    #[schema(min_length = 1, max_length = 2000, pattern = "\\S")]
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QuoteLineView {
    pub label: String,
    /// Up to three decimals.
    pub quantity: f64,
    pub unit: QuoteUnit,
    pub unit_price_cents: i64,
    /// VAT rate in basis points (2000 = 20 %).
    pub vat_rate_bp: i32,
    pub total_excl_vat_cents: i64,
    pub vat_cents: i64,
}

crate::domain::text_enum! {
    QuoteStatus {
        Issued => "issued",
        Superseded => "superseded",
        Accepted => "accepted",
        Declined => "declined",
    }
}

/// A quote version. Amounts in euro cents: each line is quantity × unit price rounded to
/// the cent (halves away from zero), its VAT is that × rate rounded likewise, and the
/// totals are the sums of the lines.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuoteView {
    pub id: String,
    pub version: i32,
    pub status: QuoteStatus,
    pub valid_until: chrono::NaiveDate,
    pub lines: Vec<QuoteLineView>,
    pub total_excl_vat_cents: i64,
    pub total_vat_cents: i64,
    pub total_incl_vat_cents: i64,
    pub created_by: Option<String>,
    pub created_at: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewQuoteLine {
    #[schema(min_length = 1, max_length = 300, pattern = "\\S")]
    pub label: String,
    /// Greater than 0, at most 1,000,000, at most three decimals (1.5 hours).
    #[schema(exclusive_minimum = 0, maximum = 1_000_000)]
    pub quantity: f64,
    pub unit: QuoteUnit,
    /// Euro cents excluding VAT, 0 to 10,000,000,000.
    #[schema(minimum = 0, maximum = 10_000_000_000_i64)]
    pub unit_price_cents: i64,
    /// VAT rate in basis points, 0 to 10000 (2000 = 20 %).
    #[schema(minimum = 0, maximum = 10_000)]
    pub vat_rate_bp: i32,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewQuote {
    pub valid_until: chrono::NaiveDate,
    /// 1 to 100 lines; the total including VAT is at most 100,000,000,000 cents.
    #[schema(min_items = 1, max_items = 100)]
    pub lines: Vec<NewQuoteLine>,
}

crate::domain::text_enum! {
    /// Who reads a message: the company and the staff (`shared`), or the staff only.
    MessageVisibility {
        Shared => "shared",
        Internal => "internal",
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MessageView {
    pub id: String,
    pub author_id: Option<String>,
    pub visibility: MessageVisibility,
    pub body: String,
    pub created_at: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMessage {
    #[schema(min_length = 1, max_length = 10000, pattern = "\\S")]
    pub body: String,
    /// Default `shared`; companies write only shared messages.
    pub visibility: Option<MessageVisibility>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineEntry {
    pub at: String,
    pub actor_id: Option<String>,
    /// `transition`, `quote` or `message`.
    pub kind: String,
    pub action: String,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

/// A first request from a company without an account: who asks, and the request itself
/// (the fields of `NewServiceRequest` but `company_id`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublicServiceRequest {
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub company_name: String,
    /// Fourteen digits (spaces allowed), the last a Luhn key.
    #[schema(example = "73282932000074", pattern = "^\\s*([0-9]\\s*){14}$")]
    pub siret: String,
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub contact_name: String,
    #[schema(
        max_length = 254,
        pattern = "^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)+$"
    )]
    pub email: String,
    #[schema(pattern = "^[0-9+.()-][0-9 +.()-]{4,28}[0-9+.()-]$")]
    pub phone: String,
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub title: String,
    #[schema(min_length = 1, max_length = 10000, pattern = "\\S")]
    pub description: String,
    #[schema(min_items = 1)]
    pub domains: Vec<PlatformDomain>,
    pub platform_id: Option<uuid::Uuid>,
    pub wished_from: Option<chrono::NaiveDate>,
    pub wished_to: Option<chrono::NaiveDate>,
    /// Budget indication, euro cents excluding VAT, 0 to 100,000,000,000.
    #[schema(minimum = 0, maximum = 100_000_000_000_i64)]
    pub budget_cents: Option<i64>,
    #[serde(default)]
    pub confidential: bool,
    #[serde(default)]
    #[schema(max_items = 20)]
    pub links: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PublicReceipt {
    /// What happens next (French).
    pub message: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountConfirmation {
    pub token: String,
    /// The account's password, at least 12 characters.
    #[schema(min_length = 12, max_length = 256)]
    pub password: String,
}

/// An account whose address is not confirmed yet (public sign-up or invitation). The token
/// is never shown here: it is stored only as a hash.
#[derive(Debug, Serialize, ToSchema)]
pub struct PendingConfirmationView {
    pub id: String,
    pub user_id: String,
    pub email: String,
    pub display_name: String,
    pub role: crate::domain::Role,
    pub organisation_id: String,
    pub organisation_name: String,
    /// The company's SIRET, for company contacts.
    pub siret: Option<String>,
    /// The contact also waits for the approval of their company (see `/contacts-awaiting-approval`).
    pub awaiting_approval: bool,
    pub created_at: String,
    pub expires_at: String,
    /// Past its expiry: issue a fresh token to revive it.
    pub expired: bool,
}

/// A fresh confirmation token, shown once, to pass on to the account's owner.
#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedConfirmationView {
    pub confirmation_id: String,
    pub user_id: String,
    pub email: String,
    pub token: String,
    pub expires_at: String,
}

/// A company contact who signed up for a company that already existed, waiting for an
/// active contact of the company or the staff to vouch for them.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactAwaitingApprovalView {
    pub user_id: String,
    pub email: String,
    pub display_name: String,
    pub company_id: String,
    pub company_name: String,
    pub siret: Option<String>,
    /// Whether they confirmed their address (only then can they log in).
    pub address_confirmed: bool,
    pub created_at: String,
}

impl ServiceRequestView {
    /// The request as one on `side` sees it: with the actions that side may take `today`.
    pub fn new(
        request: RequestDetails,
        side: Side,
        today: chrono::NaiveDate,
        tz: &Tz,
    ) -> ApiResult<Self> {
        let row = request.row;
        let state = RequestState::from_db(&row.state)?;
        Ok(ServiceRequestView {
            domains: row
                .domains
                .split(',')
                .filter(|d| !d.is_empty())
                .map(PlatformDomain::from_db)
                .collect::<Result<_, _>>()?,
            links: row.links.lines().map(str::to_owned).collect(),
            state,
            allowed_actions: actions_today(state, side, request.quote_valid_until, today),
            work: request
                .work
                .into_iter()
                .map(|(platform_id, work)| PlatformHours {
                    platform_id,
                    hours_booked: work.seconds_booked as f64 / 3600.0,
                    bookings: work.bookings,
                    hours_used: work.seconds_used as f64 / 3600.0,
                })
                .collect(),
            created_at: instant(row.created_at, tz),
            updated_at: instant(row.updated_at, tz),
            id: row.id,
            company_id: row.company_id,
            contact_user_id: row.contact_user_id,
            title: row.title,
            description: row.description,
            requested_platform_id: row.requested_platform_id,
            assigned_platform_id: row.assigned_platform_id,
            assignee_id: row.assignee_id,
            wished_from: row.wished_from,
            wished_to: row.wished_to,
            budget_cents: row.budget_cents,
            confidential: row.confidential,
            agreement_reference: row.agreement_reference,
            agreement_signed_on: row.agreement_signed_on,
            delivery_note: row.delivery_note,
            invoice_reference: row.invoice_reference,
            invoice_amount_cents: row.invoice_amount_cents,
            state_reason: row.state_reason,
        })
    }
}

impl QuoteView {
    pub fn new(quote: QuoteRow, lines: Vec<QuoteLineRow>, tz: &Tz) -> ApiResult<Self> {
        Ok(QuoteView {
            status: QuoteStatus::from_db(&quote.status)?,
            lines: lines
                .into_iter()
                .map(|l| {
                    Ok(QuoteLineView {
                        unit: QuoteUnit::from_db(&l.unit)?,
                        quantity: l.quantity_milli as f64 / 1000.0,
                        label: l.label,
                        unit_price_cents: l.unit_price_cents,
                        vat_rate_bp: l.vat_rate_bp,
                        total_excl_vat_cents: l.total_excl_vat_cents,
                        vat_cents: l.vat_cents,
                    })
                })
                .collect::<ApiResult<_>>()?,
            created_at: instant(quote.created_at, tz),
            id: quote.id,
            version: quote.version,
            valid_until: quote.valid_until,
            total_excl_vat_cents: quote.total_excl_vat_cents,
            total_vat_cents: quote.total_vat_cents,
            total_incl_vat_cents: quote.total_incl_vat_cents,
            created_by: quote.created_by,
        })
    }
}

impl MessageView {
    pub fn new(row: MessageRow, tz: &Tz) -> ApiResult<Self> {
        Ok(MessageView {
            visibility: MessageVisibility::from_db(&row.visibility)?,
            created_at: instant(row.created_at, tz),
            id: row.id,
            author_id: row.author_id,
            body: row.body,
        })
    }
}

impl TimelineEntry {
    pub fn new(event: EventRow, tz: &Tz) -> Self {
        TimelineEntry {
            at: instant(event.at, tz),
            details: serde_json::from_str(&event.details).unwrap_or(serde_json::Value::Null),
            actor_id: event.actor_id,
            kind: event.kind,
            action: event.action,
            from_state: event.from_state,
            to_state: event.to_state,
        }
    }
}

impl PendingConfirmationView {
    /// `now` tells the expired confirmations.
    pub fn new(p: PendingRow, now: i64, tz: &Tz) -> ApiResult<Self> {
        Ok(PendingConfirmationView {
            id: p.confirmation.id,
            user_id: p.confirmation.user_id,
            email: p.email,
            display_name: p.display_name,
            role: Role::from_db(&p.role)?,
            organisation_id: p.organisation_id,
            organisation_name: p.organisation_name,
            siret: p.siret,
            awaiting_approval: p.awaiting_approval,
            created_at: instant(p.confirmation.created_at, tz),
            expires_at: instant(p.confirmation.expires_at, tz),
            expired: p.confirmation.expires_at <= now,
        })
    }
}

impl IssuedConfirmationView {
    pub fn new(
        confirmation_id: String,
        account: UserRow,
        token: String,
        expires_at: i64,
        tz: &Tz,
    ) -> Self {
        IssuedConfirmationView {
            confirmation_id,
            user_id: account.id,
            email: account.email,
            token,
            expires_at: instant(expires_at, tz),
        }
    }
}

impl ContactAwaitingApprovalView {
    pub fn new(row: UserRow, company_name: String, siret: Option<String>, tz: &Tz) -> Self {
        ContactAwaitingApprovalView {
            created_at: instant(row.created_at, tz),
            address_confirmed: row.active,
            user_id: row.id,
            email: row.email,
            display_name: row.display_name,
            company_id: row.organisation_id,
            company_name,
            siret,
        }
    }
}

super::list_query! {
    pub struct RequestQuery {
        pub state: Option<RequestState>,
        /// Assigned or requested platform.
        pub platform_id: Option<Uuid>,
        pub domain: Option<PlatformDomain>,
        pub company_id: Option<Uuid>,
        /// Submitted at or after this instant (RFC 3339).
        #[param(format = DateTime)]
        pub from: Option<String>,
        /// Submitted before this instant (RFC 3339).
        #[param(format = DateTime)]
        pub to: Option<String>,
        /// `csv` for a spreadsheet export (also with `Accept: text/csv`) of every matching
        /// request; `limit` and `cursor` page the JSON list only.
        #[param(pattern = "^(json|csv)$")]
        pub format: Option<String>,
    }
}

impl RequestQuery {
    pub fn filter(&self) -> ApiResult<RequestFilter> {
        let mut checks = Checks::new();
        let filter = RequestFilter {
            state: self.state.map(|s| s.as_str().to_owned()),
            platform_id: self.platform_id.map(|p| p.to_string()),
            domain: self.domain.map(|d| d.as_str().to_owned()),
            company_id: self.company_id.map(|c| c.to_string()),
            from: self
                .from
                .as_deref()
                .map(|t| check_instant(&mut checks, "from", t)),
            to: self
                .to
                .as_deref()
                .map(|t| check_instant(&mut checks, "to", t)),
        };
        checks.finish()?;
        Ok(filter)
    }
}

/// The steps whose dates the export gives, in order, with their column headings.
const EXPORT_STEPS: [(&str, &str); 9] = [
    ("submitted", "déposée le"),
    ("in_review", "prise en charge le"),
    ("quoted", "devisée le"),
    ("accepted", "acceptée le"),
    ("agreement_signed", "convention signée le"),
    ("in_progress", "travaux commencés le"),
    ("delivered", "livrée le"),
    ("invoiced", "facturée le"),
    ("closed", "close le"),
];

/// The header line of the export.
pub fn export_header() -> Vec<Cell> {
    let mut header = vec!["id", "entreprise", "titre", "domaines", "état"];
    header.extend(EXPORT_STEPS.iter().map(|(_, heading)| *heading));
    header.extend(["devis TTC (€)", "facturé (€)"]);
    header.into_iter().map(Cell::from).collect()
}

/// One line of the export: a request, the date of each step, and the amounts.
pub fn export_record(line: ExportLine, tz: &Tz) -> Vec<Cell> {
    let row = line.row;
    let mut record: Vec<Cell> = vec![
        row.id.clone().into(),
        line.company_name.into(),
        row.title.clone().into(),
        row.domains
            .split(',')
            .filter(|d| !d.is_empty())
            .map(|d| label_of(d, PlatformDomain::parse))
            .collect::<Vec<_>>()
            .join(", ")
            .into(),
        label_of(&row.state, RequestState::parse).into(),
    ];
    for (step, _) in EXPORT_STEPS {
        record.push(
            line.reached
                .get(step)
                .map(|t| {
                    crate::domain::time::local(*t, tz)
                        .format("%d/%m/%Y")
                        .to_string()
                })
                .unwrap_or_default()
                .into(),
        );
    }
    record.push(Cell::euros(line.latest_quote_cents));
    record.push(Cell::euros(row.invoice_amount_cents));
    record
}
