//! `postez export`: everything postez holds about you, as one JSON document.

use postez::words::count;
use std::path::{Path, PathBuf};

use postez::{Result, export};

use super::Ctx;

/// Export all your data as JSON
///
/// One document with your settings, accounts (profile, scopes, expiry times), every post with
/// its history, and the recorded runs. It never contains a token, code, passphrase or client
/// secret. The format is described in the README ("Your data").
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  postez export > postez-export.json
  postez export --output backup.json --media backup-videos/")]
pub struct ExportArgs {
    /// Write to this file instead of stdout
    ///
    /// The file is written new, readable by you alone (0600), and renamed into place: an existing
    /// file is replaced whole; a symbolic link is refused, never written through.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also copy the posts' video files into this folder (as `<id>-<name>`)
    ///
    /// A missing folder is created (0700); an existing one keeps its permissions. Each copy is
    /// written like --output's file.
    #[arg(long, value_name = "DIR")]
    pub media: Option<PathBuf>,
}

pub fn exec(ctx: &Ctx, args: ExportArgs) -> Result<()> {
    let store = ctx.store()?;
    let mut doc = export::document(&store, ctx.config()?, ctx.now())?;
    if let Some(dir) = &args.media {
        // The user's folder, not postez's: create it private, but never chmod one that exists.
        postez::files::create_user_dir(dir)?;
        let mut copied = 0;
        if let Some(posts) = doc["posts"].as_array_mut() {
            for post in posts {
                let (Some(id), Some(file)) = (post["id"].as_i64(), post["file"].as_str()) else {
                    continue;
                };
                let source = Path::new(file);
                if !source.is_file() {
                    post["media_copy"] = serde_json::Value::Null;
                    continue;
                }
                let name = source
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let target = dir.join(format!("{id}-{name}"));
                let mut from = fs_err::File::open(source)?;
                postez::files::write_private(&target, |to| std::io::copy(&mut from, to).map(drop))?;
                post["media_copy"] = target.display().to_string().into();
                copied += 1;
            }
        }
        ctx.out.status(
            "Copied",
            &format!("{} to {}", count(copied, "video"), dir.display()),
        );
    }
    let text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    match &args.output {
        Some(path) => {
            // A new 0600 file renamed over the target rather than opened with O_NOFOLLOW|O_EXCL:
            // exporting again to the same backup file keeps working, and a link planted there
            // is refused instead of followed (files::write_private).
            postez::files::write_private(path, |file| {
                std::io::Write::write_all(file, format!("{text}\n").as_bytes())
            })?;
            let posts = doc["posts"].as_array().map_or(0, Vec::len);
            ctx.out.status(
                "Exported",
                &format!("{} to {}", count(posts, "post"), path.display()),
            );
        }
        None => ctx.out.stdout_line(&text),
    }
    Ok(())
}
