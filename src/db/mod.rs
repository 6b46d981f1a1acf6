//! Database access: one diesel code path over PostgreSQL and SQLite.
//!
//! Query functions take `&mut DbConnection`; the pool stays in the route layer, which runs
//! each unit of work in one `web::block` closure.

/// Runs one statement on the concrete backend behind a `DbConnection`, for what diesel's
/// `MultiConnection` cannot say itself (multi-row inserts, some loads); both arms are the
/// same code (after vaultwarden's `db_run!`). Statements whose SQL differs by backend
/// (row locks) keep their own `match`.
macro_rules! db_run {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            $crate::db::DbConnection::Postgresql($c) => $body,
            $crate::db::DbConnection::Sqlite($c) => $body,
        }
    };
}

/// The one way to insert several rows: a single multi-row `INSERT` of `rows` (a slice or a
/// `Vec` of insertable values) into `table`, nothing when there are none. Answers the
/// number of rows as a `QueryResult`.
macro_rules! insert_many {
    ($conn:expr, $table:expr, $rows:expr) => {{
        let rows = $rows;
        if rows.is_empty() {
            Ok(0)
        } else {
            $crate::db::db_run!($conn, c => diesel::RunQueryDsl::execute(
                diesel::insert_into($table).values(rows),
                c
            ))
        }
    }};
}

pub(crate) use {db_run, insert_many};

pub mod audit;
pub mod backup;
pub mod bookings;
pub mod calendar;
pub mod campuses;
pub mod closures;
pub mod confirmations;
pub mod equipment;
pub mod idempotency;
pub mod organisations;
pub mod outbox;
pub mod platforms;
pub mod qualifications;
pub mod rate_limits;
pub mod reports;
pub mod schedule;
pub mod schema;
pub mod series;
pub mod service_requests;
pub mod standing;
pub mod tokens;
pub mod usage;
pub mod users;
pub mod web_sessions;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection};
use diesel::{PgConnection, SqliteConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::config::{sqlite_path, DatabaseKind};

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgresql(PgConnection),
    Sqlite(SqliteConnection),
}

pub type Pool = r2d2::Pool<ConnectionManager>;

/// A connection checked out for longer than this since its last use is pinged before it
/// is handed out again; one in steady use is not (see [`PoolEntry`]).
const PING_AFTER_IDLE: std::time::Duration = std::time::Duration::from_secs(1);

/// A pooled connection and what the pool knows of its health. Pinging every connection at
/// checkout costs a round trip per request (a sixth of the machine's work for an
/// availability query); instead a connection is pinged only when it comes back from
/// idling, and one whose work failed with a server error is closed rather than reused, so
/// that a connection the database dropped costs at most the request that found it dropped.
pub struct PoolEntry {
    connection: DbConnection,
    returned_at: std::time::Instant,
    failed: bool,
}

impl PoolEntry {
    /// Closes this connection when it goes back to the pool instead of reusing it.
    pub fn discard(&mut self) {
        self.failed = true;
    }
}

impl std::ops::Deref for PoolEntry {
    type Target = DbConnection;

    fn deref(&self) -> &DbConnection {
        &self.connection
    }
}

impl std::ops::DerefMut for PoolEntry {
    fn deref_mut(&mut self) -> &mut DbConnection {
        &mut self.connection
    }
}

const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// Opens connections of the kind named by the URL scheme and prepares SQLite ones
/// (write-ahead log, foreign keys, busy timeout) before they enter the pool.
#[derive(Debug, Clone)]
pub struct ConnectionManager {
    url: String,
    kind: DatabaseKind,
    /// Settings of each new PostgreSQL session.
    postgres_session: Option<&'static str>,
}

impl ConnectionManager {
    pub fn new(url: &str) -> Result<Self, ConnectionError> {
        let kind = DatabaseKind::of(url).ok_or_else(|| {
            ConnectionError::InvalidConnectionUrl(
                "expected a sqlite://… or postgres://… URL".into(),
            )
        })?;
        Ok(ConnectionManager {
            url: url.to_owned(),
            kind,
            postgres_session: None,
        })
    }

