//! `postez list`: the queue, as a table on a terminal, tab-separated lines in a pipe, or JSON.

use postez::Result;
use postez::post::{Post, PostState};
use postez::store::ListFilter;

use super::Ctx;
use super::schedule::file_label;

/// Show the queue
///
/// Without --all, only posts still in play (scheduled, publishing, uploaded ahead, failed),
/// soonest first. On a terminal a cross-post (a group, `g7`) is one line with a status per
/// target; --expand adds its posts under it.
/// On a terminal times are relative; in a pipe each post is one tab-separated line with
/// RFC 3339 UTC times: id, state, scheduled_at, platform, account, mode, privacy, file, caption.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  postez list
  postez list --state failed
  postez list --all --json | jq '.[] | select(.state == \"published\") | .post_id'")]
pub struct ListArgs {
    /// Only posts in this state (repeatable)
    #[arg(long, value_name = "STATE", value_parser = parse_state)]
    pub state: Vec<PostState>,
    /// Only posts of this account (id or name)
    #[arg(long, value_name = "ACCOUNT")]
    pub account: Option<String>,
    /// Include published, sent and cancelled posts
    #[arg(long)]
    pub all: bool,
    /// Show at most this many posts (0 = all)
    #[arg(long, default_value_t = 100, value_name = "N")]
    pub limit: usize,
    /// On a terminal, show each group's posts under its line
    #[arg(long)]
    pub expand: bool,
}

fn parse_state(s: &str) -> std::result::Result<PostState, String> {
    s.parse().map_err(|e: postez::Error| e.to_string())
}

pub fn exec(ctx: &Ctx, args: ListArgs) -> Result<()> {
    let store = ctx.store()?;
    let account_id = match &args.account {
        Some(name) => Some(postez::queue::find_account(&store, name)?.id),
        None => None,
    };
    let filter = ListFilter {
        states: args.state,
        account_id,
        all: args.all,
        limit: args.limit,
    };
    let (posts, matched) = store.list(&filter)?;
    if ctx.out.json() {
        ctx.out.print_json_array(posts.iter().map(Post::to_json));
    } else if ctx.out.stdout_is_tty() {
        print_table(ctx, &store, &posts, args.expand)?;
    } else {
        for post in &posts {
            ctx.out.stdout_line(&tsv_line(post));
        }
    }
    held_notes(ctx, &posts);
    url_notes(ctx, &posts);
    if matched.exceeds(posts.len()) {
        // `matched` is "1000+" past postez::store::COUNT_CAP: counting further reads the queue.
        ctx.out.note(&format!(
            "showing {} of {matched} posts; use --limit 0 to see all",
            posts.len()
        ));
    } else if posts.is_empty() && !ctx.out.json() {
        ctx.out.note(if args.all {
            "the queue is empty; add a video with `postez schedule`"
        } else {
            "nothing queued; `postez list --all` shows finished posts"
        });
    }
    Ok(())
}

/// Why queued posts wait for their account (a TikTok quota until its end, a paused account),
/// and what a platform did otherwise than asked with a published post (YouTube made it private):
/// on stderr, so the table and the tab-separated lines keep their columns.
fn held_notes(ctx: &Ctx, posts: &[Post]) {
    if ctx.out.json() {
        return;
    }
    for p in posts {
        if let Some((_, message, hint)) = p.note() {
            let hint = hint.map(|h| format!(" (hint: {h})")).unwrap_or_default();
            ctx.out
                .note(&format!("post {} published, but {message}{hint}", p.id));
            continue;
        }
        // Holds record their code on a queued post; a retry pause does not.
        if !matches!(p.state, PostState::Scheduled | PostState::Uploaded)
            || p.last_error_code.is_none()
        {
            continue;
        }
        let until = p
            .next_attempt_at
            .filter(|t| *t > ctx.now())
            .map(|t| format!(" until {}", postez::store::db_time(t)))
            .unwrap_or_default();
        let hint = p
            .last_error_hint
            .as_ref()
            .map(|h| format!(" (hint: {h})"))
            .unwrap_or_default();
        ctx.out.note(&format!(
            "post {} held{until}: {}{hint}",
            p.id,
            p.last_error.as_deref().unwrap_or_default()
        ));
    }
}

/// An uploaded post's state for people: where it is and when it goes public, in its own zone.
pub fn uploaded_words(post: &Post) -> String {
    let zone = postez::when::parse_zone(&post.timezone).unwrap_or(chrono_tz::Tz::UTC);
    let name = post
        .platform
        .parse::<postez::provider::Platform>()
        .map_or_else(|_| post.platform.clone(), |p| p.name().to_string());
    format!(
        "on {name}, goes public at {}",
        post.scheduled_at
            .with_timezone(&zone)
            .format("%Y-%m-%d %H:%M %Z")
    )
}

