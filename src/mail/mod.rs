//! E-mail: what each message says (`content`), where it goes (`transport`) and the worker
//! that sends the outbox (`worker`). Messages are queued by `usecases::outbox::enqueue`.

pub mod content;
pub mod notices;
pub mod scheduler;
pub mod smtp;
pub mod transport;
pub mod worker;

pub use scheduler::Scheduler;
pub use worker::{nudge, MailWorker};

/// Where messages go, in words for the start-up log and the demo.
pub fn describe_delivery(delivery: &crate::config::Delivery) -> String {
    match delivery {
        crate::config::Delivery::Files(dir) => {
            let shown = std::path::absolute(dir).unwrap_or_else(|_| dir.clone());
            format!("fichiers .eml dans {}", shown.display())
        }
        crate::config::Delivery::Smtp(smtp) => {
            format!("serveur SMTP {}:{}", smtp.host, smtp.port)
        }
    }
}
