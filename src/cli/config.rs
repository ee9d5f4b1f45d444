//! `postez config`: read and change the settings file.

use postez::Result;
use postez::config::{Config, KEYS};

use super::Ctx;

/// Read or change settings
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  postez config set timezone Europe/Berlin
  postez config get timezone
  postez config list --json
  postez config set late_limit 0")]
pub struct ConfigArgs {
    #[command(subcommand)]
    pub action: Action,
}

/// What to do with the settings.
#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Print one setting (nothing if unset)
    Get {
        /// Setting name (see `postez config list`)
        key: String,
    },
    /// Change one setting (an empty value unsets it)
    Set {
        /// Setting name
        key: String,
        /// New value
        value: String,
    },
    /// Print every setting with its value and meaning
    List,
    /// Print the settings file's path
    Path,
}

pub fn exec(ctx: &Ctx, args: ConfigArgs) -> Result<()> {
    let path = ctx.paths.config_file();
    match args.action {
        Action::Get { key } => {
            let value = ctx.config()?.get(&key)?;
            if ctx.out.json() {
                ctx.out.print_json(&serde_json::json!({ key: value }));
            } else if let Some(value) = value {
                ctx.out.stdout_line(&value);
            }
        }
        Action::Set { key, value } => {
            let mut config = ctx.config()?.clone();
            config.set(&key, &value)?;
            config.save(&path)?;
            ctx.out
                .status("Saved", &format!("{key} in {}", path.display()));
        }
        Action::List => {
            let config: &Config = ctx.config()?;
            if ctx.out.json() {
                let mut map = serde_json::Map::new();
                for (key, _) in KEYS {
                    map.insert((*key).into(), config.get(key)?.into());
                }
                ctx.out.print_json(&serde_json::Value::Object(map));
            } else {
                for (key, help) in KEYS {
                    let value = config.get(key)?.unwrap_or_else(|| "(unset)".into());
                    ctx.out
                        .stdout_line(&format!("{key:<19} {value:<24} # {help}"));
                }
            }
        }
        Action::Path => ctx.out.stdout_line(&path.display().to_string()),
    }
    Ok(())
}
