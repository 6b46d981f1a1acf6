//! `plateaux backup FILE` and `plateaux restore FILE`.
//!
//! PostgreSQL: `pg_dump` and `pg_restore` in their custom format, run as child processes on
//! the configured URL (its password handed over in `PGPASSWORD`, never on a command line
//! that `ps` shows). SQLite: `VACUUM INTO`, a consistent copy taken while the service runs,
//! and a restore that replaces the file only when no process has it open.
//!
//! Neither command migrates: a restored database keeps the schema version of its backup,
//! and the next `plateaux migrate` or `serve` brings it up to date.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use crate::config::{sqlite_path, DatabaseKind};

use super::{ConnectionManager, DbConnection};

/// Writes a backup of the database at `database_url` to `file`; returns what was done. The
/// backup is written beside `file` first and renamed at the end, so `file` never holds half
/// a backup.
pub fn backup(database_url: &str, file: &Path) -> Result<String, String> {
    let partial = with_suffix(file, ".partial");
    remove_if_present(&partial)?;
    let written = match DatabaseKind::of(database_url) {
        Some(DatabaseKind::Postgres) => dump_postgres(database_url, &partial),
        Some(DatabaseKind::Sqlite) => copy_sqlite(database_url, &partial),
        None => Err("expected a sqlite://… or postgres://… URL".into()),
    };
    if let Err(e) = written.and_then(|()| sync_file(&partial)) {
        let _ = fs::remove_file(&partial);
        return Err(e);
    }
    fs::rename(&partial, file).map_err(|e| format!("cannot write {}: {e}", file.display()))?;
    sync_parent(file);
    let size = fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    Ok(format!(
        "backup written to {} ({size} bytes)",
        file.display()
    ))
}

/// Restores a backup made by [`backup`] into the database at `database_url`; returns what
/// was done. PostgreSQL: the database must hold no table (a new, empty database). SQLite:
/// the file is replaced, its former content kept as `….before-restore`, and only when no
/// process has it open.
pub fn restore(database_url: &str, file: &Path) -> Result<String, String> {
    if !file.is_file() {
        return Err(format!("no backup file at {}", file.display()));
    }
    match DatabaseKind::of(database_url) {
        Some(DatabaseKind::Postgres) => restore_postgres(database_url, file),
        Some(DatabaseKind::Sqlite) => restore_sqlite(database_url, file),
        None => Err("expected a sqlite://… or postgres://… URL".into()),
    }
}

fn connect(database_url: &str) -> Result<DbConnection, String> {
    ConnectionManager::new(database_url)
        .and_then(|m| m.connect())
        .map_err(|e| format!("cannot connect to the database: {e}"))
}

// ----- PostgreSQL -------------------------------------------------------------------------

fn dump_postgres(database_url: &str, into: &Path) -> Result<(), String> {
    let (url, password) = without_password(database_url);
    let mut command = Command::new(postgres_tool("pg_dump")?);
    command
        .arg("--format=custom")
        .arg("--file")
        .arg(into)
        .arg("--dbname")
        .arg(url);
    run_tool(command, password, "pg_dump")
}

fn restore_postgres(database_url: &str, file: &Path) -> Result<String, String> {
    // Restoring over existing tables would mix two states, or fail halfway on the first
    // table that exists: only an empty database is a safe target.
    let tables = {
        #[derive(QueryableByName)]
        struct Count {
            #[diesel(sql_type = BigInt)]
            n: i64,
        }
        let mut conn = connect(database_url)?;
        diesel::sql_query(
            "SELECT count(*) AS n FROM pg_catalog.pg_tables \
             WHERE schemaname NOT IN ('pg_catalog', 'information_schema')",
        )
        .get_result::<Count>(&mut conn)
        .map_err(|e| format!("cannot read the database's tables: {e}"))?
        .n
    };
    if tables > 0 {
        return Err(format!(
            "the database already holds {}: restore into a new, empty database \
             (CREATE DATABASE …), then point PLATEAUX_DATABASE_URL at it",
            crate::domain::plural::counted(
                tables,
                crate::domain::notifications::Locale::English,
                "table",
                "tables"
            )
        ));
    }
    let (url, password) = without_password(database_url);
    let mut command = Command::new(postgres_tool("pg_restore")?);
    // One transaction: a restore that fails leaves the database empty, as it was.
    command
        .args([
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
        ])
        .arg("--dbname")
        .arg(url)
        .arg(file);
    run_tool(command, password, "pg_restore")?;
    Ok(format!("{} restored", file.display()))
}

