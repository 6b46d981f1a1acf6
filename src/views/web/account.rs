//! The account pages: « Mot de passe oublié » and its link, the confirmation of an address,
//! and « Mon compte » (browser sessions, e-mail preferences, password).

use askama::Template;
use askama_web::WebTemplate;
use chrono_tz::Tz;

use super::{format, Choice, Layout};
use crate::domain::notifications::Locale;
use crate::error::ApiError;
use crate::labels::Label;
use crate::usecases::account_pages::AccountOverview;
use crate::usecases::accounts::ConfirmationLink;

/// A refusal's message as a sentence: `Le mot de passe doit… .`
fn sentence(message: &str) -> String {
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => {
            let mut text = first.to_uppercase().collect::<String>() + chars.as_str();
            if !text.ends_with('.') {
                text.push('.');
            }
            text
        }
        None => String::new(),
    }
}

/// The message of a refusal on `field`, as a sentence to show next to it.
pub fn field_error(error: &ApiError, field: &str) -> Option<String> {
    error
        .errors
        .iter()
        .find(|e| e.field == field)
        .map(|e| sentence(&e.message))
}

/// The form's second copy of a new password, compared with the first: the message to
/// show next to it when they differ.
pub fn mismatch(password: &str, again: &str) -> Option<String> {
    (password != again).then(|| "Les deux mots de passe ne sont pas identiques.".to_owned())
}

/// `mardi 2 mars 2027 à 08:00`, in the campus time zone.
fn moment(seconds: i64, tz: &Tz) -> String {
    let day = crate::domain::time::local(seconds, tz).date_naive();
    format!(
        "{} à {}",
        format::long_date(day),
        format::time_of(seconds, tz)
    )
}

/// A browser and its system as people name them (`Firefox sous Linux`), read from a
/// `User-Agent` header; what it does not recognise stays unnamed.
pub fn browser_of(user_agent: &str) -> String {
    let has = |text: &str| user_agent.contains(text);
    // The order matters: Edge and Opera also say Chrome, Chrome also says Safari, Android
    // also says Linux, and iOS also says Mac OS X.
    let browser = if has("Edg/") || has("EdgA/") || has("EdgiOS/") {
        Some("Edge")
    } else if has("OPR/") || has("Opera") {
        Some("Opera")
    } else if has("Firefox/") || has("FxiOS/") {
        Some("Firefox")
    } else if has("Chromium/") {
        Some("Chromium")
    } else if has("Chrome/") || has("CriOS/") {
        Some("Chrome")
    } else if has("Safari/") {
        Some("Safari")
    } else {
        None
    };
    let system = if has("Android") {
        Some("Android")
    } else if has("iPhone") || has("iPad") {
        Some("iOS")
    } else if has("Windows") {
        Some("Windows")
    } else if has("CrOS") {
        Some("ChromeOS")
    } else if has("Macintosh") || has("Mac OS X") {
        Some("macOS")
    } else if has("Linux") {
        Some("Linux")
    } else {
        None
    };
    match (browser, system) {
        (Some(browser), Some(system)) => format!("{browser} sous {system}"),
        (Some(browser), None) => browser.to_owned(),
        (None, Some(system)) => format!("un navigateur sous {system}"),
        (None, None) => "un navigateur non reconnu".to_owned(),
    }
}

/// The refusals of a new password typed twice, each next to its field.
#[derive(Default)]
pub struct NewPasswordErrors {
    pub password: Option<String>,
    pub again: Option<String>,
}

impl NewPasswordErrors {
    pub fn any(&self) -> bool {
        self.password.is_some() || self.again.is_some()
    }
}

// « Mot de passe oublié ».

#[derive(Template, WebTemplate)]
#[template(path = "web/forgotten_password.html")]
pub struct ForgottenPasswordPage {
    pub layout: Layout,
    pub email: String,
    pub error: Option<String>,
    /// The answer to a request, the same whether or not the address has an account.
    pub receipt: Option<String>,
}

/// The page of a reset link: the new password twice, or why the link no longer works.
#[derive(Template, WebTemplate)]
#[template(path = "web/reset_password.html")]
pub struct ResetPasswordPage {
    pub layout: Layout,
    pub token: String,
    /// Why the link no longer works; the form is not shown then.
    pub link_error: Option<String>,
    pub errors: NewPasswordErrors,
}

