//! The command line: global flags, the subcommand enum, the one dispatch `match`, the context
//! every command receives, and the exit-code table shown in `--help`.

pub mod accounts;
pub mod cancel;
pub mod config;
pub mod connect;
pub mod cron;
pub mod db;
pub mod disconnect;
pub mod doctor;
pub mod edit;
pub mod export;
pub mod generate;
pub mod history;
pub mod import;
pub mod list;
pub mod purge;
pub mod reporter;
pub mod retry;
pub mod run;
pub mod runners;
pub mod schedule;
pub mod show;

use std::cell::OnceCell;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use clap::{Parser, Subcommand, ValueEnum};
use postez::Result;
use postez::config::Config;
use postez::env::{Env, Paths};
use postez::store::Store;

use reporter::Reporter;

/// The exit-code table, shown in `postez --help` and the man page.
pub const EXIT_CODES: &str = "\
Exit status:
  0   success, or nothing was due
  1   failure: unexpected I/O, database or internal error, or output that could not be
      written (a full disk)
  2   usage: bad flags or input (unparseable --at, unsupported video, unknown post id, …)
  3   needs auth: an account must be connected again, its client secret given again, or
      its pause lifted (all: `postez connect tiktok`)
  4   partial: `postez run` finished but at least one post failed
  75  try later: network down, rate limited, a platform error or daily quota put off every
      due post
  130 interrupted: stopped by Ctrl-C or SIGTERM; the next run resumes";

const EXAMPLES: &str = "\
Examples:
  postez schedule clip.mp4 --at \"tomorrow 18:00\" --caption \"New recipe\" --privacy SELF_ONLY --yes
  postez list
  postez edit 3 --at \"friday 9am\"
  */5 * * * * postez run";

/// Schedule videos on your own disk and publish them to TikTok from cron.
#[derive(Debug, Parser)]
#[command(name = "postez", version, about, long_about = None)]
#[command(after_help = EXAMPLES, after_long_help = format!("{EXAMPLES}\n\n{EXIT_CODES}"))]
#[command(propagate_version = true, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every subcommand accepts. They get their own heading in every `--help` and man page,
/// apart from each command's own options.
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Global Options")]
pub struct GlobalArgs {
    /// Print machine-readable JSON on stdout
    #[arg(long, global = true)]
    pub json: bool,
    /// More log output on stderr (-v info, -vv debug); RUST_LOG overrides
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Only errors on stderr
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// When to use colors
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true, value_name = "WHEN")]
    pub color: ColorChoice,
    /// Log line format (stderr and the log file of `run`)
    #[arg(long, value_enum, default_value_t = LogFormat::Text, global = true, value_name = "FORMAT")]
    pub log_format: LogFormat,
}

/// `--log-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines
    Text,
    /// One JSON object per line
    Json,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colors on a terminal, unless NO_COLOR is set
    Auto,
    /// Always
    Always,
    /// Never
    Never,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    Connect(connect::ConnectArgs),
    Accounts(accounts::AccountsArgs),
    Disconnect(disconnect::DisconnectArgs),
    Schedule(schedule::ScheduleArgs),
    List(list::ListArgs),
    Show(show::ShowArgs),
    Edit(edit::EditArgs),
    Cancel(cancel::CancelArgs),
    Retry(retry::RetryArgs),
    Import(import::ImportArgs),
    Run(run::RunArgs),
    Runners(runners::RunnersArgs),
    History(history::HistoryArgs),
    Export(export::ExportArgs),
    Purge(purge::PurgeArgs),
    Doctor(doctor::DoctorArgs),
    Db(db::DbArgs),
    Cron(cron::CronArgs),
    Config(config::ConfigArgs),
    Generate(generate::GenerateArgs),
}

