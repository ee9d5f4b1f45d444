//! `postez import`: schedule many posts from a CSV or JSON file, all or none.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use postez::creator::{self, CreatorCheck};
use postez::import::{self, Format, Row};
use postez::post::{Mode, NewPost, Post};
use postez::provider::Platform;
use postez::queue::{self, CheckedMedia};
use postez::{Error, Result};

use super::Ctx;
use super::schedule::group;

/// Schedule many posts from a CSV or JSON file
///
/// One row per post with the same fields and checks as `schedule`: file, at (required), and
/// caption, hashtags, privacy, draft, allow_comments, allow_duet, allow_stitch, cover_at,
/// brand_organic, branded_content, ai_generated, platform, account, tz; for YouTube rows also
/// title, made_for_kids (required), category, notify and tags (separated by commas). The
/// account is chosen as `schedule --account` does (with `platform`: `platform:account`, or the
/// platform's only account). A row may name several accounts separated by `;`
/// (`tiktok;youtube:Chef`, or `all`): one post per account, tied in one group, each checked as
/// `schedule --account … --account …` checks them; `privacy` then takes one level per platform
/// (`tiktok=SELF_ONLY;youtube=unlisted`), a plain level meaning every target. Rows with the same
/// `group` value are queued as one group. CSV needs a header line; JSON is an array of objects,
/// or the document of `postez export` (its scheduled posts, each group again one group). Relative file paths are read from the import file's folder,
/// and every video must be inside that folder (after `..` and links) unless --allow-outside.
/// The videos are listed before anything is added. If any row is wrong, nothing is added and
/// the error names the row.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Example posts.csv:
  file,at,caption,hashtags,privacy
  clips/a.mp4,tomorrow 18:00,First one,food dinner,SELF_ONLY
  clips/b.mp4,2026-12-02 18:00,Second one,,PUBLIC_TO_EVERYONE

Example YouTube rows (shorts.csv):
  file,at,platform,title,privacy,made_for_kids,tags
  clips/a.mp4,tomorrow 18:00,youtube,Pasta in 30 seconds,public,no,\"pasta,quick dinner\"

Example cross-posts (one group per row):
  file,at,account,privacy,made_for_kids
  clips/a.mp4,tomorrow 18:00,tiktok;youtube,tiktok=SELF_ONLY;youtube=unlisted,no
  clips/b.mp4,friday 18:00,all,tiktok=PUBLIC_TO_EVERYONE;youtube=public,no

Examples:
  postez import posts.csv --yes
  postez import posts.json --json")]
pub struct ImportArgs {
    /// A .csv or .json file
    pub file: PathBuf,
    /// Agree to TikTok's Music Usage Confirmation for every direct post without a prompt
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Accept rows whose video is outside the import file's folder (`../x.mp4`, absolute paths)
    #[arg(long)]
    pub allow_outside: bool,
    /// Import rows whose video the account gets within 24 hours of another post of it
    ///
    /// TikTok treats a repeated video as spam; without this flag postez asks on a terminal and
    /// refuses otherwise.
    #[arg(long)]
    pub allow_duplicate: bool,
    /// Shared mode: keep only the videos' paths, not their bytes in the shared queue (every
    /// runner must see the same files)
    #[arg(long)]
    pub reference: bool,
}

fn read_rows(path: &Path) -> Result<Vec<Row>> {
    let text = queue::read_caption_file(path).map_err(|_| {
        Error::invalid(
            format!("could not read `{}` as UTF-8 text", path.display()),
            Some("give a .csv or .json file".into()),
        )
    })?;
    match Format::of(path) {
        Some(format) => import::parse_rows(&text, format, &path.display().to_string()),
        None => Err(Error::invalid(
            format!("`{}` is neither a .csv nor a .json file", path.display()),
            Some("name it posts.csv or posts.json".into()),
        )),
    }
}

