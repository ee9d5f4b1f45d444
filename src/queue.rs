//! Turning what the user asked for into a validated [`NewPost`]: the time, the caption, the media
//! preflight and fingerprint, and the account, checked by the post's platform's [`Rules`].
//! `schedule`, `edit` and `import` all go through here, so a post is checked the same way however
//! it enters the queue. Nothing here writes to the database.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::env::Paths;
use crate::error::{Error, Result};
use crate::media::{self, Fingerprint, MediaInfo, Stamp, Video};
use crate::post::{NewPost, PostOptions};
use crate::provider::{Platform, Rules};
use crate::store::{Account, AccountState, Store};

/// The platform every post goes to until a second one exists.
pub const PLATFORM: &str = "tiktok";

/// The platform new posts go to ([`PLATFORM`]), whose rules check them.
pub fn platform() -> Platform {
    Platform::TikTok
}

/// A video that passed the preflight.
#[derive(Debug, Clone)]
pub struct CheckedMedia {
    /// Absolute path.
    pub path: PathBuf,
    /// Container and streams.
    pub info: MediaInfo,
    /// For `run` to notice a changed file.
    pub fingerprint: Fingerprint,
}

/// The open handle a [`CheckedMedia`] was read through, for `--copy` to copy from.
#[derive(Debug)]
pub struct OpenMedia {
    video: Video,
    /// The handle's stamp while it was checked: a copy compares it again.
    stamp: Stamp,
}

/// Probe `file`, check it against the limits of `rules`' platform and fingerprint it.
pub fn check_media(file: &Path, rules: &dyn Rules) -> Result<CheckedMedia> {
    Ok(check_media_open(file, rules)?.0)
}

/// [`check_media`], keeping the handle. Probe, check and fingerprint all read through one open
/// handle, once the file is no longer being written (see `media::Video`): the fingerprint is then
/// of the very bytes that were probed.
pub fn check_media_open(file: &Path, rules: &dyn Rules) -> Result<(CheckedMedia, OpenMedia)> {
    check_media_open_with(file, |info| Ok(rules.check_media(file, info)?))
}

/// [`check_media_open`] with the caller's check of the probed video: a cross-post probes the
/// video once and checks it against every target's rules, naming the target that refuses it.
pub fn check_media_open_with(
    file: &Path,
    check: impl Fn(&MediaInfo) -> Result<()>,
) -> Result<(CheckedMedia, OpenMedia)> {
    let video = Video::open(file)?;
    let stamp = video.settle()?;
    let info = video.probe()?;
    check(&info)?;
    let fingerprint = video.fingerprint()?;
    video.unchanged_since(&stamp)?;
    // Absolute, so that cron (with another working folder) finds the same file.
    let path = fs_err::canonicalize(file)?;
    Ok((
        CheckedMedia {
            path,
            info,
            fingerprint,
        },
        OpenMedia { video, stamp },
    ))
}

/// The most a caption or import file may hold: far more than any real one, and a bound for
/// endless sources such as `/dev/zero`.
const MAX_TEXT_FILE: u64 = 64 * 1024 * 1024;

/// Read a caption file, which must be UTF-8 text.
pub fn read_caption_file(path: &Path) -> Result<String> {
    let unreadable = |e: std::io::Error| {
        Error::invalid(
            format!(
                "could not read the caption file `{}`: {}",
                path.display(),
                io_reason(&e)
            ),
            Some("check the path given to --caption-file".into()),
        )
    };
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(
        &mut std::io::Read::take(
            fs_err::File::open(path).map_err(unreadable)?,
            MAX_TEXT_FILE + 1,
        ),
        &mut bytes,
    )
    .map_err(unreadable)?;
    if bytes.len() as u64 > MAX_TEXT_FILE {
        return Err(Error::invalid(
            format!(
                "`{}` is larger than {} MiB: not a caption",
                path.display(),
                MAX_TEXT_FILE / 1024 / 1024
            ),
            Some("give a text file".into()),
        ));
    }
    String::from_utf8(bytes).map_err(|_| {
        Error::invalid(
            format!("the caption file `{}` is not UTF-8 text", path.display()),
            Some("save it as UTF-8, e.g. `iconv -t UTF-8 in.txt > out.txt`".into()),
        )
    })
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "it does not exist".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        std::io::ErrorKind::IsADirectory => "it is a folder".into(),
        _ => e.kind().to_string(),
    }
}

