//! `schedule` for several accounts at once (cross-posting, issue 13): the targets (`--account`
//! repeated, or `all`), each target's options from the shared flags and its platform's own,
//! every target checked before anything is written, and one post per account queued under one
//! group in one transaction. Any invalid target queues nothing.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use postez::creator::{self, CreatorCheck};
use postez::post::{Mode, NewPost, PostOptions};
use postez::provider::Platform;
use postez::provider::tiktok::TikTokOptions;
use postez::provider::youtube::{self, Visibility};
use postez::store::Account;
use postez::{Error, ErrorKind, Result, queue};

use super::{
    Ctx, PROCESSING_NOTE, ScheduleArgs, YesNo, check_creator, check_privacy, confirm_duplicate,
    file_label, privacy_for, show_creator, warn_if_no_runner,
};

/// `--account all`: every connected account that is not paused.
pub const ALL: &str = "all";

/// One account a cross-post goes to.
pub type Target = (Platform, Account);

/// How a target is named in messages: `platform:label`, which `--account` takes back.
pub fn name(target: &Target) -> String {
    format!("{}:{}", target.0, target.1.label())
}

/// A usage error about one target, naming it; other errors (the database, the network) pass
/// as they are, since they are not the target's fault.
pub fn about(target: &str, e: Error) -> Error {
    if e.kind() != ErrorKind::Usage {
        return e;
    }
    let hint = e.hint();
    Error::invalid(format!("{target}: {e}"), hint)
}

/// The accounts `--account` names, each once, in the order given (`all` in the accounts'
/// order). A name that resolves to no connected account is refused: a cross-post waits for no
/// account, since a group with a target that cannot publish is not what was asked.
pub fn targets(ctx: &Ctx, names: &[String]) -> Result<Vec<Target>> {
    let store = ctx.store()?;
    let mut found: Vec<Target> = Vec::new();
    for given in names {
        let more: Vec<Target> = if given == ALL {
            let all: Vec<Target> = store
                .accounts()?
                .into_iter()
                .filter(|a| a.is_connected() && a.pause().is_none())
                .map(|a| (a.platform, a))
                .collect();
            if all.is_empty() {
                return Err(Error::invalid(
                    "`--account all` names no account: none is connected, or every one is paused",
                    Some(
                        "connect one with `postez connect PLATFORM` (see `postez accounts`)".into(),
                    ),
                ));
            }
            all
        } else {
            match queue::resolve_target(&store, Some(given), None)? {
                (platform, Some(account)) => vec![(platform, account)],
                (platform, None) => {
                    return Err(Error::NotConnected {
                        platform: platform.to_string(),
                    });
                }
            }
        };
        for target in more {
            if !found.iter().any(|(_, a)| a.id == target.1.id) {
                found.push(target);
            }
        }
    }
    Ok(found)
}

/// Refuse a `--privacy PLATFORM=LEVEL` for a platform none of `platforms` is.
pub fn refuse_other_platforms(given: &[String], platforms: &[Platform]) -> Result<()> {
    queue::refuse_other_platforms(given, platforms, queue::Given::Flag("--privacy"))
}

/// A TikTok target whose account granted no Direct Post can only receive drafts: it gets one,
/// which is the one thing it can take, rather than failing the whole group. Returns the note
/// saying so. `import` applies the same rule to its rows' targets.
pub fn draft_if_no_direct(target: &Target, options: &mut PostOptions) -> Option<String> {
    if options.tiktok().is_none() || options.mode() != Mode::Direct || target.1.can_direct_post() {
        return None;
    }
    *options = TikTokOptions::plain(Mode::Draft).into();
    Some(format!(
        "{} did not grant Direct Post, so it gets the video as a draft in its inbox \
         (the other targets' privacy and interaction choices do not apply to it).",
        name(target)
    ))
}

/// Whether the target's platform asks the user's consent for its options (TikTok's direct
/// posts): those targets are asked about their creator and shown the consent text.
fn asks(p: &Prepared) -> bool {
    p.target.0.rules().consent(&p.options).is_some()
}

/// One target's post being prepared.
struct Prepared {
    target: Target,
    options: PostOptions,
    /// The title was the caption's first line (YouTube), to say so.
    title_defaulted: bool,
    upload_ahead: bool,
}

