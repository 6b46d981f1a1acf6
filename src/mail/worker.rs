//! The mail worker: threads of the service (`PLATEAUX_MAIL_SENDERS`) that send the outbox,
//! each on its own connection to the mail server, kept open between messages (`smtp.rs`
//! for a plain relay, lettre's pool for an encrypted or authenticated server).
//!
//! Each round, a thread claims a batch of due messages with a lease (one short write
//! transaction: `FOR UPDATE SKIP LOCKED` on PostgreSQL, `BEGIN IMMEDIATE` on SQLite), gives
//! the connection back, sends each message with no connection or transaction held, and
//! marks those the server accepted together (one statement, at the batch's end or sooner:
//! `Accepted`), a refusal at once. Several instances of the service on one database
//! therefore share the queue, each message going out once.
//!
//! A crash between a send and its mark leaves the message claimed but not marked: once
//! its lease has expired it is sent again. That copy is the price of never losing one.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::Message;
use rand::Rng;

use super::content::{render, Context, Facts, Recipient};
use super::transport::{SendError, Transport};
use crate::config::MailConfig;
use crate::db::outbox::MessageRow;
use crate::db::{self, Pool};
use crate::domain::notifications::{AfterFailure, Locale, NotificationKind, RetryPolicy};
use crate::load::Load;
use crate::metrics::Metrics;

/// Messages one claim takes at most: small, so that a burst spreads over the threads.
const BATCH: i64 = 10;

/// The longest a thread puts off claiming while bookings queue up: under a flood of
/// bookings, each thread still sends a batch this often; once the flood ends, the queue
/// drains at full speed.
const MOST_GIVEN_WAY: Duration = Duration::from_secs(5);

/// Wakes the workers of this process when a message is queued.
static QUEUED: (Mutex<u64>, Condvar) = (Mutex::new(0), Condvar::new());

/// Tells this process's workers that a message was queued (its transaction may commit a
/// moment later: a woken worker that finds nothing looks again a few times).
pub fn nudge() {
    let mut generation = QUEUED.0.lock().unwrap_or_else(|p| p.into_inner());
    *generation = generation.wrapping_add(1);
    QUEUED.1.notify_all();
}

fn generation() -> u64 {
    *QUEUED.0.lock().unwrap_or_else(|p| p.into_inner())
}

/// Waits until a message is queued after `seen`, or `timeout`; returns the generation.
fn wait_for_nudge(seen: u64, timeout: Duration) -> u64 {
    let guard = QUEUED.0.lock().unwrap_or_else(|p| p.into_inner());
    let (guard, _) = QUEUED
        .1
        .wait_timeout_while(guard, timeout, |g| *g == seen)
        .unwrap_or_else(|p| p.into_inner());
    *guard
}

/// What the threads share.
struct Shared {
    pool: Pool,
    transport: Transport,
    from: Mailbox,
    /// The domain of Message-IDs.
    domain: String,
    context: Context,
    retry: RetryPolicy,
    niceness: u32,
    lease_ms: i64,
    poll: Duration,
    /// The longest exchange with the mail server; a message is sent only when its lease
    /// outlasts it.
    send_timeout: Duration,
    metrics: Arc<Metrics>,
    /// The instance's load: sending gives way while bookings queue up.
    load: Arc<Load>,
    /// When the queue was last counted for `/metrics`: at most once a second, as a count
    /// after every batch of ten read the whole waiting queue each time.
    counted: Mutex<Option<Instant>>,
    /// The application's clock: leases, retries and sent instants.
    clock: Arc<dyn crate::clock::Clock>,
    stop: AtomicBool,
}

/// The running worker; stops (after the message being sent) when dropped.
pub struct MailWorker {
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
}