/// The URL without its password, and the password. libpq reads the password from
/// `PGPASSWORD`, so it never appears in the child's arguments.
fn without_password(url: &str) -> (String, Option<String>) {
    let mut password = None;
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let mut base = base.to_owned();
    if let Some(scheme_end) = base.find("://").map(|i| i + 3) {
        let authority_end = base[scheme_end..]
            .find('/')
            .map_or(base.len(), |i| scheme_end + i);
        if let Some(at) = base[scheme_end..authority_end].rfind('@') {
            let userinfo = &base[scheme_end..scheme_end + at];
            if let Some((user, secret)) = userinfo.split_once(':') {
                password = Some(percent_decode(secret));
                base = format!("{}{user}{}", &base[..scheme_end], &base[scheme_end + at..]);
            }
        }
    }
    let query: Vec<&str> = query
        .into_iter()
        .flat_map(|q| q.split('&'))
        .filter(|pair| match pair.strip_prefix("password=") {
            Some(secret) => {
                password = Some(percent_decode(secret));
                false
            }
            None => true,
        })
        .collect();
    if !query.is_empty() {
        base.push('?');
        base.push_str(&query.join("&"));
    }
    (base, password)
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `pg_dump` or `pg_restore`: on the `PATH`, else the newest of Debian's
/// `/usr/lib/postgresql/<version>/bin`.
fn postgres_tool(name: &str) -> Result<PathBuf, String> {
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    });
    let debian = || {
        let mut found: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|entry| {
                let entry = entry.ok()?;
                let version = entry.file_name().to_str()?.parse().ok()?;
                let tool = entry.path().join("bin").join(name);
                tool.is_file().then_some((version, tool))
            })
            .collect();
        found.sort();
        found.pop().map(|(_, tool)| tool)
    };
    on_path.or_else(debian).ok_or_else(|| {
        format!(
            "{name} not found: install PostgreSQL's client programs at the server's major \
             version or newer (Debian: postgresql-client)"
        )
    })
}

