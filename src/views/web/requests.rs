//! The pages of service requests (*demandes de prestation*): the public form and its
//! confirmation, the list, and one request with its quotes, timeline, messages and the
//! forms of what the caller may do.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use chrono_tz::Tz;

use super::{format, Choice, Layout};
use crate::db::service_requests::{EventRow, QuoteLineRow, QuoteRow, RequestRow};
use crate::domain::linked_text::{segments, Segment};
use crate::domain::service_request::{
    actions_today, allowed_actions, quote_answerable, vat_by_rate, RequestAction, RequestState,
    Side, VatShare, FRENCH_VAT_RATES_BP, MAX_VAT_RATE_BP,
};
use crate::domain::PlatformDomain;
use crate::error::ApiError;
use crate::labels::{euros, label_of, Label};
use crate::usecases::service_requests::{RequestList, RequestPage as RequestData};
use crate::views::service_requests::{MessageVisibility, QuoteStatus};

/// A refusal's message as a sentence of its own, next to its field.
pub fn sentence(message: &str) -> String {
    let message = message.trim().trim_end_matches('.');
    let message = if message.starts_with("ne ") || message.starts_with("doit ") {
        format!("ce champ {message}")
    } else {
        message.to_owned()
    };
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
        None => message,
    }
}

/// The refusals of a form by field, as sentences; several on one field are joined.
#[derive(Default)]
pub struct Refusals {
    pub fields: HashMap<String, String>,
    /// What concerns no field (a conflict, a limit, a forbidden action).
    pub general: Option<String>,
}

impl Refusals {
    pub fn of(error: &ApiError) -> Self {
        let mut refusals = Refusals::default();
        for e in &error.errors {
            refusals.add(&e.field, &e.message);
        }
        if error.errors.is_empty() {
            refusals.general = Some(error.detail.clone());
        }
        refusals
    }

    pub fn add(&mut self, field: &str, message: &str) {
        let text = sentence(message);
        self.fields
            .entry(field.to_owned())
            .and_modify(|t| {
                t.push(' ');
                t.push_str(&text);
            })
            .or_insert(text);
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.general.is_none()
    }

    /// The refusal of `field`, or of any field whose path begins with it (`links[2]`).
    pub fn take(&mut self, field: &str) -> Option<String> {
        let keys: Vec<String> = self
            .fields
            .keys()
            .filter(|k| {
                *k == field
                    || k.strip_prefix(field)
                        .is_some_and(|rest| rest.starts_with('[') || rest.starts_with('.'))
            })
            .cloned()
            .collect();
        let texts: Vec<String> = keys.iter().filter_map(|k| self.fields.remove(k)).collect();
        (!texts.is_empty()).then(|| texts.join(" "))
    }

    /// What no field took: shown at the top of its form.
    pub fn rest(&mut self) -> Option<String> {
        let mut texts: Vec<String> = self.general.take().into_iter().collect();
        let mut left: Vec<(String, String)> = self.fields.drain().collect();
        left.sort();
        texts.extend(left.into_iter().map(|(_, t)| t));
        (!texts.is_empty()).then(|| texts.join(" "))
    }
}

/// One field of a form, with what was typed and its refusal.
pub struct Input {
    pub name: String,
    pub id: String,
    pub label: String,
    /// `text`, `email`, `tel`, `date`, `textarea`, `select`.
    pub kind: &'static str,
    pub value: String,
    pub required: bool,
    pub hint: Option<String>,
    pub error: Option<String>,
    pub options: Vec<Choice>,
    pub autocomplete: &'static str,
    /// `inputmode` of a number typed as text (`decimal`), empty otherwise.
    pub inputmode: &'static str,
}

impl Input {
    pub fn new(name: impl Into<String>, id: impl Into<String>, label: impl Into<String>) -> Self {
        Input {
            name: name.into(),
            id: id.into(),
            label: label.into(),
            kind: "text",
            value: String::new(),
            required: false,
            hint: None,
            error: None,
            options: Vec::new(),
            autocomplete: "",
            inputmode: "",
        }
    }

    pub fn kind(mut self, kind: &'static str) -> Self {
        self.kind = kind;
        self
    }

    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn autocomplete(mut self, value: &'static str) -> Self {
        self.autocomplete = value;
        self
    }

    pub fn decimal(mut self) -> Self {
        self.inputmode = "decimal";
        self
    }

    pub fn value(mut self, value: impl Into<String>) -> Self {
        self.value = value.into();
        self
    }

    /// A select's options; the one whose value is the field's is selected.
    pub fn options(mut self, options: Vec<(String, String)>) -> Self {
        self.kind = "select";
        self.options = options
            .into_iter()
            .map(|(value, label)| Choice {
                selected: value == self.value,
                value,
                label,
            })
            .collect();
        self
    }

    /// The refusal of the API's field `field` (or of the paths below it).
    pub fn refused(mut self, refusals: &mut Refusals, field: &str) -> Self {
        self.error = refusals.take(field);
        self
    }

    /// The ids of the hint and the refusal, for `aria-describedby`.
    pub fn described_by(&self) -> String {
        let mut ids = Vec::new();
        if self.hint.is_some() {
            ids.push(format!("{}-aide", self.id));
        }
        if self.error.is_some() {
            ids.push(format!("{}-erreur", self.id));
        }
        ids.join(" ")
    }
}

