//! `postez history`: the append-only history of one post, or the latest events of all.

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
    if ctx.out.json() {
        let list: Vec<serde_json::Value> = events
            .iter()
            .map(|(id, e)| serde_json::json!({"post": id, "at": db_time(e.at), "kind": e.kind, "detail": e.detail}))
            .collect();
        ctx.out.print_json(&serde_json::Value::Array(list));
        return Ok(());
    }
    for (id, e) in &events {
        let detail = match &e.detail {
            serde_json::Value::Object(map) if !map.is_empty() => format!(" {}", e.detail),
            _ => String::new(),
        };
        ctx.out
            .stdout_line(&format!("{}  post {id}  {}{detail}", db_time(e.at), e.kind));
    }
    if events.is_empty() {
        ctx.out.note("no history yet");
    }
    Ok(())
}