/// Parse `--at` in `zone`; the result is never before `now`.
pub fn resolve_time(at: &str, zone: Tz, now: DateTime<Utc>) -> Result<DateTime<Utc>> {
    Ok(crate::when::parse(at, now, zone)?)
}

/// Pick the account for a post: `--account` by row id, open id or name; else the only one; else
/// the `default_account` setting. With no account connected yet, none (the platform's default
/// account at publish time).
pub fn resolve_account(
    store: &Store,
    name: Option<&str>,
    default: Option<&str>,
) -> Result<Option<Account>> {
    resolve_account_of(store, platform(), name, default)
}

/// The platform and account a new post goes to, from `--account`: `platform:name`, a
/// platform's id (its only account, or none yet), or an account's id or name (TikTok's first, as
/// before there were others, then the other platforms'). Without it, TikTok's default account.
pub fn resolve_target(
    store: &Store,
    name: Option<&str>,
    default: Option<&str>,
) -> Result<(Platform, Option<Account>)> {
    let Some(name) = name else {
        return Ok((platform(), resolve_account(store, None, default)?));
    };
    if let Some((prefix, rest)) = name.split_once(':')
        && let Ok(target) = prefix.parse::<Platform>()
    {
        return Ok((target, resolve_account_of(store, target, Some(rest), None)?));
    }
    if let Ok(target) = name.parse::<Platform>() {
        let default = default.filter(|_| target == platform());
        return Ok((target, resolve_account_of(store, target, None, default)?));
    }
    // A bare name is looked up on every platform: one that names accounts on two is refused
    // rather than guessed (a purge of the wrong one cannot be undone).
    let mut found = Vec::new();
    let mut missing = None;
    for target in Platform::ALL {
        match resolve_account_of(store, target, Some(name), None) {
            Ok(account) => found.push((target, account)),
            Err(e @ Error::NoSuchAccount { .. }) => {
                if target == platform() {
                    missing = Some(e);
                }
            }
            Err(e) => return Err(e),
        }
    }
    match found.len() {
        0 => Err(missing.unwrap_or_else(|| Error::NoSuchAccount {
            name: name.to_string(),
            known: Vec::new(),
        })),
        1 => Ok(found.remove(0)),
        _ => Err(Error::invalid(
            format!(
                "`{name}` names accounts on {}",
                found
                    .iter()
                    .map(|(p, _)| p.name())
                    .collect::<Vec<_>>()
                    .join(" and ")
            ),
            Some(format!(
                "say which: {}",
                found
                    .iter()
                    .map(|(p, _)| format!("`{p}:{name}`"))
                    .collect::<Vec<_>>()
                    .join(" or ")
            )),
        )),
    }
}

/// The connected account `--account NAME` names, on whichever platform ([`resolve_target`]:
/// `platform:name` disambiguates); `NotConnected` for a platform's id with no account.
pub fn find_account(store: &Store, name: &str) -> Result<Account> {
    let (platform, account) = resolve_target(store, Some(name), None)?;
    account.ok_or_else(|| Error::NotConnected {
        platform: platform.to_string(),
    })
}

/// [`resolve_account`] among the accounts of `platform` (`disconnect youtube`).
pub fn resolve_account_of(
    store: &Store,
    platform: Platform,
    name: Option<&str>,
    default: Option<&str>,
) -> Result<Option<Account>> {
    let accounts: Vec<Account> = store
        .accounts()?
        .into_iter()
        .filter(|a| a.platform == platform && a.state != AccountState::Disconnected)
        .collect();
    let known = || accounts.iter().map(Account::label).collect::<Vec<_>>();
    let find = |name: &str| {
        accounts
            .iter()
            .find(|a| {
                a.id.to_string() == name
                    || a.remote_id == name
                    || [&a.username, &a.display_name, &a.nickname]
                        .into_iter()
                        .flatten()
                        .any(|n| n.eq_ignore_ascii_case(name.trim_start_matches('@')))
            })
            .cloned()
            .ok_or_else(|| Error::NoSuchAccount {
                name: name.to_string(),
                known: known(),
            })
    };
    match (name, accounts.len(), default) {
        (Some(name), _, _) => find(name).map(Some),
        (None, 0, _) => Ok(None),
        (None, 1, _) => Ok(accounts.first().cloned()),
        (None, _, Some(default)) => find(default).map(Some),
        (None, _, None) => Err(Error::AmbiguousAccount {
            platform: platform.to_string(),
            known: known(),
        }),
    }
}

/// How close two posts of the same video to the same account may be before postez asks: TikTok
/// treats a video posted again soon after as spam (its "duplicate content" rule), so within a
/// day a repeat is almost always a mistake (issue 10).
pub const DUPLICATE_WINDOW: chrono::Duration = chrono::Duration::hours(24);

