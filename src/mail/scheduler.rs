//! The scheduler: a thread of the service, beside the mail worker, that queues the messages
//! due at the application's time (`usecases::mail_schedule`) once a minute. Every instance
//! runs one; what each message is recorded with keeps the others from queueing it again.
//! Each tick also prunes the counts of the rate limits that no limit reads any more.

use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::clock::Clock;
use crate::config::ScheduleConfig;
use crate::db::{self, Pool};
use crate::usecases::mail_schedule::{run_due, Queued};

/// How often the service looks for due messages.
pub const TICK: Duration = Duration::from_secs(60);

/// The running scheduler; stops when dropped.
pub struct Scheduler {
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: Option<JoinHandle<()>>,
}

/// One tick: queues what is due at the clock's time.
pub fn tick(
    pool: &Pool,
    clock: &dyn Clock,
    timezone: chrono_tz::Tz,
    schedule: ScheduleConfig,
) -> crate::error::ApiResult<Queued> {
    db::with_connection(pool, |conn| run_due(conn, clock.now(), timezone, schedule))
}

impl Scheduler {
    /// Starts the thread, which ticks at once, then every `every`.
    pub fn start(
        pool: Pool,
        clock: Arc<dyn Clock>,
        timezone: chrono_tz::Tz,
        schedule: ScheduleConfig,
        every: Duration,
    ) -> Result<Scheduler, String> {
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("mail-scheduler".into())
            .spawn(move || loop {
                let ticked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    tick(&pool, clock.as_ref(), timezone, schedule)
                }));
                match ticked {
                    Ok(Ok(queued)) if queued != Queued::default() => {
                        tracing::info!(
                            reminders = queued.reminders,
                            digests = queued.digests,
                            expiring = queued.expiring,
                            "scheduled messages queued"
                        );
                    }
                    Ok(Ok(_)) => {}
                    Ok(Err(error)) => tracing::warn!(%error, "scheduler: tick failed"),
                    Err(_) => tracing::error!("scheduler: tick panicked"),
                }
                let pruned = db::with_connection(&pool, |conn| {
                    crate::usecases::rate_limits::prune(conn, clock.now())
                });
                if let Err(error) = pruned {
                    tracing::warn!(%error, "scheduler: pruning the rate limits' counts failed");
                }
                let (lock, wake) = &*flag;
                let stopped = lock.lock().unwrap_or_else(|p| p.into_inner());
                let (stopped, _) = wake
                    .wait_timeout_while(stopped, every, |s| !*s)
                    .unwrap_or_else(|p| p.into_inner());
                if *stopped {
                    return;
                }
            })
            .map_err(|e| format!("cannot start the scheduler: {e}"))?;
        Ok(Scheduler {
            stop,
            thread: Some(thread),
        })
    }

    /// Stops the thread after its current tick.
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        let (lock, wake) = &*self.stop;
        *lock.lock().unwrap_or_else(|p| p.into_inner()) = true;
        wake.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Scheduler {
    fn drop(&mut self) {
        self.halt();
    }
}
