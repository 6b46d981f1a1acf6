//! Web addresses in text people wrote (a service request's need, its messages): the text
//! cut into plain runs and `http(s)` addresses, for a template to escape the runs and to
//! make the addresses links. Only these two schemes are ever links, so nothing written can
//! become a `javascript:` or `data:` link; the template escapes both kinds of segment.

/// A piece of written text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Text(String),
    /// An `http://` or `https://` address, as written.
    Link(String),
}

/// Characters that end an address: they cannot be in one unescaped, and around an address
/// they are its delimiters (`<https://…>`, « https://… »).
fn ends_address(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || matches!(
            c,
            '<' | '>' | '"' | '`' | '«' | '»' | '{' | '}' | '|' | '\\' | '^'
        )
}

/// How long `address` is once the punctuation of the sentence around it is left out: a
/// final full stop, comma, colon…, and a closing bracket it does not open itself
/// (`(voir https://exemple.fr/page)`, but `https://fr.wikipedia.org/wiki/Tour_(usinage)`).
fn without_trailing_punctuation(address: &str) -> usize {
    let mut end = address.len();
    while let Some(last) = address[..end].chars().next_back() {
        let kept = &address[..end];
        let unopened =
            |open: char, close: char| kept.matches(close).count() > kept.matches(open).count();
        let strip = match last {
            '.' | ',' | ';' | ':' | '!' | '?' | '\'' | '’' | '…' => true,
            ')' => unopened('(', ')'),
            ']' => unopened('[', ']'),
            _ => false,
        };
        if !strip {
            break;
        }
        end -= last.len_utf8();
    }
    end
}

/// `text` as plain runs and `http(s)` addresses, in order; joined, the segments give
/// `text` back. An address starts a word (`xhttp://` is not one) and has a host.
pub fn segments(text: &str) -> Vec<Segment> {
    // ASCII lower case keeps every byte where it was.
    let lower = text.to_ascii_lowercase();
    let mut segments = Vec::new();
    let (mut plain_from, mut from) = (0, 0);
    while let Some(found) = lower[from..].find("http") {
        let start = from + found;
        let scheme = ["https://", "http://"]
            .into_iter()
            .find(|s| lower[start..].starts_with(s));
        let starts_word = text[..start]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric());
        let Some(scheme) = scheme.filter(|_| starts_word) else {
            from = start + "http".len();
            continue;
        };
        let rest = &text[start..];
        let length = rest.find(ends_address).unwrap_or(rest.len());
        let end = start + without_trailing_punctuation(&rest[..length]);
        let has_host = text[start + scheme.len()..end]
            .chars()
            .next()
            .is_some_and(char::is_alphanumeric);
        if !has_host {
            from = start + scheme.len();
            continue;
        }
        if plain_from < start {
            segments.push(Segment::Text(text[plain_from..start].to_owned()));
        }
        segments.push(Segment::Link(text[start..end].to_owned()));
        (plain_from, from) = (end, end);
    }
    if plain_from < text.len() {
        segments.push(Segment::Text(text[plain_from..].to_owned()));
    }
    segments
}

/// The first `max` characters of `text` (a message's excerpt in a notice), less an address
/// the cut would fall in: a link to half an address would lead somewhere else.
pub fn excerpt(text: &str, max: usize) -> String {
    let Some((cut, _)) = text.char_indices().nth(max) else {
        return text.to_owned();
    };
    let mut at = 0;
    for segment in segments(text) {
        let (Segment::Text(run) | Segment::Link(run)) = &segment;
        let next = at + run.len();
        if next >= cut {
            if matches!(segment, Segment::Link(_)) && next > cut {
                return text[..at].trim_end().to_owned();
            }
            break;
        }
        at = next;
    }
    text[..cut].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn links(text: &str) -> Vec<String> {
        segments(text)
            .into_iter()
            .filter_map(|s| match s {
                Segment::Link(url) => Some(url),
                Segment::Text(_) => None,
            })
            .collect()
    }

    fn joined(text: &str) -> String {
        segments(text)
            .into_iter()
            .map(|s| match s {
                Segment::Text(t) | Segment::Link(t) => t,
            })
            .collect()
    }

    #[test]
    fn addresses_are_cut_out_of_sentences() {
        let text = "Plans sur https://exemple.fr/plans.pdf. Voir aussi (http://a.fr/x), puis https://fr.wikipedia.org/wiki/Tour_(usinage) !\nFin : « https://b.fr/?q=1&r=2 »";
        assert_eq!(
            links(text),
            [
                "https://exemple.fr/plans.pdf",
                "http://a.fr/x",
                "https://fr.wikipedia.org/wiki/Tour_(usinage)",
                "https://b.fr/?q=1&r=2",
            ]
        );
        assert_eq!(joined(text), text);
        assert_eq!(
            segments("HTTPS://Exemple.fr"),
            [Segment::Link("HTTPS://Exemple.fr".into())]
        );
    }

    #[test]
    fn only_http_addresses_with_a_host_are_links() {
        for text in [
            "javascript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "xhttps://exemple.fr",
            "https://",
            "https://.",
            "http:/exemple.fr",
            "ftp://exemple.fr",
            "",
        ] {
            assert!(links(text).is_empty(), "{text}");
            assert_eq!(joined(text), text);
        }
        assert_eq!(
            links("https://a.fr/\"onmouseover=\"alert(1) <b>https://b.fr/<script>"),
            ["https://a.fr/", "https://b.fr/"]
        );
        assert_eq!(links("javascript:https://a.fr"), ["https://a.fr"]);
    }

    #[test]
    fn an_excerpt_cuts_no_address() {
        assert_eq!(excerpt("court", 300), "court");
        assert_eq!(excerpt("Voir https://exemple.fr/plans", 10), "Voir");
        assert_eq!(
            excerpt("Voir https://exemple.fr/plans", 29),
            "Voir https://exemple.fr/plans"
        );
        assert_eq!(
            excerpt("Voir https://exemple.fr ici", 23),
            "Voir https://exemple.fr"
        );
        assert_eq!(excerpt("Écrit à l'atelier", 5), "Écrit");
    }
}
