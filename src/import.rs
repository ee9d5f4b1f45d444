//! Bulk import's file formats: the text of a CSV or JSON file (or `postez export`'s document)
//! turned into rows, and each row's fields (platform, privacy, flags, cover time, hashtags,
//! YouTube's title, audience and tags, zone) checked, and where a row's video may be
//! ([`resolve_file`]). Times, videos and accounts are checked by the caller (`postez import`),
//! which needs the clock, the disk and the queue. Input is untrusted user text: every failure is
//! an [`Error`] naming the row, never a panic.

use std::path::{Path, PathBuf};

use chrono_tz::Tz;
use serde::Deserialize;

use crate::error::{Error, Result};
use crate::post::{Mode, PostOptions, Privacy};
use crate::provider::Platform;
use crate::provider::tiktok::TikTokOptions;
use crate::provider::youtube::{Visibility, YouTubeOptions};

/// The two formats `postez import` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A header line, then one post per line.
    Csv,
    /// An array of objects.
    Json,
}

impl Format {
    /// The format a file's extension names (case-insensitive), if any.
    pub fn of(path: &Path) -> Option<Self> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" => Some(Self::Csv),
            "json" => Some(Self::Json),
            _ => None,
        }
    }
}

/// One row, as written by the user.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Row {
    /// The video, relative to the import file's folder.
    pub file: String,
    /// When, as `--at` takes it.
    pub at: String,
    /// Caption text.
    #[serde(default)]
    pub caption: Option<String>,
    /// Hashtags added to the caption (see [`Tags`]).
    #[serde(default)]
    pub hashtags: Option<Tags>,
    /// Privacy level.
    #[serde(default)]
    pub privacy: Option<String>,
    /// Send to the inbox instead.
    #[serde(default)]
    pub draft: Option<Flag>,
    /// Comments allowed.
    #[serde(default)]
    pub allow_comments: Option<Flag>,
    /// Duets allowed.
    #[serde(default)]
    pub allow_duet: Option<Flag>,
    /// Stitches allowed.
    #[serde(default)]
    pub allow_stitch: Option<Flag>,
    /// Cover frame in milliseconds.
    #[serde(default)]
    pub cover_at: Option<Number>,
    /// Own brand.
    #[serde(default)]
    pub brand_organic: Option<Flag>,
    /// Paid partnership.
    #[serde(default)]
    pub branded_content: Option<Flag>,
    /// AI-generated label.
    #[serde(default)]
    pub ai_generated: Option<Flag>,
    /// Account name.
    #[serde(default)]
    pub account: Option<String>,
    /// Zone of `at`.
    #[serde(default)]
    pub tz: Option<String>,
    /// The platform (`tiktok`, `youtube`): with `account`, `platform:account`; alone, its only
    /// account.
    #[serde(default)]
    pub platform: Option<String>,
    /// YouTube: the title (default: the caption's first line).
    #[serde(default)]
    pub title: Option<String>,
    /// YouTube: made for kids (required for YouTube rows).
    #[serde(default)]
    pub made_for_kids: Option<Flag>,
    /// YouTube: category id.
    #[serde(default)]
    pub category: Option<String>,
    /// YouTube: notify subscribers (default yes).
    #[serde(default)]
    pub notify: Option<Flag>,
    /// YouTube: tags, a JSON array or text separated by commas (a tag may hold spaces).
    #[serde(default)]
    pub tags: Option<Tags>,
    /// YouTube: upload ahead and let YouTube publish it at its time (empty: the setting
    /// `youtube_upload_ahead` decides, as without `--upload-ahead`).
    #[serde(default)]
    pub upload_ahead: Option<Flag>,
    /// Rows with the same value here are queued as one new group (cross-posting, issue 13), as
    /// `postez export` writes a group's posts (`g7`); any text works, it only ties rows.
    #[serde(default)]
    pub group: Option<String>,
}

/// What separates several accounts in `account` (and per-platform values in `privacy`): not a
/// comma, so that a CSV cell needs no quotes; not `:` or `=`, which join a platform to its
/// account or value. The names `postez accounts` lists (usernames, handles, ids) never hold
/// it; a display name that does is named by its username or id instead.
pub const SEPARATOR: char = ';';