impl ResetPasswordPage {
    pub fn link_message(state: crate::domain::accounts::LinkState) -> Option<String> {
        use crate::domain::accounts::LinkState;
        match state {
            LinkState::Usable => None,
            LinkState::Used => Some("Ce lien a déjà servi, ou un lien plus récent l'a remplacé : chaque lien ne sert qu'une fois.".to_owned()),
            LinkState::Expired => Some("Ce lien a expiré : il ne valait qu'une heure.".to_owned()),
            LinkState::Unknown => Some("Ce lien de changement de mot de passe est inconnu : vérifiez qu'il est complet.".to_owned()),
        }
    }
}

// A code typed from an e-mail.

/// The page where the code of a confirmation or reset e-mail is typed, for a link that
/// does not open.
#[derive(Template, WebTemplate)]
#[template(path = "web/typed_code.html")]
pub struct TypedCodePage {
    pub layout: Layout,
    /// Where the form is posted: the page itself.
    pub action: &'static str,
    /// What the code is for, after « Le code … ».
    pub purpose: &'static str,
    /// The code as typed, kept after a refusal.
    pub code: String,
    pub error: Option<String>,
}

impl TypedCodePage {
    pub fn new(layout: Layout, from: crate::usecases::typed_codes::CodeFrom) -> Self {
        use crate::usecases::typed_codes::CodeFrom;
        let (action, purpose) = match from {
            CodeFrom::Confirmation => (
                "/confirmation",
                "de l'e-mail « Confirmez votre adresse e-mail » ouvre la confirmation de votre compte",
            ),
            CodeFrom::PasswordReset => (
                "/mot-de-passe-oublie/code",
                "de l'e-mail « Changement du mot de passe » ouvre le choix d'un nouveau mot de passe",
            ),
        };
        TypedCodePage {
            layout,
            action,
            purpose,
            code: String::new(),
            error: None,
        }
    }
}

// The confirmation of an address.

pub struct ConfirmationSummary {
    pub email: String,
    pub display_name: String,
    pub role: &'static str,
    pub organisation: String,
    pub expires: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "web/confirmation.html")]
pub struct ConfirmationPage {
    pub layout: Layout,
    pub token: String,
    /// What the link confirms, while it works.
    pub account: Option<ConfirmationSummary>,
    /// Why the link no longer works.
    pub link_error: Option<String>,
    /// The account is confirmed already: logging in is what is left.
    pub confirmed: bool,
    pub errors: NewPasswordErrors,
}

impl ConfirmationPage {
    pub fn new(layout: Layout, token: String, link: ConfirmationLink, tz: &Tz) -> Self {
        let (account, link_error, confirmed) = match link {
            ConfirmationLink::Usable {
                email,
                display_name,
                role,
                organisation,
                expires_at,
            } => (
                Some(ConfirmationSummary {
                    email,
                    display_name,
                    role: role.label(),
                    organisation,
                    expires: moment(expires_at, tz),
                }),
                None,
                false,
            ),
            ConfirmationLink::Used { active: true } => (
                None,
                Some("Ce lien a déjà servi : l'adresse est confirmée. Connectez-vous avec le mot de passe choisi alors.".to_owned()),
                true,
            ),
            ConfirmationLink::Used { active: false } => (
                None,
                Some("Ce lien a été remplacé par un plus récent : utilisez le dernier e-mail reçu, ou demandez un nouveau lien à la direction du campus.".to_owned()),
                false,
            ),
            ConfirmationLink::Expired => (
                None,
                Some("Ce lien a expiré : il valait sept jours. Demandez un nouveau lien à la direction du campus.".to_owned()),
                false,
            ),
            ConfirmationLink::Unknown => (
                None,
                Some("Ce lien de confirmation est inconnu : vérifiez qu'il est complet.".to_owned()),
                false,
            ),
        };
        ConfirmationPage {
            layout,
            token,
            account,
            link_error,
            confirmed,
            errors: NewPasswordErrors::default(),
        }
    }
}

// « Mon compte ».

pub struct SessionLine {
    pub id: String,
    pub opened: String,
    pub last_seen: String,
    pub ends: String,
    /// `Firefox sous Linux`, when the browser said what it is.
    pub browser: Option<String>,
    /// The session of this very page.
    pub current: bool,
}