/// Run one subcommand.
pub async fn dispatch(cmd: Command, ctx: &Ctx) -> Result<()> {
    match cmd {
        Command::Connect(args) => connect::exec(ctx, args).await,
        Command::Accounts(args) => accounts::exec(ctx, args).await,
        Command::Disconnect(args) => disconnect::exec(ctx, args).await,
        Command::Schedule(args) => schedule::exec(ctx, args).await,
        Command::List(args) => list::exec(ctx, args),
        Command::Show(args) => show::exec(ctx, args),
        Command::Edit(args) => edit::exec(ctx, args).await,
        Command::Cancel(args) => cancel::exec(ctx, args).await,
        Command::Retry(args) => retry::exec(ctx, args),
        Command::Import(args) => import::exec(ctx, args).await,
        Command::Run(args) => run::exec(ctx, args).await,
        Command::Runners(args) => runners::exec(ctx, args),
        Command::History(args) => history::exec(ctx, args),
        Command::Export(args) => export::exec(ctx, args),
        Command::Purge(args) => purge::exec(ctx, args).await,
        Command::Doctor(args) => doctor::exec(ctx, args).await,
        Command::Db(args) => db::exec(ctx, args),
        Command::Cron(args) => cron::exec(ctx, args),
        Command::Config(args) => config::exec(ctx, args),
        Command::Generate(args) => generate::exec(ctx, args),
    }
}

/// What every command gets: environment, folders, the clock, the config and the screen.
pub struct Ctx {
    /// The environment, read once.
    pub env: Env,
    /// Where files live.
    pub paths: Paths,
    /// The screen.
    pub out: Reporter,
    now: DateTime<Utc>,
    config: OnceCell<Config>,
}

impl Ctx {
    /// Build the context from the process environment and the global flags.
    pub fn new(env: Env, global: &GlobalArgs) -> Result<Self> {
        let paths = Paths::resolve(&env)?;
        let now = env.now()?;
        let out = Reporter::new(&env, global);
        Ok(Self {
            env,
            paths,
            out,
            now,
            config: OnceCell::new(),
        })
    }

    /// The current instant (fixed for the whole command, so every check agrees).
    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// The settings file, read once.
    pub fn config(&self) -> Result<&Config> {
        if let Some(config) = self.config.get() {
            return Ok(config);
        }
        let mut config = Config::load(&self.paths.config_file())?;
        self.team_settings(&mut config);
        Ok(self.config.get_or_init(|| config))
    }

    /// Shared mode: the team's settings (kept in the shared queue) over this machine's file.
    /// A queue that cannot be reached adds nothing here: the command that needs it says so,
    /// and `postez config set database_url …` can still fix a wrong address.
    fn team_settings(&self, config: &mut Config) {
        let Ok(postez::store::Location::Server(url)) =
            postez::store::Location::resolve(&self.paths, &self.env, config)
        else {
            return;
        };
        let team = Store::connect(&url).and_then(|s| s.team_settings());
        match team {
            Ok(team) => {
                for (key, value) in team {
                    if let Err(e) = config.set(&key, &value) {
                        tracing::warn!("the team setting {key} is ignored: {e}");
                    }
                }
            }
            Err(e) => tracing::warn!("the team's settings could not be read: {e}"),
        }
    }

    /// Open the queue, creating its folder (0700) and file (0600) on first use.
    pub fn store(&self) -> Result<Store> {
        // A broken settings file is reported before anything else touches the queue.
        postez::env::ensure_private_dir(&self.paths.data_dir)?;
        Store::open_at(&self.location()?)
    }

    /// Where the queue is: the SQLite file, or the shared queue (PostgreSQL).
    pub fn location(&self) -> Result<postez::store::Location> {
        postez::store::Location::resolve(&self.paths, &self.env, self.config()?)
    }

    /// The zone for local times: `--tz`, else the `timezone` setting, else the system's.
    pub fn zone(&self, tz: Option<&str>) -> Result<Tz> {
        if let Some(name) = tz {
            return Ok(postez::when::parse_zone(name)?);
        }
        if let Some(name) = &self.config()?.timezone {
            return Ok(postez::when::parse_zone(name)?);
        }
        let system = iana_time_zone::get_timezone().unwrap_or_else(|_| "UTC".into());
        // A system zone chrono-tz does not know is not the user's fault: fall back to UTC.
        Ok(postez::when::parse_zone(&system).unwrap_or(Tz::UTC))
    }
}
