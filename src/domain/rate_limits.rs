//! The limits per client address (the public forms, logins) and the lock-out of an account
//! after failed logins, as arithmetic on Unix seconds. The counts themselves are kept in the
//! database (`db::rate_limits`), so that every instance of the service sees the same ones.

use sha2::{Digest, Sha256};

/// At most `max` requests per client in each fixed window of `window_seconds` (windows
/// start at multiples of their length, so every instance agrees on them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub max: u32,
    pub window_seconds: i64,
}

impl RateLimit {
    pub fn new(max: u32, window_seconds: i64) -> Self {
        RateLimit {
            max,
            window_seconds: window_seconds.max(1),
        }
    }

    /// Five public requests per client address every ten minutes.
    pub fn public_default() -> Self {
        RateLimit::new(5, 600)
    }

    /// The start of the window `now` falls in.
    pub fn window_start(&self, now: i64) -> i64 {
        now - now.rem_euclid(self.window_seconds)
    }

    /// Whether the `hits`-th request of the window that starts at `start` (this one
    /// counted) is admitted at `now`; `Err(seconds)` until the window ends when it is not.
    pub fn judge(&self, hits: i64, start: i64, now: i64) -> Result<(), u64> {
        if hits <= i64::from(self.max) {
            Ok(())
        } else {
            Err((start + self.window_seconds - now).max(1) as u64)
        }
    }
}

/// Failed logins per account (per e-mail as typed, known or not, so that a refusal tells
/// nothing about which accounts exist): after `allowed` failures in a row the account is
/// refused for `lock_seconds`, doubled at each further failure up to `max_lock_seconds`.
/// A success forgets the failures, and so does a quiet `max_lock_seconds` after the last
/// one: the real user is never locked out for longer than that.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginBackoff {
    pub allowed: u32,
    pub lock_seconds: i64,
    pub max_lock_seconds: i64,
}

impl Default for LoginBackoff {
    /// Five failures in a row, then a minute's lock-out doubling up to fifteen minutes.
    fn default() -> Self {
        LoginBackoff::new(5, 60, 900)
    }
}

impl LoginBackoff {
    pub fn new(allowed: u32, lock_seconds: i64, max_lock_seconds: i64) -> Self {
        let lock_seconds = lock_seconds.max(1);
        LoginBackoff {
            allowed: allowed.max(1),
            lock_seconds,
            max_lock_seconds: max_lock_seconds.max(lock_seconds),
        }
    }

    /// When failures in a row whose last was at `last` are forgotten.
    pub fn forget_at(&self, last: i64) -> i64 {
        last + self.max_lock_seconds
    }

    /// Whether an account with `failures` in a row, the last at `last`, may try at `now`;
    /// `Err(seconds)` while it is locked out.
    pub fn judge(&self, failures: i64, last: i64, now: i64) -> Result<(), u64> {
        let beyond = failures - i64::from(self.allowed);
        if beyond < 0 || now >= self.forget_at(last) {
            return Ok(());
        }
        let lock = self
            .lock_seconds
            .saturating_mul(1i64 << beyond.min(16))
            .min(self.max_lock_seconds);
        match last + lock - now {
            left if left > 0 => Err(left as u64),
            _ => Ok(()),
        }
    }
}

/// The key an account's failures are counted under: a digest of the normalised e-mail as
/// typed, so that the table does not list the addresses people tried.
pub fn account_key(normalised_email: &str) -> String {
    hex::encode(Sha256::digest(
        format!("login {normalised_email}").as_bytes(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_past_the_limit_until_the_window_ends() {
        let limit = RateLimit::new(2, 60);
        let start = limit.window_start(1_000_030);
        assert_eq!(start, 1_000_020);
        assert_eq!(limit.judge(2, start, 1_000_030), Ok(()));
        assert_eq!(limit.judge(3, start, 1_000_030), Err(50));
        assert_eq!(limit.judge(3, start, 1_000_079), Err(1));
    }

    #[test]
    fn locks_an_account_after_failures_and_doubles_the_lock() {
        let backoff = LoginBackoff::new(2, 60, 900);
        assert_eq!(backoff.judge(1, 0, 0), Ok(()));
        assert_eq!(backoff.judge(2, 0, 0), Err(60));
        assert_eq!(backoff.judge(2, 0, 59), Err(1));
        assert_eq!(backoff.judge(2, 0, 60), Ok(()));
        assert_eq!(backoff.judge(3, 0, 0), Err(120));
        assert_eq!(backoff.judge(40, 0, 0), Err(900));
        assert_eq!(backoff.judge(40, 0, 900), Ok(()));
    }

    #[test]
    fn account_keys_hide_the_address() {
        let key = account_key("teacher@campus.test");
        assert!(!key.contains("campus"));
        assert_eq!(key.len(), 64);
        assert_ne!(key, account_key("manager@campus.test"));
    }
}