pub struct KindChoice {
    pub value: &'static str,
    pub label: &'static str,
    pub enabled: bool,
    /// Account and password messages always go out.
    pub locked: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "web/account.html")]
pub struct AccountPage {
    pub layout: Layout,
    pub notice: Option<String>,
    pub email: String,
    pub display_name: String,
    pub organisation: String,
    pub sessions: Vec<SessionLine>,
    pub others: usize,
    pub kinds: Vec<KindChoice>,
    pub locales: Vec<Choice>,
    pub preferences_error: Option<String>,
    /// The refusals of the password form: the current password, the new one twice, and
    /// one of no field (too many failures, a concurrent change).
    pub current_error: Option<String>,
    pub errors: NewPasswordErrors,
    pub password_error: Option<String>,
}

impl AccountPage {
    pub fn new(layout: Layout, overview: AccountOverview, current_session: &str, tz: &Tz) -> Self {
        let sessions: Vec<SessionLine> = overview
            .sessions
            .into_iter()
            .map(|s| SessionLine {
                current: s.id == current_session,
                opened: moment(s.created_at, tz),
                last_seen: moment(s.last_seen_at, tz),
                ends: moment(s.expires_at, tz),
                browser: s.user_agent.as_deref().map(browser_of),
                id: s.id,
            })
            .collect();
        let locale = overview.preferences.locale;
        AccountPage {
            layout,
            notice: None,
            email: overview.email,
            display_name: overview.display_name,
            organisation: overview.organisation,
            others: sessions.iter().filter(|s| !s.current).count(),
            sessions,
            kinds: overview
                .preferences
                .kinds
                .into_iter()
                .map(|(kind, enabled)| KindChoice {
                    value: kind.as_str(),
                    label: kind.label(),
                    enabled,
                    locked: !kind.can_be_turned_off(),
                })
                .collect(),
            locales: Locale::ALL
                .iter()
                .map(|l| Choice {
                    value: l.as_str().to_owned(),
                    label: l.label().to_owned(),
                    selected: *l == locale,
                })
                .collect(),
            preferences_error: None,
            current_error: None,
            errors: NewPasswordErrors::default(),
            password_error: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::CurrentUser;
    use crate::domain::Role;
    use crate::usecases::web_sessions::WebCaller;

    fn caller(role: Role, awaiting_approval: bool) -> WebCaller {
        WebCaller {
            user: CurrentUser {
                id: "u".into(),
                role,
                organisation_id: "o".into(),
                session_id: "s".into(),
                awaiting_approval,
            },
            display_name: "Camille".into(),
        }
    }

    fn links(caller: Option<&WebCaller>) -> Vec<&'static str> {
        Layout::new("Mon compte", "/compte", caller, "")
            .nav
            .iter()
            .map(|l| l.href)
            .collect()
    }

    #[test]
    fn every_account_reaches_its_own_page_and_visitors_do_not() {
        for role in Role::ALL {
            assert!(
                links(Some(&caller(*role, false))).contains(&"/compte"),
                "{role:?}"
            );
        }
        // A company contact awaiting approval reads no inventory, but has an account and
        // follows the requests it submitted.
        assert_eq!(
            links(Some(&caller(Role::Company, true))),
            ["/", "/demandes", "/compte"]
        );
        assert_eq!(links(None), ["/"]);
    }

    #[test]
    fn browsers_are_named_as_people_know_them() {
        for (agent, named) in [
            ("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", "Firefox sous Linux"),
            ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0", "Edge sous Windows"),
            ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36", "Chrome sous Android"),
            ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", "Safari sous iOS"),
            ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15", "Safari sous macOS"),
            ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36", "Chrome sous Linux"),
            ("curl/8.5.0", "un navigateur non reconnu"),
        ] {
            assert_eq!(browser_of(agent), named, "{agent}");
        }
    }

    #[test]
    fn refusals_read_as_sentences() {
        let error = ApiError::field("password", "too_short", "le mot de passe est court");
        assert_eq!(
            field_error(&error, "password").as_deref(),
            Some("Le mot de passe est court.")
        );
        assert_eq!(field_error(&error, "email"), None);
        assert_eq!(mismatch("même", "même"), None);
        assert!(mismatch("un", "deux").is_some());
    }
}
