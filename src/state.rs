//! The application state every handler reaches: the pool, the campus time zone, the clock,
//! the limits and the booking writer.

use actix_web::web;
use chrono_tz::Tz;

use crate::db::{DbConnection, Pool};
use crate::error::ApiResult;

/// Login attempts per client address and minute, by default.
pub const LOGINS_PER_ADDRESS_PER_MINUTE: usize = 30;

/// What every handler may reach.
#[derive(Clone)]
pub struct AppState {
    pub pool: Pool,
    pub timezone: Tz,
    /// The time of every request, use case and writer thread (`crate::clock`).
    pub clock: std::sync::Arc<dyn crate::clock::Clock>,
    pub metrics: std::sync::Arc<crate::metrics::Metrics>,
    /// Limits the public (unauthenticated) submissions per client address.
    pub public_limiter: std::sync::Arc<crate::rate_limit::RateLimiter>,
    /// Limits login attempts per client address.
    pub login_limiter: std::sync::Arc<crate::rate_limit::RateLimiter>,
    /// Locks an account out for a while after failed logins in a row.
    pub login_throttle: std::sync::Arc<crate::rate_limit::LoginThrottle>,
    /// Bounds the password checks running and waiting at once (`passwords`).
    pub password_gate: std::sync::Arc<crate::passwords::PasswordGate>,
    /// Writes single bookings in batches (see `usecases::bookings::writer`).
    pub booking_writer: crate::usecases::bookings::writer::BookingWriter,
    /// Browser cookies are marked `Secure` (`PLATEAUX_PUBLIC_URL` is https).
    pub secure_cookies: bool,
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
        let writers = writer_pool.max_size() as usize;
        let booking_writer = crate::usecases::bookings::writer::BookingWriter::start(
            writer_pool,
            timezone,
            clock.clone(),
            writers,
            metrics.clone(),
        );
        AppState {
            pool,
            timezone,
            clock,
            metrics,
            public_limiter: Default::default(),
            login_limiter: std::sync::Arc::new(crate::rate_limit::RateLimiter::new(
                LOGINS_PER_ADDRESS_PER_MINUTE,
                std::time::Duration::from_secs(60),
            )),
            login_throttle: Default::default(),
            password_gate: Default::default(),
            booking_writer,
            secure_cookies: false,
        }
    }

    /// Runs one unit of database work on the blocking thread pool; the connection never
    /// crosses an `.await`.
    pub async fn db<T, F>(&self, work: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> ApiResult<T> + Send + 'static,
    {
        let pool = self.pool.clone();
        web::block(move || crate::db::with_connection(&pool, work)).await?
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