impl MailWorker {
    /// Starts the threads; fails when the transport cannot be set up (mail directory).
    pub fn start(
        pool: Pool,
        config: &MailConfig,
        timezone: chrono_tz::Tz,
        clock: Arc<dyn crate::clock::Clock>,
        metrics: Arc<Metrics>,
        load: Arc<Load>,
    ) -> Result<MailWorker, String> {
        let send_timeout = Duration::from_millis((config.lease_ms as u64 / 3).clamp(200, 20_000));
        let transport = Transport::new(&config.delivery, send_timeout, config.senders)?;
        let from: Mailbox = config
            .from
            .parse()
            .map_err(|e| format!("PLATEAUX_MAIL_FROM: {e}"))?;
        let domain = from.email.domain().to_owned();
        let organizer = (
            from.name.clone().unwrap_or_else(|| "Plateaux".to_owned()),
            from.email.to_string(),
        );
        let shared = Arc::new(Shared {
            pool,
            transport,
            from,
            domain,
            context: Context {
                public_url: config.public_url.clone(),
                timezone,
                organizer,
            },
            retry: config.retry,
            niceness: config.niceness,
            lease_ms: config.lease_ms,
            poll: Duration::from_millis(config.poll_ms),
            send_timeout,
            metrics,
            load,
            counted: Mutex::new(None),
            clock,
            stop: AtomicBool::new(false),
        });
        let threads = (0..config.senders.max(1))
            .map(|n| {
                let shared = shared.clone();
                std::thread::Builder::new()
                    .name(format!("mail-worker-{n}"))
                    .spawn(move || run(&shared))
                    .map_err(|e| format!("cannot start the mail worker: {e}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(MailWorker { shared, threads })
    }

    /// Stops the threads once the message each is sending is marked.
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        nudge();
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

impl Drop for MailWorker {
    fn drop(&mut self) {
        self.halt();
    }
}

impl Shared {
    /// Whether a round that claimed messages counts the queue: one such round a second
    /// (a round that claimed nothing always counts; it is cheap then).
    fn time_to_count(&self) -> bool {
        let mut counted = self.counted.lock().unwrap_or_else(|p| p.into_inner());
        match *counted {
            Some(at) if at.elapsed() < Duration::from_secs(1) => false,
            _ => {
                *counted = Some(Instant::now());
                true
            }
        }
    }
}

fn run(shared: &Shared) {
    lower_priority(shared.niceness);
    let mut seen = generation();
    // Looks left after a nudge that found nothing yet (the queuing transaction may still be
    // committing).
    let mut looks_left = 0;
    // Since when this thread has been giving way to bookings.
    let mut giving_way: Option<Instant> = None;
    while !shared.stop.load(Ordering::SeqCst) {
        if shared.load.bookings_pressing() {
            let since = *giving_way.get_or_insert_with(Instant::now);
            if since.elapsed() < MOST_GIVEN_WAY {
                std::thread::sleep(Duration::from_millis(50));
                continue;
            }
        }
        giving_way = None;
        let lease_id = db::new_id();
        let claimed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            db::with_connection(&shared.pool, |conn| {
                let batch = db::write_transaction(conn, |conn| {
                    db::outbox::claim(
                        conn,
                        &lease_id,
                        shared.clock.now_ms(),
                        shared.lease_ms,
                        BATCH,
                    )
                })?;
                let waiting = if batch.is_empty() || shared.time_to_count() {
                    Some(db::outbox::count_waiting(conn)?)
                } else {
                    None
                };
                Ok((batch, waiting))
            })
        }));
        match claimed {
            Ok(Ok((batch, waiting))) => {
                if let Some(waiting) = waiting {
                    shared.metrics.set_mail_queue(waiting);
                }
                if !batch.is_empty() {
                    looks_left = 0;
                    // A panic leaves the rest of the batch leased: taken again once the
                    // lease expires.
                    let sent = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        send_batch(shared, &lease_id, batch)
                    }));
                    if sent.is_err() {
                        tracing::error!("mail worker: sending a batch panicked");
                    }
                    continue;
                }
            }
            Ok(Err(error)) => {
                tracing::warn!(%error, "mail worker: cannot read the outbox");
            }
            Err(_) => tracing::error!("mail worker: claiming messages panicked"),
        }
        if looks_left > 0 {
            looks_left -= 1;
            std::thread::sleep(Duration::from_millis(25));
            continue;
        }
        let now = wait_for_nudge(seen, shared.poll);
        if now != seen {
            seen = now;
            looks_left = 8;
        }
    }
}