/// Queue one post per target under one group: all of them, or none.
pub async fn schedule(
    ctx: &Ctx,
    args: ScheduleArgs,
    caption: String,
    at: DateTime<Utc>,
    zone: chrono_tz::Tz,
    targets: Vec<Target>,
) -> Result<()> {
    let mut platforms: Vec<Platform> = Vec::new();
    for (p, _) in &targets {
        if !platforms.contains(p) {
            platforms.push(*p);
        }
    }
    let has = |p: Platform| platforms.contains(&p);
    // A platform's flags with no target of that platform are a mistake, not a no-op.
    let tiktok_only = args.options.tiktok_only();
    if !tiktok_only.is_empty() && !has(Platform::TikTok) {
        return Err(Error::invalid(
            format!(
                "{} {} TikTok's, and no target is a TikTok account",
                tiktok_only.join(", "),
                if tiktok_only.len() == 1 { "is" } else { "are" }
            ),
            Some("drop them, or add a TikTok account with --account tiktok".into()),
        ));
    }
    let mut youtube_only = args.youtube.given();
    if args.youtube.upload_ahead {
        youtube_only.push("--upload-ahead");
    }
    if !youtube_only.is_empty() && !has(Platform::YouTube) {
        return Err(Error::invalid(
            format!(
                "{} {} YouTube's, and no target is a YouTube account",
                youtube_only.join(", "),
                if youtube_only.len() == 1 { "is" } else { "are" }
            ),
            Some("drop them, or add a YouTube account with --account youtube".into()),
        ));
    }
    refuse_other_platforms(&args.options.privacy_given, &platforms)?;
    // `--draft` makes every TikTok target a draft, which has no privacy: only another
    // platform's level may come with it.
    if args.options.draft
        && args.options.privacy_given.iter().any(|v| {
            v.split_once('=')
                .is_none_or(|(p, _)| p.parse::<Platform>().ok() == Some(Platform::TikTok))
        })
    {
        return Err(super::draft_with_privacy());
    }
    let mut privacy: BTreeMap<Platform, Option<String>> = BTreeMap::new();
    for &platform in &platforms {
        let word = privacy_for(
            &args.options.privacy_given,
            platform,
            &format!("the {} targets", platform.name()),
        )?;
        if let Some(w) = &word
            && check_privacy(platform, w).is_err()
        {
            let named: Vec<String> = targets
                .iter()
                .filter(|t| t.0 == platform)
                .map(name)
                .collect();
            let example = platforms
                .iter()
                .map(|p| match check_privacy(*p, w) {
                    Ok(()) => format!("--privacy {p}={w}"),
                    Err(_) => format!("--privacy {p}=LEVEL"),
                })
                .collect::<Vec<_>>()
                .join(" ");
            return Err(Error::invalid(
                format!(
                    "{}: `--privacy {w}` is not a {} privacy level",
                    named.join(", "),
                    platform.name()
                ),
                Some(format!("give each platform its own: {example}")),
            ));
        }
        privacy.insert(platform, word);
    }
    // Captions: each platform's own rules (length, hashtags), before the video is read.
    for &platform in &platforms {
        let first = targets.iter().find(|t| t.0 == platform).map(name);
        platform
            .rules()
            .build_caption(&caption, &args.caption.hashtags)
            .map_err(|e| about(&first.unwrap_or_default(), e))?;
    }
    let mut prepared = Vec::with_capacity(targets.len());
    let mut notes = Vec::new();
    for target in targets {
        let label = name(&target);
        let p = prepare(ctx, &args, &caption, at, &privacy, target, &mut notes)
            .map_err(|e| about(&label, e))?;
        prepared.push(p);
    }
    // The video is probed once and checked against every target's rules.
    let (media, source) = queue::check_media_open_with(&args.file, |info| {
        for p in &prepared {
            p.target
                .0
                .rules()
                .check_media(&args.file, info)
                .map_err(|e| about(&name(&p.target), e.into()))?;
        }
        Ok(())
    })?;
    for p in &prepared {
        let rules = p.target.0.rules();
        let check = || -> Result<()> {
            rules.check_mode(Some(&p.target.1), &p.options)?;
            if !p.options.privacy_pending() {
                rules.validate(&p.options, media.info.duration_ms)?;
            }
            Ok(())
        };
        check().map_err(|e| about(&name(&p.target), e))?;
    }
    // Everything that needs no platform nor prompt holds: now the interactive part, which
    // asks only what each target still needs.
    let mut store = ctx.store()?;
    let mut checks: Vec<Option<CreatorCheck>> = Vec::with_capacity(prepared.len());
    for p in &prepared {
        let check = if asks(p) {
            check_creator(
                ctx,
                &mut store,
                Some(&p.target.1),
                &p.options,
                media.info.duration_ms,
                &args.file,
            )
            .await
            .map_err(|e| about(&name(&p.target), e))?
        } else {
            None
        };
        checks.push(check);
    }
    // TikTok's spam rule, as `schedule` asks it for a single post: direct posts and drafts.
    for p in &prepared {
        if p.target.0 == Platform::TikTok {
            confirm_duplicate(
                ctx,
                &store,
                &media,
                Some(&p.target.1),
                at,
                zone,
                args.allow_duplicate,
            )?;
        }
    }
    consent(ctx, &args, &mut prepared, &checks)?;
    let mut news: Vec<NewPost> = Vec::with_capacity(prepared.len());
    for p in &prepared {
        let mut new = queue::build(
            p.target.0.rules(),
            media.clone(),
            &caption,
            &args.caption.hashtags,
            p.options.clone(),
            Some(&p.target.1),
            at,
            zone,
        )
        .map_err(|e| about(&name(&p.target), e))?;
        new.upload_ahead = p.upload_ahead;
        news.push(new);
    }
    // Each post gets its own copy: a copy belongs to one post (an edit with another video, or
    // a purge, deletes it), so a shared one could vanish under another target.
    let mut copies = Vec::new();
    if args.copy {
        for new in &mut news {
            match queue::copy_media(&ctx.paths, &source, new) {
                Ok(path) => copies.push(path),
                Err(e) => {
                    for c in &copies {
                        let _ = fs_err::remove_file(c);
                    }
                    return Err(e);
                }
            }
        }
    }
    let stored = match queue::store_videos(&mut store, &mut news, args.reference, ctx.now()) {
        Ok(stored) => stored,
        Err(e) => {
            for c in &copies {
                let _ = fs_err::remove_file(c);
            }
            return Err(e);
        }
    };
    let (group, ids) = match store.insert_group(&news, ctx.now()) {
        Ok(done) => done,
        Err(e) => {
            for c in &copies {
                let _ = fs_err::remove_file(c);
            }
            queue::drop_videos(&mut store, stored);
            return Err(e);
        }
    };
    let posts = ids
        .iter()
        .map(|id| store.post(*id))
        .collect::<Result<Vec<_>>>()?;
    for note in notes {
        ctx.out.note(&note);
    }
    for (p, post) in prepared.iter().zip(&posts) {
        if let Some(o) = post.options.youtube() {
            if p.title_defaulted {
                ctx.out.note(&format!(
                    "Title for {} (the caption's first line; --title sets another): {}",
                    name(&p.target),
                    o.title
                ));
            }
            let format = youtube::video_format(&post.media);
            ctx.out.note(&format!(
                "For {}, YouTube will make it {}{}.",
                name(&p.target),
                format.describe(),
                if format == youtube::VideoFormat::Video {
                    ", not a Short (a Short is vertical and at most 3 minutes)"
                } else {
                    ""
                }
            ));
            if let Some(warning) = youtube::rules::length_warning(post.media.duration_ms) {
                ctx.out.warn(&warning);
            }
        }
        if post.options.mode() == Mode::Draft
            && post.options.tiktok().is_some()
            && !post.caption.is_empty()
        {
            ctx.out.note(&format!(
                "{} gets a draft, which carries no caption: postez keeps it and prints it when \
                 the draft reaches the inbox (and in `postez show`), to paste in the app.",
                name(&p.target)
            ));
        }
    }
    if has(Platform::YouTube) {
        // The posts are queued already: a warning that cannot be counted is no reason to fail.
        // Counted by the day each upload is made (an upload ahead's is the next run's).
        let days: Vec<_> = posts
            .iter()
            .filter(|p| p.options.youtube().is_some())
            .map(|p| p.due_at)
            .collect();
        let quota = youtube::quota::warnings(&store, ctx.config()?, &days, ctx.now());
        for warning in quota.unwrap_or_default() {
            ctx.out.warn(&warning);
        }
    }
    warn_if_no_runner(ctx, &store);
    if ctx.out.json() {
        ctx.out.print_json(&serde_json::json!({
            "group": group.to_string(),
            "posts": posts.iter().map(|p| p.to_json()).collect::<Vec<_>>(),
        }));
    } else {
        ctx.out.stdout_line(&format!(
            "Scheduled group {group}: {} → {} posts at {}",
            file_label(&args.file.to_string_lossy()),
            posts.len(),
            postez::when::describe(at, zone, ctx.now())
        ));
        for (p, post) in prepared.iter().zip(&posts) {
            ctx.out.stdout_line(&format!(
                "  post {} → {} as {}",
                post.id,
                post.platform,
                p.target.1.name()
            ));
        }
    }
    Ok(())
}

