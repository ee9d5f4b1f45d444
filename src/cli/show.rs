//! `postez show`: everything about one post, with its history.

use chrono::{DateTime, Utc};
use postez::Result;
use postez::post::{Post, PostOptions, PostRef};

use super::Ctx;
use super::reporter::Reporter;

/// Show one post (or each post of a group) and its history
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  postez show 3\n  postez show 3 --json | jq .events\n  postez show g2"
)]
pub struct ShowArgs {
    /// Post id (see `postez list`), or a group id (`g2`: every target)
    pub id: PostRef,
}

pub fn exec(ctx: &Ctx, args: ShowArgs) -> Result<()> {
    let store = ctx.store()?;
    let group = match args.id {
        PostRef::Post(id) => return show_one(ctx, &store, store.post(id)?, &ctx.out),
        PostRef::Group(group) => group,
    };
    let posts = store.group_posts(group)?;
    if ctx.out.json() {
        let mut all = Vec::new();
        for post in &posts {
            let mut json = post.to_json();
            json["events"] = serde_json::to_value(store.events(post.id)?).unwrap_or_default();
            all.push(json);
        }
        ctx.out
            .print_json(&serde_json::json!({"group": group.to_string(), "posts": all}));
        return Ok(());
    }
    ctx.out.stdout_line(&format!(
        "Group {group}: {}",
        posts
            .iter()
            .map(super::list::target_status)
            .collect::<Vec<_>>()
            .join("  ")
    ));
    for post in posts {
        ctx.out.stdout_line("");
        show_one(ctx, &store, post, &ctx.out)?;
    }
    Ok(())
}

fn show_one(ctx: &Ctx, store: &postez::store::Store, post: Post, out: &Reporter) -> Result<()> {
    let events = store.events(post.id)?;
    // The account's name as `connect` and `accounts` show it (the JSON has the post's label).
    let account = if ctx.out.json() {
        String::new()
    } else {
        store
            .accounts()?
            .into_iter()
            .find(|a| Some(a.id) == post.account_id)
            .map_or_else(|| "(default account)".to_string(), |a| a.name())
    };
    print(out, &post, &account, &events, ctx.now());
    Ok(())
}