pub async fn exec(ctx: &Ctx, args: ImportArgs) -> Result<()> {
    let rows = read_rows(&args.file)?;
    if rows.is_empty() {
        return Err(Error::invalid(
            format!("`{}` holds no posts", args.file.display()),
            None,
        ));
    }
    let folder = args
        .file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    // Canonical, so that rows are compared with it after their `..` and links are resolved.
    let base = fs_err::canonicalize(folder)?;
    let mut store = ctx.store()?;
    let default_zone = ctx.zone(None)?;
    let default_account = ctx.config()?.default_account.clone();
    // Many rows usually share a few videos: probe each file once.
    let mut media_cache: HashMap<(PathBuf, Platform), CheckedMedia> = HashMap::new();
    // One batch per row, except that rows sharing a `group` share one: each batch with more
    // than one post becomes one new group.
    let mut batches: Vec<(Option<String>, Vec<NewPost>)> = Vec::new();
    let mut notes = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let built = import::resolve_file(&base, &row.file, args.allow_outside)
            .and_then(|video| {
                build_row(
                    ctx,
                    &store,
                    row,
                    video,
                    default_zone,
                    default_account.as_deref(),
                    &mut media_cache,
                    &mut notes,
                )
            })
            .map_err(|e| {
                let hint = e.hint();
                Error::invalid(
                    format!("row {} of `{}`: {e}", i + 1, args.file.display()),
                    hint,
                )
            })?;
        let key = row.group.clone().filter(|g| !g.trim().is_empty());
        match batches.iter_mut().find(|(k, _)| key.is_some() && *k == key) {
            Some((_, posts)) => posts.extend(built),
            None => batches.push((key, built)),
        }
    }
    let posts: Vec<NewPost> = batches.iter().flat_map(|(_, p)| p.clone()).collect();
    // What is about to be published, as resolved: with --yes or without a terminal this is the
    // only place a row pointing somewhere unexpected shows.
    ctx.out.status(
        "Importing",
        &format!(
            "{} from {}",
            postez::words::count(posts.len(), "post"),
            args.file.display()
        ),
    );
    let mut listed = std::collections::HashSet::new();
    for post in posts.iter().filter(|p| listed.insert(p.file.as_str())) {
        ctx.out.note(&format!("{:>12} {}", "", post.file));
    }
    if !args.allow_duplicate {
        confirm_repeats(ctx, &store, &posts)?;
    }
    let checks = check_creators(ctx, &mut store, &posts, &args.file).await?;
    if let Some(first) = posts.iter().find(|p| needs_consent(p)) {
        // Every direct row already has its privacy; this asks (or checks --yes) once for the
        // batch, naming each creator and citing the Branded Content Policy when any row is
        // branded.
        let mut batch = first.options.clone();
        if let Some(batch) = batch.tiktok_mut() {
            batch.branded_content = posts
                .iter()
                .any(|p| p.options.tiktok().is_some_and(|o| o.branded_content));
        }
        let rules = first.options.platform().rules();
        super::schedule::choose_and_consent(ctx, rules, &mut batch, args.yes, &checks)?;
    }
    let mut batches: Vec<(bool, Vec<NewPost>)> = batches
        .into_iter()
        .map(|(_, posts)| (posts.len() > 1, posts))
        .collect();
    // Shared mode: each video once into the shared queue, whichever batches use it (one call
    // for them all: a call per batch sent a clip once per row).
    let stored = queue::store_videos(
        &mut store,
        batches.iter_mut().flat_map(|(_, posts)| posts.iter_mut()),
        args.reference,
        ctx.now(),
    )?;
    let done = match store.insert_batches(&batches, ctx.now()) {
        Ok(done) => done,
        Err(e) => {
            queue::drop_videos(&mut store, stored);
            return Err(e);
        }
    };
    let ids: Vec<_> = done.iter().flat_map(|(_, ids)| ids.clone()).collect();
    let groups: Vec<String> = done
        .iter()
        .filter_map(|(group, _)| group.map(|g| g.to_string()))
        .collect();
    for note in notes {
        ctx.out.note(&note);
    }
    let youtube: Vec<_> = posts
        .iter()
        .filter(|p| p.options.platform() == Platform::YouTube)
        // The day the upload is made: an upload ahead's is the next run's.
        .map(|p| {
            if p.upload_ahead {
                ctx.now()
            } else {
                p.scheduled_at
            }
        })
        .collect();
    if !youtube.is_empty() {
        // The rows are queued already: a count that fails is no reason to fail the import.
        let quota =
            postez::provider::youtube::quota::warnings(&store, ctx.config()?, &youtube, ctx.now());
        for warning in quota.unwrap_or_default() {
            ctx.out.warn(&warning);
        }
    }
    super::schedule::warn_if_no_runner(ctx, &store);
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
        if !groups.is_empty() {
            ctx.out.stdout_line(&format!(
                "  cross-posted in {}: {}",
                postez::words::count(groups.len(), "group"),
                groups.join(", ")
            ));
        }
    }
    Ok(())
}