/// Hashtags: a JSON array, or text separated by spaces or commas.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Tags {
    /// `["food", "dinner"]`
    List(Vec<String>),
    /// `food dinner` or `food,dinner`
    Text(String),
}

/// A boolean: JSON true/false, or text (true/false, yes/no, 1/0, empty).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Flag {
    /// JSON boolean.
    Bool(bool),
    /// Text (a CSV cell): `true`/`false`, `yes`/`no`, `1`/`0`, or empty for false.
    Text(String),
}

/// A number, or text holding one (CSV).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Number {
    /// JSON number.
    Int(u32),
    /// Text holding a number (a CSV cell).
    Text(String),
}

/// Whether a flag column holds a value (an empty CSV cell is no value).
fn given_flag(value: &Option<Flag>) -> bool {
    match value {
        None => false,
        Some(Flag::Bool(_)) => true,
        Some(Flag::Text(t)) => !t.trim().is_empty(),
    }
}

/// The end of a message refusing a platform's columns: "this is a TikTok post" for a row with
/// one platform, "no target is a YouTube account" for a row with several.
fn no_target(platforms: &[Platform], whose: &str) -> String {
    match platforms {
        [one] => format!("this is a {} post", one.name()),
        _ => format!("no target is a {whose} account"),
    }
}

/// "is" or "are", for a phrase of column names.
fn plural(names: &str) -> &'static str {
    if names.contains(',') { "are" } else { "is" }
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

/// Parse the text of an import file; `name` (the file's path) is quoted in errors. A JSON
/// file may also be `postez export`'s document: its scheduled posts are the rows.
pub fn parse_rows(text: &str, format: Format, name: &str) -> Result<Vec<Row>> {
    match format {
        Format::Json if is_export(text) => export_rows(text, name),
        Format::Json => serde_json::from_str(text).map_err(|e| {
            Error::invalid(
                format!("`{name}` is not a JSON array of posts: {e}"),
                Some("each post is an object with at least \"file\" and \"at\"".into()),
            )
        }),
        Format::Csv => {
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
                        format!("row {} of `{name}`: {detail}", i + 1),
                        Some("the header needs `file` and `at`; see `postez import --help`".into()),
                    )
                })?);
            }
            Ok(rows)
        }
    }
}

/// Whether `text` is `postez export`'s document (an object naming its format).
fn is_export(text: &str) -> bool {
    #[derive(Deserialize)]
    struct Head {
        format: String,
    }
    serde_json::from_str::<Head>(text).is_ok_and(|h| h.format == crate::export::FORMAT)
}

/// The rows of an export document: its posts still scheduled (published, failed and
/// cancelled ones are history, not plans), each with the fields `schedule` took, so that
/// export → import queues the same posts again. The caption already holds its hashtags.
fn export_rows(text: &str, name: &str) -> Result<Vec<Row>> {
    let doc: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| Error::invalid(format!("`{name}` is not a postez export: {e}"), None))?;
    let posts = doc["posts"].as_array().cloned().unwrap_or_default();
    let text = |v: &serde_json::Value| v.as_str().map(str::to_string);
    let flag = |v: &serde_json::Value| v.as_bool().map(Flag::Bool);
    Ok(posts
        .iter()
        .filter(|p| p["state"] == "scheduled")
        .map(|p| {
            // The account as `platform:label`, so a name two platforms share is not guessed.
            let account = match (text(&p["platform"]), text(&p["account"])) {
                (Some(platform), Some(label)) => Some(format!("{platform}:{label}")),
                _ => None,
            };
            Row {
                file: text(&p["file"]).unwrap_or_default(),
                at: text(&p["scheduled_at"]).unwrap_or_default(),
                caption: text(&p["caption"]),
                hashtags: None,
                privacy: text(&p["privacy"]),
                draft: Some(Flag::Bool(p["mode"] == "draft")),
                allow_comments: flag(&p["allow_comments"]),
                allow_duet: flag(&p["allow_duet"]),
                allow_stitch: flag(&p["allow_stitch"]),
                cover_at: p["cover_at_ms"]
                    .as_u64()
                    .and_then(|n| u32::try_from(n).ok())
                    .map(Number::Int),
                brand_organic: flag(&p["brand_organic"]),
                branded_content: flag(&p["branded_content"]),
                ai_generated: flag(&p["ai_generated"]),
                account,
                tz: text(&p["timezone"]),
                platform: text(&p["platform"]),
                title: text(&p["title"]),
                made_for_kids: flag(&p["made_for_kids"]),
                category: text(&p["category"]),
                notify: flag(&p["notify"]),
                tags: p["tags"]
                    .as_array()
                    .map(|tags| Tags::List(tags.iter().filter_map(&text).collect())),
                upload_ahead: flag(&p["upload_ahead"]),
                group: text(&p["group"]),
            }
        })
        .collect())
}

