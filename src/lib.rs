//! Plateaux: the shared technical platforms of a Campus des Métiers et des Qualifications.

pub mod access;
pub mod app;
pub mod auth;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod labels;
pub mod load;
pub mod mail;
pub mod metrics;
pub mod passwords;
pub mod routes;
pub mod state;
pub mod usecases;
pub mod views;
