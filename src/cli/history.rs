//! `postez history`: the append-only history of one post, or the latest events of all.

use std::collections::HashMap;

use postez::Result;
use postez::post::PostId;
use postez::store::db_time;

use super::Ctx;

/// Show what happened to posts
///
/// Every post keeps an append-only history: scheduled, edited, claimed, init (with TikTok's
/// publish_id), uploaded, published (with the post id), failed (with TikTok's code), retry,
/// cancelled, retried. With an id, that post's history; without, the latest events of all.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  postez history 3\n  postez history --limit 20\n  postez history 3 --json"
)]
pub struct HistoryArgs {
    /// Post id (default: all posts)
    pub id: Option<PostId>,
    /// Without an id: how many recent events
    #[arg(long, default_value_t = 50, value_name = "N")]
    pub limit: usize,
}

pub fn exec(ctx: &Ctx, args: HistoryArgs) -> Result<()> {
    let store = ctx.store()?;
    let events: Vec<(PostId, postez::post::Event)> = match args.id {
        Some(id) => {
            store.post(id)?;
            store.events(id)?.into_iter().map(|e| (id, e)).collect()
        }
        None => store.recent_events(args.limit)?,
    };
    // The address of each published post (its platform builds it from the post's id and
    // video), shown with its `published` event.
    let mut urls: HashMap<PostId, Option<String>> = HashMap::new();
    for (id, e) in &events {
        if e.kind == "published" && !urls.contains_key(id) {
            urls.insert(*id, store.post(*id).ok().and_then(|p| p.url()));
        }
    }
    let url_of = |id: &PostId, e: &postez::post::Event| {
        (e.kind == "published")
            .then(|| urls.get(id).cloned().flatten())
            .flatten()
    };
    if ctx.out.json() {
        let list: Vec<serde_json::Value> = events
            .iter()
            .map(|(id, e)| {
                let mut json = serde_json::json!({"post": id, "at": db_time(e.at), "kind": e.kind, "detail": e.detail});
                if let Some(url) = url_of(id, e) {
                    json["url"] = url.into();
                }
                json
            })
            .collect();
        ctx.out.print_json(&serde_json::Value::Array(list));
        return Ok(());
    }
    for (id, e) in &events {
        let detail = match &e.detail {
            serde_json::Value::Object(map) if !map.is_empty() => format!(" {}", e.detail),
            _ => String::new(),
        };
        let url = url_of(id, e).map(|u| format!(" {u}")).unwrap_or_default();
        ctx.out.stdout_line(&format!(
            "{}  post {id}  {}{detail}{url}",
            db_time(e.at),
            e.kind
        ));
    }
    if events.is_empty() {
        ctx.out.note("no history yet");
    }
    Ok(())
}