/// Where a row's video is: `file` relative to `base`, the import file's folder (canonical), with
/// `..` and symbolic links resolved.
///
/// Rows may come from someone else (a shared sheet, a download) and `--yes` shows nothing, so a
/// path that leads outside `base` is refused unless `allow_outside`: a batch cannot pick up any
/// video on the disk unseen (issue 15). A path that does not resolve (a missing file) is
/// returned as given, for the media check to report.
pub fn resolve_file(base: &Path, file: &str, allow_outside: bool) -> Result<PathBuf> {
    let joined = base.join(file);
    let Ok(real) = fs_err::canonicalize(&joined) else {
        return Ok(joined);
    };
    if allow_outside || real.starts_with(base) {
        return Ok(real);
    }
    // `../x.mp4` is `/home/u/x.mp4`; an absolute path that is itself is not repeated.
    let is = if Path::new(file) == real {
        String::new()
    } else {
        format!(" is `{}`,", real.display())
    };
    Err(Error::invalid(
        format!(
            "the video `{file}`{is} outside the import file's folder `{}`",
            base.display()
        ),
        Some("move the video into that folder, or add --allow-outside if it is meant".into()),
    ))
}

impl Row {
    /// The row's zone, if it names one.
    pub fn zone(&self) -> Result<Option<Tz>> {
        match self.tz.as_deref().filter(|t| !t.is_empty()) {
            Some(tz) => Ok(Some(crate::when::parse_zone(tz)?)),
            None => Ok(None),
        }
    }

    /// The account the row names, as `schedule --account` takes it: `platform:account` when
    /// both columns are given (unless the account names its platform itself), the platform
    /// alone (its only account), or the account alone.
    pub fn target(&self) -> Option<String> {
        let platform = self.platform.as_deref().filter(|p| !p.is_empty());
        let account = self.account.as_deref().filter(|a| !a.is_empty());
        match (platform, account) {
            (Some(p), Some(a)) if !a.contains(':') => Some(format!("{p}:{a}")),
            (_, Some(a)) => Some(a.to_string()),
            (Some(p), None) => Some(p.to_string()),
            (None, None) => None,
        }
    }

    /// The `upload_ahead` column: `None` when empty (the setting decides).
    pub fn upload_ahead(&self) -> Result<Option<bool>> {
        if given_flag(&self.upload_ahead) {
            flag("upload_ahead", &self.upload_ahead).map(Some)
        } else {
            Ok(None)
        }
    }

    /// The accounts the row names, each as `schedule --account` takes it (`all` included):
    /// `account` may name several, separated by [`SEPARATOR`] (`tiktok;youtube:Chef`), each
    /// read as [`Row::target`] reads one; without `account`, `platform` may name several
    /// platforms (each one's only account). Empty when the row names none.
    pub fn targets(&self) -> Result<Vec<String>> {
        let split = |cell: Option<&str>| -> Vec<String> {
            cell.unwrap_or_default()
                .split(SEPARATOR)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        };
        let platforms = split(self.platform.as_deref());
        let accounts = split(self.account.as_deref());
        match (platforms.as_slice(), accounts.is_empty()) {
            (_, true) => Ok(platforms),
            ([], false) => Ok(accounts),
            ([p], false) => Ok(accounts
                .iter()
                .map(|a| {
                    if a.contains(':') || a == "all" {
                        a.clone()
                    } else {
                        format!("{p}:{a}")
                    }
                })
                .collect()),
            (_, false) => Err(Error::invalid(
                "`platform` names several platforms and `account` names the accounts",
                Some(
                    "leave `platform` empty and write each account as platform:name in `account`"
                        .into(),
                ),
            )),
        }
    }