    pub fn connect(&self) -> ConnectionResult<DbConnection> {
        match self.kind {
            DatabaseKind::Postgres => {
                let mut conn = PgConnection::establish(&self.url)?;
                if let Some(settings) = self.postgres_session {
                    conn.batch_execute(settings)
                        .map_err(ConnectionError::CouldntSetupConfiguration)?;
                }
                Ok(DbConnection::Postgresql(conn))
            }
            DatabaseKind::Sqlite => {
                let mut conn = SqliteConnection::establish(sqlite_path(&self.url))?;
                conn.batch_execute(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 15000;",
                )
                .map_err(ConnectionError::CouldntSetupConfiguration)?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }
}

impl ManageConnection for ConnectionManager {
    type Connection = PoolEntry;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<PoolEntry, r2d2::Error> {
        let connection = ConnectionManager::connect(self).map_err(r2d2::Error::ConnectionError)?;
        Ok(PoolEntry {
            connection,
            returned_at: std::time::Instant::now(),
            failed: false,
        })
    }

    fn is_valid(&self, entry: &mut PoolEntry) -> Result<(), r2d2::Error> {
        if entry.returned_at.elapsed() < PING_AFTER_IDLE {
            return Ok(());
        }
        entry
            .connection
            .batch_execute("SELECT 1")
            .map_err(r2d2::Error::QueryError)
    }

    // r2d2 calls this as each connection comes back to the pool: the one place to note when.
    fn has_broken(&self, entry: &mut PoolEntry) -> bool {
        entry.returned_at = std::time::Instant::now();
        entry.failed
            || std::thread::panicking()
            || <DbConnection as Connection>::TransactionManager::is_broken_transaction_manager(
                &mut entry.connection,
            )
    }
}

/// Runs `work` on a connection of `pool`. A server error may have left the connection
/// unusable (the database restarted, say): that connection is then closed, not reused.
/// When the connection itself failed, what became of its transaction is unknown: the
/// request answers 503 (`database_unavailable`, to be tried again), never 500.
pub fn with_connection<T>(
    pool: &Pool,
    work: impl FnOnce(&mut DbConnection) -> crate::error::ApiResult<T>,
) -> crate::error::ApiResult<T> {
    with_connection_timed(pool, |_| {}, work)
}

/// `with_connection`, telling `waited` how long the pool took to give the connection.
pub fn with_connection_timed<T>(
    pool: &Pool,
    waited: impl FnOnce(std::time::Duration),
    work: impl FnOnce(&mut DbConnection) -> crate::error::ApiResult<T>,
) -> crate::error::ApiResult<T> {
    let asked = std::time::Instant::now();
    let conn = pool.get();
    waited(asked.elapsed());
    let mut conn = conn?;
    match work(&mut conn) {
        Err(error) if error.is_server_error() => {
            conn.discard();
            if error.status == actix_web::http::StatusCode::INTERNAL_SERVER_ERROR
                && connection_lost(&mut conn)
            {
                return Err(crate::error::ApiError::unavailable(format!(
                    "the database connection failed: {}",
                    error.internal.as_deref().unwrap_or(&error.detail)
                )));
            }
            Err(error)
        }
        result => result,
    }
}

/// Whether a connection whose work failed is itself unusable: its transaction manager lost
/// track of the transaction, or the server no longer answers it.
fn connection_lost(conn: &mut DbConnection) -> bool {
    <DbConnection as Connection>::TransactionManager::is_broken_transaction_manager(conn)
        || conn.batch_execute("SELECT 1").is_err()
}

pub fn build_pool(url: &str, max_size: u32) -> Result<Pool, String> {
    let manager = ConnectionManager::new(url).map_err(|e| e.to_string())?;
    // SQLite serialises writers anyway; a handful of connections is plenty.
    let max_size = match manager.kind {
        DatabaseKind::Sqlite => max_size.min(8),
        DatabaseKind::Postgres => max_size,
    };
    pool_of(manager, max_size)
}

fn pool_of(manager: ConnectionManager, max_size: u32) -> Result<Pool, String> {
    r2d2::Pool::builder()
        .max_size(max_size)
        .connection_timeout(std::time::Duration::from_secs(10))
        .build(manager)
        .map_err(|e| format!("cannot connect to the database: {e}"))
}

/// The connections of the booking writer (`usecases::bookings::writer`), one per writer thread. Its
/// statements are few, short and always served by an index, and they run thousands of times
/// a second. On PostgreSQL these sessions therefore plan each statement once (generic plans)
/// and never scan a whole table: the tables a booking reads or refers to (platforms,
/// equipment, users, organisations) are small enough that the planner would otherwise scan
/// them, comparing every identifier, for each lookup and for each foreign-key check of each
/// inserted row.
pub fn build_booking_writer_pool(url: &str, writers: u32) -> Result<Pool, String> {
    let mut manager = ConnectionManager::new(url).map_err(|e| e.to_string())?;
    manager.postgres_session =
        Some("SET plan_cache_mode = force_generic_plan; SET enable_seqscan = off");
    pool_of(manager, writers)
}

/// Applies the pending migrations of the connection's backend; returns how many ran.
/// Key of the PostgreSQL advisory lock held while migrating (an arbitrary constant).
const MIGRATION_LOCK: i64 = 0x706c_6174_6561_7578; // "plateaux"

pub fn run_migrations(conn: &mut DbConnection) -> Result<usize, String> {
    let failed = |e: &dyn std::fmt::Display| format!("migration failed: {e}");
    let applied = match conn {
        DbConnection::Postgresql(c) => {
            // Instances started together on one database would each run the migrations and
            // all but one fail on what the first created: one migrates, the others wait for
            // the lock and then find nothing left to do. Diesel takes no such lock itself.
            diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))
                .execute(c)
                .map_err(|e| failed(&e))?;
            let applied = c
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(|versions| versions.len())
                .map_err(|e| failed(&e));
            let unlocked =
                diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))
                    .execute(c);
            let applied = applied?;
            unlocked.map_err(|e| failed(&e))?;
            applied
        }
        DbConnection::Sqlite(c) => c
            .run_pending_migrations(SQLITE_MIGRATIONS)
            .map(|versions| versions.len())
            .map_err(|e| failed(&e))?,
    };
    Ok(applied)
}

