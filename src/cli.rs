//! The `plateaux` command: serve, migrate, seed-demo, user add, openapi, backup, restore,
//! healthcheck.

use actix_web::HttpServer;
use clap::{Args, Parser, Subcommand};

use crate::app;
use crate::auth::TokenKeys;
use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::db::{self, DbConnection, Pool};
use crate::domain::accounts::AccountDraft;
use crate::domain::{OrganisationKind, Role};
use crate::error::ApiError;
use crate::state::AppState;
use crate::usecases::accounts::create_account;

#[derive(Parser, Debug)]
#[command(
    name = "plateaux",
    version,
    about = "Plateaux techniques partagés d'un Campus des Métiers et des Qualifications"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Start the HTTP service (the default).
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Load the demo campus (Mecanic Vallée); running it again adds nothing.
    SeedDemo,
    /// Manage accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Print the OpenAPI document that the code describes.
    Openapi,
    /// Write a consistent copy of the database to FILE while the service runs (PostgreSQL:
    /// pg_dump's custom format; SQLite: a database file).
    Backup { file: std::path::PathBuf },
    /// Restore FILE, made by `plateaux backup`, into the configured database: a new, empty
    /// PostgreSQL database, or the SQLite file, whose former content is kept as
    /// `<file>.before-restore`. Stop the service first.
    Restore { file: std::path::PathBuf },
    /// Exit 0 when the service listening on PLATEAUX_BIND answers 200 on PATH (for container
    /// health checks, which have no HTTP client).
    Healthcheck {
        #[arg(long, default_value = "/healthz")]
        path: String,
    },
}

#[derive(Args, Debug, Default)]
pub struct ServeArgs {
    /// Load the demo campus before serving.
    #[arg(long)]
    pub demo: bool,
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create an account.
    Add(UserAddArgs),
}

#[derive(Args, Debug)]
pub struct UserAddArgs {
    #[arg(long)]
    pub email: String,
    #[arg(long)]
    pub name: String,
    /// admin, manager, teacher, company or observer.
    #[arg(long, value_parser = parse_role)]
    pub role: Role,
    /// Organisation id or exact name.
    #[arg(long)]
    pub organisation: String,
    /// Password (at least 12 characters); read from PLATEAUX_NEW_USER_PASSWORD when absent.
    #[arg(long, env = "PLATEAUX_NEW_USER_PASSWORD", hide_env_values = true)]
    pub password: String,
}

