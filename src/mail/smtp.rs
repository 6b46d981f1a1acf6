//! A plain SMTP client for a relay without encryption or login (`smtp://host:port`, the
//! usual local relay), with its connections kept open and reused.
//!
//! Why not lettre's here: lettre writes a message and its end-of-data marker (`CRLF.CRLF`)
//! in two writes on a socket without `TCP_NODELAY`, and does not let us set it. Nagle's
//! algorithm then holds the 5-byte marker until the server acknowledges the message, which
//! a server waiting for the marker does only when its delayed-acknowledgement timer fires
//! (about 40 ms on Linux): some 20 messages a second per connection, whatever the server.
//! This client sets `TCP_NODELAY` and writes the message with its marker in one write.
//! Encrypted or authenticated servers still go through lettre (`transport.rs`).

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use lettre::Message;

use super::transport::SendError;

/// An idle connection older than this is closed rather than reused: servers end idle
/// sessions after a while (Postfix after 300 s).
const IDLE_LIMIT: Duration = Duration::from_secs(60);

/// What went wrong in one exchange.
enum Failure {
    /// The connection broke or timed out (no reply).
    Io(String),
    /// The server answered with this code.
    Reply(u16, String),
}

/// Where in a transaction a failure happened.
#[derive(PartialEq, Eq)]
enum Stage {
    /// At `MAIL FROM`, before anything of the message was accepted.
    Mail,
    Later,
}

struct Connection {
    stream: BufReader<TcpStream>,
    eight_bit: bool,
    returned_at: Instant,
}

impl Connection {
    fn open(host: &str, port: u16, timeout: Duration, hello: &str) -> Result<Self, Failure> {
        let io = |e: std::io::Error| Failure::Io(format!("{host}:{port}: {e}"));
        let mut last = None;
        let mut stream = None;
        for address in (host, port).to_socket_addrs().map_err(io)? {
            match TcpStream::connect_timeout(&address, timeout) {
                Ok(s) => {
                    stream = Some(s);
                    break;
                }
                Err(e) => last = Some(e),
            }
        }
        let stream = match (stream, last) {
            (Some(s), _) => s,
            (None, Some(e)) => return Err(io(e)),
            (None, None) => return Err(Failure::Io(format!("{host}: no address"))),
        };
        // Each command and each message goes out at once (see the module's comment).
        stream.set_nodelay(true).map_err(io)?;
        stream.set_read_timeout(Some(timeout)).map_err(io)?;
        stream.set_write_timeout(Some(timeout)).map_err(io)?;
        let mut connection = Connection {
            stream: BufReader::new(stream),
            eight_bit: false,
            returned_at: Instant::now(),
        };
        connection.expect(220)?;
        let lines = connection.command(&format!("EHLO {hello}\r\n"), 250)?;
        connection.eight_bit = lines.iter().any(|l| {
            l.get(4..)
                .is_some_and(|s| s.eq_ignore_ascii_case("8BITMIME"))
        });
        Ok(connection)
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), Failure> {
        let stream = self.stream.get_mut();
        stream
            .write_all(bytes)
            .and_then(|()| stream.flush())
            .map_err(|e| Failure::Io(e.to_string()))
    }

    /// Reads a reply (its lines); fails unless its code is `code`.
    fn expect(&mut self, code: u16) -> Result<Vec<String>, Failure> {
        let mut lines = Vec::new();
        loop {
            let mut line = String::new();
            let read = self
                .stream
                .read_line(&mut line)
                .map_err(|e| Failure::Io(e.to_string()))?;
            if read == 0 {
                return Err(Failure::Io("the server closed the connection".into()));
            }
            if line.len() > 4096 || lines.len() > 100 {
                return Err(Failure::Io("the server's reply is too long".into()));
            }
            let line = line.trim_end().to_owned();
            let last = line.as_bytes().get(3) != Some(&b'-');
            lines.push(line);
            if last {
                break;
            }
        }
        let last = lines.last().map(String::as_str).unwrap_or_default();
        let got: u16 = last.get(..3).and_then(|c| c.parse().ok()).unwrap_or(0);
        if got == code {
            Ok(lines)
        } else if got == 0 {
            Err(Failure::Io(format!("not an SMTP reply: {last}")))
        } else {
            Err(Failure::Reply(got, lines.join(" ")))
        }
    }

    fn command(&mut self, command: &str, code: u16) -> Result<Vec<String>, Failure> {
        self.write(command.as_bytes())?;
        self.expect(code)
    }

