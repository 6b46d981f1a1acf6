//! Configuration from environment variables (documented in the README).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use chrono_tz::Tz;

use crate::domain::notifications::RetryPolicy;

/// What the service needs to start; built from `PLATEAUX_*` variables.
#[derive(Clone, Debug)]
pub struct Config {
    pub database_url: String,
    pub bind: SocketAddr,
    pub jwt_secret: Option<String>,
    /// The signing key before a rotation, still accepted for verification.
    pub jwt_previous_secret: Option<String>,
    pub timezone: Tz,
    pub admin_email: Option<String>,
    pub admin_password: Option<String>,
    pub pool_size: u32,
    /// Threads writing single bookings, each in batches.
    pub booking_writers: u32,
    /// Login attempts per client address and minute.
    pub login_attempts_per_minute: u32,
    /// Password checks running at once for logins and password changes.
    pub password_hashers: u32,
    /// Where e-mail goes and how the mail worker retries.
    pub mail: MailConfig,
    /// How long, once asked to stop, the service keeps accepting connections while its
    /// readiness answers 503 (so that a proxy stops sending it requests).
    pub shutdown_drain: std::time::Duration,
    /// Reverse proxies whose `X-Forwarded-For` names the client (none by default).
    pub trusted_proxies: Vec<crate::domain::network::Cidr>,
    /// Who may read `/metrics`: clients from these blocks (loopback by default), or any
    /// client showing `metrics_token` as a bearer token.
    pub metrics_allow: Vec<crate::domain::network::Cidr>,
    pub metrics_token: Option<String>,
    /// Web origins whose pages may call the API from a browser (CORS); none by default.
    pub cors_origins: Vec<String>,
    /// A read replica for the reports and indicators (PostgreSQL only); none by default.
    pub reports_database_url: Option<String>,
    /// When reminders and digests go out.
    pub schedule: ScheduleConfig,
}

/// The hours, in the campus time zone, of the scheduled messages (`PLATEAUX_REMINDER_HOUR`,
/// `PLATEAUX_DIGEST_HOUR`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScheduleConfig {
    /// From this hour on, the day before a confirmed session, its booker and supervisor
    /// are reminded of it.
    pub reminder_hour: u32,
    /// From this hour on, each platform manager gets the morning digest, and holders of
    /// qualifications about to expire are told.
    pub digest_hour: u32,
}

impl Default for ScheduleConfig {
    fn default() -> Self {
        ScheduleConfig {
            reminder_hour: 17,
            digest_hour: 7,
        }
    }
}

/// An hour of the day, 0 to 23, `default` when the variable is not set.
fn hour_of_day(
    lookup: &impl Fn(&str) -> Option<String>,
    variable: &'static str,
    default: u32,
) -> Result<u32, ConfigError> {
    match lookup(variable) {
        None => Ok(default),
        Some(v) => v
            .parse::<u32>()
            .ok()
            .filter(|h| *h < 24)
            .ok_or(ConfigError::Invalid {
                variable,
                message: "expected an hour of the day, from 0 to 23".into(),
            }),
    }
}

/// Reads `PLATEAUX_CORS_ORIGINS`: origins (`https://host[:port]`, no path) separated by
/// commas or spaces. A wildcard is refused: an origin list is the point.
fn cors_origins(text: &str) -> Result<Vec<String>, ConfigError> {
    text.split([',', ' '])
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|origin| {
            let rest = origin
                .strip_prefix("https://")
                .or_else(|| origin.strip_prefix("http://"));
            match rest {
                Some(host)
                    if !host.is_empty()
                        && !host.contains(['/', '?', '#', '*', '@'])
                        && origin.parse::<actix_web::http::Uri>().is_ok() =>
                {
                    Ok(origin.to_owned())
                }
                _ => Err(ConfigError::Invalid {
                    variable: "PLATEAUX_CORS_ORIGINS",
                    message: format!(
                        "{origin}: expected origins such as https://app.campus.example, without a path or wildcard, separated by commas"
                    ),
                }),
            }
        })
        .collect()
}

/// The clients that may read `/metrics` when `PLATEAUX_METRICS_ALLOW` is not set.
pub const DEFAULT_METRICS_ALLOW: &str = "127.0.0.0/8, ::1";

