//! A real SMTP server on loopback for the tests: Debian's `python3-aiosmtpd` (`.ci/run`
//! installs it) writing every message it accepts into a Maildir, read back here with
//! `mail-parser`. Also a "black hole" that accepts connections and never answers, the way
//! an unreachable or stuck mail server looks.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A Python that has `aiosmtpd`: `PLATEAUX_TEST_PYTHON`, else Debian's `/usr/bin/python3`
/// (where the package installs it, whatever `python3` comes first on the `PATH`), else
/// `python3`.
fn python() -> PathBuf {
    let candidates: Vec<PathBuf> = std::env::var_os("PLATEAUX_TEST_PYTHON")
        .map(PathBuf::from)
        .into_iter()
        .chain([PathBuf::from("/usr/bin/python3"), PathBuf::from("python3")])
        .collect();
    for candidate in &candidates {
        let has_it = Command::new(candidate)
            .args(["-c", "import aiosmtpd"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if has_it {
            return candidate.clone();
        }
    }
    panic!(
        "no Python with aiosmtpd: install Debian's python3-aiosmtpd (bash .ci/run does), \
         or set PLATEAUX_TEST_PYTHON to a python that has it"
    );
}

/// A free loopback port.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// A message the server received.
#[derive(Debug, Clone)]
pub struct Received {
    /// The envelope's recipients (`X-RcptTo`, added by aiosmtpd).
    pub rcpt_to: String,
    pub to: String,
    pub from: String,
    pub subject: String,
    pub message_id: String,
    pub text: String,
    pub html: String,
    /// The content types of the message's parts, in order.
    pub content_types: Vec<String>,
    /// The calendar invitation: the `method` parameter of its `text/calendar` part, with
    /// its charset, and its text.
    pub calendar: Option<Calendar>,
}

/// A `text/calendar` part.
#[derive(Debug, Clone)]
pub struct Calendar {
    pub method: String,
    pub charset: String,
    pub ics: String,
}

impl Received {
    /// The first link of the plain text that starts with `prefix`.
    pub fn link(&self, prefix: &str) -> String {
        let start = self
            .text
            .find(prefix)
            .unwrap_or_else(|| panic!("no link {prefix} in:\n{}", self.text));
        self.text[start..]
            .split_whitespace()
            .next()
            .expect("a link")
            .to_owned()
    }
}

/// The SMTP server: started on a port, stopped and started again on the same port, with its
/// Maildir kept across.
pub struct SmtpSink {
    pub port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
    /// Recipients starting with this are refused for good (550) at RCPT.
    refuse_prefix: Option<String>,
}

/// aiosmtpd's Mailbox handler, refusing some recipients with a permanent error.
const REFUSING_HANDLER: &str = r#"
import os
from aiosmtpd.handlers import Mailbox

class Refusing(Mailbox):
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith(os.environ["REFUSE_PREFIX"]):
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"
"#;

impl SmtpSink {
    /// Starts a server on a free port.
    pub fn start() -> SmtpSink {
        Self::start_on(free_port())
    }

    /// Starts a server on `port`.
    pub fn start_on(port: u16) -> SmtpSink {
        let mut sink = SmtpSink {
            port,
            dir: tempfile::tempdir().expect("temporary directory"),
            child: None,
            refuse_prefix: None,
        };
        sink.resume();
        sink
    }

    /// Starts a server that refuses for good (550) the recipients starting with `prefix`.
    pub fn start_refusing(prefix: &str) -> SmtpSink {
        let mut sink = SmtpSink {
            port: free_port(),
            dir: tempfile::tempdir().expect("temporary directory"),
            child: None,
            refuse_prefix: Some(prefix.to_owned()),
        };
        std::fs::write(sink.dir.path().join("refusing.py"), REFUSING_HANDLER).expect("handler");
        sink.resume();
        sink
    }

    /// A sink that is not running yet (its port is chosen).
    pub fn stopped() -> SmtpSink {
        SmtpSink {
            port: free_port(),
            dir: tempfile::tempdir().expect("temporary directory"),
            child: None,
            refuse_prefix: None,
        }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    fn maildir(&self) -> PathBuf {
        self.dir.path().join("Maildir")
    }

    /// Starts the server (again) on its port, and waits until it answers.
    pub fn resume(&mut self) {
        assert!(self.child.is_none(), "already running");
        let log = std::fs::File::create(self.dir.path().join("aiosmtpd.log")).expect("log");
        let mut command = Command::new(python());
        command
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{}", self.port));
        match &self.refuse_prefix {
            None => command.args(["-c", "aiosmtpd.handlers.Mailbox"]),
            Some(prefix) => command
                .env("PYTHONPATH", self.dir.path())
                .env("REFUSE_PREFIX", prefix)
                .args(["-c", "refusing.Refusing"]),
        };
        let child = command
            .arg(self.maildir())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start aiosmtpd");
        self.child = Some(child);
        let started = Instant::now();
        while !greets(self.port) {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "aiosmtpd did not start on {}: {}",
                self.port,
                std::fs::read_to_string(self.dir.path().join("aiosmtpd.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops the server; what it received stays readable.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Every message received so far.
    pub fn messages(&self) -> Vec<Received> {
        let mut files = Vec::new();
        for sub in ["new", "cur"] {
            if let Ok(entries) = std::fs::read_dir(self.maildir().join(sub)) {
                files.extend(entries.flatten().map(|e| e.path()));
            }
        }
        files.sort();
        files.iter().map(|f| parse_file(f)).collect()
    }

    /// Waits until at least `count` messages arrived (at most `timeout`); returns them all.
    #[track_caller]
    pub fn wait_for(&self, count: usize, timeout: Duration) -> Vec<Received> {
        let started = Instant::now();
        loop {
            let messages = self.messages();
            if messages.len() >= count {
                return messages;
            }
            assert!(
                started.elapsed() < timeout,
                "{} message(s) arrived, {count} expected within {timeout:?}",
                messages.len()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Whether an SMTP server answers its greeting on `port`.
fn greets(port: u16) -> bool {
    use std::io::Read;
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    let mut greeting = [0u8; 3];
    stream.read_exact(&mut greeting).is_ok() && &greeting == b"220"
}

/// Reads one received message.
pub fn parse_file(path: &Path) -> Received {
    let bytes = std::fs::read(path).expect("message file");
    parse(&bytes)
}

pub fn parse(bytes: &[u8]) -> Received {
    use mail_parser::{MessageParser, MimeHeaders};
    let message = MessageParser::default()
        .parse(bytes)
        .expect("a parsable message");
    let header = |name: &str| {
        message
            .header_raw(name)
            .map(|v| v.trim().to_owned())
            .unwrap_or_default()
    };
    let addresses = |a: Option<&mail_parser::Address>| {
        a.map(|a| {
            a.iter()
                .filter_map(|addr| addr.address().map(str::to_owned))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
    };
    Received {
        rcpt_to: header("X-RcptTo"),
        to: addresses(message.to()),
        from: addresses(message.from()),
        subject: message.subject().unwrap_or_default().to_owned(),
        message_id: message.message_id().unwrap_or_default().to_owned(),
        text: message
            .body_text(0)
            .map(|t| t.into_owned())
            .unwrap_or_default(),
        html: message
            .body_html(0)
            .map(|t| t.into_owned())
            .unwrap_or_default(),
        content_types: message
            .parts
            .iter()
            .filter_map(|p| {
                p.content_type()
                    .map(|c| format!("{}/{}", c.ctype(), c.subtype().unwrap_or_default()))
            })
            .collect(),
        calendar: message.parts.iter().find_map(|p| {
            let c = p.content_type()?;
            (c.ctype() == "text" && c.subtype() == Some("calendar")).then(|| Calendar {
                method: c.attribute("method").unwrap_or_default().to_owned(),
                charset: c.attribute("charset").unwrap_or_default().to_owned(),
                ics: p.text_contents().unwrap_or_default().to_owned(),
            })
        }),
    }
}

/// A mail server that accepts connections and never says a word: the worker waits for its
/// greeting until its timeout.
pub struct BlackHole {
    pub port: u16,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl BlackHole {
    pub fn start() -> BlackHole {
        Self::start_on(free_port())
    }

    pub fn start_on(port: u16) -> BlackHole {
        use std::sync::atomic::Ordering;
        let listener = std::net::TcpListener::bind(("127.0.0.1", port)).expect("bind");
        listener.set_nonblocking(true).expect("non-blocking");
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut held = Vec::new();
            while !flag.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => held.push(stream),
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        BlackHole {
            port,
            stop,
            thread: Some(thread),
        }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Closes the port and every connection held.
    pub fn close(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for BlackHole {
    fn drop(&mut self) {
        self.close();
    }
}
