//! The export document: everything postez holds about the user, as one JSON value: settings
//! (no secrets live there), accounts (profile data, scopes, expiry times), every post with its
//! history, and the recorded runs. Tokens, codes, verifiers, passphrases, client secrets and
//! upload URLs are not in the database's exported columns, so they cannot be in the export.

use chrono::{DateTime, Utc};

use crate::config::{Config, KEYS};
use crate::error::Result;
use crate::post::Post;
use crate::store::{ListFilter, Store, db_time};

/// Identifies the document's shape; bump `VERSION` on incompatible changes.
pub const FORMAT: &str = "postez-export";
/// The document's version.
pub const VERSION: u32 = 1;

/// Build the export document.
pub fn document(store: &Store, config: &Config, now: DateTime<Utc>) -> Result<serde_json::Value> {
    let mut settings = serde_json::Map::new();
    for (key, _) in KEYS {
        settings.insert((*key).into(), config.get(key)?.into());
    }
    let accounts: Vec<serde_json::Value> = store
        .accounts()?
        .iter()
        .map(|a| {
            let mut json = a.to_json();
            json["creator_info"] = a.creator_info.clone().unwrap_or(serde_json::Value::Null);
            json
        })
        .collect();
    let (posts, _) = store.list(&ListFilter {
        all: true,
        limit: 0,
        ..ListFilter::default()
    })?;
    let posts = posts
        .iter()
        .map(|p: &Post| -> Result<serde_json::Value> {
            let mut json = p.to_json();
            json["events"] = serde_json::to_value(store.events(p.id)?).unwrap_or_default();
            Ok(json)
        })
        .collect::<Result<Vec<_>>>()?;
    let runs: Vec<serde_json::Value> = store
        .runs()?
        .iter()
        .map(|r| {
            serde_json::json!({
                "started_at": db_time(r.started_at),
                "finished_at": r.finished_at.map(db_time),
                "due": r.due,
                "published": r.published,
                "failed": r.failed,
                "exit_code": r.exit_code,
            })
        })
        .collect();
    Ok(serde_json::json!({
        "format": FORMAT,
        "version": VERSION,
        "exported_at": db_time(now),
        "settings": settings,
        "accounts": accounts,
        "posts": posts,
        "runs": runs,
    }))
}
