//! Official identifiers of French organisations.

/// UAI (unité administrative immatriculée) of a school: seven digits and a check letter,
/// the seven-digit number modulo 23 taken in an alphabet without I, O and Q.
pub fn is_valid_uai(uai: &str) -> bool {
    const LETTERS: &[u8; 23] = b"ABCDEFGHJKLMNPRSTUVWXYZ";
    let bytes = uai.as_bytes();
    if bytes.len() != 8 || !bytes[..7].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let number: u32 = uai[..7].parse().expect("seven digits");
    LETTERS[(number % 23) as usize] == bytes[7]
}

/// SIRET of an establishment: fourteen digits passing the Luhn check.
pub fn is_valid_siret(siret: &str) -> bool {
    siret.len() == 14 && siret.bytes().all(|b| b.is_ascii_digit()) && luhn(siret)
}

fn luhn(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 {
                    doubled - 9
                } else {
                    doubled
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// A deliberately plain e-mail check, the one the API document states as a pattern
/// (`^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$`, 254 characters at most), so
/// that what the document refuses the service refuses too. Delivery is what really proves an
/// address.
pub fn is_plausible_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    let local_ok = (1..=64).contains(&local.len())
        && local
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._%+-".contains(&b));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    email.len() <= 254 && local_ok && domain_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uai_check_letter() {
        assert!(is_valid_uai("0750655E"));
        assert!(!is_valid_uai("0750655F"));
        assert!(!is_valid_uai("075065E"));
        assert!(!is_valid_uai("0750655e"));
    }

    #[test]
    fn siret_luhn() {
        // 732 829 320 00074: a published example of a valid SIRET.
        assert!(is_valid_siret("73282932000074"));
        assert!(!is_valid_siret("73282932000075"));
        assert!(!is_valid_siret("7328293200007"));
        assert!(!is_valid_siret("7328293200007a"));
    }

    #[test]
    fn email_shape() {
        assert!(is_plausible_email("prenom.nom@lycee.fr"));
        assert!(!is_plausible_email("prenom.nom@lycee"));
        assert!(!is_plausible_email("@lycee.fr"));
        assert!(!is_plausible_email("a b@lycee.fr"));
        assert!(!is_plausible_email("a@@lycee.fr"));
        // What the document's pattern refuses.
        assert!(!is_plausible_email("0@0.0*"));
        assert!(!is_plausible_email(" a@lycee.fr"));
        assert!(!is_plausible_email("é@lycee.fr"));
        assert!(is_plausible_email("A.B+c%d_e-f@sous-domaine.lycee.fr"));
    }
}
