//! Configuration from environment variables (documented in the README).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use chrono_tz::Tz;

/// What the service needs to start; built from `PLATEAUX_*` variables.
#[derive(Clone, Debug)]
pub struct Config {
    pub database_url: String,
    pub bind: SocketAddr,
    pub jwt_secret: Option<String>,
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
}

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
            crate::state::LOGINS_PER_ADDRESS_PER_MINUTE as u32,
            1_000_000,
        )?;
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get() as u32);
        let password_hashers = whole_number(&lookup, "PLATEAUX_PASSWORD_HASHERS", cores, 64)?;
        let jwt_secret = lookup("PLATEAUX_JWT_SECRET");
        if let Some(secret) = &jwt_secret {
            if secret.len() < 32 {
                return Err(ConfigError::Invalid {
                    variable: "PLATEAUX_JWT_SECRET",
                    message: "must be at least 32 characters long".into(),
                });
            }
        }
        Ok(Config {
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
}
