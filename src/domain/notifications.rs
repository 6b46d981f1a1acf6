//! E-mail notifications: their kinds, the states of a message in the outbox, the language
//! of an account's e-mails, and the retry schedule.

use crate::domain::text_enum;

text_enum! {
    /// A kind of e-mail the service sends. Each can be turned off by its recipient, except
    /// account and password messages (`NotificationKind::can_be_turned_off`).
    NotificationKind {
        AccountConfirmation => "account_confirmation",
        PasswordReset => "password_reset",
        BookingPending => "booking_pending",
        BookingApproved => "booking_approved",
        BookingRejected => "booking_rejected",
        BookingCancelled => "booking_cancelled",
        BookingChanged => "booking_changed",
        BookingCancelledByUnavailability => "booking_cancelled_by_unavailability",
        SeriesSkippedDates => "series_skipped_dates",
        SeriesPending => "series_pending",
        SeriesCancelled => "series_cancelled",
        SeriesChanged => "series_changed",
        BookingReminder => "booking_reminder",
        ManagerDigest => "manager_digest",
        ServiceRequestReceived => "service_request_received",
        ServiceRequestTaken => "service_request_taken",
        QuoteIssued => "quote_issued",
        QuoteAnswered => "quote_answered",
        AgreementSigned => "agreement_signed",
        WorkDelivered => "work_delivered",
        ServiceRequestInvoiced => "service_request_invoiced",
        ServiceRequestMessage => "service_request_message",
        QualificationExpiring => "qualification_expiring",
    }
}

impl NotificationKind {
    /// Account and password messages are how a person gets into their account: they always
    /// go out.
    pub fn can_be_turned_off(self) -> bool {
        !matches!(
            self,
            NotificationKind::AccountConfirmation | NotificationKind::PasswordReset
        )
    }

    /// The booking messages that carry the booking's calendar invitation (to its booker and
    /// supervisor): a decision or a change, which a calendar holding the event must follow.
    /// Not the managers' request to approve (they do not attend), nor a reminder (nothing
    /// changes), nor a series' messages (an invitation per occurrence would be a message
    /// per occurrence).
    pub fn carries_invitation(self) -> bool {
        matches!(
            self,
            NotificationKind::BookingApproved
                | NotificationKind::BookingRejected
                | NotificationKind::BookingCancelled
                | NotificationKind::BookingChanged
                | NotificationKind::BookingCancelledByUnavailability
        )
    }
}

text_enum! {
    /// Where a message of the outbox stands: `queued` (written, not tried yet), `sent`
    /// (handed to the mail server, or written to the mail directory), `failed` (tried,
    /// refused or unreachable; tried again at `next_attempt_at`), `dead` (given up: refused
    /// for good by the mail server, or too many attempts).
    MessageState {
        Queued => "queued",
        Sent => "sent",
        Failed => "failed",
        Dead => "dead",
    }
}

text_enum! {
    /// The language of an account's e-mails.
    Locale {
        French => "fr",
        English => "en",
    }
}

/// How the mail worker retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Delay before the second attempt; doubled at each further one.
    pub base_ms: i64,
    /// The longest delay between two attempts.
    pub max_delay_ms: i64,
    /// Attempts before a message is dead.
    pub max_attempts: i32,
}

impl Default for RetryPolicy {
    /// 30 s, 1 min, 2 min... up to an hour between attempts, 12 attempts: about 5 hours of
    /// an unreachable mail server before a message is given up.
    fn default() -> Self {
        RetryPolicy {
            base_ms: 30_000,
            max_delay_ms: 3_600_000,
            max_attempts: 12,
        }
    }
}

/// What becomes of a message after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    /// Try again at this instant (milliseconds).
    RetryAt(i64),
    Dead,
}

impl RetryPolicy {
    /// After the `attempts`-th attempt failed at `now_ms`: a permanent refusal, or the last
    /// attempt allowed, makes the message dead; otherwise it waits `base × 2^(attempts-1)`,
    /// bounded, with up to a quarter of it added at random (`jitter` from 0 to 1) so that
    /// messages failed together, or instances started together, do not retry in step.
    pub fn after_failure(
        &self,
        attempts: i32,
        permanent: bool,
        now_ms: i64,
        jitter: f64,
    ) -> AfterFailure {
        if permanent || attempts >= self.max_attempts {
            return AfterFailure::Dead;
        }
        let doublings = (attempts.max(1) - 1).min(30) as u32;
        let delay = self
            .base_ms
            .saturating_mul(1_i64 << doublings)
            .min(self.max_delay_ms);
        let spread = (delay as f64 * 0.25 * jitter.clamp(0.0, 1.0)) as i64;
        AfterFailure::RetryAt(now_ms + delay + spread)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_with_jitter_then_the_message_dies() {
        let policy = RetryPolicy {
            base_ms: 1_000,
            max_delay_ms: 5_000,
            max_attempts: 5,
        };
        assert_eq!(
            policy.after_failure(1, false, 0, 0.0),
            AfterFailure::RetryAt(1_000)
        );
        assert_eq!(
            policy.after_failure(2, false, 0, 0.0),
            AfterFailure::RetryAt(2_000)
        );
        assert_eq!(
            policy.after_failure(3, false, 10, 1.0),
            AfterFailure::RetryAt(10 + 4_000 + 1_000)
        );
        // Bounded by the longest delay.
        assert_eq!(
            policy.after_failure(4, false, 0, 0.0),
            AfterFailure::RetryAt(5_000)
        );
        assert_eq!(policy.after_failure(5, false, 0, 0.0), AfterFailure::Dead);
        // A permanent refusal is not retried.
        assert_eq!(policy.after_failure(1, true, 0, 0.0), AfterFailure::Dead);
    }

    #[test]
    fn account_and_password_messages_cannot_be_turned_off() {
        let mandatory: Vec<_> = NotificationKind::ALL
            .iter()
            .filter(|k| !k.can_be_turned_off())
            .collect();
        assert_eq!(
            mandatory,
            [
                &NotificationKind::AccountConfirmation,
                &NotificationKind::PasswordReset
            ]
        );
    }
}
