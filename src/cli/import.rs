//! `postez import`: schedule many posts from a CSV or JSON file, all or none.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use postez::post::{Mode, NewPost, Options, Post, Privacy};
use postez::queue::{self, CheckedMedia};
use postez::{Error, Result};
use serde::Deserialize;

use super::Ctx;

/// Schedule many posts from a CSV or JSON file
///
/// One row per post with the same fields and checks as `schedule`: file, at (required), and
/// caption, hashtags, privacy, draft, allow_comments, allow_duet, allow_stitch, cover_at,
/// brand_organic, branded_content, ai_generated, account, tz. CSV needs a header line;
/// JSON is an array of objects. Relative file paths are read from the import file's folder.
/// If any row is wrong, nothing is added and the error names the row.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Example posts.csv:
  file,at,caption,hashtags,privacy
  clips/a.mp4,tomorrow 18:00,First one,food dinner,SELF_ONLY
  clips/b.mp4,2026-12-02 18:00,Second one,,PUBLIC_TO_EVERYONE

Examples:
  postez import posts.csv --yes
  postez import posts.json --json")]
pub struct ImportArgs {
    /// A .csv or .json file
    pub file: PathBuf,
    /// Agree to TikTok's Music Usage Confirmation for every direct post without a prompt
    #[arg(long, short = 'y')]
    pub yes: bool,
}

/// One row, as written by the user.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Row {
    file: String,
    at: String,
    #[serde(default)]
    caption: Option<String>,
    #[serde(default)]
    hashtags: Option<Tags>,
    #[serde(default)]
    privacy: Option<String>,
    #[serde(default)]
    draft: Option<Flag>,
    #[serde(default)]
    allow_comments: Option<Flag>,
    #[serde(default)]
    allow_duet: Option<Flag>,
    #[serde(default)]
    allow_stitch: Option<Flag>,
    #[serde(default)]
    cover_at: Option<Number>,
    #[serde(default)]
    brand_organic: Option<Flag>,
    #[serde(default)]
    branded_content: Option<Flag>,
    #[serde(default)]
    ai_generated: Option<Flag>,
    #[serde(default)]
    account: Option<String>,
    #[serde(default)]
    tz: Option<String>,
}

/// Hashtags: a JSON array, or text separated by spaces or commas.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Tags {
    List(Vec<String>),
    Text(String),
}

/// A boolean: JSON true/false, or text (true/false, yes/no, 1/0, empty).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Flag {
    Bool(bool),
    Text(String),
}

/// A number, or text holding one (CSV).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Number {
    Int(u32),
    Text(String),
}

fn flag(name: &str, value: &Option<Flag>) -> Result<bool> {
    match value {
        None => Ok(false),
        Some(Flag::Bool(b)) => Ok(*b),
        Some(Flag::Text(t)) => match t.trim().to_ascii_lowercase().as_str() {
            "" | "false" | "no" | "0" => Ok(false),
            "true" | "yes" | "1" => Ok(true),
            _ => Err(Error::invalid(
                format!("`{t}` is not a yes/no value for `{name}`"),
                Some("use true or false".into()),
            )),
        },
    }
}

fn read_rows(path: &Path) -> Result<Vec<Row>> {
    let text = queue::read_caption_file(path).map_err(|_| {
        Error::invalid(
            format!("could not read `{}` as UTF-8 text", path.display()),
            Some("give a .csv or .json file".into()),
        )
    })?;
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("json") => serde_json::from_str(&text).map_err(|e| {
            Error::invalid(
                format!("`{}` is not a JSON array of posts: {e}", path.display()),
                Some("each post is an object with at least \"file\" and \"at\"".into()),
            )
        }),
        Some("csv") => {
            let mut reader = csv::ReaderBuilder::new()
                .trim(csv::Trim::All)
                .from_reader(text.as_bytes());
            let mut rows = Vec::new();
            for (i, record) in reader.deserialize::<Row>().enumerate() {
                rows.push(record.map_err(|e| {
                    let detail = match e.kind() {
                        csv::ErrorKind::Deserialize { err, .. } => err.to_string(),
                        _ => e.to_string(),
                    };
                    Error::invalid(
                        format!("row {} of `{}`: {detail}", i + 1, path.display()),
                        Some("the header needs `file` and `at`; see `postez import --help`".into()),
                    )
                })?);
            }
            Ok(rows)
        }
        _ => Err(Error::invalid(
            format!("`{}` is neither a .csv nor a .json file", path.display()),
            Some("name it posts.csv or posts.json".into()),
        )),
    }
}