/// One target's options, from the shared flags and its platform's.
fn prepare(
    ctx: &Ctx,
    args: &ScheduleArgs,
    caption: &str,
    at: DateTime<Utc>,
    privacy: &BTreeMap<Platform, Option<String>>,
    target: Target,
    notes: &mut Vec<String>,
) -> Result<Prepared> {
    let word = privacy.get(&target.0).cloned().flatten();
    match target.0 {
        Platform::TikTok => {
            let mut flags = args.options.clone();
            flags.privacy = word;
            let mut options = flags.to_options()?;
            notes.extend(draft_if_no_direct(&target, &mut options));
            Ok(Prepared {
                target,
                options,
                title_defaulted: false,
                upload_ahead: false,
            })
        }
        Platform::YouTube => {
            let rules = target.0.rules();
            let privacy: Visibility = match word {
                Some(p) => p.parse()?,
                None if ctx.out.can_prompt() => ctx
                    .out
                    .ask_text(&format!(
                        "Who can see it on {} (public, unlisted, private)?",
                        name(&target)
                    ))?
                    .trim()
                    .parse()?,
                None => {
                    return Err(Error::invalid(
                        "a YouTube video needs a privacy, and postez chooses none for you",
                        Some(
                            "add --privacy youtube=public (or unlisted, private), or a plain \
                             --privacy every target takes"
                                .into(),
                        ),
                    ));
                }
            };
            let made_for_kids = match args.youtube.made_for_kids {
                Some(k) => k == YesNo::Yes,
                None if ctx.out.can_prompt() => ctx.out.confirm(&format!(
                    "YouTube requires the audience choice: is it made for kids ({})?",
                    name(&target)
                ))?,
                None => {
                    return Err(Error::invalid(
                        "YouTube requires the audience choice for every video: is it made for kids?",
                        Some("add --made-for-kids yes or --made-for-kids no".into()),
                    ));
                }
            };
            let (options, title_defaulted) =
                args.youtube
                    .options(caption, args.options.ai_generated, privacy, made_for_kids)?;
            rules.validate(&options, None)?;
            let asked = args.youtube.upload_ahead_asked();
            let setting = ctx.config()?.youtube_upload_ahead();
            let (upload_ahead, _) =
                queue::upload_ahead(rules, &options, asked, setting, at, ctx.now())?;
            Ok(Prepared {
                target,
                options,
                title_defaulted,
                upload_ahead,
            })
        }
    }
}

