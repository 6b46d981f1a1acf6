//! The booking writer: requests for single bookings queue here and a few dedicated threads
//! write them. Each thread takes every request waiting at that moment (up to
//! [`MAX_BATCH`]) into one transaction (`single::create_bookings`), so that under
//! load the round trips, the commits and the INSERT statements are shared by many
//! bookings; a lone request is a batch of one and waits for nothing.
//!
//! Should a batch fail as a whole (a database error rather than a refused booking), its
//! requests are written again one by one, so that one request never fails another.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use chrono_tz::Tz;
use tokio::sync::oneshot;

use super::single::{create_bookings, BookingRequest};
use crate::clock::Clock;
use crate::db::bookings::BookingRow;
use crate::db::{with_connection, Pool};
use crate::error::{ApiError, ApiResult};
use crate::load::Load;
use crate::metrics::Metrics;

/// The most requests one transaction takes.
pub const MAX_BATCH: usize = 64;

struct Job {
    request: BookingRequest,
    answer: oneshot::Sender<ApiResult<BookingRow>>,
}

/// The queue's sending end; the writer threads stop once every clone of it is dropped.
#[derive(Clone)]
pub struct BookingWriter {
    queue: mpsc::Sender<Job>,
}

impl BookingWriter {
    /// Starts `threads` writer threads taking their connections from `pool` and the time
    /// of each batch from `clock`.
    pub fn start(
        pool: Pool,
        tz: Tz,
        clock: Arc<dyn Clock>,
        threads: usize,
        metrics: Arc<Metrics>,
        load: Arc<Load>,
    ) -> BookingWriter {
        let (queue, jobs) = mpsc::channel::<Job>();
        let jobs = Arc::new(Mutex::new(jobs));
        for n in 0..threads.max(1) {
            let (pool, jobs, metrics) = (pool.clone(), jobs.clone(), metrics.clone());
            let (clock, load) = (clock.clone(), load.clone());
            std::thread::Builder::new()
                .name(format!("booking-writer-{n}"))
                .spawn(move || run(&pool, tz, &*clock, &jobs, &metrics, &load))
                .expect("a thread for the booking writer");
        }
        BookingWriter { queue }
    }

    /// Creates one booking, in whichever batch it joins.
    pub async fn create(&self, request: BookingRequest) -> ApiResult<BookingRow> {
        let (answer, answered) = oneshot::channel();
        self.queue
            .send(Job { request, answer })
            .map_err(|_| ApiError::unavailable("the booking writer has stopped"))?;
        answered
            .await
            .map_err(|_| ApiError::internal("the booking writer dropped a request"))?
    }
}

fn run(
    pool: &Pool,
    tz: Tz,
    clock: &dyn Clock,
    jobs: &Mutex<mpsc::Receiver<Job>>,
    metrics: &Metrics,
    load: &Load,
) {
    loop {
        let batch = {
            // A thread that panicked while holding the lock left the queue itself intact.
            let jobs = jobs.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let Ok(first) = jobs.recv() else {
                return;
            };
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match jobs.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
            batch
        };
        metrics.observe_booking_batch(batch.len());
        load.booking_batch(batch.len());
        let (requests, answers): (Vec<_>, Vec<_>) =
            batch.into_iter().map(|j| (j.request, j.answer)).unzip();
        // One instant for the whole batch, as for one request.
        let now = clock.now();
        let results = catch_unwind(AssertUnwindSafe(|| write(pool, tz, now, &requests)))
            .unwrap_or_else(|_| {
                requests
                    .iter()
                    .map(|_| Err(ApiError::internal("the booking writer panicked")))
                    .collect()
            });
        for (answer, result) in answers.into_iter().zip(results) {
            metrics.observe_booking(match &result {
                Ok(_) => "created",
                Err(refusal) => refusal.code.as_str(),
            });
            // The caller may have gone (client disconnected): the booking stands regardless.
            let _ = answer.send(result);
        }
    }
}

fn write(pool: &Pool, tz: Tz, now: i64, requests: &[BookingRequest]) -> Vec<ApiResult<BookingRow>> {
    match with_connection(pool, |conn| create_bookings(conn, tz, now, requests)) {
        Ok(results) => results,
        Err(e) if requests.len() == 1 => vec![Err(e)],
        Err(e) => {
            tracing::warn!(error = %e, batch = requests.len(), "booking batch failed; writing its requests one by one");
            requests
                .iter()
                .map(|r| {
                    with_connection(pool, |conn| {
                        create_bookings(conn, tz, now, std::slice::from_ref(r))
                    })
                    .and_then(|mut results| {
                        results.pop().unwrap_or_else(|| {
                            Err(ApiError::internal("booking request left unanswered"))
                        })
                    })
                })
                .collect()
        }
    }
}
