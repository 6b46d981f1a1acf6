//! The web interface in a real browser: Debian's chromium, driven by Playwright for Python,
//! over the real binary (`serve --demo`) on a fresh SQLite database and on a fresh
//! PostgreSQL one. Each scenario is a script under `tests/web/` (what they share is in
//! `tests/web/common.py`), run against its own service, and runs axe-core on every page it
//! visits at 1280 and 360 px (no serious or critical violation, no horizontal scroll at
//! 360 px). Screenshots go to `<target dir>/web-screenshots/<backend>/`.
//!
//! To add a scenario: a script `tests/web/<name>.py` that ends with `finish()`, and one
//! `browser_scenario!` line below.

use std::path::{Path, PathBuf};

use crate::contract_openapi::start_demo_service;

/// The Python packages the script runs on, pinned.
const PACKAGES: &[&str] = &["playwright==1.65.2", "axe-playwright-python==0.1.8"];
const CHROMIUM: &str = "/usr/bin/chromium";

fn target_dir() -> PathBuf {
    // The binary under test is `<target>/<profile>/plateaux`.
    Path::new(env!("CARGO_BIN_EXE_plateaux"))
        .parent()
        .and_then(Path::parent)
        .expect("the target directory")
        .to_owned()
}

fn venv_ready(python: &Path) -> bool {
    std::process::Command::new(python)
        .args(["-c", "import playwright, axe_playwright_python"])
        .output()
        .is_ok_and(|o| o.status.success())
        && std::process::Command::new(python.with_file_name("pip"))
            .args(["freeze", "--disable-pip-version-check"])
            .output()
            .is_ok_and(|o| {
                let installed = String::from_utf8_lossy(&o.stdout).to_lowercase();
                PACKAGES.iter().all(|p| installed.contains(p))
            })
}

/// The Python of `<target>/web-venv`, with the pinned packages, installed there the first
/// time from PyPI; never a browser (`PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD`): the system's
/// chromium is the one driven. A lock file keeps the two backend tests from installing at
/// once.
fn python() -> PathBuf {
    use std::os::unix::io::AsRawFd;
    let target = target_dir();
    let venv = target.join("web-venv");
    let python = venv.join("bin/python");
    if venv_ready(&python) {
        return python;
    }
    let lock_path = target.join("web-venv.lock");
    let lock = std::fs::File::create(&lock_path).expect("lock file");
    assert_eq!(
        unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) },
        0,
        "lock {}",
        lock_path.display()
    );
    if venv_ready(&python) {
        return python;
    }
    let run = |what: &str, command: &mut std::process::Command| {
        let output = command
            .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
            .output()
            .unwrap_or_else(|e| panic!("the browser tests' {what} cannot run: {e}"));
        assert!(
            output.status.success(),
            "the browser tests' {what} failed; install Python 3 with its venv module \
             (Debian: python3-venv) and reach PyPI:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    };
    eprintln!("installing {} into {}", PACKAGES.join(", "), venv.display());
    run(
        "python3 -m venv",
        std::process::Command::new("python3")
            .args(["-m", "venv", "--clear"])
            .arg(&venv),
    );
    run(
        "pip install",
        std::process::Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "--disable-pip-version-check"])
            .args(PACKAGES),
    );
    python
}

fn run_scenario(script: &str, database_url: &str, backend: &str) {
    assert!(
        Path::new(CHROMIUM).exists(),
        "the browser tests drive {CHROMIUM}: install Debian's chromium package"
    );
    let python = python();
    let dir = tempfile::tempdir().expect("temporary directory");
    let admin = ("navigateur@plateaux.test", "navigateur-admin-2027");
    let (_service, port) = start_demo_service(database_url, dir.path(), admin);
    let screenshots = target_dir().join("web-screenshots").join(backend);
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/web")
        .join(script);
    let output = std::process::Command::new(&python)
        .arg(&script)
        .arg(format!("http://127.0.0.1:{port}"))
        .arg(&screenshots)
        .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
        // Where the service writes its e-mails (it has no mail server): the links a
        // scenario follows (a password reset, a confirmation) are read there.
        .env(
            "PLATEAUX_TEST_MAIL_DIR",
            dir.path()
                .join(plateaux::config::mail_directory(database_url)),
        )
        .output()
        .unwrap_or_else(|e| panic!("run {}: {e}", python.display()));
    let log = std::fs::read_to_string(dir.path().join("service.log")).unwrap_or_default();
    assert!(
        output.status.success(),
        "the browser scenario {} failed on {backend}:\n{}{}\nservice log:\n{log}",
        script.display(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        String::from_utf8_lossy(&output.stdout)
            .trim_end()
            .ends_with("ok"),
        "the browser script did not finish: {}",
        String::from_utf8_lossy(&output.stdout)
    );
}

/// The two tests of one scenario: `name_on_sqlite` and `name_on_postgres`.
macro_rules! browser_scenario {
    ($name:ident, $script:literal) => {
        mod $name {
            #[test]
            fn on_sqlite() {
                let dir = tempfile::tempdir().expect("temporary directory");
                super::run_scenario(
                    $script,
                    &format!("sqlite://{}", dir.path().join("plateaux.db").display()),
                    "sqlite",
                );
            }

            #[test]
            fn on_postgres() {
                super::run_scenario(
                    $script,
                    &crate::support::postgres::fresh_database(),
                    "postgres",
                );
            }
        }
    };
}

browser_scenario!(first_pages, "first_pages.py");
browser_scenario!(indicators, "indicators.py");
browser_scenario!(usage_week, "usage_week.py");
browser_scenario!(account, "account.py");
browser_scenario!(requests, "requests.py");
browser_scenario!(booking_form, "booking_form.py");
