//! Bulk import's file formats: the text of a CSV or JSON file turned into rows, and each row's
//! fields (privacy, flags, cover time, hashtags, zone) checked, and where a row's video may be
//! ([`resolve_file`]). Times, videos and accounts are checked by the caller (`postez import`),
//! which needs the clock, the disk and the queue. Input is untrusted user text: every failure is
//! an [`Error`] naming the row, never a panic.

use std::path::{Path, PathBuf};

use chrono_tz::Tz;
use serde::Deserialize;

use crate::error::{Error, Result};
use crate::post::{Mode, PostOptions, Privacy};
use crate::provider::tiktok::TikTokOptions;

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
}

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

/// Parse the text of an import file; `name` (the file's path) is quoted in errors.
pub fn parse_rows(text: &str, format: Format, name: &str) -> Result<Vec<Row>> {
    match format {
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

    /// The post's options, TikTok's (the columns are its choices), not yet validated against
    /// each other: see the platform's [`Rules::validate`](crate::provider::Rules::validate).
    pub fn options(&self) -> Result<PostOptions> {
        let privacy = match self.privacy.as_deref().filter(|p| !p.is_empty()) {
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
    fn a_bad_row_is_named() {
        let e = parse_rows("file,at,bogus\na,b,c\n", Format::Csv, "p.csv").unwrap_err();
        assert!(e.to_string().starts_with("row 1 of `p.csv`"), "{e}");
        let e = parse_rows("file,at,draft\na,b,maybe\n", Format::Csv, "p.csv").unwrap()[0]
            .options()
            .unwrap_err();
        assert!(e.to_string().contains("`maybe`"), "{e}");
    }
}