/// Other posts of the video with `fingerprint` for the same account (`None`: posts waiting
/// for one), scheduled within [`DUPLICATE_WINDOW`] of `at`, not cancelled or failed.
pub fn duplicates(
    store: &Store,
    fingerprint: &Fingerprint,
    account_id: Option<i64>,
    at: DateTime<Utc>,
) -> Result<Vec<crate::post::Post>> {
    Ok(store
        .posts_of_video(&fingerprint.sample_sha256, account_id)?
        .into_iter()
        .filter(|p| (p.scheduled_at - at).abs() < DUPLICATE_WINDOW)
        .collect())
}

/// The rows of a batch (`import`) that repeat a video for the same account within
/// [`DUPLICATE_WINDOW`] of a queued post or of an earlier row, in row order, as
/// "row N repeats post M" or "row N repeats row M" (rows 1-based). One query per distinct video
/// and account, and a sorted map per group: a 100 000-row import stays linear.
pub fn repeats(store: &Store, posts: &[NewPost]) -> Result<Vec<String>> {
    use std::collections::{BTreeMap, HashMap};
    let mut groups: HashMap<(&str, Option<i64>), Vec<usize>> = HashMap::new();
    // TikTok's spam rule: `schedule` asks about repeats for TikTok posts only, and so does this.
    for (i, p) in posts
        .iter()
        .enumerate()
        .filter(|(_, p)| p.options.platform() == Platform::TikTok)
    {
        groups
            .entry((p.fingerprint.sample_sha256.as_str(), p.account_id))
            .or_default()
            .push(i);
    }
    let mut found = Vec::new();
    for ((hash, account), rows) in groups {
        let mut queued: Vec<(DateTime<Utc>, i64)> = store
            .posts_of_video(hash, account)?
            .iter()
            .map(|p| (p.scheduled_at, p.id))
            .collect();
        queued.sort_unstable();
        let mut earlier: BTreeMap<DateTime<Utc>, usize> = BTreeMap::new();
        for i in rows {
            let at = posts[i].scheduled_at;
            let near = |t: DateTime<Utc>| (t - at).abs() < DUPLICATE_WINDOW;
            let first = queued.partition_point(|(t, _)| *t <= at - DUPLICATE_WINDOW);
            if let Some((_, id)) = queued.get(first).filter(|(t, _)| near(*t)) {
                found.push((i, format!("row {} repeats post {id}", i + 1)));
            } else if let Some((_, j)) = earlier
                .range(at - DUPLICATE_WINDOW..)
                .find(|(t, _)| near(**t))
            {
                found.push((i, format!("row {} repeats row {}", i + 1, j + 1)));
            }
            earlier.insert(at, i);
        }
    }
    found.sort_unstable();
    Ok(found.into_iter().map(|(_, text)| text).collect())
}

/// Assemble a post from its parts and validate it by `rules` (its platform's).
#[allow(clippy::too_many_arguments)]
pub fn build(
    rules: &dyn Rules,
    media: CheckedMedia,
    caption_text: &str,
    hashtags: &[String],
    options: PostOptions,
    account: Option<&Account>,
    scheduled_at: DateTime<Utc>,
    zone: Tz,
) -> Result<NewPost> {
    let caption = rules.build_caption(caption_text, hashtags)?;
    rules.check_mode(account, &options)?;
    rules.validate(&options, media.info.duration_ms)?;
    Ok(NewPost {
        platform: rules.platform().as_str().into(),
        account_id: account.map(|a| a.id),
        file: media.path.to_string_lossy().into_owned(),
        copied: false,
        media: media.info,
        fingerprint: media.fingerprint,
        caption,
        options,
        scheduled_at,
        timezone: zone.name().to_string(),
        upload_ahead: false,
        media_id: None,
    })
}