    /// The row's `privacy` as per-platform values: a plain level, or `PLATFORM=LEVEL` values
    /// separated by [`SEPARATOR`], as `schedule --privacy` takes them.
    pub fn privacy_given(&self) -> Vec<String> {
        self.privacy
            .as_deref()
            .unwrap_or_default()
            .split(SEPARATOR)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    }

    /// The privacy level for the row's `platform` targets (`what` names them in errors).
    fn privacy_for(&self, platform: Platform, what: &str) -> Result<Option<String>> {
        crate::queue::value_for(
            &self.privacy_given(),
            platform,
            what,
            crate::queue::Given::Column("privacy"),
        )
    }

    /// The post's options for a target on `platform`, not yet validated against each other:
    /// see the platform's [`Rules::validate`](crate::provider::Rules::validate). `platforms`
    /// are those of all the row's targets: a platform's own columns apply to its targets, and
    /// are refused, not ignored, when no target is on that platform. The privacy is the one
    /// for `platform` (see [`Row::privacy_given`]).
    pub fn options_for(&self, platform: Platform, platforms: &[Platform]) -> Result<PostOptions> {
        crate::queue::refuse_other_platforms(
            &self.privacy_given(),
            platforms,
            crate::queue::Given::Column("privacy"),
        )?;
        let what = format!("the {} targets", platform.name());
        let privacy = self.privacy_for(platform, &what)?;
        let youtube = self.given(&[
            (
                "title",
                self.title.as_deref().is_some_and(|t| !t.is_empty()),
            ),
            ("made_for_kids", given_flag(&self.made_for_kids)),
            (
                "category",
                self.category.as_deref().is_some_and(|c| !c.is_empty()),
            ),
            ("notify", given_flag(&self.notify)),
            ("tags", !self.tags().is_empty()),
        ]);
        if !youtube.is_empty() && !platforms.contains(&Platform::YouTube) {
            return Err(Error::invalid(
                format!("{} {} YouTube's, and {}", youtube, plural(&youtube), no_target(platforms, "YouTube")),
                Some("leave them empty, or set `platform` (or `account`) to a YouTube account; TikTok's tags are `hashtags`".into()),
            ));
        }
        let tiktok = self.given(&[
            ("draft", flag("draft", &self.draft)?),
            (
                "allow_comments",
                flag("allow_comments", &self.allow_comments)?,
            ),
            ("allow_duet", flag("allow_duet", &self.allow_duet)?),
            ("allow_stitch", flag("allow_stitch", &self.allow_stitch)?),
            (
                "cover_at",
                match &self.cover_at {
                    None => false,
                    Some(Number::Int(_)) => true,
                    Some(Number::Text(t)) => !t.trim().is_empty(),
                },
            ),
            ("brand_organic", flag("brand_organic", &self.brand_organic)?),
            (
                "branded_content",
                flag("branded_content", &self.branded_content)?,
            ),
        ]);
        if !tiktok.is_empty() && !platforms.contains(&Platform::TikTok) {
            return Err(Error::invalid(
                format!("{tiktok} {} TikTok's, and {}", plural(&tiktok), no_target(platforms, "TikTok")),
                Some("leave them empty (YouTube has no drafts: privacy private uploads it for YouTube Studio)".into()),
            ));
        }
        match platform {
            Platform::TikTok => self.tiktok_options(privacy.as_deref()),
            Platform::YouTube => self.youtube_options(privacy.as_deref()),
        }
    }

