//! Logins under load and concurrent idempotent requests.
