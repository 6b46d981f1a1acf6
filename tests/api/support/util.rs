//! Small helpers shared by the test files: valid official identifiers, ids of list pages,
//! walking a paginated list.

use std::collections::HashSet;

use serde_json::Value;

use super::TestApp;

/// A valid UAI (seven digits and the check letter) made from `n`.
pub fn uai(n: u32) -> String {
    const LETTERS: &[u8; 23] = b"ABCDEFGHJKLMNPRSTUVWXYZ";
    let n = n % 10_000_000;
    format!("{n:07}{}", LETTERS[(n % 23) as usize] as char)
}

/// A valid SIRET (fourteen digits passing the Luhn check) made from `n`.
pub fn siret(n: u64) -> String {
    let base = format!("{:013}", n % 10_000_000_000_000);
    (0..10)
        .map(|check| format!("{base}{check}"))
        .find(|candidate| luhn(candidate))
        .expect("one check digit fits")
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

/// A well-formed id that names nothing.
pub fn unknown_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// The ids of the items of one list page, in order.
#[track_caller]
pub fn item_ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("not a list page: {page}"))
        .iter()
        .map(|item| item["id"].as_str().expect("id").to_owned())
        .collect()
}

/// The ids of a list page as a set.
pub fn id_set(page: &Value) -> HashSet<String> {
    item_ids(page).into_iter().collect()
}

/// Walks a list page by page with `limit`, checking that only the last page is short and
/// has a null `next_cursor`; returns every id in order and the number of pages.
pub async fn walk(app: &TestApp, token: &str, path: &str, limit: usize) -> (Vec<String>, usize) {
    let separator = if path.contains('?') { '&' } else { '?' };
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let url = match &cursor {
            None => format!("{path}{separator}limit={limit}"),
            Some(c) => format!("{path}{separator}limit={limit}&cursor={c}"),
        };
        let page = app.get(&url, token).await.expect(200).json();
        pages += 1;
        assert!(pages <= 1000, "pagination does not end: {url}");
        let items = item_ids(&page);
        assert!(items.len() <= limit, "{url} gave {} items", items.len());
        ids.extend(items.iter().cloned());
        match &page["next_cursor"] {
            Value::Null => break,
            Value::String(next) => {
                assert_eq!(
                    items.len(),
                    limit,
                    "{url}: a page followed by another must be full"
                );
                cursor = Some(next.clone());
            }
            other => panic!("next_cursor must be a string or null, got {other}"),
        }
    }
    (ids, pages)
}