/// Where each published post is watched (the platform's address, when it has one): on stderr
/// like the holds, so the table's and the tab-separated lines' columns stay as they are.
fn url_notes(ctx: &Ctx, posts: &[Post]) {
    if ctx.out.json() {
        return;
    }
    for p in posts {
        if let Some(url) = p.url() {
            ctx.out.note(&format!("post {} is at {url}", p.id));
        }
    }
}

/// One post as a tab-separated line; tabs and newlines in text become spaces.
fn tsv_line(post: &Post) -> String {
    let clean = |s: &str| s.replace(['\t', '\n', '\r'], " ");
    [
        post.id.to_string(),
        post.state.to_string(),
        postez::store::db_time(post.scheduled_at),
        post.platform.clone(),
        post.account.clone().unwrap_or_default(),
        post.options.mode().as_str().to_string(),
        post.options.privacy_word().unwrap_or_default().to_string(),
        clean(&post.file),
        clean(&post.caption),
    ]
    .join("\t")
}

/// A post's privacy for the table ("draft" for a draft).
fn how(p: &Post) -> String {
    match p.options.privacy_label() {
        Some(label) => label.to_string(),
        None => "draft".into(),
    }
}

/// One target's status in a group's line: `tiktok ✓ published`, `youtube … processing`.
pub fn target_status(p: &Post) -> String {
    let (mark, word) = match p.state {
        PostState::Published | PostState::SentToInbox | PostState::Uploaded => {
            ("✓", p.state.to_string())
        }
        PostState::Publishing => ("…", p.phase.clone().unwrap_or_else(|| p.state.to_string())),
        PostState::Scheduled if p.last_error_code.is_some() => ("‖", "held".to_string()),
        PostState::Scheduled => ("·", p.state.to_string()),
        PostState::Failed | PostState::Cancelled => ("✗", p.state.to_string()),
    };
    format!("{} {mark} {word}", p.platform)
}

fn print_table(
    ctx: &Ctx,
    store: &postez::store::Store,
    posts: &[Post],
    expand: bool,
) -> Result<()> {
    if posts.is_empty() {
        return Ok(());
    }
    let now = ctx.now();
    let post_row = |p: &Post, indent: &str| {
        let state = match &p.phase {
            Some(phase) if p.state == PostState::Publishing => format!("{} ({phase})", p.state),
            _ if p.state == PostState::Uploaded => uploaded_words(p),
            _ => p.state.to_string(),
        };
        [
            format!("{indent}{}", p.id),
            state,
            postez::when::relative(p.scheduled_at, now),
            how(p),
            file_label(&p.file),
            p.caption.replace(['\n', '\t'], " "),
        ]
    };
    // A group is one line where its first post on the page would be, with every target's
    // status (also those the page leaves out, e.g. published ones without --all).
    let mut rows: Vec<[String; 6]> = Vec::new();
    let mut seen = Vec::new();
    for p in posts {
        let Some(group) = p.group else {
            rows.push(post_row(p, ""));
            continue;
        };
        if seen.contains(&group) {
            continue;
        }
        seen.push(group);
        let members = store.group_posts(group)?;
        let mut privacy: Vec<String> = Vec::new();
        for m in &members {
            let h = how(m);
            if !privacy.contains(&h) {
                privacy.push(h);
            }
        }
        rows.push([
            group.to_string(),
            members
                .iter()
                .map(target_status)
                .collect::<Vec<_>>()
                .join("  "),
            postez::when::relative(p.scheduled_at, now),
            privacy.join("/"),
            file_label(&p.file),
            p.caption.replace(['\n', '\t'], " "),
        ]);
        if expand {
            rows.extend(members.iter().map(|m| post_row(m, "  ")));
        }
    }
    let header = ["ID", "STATE", "WHEN", "PRIVACY", "FILE", "CAPTION"];
    let mut widths = header.map(console::measure_text_width);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(console::measure_text_width(cell));
        }
    }
    let term = ctx.out.stdout_width().unwrap_or(100);
    let fixed: usize = widths[..5].iter().sum::<usize>() + 2 * 5;
    let caption_width = term.saturating_sub(fixed).max(10);
    let line = |cells: [&str; 6]| {
        let mut out = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i == 5 {
                out.push_str(&console::truncate_str(cell, caption_width, "…"));
            } else {
                out.push_str(&console::pad_str(
                    cell,
                    widths[i],
                    console::Alignment::Left,
                    None,
                ));
                out.push_str("  ");
            }
        }
        out.trim_end().to_string()
    };
    ctx.out
        .stdout_line(&console::style(line(header)).bold().to_string());
    for row in &rows {
        ctx.out
            .stdout_line(&line(row.each_ref().map(String::as_str)));
    }
    Ok(())
}
