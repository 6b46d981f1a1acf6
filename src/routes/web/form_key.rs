//! A form sent twice (a double click, a reload of the answer) writes once: every write form
//! carries a one-time key (`cle`, a fresh one in each page's layout), claimed in the same
//! store as the API's `Idempotency-Key` before the handler runs. The first sending writes
//! and its redirect is kept; a second one with the same key and the same fields waits for
//! the first and answers that redirect (to the same booking, the same request), writing
//! nothing. A refused sending is forgotten, so that the corrected form may go with its key.

use std::future::Future;

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use sha2::{Digest, Sha256};

use super::visitor::{bare_page, redirect, Visitor};
use crate::db::idempotency::{self as store, Claim};
use crate::state::AppState;
use crate::views::web::ErrorPage;

/// The hidden field holding a form's key.
pub const FIELD: &str = "cle";

/// How long a second sending waits for the first: 100 × 50 ms.
const IN_PROGRESS_CHECKS: u32 = 100;
const IN_PROGRESS_PAUSE: std::time::Duration = std::time::Duration::from_millis(50);

/// A form's key and what it was sent with.
pub struct FormKey {
    key: String,
    /// The path, query and fields sent, but the CSRF token (masked afresh on every page)
    /// and the key itself.
    fields_hash: String,
}

impl FormKey {
    /// The key of a form's body, if it carries a well-formed one (visible ASCII, 1 to 200
    /// characters, as the API's); a form without one is handled as before, written at
    /// each sending.
    pub fn of(path_and_query: &str, body: &[u8]) -> Option<FormKey> {
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(body)
            .map(|(n, v)| (n.into_owned(), v.into_owned()))
            .collect();
        let key = pairs
            .iter()
            .find(|(n, _)| n == FIELD)
            .map(|(_, v)| v.clone())
            .filter(|k| {
                !k.is_empty() && k.len() <= 200 && k.bytes().all(|b| (0x21..0x7f).contains(&b))
            })?;
        let mut hasher = Sha256::new();
        hasher.update(path_and_query.as_bytes());
        for (name, value) in pairs.iter().filter(|(n, _)| n != FIELD && n != "csrf") {
            // Lengths first, so that no two different forms hash alike.
            hasher.update((name.len() as u64).to_le_bytes());
            hasher.update(name.as_bytes());
            hasher.update((value.len() as u64).to_le_bytes());
            hasher.update(value.as_bytes());
        }
        Some(FormKey {
            key,
            fields_hash: hex::encode(hasher.finalize()),
        })
    }
}

/// Runs `work` (the handler's body) once per form key. The work runs in a task of its own,
/// so that a browser dropping the first sending (a double click does) does not stop it
/// halfway: its answer is kept for the second.
pub async fn once<F, Fut>(
    state: &web::Data<AppState>,
    visitor: Visitor,
    key: Option<FormKey>,
    work: F,
) -> HttpResponse
where
    F: FnOnce(Visitor) -> Fut + 'static,
    Fut: Future<Output = HttpResponse> + 'static,
{
    let Some(FormKey { key, fields_hash }) = key else {
        return work(visitor).await;
    };
    // Keys are the sender's: an account's, or the visitors' without one (the public form),
    // apart from the API's.
    let scope = match visitor.user() {
        Some(user) => format!("web:user:{}", user.id),
        None => "web:anonymous".to_owned(),
    };
    let mut claim = Claim::InProgress;
    for attempt in 0..=IN_PROGRESS_CHECKS {
        if attempt > 0 {
            actix_web::rt::time::sleep(IN_PROGRESS_PAUSE).await;
        }
        let (scope, key, fields_hash, now) =
            (scope.clone(), key.clone(), fields_hash.clone(), state.now());
        claim = match state
            .db(move |conn| store::claim(conn, now, &scope, &key, &fields_hash))
            .await
        {
            Ok(claim) => claim,
            Err(error) => return visitor.failure(error),
        };
        if !matches!(claim, Claim::InProgress) {
            break;
        }
    }
    let already_sent = |visitor: &Visitor, message: &str| {
        visitor.page(
            StatusCode::CONFLICT,
            ErrorPage {
                layout: visitor.layout("Formulaire déjà envoyé"),
                message: message.to_owned(),
            },
        )
    };
    match claim {
        Claim::Replay(first) => match first.location {
            Some(location) => visitor.finish(redirect(&location)),
            None => already_sent(
                &visitor,
                "Ce formulaire a déjà été envoyé et enregistré : rien n'a été fait une seconde fois.",
            ),
        },
        Claim::Mismatch => already_sent(
            &visitor,
            "Ce formulaire a déjà été envoyé, avec d'autres valeurs : rien n'a été fait. Rouvrez la page pour en remplir un nouveau.",
        ),
        Claim::InProgress => already_sent(
            &visitor,
            "Ce formulaire est encore en cours d'envoi : rien n'a été fait une seconde fois. Rechargez la page dans un instant pour voir le résultat.",
        ),
        Claim::Claimed => {
            let state = state.clone();
            let task = actix_web::rt::spawn(async move {
                let response = work(visitor).await;
                let location = (response.status() == StatusCode::SEE_OTHER)
                    .then(|| response.headers().get(header::LOCATION))
                    .flatten()
                    .and_then(|l| l.to_str().ok())
                    .map(str::to_owned);
                let saved = state
                    .db(move |conn| match location {
                        // Only what was written is kept: a redirect after a write.
                        Some(location) => store::complete(
                            conn,
                            &scope,
                            &key,
                            StatusCode::SEE_OTHER.as_u16(),
                            None,
                            Some(location),
                            String::new(),
                        ),
                        // A refusal, a preview: the key may go again.
                        None => store::release(conn, &scope, &key),
                    })
                    .await;
                if let Err(error) = saved {
                    tracing::error!(error = %error, "form key not saved");
                }
                response
            });
            match task.await {
                Ok(response) => response,
                Err(_) => bare_page(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Erreur du service",
                    "Le service n'a pas pu répondre. Réessayez dans un instant.",
                ),
            }
        }
    }
}
