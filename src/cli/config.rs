//! `postez config`: read and change the settings file.

use postez::Result;
use postez::config::{Config, KEYS};

use super::Ctx;

/// Read or change settings
///
/// In shared mode (a queue on PostgreSQL), the settings that are the team's (the apps' client
/// ids, default_account, late_limit, max_attempts, lease, keep_media, the YouTube ones) are kept
/// in the shared queue: `set` changes them for every machine, and they win over this machine's
/// file. The others stay this machine's own.
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
            // Shared mode: a team setting is the team's, kept in the shared queue.
            if postez::config::is_team_key(&key) && ctx.location()?.is_shared() {
                let mut store = ctx.store()?;
                let value = value.trim();
                store.set_team_setting(&key, (!value.is_empty()).then_some(value))?;
                ctx.out.status(
                    "Saved",
                    &format!("{key} for the whole team, in the shared queue"),
                );
                return Ok(());
            }
            let mut file = Config::load(&path)?;
            file.set(&key, &value)?;
            file.save(&path)?;
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
                let shared = ctx.location()?.is_shared();
                for (key, help) in KEYS {
                    let value = config.get(key)?.unwrap_or_else(|| "(unset)".into());
                    let help = if shared && postez::config::is_team_key(key) {
                        format!("(team) {help}")
                    } else {
                        (*help).to_string()
                    };
                    ctx.out
                        .stdout_line(&format!("{key:<19} {value:<24} # {help}"));
                }
            }
        }
        Action::Path => ctx.out.stdout_line(&path.display().to_string()),
    }
    Ok(())
}