/// A date and time in the campus's zone: `mardi 2 mars 2027 à 08:00`.
fn moment(seconds: i64, tz: &Tz) -> String {
    let day = crate::domain::time::local(seconds, tz).date_naive();
    format!(
        "{} à {}",
        format::long_date(day),
        format::time_of(seconds, tz)
    )
}

fn state_label(state: &str) -> String {
    label_of(state, RequestState::parse)
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().collect::<String>() + chars.as_str(),
        None => String::new(),
    }
}

fn domains_of(row: &RequestRow) -> String {
    row.domains
        .split(',')
        .filter(|d| !d.is_empty())
        .map(|d| label_of(d, PlatformDomain::parse))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A quantity as French writes it: `1,5`, `12`.
pub fn quantity(milli: i64) -> String {
    let text = format!("{}", milli as f64 / 1000.0);
    text.replace('.', ",")
}

/// A quote line's quantity with its unit, plural from two as French writes it: `1,5 heure`,
/// `6 heures`, `1 forfait`.
pub fn quantity_of_unit(milli: i64, unit: &str) -> String {
    let label = label_of(unit, crate::domain::service_request::QuoteUnit::parse);
    // Every unit's label takes an « s » (heures, jours, pièces, forfaits).
    let plural = if milli >= 2000 { "s" } else { "" };
    format!("{} {label}{plural}", quantity(milli))
}

/// A VAT rate in percent: `20`, `5,5`.
pub fn percent(bp: i32) -> String {
    quantity(i64::from(bp) * 10)
}

/// Euros typed as people write them (`1 234,56`, `85.5`, `85 €`) in cents; `None` when it
/// is not an amount.
pub fn parse_euros(text: &str) -> Option<i64> {
    let cleaned: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{a0}' && *c != '\u{202f}' && *c != '€')
        .map(|c| if c == ',' { '.' } else { c })
        .collect();
    let (units, cents) = match cleaned.split_once('.') {
        Some((u, c)) => (u, c),
        None => (cleaned.as_str(), ""),
    };
    let valid = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if units.is_empty() || !valid(units) || !valid(cents) || cents.len() > 2 || units.len() > 15 {
        return None;
    }
    let units: i64 = units.parse().ok()?;
    let cents: i64 = format!("{cents:0<2}").parse().ok()?;
    units.checked_mul(100)?.checked_add(cents)
}

/// A VAT rate in percent as the editor sends it (`20`, `5,5`, `5.5`) in basis points;
/// `None` when it is not a rate from 0 to 100 % in hundredths of a percent.
pub fn parse_vat_rate(text: &str) -> Option<i32> {
    let percent = parse_decimal(text)?;
    let bp = (percent * 100.0).round();
    let whole = (percent * 100.0 - bp).abs() < 1e-6;
    (whole && (0.0..=f64::from(MAX_VAT_RATE_BP)).contains(&bp)).then_some(bp as i32)
}

/// An amount field that may be left empty: `Ok(None)` when blank, the cents when it is
/// an amount, otherwise the refusal to show next to the field.
pub fn optional_euros(typed: &str) -> Result<Option<i64>, &'static str> {
    if typed.trim().is_empty() {
        return Ok(None);
    }
    parse_euros(typed)
        .map(Some)
        .ok_or("montant invalide : des euros, par exemple 1 500 ou 1 234,56")
}

/// A decimal number typed with a comma or a point (`1,5`); `None` otherwise.
pub fn parse_decimal(text: &str) -> Option<f64> {
    let cleaned: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{a0}' && *c != '\u{202f}')
        .map(|c| if c == ',' { '.' } else { c })
        .collect();
    if cleaned.is_empty() || !cleaned.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return None;
    }
    cleaned.parse().ok().filter(|v: &f64| v.is_finite())
}

// The public form.

/// What was typed in the public form.
#[derive(Default, Clone)]
pub struct PublicDraft {
    pub company_name: String,
    pub siret: String,
    pub contact_name: String,
    pub email: String,
    pub phone: String,
    pub title: String,
    pub description: String,
    pub domains: Vec<String>,
    pub platform_id: String,
    pub wished_from: String,
    pub wished_to: String,
    pub budget: String,
    pub links: String,
    pub confidential: bool,
}

pub struct DomainBox {
    pub value: &'static str,
    pub label: &'static str,
    pub checked: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "web/request_new.html")]
pub struct NewRequestPage {
    pub layout: Layout,
    pub who: Vec<Input>,
    pub need: Vec<Input>,
    pub domains: Vec<DomainBox>,
    pub domains_error: Option<String>,
    /// The platform asked for (one select, in a list for the template's loop).
    pub platform: Vec<Input>,
    pub details: Vec<Input>,
    pub confidential: bool,
    /// A refusal that concerns no field (the limit of submissions).
    pub error: Option<String>,
    /// Whether any field was refused: the summary at the top of the form.
    pub refused: bool,
    /// A company contact logged in: the request is their company's, without the fields of
    /// who asks.
    pub signed_in: bool,
}

