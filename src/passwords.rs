//! Where password hashing is bounded. Each Argon2 computation holds about 19 MiB and a core
//! for tens of milliseconds: run hundreds at once and the service swaps and starves.
//!
//! Two bounds: `argon2_slot`, process-wide, under every hash and verification (logins,
//! password changes, account creation and confirmation) so that no more run at once than
//! there are cores; and `PasswordGate`, in front of the anonymous and self-service paths
//! (login, `PATCH /me`), which lets a short queue wait and refuses the rest at once with 429,
//! before any database work, instead of letting them pile up on threads and connections.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use tokio::sync::{Semaphore, SemaphorePermit};

use crate::error::{ApiError, ApiResult, ErrorCode};

fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

type Job = Box<dyn FnOnce() + Send>;

/// Runs one Argon2 computation on one of a fixed set of threads, as many as cores, and waits
/// for it (on the calling blocking thread). Fixed threads bound how many run at once, and
/// also the memory: the allocator keeps what a thread freed for that thread's next use, so
/// hashes spread over the hundreds of blocking threads kept about 19 MiB on each of them.
pub fn argon2_slot<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    static QUEUE: OnceLock<Mutex<std::sync::mpsc::Sender<Job>>> = OnceLock::new();
    let queue = QUEUE.get_or_init(|| {
        let (sender, receiver) = std::sync::mpsc::channel::<Job>();
        let receiver = std::sync::Arc::new(Mutex::new(receiver));
        for n in 0..cores() {
            let receiver = receiver.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{n}"))
                .spawn(move || loop {
                    let job = receiver.lock().unwrap_or_else(|p| p.into_inner()).recv();
                    match job {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                })
                .expect("password hashing thread");
        }
        Mutex::new(sender)
    });
    let (reply, answer) = std::sync::mpsc::sync_channel(1);
    let job: Job = Box::new(move || {
        let _ = reply.send(work());
    });
    queue
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .send(job)
        .expect("password hashing threads stay up");
    answer.recv().expect("password hashing thread answered")
}

/// Admits a bounded number of password checks at once, with a bounded queue behind them.
pub struct PasswordGate {
    permits: Semaphore,
    waiting: AtomicUsize,
    max_waiting: usize,
    max_wait: Duration,
}

impl PasswordGate {
    /// `concurrent` checks at once, `max_waiting` more waiting at most `max_wait` each.
    pub fn new(concurrent: usize, max_waiting: usize, max_wait: Duration) -> Self {
        PasswordGate {
            permits: Semaphore::new(concurrent.max(1)),
            waiting: AtomicUsize::new(0),
            max_waiting,
            max_wait,
        }
    }

    /// `hashers` checks at once (the number of cores by default), four times as many
    /// waiting up to two seconds.
    pub fn production(hashers: Option<usize>) -> Self {
        let hashers = hashers.unwrap_or_else(cores).max(1);
        PasswordGate::new(hashers, 4 * hashers, Duration::from_secs(2))
    }

    /// Refuses with 429 `too_many_logins`, as `admit` would, when every turn is taken and the
    /// queue is full: checked before any database work, so that a flood the gate would
    /// turn away anyway costs no connection. A turn freed just after only means one more
    /// refusal, the same a moment later.
    pub fn refuse_when_full(&self) -> ApiResult<()> {
        if self.permits.available_permits() == 0
            && self.waiting.load(Ordering::SeqCst) >= self.max_waiting
        {
            return Err(busy());
        }
        Ok(())
    }

    /// Waits for a turn, or refuses with 429 `too_many_logins` when the queue is full or the
    /// wait too long. Hold the permit while looking the account up and checking the password.
    pub async fn admit(&self) -> ApiResult<SemaphorePermit<'_>> {
        if let Ok(permit) = self.permits.try_acquire() {
            return Ok(permit);
        }
        struct Waiting<'a>(&'a AtomicUsize);
        impl Drop for Waiting<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::SeqCst);
            }
        }
        let _waiting = Waiting(&self.waiting);
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.max_waiting {
            return Err(busy());
        }
        match actix_web::rt::time::timeout(self.max_wait, self.permits.acquire()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(busy()),
        }
    }
}

impl Default for PasswordGate {
    fn default() -> Self {
        PasswordGate::production(None)
    }
}

fn busy() -> ApiError {
    ApiError::too_many(
        ErrorCode::TooManyLogins,
        "Trop de connexions en cours : réessayez dans un instant.",
        1,
    )
}

/// Checks `password` against `hash` on the blocking pool, outside any database connection;
/// with no hash (unknown account) spends the same time for nothing.
pub async fn verify(password: String, hash: Option<String>) -> ApiResult<bool> {
    Ok(actix_web::web::block(move || match hash {
        Some(hash) => crate::auth::verify_password(&password, &hash),
        None => {
            crate::auth::verify_against_nothing(&password);
            false
        }
    })
    .await?)
}

/// Hashes `password` on the blocking pool, outside any database connection.
pub async fn hash(password: String) -> ApiResult<String> {
    actix_web::web::block(move || crate::auth::hash_password(&password)).await?
}