/// The drain of a stop by default: long enough for the connections the kernel queued before
/// the signal to be accepted and answered; behind a proxy, set it above the proxy's health
/// check interval.
pub const DEFAULT_SHUTDOWN_DRAIN_MS: u64 = 250;

/// The e-mail settings (`PLATEAUX_SMTP_*`, `PLATEAUX_MAIL_*`, `PLATEAUX_PUBLIC_URL`).
#[derive(Clone, Debug)]
pub struct MailConfig {
    pub delivery: Delivery,
    /// The sender of every message, `Name <address>`.
    pub from: String,
    /// The address people reach the service at; every link of an e-mail starts with it.
    pub public_url: String,
    pub retry: RetryPolicy,
    /// How long a worker's claim on a batch of messages lasts, in milliseconds: past it,
    /// another worker (of this instance or another) may take what was not marked sent.
    pub lease_ms: i64,
    /// How often an idle worker looks for messages queued by other instances or due for a
    /// retry, in milliseconds (messages queued by this instance wake it at once).
    pub poll_ms: u64,
    /// Threads sending at once, each on its own connection to the mail server.
    pub senders: u32,
    /// How much lower than the service's the sending threads' scheduling priority is (the
    /// niceness added to theirs, 0 to 19): on a busy machine the requests people wait for
    /// get the processor first and the messages wait a little.
    pub niceness: u32,
}

/// Where messages go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Delivery {
    Smtp(SmtpSettings),
    /// No SMTP server configured: each message is written as an `.eml` file here.
    Files(PathBuf),
}

/// How to reach the SMTP server.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub user: Option<String>,
    pub password: Option<String>,
}

impl std::fmt::Debug for SmtpSettings {
    // Never the password in a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// `smtp://`: no encryption (a relay on the same machine or network).
    None,
    /// `smtp://…?tls=starttls`: STARTTLS required.
    StartTls,
    /// `smtps://`: TLS from the first byte.
    Tls,
}

impl SmtpSettings {
    /// Reads `smtp://[user:password@]host[:port]`, `smtps://…` or `smtp://…?tls=starttls`.
    pub fn parse(text: &str) -> Result<SmtpSettings, String> {
        let url = url::Url::parse(text).map_err(|e| format!("not a URL ({e})"))?;
        let mut security = match url.scheme() {
            "smtp" => SmtpSecurity::None,
            "smtps" => SmtpSecurity::Tls,
            other => return Err(format!("unknown scheme {other}: expected smtp or smtps")),
        };
        for (key, value) in url.query_pairs() {
            match (key.as_ref(), value.as_ref(), security) {
                ("tls", "starttls" | "required", SmtpSecurity::None) => {
                    security = SmtpSecurity::StartTls
                }
                ("tls", _, _) => {
                    return Err("tls=starttls is the only TLS option, and only with smtp://".into())
                }
                (other, _, _) => return Err(format!("unknown option {other}")),
            }
        }
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or("no host")?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let port = url.port().unwrap_or(match security {
            SmtpSecurity::None => 25,
            SmtpSecurity::StartTls => 587,
            SmtpSecurity::Tls => 465,
        });
        let decode = |part: &str| {
            percent_decode(part).ok_or_else(|| "user or password is not valid UTF-8".to_owned())
        };
        let user = Some(url.username())
            .filter(|u| !u.is_empty())
            .map(decode)
            .transpose()?;
        let password = url.password().map(decode).transpose()?;
        Ok(SmtpSettings {
            host,
            port,
            security,
            user,
            password,
        })
    }
}

/// `%XX` sequences of a URL's user or password, decoded.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

pub const DEFAULT_MAIL_FROM: &str = "Plateaux <plateaux@localhost>";
pub const DEFAULT_PUBLIC_URL: &str = "http://127.0.0.1:8080";

/// The directory of `.eml` files when no SMTP server is configured: `mail/` beside the
/// SQLite database, or in the working directory with PostgreSQL (`/var/lib/plateaux/mail`
/// under the systemd unit of `deploy/`).
pub fn mail_directory(database_url: &str) -> PathBuf {
    match DatabaseKind::of(database_url) {
        Some(DatabaseKind::Sqlite) => {
            let db = Path::new(sqlite_path(database_url));
            db.parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."))
                .join("mail")
        }
        _ => PathBuf::from("mail"),
    }
}