/// Runs `work` in a transaction that holds the database's write lock from its first
/// statement: `BEGIN IMMEDIATE` on SQLite, so that a check followed by an insert cannot
/// interleave with another writer; a plain transaction on PostgreSQL, where constraints
/// and row locks serialise conflicting writers.
pub fn write_transaction<T, E>(
    conn: &mut DbConnection,
    work: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    // Inside an open transaction the write lock is already held: nest with a savepoint.
    let depth =
        <DbConnection as Connection>::TransactionManager::transaction_manager_status_mut(conn)
            .transaction_depth()
            .map_err(E::from)?;
    if depth.is_some() {
        return conn.transaction(work);
    }
    match conn {
        DbConnection::Sqlite(c) => {
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?
        }
        DbConnection::Postgresql(c) => AnsiTransactionManager::begin_transaction(c)?,
    }
    match work(conn) {
        Ok(value) => {
            match <DbConnection as Connection>::TransactionManager::commit_transaction(conn) {
                Ok(()) => Ok(value),
                Err(commit_error) => {
                    let _ = <DbConnection as Connection>::TransactionManager::rollback_transaction(
                        conn,
                    );
                    Err(commit_error.into())
                }
            }
        }
        Err(error) => {
            <DbConnection as Connection>::TransactionManager::rollback_transaction(conn)?;
            Err(error)
        }
    }
}

/// Runs `work` in a transaction that is always rolled back: reads for a preview, which
/// must leave nothing behind whatever they call. A plain `BEGIN`: on SQLite it takes no
/// write lock.
pub fn rolled_back<T, E>(
    conn: &mut DbConnection,
    work: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    <DbConnection as Connection>::TransactionManager::begin_transaction(conn)?;
    let result = work(conn);
    <DbConnection as Connection>::TransactionManager::rollback_transaction(conn)?;
    result
}

impl DbConnection {
    pub fn kind(&self) -> DatabaseKind {
        match self {
            DbConnection::Postgresql(_) => DatabaseKind::Postgres,
            DbConnection::Sqlite(_) => DatabaseKind::Sqlite,
        }
    }
}

diesel::define_sql_function! {
    /// SQL `lower()`: name filters ignore case alike on both backends (SQLite's LIKE ignores
    /// ASCII case, PostgreSQL's does not).
    fn lower(text: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// Keyset pagination: rows are ordered by their UUIDv7 id, which grows with creation time.
pub use crate::domain::pagination::Page;

/// The rows of one page of a list, and the id to read the next page after (`None` on the
/// last page).
#[derive(Debug, Clone)]
pub struct Listed<T> {
    pub rows: Vec<T>,
    pub next_after: Option<String>,
}

impl<T> Listed<T> {
    /// A page from the rows read for it: one more than `page.limit` when another page follows.
    pub fn of(mut rows: Vec<T>, page: &Page, id: impl Fn(&T) -> &str) -> Self {
        let more = rows.len() as i64 > page.limit;
        rows.truncate(page.limit as usize);
        let next_after = if more {
            rows.last().map(|r| id(r).to_owned())
        } else {
            None
        };
        Listed { rows, next_after }
    }

    /// The same page with each row completed (a row and what its view needs besides).
    pub fn try_map<U>(
        self,
        complete: impl FnOnce(Vec<T>) -> crate::error::ApiResult<Vec<U>>,
    ) -> crate::error::ApiResult<Listed<U>> {
        Ok(Listed {
            rows: complete(self.rows)?,
            next_after: self.next_after,
        })
    }
}

/// One row completed as the rows of a page are (`platforms::with_details` and the like).
pub fn completed<T, U>(
    conn: &mut DbConnection,
    row: T,
    complete: impl FnOnce(&mut DbConnection, Vec<T>) -> crate::error::ApiResult<Vec<U>>,
) -> crate::error::ApiResult<U> {
    complete(conn, vec![row])?
        .pop()
        .ok_or_else(crate::error::ApiError::not_found)
}

/// Groups `(key, value)` pairs by key: what several rows of a page have each (their opening
/// hours, their learners...), read in one query and handed out to each row.
pub fn grouped<V>(
    pairs: impl IntoIterator<Item = (String, V)>,
) -> std::collections::HashMap<String, Vec<V>> {
    let mut groups: std::collections::HashMap<String, Vec<V>> = Default::default();
    for (key, value) in pairs {
        groups.entry(key).or_default().push(value);
    }
    groups
}

pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

#[cfg(test)]
mod tests {
    fn migration_names(backend: &str) -> Vec<String> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("migrations")
            .join(backend);
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .expect("migrations directory")
            .map(|entry| {
                entry
                    .expect("entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        names.sort();
        names
    }

    /// Both backends share one history: the same migrations, under the same names.
    #[test]
    fn both_backends_have_the_same_migrations() {
        let postgres = migration_names("postgres");
        assert!(postgres.len() >= 7, "{postgres:?}");
        assert_eq!(postgres, migration_names("sqlite"));
    }
}