    /// The YouTube columns as a YouTube post's options: privacy and audience required, as in
    /// `schedule` (YouTube has no safe default for either).
    fn youtube_options(&self, privacy: Option<&str>) -> Result<PostOptions> {
        let privacy: Visibility = match privacy.filter(|p| !p.is_empty()) {
            Some(p) => p.parse()?,
            None => {
                return Err(Error::invalid(
                    "a YouTube video needs a privacy, and postez chooses none for you",
                    Some("fill `privacy` with public, unlisted or private".into()),
                ));
            }
        };
        if !given_flag(&self.made_for_kids) {
            return Err(Error::invalid(
                "YouTube requires the audience choice for every video: is it made for kids?",
                Some("fill `made_for_kids` with yes or no".into()),
            ));
        }
        let caption = self.caption.as_deref().unwrap_or_default();
        let title = match self.title.as_deref().filter(|t| !t.is_empty()) {
            Some(t) => t.to_string(),
            None => crate::provider::youtube::rules::default_title(caption)?,
        };
        Ok(PostOptions::YouTube(YouTubeOptions {
            title,
            privacy,
            made_for_kids: flag("made_for_kids", &self.made_for_kids)?,
            ai_generated: flag("ai_generated", &self.ai_generated)?,
            category: self.category.clone().filter(|c| !c.is_empty()),
            notify: !given_flag(&self.notify) || flag("notify", &self.notify)?,
            tags: self.tags(),
        }))
    }

