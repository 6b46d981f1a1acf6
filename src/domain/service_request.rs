//! The life of a service request (*demande de prestation*) as an explicit state machine, and
//! the arithmetic of quotes.

use super::Role;

super::text_enum! {
    /// Where a service request stands.
    RequestState {
        Submitted => "submitted",
        InReview => "in_review",
        Quoted => "quoted",
        Accepted => "accepted",
        Declined => "declined",
        AgreementSigned => "agreement_signed",
        InProgress => "in_progress",
        Delivered => "delivered",
        Invoiced => "invoiced",
        Closed => "closed",
        Withdrawn => "withdrawn",
        Rejected => "rejected",
    }
}

super::text_enum! {
    /// What can be done to a request (`POST /service-requests/{id}/transitions`). Quotes are
    /// issued and revised through `/service-requests/{id}/quotes`.
    RequestAction {
        Take => "take",
        Accept => "accept",
        Decline => "decline",
        SignAgreement => "sign_agreement",
        StartWork => "start_work",
        Deliver => "deliver",
        Invoice => "invoice",
        Close => "close",
        Withdraw => "withdraw",
        Reject => "reject",
    }
}

/// Who acts on a request: the company that asked, or the campus staff handling it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Company,
    Campus,
}

pub fn side_of(role: Role) -> Option<Side> {
    match role {
        Role::Company => Some(Side::Company),
        Role::Admin | Role::Manager => Some(Side::Campus),
        Role::Teacher | Role::Observer => None,
    }
}

/// The state an action leads to from `state`, and who may take it; `None` when the
/// action is not possible from there.
pub fn transition(state: RequestState, action: RequestAction) -> Option<(RequestState, Side)> {
    use RequestAction as A;
    use RequestState as S;
    Some(match (state, action) {
        (S::Submitted, A::Take) => (S::InReview, Side::Campus),
        (S::Quoted, A::Accept) => (S::Accepted, Side::Company),
        (S::Quoted, A::Decline) => (S::Declined, Side::Company),
        (S::Accepted, A::SignAgreement) => (S::AgreementSigned, Side::Campus),
        (S::AgreementSigned, A::StartWork) => (S::InProgress, Side::Campus),
        (S::InProgress, A::Deliver) => (S::Delivered, Side::Campus),
        (S::Delivered, A::Invoice) => (S::Invoiced, Side::Campus),
        (S::Invoiced | S::Declined, A::Close) => (S::Closed, Side::Campus),
        (S::Submitted | S::InReview | S::Quoted, A::Withdraw) => (S::Withdrawn, Side::Company),
        (S::Submitted | S::InReview | S::Quoted, A::Reject) => (S::Rejected, Side::Campus),
        _ => return None,
    })
}

/// The actions `side` may take from `state`, for refusals that list them.
pub fn allowed_actions(state: RequestState, side: Side) -> Vec<RequestAction> {
    RequestAction::ALL
        .iter()
        .copied()
        .filter(|a| transition(state, *a).is_some_and(|(_, s)| s == side))
        .collect()
}

/// Whether a quote may be issued or revised in this state.
pub fn may_quote(state: RequestState) -> bool {
    matches!(state, RequestState::InReview | RequestState::Quoted)
}

super::text_enum! {
    QuoteUnit {
        Hour => "hour",
        Day => "day",
        Piece => "piece",
        Flat => "flat",
    }
}

/// Rounds `numerator / denominator` to the nearest integer, halves away from zero.
fn div_round(numerator: i128, denominator: i128) -> i64 {
    let q = numerator / denominator;
    let r = numerator % denominator;
    let adjust = if 2 * r.abs() >= denominator {
        numerator.signum()
    } else {
        0
    };
    (q + adjust) as i64
}

/// Amounts of one quote line, in cents: excluding VAT = quantity × unit price, then VAT =
/// that × rate; each rounded to the cent, halves away from zero. Totals are sums of lines.
pub fn line_amounts(quantity_milli: i64, unit_price_cents: i64, vat_rate_bp: i32) -> (i64, i64) {
    let excl = div_round(
        i128::from(quantity_milli) * i128::from(unit_price_cents),
        1000,
    );
    let vat = div_round(i128::from(excl) * i128::from(vat_rate_bp), 10_000);
    (excl, vat)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_life_of_a_request() {
        use RequestAction as A;
        use RequestState as S;
        assert_eq!(
            transition(S::Submitted, A::Take),
            Some((S::InReview, Side::Campus))
        );
        assert_eq!(
            transition(S::Quoted, A::Accept),
            Some((S::Accepted, Side::Company))
        );
        assert_eq!(
            transition(S::Accepted, A::Withdraw),
            None,
            "no withdrawal after acceptance"
        );
        assert_eq!(
            allowed_actions(S::Quoted, Side::Company),
            vec![A::Accept, A::Decline, A::Withdraw]
        );
        assert_eq!(allowed_actions(S::Quoted, Side::Campus), vec![A::Reject]);
        assert!(allowed_actions(S::Closed, Side::Campus).is_empty());
    }

    #[test]
    fn quote_lines_round_to_the_cent_half_away_from_zero() {
        // 1.5 h at 85.00 € = 127.50 €, VAT 20 % = 25.50 €.
        assert_eq!(line_amounts(1500, 8500, 2000), (12750, 2550));
        // 0.333 day at 10.01 € = 3.33333 € → 3.33 €; VAT 5.5 % of 3.33 € = 0.18315 € → 0.18 €.
        assert_eq!(line_amounts(333, 1001, 550), (333, 18));
        // 2.5 cents rounds up to 3.
        assert_eq!(line_amounts(500, 5, 0), (3, 0));
    }
}
