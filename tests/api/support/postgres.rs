//! A PostgreSQL server for the tests: `PLATEAUX_TEST_DATABASE_URL` when set, otherwise a
//! throwaway cluster started with the system's `initdb`/`pg_ctl` in a temporary directory
//! and stopped when the test process exits. Each test gets a fresh database cloned from a
//! migrated template.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};

pub struct Server {
    /// URL of a maintenance database, for CREATE DATABASE.
    admin_url: String,
    template: String,
}

static SERVER: OnceLock<Result<Server, String>> = OnceLock::new();
static CLUSTER_DIR: OnceLock<PathBuf> = OnceLock::new();
static CREATE_LOCK: Mutex<()> = Mutex::new(());

/// The URL of a new database with no tables at all (not even migrated).
pub fn blank_database() -> String {
    let server = SERVER
        .get_or_init(start)
        .as_ref()
        .unwrap_or_else(|e| panic!("{e}"));
    let name = format!("plateaux_blank_{}", uuid::Uuid::now_v7().simple());
    let mut conn = PgConnection::establish(&server.admin_url).expect("connect to the test server");
    conn.batch_execute(&format!("CREATE DATABASE {name} TEMPLATE template0"))
        .expect("create a blank database");
    with_database(&server.admin_url, &name)
}

/// The URL of a new, migrated, empty database.
pub fn fresh_database() -> String {
    let server = SERVER
        .get_or_init(start)
        .as_ref()
        .unwrap_or_else(|e| panic!("{e}"));
    let name = format!("plateaux_test_{}", uuid::Uuid::now_v7().simple());
    {
        // Cloning a template needs it idle; one clone at a time.
        let _guard = CREATE_LOCK.lock().unwrap_or_else(|p| p.into_inner());
        let mut conn =
            PgConnection::establish(&server.admin_url).expect("connect to the test server");
        conn.batch_execute(&format!(
            "CREATE DATABASE {name} TEMPLATE {}",
            server.template
        ))
        .expect("create a test database");
    }
    with_database(&server.admin_url, &name)
}

fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    format!("{base}/{name}{query}")
}

fn start() -> Result<Server, String> {
    let admin_url = match std::env::var("PLATEAUX_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => start_cluster()?,
    };
    let template = format!("plateaux_template_{}", std::process::id());
    let mut conn = PgConnection::establish(&admin_url)
        .map_err(|e| format!("cannot connect to the PostgreSQL test server at {admin_url}: {e}"))?;
    for statement in [
        format!("DROP DATABASE IF EXISTS {template}"),
        format!("CREATE DATABASE {template}"),
    ] {
        conn.batch_execute(&statement)
            .map_err(|e| format!("cannot create the template database: {e}"))?;
    }
    let mut template_conn =
        plateaux::db::ConnectionManager::new(&with_database(&admin_url, &template))
            .and_then(|m| m.connect())
            .map_err(|e| format!("cannot connect to the template database: {e}"))?;
    plateaux::db::run_migrations(&mut template_conn)?;
    drop(template_conn);
    Ok(Server {
        admin_url,
        template,
    })
}

fn find_tool(name: &str) -> Option<PathBuf> {
    let from_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
    });
    from_path.or_else(|| {
        let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path().join("bin").join(name)))
            .filter(|p| p.is_file())
            .collect();
        versions.sort();
        versions.pop()
    })
}

/// initdb refuses to run as root: the cluster then belongs to the `postgres` account.
fn postgres_account() -> Option<(u32, u32)> {
    if unsafe { libc::geteuid() } != 0 {
        return None;
    }
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        (fields.first() == Some(&"postgres"))
            .then(|| Some((fields.get(2)?.parse().ok()?, fields.get(3)?.parse().ok()?)))?
    })
}