impl NewRequestPage {
    pub fn new(
        layout: Layout,
        draft: PublicDraft,
        platforms: &[crate::db::platforms::PlatformRow],
        mut refusals: Refusals,
    ) -> Self {
        let refused = !refusals.is_empty();
        let d = draft;
        let who = vec![
            Input::new("company_name", "company_name", "Nom de l'entreprise")
                .required()
                .autocomplete("organization")
                .value(d.company_name)
                .refused(&mut refusals, "company_name"),
            Input::new("siret", "siret", "SIRET de l'entreprise")
                .required()
                .hint("14 chiffres, espaces permis (sur un extrait Kbis ou l'annuaire des entreprises).")
                .value(d.siret)
                .refused(&mut refusals, "siret"),
            Input::new("contact_name", "contact_name", "Votre nom")
                .required()
                .autocomplete("name")
                .value(d.contact_name)
                .refused(&mut refusals, "contact_name"),
            Input::new("email", "email", "Votre adresse e-mail")
                .kind("email")
                .required()
                .autocomplete("email")
                .hint("Un lien y sera envoyé pour confirmer l'adresse et suivre la demande.")
                .value(d.email)
                .refused(&mut refusals, "email"),
            Input::new("phone", "phone", "Votre téléphone")
                .kind("tel")
                .required()
                .autocomplete("tel")
                .value(d.phone)
                .refused(&mut refusals, "phone"),
        ];
        let need = vec![
            Input::new("title", "title", "Objet de la demande")
                .required()
                .hint("En quelques mots, par exemple « Essais de traction sur soudures TIG ».")
                .value(d.title)
                .refused(&mut refusals, "title"),
            Input::new("description", "description", "Votre besoin")
                .kind("textarea")
                .required()
                .hint("Pièces, matériaux, quantités, essais ou formation attendus, contraintes.")
                .value(d.description)
                .refused(&mut refusals, "description"),
        ];
        let domains = PlatformDomain::ALL
            .iter()
            .map(|domain| DomainBox {
                value: domain.as_str(),
                label: domain.label(),
                checked: d.domains.iter().any(|v| v == domain.as_str()),
            })
            .collect();
        let domains_error = refusals.take("domains");
        let mut choices = vec![(String::new(), "Je ne sais pas".to_owned())];
        choices.extend(platforms.iter().map(|p| {
            (
                p.id.clone(),
                format!(
                    "{} ({})",
                    p.name,
                    label_of(&p.domain, PlatformDomain::parse)
                ),
            )
        }));
        let platform = Input::new("platform_id", "platform_id", "Plateau technique souhaité")
            .hint("Laissez « Je ne sais pas » : l'équipe du campus choisira.")
            .value(d.platform_id)
            .options(choices)
            .refused(&mut refusals, "platform_id");
        let details = vec![
            Input::new("wished_from", "wished_from", "Début souhaité")
                .kind("date")
                .value(d.wished_from)
                .refused(&mut refusals, "wished_from"),
            Input::new("wished_to", "wished_to", "Fin souhaitée")
                .kind("date")
                .value(d.wished_to)
                .refused(&mut refusals, "wished_to"),
            Input::new("budget", "budget", "Budget indicatif, en euros hors taxes")
                .decimal()
                .hint("Par exemple 1 500 ou 1 500,50.")
                .value(d.budget)
                .refused(&mut refusals, "budget_cents"),
            Input::new("links", "links", "Liens utiles")
                .kind("textarea")
                .hint("Un lien par ligne (plans, photos, cahier des charges), 20 au plus.")
                .value(d.links)
                .refused(&mut refusals, "links"),
        ];
        NewRequestPage {
            layout,
            who,
            need,
            domains,
            domains_error,
            platform: vec![platform],
            details,
            confidential: d.confidential,
            error: refusals.rest(),
            refused,
            signed_in: false,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "web/request_sent.html")]
pub struct RequestSentPage {
    pub layout: Layout,
    pub receipt: &'static str,
}

// The list.

pub struct RequestLine {
    pub id: String,
    pub title: String,
    pub company: String,
    pub state: String,
    pub platform: String,
    pub created: String,
    pub updated: String,
    pub confidential: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "web/requests.html")]
pub struct RequestsPage {
    pub layout: Layout,
    pub is_company: bool,
    pub lines: Vec<RequestLine>,
    /// The link to the next page, when there is one.
    pub next: Option<String>,
    pub states: Vec<Choice>,
}

impl RequestsPage {
    pub fn new(layout: Layout, data: RequestList, state: &str, tz: &Tz) -> Self {
        let name = |id: &Option<String>| {
            id.as_ref()
                .and_then(|id| data.names.get(id))
                .cloned()
                .unwrap_or_default()
        };
        let lines = data
            .listed
            .rows
            .iter()
            .map(|r| {
                let row = &r.row;
                RequestLine {
                    id: row.id.clone(),
                    title: row.title.clone(),
                    company: data.names.get(&row.company_id).cloned().unwrap_or_default(),
                    state: state_label(&row.state),
                    platform: match name(&row.assigned_platform_id) {
                        p if !p.is_empty() => p,
                        _ => name(&row.requested_platform_id),
                    },
                    created: format::long_date(
                        crate::domain::time::local(row.created_at, tz).date_naive(),
                    ),
                    updated: moment(row.updated_at, tz),
                    confidential: row.confidential,
                }
            })
            .collect();
        let next = data.listed.next_after.as_ref().map(|after| {
            let mut query = url::form_urlencoded::Serializer::new(String::new());
            if !state.is_empty() {
                query.append_pair("etat", state);
            }
            query.append_pair("apres", after);
            format!("/demandes?{}", query.finish())
        });
        let mut states = vec![Choice {
            value: String::new(),
            label: "Tous".to_owned(),
            selected: state.is_empty(),
        }];
        states.extend(RequestState::ALL.iter().map(|s| Choice {
            value: s.as_str().to_owned(),
            label: capitalised(s.label()),
            selected: s.as_str() == state,
        }));
        RequestsPage {
            layout,
            is_company: data.side == Side::Company,
            lines,
            next,
            states,
        }
    }
}

