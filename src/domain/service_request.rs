//! The life of a service request (*demande de prestation*) as an explicit state machine, and
//! the arithmetic of quotes.

use chrono::NaiveDate;

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

/// Whether the company may still answer (accept or decline) a quote valid until
/// `valid_until`: up to that day included. Past it, it asks for a new version instead.
pub fn quote_answerable(valid_until: NaiveDate, today: NaiveDate) -> bool {
    valid_until >= today
}

/// The actions `side` may take today on a request in `state` whose current quote (the issued
/// version, if any) is valid until `quote_valid_until`: those of the life cycle, less answering
/// a quote past its validity, which [`quote_answerable`] refuses.
pub fn actions_today(
    state: RequestState,
    side: Side,
    quote_valid_until: Option<NaiveDate>,
    today: NaiveDate,
) -> Vec<RequestAction> {
    let expired = quote_valid_until.is_some_and(|v| !quote_answerable(v, today));
    allowed_actions(state, side)
        .into_iter()
        .filter(|a| !(expired && matches!(a, RequestAction::Accept | RequestAction::Decline)))
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
fn div_round(numerator: i128, denominator: i128) -> Option<i64> {
    let q = numerator / denominator;
    let r = numerator % denominator;
    let adjust = if 2 * r.abs() >= denominator {
        numerator.signum()
    } else {
        0
    };
    i64::try_from(q + adjust).ok()
}

/// Largest quantity of a quote line, in thousandths (1,000,000 units).
pub const MAX_QUANTITY_MILLI: i64 = 1_000_000_000;
/// Largest unit price of a quote line, in cents (100 million euros).
pub const MAX_UNIT_PRICE_CENTS: i64 = 10_000_000_000;
/// Largest VAT rate, in basis points (100 %).
pub const MAX_VAT_RATE_BP: i32 = 10_000;
/// Largest amount the service records: a quote's total including VAT, an invoice, a budget
/// (one billion euros, in cents). Far below `i64::MAX`, so that sums over many requests
/// stay exact.
pub const MAX_AMOUNT_CENTS: i64 = 100_000_000_000;

/// Amounts of one quote line, in cents: excluding VAT = quantity × unit price, then VAT =
/// that × rate; each rounded to the cent, halves away from zero. Totals are sums of lines.
/// `None` when the amounts do not fit in 64 bits.
pub fn line_amounts(
    quantity_milli: i64,
    unit_price_cents: i64,
    vat_rate_bp: i32,
) -> Option<(i64, i64)> {
    let excl = div_round(
        i128::from(quantity_milli).checked_mul(i128::from(unit_price_cents))?,
        1000,
    )?;
    let vat = div_round(i128::from(excl) * i128::from(vat_rate_bp), 10_000)?;
    Some((excl, vat))
}

/// The totals of a quote (excluding VAT, VAT, including VAT) from its lines' amounts; `None`
/// when they go past `MAX_AMOUNT_CENTS`.
pub fn quote_totals(lines: &[(i64, i64)]) -> Option<(i64, i64, i64)> {
    let mut excl: i64 = 0;
    let mut vat: i64 = 0;
    for (line_excl, line_vat) in lines {
        excl = excl.checked_add(*line_excl)?;
        vat = vat.checked_add(*line_vat)?;
    }
    let incl = excl.checked_add(vat)?;
    (incl <= MAX_AMOUNT_CENTS).then_some((excl, vat, incl))
}

/// The VAT rates of France a quote offers, in basis points: standard (20 %), intermediate
/// (10 %), reduced (5.5 %), special (2.1 %), and none (0 %, exempt work such as training).
pub const FRENCH_VAT_RATES_BP: [i32; 5] = [2000, 1000, 550, 210, 0];

/// What a quote owes at one VAT rate: the base excluding VAT and its VAT, in cents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VatShare {
    pub rate_bp: i32,
    pub excl_cents: i64,
    pub vat_cents: i64,
}

/// A quote's VAT by rate, highest rate first, from its lines' rate and amounts (excluding
/// VAT, VAT): each rate's sums of the lines' own rounded amounts, so that the shares add up
/// to the quote's totals. `None` on overflow.
pub fn vat_by_rate(lines: impl IntoIterator<Item = (i32, i64, i64)>) -> Option<Vec<VatShare>> {
    let mut shares: Vec<VatShare> = Vec::new();
    for (rate_bp, excl, vat) in lines {
        match shares.iter_mut().find(|s| s.rate_bp == rate_bp) {
            Some(share) => {
                share.excl_cents = share.excl_cents.checked_add(excl)?;
                share.vat_cents = share.vat_cents.checked_add(vat)?;
            }
            None => shares.push(VatShare {
                rate_bp,
                excl_cents: excl,
                vat_cents: vat,
            }),
        }
    }
    shares.sort_by_key(|share| std::cmp::Reverse(share.rate_bp));
    Some(shares)
}

