//! `postez export`: everything postez holds about you, as one JSON document.

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
    /// Write to this file (0600) instead of stdout
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also copy the posts' video files into this folder (as `<id>-<name>`)
    #[arg(long, value_name = "DIR")]
    pub media: Option<PathBuf>,
}

pub fn exec(ctx: &Ctx, args: ExportArgs) -> Result<()> {
    let store = ctx.store()?;
    let mut doc = export::document(&store, ctx.config()?, ctx.now())?;
    if let Some(dir) = &args.media {
        postez::env::ensure_private_dir(dir)?;
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
                fs_err::copy(source, &target)?;
                post["media_copy"] = target.display().to_string().into();
                copied += 1;
            }
        }
        ctx.out
            .status("Copied", &format!("{copied} video(s) to {}", dir.display()));
    }
    let text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    match &args.output {
        Some(path) => {
            fs_err::write(path, format!("{text}\n"))?;
            postez::env::make_private(path)?;
            let posts = doc["posts"].as_array().map_or(0, Vec::len);
            ctx.out.status(
                "Exported",
                &format!("{posts} post(s) to {}", path.display()),
            );
        }
        None => ctx.out.stdout_line(&text),
    }
    Ok(())
}
