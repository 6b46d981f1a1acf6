//! Where messages go: an SMTP server (blocking lettre transport over rustls), or `.eml`
//! files in a directory when none is configured.

use std::time::Duration;

use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::PoolConfig;
use lettre::{FileTransport, Message, SmtpTransport, Transport as _};

use crate::config::{Delivery, SmtpSecurity, SmtpSettings};

pub enum Transport {
    /// A relay without encryption or login: our own client (`smtp.rs`).
    Plain(super::smtp::PlainSmtp),
    Smtp(SmtpTransport),
    Files(FileTransport),
}

/// Why a message could not be handed over.
#[derive(Debug, Clone)]
pub struct SendError {
    pub message: String,
    /// The server refused this message for good (a 5xx reply): trying again changes nothing.
    pub permanent: bool,
    /// The server could not be reached or the connection broke (no SMTP reply at all): the
    /// next messages would meet the same.
    pub unreachable: bool,
}

impl Transport {
    /// The transport of `delivery`; `timeout` bounds each exchange with the SMTP server, which
    /// is kept up to `connections` connections open.
    pub fn new(
        delivery: &Delivery,
        timeout: Duration,
        connections: u32,
    ) -> Result<Transport, String> {
        match delivery {
            Delivery::Files(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| {
                    format!("cannot create the mail directory {}: {e}", dir.display())
                })?;
                Ok(Transport::Files(FileTransport::new(dir)))
            }
            Delivery::Smtp(smtp) if smtp.security == SmtpSecurity::None && smtp.user.is_none() => {
                Ok(Transport::Plain(super::smtp::PlainSmtp::new(
                    &smtp.host,
                    smtp.port,
                    timeout,
                    connections,
                )))
            }
            Delivery::Smtp(smtp) => {
                Ok(Transport::Smtp(smtp_transport(smtp, timeout, connections)?))
            }
        }
    }

    pub fn send(&self, message: &Message) -> Result<(), SendError> {
        match self {
            Transport::Plain(plain) => plain.send(message),
            Transport::Smtp(smtp) => smtp.send(message).map(|_| ()).map_err(|e| SendError {
                permanent: e.is_permanent(),
                // A refused connection, a timeout, a TLS failure: lettre classifies them as
                // neither transient nor permanent. They are retried like transient ones.
                unreachable: !e.is_permanent() && !e.is_transient(),
                message: describe(&e),
            }),
            Transport::Files(files) => files.send(message).map(|_| ()).map_err(|e| SendError {
                message: describe(&e),
                permanent: false,
                unreachable: true,
            }),
        }
    }
}

fn smtp_transport(
    smtp: &SmtpSettings,
    timeout: Duration,
    connections: u32,
) -> Result<SmtpTransport, String> {
    let builder = match smtp.security {
        // A relay on the same machine or network: plain SMTP, as configured.
        SmtpSecurity::None => SmtpTransport::builder_dangerous(&smtp.host),
        SmtpSecurity::StartTls => SmtpTransport::starttls_relay(&smtp.host)
            .map_err(|e| format!("PLATEAUX_SMTP_URL: {e}"))?,
        SmtpSecurity::Tls => {
            SmtpTransport::relay(&smtp.host).map_err(|e| format!("PLATEAUX_SMTP_URL: {e}"))?
        }
    };
    let mut builder = builder
        .port(smtp.port)
        .timeout(Some(timeout))
        .pool_config(PoolConfig::new().max_size(connections.max(1)));
    if let (Some(user), Some(password)) = (&smtp.user, &smtp.password) {
        builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
    }
    Ok(builder.build())
}

/// An error with its causes, for `last_error` and the log.
fn describe(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text.chars().take(1000).collect()
}