// One request.

pub struct Fact {
    pub label: &'static str,
    pub value: String,
}

pub struct QuoteLineView {
    pub label: String,
    pub quantity: String,
    pub unit_price: String,
    pub vat_rate: String,
    pub excl: String,
    pub vat: String,
}

pub struct QuoteBlock {
    pub version: i32,
    pub status: String,
    /// Not replaced by a newer version.
    pub current: bool,
    pub valid_until: String,
    pub created: String,
    pub author: String,
    pub lines: Vec<QuoteLineView>,
    pub totals: Totals,
}

/// The VAT at one rate: `20 %`, its base excluding VAT, its VAT.
pub struct VatLine {
    pub rate: String,
    pub base: String,
    pub vat: String,
}

/// A quote's totals as a French quote shows them: excluding VAT, the VAT by rate, the VAT,
/// including VAT.
pub struct Totals {
    pub excl: String,
    pub by_rate: Vec<VatLine>,
    pub vat: String,
    pub incl: String,
}

impl Totals {
    fn new(by_rate: &[VatShare], (excl, vat, incl): (i64, i64, i64)) -> Self {
        Totals {
            excl: euros(excl),
            by_rate: by_rate
                .iter()
                .map(|share| VatLine {
                    rate: format!("{} %", percent(share.rate_bp)),
                    base: euros(share.excl_cents),
                    vat: euros(share.vat_cents),
                })
                .collect(),
            vat: euros(vat),
            incl: euros(incl),
        }
    }
}

impl QuoteBlock {
    fn new(
        quote: &QuoteRow,
        lines: &[QuoteLineRow],
        names: &HashMap<String, String>,
        tz: &Tz,
    ) -> Self {
        QuoteBlock {
            version: quote.version,
            status: label_of(&quote.status, QuoteStatus::parse),
            current: quote.status != QuoteStatus::Superseded.as_str(),
            valid_until: format::long_date(quote.valid_until),
            created: moment(quote.created_at, tz),
            author: quote
                .created_by
                .as_ref()
                .and_then(|id| names.get(id))
                .cloned()
                .unwrap_or_default(),
            lines: lines
                .iter()
                .map(|l| QuoteLineView {
                    label: l.label.clone(),
                    quantity: quantity_of_unit(l.quantity_milli, &l.unit),
                    unit_price: euros(l.unit_price_cents),
                    vat_rate: format!("{} %", percent(l.vat_rate_bp)),
                    excl: euros(l.total_excl_vat_cents),
                    vat: euros(l.vat_cents),
                })
                .collect(),
            // The stored lines' amounts by rate: they add up to the stored totals.
            totals: Totals::new(
                &vat_by_rate(
                    lines
                        .iter()
                        .map(|l| (l.vat_rate_bp, l.total_excl_vat_cents, l.vat_cents)),
                )
                .unwrap_or_default(),
                (
                    quote.total_excl_vat_cents,
                    quote.total_vat_cents,
                    quote.total_incl_vat_cents,
                ),
            ),
        }
    }
}

pub struct TimelineLine {
    pub when: String,
    pub who: String,
    pub what: String,
}

fn timeline_line(event: &EventRow, names: &HashMap<String, String>, tz: &Tz) -> TimelineLine {
    let details: serde_json::Value = serde_json::from_str(&event.details).unwrap_or_default();
    let version = details["version"].as_i64().unwrap_or_default();
    let total = details["total_incl_vat_cents"].as_i64();
    let what = match event.action.as_str() {
        "submit" => "Demande déposée".to_owned(),
        "quote" | "revise_quote" => format!(
            "Devis {} : version {version}{}",
            if event.action == "quote" {
                "émis"
            } else {
                "révisé"
            },
            total
                .map(|t| format!(", {} TTC", euros(t)))
                .unwrap_or_default()
        ),
        "message" if event.internal => "Message interne".to_owned(),
        "message" => "Message partagé avec l'entreprise".to_owned(),
        action => {
            let label = label_of(action, RequestAction::parse);
            match &event.to_state {
                Some(to) => format!("{} : demande {}", capitalised(&label), state_label(to)),
                None => capitalised(&label),
            }
        }
    };
    TimelineLine {
        when: moment(event.at, tz),
        who: event
            .actor_id
            .as_ref()
            .and_then(|id| names.get(id))
            .cloned()
            .unwrap_or_else(|| "le service".to_owned()),
        what,
    }
}

pub struct MessageLine {
    pub author: String,
    pub when: String,
    /// The message as written, its web addresses made links.
    pub body: Vec<Segment>,
    pub internal: bool,
}

