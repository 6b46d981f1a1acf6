//! The web pages' static files, compiled into the binary and served under a path holding a
//! hash of their content (`/static/<hash>/app.css`), so that browsers may keep them for a
//! year: a changed file gets a new path.

use sha2::{Digest, Sha256};
use std::sync::OnceLock;

/// An embedded file.
pub struct Asset {
    pub name: &'static str,
    pub content_type: &'static str,
    pub bytes: &'static [u8],
}

pub const ASSETS: &[Asset] = &[
    Asset {
        name: "app.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../../../static/app.css"),
    },
    Asset {
        name: "htmx.min.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../../static/vendor/htmx/htmx.min.js"),
    },
];

/// The hash of every asset together: one path segment for all of them.
pub fn version() -> &'static str {
    static VERSION: OnceLock<String> = OnceLock::new();
    VERSION.get_or_init(|| {
        let mut hash = Sha256::new();
        for asset in ASSETS {
            hash.update(asset.name.as_bytes());
            hash.update(asset.bytes);
        }
        hex::encode(&hash.finalize()[..8])
    })
}

/// The path of an asset, e.g. `/static/1a2b…/app.css`.
pub fn url(name: &str) -> String {
    format!("/static/{}/{name}", version())
}

/// The asset of a requested version and name; none for an old version.
pub fn find(version_asked: &str, name: &str) -> Option<&'static Asset> {
    (version_asked == version())
        .then(|| ASSETS.iter().find(|a| a.name == name))
        .flatten()
}