impl MailConfig {
    fn from_lookup(
        lookup: &impl Fn(&str) -> Option<String>,
        database_url: &str,
    ) -> Result<MailConfig, ConfigError> {
        let invalid = |variable: &'static str| {
            move |message: String| ConfigError::Invalid { variable, message }
        };
        let delivery = match lookup("PLATEAUX_SMTP_URL") {
            None => Delivery::Files(mail_directory(database_url)),
            Some(url) => {
                let mut smtp = SmtpSettings::parse(&url).map_err(invalid("PLATEAUX_SMTP_URL"))?;
                if let Some(user) = lookup("PLATEAUX_SMTP_USER") {
                    smtp.user = Some(user);
                }
                if let Some(password) = lookup("PLATEAUX_SMTP_PASSWORD") {
                    smtp.password = Some(password);
                }
                if smtp.user.is_some() != smtp.password.is_some() {
                    return Err(ConfigError::Invalid {
                        variable: "PLATEAUX_SMTP_PASSWORD",
                        message: "a user and a password go together".into(),
                    });
                }
                Delivery::Smtp(smtp)
            }
        };
        let from = lookup("PLATEAUX_MAIL_FROM").unwrap_or_else(|| DEFAULT_MAIL_FROM.to_owned());
        from.parse::<lettre::message::Mailbox>()
            .map_err(|e| ConfigError::Invalid {
                variable: "PLATEAUX_MAIL_FROM",
                message: format!("expected Name <address> or an address ({e})"),
            })?;
        let public_url = lookup("PLATEAUX_PUBLIC_URL")
            .unwrap_or_else(|| DEFAULT_PUBLIC_URL.to_owned())
            .trim_end_matches('/')
            .to_owned();
        match url::Url::parse(&public_url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => {}
            _ => {
                return Err(ConfigError::Invalid {
                    variable: "PLATEAUX_PUBLIC_URL",
                    message: "expected an http:// or https:// URL".into(),
                })
            }
        }
        let defaults = RetryPolicy::default();
        let retry = RetryPolicy {
            base_ms: whole_number(
                lookup,
                "PLATEAUX_MAIL_RETRY_BASE_MS",
                defaults.base_ms as u32,
                86_400_000,
            )? as i64,
            max_delay_ms: defaults.max_delay_ms,
            max_attempts: whole_number(
                lookup,
                "PLATEAUX_MAIL_MAX_ATTEMPTS",
                defaults.max_attempts as u32,
                100,
            )? as i32,
        };
        let retry = RetryPolicy {
            max_delay_ms: retry.max_delay_ms.max(retry.base_ms),
            ..retry
        };
        let lease_ms = whole_number(lookup, "PLATEAUX_MAIL_LEASE_MS", 120_000, 86_400_000)? as i64;
        let poll_ms = whole_number(lookup, "PLATEAUX_MAIL_POLL_MS", 2_000, 3_600_000)? as u64;
        let senders = whole_number(lookup, "PLATEAUX_MAIL_SENDERS", 4, 32)?;
        let niceness =
            match lookup("PLATEAUX_MAIL_NICENESS") {
                None => DEFAULT_MAIL_NICENESS,
                Some(v) => v.trim().parse::<u32>().ok().filter(|n| *n <= 19).ok_or(
                    ConfigError::Invalid {
                        variable: "PLATEAUX_MAIL_NICENESS",
                        message: "expected a whole number from 0 to 19".into(),
                    },
                )?,
            };
        Ok(MailConfig {
            delivery,
            from,
            public_url,
            retry,
            lease_ms,
            poll_ms,
            senders,
            niceness,
        })
    }
}

/// See [`MailConfig::niceness`].
pub const DEFAULT_MAIL_NICENESS: u32 = 10;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://plateaux.db";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{variable}: {message}")]
    Invalid {
        variable: &'static str,
        message: String,
    },
}