/// One action's form: the API's action (a hidden field), its French name, the fields it
/// requires, and its refusal.
pub struct ActionForm {
    pub action: &'static str,
    pub label: String,
    pub fields: Vec<Input>,
    /// Hidden fields (the quote version answered).
    pub hidden: Vec<(&'static str, String)>,
    pub error: Option<String>,
    /// A step back (decline, withdraw, reject): drawn as a secondary button.
    pub secondary: bool,
}

/// What was typed in an action's form, kept when it is refused.
#[derive(Default)]
pub struct Typed {
    pub action: String,
    pub values: HashMap<String, String>,
    pub refusals: Refusals,
}

impl Typed {
    fn value(&self, action: &str, field: &str) -> String {
        if self.action == action {
            self.values.get(field).cloned().unwrap_or_default()
        } else {
            String::new()
        }
    }
}

pub struct EditorLine {
    /// Designation, quantity, unit, unit price, VAT rate.
    pub fields: Vec<Input>,
    /// Its amounts when the draft was computed: excluding VAT and VAT.
    pub amounts: Option<(String, String)>,
}

/// The quote editor: the lines typed, each with its VAT rate, the validity, and, when
/// computed, the totals of the draft.
pub struct QuoteEditor {
    pub version: i32,
    pub lines: Vec<EditorLine>,
    /// The validity.
    pub settings: Vec<Input>,
    pub error: Option<String>,
    /// The totals with the VAT by rate, when the draft was computed.
    pub totals: Option<Totals>,
    /// The draft was refused: no totals until it is corrected.
    pub refused: bool,
}

/// One line of the editor as typed.
#[derive(Default, Clone)]
pub struct DraftLine {
    pub label: String,
    pub quantity: String,
    pub unit: String,
    pub price: String,
    /// In percent, as the select sends it (`5,5`).
    pub vat_rate: String,
}

/// The editor's draft: what was typed, the refusals by the editor's field names (`label_0`,
/// `vat_rate_0`...), and the amounts computed for it.
#[derive(Default)]
pub struct QuoteDraft {
    pub valid_until: String,
    pub lines: Vec<DraftLine>,
    pub refusals: Refusals,
    pub amounts: Option<crate::usecases::service_requests::QuoteAmounts>,
}

/// The message form: what was typed, and its refusal.
#[derive(Default)]
pub struct MessageDraft {
    pub body: String,
    pub visibility: String,
    pub error: Option<String>,
}

/// What a refused form on the request's page brings back to it.
#[derive(Default)]
pub struct Drafts {
    pub action: Typed,
    pub quote: Option<QuoteDraft>,
    pub message: MessageDraft,
    /// A notice after a change (« Devis émis. »).
    pub notice: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "web/request.html")]
pub struct RequestPage {
    pub layout: Layout,
    pub csrf: String,
    pub id: String,
    pub title: String,
    pub state: String,
    pub is_staff: bool,
    pub facts: Vec<Fact>,
    /// The need as written, its web addresses made links.
    pub description: Vec<Segment>,
    pub links: Vec<Vec<Segment>>,
    pub quotes: Vec<QuoteBlock>,
    pub actions: Vec<ActionForm>,
    pub editor: Option<QuoteEditor>,
    pub timeline: Vec<TimelineLine>,
    pub messages: Vec<MessageLine>,
    /// The message's text and, for the staff, who reads it.
    pub message: Vec<Input>,
    pub notice: Option<String>,
    /// The company's quote expired: when, and how to get a new version.
    pub expired_quote: Option<String>,
    /// The refusal of an action the page has no form for.
    pub error: Option<String>,
}

/// A rate typed or sent as the select's value (`5,5` for `5.5` or `5,50`), or as typed when it
/// is not a rate.
fn rate_value(typed: &str) -> String {
    parse_vat_rate(typed).map_or_else(|| typed.to_owned(), percent)
}

/// The VAT rates a line offers: France's, then any other rate of the version revised (kept
/// as it was issued), then what was typed when it is none of them (shown with its refusal).
fn vat_rate_choices(revised: &[i32], typed: &str) -> Vec<(String, String)> {
    let mut rates: Vec<i32> = FRENCH_VAT_RATES_BP.to_vec();
    for rate in revised {
        if !rates.contains(rate) {
            rates.push(*rate);
        }
    }
    let mut choices: Vec<(String, String)> = rates
        .into_iter()
        .map(|bp| (percent(bp), format!("{} %", percent(bp))))
        .collect();
    let value = rate_value(typed);
    if !value.is_empty() && !choices.iter().any(|(v, _)| *v == value) {
        choices.push((value.clone(), value));
    }
    choices
}

const UNITS: [(&str, &str); 4] = [
    ("hour", "heure"),
    ("day", "jour"),
    ("piece", "pièce"),
    ("flat", "forfait"),
];

