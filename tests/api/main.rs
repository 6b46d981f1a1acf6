//! Integration tests through the HTTP API, each run on SQLite and on PostgreSQL.

mod support;

mod auth;
mod authorisation;
mod backups;
mod bookings;
mod clock;
mod connections;
mod contract_calendar;
mod contract_labels;
mod contract_openapi;
mod demo;
mod edits;
mod errors;
mod idempotency;
mod inventory;
mod mail_events;
mod mail_schedule;
mod openapi;
mod operations;
mod outbox;
mod races;
mod reports;
mod rules_qualifications;
mod service_requests;
mod trust_companies;
mod trust_input;
mod trust_logins;
mod trust_sessions;
mod usage;
mod users;
mod web;
mod web_bookings;
mod web_browser;