fn parse_role(text: &str) -> Result<Role, String> {
    Role::parse(text).ok_or_else(|| {
        format!(
            "unknown role; one of: {}",
            Role::ALL
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    })
}

pub fn run(cli: Cli) -> Result<(), String> {
    let command = cli.command.unwrap_or(Command::Serve(ServeArgs::default()));
    if let Command::Openapi = command {
        print!("{}", app::openapi_json());
        return Ok(());
    }
    let config = Config::from_env().map_err(|e| e.to_string())?;
    // These never migrate: a backup leaves the database as it is, a restore needs it empty
    // (PostgreSQL) and the health check touches no database.
    match &command {
        Command::Backup { file } => {
            println!("{}", db::backup::backup(&config.database_url, file)?);
            return Ok(());
        }
        Command::Restore { file } => {
            println!("{}", db::backup::restore(&config.database_url, file)?);
            return Ok(());
        }
        Command::Healthcheck { path } => return healthcheck(config.bind, path),
        _ => {}
    }
    let pool = db::build_pool(&config.database_url, config.pool_size)?;
    let mut conn = pool
        .get()
        .map_err(|e| format!("cannot connect to the database: {e}"))?;
    let applied = db::run_migrations(&mut conn)?;
    if applied > 0 {
        tracing::info!(applied, "database migrations applied");
    }
    match command {
        Command::Migrate => {
            println!(
                "{} applied",
                crate::domain::plural::counted(
                    applied,
                    crate::domain::notifications::Locale::English,
                    "migration",
                    "migrations"
                )
            );
            Ok(())
        }
        Command::SeedDemo => {
            seed_demo(&mut conn, &config)?;
            Ok(())
        }
        Command::User(UserCommand::Add(args)) => {
            let organisation_id = resolve_organisation(&mut conn, &args.organisation)?;
            let row = create_account(
                &mut conn,
                None,
                SystemClock.now(),
                AccountDraft {
                    email: args.email,
                    display_name: args.name,
                    password: Some(args.password),
                    role: args.role,
                    organisation_id,
                    managed_platform_ids: Vec::new(),
                },
            )
            .map_err(describe)?
            .row;
            println!(
                "account {} created ({}, id {})",
                row.email, row.role, row.id
            );
            Ok(())
        }
        Command::Serve(args) => {
            bootstrap_admin(&mut conn, &config)?;
            if args.demo {
                seed_demo(&mut conn, &config)?;
            }
            drop(conn);
            serve(config, pool)
        }
        Command::Openapi
        | Command::Backup { .. }
        | Command::Restore { .. }
        | Command::Healthcheck { .. } => unreachable!("handled above"),
    }
}

/// One `GET path` to the service on `bind` (the loopback address when it listens on all).
fn healthcheck(bind: std::net::SocketAddr, path: &str) -> Result<(), String> {
    use std::io::{BufRead, BufReader, Write};
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
    let mut address = bind;
    if address.ip().is_unspecified() {
        address.set_ip(match address.ip() {
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
        });
    }
    let timeout = std::time::Duration::from_secs(3);
    let failed = |e: std::io::Error| format!("http://{address}{path}: {e}");
    let mut stream = std::net::TcpStream::connect_timeout(&address, timeout).map_err(failed)?;
    stream.set_read_timeout(Some(timeout)).map_err(failed)?;
    stream.set_write_timeout(Some(timeout)).map_err(failed)?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .map_err(failed)?;
    let mut status_line = String::new();
    BufReader::new(stream)
        .read_line(&mut status_line)
        .map_err(failed)?;
    match status_line.split_whitespace().nth(1) {
        Some("200") => Ok(()),
        _ => Err(format!(
            "http://{address}{path} answered {:?}",
            status_line.trim_end()
        )),
    }
}

fn describe(error: ApiError) -> String {
    let mut text = error.detail.clone();
    for e in &error.errors {
        text.push_str(&format!("\n  {}: {}", e.field, e.message));
    }
    if let Some(internal) = &error.internal {
        text.push_str(&format!(" ({internal})"));
    }
    text
}

fn resolve_organisation(conn: &mut DbConnection, text: &str) -> Result<String, String> {
    if let Ok(id) = uuid::Uuid::parse_str(text) {
        if db::organisations::find(conn, &id.to_string())
            .map_err(describe)?
            .is_some()
        {
            return Ok(id.to_string());
        }
    }
    db::organisations::find_by_name(conn, text)
        .map_err(describe)?
        .map(|o| o.id)
        .ok_or_else(|| format!("no organisation with id or name {text:?}"))
}

fn seed_demo(conn: &mut DbConnection, config: &Config) -> Result<(), String> {
    let report = crate::demo::seed(conn, SystemClock.now()).map_err(describe)?;
    println!(
        "Campus de démonstration chargé ({} éléments ajoutés, {} pour le trimestre passé, {} périodes de vacances à venir).",
        report.created, report.history, report.holidays
    );
    println!(
        "Service : http://{}/api/v1  (documentation : /api/v1/openapi.json)",
        config.bind
    );
    println!(
        "Courriels : {}",
        crate::mail::describe_delivery(&config.mail.delivery)
    );
    println!("Comptes de démonstration :");
    for login in report.logins {
        println!(
            "  {:<9} {:<45} {}",
            login.role.as_str(),
            login.email,
            login.password
        );
    }
    Ok(())
}

/// Creates the account named by PLATEAUX_ADMIN_EMAIL / PLATEAUX_ADMIN_PASSWORD if it does
/// not exist, attached to the first member organisation (created when there is none).
fn bootstrap_admin(conn: &mut DbConnection, config: &Config) -> Result<(), String> {
    let (Some(email), Some(password)) = (&config.admin_email, &config.admin_password) else {
        return Ok(());
    };
    let email = crate::domain::accounts::normalise_email(email);
    if db::users::find_by_email(conn, &email)
        .map_err(describe)?
        .is_some()
    {
        return Ok(());
    }
    // No application state here: the wall clock.
    let now = SystemClock.now();
    let organisation_id = db::write_transaction(conn, |conn| -> Result<String, ApiError> {
        let page = db::Page {
            after: None,
            limit: 1,
        };
        let filter = db::organisations::OrganisationFilter {
            include_companies: db::organisations::CompanyVisibility::None,
            ..Default::default()
        };
        if let Some(org) = db::organisations::list(conn, &filter, &page)?.rows.pop() {
            return Ok(org.id);
        }
        let campus = db::campuses::CampusRow {
            id: db::new_id(),
            name: "Campus".into(),
            timezone: config.timezone.name().into(),
            created_at: now,
            updated_at: now,
        };
        db::campuses::insert(conn, &campus)?;
        let org = db::organisations::OrganisationRow {
            id: db::new_id(),
            name: "Établissement support du campus".into(),
            kind: OrganisationKind::Lycee.as_str().into(),
            town: None,
            uai: None,
            siret: None,
            created_at: now,
            updated_at: now,
        };
        db::organisations::insert(conn, &org, &[campus.id])?;
        Ok(org.id)
    })
    .map_err(describe)?;
    create_account(
        conn,
        None,
        now,
        AccountDraft {
            email: email.clone(),
            display_name: "Administration du campus".into(),
            password: Some(password.clone()),
            role: Role::Admin,
            organisation_id,
            managed_platform_ids: Vec::new(),
        },
    )
    .map_err(|e| format!("PLATEAUX_ADMIN_EMAIL: {}", describe(e)))?;
    tracing::info!(%email, "administrator account created");
    Ok(())
}

/// How long a stop waits for the requests already accepted before closing their connections.
const SHUTDOWN_TIMEOUT_SECONDS: u64 = 20;

/// How long the workers are given to take up the connections the acceptor handed them just
/// before it paused; a stop would drop those still waiting.
const HANDOVER: std::time::Duration = std::time::Duration::from_millis(200);

/// On SIGTERM or SIGINT, stops the server without losing a request: readiness answers 503
/// and connections keep being accepted and served for `drain` (a proxy notices and sends
/// elsewhere; what the kernel had already queued is taken), then the server stops
/// accepting, lets the workers take up what was handed to them, and finishes every
/// accepted connection (each answer closes its connection from the signal on).
async fn stop_on_signal(
    server: actix_web::dev::ServerHandle,
    stopping: std::sync::Arc<std::sync::atomic::AtomicBool>,
    drain: std::time::Duration,
) {
    use actix_web::rt::signal::unix::{signal, SignalKind};
    let (mut terminate, mut interrupt) = match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(t), Ok(i)) => (t, i),
        (Err(e), _) | (_, Err(e)) => {
            tracing::error!(error = %e, "cannot listen for SIGTERM and SIGINT");
            return;
        }
    };
    futures_util::future::select(Box::pin(terminate.recv()), Box::pin(interrupt.recv())).await;
    stopping.store(true, std::sync::atomic::Ordering::Relaxed);
    tracing::info!(
        drain_ms = drain.as_millis() as u64,
        "stopping: readiness answers 503, connections still accepted during the drain"
    );
    actix_web::rt::time::sleep(drain).await;
    server.pause().await;
    actix_web::rt::time::sleep(HANDOVER).await;
    tracing::info!("stopping: no more connections accepted; finishing those accepted");
    server.stop(true).await;
}