    /// One message: envelope, then the message dot-stuffed with its end-of-data marker in
    /// one write.
    fn transaction(
        &mut self,
        from: &str,
        to: &[String],
        message: &[u8],
    ) -> Result<(), (Stage, Failure)> {
        let body = if message.is_ascii() {
            ""
        } else if self.eight_bit {
            " BODY=8BITMIME"
        } else {
            return Err((
                Stage::Mail,
                Failure::Reply(
                    554,
                    "the server does not take 8-bit messages (no 8BITMIME)".into(),
                ),
            ));
        };
        self.command(&format!("MAIL FROM:<{from}>{body}\r\n"), 250)
            .map_err(|f| (Stage::Mail, f))?;
        let later = |f| (Stage::Later, f);
        for address in to {
            self.command(&format!("RCPT TO:<{address}>\r\n"), 250)
                .map_err(later)?;
        }
        self.command("DATA\r\n", 354).map_err(later)?;
        self.write(&stuffed(message)).map_err(later)?;
        self.expect(250).map_err(later)?;
        Ok(())
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        // A polite end; the server closes it anyway.
        let _ = self.stream.get_mut().write_all(b"QUIT\r\n");
    }
}

/// The message as DATA carries it: every line starting with a dot gets another (RFC 5321,
/// 4.5.2), CRLF at the end, then the marker.
fn stuffed(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + 64);
    let mut line_start = true;
    for &b in message {
        if line_start && b == b'.' {
            out.push(b'.');
        }
        out.push(b);
        line_start = b == b'\n';
    }
    if !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b".\r\n");
    out
}

/// The relay and its open connections.
pub struct PlainSmtp {
    host: String,
    port: u16,
    timeout: Duration,
    hello: String,
    idle: Mutex<Vec<Connection>>,
    max_idle: usize,
}

impl PlainSmtp {
    /// `timeout` bounds each exchange; up to `connections` stay open between messages.
    pub fn new(host: &str, port: u16, timeout: Duration, connections: u32) -> PlainSmtp {
        PlainSmtp {
            host: host.to_owned(),
            port,
            timeout,
            hello: lettre::transport::smtp::extension::ClientId::default().to_string(),
            idle: Mutex::new(Vec::new()),
            max_idle: connections.max(1) as usize,
        }
    }

    fn take_idle(&self) -> Option<Connection> {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        while let Some(connection) = idle.pop() {
            if connection.returned_at.elapsed() < IDLE_LIMIT {
                return Some(connection);
            }
        }
        None
    }

    fn give_back(&self, mut connection: Connection) {
        connection.returned_at = Instant::now();
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < self.max_idle {
            idle.push(connection);
        }
    }

    pub fn send(&self, message: &Message) -> Result<(), SendError> {
        let envelope = message.envelope();
        let from = envelope.from().map(|a| a.to_string()).unwrap_or_default();
        let to: Vec<String> = envelope.to().iter().map(|a| a.to_string()).collect();
        let bytes = message.formatted();
        let mut reused = self.take_idle();
        loop {
            let was_reused = reused.is_some();
            let mut connection = match reused.take() {
                Some(c) => c,
                None => Connection::open(&self.host, self.port, self.timeout, &self.hello)
                    .map_err(|f| error(f, true))?,
            };
            match connection.transaction(&from, &to, &bytes) {
                Ok(()) => {
                    self.give_back(connection);
                    return Ok(());
                }
                // A kept connection the server ended meanwhile, found before anything of
                // the message was accepted: once more on a new one.
                Err((Stage::Mail, Failure::Io(_) | Failure::Reply(421, _))) if was_reused => {
                    continue
                }
                Err((_, Failure::Reply(code, text))) => {
                    // The session stays usable once the transaction is reset.
                    if code != 421 && connection.command("RSET\r\n", 250).is_ok() {
                        self.give_back(connection);
                    }
                    return Err(error(Failure::Reply(code, text), false));
                }
                Err((_, failure)) => return Err(error(failure, false)),
            }
        }
    }
}

fn error(failure: Failure, connecting: bool) -> SendError {
    match failure {
        Failure::Io(message) => SendError {
            message: if connecting {
                format!("cannot reach the mail server: {message}")
            } else {
                format!("the connection to the mail server failed: {message}")
            },
            permanent: false,
            unreachable: true,
        },
        Failure::Reply(code, text) => SendError {
            message: format!("the mail server refused: {text}"),
            permanent: (500..600).contains(&code),
            unreachable: false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::stuffed;

    #[test]
    fn lines_starting_with_a_dot_are_stuffed_and_the_marker_ends_the_message() {
        assert_eq!(stuffed(b".a\r\nb\r\n..c\r\n"), b"..a\r\nb\r\n...c\r\n.\r\n");
        assert_eq!(stuffed(b"no end"), b"no end\r\n.\r\n");
    }
}