/// Gives the calling thread a lower scheduling priority, `by` steps of niceness below its
/// own: writing and sending a message costs the processor more than the booking that caused
/// it, and on a busy machine the requests people wait for should come first (the messages
/// wait a little; measured in bench/README.md). Niceness is per thread on Linux; elsewhere,
/// or if refused, the thread keeps the service's priority.
pub(crate) fn lower_priority(by: u32) {
    #[cfg(target_os = "linux")]
    if by > 0 {
        // SAFETY: plain system calls on the calling thread's id, with no pointer.
        unsafe {
            let thread = libc::gettid() as libc::id_t;
            *libc::__errno_location() = 0;
            let current = libc::getpriority(libc::PRIO_PROCESS, thread);
            if *libc::__errno_location() == 0 {
                let wanted = (current + by as i32).min(19);
                if libc::setpriority(libc::PRIO_PROCESS, thread, wanted) != 0 {
                    tracing::warn!("mail worker: cannot lower its thread's priority");
                }
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = by;
}

fn send_batch(shared: &Shared, lease_id: &str, batch: Vec<MessageRow>) {
    // Messages the server accepted, marked together: one statement for several (a commit
    // per message held the database's write lock as often as a message went out). A crash
    // before the mark sends them again once their lease expires, as for a single one.
    let mut accepted = Accepted::default();
    let mut rest = batch.into_iter();
    while let Some(row) = rest.next() {
        let leased_until = row.leased_until_ms.unwrap_or(0);
        let stopping = shared.stop.load(Ordering::SeqCst);
        if stopping
            || shared.clock.now_ms() + shared.send_timeout.as_millis() as i64 >= leased_until
        {
            accepted.mark(shared);
            // Not tried: given back uncounted, for this worker or another to take now.
            let ids: Vec<String> = std::iter::once(row.id).chain(rest.map(|r| r.id)).collect();
            release(shared, &ids, lease_id, shared.clock.now_ms());
            return;
        }
        let started = Instant::now();
        let outcome = compose(shared, &row).and_then(|message| shared.transport.send(&message));
        match outcome {
            Ok(()) => {
                shared.metrics.observe_mail_send("sent");
                tracing::info!(message = %row.id, kind = %row.kind, elapsed_ms = started.elapsed().as_millis() as u64, "mail sent");
                accepted.push(row.id);
                if accepted.waited_long() {
                    accepted.mark(shared);
                }
            }
            Err(error) => {
                accepted.mark(shared);
                let jitter = rand::thread_rng().gen::<f64>();
                let after = shared.retry.after_failure(
                    row.attempts,
                    error.permanent,
                    shared.clock.now_ms(),
                    jitter,
                );
                let (dead, next) = match after {
                    AfterFailure::Dead => (true, shared.clock.now_ms()),
                    AfterFailure::RetryAt(at) => (false, at),
                };
                // Counted before the mark, as a message sent is: whoever reads the
                // message failed or dead then finds it in the metrics too.
                shared
                    .metrics
                    .observe_mail_send(if dead { "dead" } else { "failed" });
                mark(shared, |conn| {
                    db::outbox::mark_failed(
                        conn,
                        shared.clock.now(),
                        &row.id,
                        lease_id,
                        dead,
                        next,
                        &error.message,
                    )
                });
                tracing::warn!(message = %row.id, kind = %row.kind, attempts = row.attempts, dead, error = %error.message, "mail not sent");
                if error.unreachable && !dead {
                    // The next ones would meet the same: they wait as long, uncounted.
                    let ids: Vec<String> = rest.map(|r| r.id).collect();
                    release(shared, &ids, lease_id, next);
                    return;
                }
            }
        }
    }
    accepted.mark(shared);
}

/// Messages accepted by the server and not marked yet.
#[derive(Default)]
struct Accepted {
    ids: Vec<String>,
    since: Option<Instant>,
}

impl Accepted {
    fn push(&mut self, id: String) {
        self.since.get_or_insert_with(Instant::now);
        self.ids.push(id);
    }

    /// A slow server should not keep accepted messages unmarked long (another worker may
    /// take them once their lease expires).
    fn waited_long(&self) -> bool {
        self.since
            .is_some_and(|since| since.elapsed() > Duration::from_millis(500))
    }

    fn mark(&mut self, shared: &Shared) {
        if self.ids.is_empty() {
            return;
        }
        let ids = std::mem::take(&mut self.ids);
        self.since = None;
        match db::with_connection(&shared.pool, |conn| {
            db::outbox::mark_sent_many(conn, shared.clock.now(), &ids)
        }) {
            Ok(n) if n == ids.len() => {}
            Ok(_) => tracing::warn!("mail worker: a message was marked sent by another worker"),
            Err(error) => tracing::error!(%error, "mail worker: cannot mark messages sent"),
        }
    }
}

/// Writes a mark; a failure is logged (the lease then expires and the message is taken
/// again: sent twice rather than lost).
fn mark(
    shared: &Shared,
    work: impl FnOnce(&mut db::DbConnection) -> crate::error::ApiResult<bool>,
) {
    match db::with_connection(&shared.pool, work) {
        Ok(true) => {}
        Ok(false) => tracing::warn!("mail worker: a message's lease had expired before its mark"),
        Err(error) => tracing::error!(%error, "mail worker: cannot mark a message"),
    }
}

fn release(shared: &Shared, ids: &[String], lease_id: &str, next_attempt_at_ms: i64) {
    if ids.is_empty() {
        return;
    }
    if let Err(error) = db::with_connection(&shared.pool, |conn| {
        db::outbox::release(conn, ids, lease_id, next_attempt_at_ms)
    }) {
        tracing::warn!(%error, "mail worker: cannot give messages back; their lease will expire");
    }
}

/// The e-mail of an outbox row. What cannot be composed (unreadable facts, an address the
/// server would never take) is a permanent failure.
fn compose(shared: &Shared, row: &MessageRow) -> Result<Message, SendError> {
    let permanent = |message: String| SendError {
        message,
        permanent: true,
        unreachable: false,
    };
    let kind = NotificationKind::parse(&row.kind)
        .ok_or_else(|| permanent(format!("unknown kind {}", row.kind)))?;
    let locale = Locale::parse(&row.locale).unwrap_or(Locale::French);
    let facts = Facts::from_json(kind, &row.payload).map_err(permanent)?;
    let recipient = Recipient {
        address: &row.recipient,
        name: &recipient_name(&row.payload),
    };
    let rendered = render(&facts, locale, &shared.context, &recipient).map_err(permanent)?;
    let to: Mailbox = row
        .recipient
        .parse()
        .map_err(|e| permanent(format!("recipient {}: {e}", row.recipient)))?;
    let body = match rendered.calendar {
        // Text, HTML and the invitation as alternatives of one another, the way calendar
        // programs send invitations (and recognise them): the METHOD is repeated in the
        // part's content type.
        Some(calendar) => {
            let content_type = ContentType::parse(&format!(
                "text/calendar; method={}; charset=UTF-8",
                calendar.method
            ))
            .map_err(|e| permanent(format!("calendar content type: {e}")))?;
            MultiPart::alternative()
                .singlepart(SinglePart::plain(rendered.text))
                .singlepart(SinglePart::html(rendered.html))
                .singlepart(
                    SinglePart::builder()
                        .header(content_type)
                        .body(calendar.ics),
                )
        }
        None => MultiPart::alternative_plain_html(rendered.text, rendered.html),
    };
    Message::builder()
        .from(shared.from.clone())
        .to(to)
        .subject(rendered.subject)
        // One Message-ID per outbox message: a copy sent again after a crash is recognised
        // as the same message by mail programs that look.
        .message_id(Some(format!("<{}@{}>", row.id, shared.domain)))
        .multipart(body)
        .map_err(|e| permanent(format!("cannot build the message: {e}")))
}

/// The recipient's name kept beside the facts when the message was queued (none for the
/// older messages).
fn recipient_name(payload: &str) -> String {
    serde_json::from_str::<serde_json::Value>(payload)
        .ok()
        .and_then(|v| {
            v.get(crate::mail::content::RECIPIENT_NAME)?
                .as_str()
                .map(str::to_owned)
        })
        .unwrap_or_default()
}