impl RequestPage {
    pub fn new(
        layout: Layout,
        data: RequestData,
        drafts: Drafts,
        today: chrono::NaiveDate,
        tz: &Tz,
    ) -> Self {
        let RequestData {
            side,
            request,
            quotes,
            messages,
            timeline,
            names,
            platforms,
        } = data;
        let row = request.row;
        let name = |id: &Option<String>| id.as_ref().and_then(|id| names.get(id)).cloned();
        let state = RequestState::parse(&row.state);
        let is_staff = side == Side::Campus;
        let mut facts = vec![
            Fact {
                label: "Entreprise",
                value: names.get(&row.company_id).cloned().unwrap_or_default(),
            },
            Fact {
                label: "Déposée le",
                value: moment(row.created_at, tz),
            },
            Fact {
                label: "Domaines",
                value: domains_of(&row),
            },
            Fact {
                label: "Plateau demandé",
                value: name(&row.requested_platform_id)
                    .unwrap_or_else(|| "pas de préférence".to_owned()),
            },
        ];
        let mut push = |label: &'static str, value: Option<String>| {
            if let Some(value) = value.filter(|v| !v.is_empty()) {
                facts.push(Fact { label, value });
            }
        };
        push("Contact", name(&row.contact_user_id));
        push("Plateau en charge", name(&row.assigned_platform_id));
        push("Personne en charge", name(&row.assignee_id));
        push(
            "Période souhaitée",
            match (row.wished_from, row.wished_to) {
                (Some(from), Some(to)) => Some(format!(
                    "du {} au {}",
                    format::long_date(from),
                    format::long_date(to)
                )),
                (Some(from), None) => Some(format!("à partir du {}", format::long_date(from))),
                (None, Some(to)) => Some(format!("jusqu'au {}", format::long_date(to))),
                (None, None) => None,
            },
        );
        push("Budget indicatif (HT)", row.budget_cents.map(euros));
        push(
            "Confidentialité",
            row.confidential
                .then(|| "demande confidentielle".to_owned()),
        );
        push(
            "Convention",
            row.agreement_reference
                .clone()
                .map(|r| match row.agreement_signed_on {
                    Some(day) => format!("{r}, signée le {}", format::long_date(day)),
                    None => r,
                }),
        );
        push("Livraison", row.delivery_note.clone());
        push(
            "Facture",
            row.invoice_reference
                .clone()
                .map(|r| match row.invoice_amount_cents {
                    Some(cents) => format!("{r}, {} TTC", euros(cents)),
                    None => r,
                }),
        );
        push("Motif", row.state_reason.clone());
        for (platform, work) in &request.work {
            push(
                "Travaux sur les plateaux",
                Some(format!(
                    "{} : {} h réservées, {} h réalisées",
                    names.get(platform).cloned().unwrap_or_default(),
                    quantity(work.seconds_booked * 1000 / 3600),
                    quantity(work.seconds_used * 1000 / 3600)
                )),
            );
        }

        let issued = quotes
            .iter()
            .find(|(q, _)| q.status == QuoteStatus::Issued.as_str())
            .map(|(q, _)| (q.version, q.total_incl_vat_cents, q.valid_until));
        // An expired quote can be neither accepted nor declined (`actions_today` leaves both
        // out, as the use case refuses them): no form for either, but what happened and how
        // to get a new version.
        let expired_quote = issued
            .filter(|(_, _, valid_until)| {
                !quote_answerable(*valid_until, today) && side == Side::Company
            })
            .filter(|_| {
                state.is_some_and(|s| allowed_actions(s, side).contains(&RequestAction::Accept))
            })
            .map(|(version, _, valid_until)| {
                format!(
                    "La version {version} du devis a expiré le {} (elle était valable jusqu'au {}). \
                     Pour en recevoir une nouvelle version, demandez-la à l'équipe du campus par un message ci-dessous.",
                    format::long_date(valid_until + chrono::Duration::days(1)),
                    format::long_date(valid_until)
                )
            });
        let Drafts {
            mut action,
            quote: quote_draft,
            message,
            notice,
        } = drafts;
        let mut actions = Vec::new();
        let allowed = state
            .map(|s| actions_today(s, side, issued.map(|(_, _, v)| v), today))
            .unwrap_or_default();
        for a in allowed {
            let id = |field: &str| format!("{}-{field}", a.as_str());
            let v = |field: &str| action.value(a.as_str(), field);
            let mut hidden = Vec::new();
            let mut fields = Vec::new();
            let mut label = capitalised(a.label());
            match a {
                RequestAction::Take => {
                    let mut choices = vec![(String::new(), "Choisissez un plateau".to_owned())];
                    choices.extend(platforms.iter().map(|p| (p.id.clone(), p.name.clone())));
                    let chosen = match v("platform_id") {
                        typed if !typed.is_empty() => typed,
                        _ => row.requested_platform_id.clone().unwrap_or_default(),
                    };
                    fields.push(
                        Input::new(
                            "platform_id",
                            id("platform_id"),
                            "Plateau qui traite la demande",
                        )
                        .required()
                        .value(chosen)
                        .options(choices),
                    );
                }
                RequestAction::Accept | RequestAction::Decline => {
                    let Some((version, total, _)) = issued else {
                        continue;
                    };
                    hidden.push(("quote_version", version.to_string()));
                    label = format!(
                        "{} le devis (version {version}, {} TTC)",
                        label,
                        euros(total)
                    );
                    if a == RequestAction::Decline {
                        fields.push(
                            Input::new("reason", id("reason"), "Motif (facultatif)")
                                .kind("textarea")
                                .value(v("reason")),
                        );
                    }
                }
                RequestAction::SignAgreement => {
                    fields.push(
                        Input::new(
                            "agreement_reference",
                            id("agreement_reference"),
                            "Référence de la convention",
                        )
                        .required()
                        .value(v("agreement_reference")),
                    );
                    fields.push(
                        Input::new("signed_on", id("signed_on"), "Date de signature")
                            .kind("date")
                            .required()
                            .value(match v("signed_on") {
                                typed if !typed.is_empty() || action.action == a.as_str() => typed,
                                _ => today.to_string(),
                            }),
                    );
                }
                RequestAction::Deliver => fields.push(
                    Input::new(
                        "delivery_note",
                        id("delivery_note"),
                        "Ce qui est livré (rapport, pièces)",
                    )
                    .kind("textarea")
                    .required()
                    .value(v("delivery_note")),
                ),
                RequestAction::Invoice => {
                    fields.push(
                        Input::new(
                            "invoice_reference",
                            id("invoice_reference"),
                            "Référence de la facture",
                        )
                        .required()
                        .value(v("invoice_reference")),
                    );
                    fields.push(
                        Input::new("amount", id("amount"), "Montant facturé, en euros TTC")
                            .required()
                            .decimal()
                            .value(v("amount")),
                    );
                }
                RequestAction::Reject => fields.push(
                    Input::new("reason", id("reason"), "Motif du refus")
                        .kind("textarea")
                        .required()
                        .value(v("reason")),
                ),
                RequestAction::Withdraw => fields.push(
                    Input::new("reason", id("reason"), "Motif (facultatif)")
                        .kind("textarea")
                        .value(v("reason")),
                ),
                RequestAction::StartWork | RequestAction::Close => {}
            }
            let mut error = None;
            if action.action == a.as_str() {
                for field in &mut fields {
                    let api_field = if field.name == "amount" {
                        "amount_cents".to_owned()
                    } else {
                        field.name.clone()
                    };
                    field.error = action.refusals.take(&api_field);
                }
                error = action.refusals.rest();
            }
            actions.push(ActionForm {
                action: a.as_str(),
                label,
                fields,
                hidden,
                error,
                secondary: matches!(
                    a,
                    RequestAction::Decline | RequestAction::Withdraw | RequestAction::Reject
                ),
            });
        }