/// Ask each account's platform once about the creator of the direct rows, and refuse (naming the
/// row) what a creator cannot post. The answers are shown with the consent.
async fn check_creators(
    ctx: &Ctx,
    store: &mut postez::store::Store,
    posts: &[NewPost],
    file: &Path,
) -> Result<Vec<CreatorCheck>> {
    let mut asked: Vec<Option<i64>> = Vec::new();
    for post in posts.iter().filter(|p| needs_consent(p)) {
        if !asked.contains(&post.account_id) {
            asked.push(post.account_id);
        }
    }
    let mut checks = Vec::with_capacity(asked.len());
    for account_id in asked {
        let account = match account_id {
            Some(id) => store.account(id)?,
            None => None,
        };
        let check =
            creator::ask(&ctx.env, &ctx.paths, ctx.config()?, store, account.as_ref()).await;
        if let CreatorCheck::Checked(creator) = &check {
            let rows = posts
                .iter()
                .enumerate()
                .filter(|(_, p)| needs_consent(p) && p.account_id == account_id);
            for (i, post) in rows {
                creator
                    .check(&post.options, post.media.duration_ms, &post.file)
                    .map_err(|e| {
                        Error::invalid(
                            format!("row {} of `{}`: {e}", i + 1, file.display()),
                            e.hint(),
                        )
                    })?;
            }
        }
        checks.push(check);
    }
    Ok(checks)
}

/// Rows whose video their account gets within 24 hours of another post of it (already queued,
/// or an earlier row) are asked about once, as `schedule` does: TikTok treats repeats as spam.
fn confirm_repeats(ctx: &Ctx, store: &postez::store::Store, posts: &[NewPost]) -> Result<()> {
    let repeats = queue::repeats(store, posts)?;
    if repeats.is_empty() {
        return Ok(());
    }
    // A few are enough to say what is wrong; a whole batch of repeats would flood the screen.
    let shown = match repeats.len() {
        n if n > 5 => format!("{} and {} more", repeats[..5].join(", "), n - 5),
        _ => repeats.join(", "),
    };
    let problem = format!(
        "{shown} (the same video for the same account within 24 hours), and TikTok treats a video posted again within 24 hours as spam"
    );
    if !ctx.out.can_prompt() {
        return Err(Error::NeedsFlag {
            message: problem,
            hint: "add --allow-duplicate to import them anyway, or space the rows a day apart"
                .into(),
        });
    }
    ctx.out.warn(&problem);
    if !ctx.out.confirm("Import them anyway?")? {
        return Err(Error::Aborted);
    }
    Ok(())
}

/// Whether a post asks for the platform's consent (TikTok's direct posts): those rows are the
/// batch's consent and creator checks; YouTube requires none before an upload.
fn needs_consent(post: &NewPost) -> bool {
    post.options.mode() == Mode::Direct
        && post
            .options
            .platform()
            .rules()
            .consent(&post.options)
            .is_some()
}

