//! A short memory of callers' standing (`users::standing`), so that a burst of requests
//! from one session costs one query a second, not one each.
//!
//! Every write that can change a standing (an account updated, a session closed) goes
//! through `users::update` or `tokens::revoke_*`, which call `changed()`: from then on,
//! nothing remembered before the change, or shortly after it (the change may not be
//! committed yet), is trusted. On one instance a change therefore applies from the next
//! request; another instance of the service sees it within `KEPT`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::users::Standing;

/// How long a standing read from the database is trusted.
const KEPT: Duration = Duration::from_secs(1);
/// After a change, standings read within this delay are not trusted either: the change's
/// transaction may still have been open when they were read.
const SETTLING: Duration = Duration::from_secs(2);
/// Past this many sessions remembered, the memory starts again empty.
const MAX_ENTRIES: usize = 10_000;

struct Memory {
    last_change: Option<Instant>,
    entries: HashMap<(String, String), (Instant, Standing)>,
}

static MEMORY: Mutex<Option<Memory>> = Mutex::new(None);

fn with_memory<T>(work: impl FnOnce(&mut Memory) -> T) -> T {
    let mut guard = MEMORY.lock().unwrap_or_else(|p| p.into_inner());
    let memory = guard.get_or_insert_with(|| Memory {
        last_change: None,
        entries: HashMap::new(),
    });
    work(memory)
}

/// Something that a standing depends on changed (or is about to be committed).
pub fn changed() {
    with_memory(|m| {
        m.last_change = Some(Instant::now());
        m.entries.clear();
    });
}

/// The standing of `(user, session)` if it was read from the database less than `KEPT`
/// ago and after the last change had settled.
pub fn recalled(user_id: &str, session_id: &str) -> Option<Standing> {
    with_memory(|m| {
        let (read_at, standing) = m
            .entries
            .get(&(user_id.to_owned(), session_id.to_owned()))?;
        let settled = m
            .last_change
            .is_none_or(|change| *read_at > change + SETTLING);
        (read_at.elapsed() < KEPT && settled).then(|| standing.clone())
    })
}

/// Remembers a standing read from the database by a query that started at `read_at`.
pub fn remember(user_id: &str, session_id: &str, read_at: Instant, standing: &Standing) {
    with_memory(|m| {
        if m.entries.len() >= MAX_ENTRIES {
            m.entries.clear();
        }
        m.entries.insert(
            (user_id.to_owned(), session_id.to_owned()),
            (read_at, standing.clone()),
        );
    });
}