fn serve(config: Config, pool: Pool) -> Result<(), String> {
    let secret = config.resolve_jwt_secret().map_err(|e| e.to_string())?;
    let mut keys = TokenKeys::new(&secret);
    if let Some(previous) = &config.jwt_previous_secret {
        keys = keys.with_previous(previous);
    }
    let writer_pool = db::build_booking_writer_pool(&config.database_url, config.booking_writers)?;
    let mut state = AppState::new(
        pool,
        writer_pool,
        config.timezone,
        std::sync::Arc::new(crate::clock::SystemClock),
    );
    state.secure_cookies = config.mail.public_url.starts_with("https://");
    state.uid_host = crate::domain::calendar::uid_host(&config.mail.public_url).to_owned();
    if let Some(url) = &config.reports_database_url {
        // Reports are few and long: a quarter of the pool is plenty.
        state.reports_pool = Some(db::build_pool(url, (config.pool_size / 4).max(2))?);
        tracing::info!("reports and indicators read the replica of PLATEAUX_REPORTS_DATABASE_URL");
    }
    state.login_limit =
        crate::domain::rate_limits::RateLimit::new(config.login_attempts_per_minute, 60);
    state.trusted_proxies = std::sync::Arc::new(config.trusted_proxies.clone());
    state.cors_origins = std::sync::Arc::new(config.cors_origins.clone());
    state.metrics_access = std::sync::Arc::new(crate::state::MetricsAccess {
        allow: config.metrics_allow.clone(),
        token: config.metrics_token.clone(),
    });
    state.strict_transport_security = config.mail.public_url.starts_with("https://");
    state.password_gate = std::sync::Arc::new(crate::passwords::PasswordGate::production(Some(
        config.password_hashers as usize,
    )));
    let mail = crate::mail::MailWorker::start(
        state.pool.clone(),
        &config.mail,
        config.timezone,
        state.clock.clone(),
        state.metrics.clone(),
        state.load.clone(),
    )?;
    let scheduler = crate::mail::Scheduler::start(
        state.pool.clone(),
        state.clock.clone(),
        config.timezone,
        config.schedule,
        crate::mail::scheduler::TICK,
    )?;
    tracing::info!(
        delivery = %crate::mail::describe_delivery(&config.mail.delivery),
        from = %config.mail.from,
        public_url = %config.mail.public_url,
        "mail worker started"
    );
    let bind = config.bind;
    let drain = config.shutdown_drain;
    let stopping = state.stopping.clone();
    let served = actix_web::rt::System::new().block_on(async move {
        let server = HttpServer::new(move || app::build(state.clone(), keys.clone()))
            .bind(bind)
            .map_err(|e| format!("cannot listen on {bind}: {e}"))?
            .shutdown_timeout(SHUTDOWN_TIMEOUT_SECONDS)
            // The server's own handling of SIGTERM drops the connections it accepted but
            // had not yet handed to a worker: `stop_on_signal` stops it in order instead.
            .disable_signals()
            .run();
        actix_web::rt::spawn(stop_on_signal(server.handle(), stopping, drain));
        println!("Plateaux écoute sur http://{bind}/ (API : http://{bind}/api/v1)");
        server.await.map_err(|e| e.to_string())
    });
    // The message being sent is marked before the process ends; the others wait in the
    // outbox for the next start.
    scheduler.stop();
    mail.stop();
    served
}
