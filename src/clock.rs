//! The time of the service: read from the application state's clock, never from the wall
//! directly, so that tests set the date instead of rewriting rows.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Utc};

/// Where the service reads the time. Instants are Unix seconds (the database's), or
/// milliseconds for the mail worker's leases and retries.
pub trait Clock: Send + Sync {
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> i64;

    /// Seconds since the Unix epoch, the unit of every stored instant.
    fn now(&self) -> i64 {
        self.now_ms().div_euclid(1000)
    }

    fn now_utc(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self.now_ms()).unwrap_or_default()
    }
}

/// The wall clock: the running service, and the command-line paths that have no state.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        Utc::now().timestamp_millis()
    }
}

/// A clock that stands still until it is set or moved on: tests.
#[derive(Debug)]
pub struct FixedClock {
    ms: AtomicI64,
}

impl FixedClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        FixedClock {
            ms: AtomicI64::new(at.timestamp_millis()),
        }
    }

    /// Stopped at the wall clock's present instant.
    pub fn now_from_system() -> Self {
        Self::new(Utc::now())
    }

    pub fn set(&self, at: DateTime<Utc>) {
        self.ms.store(at.timestamp_millis(), Ordering::SeqCst);
    }

    pub fn advance(&self, by: chrono::Duration) {
        self.ms.fetch_add(by.num_milliseconds(), Ordering::SeqCst);
    }
}

impl Clock for FixedClock {
    fn now_ms(&self) -> i64 {
        self.ms.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_clock_moves_only_when_told() {
        let start = DateTime::parse_from_rfc3339("2026-10-05T08:00:00+02:00")
            .unwrap()
            .with_timezone(&Utc);
        let clock = FixedClock::new(start);
        assert_eq!(clock.now(), start.timestamp());
        assert_eq!(clock.now(), start.timestamp());
        clock.advance(chrono::Duration::minutes(16));
        assert_eq!(clock.now(), start.timestamp() + 16 * 60);
        assert_eq!(clock.now_utc(), start + chrono::Duration::minutes(16));
        clock.set(start);
        assert_eq!(clock.now_ms(), start.timestamp_millis());
    }

    #[test]
    fn seconds_round_down_before_the_epoch_too() {
        let clock = FixedClock::new(DateTime::from_timestamp_millis(-1).unwrap());
        assert_eq!(clock.now(), -1);
    }
}