fn run(mut command: Command, account: Option<(u32, u32)>, what: &str) -> Result<(), String> {
    use std::os::unix::process::CommandExt;
    if let Some((uid, gid)) = account {
        command.gid(gid).uid(uid);
    }
    let output = command.output().map_err(|e| format!("{what}: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{what} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

const MISSING: &str = "PostgreSQL tests need a server: install Debian's `postgresql` package \
    (apt-get install -y postgresql, which provides initdb and pg_ctl) or set \
    PLATEAUX_TEST_DATABASE_URL to a server where the user may create databases";

fn start_cluster() -> Result<String, String> {
    let dir = std::env::temp_dir().join(format!("plateaux-test-pg-{}", std::process::id()));
    CLUSTER_DIR.set(dir.clone()).ok();
    unsafe { libc::atexit(stop_cluster) };
    let port = create_cluster(&dir)?;
    Ok(format!("postgres://postgres@127.0.0.1:{port}/postgres"))
}

/// Creates a cluster in `dir` (emptied first) and starts it on a free loopback port.
fn create_cluster(dir: &Path) -> Result<u16, String> {
    let initdb = find_tool("initdb").ok_or(MISSING)?;
    let account = postgres_account();
    if unsafe { libc::geteuid() } == 0 && account.is_none() {
        return Err(format!(
            "running as root without a `postgres` account: {MISSING}"
        ));
    }
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
    if let Some((uid, gid)) = account {
        std::os::unix::fs::chown(dir, Some(uid), Some(gid))
            .map_err(|e| format!("chown {}: {e}", dir.display()))?;
    }
    let data = dir.join("data");
    let mut init = Command::new(&initdb);
    init.arg("-D").arg(&data).args([
        "-U",
        "postgres",
        "-A",
        "trust",
        "-E",
        "UTF8",
        "--locale=C",
        "--no-sync",
    ]);
    run(init, account, "initdb")?;
    let port = free_port()?;
    start_server(dir, port)?;
    Ok(port)
}

/// `pg_ctl start` of the cluster in `dir` on `port`, waiting until it accepts connections.
fn start_server(dir: &Path, port: u16) -> Result<(), String> {
    start_server_with(dir, port, "-c synchronous_commit=off")
}

/// `start_server` with `settings` (`-c name=value …`) added to the command line.
fn start_server_with(dir: &Path, port: u16, settings: &str) -> Result<(), String> {
    let pg_ctl = find_tool("pg_ctl").ok_or(MISSING)?;
    let options = format!(
        "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off {settings} \
         -c full_page_writes=off -c max_connections=300 -c shared_buffers=128MB",
        dir.display()
    );
    let mut start = Command::new(&pg_ctl);
    start
        .arg("-D")
        .arg(dir.join("data"))
        .arg("-l")
        .arg(dir.join("server.log"))
        .args(["-w", "-t", "60", "-o", &options, "start"]);
    run(start, postgres_account(), "pg_ctl start")
        .map_err(|e| format!("{e}\nserver log: {}", read_log(dir)))
}

/// `pg_ctl stop` of the cluster in `dir` with `mode` (`fast`, `immediate`).
fn stop_server(dir: &Path, mode: &str) -> Result<(), String> {
    let pg_ctl = find_tool("pg_ctl").ok_or(MISSING)?;
    let mut stop = Command::new(pg_ctl);
    stop.arg("-D")
        .arg(dir.join("data"))
        .args(["-m", mode, "-w", "stop"]);
    run(stop, postgres_account(), "pg_ctl stop")
}

/// A cluster of one test's own, which it may stop and start again; removed when dropped.
/// Always started here (never `PLATEAUX_TEST_DATABASE_URL`): a test restarts it.
pub struct Cluster {
    dir: PathBuf,
    port: u16,
}

impl Cluster {
    pub fn start() -> Cluster {
        let dir = std::env::temp_dir().join(format!(
            "plateaux-test-pg-{}-{}",
            std::process::id(),
            uuid::Uuid::now_v7().simple()
        ));
        let port = create_cluster(&dir).unwrap_or_else(|e| panic!("{e}"));
        Cluster { dir, port }
    }

    /// The URL of its `postgres` database.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Stops the server as an operator's restart does (`pg_ctl stop -m fast`: sessions are
    /// ended, running transactions rolled back) and starts it again on the same port.
    pub fn restart(&self) {
        stop_server(&self.dir, "fast").unwrap_or_else(|e| panic!("{e}"));
        start_server(&self.dir, self.port).unwrap_or_else(|e| panic!("{e}"));
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = stop_server(&self.dir, "immediate");
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A primary and its synchronous streaming replica, each a throwaway cluster on its own
/// loopback port, as the failover of `deploy/README.md` runs them: a commit returns once
/// the replica has it (`synchronous_standby_names = '*'`, `synchronous_commit = on`).
/// Removed when dropped.
pub struct ReplicatedPair {
    primary: PathBuf,
    replica: PathBuf,
    pub primary_port: u16,
    pub replica_port: u16,
}

impl ReplicatedPair {
    pub fn start() -> ReplicatedPair {
        let base = std::env::temp_dir().join(format!(
            "plateaux-test-pg-{}-{}",
            std::process::id(),
            uuid::Uuid::now_v7().simple()
        ));
        let (primary, replica) = (base.join("primary"), base.join("replica"));
        let pair = |e: String| -> ! { panic!("{e}") };
        let primary_port = create_cluster(&primary).unwrap_or_else(|e| pair(e));
        // Restarted with what streaming and synchronous commits need.
        stop_server(&primary, "fast").unwrap_or_else(|e| pair(e));
        let settings = "-c synchronous_commit=on -c wal_level=replica -c max_wal_senders=4 \
             -c synchronous_standby_names='*'";
        start_server_with(&primary, primary_port, settings).unwrap_or_else(|e| pair(e));
        let account = postgres_account();
        std::fs::create_dir_all(&replica).unwrap_or_else(|e| pair(e.to_string()));
        if let Some((uid, gid)) = account {
            std::os::unix::fs::chown(&replica, Some(uid), Some(gid))
                .unwrap_or_else(|e| pair(e.to_string()));
        }
        // `-R`: the copy starts as a standby of the primary. Until it streams, the primary's
        // commits wait for it, so nothing is written before.
        let mut copy =
            Command::new(find_tool("pg_basebackup").unwrap_or_else(|| pair(MISSING.into())));
        copy.args([
            "-h",
            "127.0.0.1",
            "-p",
            &primary_port.to_string(),
            "-U",
            "postgres",
        ])
        .arg("-D")
        .arg(replica.join("data"))
        .args(["-R", "-X", "stream", "--no-sync"]);
        run(copy, account, "pg_basebackup").unwrap_or_else(|e| pair(e));
        let replica_port = free_port().unwrap_or_else(|e| pair(e));
        start_server_with(&replica, replica_port, "-c synchronous_commit=on")
            .unwrap_or_else(|e| pair(format!("{e}\nreplica log: {}", read_log(&replica))));
        ReplicatedPair {
            primary,
            replica,
            primary_port,
            replica_port,
        }
    }

    /// The primary's `postgres` database.
    pub fn primary_url(&self) -> String {
        format!(
            "postgres://postgres@127.0.0.1:{}/postgres",
            self.primary_port
        )
    }

    /// The replica's `postgres` database (read-only until promoted).
    pub fn replica_url(&self) -> String {
        format!(
            "postgres://postgres@127.0.0.1:{}/postgres",
            self.replica_port
        )
    }

    /// Both hosts, the one accepting writes chosen by libpq, as an operator configures the
    /// service (`deploy/README.md`, "Failover").
    pub fn service_url(&self) -> String {
        format!(
            "postgres://postgres@127.0.0.1:{},127.0.0.1:{}/postgres?target_session_attrs=read-write",
            self.primary_port, self.replica_port
        )
    }

    /// Whether the replica streams from the primary as a synchronous standby.
    pub fn replica_is_synchronous(&self) -> bool {
        use diesel::prelude::*;
        #[derive(QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let Ok(mut conn) = diesel::PgConnection::establish(&self.primary_url()) else {
            return false;
        };
        diesel::sql_query(
            "SELECT COUNT(*) AS n FROM pg_stat_replication WHERE sync_state = 'sync' AND state = 'streaming'",
        )
        .get_result::<Count>(&mut conn)
        .is_ok_and(|c| c.n == 1)
    }

    /// Stops (`true`) or resumes the replica's replay of what it receives: while paused,
    /// it answers reads as of the moment of the pause, as a lagging replica would.
    pub fn pause_replay(&self, paused: bool) {
        use diesel::prelude::*;
        let mut conn = diesel::PgConnection::establish(&self.replica_url())
            .unwrap_or_else(|e| panic!("replica: {e}"));
        let call = if paused {
            "SELECT pg_wal_replay_pause()"
        } else {
            "SELECT pg_wal_replay_resume()"
        };
        conn.batch_execute(call)
            .unwrap_or_else(|e| panic!("{call}: {e}"));
    }

    /// The primary dies (`pg_ctl stop -m immediate`: no shutdown checkpoint, sessions
    /// cut), as a lost machine would.
    pub fn kill_primary(&self) {
        stop_server(&self.primary, "immediate").unwrap_or_else(|e| panic!("{e}"));
    }

    /// The replica becomes the primary (`pg_ctl promote`, waiting until it accepts writes).
    pub fn promote_replica(&self) {
        let pg_ctl = find_tool("pg_ctl").expect(MISSING);
        let mut promote = Command::new(pg_ctl);
        promote
            .arg("-D")
            .arg(self.replica.join("data"))
            .args(["-w", "-t", "60", "promote"]);
        run(promote, postgres_account(), "pg_ctl promote")
            .unwrap_or_else(|e| panic!("{e}\nreplica log: {}", read_log(&self.replica)));
    }
}

impl Drop for ReplicatedPair {
    fn drop(&mut self) {
        let _ = stop_server(&self.primary, "immediate");
        let _ = stop_server(&self.replica, "immediate");
        if let Some(base) = self.primary.parent() {
            let _ = std::fs::remove_dir_all(base);
        }
    }
}

fn read_log(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("server.log")).unwrap_or_default()
}

fn free_port() -> Result<u16, String> {
    let listener =
        std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| e.to_string())
}

extern "C" fn stop_cluster() {
    if let Some(dir) = CLUSTER_DIR.get() {
        let _ = stop_server(dir, "immediate");
        let _ = std::fs::remove_dir_all(dir);
    }
}