/// The consent step: each platform's consent text once, each target's missing privacy asked
/// on a terminal (from its creator's own levels), and one confirmation for all; without a
/// terminal, the flags that are missing are named.
fn consent(
    ctx: &Ctx,
    args: &ScheduleArgs,
    prepared: &mut [Prepared],
    checks: &[Option<CreatorCheck>],
) -> Result<()> {
    let needing: Vec<usize> = (0..prepared.len())
        .filter(|i| asks(&prepared[*i]))
        .collect();
    if needing.is_empty() {
        return Ok(());
    }
    if !ctx.out.can_prompt() {
        let privacy_missing = needing
            .iter()
            .any(|i| prepared[*i].options.privacy_pending());
        let missing: Vec<&str> = [
            privacy_missing.then_some("--privacy LEVEL"),
            (!args.yes).then_some("--yes"),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !missing.is_empty() {
            let first = &prepared[needing[0]];
            let agreement = first.target.0.rules().consent_name();
            return Err(Error::NeedsFlag {
                message: format!(
                    "{}: a direct post needs a privacy level and your consent to {agreement}, and there is no terminal to ask on",
                    needing
                        .iter()
                        .map(|i| name(&prepared[*i].target))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                hint: format!("add {}", missing.join(" and ")),
            });
        }
    }
    for &i in &needing {
        let p = &mut prepared[i];
        if let Some(check) = &checks[i] {
            show_creator(ctx, check, &p.options);
        }
        if p.options.privacy_pending() {
            let creator = checks[i].as_ref().and_then(CreatorCheck::creator);
            let branded = p.options.tiktok().is_some_and(|o| o.branded_content);
            let choices = creator::privacy_choices(creator, branded);
            ctx.out.note(&format!("For {}:", name(&p.target)));
            let privacy = ctx.out.select_privacy(&choices)?;
            if let PostOptions::TikTok(o) = &mut p.options {
                o.privacy = Some(privacy);
            }
        }
    }
    let mut shown: Vec<&str> = Vec::new();
    for &i in &needing {
        if let Some(text) = prepared[i].target.0.rules().consent(&prepared[i].options)
            && !shown.contains(&text)
        {
            ctx.out.note(text);
            shown.push(text);
        }
    }
    ctx.out.note(PROCESSING_NOTE);
    if !args.yes && !ctx.out.confirm("Agree and queue the posts?")? {
        return Err(Error::Aborted);
    }
    Ok(())
}