pub fn exec(ctx: &Ctx, args: ImportArgs) -> Result<()> {
    let rows = read_rows(&args.file)?;
    if rows.is_empty() {
        return Err(Error::invalid(
            format!("`{}` holds no posts", args.file.display()),
            None,
        ));
    }
    let base = args
        .file
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let mut store = ctx.store()?;
    let default_zone = ctx.zone(None)?;
    let default_account = ctx.config()?.default_account.clone();
    // Many rows usually share a few videos: probe each file once.
    let mut media_cache: HashMap<PathBuf, CheckedMedia> = HashMap::new();
    let mut posts: Vec<NewPost> = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let post = build_row(
            ctx,
            &store,
            row,
            &base,
            default_zone,
            default_account.as_deref(),
            &mut media_cache,
        )
        .map_err(|e| {
            let hint = e.hint();
            Error::invalid(
                format!("row {} of `{}`: {e}", i + 1, args.file.display()),
                hint,
            )
        })?;
        posts.push(post);
    }
    if let Some(first) = posts.iter().find(|p| p.options.mode == Mode::Direct) {
        // Every direct row already has its privacy; this asks (or checks --yes) once for the
        // batch, citing the Branded Content Policy when any row is branded.
        let mut batch = first.options.clone();
        batch.branded_content = posts.iter().any(|p| p.options.branded_content);
        super::schedule::choose_and_consent(ctx, &mut batch, args.yes)?;
    }
    let ids = store.insert_posts(&posts, ctx.now())?;
    if ctx.out.json() {
        let posts: Vec<Post> = ids
            .iter()
            .map(|id| store.post(*id))
            .collect::<Result<_>>()?;
        ctx.out.print_json(&serde_json::Value::Array(
            posts.iter().map(Post::to_json).collect(),
        ));
    } else {
        ctx.out.stdout_line(&format!(
            "Imported {} posts (ids {}–{})",
            ids.len(),
            ids.first().copied().unwrap_or_default(),
            ids.last().copied().unwrap_or_default()
        ));
    }
    Ok(())
}

fn build_row(
    ctx: &Ctx,
    store: &postez::store::Store,
    row: &Row,
    base: &Path,
    default_zone: chrono_tz::Tz,
    default_account: Option<&str>,
    cache: &mut HashMap<PathBuf, CheckedMedia>,
) -> Result<NewPost> {
    let zone = match row.tz.as_deref().filter(|t| !t.is_empty()) {
        Some(tz) => postez::when::parse_zone(tz)?,
        None => default_zone,
    };
    let at = queue::resolve_time(&row.at, zone, ctx.now())?;
    let privacy = match row.privacy.as_deref().filter(|p| !p.is_empty()) {
        Some(p) => Some(p.parse::<Privacy>()?),
        None => None,
    };
    let cover_at_ms = match &row.cover_at {
        None => None,
        Some(Number::Int(n)) => Some(*n),
        Some(Number::Text(t)) if t.trim().is_empty() => None,
        Some(Number::Text(t)) => Some(t.trim().parse::<u32>().map_err(|_| {
            Error::invalid(format!("`{t}` is not a cover time in milliseconds"), None)
        })?),
    };
    let options = Options {
        mode: if flag("draft", &row.draft)? {
            Mode::Draft
        } else {
            Mode::Direct
        },
        privacy,
        allow_comments: flag("allow_comments", &row.allow_comments)?,
        allow_duet: flag("allow_duet", &row.allow_duet)?,
        allow_stitch: flag("allow_stitch", &row.allow_stitch)?,
        cover_at_ms,
        brand_organic: flag("brand_organic", &row.brand_organic)?,
        branded_content: flag("branded_content", &row.branded_content)?,
        ai_generated: flag("ai_generated", &row.ai_generated)?,
    };
    let hashtags: Vec<String> = match &row.hashtags {
        None => Vec::new(),
        Some(Tags::List(list)) => list.clone(),
        Some(Tags::Text(text)) => text
            .split([' ', ','])
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect(),
    };
    let path = base.join(&row.file);
    let media = match cache.get(&path) {
        Some(m) => m.clone(),
        None => {
            let m = queue::check_media(&path)?;
            cache.insert(path, m.clone());
            m
        }
    };
    let account = queue::resolve_account(
        store,
        row.account.as_deref().filter(|a| !a.is_empty()),
        default_account,
    )?;
    queue::build(
        media,
        row.caption.as_deref().unwrap_or_default(),
        &hashtags,
        options,
        account.as_ref(),
        at,
        zone,
    )
}