/// A whole number from 1 to `max`, `default` when the variable is not set.
fn whole_number(
    lookup: &impl Fn(&str) -> Option<String>,
    variable: &'static str,
    default: u32,
    max: u32,
) -> Result<u32, ConfigError> {
    match lookup(variable) {
        None => Ok(default),
        Some(v) => v
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or(ConfigError::Invalid {
                variable,
                message: format!("expected a whole number from 1 to {max}"),
            }),
    }
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let database_url =
            lookup("PLATEAUX_DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
        if DatabaseKind::of(&database_url).is_none() {
            return Err(ConfigError::Invalid {
                variable: "PLATEAUX_DATABASE_URL",
                message: "expected a sqlite://… or postgres://… URL".into(),
            });
        }
        let bind = lookup("PLATEAUX_BIND")
            .unwrap_or_else(|| "127.0.0.1:8080".to_owned())
            .parse()
            .map_err(|e| ConfigError::Invalid {
                variable: "PLATEAUX_BIND",
                message: format!("expected host:port ({e})"),
            })?;
        let timezone = lookup("PLATEAUX_TIMEZONE")
            .unwrap_or_else(|| "Europe/Paris".to_owned())
            .parse::<Tz>()
            .map_err(|e| ConfigError::Invalid {
                variable: "PLATEAUX_TIMEZONE",
                message: format!("expected an IANA time zone such as Europe/Paris ({e})"),
            })?;
        let pool_size = whole_number(&lookup, "PLATEAUX_DATABASE_POOL_SIZE", 16, 256)?;
        let booking_writers = whole_number(&lookup, "PLATEAUX_BOOKING_WRITERS", 2, 32)?;
        let login_attempts_per_minute = whole_number(
            &lookup,
            "PLATEAUX_LOGIN_ATTEMPTS_PER_MINUTE",
            crate::state::LOGINS_PER_ADDRESS_PER_MINUTE,
            1_000_000,
        )?;
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get() as u32);
        let password_hashers = whole_number(&lookup, "PLATEAUX_PASSWORD_HASHERS", cores, 64)?;
        let mail = MailConfig::from_lookup(&lookup, &database_url)?;
        let shutdown_drain =
            match lookup("PLATEAUX_SHUTDOWN_DRAIN_MS") {
                None => DEFAULT_SHUTDOWN_DRAIN_MS,
                Some(v) => v.parse::<u64>().ok().filter(|ms| *ms <= 600_000).ok_or(
                    ConfigError::Invalid {
                        variable: "PLATEAUX_SHUTDOWN_DRAIN_MS",
                        message: "expected milliseconds, from 0 to 600000".into(),
                    },
                )?,
            };
        let trusted_proxies = crate::domain::network::Cidr::parse_list(
            &lookup("PLATEAUX_TRUSTED_PROXIES").unwrap_or_default(),
        )
        .map_err(|message| ConfigError::Invalid {
            variable: "PLATEAUX_TRUSTED_PROXIES",
            message: format!("expected addresses or CIDR blocks separated by commas ({message})"),
        })?;
        let metrics_allow = crate::domain::network::Cidr::parse_list(
            &lookup("PLATEAUX_METRICS_ALLOW").unwrap_or_else(|| DEFAULT_METRICS_ALLOW.to_owned()),
        )
        .map_err(|message| ConfigError::Invalid {
            variable: "PLATEAUX_METRICS_ALLOW",
            message: format!("expected addresses or CIDR blocks separated by commas ({message})"),
        })?;
        let metrics_token = lookup("PLATEAUX_METRICS_TOKEN");
        if metrics_token.as_ref().is_some_and(|t| t.len() < 16) {
            return Err(ConfigError::Invalid {
                variable: "PLATEAUX_METRICS_TOKEN",
                message: "must be at least 16 characters long".into(),
            });
        }
        let reports_database_url = lookup("PLATEAUX_REPORTS_DATABASE_URL");
        if reports_database_url.as_deref().is_some_and(|url| {
            DatabaseKind::of(url) != Some(DatabaseKind::Postgres)
                || DatabaseKind::of(&database_url) != Some(DatabaseKind::Postgres)
        }) {
            return Err(ConfigError::Invalid {
                variable: "PLATEAUX_REPORTS_DATABASE_URL",
                message: "a postgres://… URL of a replica of PLATEAUX_DATABASE_URL, itself PostgreSQL (SQLite has no replicas)".into(),
            });
        }
        let cors_origins = cors_origins(&lookup("PLATEAUX_CORS_ORIGINS").unwrap_or_default())?;
        let jwt_secret = lookup("PLATEAUX_JWT_SECRET");
        if let Some(secret) = &jwt_secret {
            if secret.len() < 32 {
                return Err(ConfigError::Invalid {
                    variable: "PLATEAUX_JWT_SECRET",
                    message: "must be at least 32 characters long".into(),
                });
            }
        }
        let defaults = ScheduleConfig::default();
        let schedule = ScheduleConfig {
            reminder_hour: hour_of_day(&lookup, "PLATEAUX_REMINDER_HOUR", defaults.reminder_hour)?,
            digest_hour: hour_of_day(&lookup, "PLATEAUX_DIGEST_HOUR", defaults.digest_hour)?,
        };
        let jwt_previous_secret = lookup("PLATEAUX_JWT_PREVIOUS_SECRET");
        if jwt_previous_secret.as_ref().is_some_and(|s| s.len() < 32) {
            return Err(ConfigError::Invalid {
                variable: "PLATEAUX_JWT_PREVIOUS_SECRET",
                message: "must be at least 32 characters long".into(),
            });
        }
        Ok(Config {
            jwt_previous_secret,
            database_url,
            bind,
            jwt_secret,
            timezone,
            admin_email: lookup("PLATEAUX_ADMIN_EMAIL"),
            admin_password: lookup("PLATEAUX_ADMIN_PASSWORD"),
            pool_size,
            booking_writers,
            login_attempts_per_minute,
            password_hashers,
            mail,
            shutdown_drain: std::time::Duration::from_millis(shutdown_drain),
            trusted_proxies,
            metrics_allow,
            metrics_token,
            cors_origins,
            reports_database_url,
            schedule,
        })
    }

    pub fn database_kind(&self) -> DatabaseKind {
        DatabaseKind::of(&self.database_url).expect("checked when the configuration was read")
    }

    /// The JWT signing secret. With PostgreSQL it must be configured; on the embedded SQLite
    /// default one is generated on first start and kept beside the database file, so that
    /// tokens survive a restart.
    pub fn resolve_jwt_secret(&self) -> Result<String, ConfigError> {
        if let Some(secret) = &self.jwt_secret {
            return Ok(secret.clone());
        }
        match self.database_kind() {
            DatabaseKind::Postgres => Err(ConfigError::Invalid {
                variable: "PLATEAUX_JWT_SECRET",
                message: "required with PostgreSQL (at least 32 characters)".into(),
            }),
            DatabaseKind::Sqlite => {
                let path = secret_path_beside(sqlite_path(&self.database_url));
                load_or_create_secret(&path).map_err(|e| ConfigError::Invalid {
                    variable: "PLATEAUX_JWT_SECRET",
                    message: format!("could not read or create {}: {e}", path.display()),
                })
            }
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DatabaseKind {
    Sqlite,
    Postgres,
}

impl DatabaseKind {
    pub fn of(url: &str) -> Option<Self> {
        if url.starts_with("sqlite://") || url.starts_with("sqlite:") {
            Some(DatabaseKind::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(DatabaseKind::Postgres)
        } else {
            None
        }
    }
}

/// The file path of a `sqlite://path` URL (`sqlite:///abs/path` gives an absolute path).
pub fn sqlite_path(url: &str) -> &str {
    url.strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url)
}

fn secret_path_beside(db_path: &str) -> PathBuf {
    let db = Path::new(db_path);
    let dir = db
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    dir.join("plateaux.secret")
}

fn load_or_create_secret(path: &Path) -> std::io::Result<String> {
    match std::fs::read_to_string(path) {
        Ok(s) if s.trim().len() >= 32 => return Ok(s.trim().to_owned()),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let secret = crate::auth::random_token();
    write_private(path, &secret)?;
    Ok(secret)
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(variable: &'static str, value: &'static str) -> Result<Config, ConfigError> {
        Config::from_lookup(move |name| (name == variable).then(|| value.to_owned()))
    }

    #[test]
    fn smtp_urls_are_read_with_their_security_and_credentials() {
        let plain = SmtpSettings::parse("smtp://127.0.0.1:2525").unwrap();
        assert_eq!(
            (plain.host.as_str(), plain.port, plain.security),
            ("127.0.0.1", 2525, SmtpSecurity::None)
        );
        assert_eq!((plain.user, plain.password), (None, None));
        let tls = SmtpSettings::parse("smtps://relay%40campus:p%C3%A0ss@mail.example").unwrap();
        assert_eq!((tls.port, tls.security), (465, SmtpSecurity::Tls));
        assert_eq!(tls.user.as_deref(), Some("relay@campus"));
        assert_eq!(tls.password.as_deref(), Some("pàss"));
        let starttls = SmtpSettings::parse("smtp://mail.example?tls=starttls").unwrap();
        assert_eq!(
            (starttls.port, starttls.security),
            (587, SmtpSecurity::StartTls)
        );
        for bad in [
            "http://mail.example",
            "smtp://",
            "smtps://mail.example?tls=starttls",
            "smtp://mail.example?tls=maybe",
            "smtp://mail.example?pool=3",
            "mail.example:25",
        ] {
            assert!(SmtpSettings::parse(bad).is_err(), "{bad}");
        }
        // The password never reaches a log line.
        assert!(!format!("{tls:?}").contains("pàss"));
    }

    #[test]
    fn mail_defaults_to_files_beside_the_database_and_settings_are_checked() {
        let config = Config::from_lookup(|name| {
            (name == "PLATEAUX_DATABASE_URL").then(|| "sqlite:///srv/campus/plateaux.db".into())
        })
        .unwrap();
        assert_eq!(
            config.mail.delivery,
            Delivery::Files(PathBuf::from("/srv/campus/mail"))
        );
        assert_eq!(config.mail.from, DEFAULT_MAIL_FROM);
        assert_eq!(config.mail.public_url, DEFAULT_PUBLIC_URL);
        let with_user = Config::from_lookup(|name| match name {
            "PLATEAUX_SMTP_URL" => Some("smtp://relay:25".into()),
            "PLATEAUX_SMTP_USER" => Some("plateaux".into()),
            "PLATEAUX_SMTP_PASSWORD" => Some("secret".into()),
            "PLATEAUX_PUBLIC_URL" => Some("https://plateaux.campus.example/".into()),
            _ => None,
        })
        .unwrap();
        let Delivery::Smtp(smtp) = with_user.mail.delivery else {
            panic!("SMTP expected")
        };
        assert_eq!(smtp.user.as_deref(), Some("plateaux"));
        assert_eq!(with_user.mail.public_url, "https://plateaux.campus.example");
        for (variable, value) in [
            ("PLATEAUX_MAIL_FROM", "pas une adresse"),
            ("PLATEAUX_PUBLIC_URL", "plateaux.campus.example"),
            ("PLATEAUX_SMTP_URL", "smtp://"),
            ("PLATEAUX_SMTP_USER", "alone"),
            ("PLATEAUX_MAIL_MAX_ATTEMPTS", "0"),
        ] {
            let error = Config::from_lookup(|name| match name {
                "PLATEAUX_SMTP_URL" if variable == "PLATEAUX_SMTP_USER" => {
                    Some("smtp://relay".into())
                }
                _ => (name == variable).then(|| value.to_owned()),
            })
            .unwrap_err()
            .to_string();
            assert!(error.contains("PLATEAUX_"), "{variable}: {error}");
        }
    }

    #[test]
    fn booking_writers_default_to_two_and_are_checked() {
        assert_eq!(Config::from_lookup(|_| None).unwrap().booking_writers, 2);
        assert_eq!(
            with("PLATEAUX_BOOKING_WRITERS", "4")
                .unwrap()
                .booking_writers,
            4
        );
        for bad in ["0", "33", "deux", "-1"] {
            let error = with("PLATEAUX_BOOKING_WRITERS", bad)
                .unwrap_err()
                .to_string();
            assert!(
                error.starts_with("PLATEAUX_BOOKING_WRITERS:"),
                "{bad}: {error}"
            );
        }
    }

    #[test]
    fn mail_niceness_defaults_to_ten_and_is_checked() {
        let niceness = |v: &'static str| with("PLATEAUX_MAIL_NICENESS", v).map(|c| c.mail.niceness);
        assert_eq!(Config::from_lookup(|_| None).unwrap().mail.niceness, 10);
        assert_eq!(niceness("0").unwrap(), 0);
        assert_eq!(niceness("19").unwrap(), 19);
        for bad in ["20", "-1", "dix", ""] {
            let error = niceness(bad).unwrap_err().to_string();
            assert!(
                error.starts_with("PLATEAUX_MAIL_NICENESS:"),
                "{bad}: {error}"
            );
        }
    }

    #[test]
    fn the_drain_of_a_stop_is_read_in_milliseconds() {
        let drain =
            |v: &'static str| with("PLATEAUX_SHUTDOWN_DRAIN_MS", v).map(|c| c.shutdown_drain);
        assert_eq!(
            Config::from_lookup(|_| None).unwrap().shutdown_drain,
            std::time::Duration::from_millis(DEFAULT_SHUTDOWN_DRAIN_MS)
        );
        assert_eq!(drain("0").unwrap(), std::time::Duration::ZERO);
        assert_eq!(drain("5000").unwrap(), std::time::Duration::from_secs(5));
        for bad in ["600001", "cinq", "-1", "1.5"] {
            let error = drain(bad).unwrap_err().to_string();
            assert!(
                error.starts_with("PLATEAUX_SHUTDOWN_DRAIN_MS:"),
                "{bad}: {error}"
            );
        }
    }

    #[test]
    fn scheduled_hours_default_to_17_and_7_and_are_checked() {
        assert_eq!(
            Config::from_lookup(|_| None).unwrap().schedule,
            ScheduleConfig {
                reminder_hour: 17,
                digest_hour: 7
            }
        );
        assert_eq!(
            with("PLATEAUX_REMINDER_HOUR", "0")
                .unwrap()
                .schedule
                .reminder_hour,
            0
        );
        assert_eq!(
            with("PLATEAUX_DIGEST_HOUR", "23")
                .unwrap()
                .schedule
                .digest_hour,
            23
        );
        for (variable, bad) in [
            ("PLATEAUX_REMINDER_HOUR", "24"),
            ("PLATEAUX_REMINDER_HOUR", "17h"),
            ("PLATEAUX_DIGEST_HOUR", "-1"),
        ] {
            let error = with(variable, bad).unwrap_err().to_string();
            assert!(error.starts_with(variable), "{bad}: {error}");
        }
    }

    #[test]
    fn trusted_proxies_are_none_by_default_and_checked() {
        assert!(Config::from_lookup(|_| None)
            .unwrap()
            .trusted_proxies
            .is_empty());
        let proxies = with("PLATEAUX_TRUSTED_PROXIES", "10.0.0.0/8, fd00::/8")
            .unwrap()
            .trusted_proxies;
        assert_eq!(proxies.len(), 2);
        assert!(proxies[0].contains("10.1.2.3".parse().unwrap()));
        let error = with("PLATEAUX_TRUSTED_PROXIES", "10.0.0.0/40")
            .unwrap_err()
            .to_string();
        assert!(error.starts_with("PLATEAUX_TRUSTED_PROXIES:"), "{error}");
    }

    #[test]
    fn metrics_are_for_loopback_by_default_and_cors_is_closed() {
        let config = Config::from_lookup(|_| None).unwrap();
        assert_eq!(config.metrics_allow.len(), 2);
        assert!(config.metrics_token.is_none());
        assert!(config.cors_origins.is_empty());
        let error = with("PLATEAUX_METRICS_TOKEN", "short")
            .unwrap_err()
            .to_string();
        assert!(error.starts_with("PLATEAUX_METRICS_TOKEN:"), "{error}");
        let origins = with(
            "PLATEAUX_CORS_ORIGINS",
            "https://app.campus.example, http://localhost:5173",
        )
        .unwrap()
        .cors_origins;
        assert_eq!(
            origins,
            ["https://app.campus.example", "http://localhost:5173"]
        );
        let error = with(
            "PLATEAUX_REPORTS_DATABASE_URL",
            "postgres://replica.example/plateaux",
        )
        .unwrap_err()
        .to_string();
        assert!(
            error.starts_with("PLATEAUX_REPORTS_DATABASE_URL:"),
            "SQLite has no replica: {error}"
        );
        for bad in [
            "*",
            "https://app.campus.example/path",
            "app.campus.example",
            "https://ex\u{e4}mple.org",
        ] {
            let error = with("PLATEAUX_CORS_ORIGINS", bad).unwrap_err().to_string();
            assert!(
                error.starts_with("PLATEAUX_CORS_ORIGINS:"),
                "{bad}: {error}"
            );
        }
    }
}
