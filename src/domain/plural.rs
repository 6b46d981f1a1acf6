//! A noun (or a phrase) in the singular or the plural by its count, for text people read:
//! never « séance(s) ».

use super::notifications::Locale;

/// The form to write for `n`: French keeps the singular for 0 and 1 (« 0 séance »,
/// « 1 séance », « 2 séances »); English only for exactly 1 (« 0 sessions »).
pub fn by_count<'a>(n: i64, locale: Locale, singular: &'a str, plural: &'a str) -> &'a str {
    let one = match locale {
        Locale::French => n.abs() < 2,
        Locale::English => n.abs() == 1,
    };
    if one {
        singular
    } else {
        plural
    }
}

/// The French form for `n` (see [`by_count`]): `singular` and `plural` may be whole phrases,
/// so that the verb agrees (« 1 occurrence ne peut pas », « 3 occurrences ne peuvent pas »).
pub fn french<'a>(n: impl TryInto<i64>, singular: &'a str, plural: &'a str) -> &'a str {
    by_count(count(n), Locale::French, singular, plural)
}

/// `1 poste`, `6 postes`, `1 station`, `6 stations`: a count followed by its noun.
pub fn counted(n: impl TryInto<i64>, locale: Locale, singular: &str, plural: &str) -> String {
    let n = count(n);
    format!("{n} {}", by_count(n, locale, singular, plural))
}

/// A count as a number that always fits (a list's length does).
fn count(n: impl TryInto<i64>) -> i64 {
    n.try_into().unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_takes_the_plural_from_two_english_from_anything_but_one() {
        assert_eq!(counted(0, Locale::French, "séance", "séances"), "0 séance");
        assert_eq!(counted(1, Locale::French, "séance", "séances"), "1 séance");
        assert_eq!(
            counted(2_usize, Locale::French, "séance", "séances"),
            "2 séances"
        );
        assert_eq!(
            counted(0, Locale::English, "session", "sessions"),
            "0 sessions"
        );
        assert_eq!(
            counted(1, Locale::English, "session", "sessions"),
            "1 session"
        );
        assert_eq!(
            counted(3_i32, Locale::English, "session", "sessions"),
            "3 sessions"
        );
        assert_eq!(french(1_usize, "tombe", "tombent"), "tombe");
        assert_eq!(french(4_usize, "tombe", "tombent"), "tombent");
    }
}