        // A refused action the page offers no form for (another side's, or no longer
        // possible): its refusal at the top of the page.
        let error = (!action.action.is_empty()
            && !actions.iter().any(|a| a.action == action.action))
        .then(|| action.refusals.rest())
        .flatten();

        let editor = (is_staff && state.is_some_and(crate::domain::service_request::may_quote))
            .then(|| {
                let next_version = quotes.iter().map(|(q, _)| q.version).max().unwrap_or(0) + 1;
                let mut draft = quote_draft.unwrap_or_else(|| {
                    // A revision starts from the latest version's lines.
                    let latest = quotes.last();
                    let lines: Vec<DraftLine> = latest
                        .map(|(_, lines)| {
                            lines
                                .iter()
                                .map(|l| DraftLine {
                                    label: l.label.clone(),
                                    quantity: quantity(l.quantity_milli),
                                    unit: l.unit.clone(),
                                    price: euros(l.unit_price_cents)
                                        .trim_end_matches('€')
                                        .trim_end_matches('\u{a0}')
                                        .to_owned(),
                                    vat_rate: percent(l.vat_rate_bp),
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    QuoteDraft {
                        valid_until: (today + chrono::Duration::days(30)).to_string(),
                        lines,
                        ..Default::default()
                    }
                });
                // Room for new lines: three empty ones, at least one.
                let blanks = if draft.lines.is_empty() { 3 } else { 1 };
                draft
                    .lines
                    .extend((0..blanks).map(|_| DraftLine::default()));
                // The rates of the version revised stay on offer, whatever they are.
                let revised: Vec<i32> = quotes
                    .last()
                    .map(|(_, lines)| lines.iter().map(|l| l.vat_rate_bp).collect())
                    .unwrap_or_default();
                let units: Vec<(String, String)> = UNITS
                    .iter()
                    .map(|(v, l)| (v.to_string(), l.to_string()))
                    .collect();
                let refused = !draft.refusals.is_empty();
                let r = &mut draft.refusals;
                let mut lines = draft
                    .lines
                    .iter()
                    .enumerate()
                    .map(|(i, l)| {
                        let n = i + 1;
                        EditorLine {
                            fields: vec![
                                Input::new(
                                    format!("label_{i}"),
                                    format!("label_{i}"),
                                    format!("Ligne {n} : désignation"),
                                )
                                .value(l.label.clone())
                                .refused(r, &format!("label_{i}")),
                                Input::new(
                                    format!("quantity_{i}"),
                                    format!("quantity_{i}"),
                                    format!("Ligne {n} : quantité"),
                                )
                                .decimal()
                                .value(l.quantity.clone())
                                .refused(r, &format!("quantity_{i}")),
                                Input::new(
                                    format!("unit_{i}"),
                                    format!("unit_{i}"),
                                    format!("Ligne {n} : unité"),
                                )
                                .value(if l.unit.is_empty() {
                                    "hour".to_owned()
                                } else {
                                    l.unit.clone()
                                })
                                .options(units.clone())
                                .refused(r, &format!("unit_{i}")),
                                Input::new(
                                    format!("price_{i}"),
                                    format!("price_{i}"),
                                    format!("Ligne {n} : prix unitaire HT, en euros"),
                                )
                                .decimal()
                                .value(l.price.clone())
                                .refused(r, &format!("price_{i}")),
                                Input::new(
                                    format!("vat_rate_{i}"),
                                    format!("vat_rate_{i}"),
                                    format!("Ligne {n} : taux de TVA"),
                                )
                                .value(if l.vat_rate.is_empty() {
                                    percent(FRENCH_VAT_RATES_BP[0])
                                } else {
                                    rate_value(&l.vat_rate)
                                })
                                .options(vat_rate_choices(&revised, &l.vat_rate))
                                .refused(r, &format!("vat_rate_{i}")),
                            ],
                            amounts: None,
                        }
                    })
                    .collect::<Vec<_>>();
                if let Some(amounts) = &draft.amounts {
                    // Amounts follow the lines that were filled in, in order.
                    let mut filled = lines.iter_mut().filter(|l| {
                        [0, 1, 3]
                            .iter()
                            .any(|&k| !l.fields[k].value.trim().is_empty())
                    });
                    for (excl, vat) in &amounts.lines {
                        if let Some(line) = filled.next() {
                            line.amounts = Some((euros(*excl), euros(*vat)));
                        }
                    }
                }
                QuoteEditor {
                    version: next_version,
                    settings: vec![Input::new("valid_until", "valid_until", "Valable jusqu'au")
                        .kind("date")
                        .required()
                        .value(draft.valid_until.clone())
                        .refused(r, "valid_until")],
                    lines,
                    error: r.rest(),
                    refused,
                    totals: draft
                        .amounts
                        .map(|amounts| Totals::new(&amounts.by_rate, amounts.totals)),
                }
            });

        let mut message_input = Input::new("body", "message", "Votre message")
            .kind("textarea")
            .required()
            .value(message.body);
        message_input.error = message.error;
        let visibility = is_staff.then(|| {
            Input::new("visibility", "visibility", "Qui le lit")
                .value(if message.visibility.is_empty() {
                    MessageVisibility::Shared.as_str().to_owned()
                } else {
                    message.visibility
                })
                .options(vec![
                    (
                        MessageVisibility::Shared.as_str().to_owned(),
                        "L'entreprise et l'équipe du campus".to_owned(),
                    ),
                    (
                        MessageVisibility::Internal.as_str().to_owned(),
                        "L'équipe du campus seulement (message interne)".to_owned(),
                    ),
                ])
        });
        RequestPage {
            csrf: layout.csrf.clone(),
            layout,
            id: row.id.clone(),
            title: row.title.clone(),
            state: state_label(&row.state),
            is_staff,
            facts,
            description: segments(&row.description),
            links: row.links.lines().map(segments).collect(),
            quotes: quotes
                .iter()
                .rev()
                .map(|(q, l)| QuoteBlock::new(q, l, &names, tz))
                .collect(),
            actions,
            editor,
            timeline: timeline
                .iter()
                .map(|e| timeline_line(e, &names, tz))
                .collect(),
            messages: messages
                .iter()
                .map(|m| MessageLine {
                    author: m
                        .author_id
                        .as_ref()
                        .and_then(|id| names.get(id))
                        .cloned()
                        .unwrap_or_default(),
                    when: moment(m.created_at, tz),
                    body: segments(&m.body),
                    internal: m.visibility == MessageVisibility::Internal.as_str(),
                })
                .collect(),
            message: std::iter::once(message_input).chain(visibility).collect(),
            notice,
            expired_quote,
            error,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_typed_in_french() {
        assert_eq!(parse_euros("1 234,56"), Some(123_456));
        assert_eq!(parse_euros("85.5"), Some(8550));
        assert_eq!(parse_euros("85 €"), Some(8500));
        assert_eq!(parse_euros("1\u{a0}000"), Some(100_000));
        assert_eq!(parse_euros("12,345"), None);
        assert_eq!(parse_euros("-3"), None);
        assert_eq!(parse_euros("abc"), None);
        assert_eq!(parse_decimal("1,5"), Some(1.5));
        assert_eq!(parse_decimal("1e3"), None);
        assert_eq!(quantity(1500), "1,5");
        assert_eq!(percent(550), "5,5");
        assert_eq!(percent(2000), "20");
    }

    #[test]
    fn vat_rates_in_percent() {
        assert_eq!(parse_vat_rate("20"), Some(2000));
        assert_eq!(parse_vat_rate("5,5"), Some(550));
        assert_eq!(parse_vat_rate("2.10"), Some(210));
        assert_eq!(parse_vat_rate("0"), Some(0));
        assert_eq!(parse_vat_rate("100"), Some(10_000));
        assert_eq!(
            parse_vat_rate("8,125"),
            None,
            "finer than a hundredth of a percent"
        );
        assert_eq!(parse_vat_rate("120"), None);
        assert_eq!(parse_vat_rate("-5"), None);
        assert_eq!(parse_vat_rate("vingt"), None);
        assert_eq!(rate_value("5.50"), "5,5");
        let choices = vat_rate_choices(&[2000, 850, 0], "");
        let values: Vec<&str> = choices.iter().map(|(v, _)| v.as_str()).collect();
        assert_eq!(values, ["20", "10", "5,5", "2,1", "0", "8,5"]);
        assert_eq!(choices[5].1, "8,5 %");
        let typed = vat_rate_choices(&[], "vingt");
        assert_eq!(typed.last().unwrap().0, "vingt", "what was typed, kept");
    }

    #[test]
    fn optional_amounts_of_forms() {
        assert_eq!(optional_euros(""), Ok(None));
        assert_eq!(optional_euros(" \u{a0}"), Ok(None), "blank is left empty");
        assert_eq!(optional_euros("1 500,50"), Ok(Some(150_050)));
        assert_eq!(optional_euros("0"), Ok(Some(0)));
        let refusal = optional_euros("mille").expect_err("not an amount");
        assert!(refusal.starts_with("montant invalide"), "{refusal}");
        assert!(optional_euros("12,345").is_err(), "no fraction of a cent");
        assert!(optional_euros("-5").is_err(), "no negative amount");
    }

    #[test]
    fn refusals_read_as_sentences() {
        assert_eq!(
            sentence("ne doit pas être vide"),
            "Ce champ ne doit pas être vide."
        );
        assert_eq!(
            sentence("numéro de téléphone invalide"),
            "Numéro de téléphone invalide."
        );
    }
}
