//! Prometheus metrics (`GET /metrics`): requests by route and status, their durations, the
//! database pool and its waits, single bookings by outcome, the booking writer's batches,
//! and the e-mail outbox. `deploy/grafana/plateaux.json` charts them.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub method: String,
    /// The route pattern (`/api/v1/bookings/{id}`), never the raw path, to keep the number
    /// of series bounded.
    pub route: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub method: String,
    pub route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct MailSendLabels {
    /// `sent`, `failed` (tried again later) or `dead` (given up).
    pub outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct BookingLabels {
    /// `created`, or the code of the refusal (`conflict`, `outside_opening_hours`…): a
    /// bounded set, the error codes of the API.
    pub outcome: String,
}

fn duration_histogram() -> Histogram {
    // 1 ms to about 16 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    durations: Family<RouteLabels, Histogram, fn() -> Histogram>,
    pool_connections: Gauge,
    pool_idle: Gauge,
    booking_batches: Histogram,
    mail_queue: Gauge,
    mail_sends: Family<MailSendLabels, Counter>,
    bookings: Family<BookingLabels, Counter>,
    pool_waits: Histogram,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("plateaux");
        let requests = Family::<RequestLabels, Counter>::default();
        let durations = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            duration_histogram,
        );
        let pool_connections = Gauge::default();
        let pool_idle = Gauge::default();
        registry.register("http_requests", "HTTP requests answered", requests.clone());
        registry.register(
            "http_request_duration_seconds",
            "Time to answer HTTP requests",
            durations.clone(),
        );
        registry.register(
            "db_pool_connections",
            "Open database connections",
            pool_connections.clone(),
        );
        registry.register(
            "db_pool_idle_connections",
            "Idle database connections",
            pool_idle.clone(),
        );
        // 1 to 64 requests: how much the booking writer shares its transactions.
        let booking_batches = Histogram::new(exponential_buckets(1.0, 2.0, 7));
        registry.register(
            "booking_batch_size",
            "Single-booking requests written in one transaction",
            booking_batches.clone(),
        );
        let mail_queue = Gauge::default();
        registry.register(
            "mail_queue_length",
            "E-mail messages waiting to be sent (queued or failed), as last read by the mail worker",
            mail_queue.clone(),
        );
        let mail_sends = Family::<MailSendLabels, Counter>::default();
        registry.register(
            "mail_sends",
            "Attempts to send e-mail messages by outcome (sent, failed, dead)",
            mail_sends.clone(),
        );
        let bookings = Family::<BookingLabels, Counter>::default();
        registry.register(
            "bookings",
            "Single-booking requests by outcome: created, or the code of the refusal",
            bookings.clone(),
        );
        // 0.1 ms to about 13 s: a checkout is immediate until the pool runs dry.
        let pool_waits = Histogram::new(exponential_buckets(0.0001, 4.0, 9));
        registry.register(
            "db_pool_wait_seconds",
            "Time a request waited for a database connection of the pool",
            pool_waits.clone(),
        );
        // The outcomes known in advance start at zero, so that their series exist (and a
        // rate can be drawn) before the first event.
        for outcome in ["sent", "failed", "dead"] {
            let _ = mail_sends.get_or_create(&MailSendLabels {
                outcome: outcome.to_owned(),
            });
        }
        let _ = bookings.get_or_create(&BookingLabels {
            outcome: "created".to_owned(),
        });
        Metrics {
            registry,
            bookings,
            pool_waits,
            requests,
            durations,
            pool_connections,
            pool_idle,
            booking_batches,
            mail_queue,
            mail_sends,
        }
    }
}

impl Metrics {
    pub fn observe_booking_batch(&self, requests: usize) {
        self.booking_batches.observe(requests as f64);
    }

    /// A single-booking request answered: created, or refused with `code`.
    pub fn observe_booking(&self, outcome: &str) {
        self.bookings
            .get_or_create(&BookingLabels {
                outcome: outcome.to_owned(),
            })
            .inc();
    }

    pub fn observe_pool_wait(&self, waited: std::time::Duration) {
        self.pool_waits.observe(waited.as_secs_f64());
    }

    pub fn set_mail_queue(&self, waiting: i64) {
        self.mail_queue.set(waiting);
    }

    pub fn observe_mail_send(&self, outcome: &str) {
        self.mail_sends
            .get_or_create(&MailSendLabels {
                outcome: outcome.to_owned(),
            })
            .inc();
    }

    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_owned(),
                route: route.to_owned(),
                status,
            })
            .inc();
        self.durations
            .get_or_create(&RouteLabels {
                method: method.to_owned(),
                route: route.to_owned(),
            })
            .observe(seconds);
    }

    /// The text exposition, with the pool's state read now.
    pub fn render(&self, pool: &crate::db::Pool) -> String {
        let state = pool.state();
        self.pool_connections.set(i64::from(state.connections));
        self.pool_idle.set(i64::from(state.idle_connections));
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)
            .expect("writing to a String cannot fail");
        text
    }
}
