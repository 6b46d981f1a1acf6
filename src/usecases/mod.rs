//! The use cases: what the API (and, later, the web interface and e-mail) does, one module
//! per resource. The rule: every write is a function here that takes the connection and
//! the caller, authorises through `access` and runs in one transaction it opens itself
//! (`db::write_transaction`); handlers never open a transaction nor write through `db`.
//! Reads go through here too wherever a rule decides what is read. A use case takes checked
//! drafts (`domain`) and answers rows (`db`), which `views` turns into wire types.
//!
//! Work that must not hold a connection (hashing a password) is done by the caller before
//! the use case runs, so that no transaction waits on it.

pub mod account_pages;
pub mod accounts;
pub mod auth;
pub mod booking_form;
pub mod booking_pages;
pub mod bookings;
pub mod calendar;
pub mod campuses;
pub mod catalogue;
pub mod closures;
pub mod equipment;
pub mod mail_schedule;
pub mod organisations;
pub mod outbox;
pub mod password_resets;
pub mod platforms;
pub mod qualifications;
pub mod rate_limits;
pub mod reports;
pub mod service_requests;
pub mod typed_codes;
pub mod usage_pages;
pub mod users;
pub mod web_sessions;