/// Whether a new post is uploaded ahead ([`NewPost::upload_ahead`]), and whether a request
/// for it was overruled by its time. `asked` is the flag or import column: `Some(true)`
/// insists, refused for a post the platform cannot hold; `Some(false)` declines; `None` lets
/// the setting apply to the posts it can. A time closer than the platform's margin is uploaded
/// the normal way (the platform would publish it at once anyway).
pub fn upload_ahead(
    rules: &dyn Rules,
    options: &PostOptions,
    asked: Option<bool>,
    setting: bool,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(bool, bool)> {
    let wanted = match asked {
        Some(true) => {
            rules.check_upload_ahead(options)?;
            true
        }
        Some(false) => false,
        None => setting && rules.check_upload_ahead(options).is_ok(),
    };
    let too_close = !rules.can_hold_until(at, now);
    Ok((
        wanted && !too_close,
        wanted && too_close && asked == Some(true),
    ))
}

/// The name is one [`copy_media`] gives a copy (`<12 hex>-<8 hex>.<container>`, or `.part`
/// while it is written): how `purge` tells postez's copies from other files in the folder.
pub fn is_copy_name(name: &str) -> bool {
    let Some((stem, ext)) = name.rsplit_once('.') else {
        return false;
    };
    let hex = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
    let known = [
        media::Container::Mp4,
        media::Container::Mov,
        media::Container::Webm,
    ]
    .map(media::Container::as_str);
    matches!(stem.split_once('-'), Some((a, b)) if (hex(a, 12) || a == "video") && hex(b, 8))
        && (ext == "part" || known.contains(&ext))
}

/// Keep a private copy of the post's video in the data folder (`--copy`), so that moving or
/// editing the original cannot break the post. Returns the copy's path for clean-up on failure.
///
/// The copy is read from the handle `post`'s media was checked through, never from the path
/// again, and kept only if it is the checked video: the source was not written to while it was read (its
/// stamp), and the copy, which no one else can write, probes and fingerprints like the source
/// did. Otherwise the copy is removed and the file is refused as changed while being read.
pub fn copy_media(paths: &Paths, source: &OpenMedia, post: &mut NewPost) -> Result<PathBuf> {
    let dir = paths.media_dir();
    crate::env::ensure_private_dir(&dir)?;
    let ext = post.media.container.as_str();
    // Name by fingerprint and a random suffix: readable in `ls`, never colliding.
    let name = format!(
        "{}-{:08x}.{ext}",
        &post.fingerprint.sample_sha256.get(..12).unwrap_or("video"),
        rand::random::<u32>()
    );
    let target = dir.join(name);
    let tmp = target.with_extension("part");
    let copied = write_copy(source, post, &tmp);
    let fingerprint = match copied {
        Ok(fingerprint) => fingerprint,
        Err(e) => {
            let _ = fs_err::remove_file(&tmp);
            return Err(e);
        }
    };
    fs_err::rename(&tmp, &target)?;
    post.fingerprint = fingerprint;
    post.file = target.to_string_lossy().into_owned();
    post.copied = true;
    Ok(target)
}

/// Copy `source` to `tmp` (new, private) and verify it against what `post` says was checked;
/// the copy's fingerprint.
fn write_copy(source: &OpenMedia, post: &NewPost, tmp: &Path) -> Result<Fingerprint> {
    let mut out = fs_err::File::create_new(tmp)?;
    crate::env::make_private(tmp)?;
    let changed = || {
        Error::from(media::MediaError::Changed {
            path: source.video.path().to_owned(),
        })
    };
    // The source shrank under us: the same as any other change while reading.
    match source.video.copy_to(out.file_mut(), post.fingerprint.size) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Err(changed()),
        Err(e) => return Err(e.into()),
    }
    drop(out);
    source.video.unchanged_since(&source.stamp)?;
    let copy = Video::open(tmp)?;
    let fingerprint = copy.fingerprint()?;
    let same = fingerprint.size == post.fingerprint.size
        && fingerprint.sample_sha256 == post.fingerprint.sample_sha256
        && copy.probe().is_ok_and(|info| info == post.media);
    if same {
        Ok(fingerprint)
    } else {
        Err(changed())
    }
}

/// Shared mode: send each distinct video of `posts` into the shared queue once and point the
/// posts at it, so any runner can publish them; `reference` keeps only the path (for teams whose
/// runners all see the same files; the fingerprint check still applies). On the embedded queue
/// nothing is sent. Returns the stored videos, for [`drop_videos`] if the posts are not queued.
/// Give it every post of a command at once (`import`: all its batches): a file is sent once
/// however many posts use it (100 000 rows of one clip sent it 100 000 times, each copy then
/// dropped as a repeat by its checksum).
pub fn store_videos<'a>(
    store: &mut Store,
    posts: impl IntoIterator<Item = &'a mut NewPost>,
    reference: bool,
    now: DateTime<Utc>,
) -> Result<Vec<i64>> {
    if !store.is_shared() || reference {
        return Ok(Vec::new());
    }
    let mut sent: std::collections::HashMap<String, i64> = std::collections::HashMap::new();
    for post in posts {
        let id = match sent.get(&post.file) {
            Some(id) => *id,
            None => {
                let id = crate::media::stored::store(
                    store,
                    std::path::Path::new(&post.file),
                    &post.fingerprint,
                    now,
                )
                .inspect_err(|_| drop_videos(store, sent.values().copied()))?;
                sent.insert(post.file.clone(), id);
                id
            }
        };
        post.media_id = Some(id);
    }
    Ok(sent.into_values().collect())
}