fn run_tool(mut command: Command, password: Option<String>, name: &str) -> Result<(), String> {
    if let Some(password) = password {
        command.env("PGPASSWORD", password);
    }
    let output = command
        .output()
        .map_err(|e| format!("cannot run {name}: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{name} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

// ----- SQLite -----------------------------------------------------------------------------

fn copy_sqlite(database_url: &str, into: &Path) -> Result<(), String> {
    let path = sqlite_path(database_url);
    if !Path::new(path).is_file() {
        return Err(format!("no SQLite database at {path}"));
    }
    let into = into
        .to_str()
        .ok_or_else(|| format!("{}: not a UTF-8 path", into.display()))?;
    let mut conn = connect(database_url)?;
    // A read transaction: writers go on (write-ahead log) while the copy is taken, and the
    // copy is the database as of the transaction's start.
    diesel::sql_query("VACUUM INTO ?")
        .bind::<Text, _>(into)
        .execute(&mut conn)
        .map_err(|e| format!("VACUUM INTO {into} failed: {e}"))?;
    Ok(())
}

fn restore_sqlite(database_url: &str, file: &Path) -> Result<String, String> {
    let target = PathBuf::from(sqlite_path(database_url));
    if let Some(pid) = sqlite_opened_by(&target)? {
        return Err(format!(
            "{} is open in process {pid} (the service?): stop it before restoring",
            target.display()
        ));
    }
    // The copy is checked where it will live, then renamed over the target: the target is
    // either its former self or the whole backup, never a mix.
    let restoring = with_suffix(&target, ".restoring");
    remove_if_present(&restoring)?;
    fs::copy(file, &restoring).map_err(|e| {
        format!(
            "cannot copy {} to {}: {e}",
            file.display(),
            restoring.display()
        )
    })?;
    if let Err(e) = check_sqlite_backup(&restoring).and_then(|()| sync_file(&restoring)) {
        let _ = fs::remove_file(&restoring);
        return Err(format!("{}: {e}", file.display()));
    }
    let mut kept = String::new();
    if target.exists() {
        // The former database goes aside with its write-ahead log, which may hold committed
        // transactions not yet copied into the file; the shared-memory index is rebuilt.
        let aside = with_suffix(&target, ".before-restore");
        for suffix in ["", "-wal", "-shm"] {
            remove_if_present(&with_suffix(&aside, suffix))?;
        }
        fs::rename(&target, &aside)
            .map_err(|e| format!("cannot move {} aside: {e}", target.display()))?;
        let wal = with_suffix(&target, "-wal");
        if wal.exists() {
            fs::rename(&wal, with_suffix(&aside, "-wal"))
                .map_err(|e| format!("cannot move {} aside: {e}", wal.display()))?;
        }
        remove_if_present(&with_suffix(&target, "-shm"))?;
        kept = format!("; the former database is kept as {}", aside.display());
    }
    fs::rename(&restoring, &target).map_err(|e| format!("cannot put the backup in place: {e}"))?;
    sync_parent(&target);
    Ok(format!(
        "{} restored to {}{kept}",
        file.display(),
        target.display()
    ))
}

/// The backup is a sound SQLite database of this service.
fn check_sqlite_backup(path: &Path) -> Result<(), String> {
    #[derive(QueryableByName)]
    struct Line {
        #[diesel(sql_type = Text)]
        integrity_check: String,
    }
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let path = path.to_str().ok_or("not a UTF-8 path")?;
    let mut conn = diesel::SqliteConnection::establish(path)
        .map_err(|e| format!("not a SQLite database: {e}"))?;
    let lines = diesel::sql_query("PRAGMA integrity_check")
        .load::<Line>(&mut conn)
        .map_err(|e| format!("not a SQLite database: {e}"))?;
    if lines.len() != 1 || lines[0].integrity_check != "ok" {
        let problems: Vec<String> = lines.into_iter().map(|l| l.integrity_check).collect();
        return Err(format!("damaged database: {}", problems.join("; ")));
    }
    let migrations = diesel::sql_query(
        "SELECT count(*) AS n FROM sqlite_master \
         WHERE type = 'table' AND name = '__diesel_schema_migrations'",
    )
    .get_result::<Count>(&mut conn)
    .map_err(|e| e.to_string())?;
    if migrations.n == 0 {
        return Err("not a Plateaux database (no migrations recorded)".into());
    }
    Ok(())
}

/// The id of another process that has the SQLite database at `path` open, if any.
///
/// Every connection to a database in write-ahead-log mode (the service's) holds a shared
/// POSIX lock on one byte of the `-shm` file (SQLite's "dead man switch", byte 128) for as
/// long as it is open. Asking the kernel whether an exclusive lock on that byte would be
/// refused tells whether some process has the database open. POSIX locks of the asking
/// process itself are not reported: the command runs in a process of its own.
#[cfg(unix)]
fn sqlite_opened_by(path: &Path) -> Result<Option<i32>, String> {
    use std::os::unix::io::AsRawFd;
    const DEAD_MAN_SWITCH: libc::off_t = 128;
    let shm = with_suffix(path, "-shm");
    let file = match fs::OpenOptions::new().read(true).open(&shm) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read {}: {e}", shm.display())),
    };
    // SAFETY: a zeroed flock is a valid value; fcntl(F_GETLK) only fills it in.
    let mut lock: libc::flock = unsafe { std::mem::zeroed() };
    lock.l_type = libc::F_WRLCK as libc::c_short;
    lock.l_whence = libc::SEEK_SET as libc::c_short;
    lock.l_start = DEAD_MAN_SWITCH;
    lock.l_len = 1;
    // SAFETY: the descriptor is open for the duration of the call and `lock` is valid.
    if unsafe { libc::fcntl(file.as_raw_fd(), libc::F_GETLK, &mut lock) } == -1 {
        return Err(format!(
            "cannot query the locks of {}: {}",
            shm.display(),
            std::io::Error::last_os_error()
        ));
    }
    Ok((lock.l_type != libc::F_UNLCK as libc::c_short).then_some(lock.l_pid))
}

#[cfg(not(unix))]
fn sqlite_opened_by(_path: &Path) -> Result<Option<i32>, String> {
    Ok(None)
}

// ----- Files ------------------------------------------------------------------------------

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn remove_if_present(path: &Path) -> Result<(), String> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(format!("cannot remove {}: {e}", path.display())),
    }
}

/// On disk before it is renamed into place, so that a crash cannot leave a named but empty
/// file.
fn sync_file(path: &Path) -> Result<(), String> {
    fs::File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// The rename itself on disk; best effort (not every file system syncs directories).
fn sync_parent(path: &Path) {
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if let Ok(dir) = fs::File::open(parent) {
        let _ = dir.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::without_password;

    #[test]
    fn the_password_leaves_the_url() {
        assert_eq!(
            without_password("postgres://plateaux:s%40cret@db:5432/plateaux?sslmode=require"),
            (
                "postgres://plateaux@db:5432/plateaux?sslmode=require".to_owned(),
                Some("s@cret".to_owned())
            )
        );
        assert_eq!(
            without_password("postgres://plateaux@/plateaux?host=/run/pg&password=x%20y"),
            (
                "postgres://plateaux@/plateaux?host=/run/pg".to_owned(),
                Some("x y".to_owned())
            )
        );
        assert_eq!(
            without_password("postgresql://db1:5432,db2:5432/plateaux"),
            ("postgresql://db1:5432,db2:5432/plateaux".to_owned(), None)
        );
    }
}