/// The platform and account of a row: its `platform`/`account` columns as `schedule --account`
/// reads them; without either, `default_account` when it names another platform's account
/// (as `schedule` does), else TikTok's account as before.
fn row_target(
    store: &postez::store::Store,
    row: &Row,
    default_account: Option<&str>,
) -> Result<(Platform, Option<postez::store::Account>)> {
    if let Some(name) = row.targets()?.first() {
        return queue::resolve_target(store, Some(name), default_account);
    }
    if let Some(default) = default_account {
        match queue::resolve_target(store, Some(default), None) {
            Ok((platform, account)) if platform != queue::platform() => {
                return Ok((platform, account));
            }
            Ok(_) | Err(Error::NoSuchAccount { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok((
        queue::platform(),
        queue::resolve_account(store, None, default_account)?,
    ))
}

/// A row's posts: one for the account it names (as before), or one per account when it names
/// several (`a;b`, `all`), checked as `schedule --account a --account b` checks its targets:
/// each target's options from the shared columns and its platform's own, each validated, and
/// an error names the target.
#[allow(clippy::too_many_arguments)]
fn build_row(
    ctx: &Ctx,
    store: &postez::store::Store,
    row: &Row,
    path: PathBuf,
    default_zone: chrono_tz::Tz,
    default_account: Option<&str>,
    cache: &mut HashMap<(PathBuf, Platform), CheckedMedia>,
    notes: &mut Vec<String>,
) -> Result<Vec<NewPost>> {
    let names = row.targets()?;
    if names.len() <= 1 && !names.iter().any(|n| n == group::ALL) {
        let (platform, account) = row_target(store, row, default_account)?;
        let post = build_post(
            ctx,
            row,
            &path,
            (platform, account.as_ref()),
            &[platform],
            default_zone,
            cache,
            None,
        )?;
        return Ok(vec![post]);
    }
    let targets = group::targets(ctx, &names)?;
    let mut platforms: Vec<Platform> = Vec::new();
    for (p, _) in &targets {
        if !platforms.contains(p) {
            platforms.push(*p);
        }
    }
    let mut posts = Vec::with_capacity(targets.len());
    for target in &targets {
        let label = group::name(target);
        let post = build_post(
            ctx,
            row,
            &path,
            (target.0, Some(&target.1)),
            &platforms,
            default_zone,
            cache,
            Some(notes),
        )
        .map_err(|e| group::about(&label, e))?;
        posts.push(post);
    }
    Ok(posts)
}

#[allow(clippy::too_many_arguments)]
fn build_post(
    ctx: &Ctx,
    row: &Row,
    path: &Path,
    (platform, account): (Platform, Option<&postez::store::Account>),
    platforms: &[Platform],
    default_zone: chrono_tz::Tz,
    cache: &mut HashMap<(PathBuf, Platform), CheckedMedia>,
    group_notes: Option<&mut Vec<String>>,
) -> Result<NewPost> {
    let zone = row.zone()?.unwrap_or(default_zone);
    let at = queue::resolve_time(&row.at, zone, ctx.now())?;
    let rules = platform.rules();
    let mut options = row.options_for(platform, platforms)?;
    // In a group, a TikTok account without Direct Post gets a draft, as in `schedule`.
    if let (Some(notes), Some(account)) = (group_notes, account) {
        notes.extend(group::draft_if_no_direct(
            &(platform, account.clone()),
            &mut options,
        ));
    }
    let hashtags = row.hashtags();
    // Each platform checks the video by its own limits.
    let key = (path.to_path_buf(), platform);
    let media = match cache.get(&key) {
        Some(m) => m.clone(),
        None => {
            let m = queue::check_media(&key.0, rules)?;
            cache.insert(key, m.clone());
            m
        }
    };
    // As `schedule --upload-ahead` decides it, the column for the flag; a row too close to
    // its time is uploaded when due, like a scheduled one. In a row naming several platforms
    // the column is for the targets whose platform can hold a post.
    let asked = row
        .upload_ahead()?
        .filter(|_| platforms.len() == 1 || rules.hold_margin().is_some());
    let (upload_ahead, _) = queue::upload_ahead(
        rules,
        &options,
        asked,
        ctx.config()?.youtube_upload_ahead(),
        at,
        ctx.now(),
    )?;
    let mut post = queue::build(
        rules,
        media,
        row.caption.as_deref().unwrap_or_default(),
        &hashtags,
        options,
        account,
        at,
        zone,
    )?;
    post.upload_ahead = upload_ahead;
    Ok(post)
}