    /// The names of the columns given, as one phrase (`draft, allow_duet`).
    fn given(&self, columns: &[(&str, bool)]) -> String {
        columns
            .iter()
            .filter(|(_, given)| *given)
            .map(|(name, _)| format!("`{name}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// YouTube's tags as written: a list, or text split on commas only (a tag may hold a space,
    /// and YouTube's own tag box separates them by commas).
    pub fn tags(&self) -> Vec<String> {
        match &self.tags {
            None => Vec::new(),
            Some(Tags::List(list)) => list.clone(),
            Some(Tags::Text(text)) => text
                .split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_string)
                .collect(),
        }
    }

    /// The post's options, TikTok's (the columns are its choices), not yet validated against
    /// each other: see the platform's [`Rules::validate`](crate::provider::Rules::validate).
    pub fn options(&self) -> Result<PostOptions> {
        self.tiktok_options(self.privacy.as_deref())
    }

    fn tiktok_options(&self, privacy: Option<&str>) -> Result<PostOptions> {
        let privacy = match privacy.filter(|p| !p.is_empty()) {
            Some(p) => Some(p.parse::<Privacy>()?),
            None => None,
        };
        let cover_at_ms = match &self.cover_at {
            None => None,
            Some(Number::Int(n)) => Some(*n),
            Some(Number::Text(t)) if t.trim().is_empty() => None,
            Some(Number::Text(t)) => Some(t.trim().parse::<u32>().map_err(|_| {
                Error::invalid(format!("`{t}` is not a cover time in milliseconds"), None)
            })?),
        };
        Ok(PostOptions::TikTok(TikTokOptions {
            mode: if flag("draft", &self.draft)? {
                Mode::Draft
            } else {
                Mode::Direct
            },
            privacy,
            allow_comments: flag("allow_comments", &self.allow_comments)?,
            allow_duet: flag("allow_duet", &self.allow_duet)?,
            allow_stitch: flag("allow_stitch", &self.allow_stitch)?,
            cover_at_ms,
            brand_organic: flag("brand_organic", &self.brand_organic)?,
            branded_content: flag("branded_content", &self.branded_content)?,
            ai_generated: flag("ai_generated", &self.ai_generated)?,
        }))
    }

    /// The hashtags as written (checked when the caption is built).
    pub fn hashtags(&self) -> Vec<String> {
        match &self.hashtags {
            None => Vec::new(),
            Some(Tags::List(list)) => list.clone(),
            Some(Tags::Text(text)) => text
                .split([' ', ','])
                .filter(|t| !t.is_empty())
                .map(str::to_string)
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_and_json_rows_give_the_same_fields() {
        let csv = "file,at,hashtags,privacy,draft,cover_at\na.mp4,now,\"food, dinner\",self_only,no,1500\n";
        let json = r#"[{"file":"a.mp4","at":"now","hashtags":["food","dinner"],"privacy":"SELF_ONLY","draft":false,"cover_at":1500}]"#;
        let a = parse_rows(csv, Format::Csv, "p.csv").unwrap();
        let b = parse_rows(json, Format::Json, "p.json").unwrap();
        for rows in [a, b] {
            assert_eq!(rows.len(), 1);
            let o = rows[0].options().unwrap();
            let o = o.tiktok().unwrap();
            assert_eq!(o.privacy, Some(Privacy::SelfOnly));
            assert_eq!(o.cover_at_ms, Some(1500));
            assert_eq!(o.mode, Mode::Direct);
            assert_eq!(rows[0].hashtags(), ["food", "dinner"]);
        }
    }

    #[test]
    #[cfg(unix)]
    fn videos_outside_the_import_folder_need_allow_outside() {
        let tmp = tempfile::tempdir().unwrap();
        let base = tmp.path().join("batch");
        std::fs::create_dir_all(base.join("clips")).unwrap();
        std::fs::write(base.join("clips/a.mp4"), "v").unwrap();
        std::fs::write(tmp.path().join("x.mp4"), "v").unwrap();
        std::os::unix::fs::symlink(tmp.path().join("x.mp4"), base.join("link.mp4")).unwrap();
        let base = std::fs::canonicalize(&base).unwrap();
        let outside = std::fs::canonicalize(tmp.path().join("x.mp4")).unwrap();
        assert_eq!(
            resolve_file(&base, "clips/../clips/a.mp4", false).unwrap(),
            base.join("clips/a.mp4")
        );
        for file in [
            "../x.mp4",
            outside.to_str().unwrap(),
            "link.mp4",
            "clips/../../x.mp4",
        ] {
            let e = resolve_file(&base, file, false).unwrap_err();
            assert!(
                e.to_string().contains("outside the import file's folder"),
                "{e}"
            );
            assert!(e.hint().unwrap().contains("--allow-outside"));
            assert_eq!(resolve_file(&base, file, true).unwrap(), outside);
        }
        // Missing: left for the media check to name.
        assert_eq!(
            resolve_file(&base, "../gone.mp4", false).unwrap(),
            base.join("../gone.mp4")
        );
    }

    #[test]
    fn youtube_rows_name_their_account_and_split_tags_on_commas() {
        let csv = "file,at,platform,account,privacy,made_for_kids,tags,caption\n\
                   a.mp4,now,youtube,Chef,unlisted,no,\"pasta, quick dinner\",Dinner\n\
                   a.mp4,now,,youtube:Chef,public,yes,,\n\
                   a.mp4,now,youtube,,public,,,\n";
        let rows = parse_rows(csv, Format::Csv, "p.csv").unwrap();
        assert_eq!(rows[0].target().as_deref(), Some("youtube:Chef"));
        assert_eq!(rows[1].target().as_deref(), Some("youtube:Chef"));
        assert_eq!(rows[2].target().as_deref(), Some("youtube"));
        let o = rows[0]
            .options_for(Platform::YouTube, &[Platform::YouTube])
            .unwrap();
        let o = o.youtube().unwrap();
        assert_eq!(o.tags, ["pasta", "quick dinner"]);
        assert_eq!(o.title, "Dinner", "the caption's first line");
        assert!(o.notify && !o.made_for_kids);
        // The audience is required; an empty cell is no answer.
        let e = rows[2]
            .options_for(Platform::YouTube, &[Platform::YouTube])
            .unwrap_err();
        assert!(e.to_string().contains("audience"), "{e}");
        // YouTube's columns on a TikTok row are refused, not ignored.
        let e = rows[0]
            .options_for(Platform::TikTok, &[Platform::TikTok])
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("`made_for_kids`, `tags` are YouTube's"),
            "{e}"
        );
    }

    #[test]
    fn an_export_document_gives_its_scheduled_posts() {
        let doc = serde_json::json!({
            "format": crate::export::FORMAT, "version": 1,
            "posts": [
                {"state": "scheduled", "platform": "youtube", "account": "chef", "file": "/v/a.mp4",
                 "scheduled_at": "2026-12-01T18:00:00Z", "timezone": "Europe/Berlin",
                 "caption": "Dinner #food", "mode": "direct", "privacy": "unlisted",
                 "title": "T", "made_for_kids": true, "ai_generated": false, "category": "26",
                 "notify": false, "tags": ["a b"]},
                {"state": "published", "platform": "youtube", "file": "/v/b.mp4",
                 "scheduled_at": "2026-11-01T18:00:00Z", "mode": "direct"},
            ],
        });
        let rows = parse_rows(&doc.to_string(), Format::Json, "x.json").unwrap();
        assert_eq!(rows.len(), 1, "only plans are imported");
        let row = &rows[0];
        assert_eq!(row.target().as_deref(), Some("youtube:chef"));
        assert_eq!(row.at, "2026-12-01T18:00:00Z");
        assert_eq!(row.tz.as_deref(), Some("Europe/Berlin"));
        let o = row
            .options_for(Platform::YouTube, &[Platform::YouTube])
            .unwrap();
        let o = o.youtube().unwrap();
        assert_eq!(
            (
                o.title.as_str(),
                o.made_for_kids,
                o.notify,
                o.category.as_deref()
            ),
            ("T", true, false, Some("26"))
        );
        assert_eq!(o.tags, ["a b"]);
        assert!(row.hashtags().is_empty(), "the caption has them already");
    }

    #[test]
    fn a_row_names_several_accounts_and_a_privacy_per_platform() {
        let csv = "file,at,platform,account,privacy,made_for_kids,draft,caption\n\
                   a.mp4,now,,tiktok;youtube:Chef,tiktok=SELF_ONLY;youtube=unlisted,no,,Hi\n\
                   a.mp4,now,tiktok,main; second ;youtube:Chef,,,,\n\
                   a.mp4,now,tiktok;youtube,,public,,,\n\
                   a.mp4,now,tiktok;youtube,main,,,,\n\
                   a.mp4,now,,all,SELF_ONLY,,yes,\n";
        let rows = parse_rows(csv, Format::Csv, "p.csv").unwrap();
        assert_eq!(rows[0].targets().unwrap(), ["tiktok", "youtube:Chef"]);
        assert_eq!(
            rows[1].targets().unwrap(),
            ["tiktok:main", "tiktok:second", "youtube:Chef"]
        );
        assert_eq!(rows[2].targets().unwrap(), ["tiktok", "youtube"]);
        assert!(rows[3].targets().is_err(), "which platform is `main` on?");
        assert_eq!(rows[4].targets().unwrap(), ["all"]);
        let both = [Platform::TikTok, Platform::YouTube];
        let t = rows[0].options_for(Platform::TikTok, &both).unwrap();
        assert_eq!(t.tiktok().unwrap().privacy, Some(Privacy::SelfOnly));
        let y = rows[0].options_for(Platform::YouTube, &both).unwrap();
        assert_eq!(y.youtube().unwrap().privacy, Visibility::Unlisted);
        // A value for a platform no target is on is a mistake, either way round.
        let e = rows[0]
            .options_for(Platform::TikTok, &[Platform::TikTok])
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("`youtube=unlisted` in `privacy` is for YouTube"),
            "{e}"
        );
        let e = rows[0]
            .options_for(Platform::YouTube, &[Platform::YouTube])
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("`tiktok=SELF_ONLY` in `privacy` is for TikTok"),
            "{e}"
        );
        // A TikTok column on a YouTube-only group names the rule.
        let e = rows[4]
            .options_for(
                Platform::YouTube,
                &[Platform::YouTube, Platform::YouTube][..1],
            )
            .unwrap_err();
        assert!(e.to_string().contains("`draft` is TikTok's"), "{e}");
    }

    #[test]
    fn a_bad_row_is_named() {
        let e = parse_rows("file,at,bogus\na,b,c\n", Format::Csv, "p.csv").unwrap_err();
        assert!(e.to_string().starts_with("row 1 of `p.csv`"), "{e}");
        let e = parse_rows("file,at,draft\na,b,maybe\n", Format::Csv, "p.csv").unwrap()[0]
            .options()
            .unwrap_err();
        assert!(e.to_string().contains("`maybe`"), "{e}");
    }
}