/// A sum of amounts in cents, `None` on overflow.
pub fn sum_cents(amounts: impl IntoIterator<Item = i64>) -> Option<i64> {
    amounts
        .into_iter()
        .try_fold(0i64, |total, amount| total.checked_add(amount))
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
    fn a_quote_is_answered_up_to_its_last_valid_day() {
        use RequestAction as A;
        let day = |d| NaiveDate::from_ymd_opt(2027, 1, d).unwrap();
        assert!(quote_answerable(day(12), day(12)));
        assert!(!quote_answerable(day(12), day(13)));
        let company =
            |today| actions_today(RequestState::Quoted, Side::Company, Some(day(12)), today);
        assert_eq!(company(day(12)), vec![A::Accept, A::Decline, A::Withdraw]);
        assert_eq!(company(day(13)), vec![A::Withdraw]);
        assert_eq!(
            actions_today(RequestState::Quoted, Side::Campus, Some(day(12)), day(13)),
            vec![A::Reject]
        );
    }

    #[test]
    fn quote_lines_round_to_the_cent_half_away_from_zero() {
        // 1.5 h at 85.00 € = 127.50 €, VAT 20 % = 25.50 €.
        assert_eq!(line_amounts(1500, 8500, 2000), Some((12750, 2550)));
        // 0.333 day at 10.01 € = 3.33333 € → 3.33 €; VAT 5.5 % of 3.33 € = 0.18315 € → 0.18 €.
        assert_eq!(line_amounts(333, 1001, 550), Some((333, 18)));
        // 2.5 cents rounds up to 3.
        assert_eq!(line_amounts(500, 5, 0), Some((3, 0)));
    }

    #[test]
    fn vat_is_broken_down_by_rate_as_the_lines_sum_it() {
        // Labour at 20 %, a training day exempt, parts at 5.5 %, more labour at 20 %.
        let lines = [
            (2000, 12750, 2550),
            (0, 45000, 0),
            (550, 333, 18),
            (2000, 120000, 24000),
        ];
        let shares = vat_by_rate(lines).expect("small amounts");
        assert_eq!(
            shares,
            vec![
                VatShare {
                    rate_bp: 2000,
                    excl_cents: 132750,
                    vat_cents: 26550
                },
                VatShare {
                    rate_bp: 550,
                    excl_cents: 333,
                    vat_cents: 18
                },
                VatShare {
                    rate_bp: 0,
                    excl_cents: 45000,
                    vat_cents: 0
                },
            ]
        );
        let amounts: Vec<(i64, i64)> = lines.iter().map(|(_, e, v)| (*e, *v)).collect();
        let (excl, vat, _) = quote_totals(&amounts).unwrap();
        assert_eq!(shares.iter().map(|s| s.excl_cents).sum::<i64>(), excl);
        assert_eq!(shares.iter().map(|s| s.vat_cents).sum::<i64>(), vat);
        assert_eq!(vat_by_rate([]), Some(vec![]));
        assert_eq!(vat_by_rate([(2000, i64::MAX, 0), (2000, 1, 0)]), None);
    }

    #[test]
    fn amounts_past_64_bits_are_refused_not_wrapped() {
        // 999,999,999.999 × 100 million euros once wrapped to a negative amount.
        assert_eq!(line_amounts(999_999_999_999, 10_000_000_000, 2000), None);
        let (excl, vat) = line_amounts(MAX_QUANTITY_MILLI, MAX_UNIT_PRICE_CENTS, MAX_VAT_RATE_BP)
            .expect("the largest line fits in 64 bits");
        assert_eq!(
            (excl, vat),
            (10_000_000_000_000_000, 10_000_000_000_000_000)
        );
        assert_eq!(
            quote_totals(&[(excl, vat)]),
            None,
            "past the largest amount"
        );
        assert_eq!(
            quote_totals(&[(MAX_AMOUNT_CENTS / 2, 0), (MAX_AMOUNT_CENTS / 2, 0)]),
            Some((MAX_AMOUNT_CENTS, 0, MAX_AMOUNT_CENTS))
        );
        assert_eq!(quote_totals(&[(i64::MAX, 0), (1, 0)]), None);
        assert_eq!(sum_cents([i64::MAX, 1]), None);
        assert_eq!(sum_cents([2, 3]), Some(5));
    }
}
