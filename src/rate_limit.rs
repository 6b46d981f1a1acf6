//! Small in-memory limiters: a sliding window per client address (the public form, logins)
//! and failed logins per account with an increasing lock-out.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct RateLimiter {
    max: usize,
    window: Duration,
    hits: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl RateLimiter {
    pub fn new(max: usize, window: Duration) -> Self {
        RateLimiter {
            max,
            window,
            hits: Mutex::new(HashMap::new()),
        }
    }

    /// Counts a hit of `key`; `Err(seconds)` tells how long to wait when over the limit.
    pub fn hit(&self, key: &str) -> Result<(), u64> {
        let now = Instant::now();
        let mut hits = self.hits.lock().unwrap_or_else(|p| p.into_inner());
        // Forget idle clients now and then, so the map stays small.
        if hits.len() > 10_000 {
            hits.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.duration_since(*t) < self.window)
            });
        }
        let times = hits.entry(key.to_owned()).or_default();
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window)
        {
            times.pop_front();
        }
        if times.len() >= self.max {
            let oldest = *times.front().expect("full");
            return Err((self.window - now.duration_since(oldest)).as_secs().max(1));
        }
        times.push_back(now);
        Ok(())
    }
}

impl Default for RateLimiter {
    /// Five public requests per client address every ten minutes.
    fn default() -> Self {
        RateLimiter::new(5, Duration::from_secs(600))
    }
}

/// Failed logins per account (per e-mail as typed, known or not, so that a refusal tells
/// nothing about which accounts exist): after `allowed` failures in a row the account is
/// refused for `lock`, doubled at each further failure up to `max_lock`. A success forgets
/// the failures; so does a quiet `max_lock` after the last one.
pub struct LoginThrottle {
    allowed: u32,
    lock: Duration,
    max_lock: Duration,
    failures: Mutex<HashMap<String, Failures>>,
}

struct Failures {
    count: u32,
    last: Instant,
}

impl LoginThrottle {
    pub fn new(allowed: u32, lock: Duration, max_lock: Duration) -> Self {
        LoginThrottle {
            allowed: allowed.max(1),
            lock,
            max_lock: max_lock.max(lock),
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn locked_for(&self, failures: &Failures, now: Instant) -> Option<Duration> {
        let beyond = failures.count.checked_sub(self.allowed)?;
        let lock = self
            .lock
            .saturating_mul(1u32 << beyond.min(16))
            .min(self.max_lock);
        lock.checked_sub(now.duration_since(failures.last))
            .filter(|left| !left.is_zero())
    }

    /// `Err(seconds)` while `account` is locked out.
    pub fn check(&self, account: &str) -> Result<(), u64> {
        let now = Instant::now();
        let failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        match failures.get(account).and_then(|f| self.locked_for(f, now)) {
            Some(left) => Err(left.as_secs_f64().ceil() as u64),
            None => Ok(()),
        }
    }

    pub fn failed(&self, account: &str) {
        let now = Instant::now();
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if failures.len() > 10_000 {
            failures.retain(|_, f| now.duration_since(f.last) < self.max_lock);
        }
        let entry = failures.entry(account.to_owned()).or_insert(Failures {
            count: 0,
            last: now,
        });
        if now.duration_since(entry.last) >= self.max_lock {
            entry.count = 0;
        }
        entry.count += 1;
        entry.last = now;
    }

    pub fn succeeded(&self, account: &str) {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        failures.remove(account);
    }
}

impl Default for LoginThrottle {
    /// Five failures in a row, then a minute's lock-out doubling up to fifteen minutes.
    fn default() -> Self {
        LoginThrottle::new(5, Duration::from_secs(60), Duration::from_secs(900))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_past_the_limit_per_key() {
        let limiter = RateLimiter::new(2, Duration::from_secs(60));
        assert!(limiter.hit("a").is_ok());
        assert!(limiter.hit("a").is_ok());
        assert!(limiter.hit("a").unwrap_err() >= 59);
        assert!(limiter.hit("b").is_ok());
    }

    #[test]
    fn locks_an_account_after_failures_and_doubles_the_lock() {
        let throttle = LoginThrottle::new(2, Duration::from_secs(60), Duration::from_secs(900));
        throttle.failed("a");
        assert!(throttle.check("a").is_ok());
        throttle.failed("a");
        assert_eq!(throttle.check("a"), Err(60));
        throttle.failed("a");
        assert_eq!(throttle.check("a"), Err(120));
        assert!(throttle.check("b").is_ok());
        throttle.succeeded("a");
        assert!(throttle.check("a").is_ok());
    }
}
