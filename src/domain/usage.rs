//! What a usage record may say about the session it reports.

use super::booking::LearnerStatus;
use super::error::FieldError;
use super::time::Span;

/// How far the actual times may stray from the booked ones: a session that started early or
/// ran late, not a different session (which would inflate occupancy).
pub const USAGE_TOLERANCE_SECONDS: i64 = 2 * 3600;

/// The fields of a usage record whose actual times fall outside the booking, widened by
/// `USAGE_TOLERANCE_SECONDS` on each side; empty when the record fits.
pub fn outside_booking(booked: Span, actual: Span) -> Vec<FieldError> {
    let hours = USAGE_TOLERANCE_SECONDS / 3600;
    let mut errors = Vec::new();
    if actual.start < booked.start - USAGE_TOLERANCE_SECONDS {
        errors.push(FieldError::new(
            "actual_start",
            "outside_booking",
            format!("le début réel précède de plus de {hours} h le début réservé"),
        ));
    }
    if actual.end > booked.end + USAGE_TOLERANCE_SECONDS {
        errors.push(FieldError::new(
            "actual_end",
            "outside_booking",
            format!("la fin réelle suit de plus de {hours} h la fin réservée"),
        ));
    }
    errors
}

/// A checked usage record.
#[derive(Debug, Clone)]
pub struct UsageDraft {
    pub no_show: bool,
    pub actual: Option<Span>,
    pub learners: Vec<(LearnerStatus, i32)>,
    pub machine_time: Vec<(String, i32)>,
    pub consumables: String,
    pub incident: bool,
    pub incident_note: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3600;

    #[test]
    fn actual_times_stay_near_the_booking() {
        let booked = Span::new(10 * HOUR, 12 * HOUR);
        assert!(outside_booking(booked, booked).is_empty());
        // Two hours early and two hours late are still the same session.
        assert!(outside_booking(booked, Span::new(8 * HOUR, 14 * HOUR)).is_empty());
        // A shorter session inside the booking is fine.
        assert!(outside_booking(booked, Span::new(10 * HOUR + 1800, 11 * HOUR)).is_empty());
        let fields = |e: Vec<FieldError>| e.into_iter().map(|f| f.field).collect::<Vec<_>>();
        assert_eq!(
            fields(outside_booking(booked, Span::new(8 * HOUR - 1, 12 * HOUR))),
            ["actual_start"]
        );
        assert_eq!(
            fields(outside_booking(booked, Span::new(10 * HOUR, 14 * HOUR + 1))),
            ["actual_end"]
        );
        // Two days before to four days after: both ends refused.
        assert_eq!(
            fields(outside_booking(
                booked,
                Span::new(10 * HOUR - 48 * HOUR, 12 * HOUR + 96 * HOUR)
            )),
            ["actual_start", "actual_end"]
        );
    }
}