/// Print the post: its JSON object with `events` added (`--json`), or the lines for people.
pub fn print(
    out: &Reporter,
    post: &Post,
    account: &str,
    events: &[postez::post::Event],
    now: DateTime<Utc>,
) {
    if out.json() {
        let mut json = post.to_json();
        json["events"] = serde_json::to_value(events).unwrap_or_default();
        out.print_json(&json);
        return;
    }
    let zone = postez::when::parse_zone(&post.timezone).unwrap_or(chrono_tz::Tz::UTC);
    let mut lines = vec![
        match post.group {
            Some(group) => format!("Post {} (group {group})", post.id),
            None => format!("Post {}", post.id),
        },
        if post.state == postez::post::PostState::Uploaded {
            format!(
                "  state        {} ({})",
                post.state,
                super::list::uploaded_words(post)
            )
        } else if post.upload_ahead() {
            format!(
                "  state        {} (uploaded ahead at the next run; {} makes it public on time)",
                post.state,
                post.platform
                    .parse::<postez::provider::Platform>()
                    .map_or("the platform", |p| p.name())
            )
        } else {
            format!("  state        {}", post.state)
        },
        format!(
            "  when         {}",
            postez::when::describe(post.scheduled_at, zone, now)
        ),
        format!("  account      {} {account}", post.platform),
        format!(
            "  file         {}{}",
            post.file,
            if post.copied { " (private copy)" } else { "" }
        ),
        format!(
            "  video        {} {}×{} {:.2} fps {:.1} s {}",
            post.media.container.as_str(),
            post.media.width.unwrap_or(0),
            post.media.height.unwrap_or(0),
            post.media.fps.unwrap_or(0.0),
            post.media.duration_ms.unwrap_or(0) as f64 / 1000.0,
            post.media
                .codec
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default()
        ),
        format!("  mode         {}", post.options.mode().as_str()),
    ];
    lines.extend(option_lines(&post.options));
    lines.push(format!("  attempts     {}", post.attempts));
    if post.state == postez::post::PostState::Scheduled
        && let Some(next) = post.next_attempt_at.filter(|t| *t > post.scheduled_at)
    {
        // A retry pause or a hold (a TikTok quota): not before then.
        lines.push(format!(
            "  next try     {}",
            postez::when::describe(next, zone, now)
        ));
    }
    if let Some((_, message, hint)) = post.note() {
        lines.push(format!("  note         {message}"));
        if let Some(hint) = hint {
            lines.push(format!("  hint         {hint}"));
        }
    } else if let Some(error) = &post.last_error {
        // A queued post with a code waits for its account's sake (holds record the code; a
        // retry pause does not).
        let label = if matches!(
            post.state,
            postez::post::PostState::Scheduled | postez::post::PostState::Uploaded
        ) && post.last_error_code.is_some()
        {
            "  held         "
        } else if post.state == postez::post::PostState::Uploaded {
            // Not an error: the confirming run found it not public yet after its time.
            "  not public   "
        } else {
            "  last error   "
        };
        lines.push(format!("{label}{error}"));
        if let Some(hint) = &post.last_error_hint {
            lines.push(format!("  hint         {hint}"));
        }
    }
    if let Some(id) = &post.publish_id {
        lines.push(format!("  publish id   {id}"));
    }
    if let Some(id) = &post.post_id {
        lines.push(format!("  post id      {id}"));
    }
    if let Some(url) = post.url() {
        lines.push(format!("  url          {url}"));
    }
    if post.options.mode() == postez::post::Mode::Draft && !post.caption.is_empty() {
        // TikTok's inbox upload carries no caption: the creator pastes it in the app.
        lines.push("  caption (TikTok's drafts carry none: paste it in the app)".into());
    } else {
        lines.push("  caption".into());
    }
    lines.extend(post.caption.lines().map(|l| format!("    {l}")));
    lines.push("History".into());
    for event in events {
        let detail = match &event.detail {
            serde_json::Value::Object(map) if !map.is_empty() => format!(" {}", event.detail),
            _ => String::new(),
        };
        lines.push(format!(
            "  {}  {}{detail}",
            postez::store::db_time(event.at),
            event.kind
        ));
    }
    for line in lines {
        out.stdout_line(&line);
    }
}

/// The lines for the platform's own choices, between the mode and the attempts.
fn option_lines(options: &PostOptions) -> Vec<String> {
    let yes_no = |b: bool| if b { "yes" } else { "no" };
    let mut lines = Vec::new();
    match options {
        PostOptions::TikTok(o) => {
            if let Some(privacy) = o.privacy {
                lines.push(format!(
                    "  privacy      {} ({})",
                    privacy.label(),
                    privacy.as_str()
                ));
                lines.push(format!(
                    "  allow        comments {}, duet {}, stitch {}",
                    yes_no(o.allow_comments),
                    yes_no(o.allow_duet),
                    yes_no(o.allow_stitch)
                ));
                lines.push(format!(
                    "  disclosure   your brand {}, paid partnership {}, AI-generated {}",
                    yes_no(o.brand_organic),
                    yes_no(o.branded_content),
                    yes_no(o.ai_generated)
                ));
            }
            if let Some(cover) = o.cover_at_ms {
                lines.push(format!("  cover at     {cover} ms"));
            }
        }
        PostOptions::YouTube(o) => {
            lines.push(format!("  title        {}", o.title));
            lines.push(format!("  privacy      {}", o.privacy.as_str()));
            lines.push(format!(
                "  audience     made for kids {}, AI-generated {}",
                yes_no(o.made_for_kids),
                yes_no(o.ai_generated)
            ));
            if let Some(category) = &o.category {
                lines.push(format!("  category     {category}"));
            }
            lines.push(format!("  notify       {}", yes_no(o.notify)));
        }
    }
    lines
}