/// Drop videos [`store_videos`] sent for posts that were not queued after all (best effort: a
/// video no post uses is dropped by a later run anyway).
pub fn drop_videos(store: &mut Store, ids: impl IntoIterator<Item = i64>) {
    for id in ids {
        let _ = store.media_abort(id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tests::{now, sample_post};

    #[test]
    fn new_posts_go_to_the_platform_they_are_named_for() {
        assert_eq!(platform().as_str(), PLATFORM);
        assert_eq!(platform().rules().platform(), platform());
    }

    #[test]
    fn repeats_within_a_day_are_found_against_the_queue_and_earlier_rows() {
        let mut store = Store::open_in_memory().unwrap();
        let queued = store.insert_posts(&[sample_post(now())], now()).unwrap()[0];
        let hour = chrono::Duration::hours(1);
        let at = |h: i64| now() + hour * i32::try_from(h).unwrap();
        let mut other = sample_post(at(30));
        other.fingerprint.sample_sha256 = "another video".into();
        let rows = [
            sample_post(at(2)),  // near the queued post
            sample_post(at(30)), // far from it, first of its day
            sample_post(at(40)), // near row 2
            other,               // another video: never a repeat
            sample_post(at(70)), // a day and more after everything
        ];
        assert_eq!(
            repeats(&store, &rows).unwrap(),
            [
                format!("row 1 repeats post {queued}"),
                "row 3 repeats row 2".to_string()
            ]
        );
    }
}

/// Where per-platform values (`tiktok=SELF_ONLY`) were written, so that a message names what
/// the user typed: `schedule`'s repeatable flag or an import row's column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Given {
    /// A repeatable flag, e.g. `--privacy`.
    Flag(&'static str),
    /// An import column, e.g. `privacy` (values separated by `;`).
    Column(&'static str),
}

impl Given {
    fn show(self, value: &str) -> String {
        match self {
            Self::Flag(flag) => format!("`{flag} {value}`"),
            Self::Column(column) => format!("`{value}` in `{column}`"),
        }
    }
}

/// The value of per-platform `given` values for a post of `platform`: a `PLATFORM=VALUE` of its
/// platform wins over a plain value; another platform's is skipped, and two values for one
/// platform are refused (`what` names the post or target in the message).
pub fn value_for(
    given: &[String],
    platform: Platform,
    what: &str,
    source: Given,
) -> Result<Option<String>> {
    let mut plain = None;
    let mut own = None;
    for value in given {
        let (slot, word) = match value.split_once('=') {
            Some((p, word)) if p.trim().parse::<Platform>().ok() == Some(platform) => {
                (&mut own, word.trim())
            }
            Some(_) => continue,
            None => (&mut plain, value.trim()),
        };
        if slot.replace(word.to_string()).is_some() {
            let name = match source {
                Given::Flag(flag) => flag,
                Given::Column(column) => column,
            };
            return Err(Error::invalid(
                format!("{name} is given twice for {what}"),
                Some(format!(
                    "give one plain value, or one `{platform}=VALUE` per platform"
                )),
            ));
        }
    }
    Ok(own.or(plain))
}

/// Refuse a `PLATFORM=VALUE` for a platform none of the targets (`platforms`) is on: a value
/// meant for a target that is not there is a mistake, not a no-op.
pub fn refuse_other_platforms(
    given: &[String],
    platforms: &[Platform],
    source: Given,
) -> Result<()> {
    for value in given {
        if let Some((p, _)) = value.split_once('=')
            && let Ok(platform) = p.trim().parse::<Platform>()
            && !platforms.contains(&platform)
        {
            let add = match source {
                Given::Flag(_) => format!("with --account {platform}"),
                Given::Column(_) => format!("to the row's `account` ({platform})"),
            };
            return Err(Error::invalid(
                format!(
                    "{} is for {}, and no target is a {} account",
                    source.show(value),
                    platform.name(),
                    platform.name()
                ),
                Some(format!(
                    "drop it, or add a {} account {add}",
                    platform.name()
                )),
            ));
        }
    }
    Ok(())
}
