use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::service_request::{QuoteUnit, RequestAction, RequestState};
use crate::domain::PlatformDomain;

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
    pub title: String,
    pub description: String,
    /// At least one.
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
    pub agreement_reference: Option<String>,
    /// `sign_agreement`: date of signature.
    pub signed_on: Option<chrono::NaiveDate>,
    /// `deliver`: what was delivered (report, parts).
    pub delivery_note: Option<String>,
    /// `invoice`: invoice reference.
    pub invoice_reference: Option<String>,
    /// `invoice`: amount invoiced, euro cents including VAT, 0 to 100,000,000,000.
    #[schema(minimum = 0, maximum = 100_000_000_000_i64)]
    pub amount_cents: Option<i64>,
    /// `reject` (required), `decline`, `withdraw`: why.
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
    pub company_name: String,
    #[schema(example = "73282932000074")]
    pub siret: String,
    pub contact_name: String,
    pub email: String,
    pub phone: String,
    pub title: String,
    pub description: String,
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
