//! The application state every handler reaches: the pool, the campus time zone, the clock,
//! the limits and the booking writer.

use actix_web::web;
use chrono_tz::Tz;

use crate::db::{DbConnection, Pool};
use crate::error::ApiResult;

/// Login attempts per client address and minute, by default.
pub const LOGINS_PER_ADDRESS_PER_MINUTE: u32 = 30;

/// What every handler may reach.
#[derive(Clone)]
pub struct AppState {
    pub pool: Pool,
    pub timezone: Tz,
    /// The time of every request, use case and writer thread (`crate::clock`).
    pub clock: std::sync::Arc<dyn crate::clock::Clock>,
    pub metrics: std::sync::Arc<crate::metrics::Metrics>,
    /// What the booking writer tells background work of its load (`crate::load`).
    pub load: std::sync::Arc<crate::load::Load>,
    /// The limit of public (unauthenticated) submissions per client address. This and the
    /// next two say what is allowed; the counts are in the database, shared by every
    /// instance (`usecases::rate_limits`).
    pub public_limit: crate::domain::rate_limits::RateLimit,
    /// The limit of login attempts per client address.
    pub login_limit: crate::domain::rate_limits::RateLimit,
    /// How long an account is locked out after failed logins in a row.
    pub login_backoff: crate::domain::rate_limits::LoginBackoff,
    /// The refusals of the limits above this instance has already read, answered from
    /// memory until they end (`usecases::rate_limits::KnownRefusals`).
    pub known_refusals: std::sync::Arc<crate::usecases::rate_limits::KnownRefusals>,
    /// Bounds the password checks running and waiting at once (`passwords`).
    pub password_gate: std::sync::Arc<crate::passwords::PasswordGate>,
    /// Writes single bookings in batches (see `usecases::bookings::writer`).
    pub booking_writer: crate::usecases::bookings::writer::BookingWriter,
    /// Set once the service was asked to stop: readiness answers 503 so that a proxy sends
    /// no more, and every answer closes its connection.
    pub stopping: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// Reverse proxies whose `X-Forwarded-For` names the client (see `domain::network`).
    pub trusted_proxies: std::sync::Arc<Vec<crate::domain::network::Cidr>>,
    /// Who may read `/metrics` (`PLATEAUX_METRICS_ALLOW`, `PLATEAUX_METRICS_TOKEN`).
    pub metrics_access: std::sync::Arc<MetricsAccess>,
    /// A read replica for the reports and indicators (`PLATEAUX_REPORTS_DATABASE_URL`);
    /// without one they read the primary like everything else.
    pub reports_pool: Option<Pool>,
    /// Origins whose pages may call the API from a browser (`PLATEAUX_CORS_ORIGINS`).
    pub cors_origins: std::sync::Arc<Vec<String>>,
    /// Whether responses carry `Strict-Transport-Security` (the public URL is https).
    pub strict_transport_security: bool,
    /// Browser cookies are marked `Secure` (`PLATEAUX_PUBLIC_URL` is https).
    pub secure_cookies: bool,
    /// The host of `PLATEAUX_PUBLIC_URL`, naming the bookings' UIDs in the calendar feeds
    /// as the e-mailed invitations name them.
    pub uid_host: String,
}

impl AppState {
    /// The state of a running service; `writer_pool` holds the booking writer's connections
    /// (`db::build_booking_writer_pool`), one per writer thread.
    pub fn new(
        pool: Pool,
        writer_pool: Pool,
        timezone: Tz,
        clock: std::sync::Arc<dyn crate::clock::Clock>,
    ) -> Self {
        let metrics: std::sync::Arc<crate::metrics::Metrics> = Default::default();
        let load: std::sync::Arc<crate::load::Load> = Default::default();
        let writers = writer_pool.max_size() as usize;
        let booking_writer = crate::usecases::bookings::writer::BookingWriter::start(
            writer_pool,
            timezone,
            clock.clone(),
            writers,
            metrics.clone(),
            load.clone(),
        );
        AppState {
            pool,
            timezone,
            clock,
            metrics,
            load,
            public_limit: crate::domain::rate_limits::RateLimit::public_default(),
            login_limit: crate::domain::rate_limits::RateLimit::new(
                LOGINS_PER_ADDRESS_PER_MINUTE,
                60,
            ),
            login_backoff: Default::default(),
            known_refusals: Default::default(),
            password_gate: Default::default(),
            booking_writer,
            stopping: Default::default(),
            trusted_proxies: Default::default(),
            metrics_access: Default::default(),
            cors_origins: Default::default(),
            reports_pool: None,
            strict_transport_security: false,
            secure_cookies: false,
            uid_host: crate::domain::calendar::uid_host(crate::config::DEFAULT_PUBLIC_URL)
                .to_owned(),
        }
    }

    /// Runs one unit of database work on the blocking thread pool; the connection never
    /// crosses an `.await`.
    pub async fn db<T, F>(&self, work: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> ApiResult<T> + Send + 'static,
    {
        self.on(self.pool.clone(), work).await
    }

    /// `db` for the reports and indicators: on the read replica when there is one. Its
    /// figures may lag the primary by the replication delay; bookings and availability
    /// never read it.
    pub async fn reports_db<T, F>(&self, work: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> ApiResult<T> + Send + 'static,
    {
        let pool = self
            .reports_pool
            .clone()
            .unwrap_or_else(|| self.pool.clone());
        self.on(pool, work).await
    }

    /// `work` on a connection of `pool`, on the blocking thread pool; the wait for the
    /// connection is counted in the metrics.
    async fn on<T, F>(&self, pool: Pool, work: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> ApiResult<T> + Send + 'static,
    {
        let metrics = self.metrics.clone();
        web::block(move || {
            crate::db::with_connection_timed(&pool, |w| metrics.observe_pool_wait(w), work)
        })
        .await?
    }

    /// Whether the service was asked to stop (see `stopping`).
    pub fn is_stopping(&self) -> bool {
        self.stopping.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The instant of the request, in Unix seconds.
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// Today in the campus time zone (qualification awards, quotes, agreements).
    pub fn today(&self) -> chrono::NaiveDate {
        self.clock
            .now_utc()
            .with_timezone(&self.timezone)
            .date_naive()
    }
}

/// Who may read `/metrics`: its figures (routes, queue lengths, pool) tell an outsider how
/// the service is built and how busy it is, so only the monitoring reaches them.
#[derive(Clone, Debug)]
pub struct MetricsAccess {
    /// Clients (as `domain::network::client_address` resolves them) that may read them.
    pub allow: Vec<crate::domain::network::Cidr>,
    /// A bearer token that opens them from anywhere.
    pub token: Option<String>,
}

impl Default for MetricsAccess {
    fn default() -> Self {
        MetricsAccess {
            allow: crate::domain::network::Cidr::parse_list(crate::config::DEFAULT_METRICS_ALLOW)
                .expect("the default is a valid list"),
            token: None,
        }
    }
}
