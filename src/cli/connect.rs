//! `postez connect`: log in to TikTok or YouTube in the browser (loopback redirect, PKCE) and
//! keep the tokens in the keychain or the encrypted token file. The login's steps are the library's
//! (`postez::connect`); this file has the flags, the prompts, the browser and the output.

use std::io::BufRead;

use postez::Result;
use postez::auth;
use postez::connect::{Connected, Login, OtherAccount, ScopeNotice};
use postez::provider;
use postez::secrets::{Backend, SecretError, SecretStore};
use tokio::sync::mpsc;

use super::Ctx;

/// Connect a TikTok account or a YouTube channel
///
/// Opens the platform's login page in your browser and waits for it to send you back to postez on
/// 127.0.0.1. On a machine without a browser, use --no-browser, open the printed URL anywhere,
/// and paste the address your browser lands on (it starts with http://127.0.0.1) back here; or
/// forward the port: `ssh -L 8765:127.0.0.1:8765 server`, then `postez connect tiktok
/// --no-browser --port 8765` on the server. Your TikTok app's client key and secret come from
/// POSTEZ_TIKTOK_CLIENT_KEY / POSTEZ_TIKTOK_CLIENT_SECRET, the settings, or a one-time prompt;
/// your Google OAuth client's (a "Desktop app") from POSTEZ_YOUTUBE_CLIENT_ID /
/// POSTEZ_YOUTUBE_CLIENT_SECRET, the setting `youtube_client_id`, or the same prompt.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  postez connect tiktok
  postez connect tiktok --no-browser --port 8765
  postez connect tiktok --token-store file   # encrypted file instead of the keychain
  postez connect tiktok --drafts-only        # an app without Direct Post
  postez connect youtube --no-browser
  postez connect youtube --manage           # reschedule or delete videos uploaded ahead")]
pub struct ConnectArgs {
    /// Platform to connect
    #[arg(value_enum)]
    pub platform: Platform,
    /// Print the login URL instead of opening a browser
    #[arg(long)]
    pub no_browser: bool,
    /// Port for the login redirect on 127.0.0.1 (default: any free port)
    #[arg(long, value_name = "N")]
    pub port: Option<u16>,
    /// Give up waiting for the login after this long
    #[arg(long, value_name = "DURATION", default_value = "5m")]
    pub timeout: String,
    /// Where to keep the tokens: keychain or file (encrypted)
    #[arg(long, value_enum, value_name = "STORE")]
    pub token_store: Option<StoreArg>,
    /// Ask only for drafts (user.info.basic, video.upload), for a TikTok app without Direct Post
    ///
    /// TikTok refuses the whole login when an app asks for a scope it lacks. The setting
    /// `tiktok_direct_post = false` makes this the default.
    #[arg(long)]
    pub drafts_only: bool,
    /// YouTube: also ask to manage your videos (the `youtube` scope), so postez can reschedule
    /// (`edit --at`) or delete (`cancel`) a post already uploaded ahead
    ///
    /// Without it, such a post can only be changed in YouTube Studio, which postez links to.
    #[arg(long)]
    pub manage: bool,
}

/// Platforms postez can publish to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Platform {
    /// TikTok
    Tiktok,
    /// YouTube
    Youtube,
}

impl Platform {
    /// The library's platform of the same name.
    pub fn platform(self) -> postez::provider::Platform {
        use clap::ValueEnum;
        self.to_possible_value()
            .and_then(|v| v.get_name().parse().ok())
            .unwrap_or_default()
    }
}

/// `--token-store`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StoreArg {
    /// The system keychain (Secret Service, macOS Keychain, Windows Credential Manager)
    Keychain,
    /// An encrypted file in postez's data folder
    File,
}

impl StoreArg {
    /// The library's name for it.
    pub fn backend(self) -> Backend {
        match self {
            Self::Keychain => Backend::Keychain,
            Self::File => Backend::File,
        }
    }
}

/// Open the store of `backend`, asking for what is missing on a terminal. For the keychain,
/// an unreachable one is explained: on a terminal the encrypted file is offered instead;
/// without one the error lists the ways out. Never falls back silently, never to plaintext.
pub fn open_store_interactive(ctx: &Ctx, backend: Backend, probe: bool) -> Result<SecretStore> {
    let config = ctx.config()?;
    if backend == Backend::Database {
        // The team key comes from the key file or the passphrase settings, never a prompt: every
        // machine of the team, cron included, must find the same one by itself.
        let store = auth::database_store(&ctx.paths, &ctx.env, config)?;
        if probe {
            store.probe()?;
        }
        return Ok(store);
    }
    if backend == Backend::Keychain {
        let store = auth::keychain();
        if !probe {
            return Ok(store);
        }
        match store.probe() {
            Ok(()) => return Ok(store),
            Err(e @ SecretError::Unavailable { .. }) if ctx.out.can_prompt() => {
                ctx.out.warn(&e.to_string());
                if !ctx
                    .out
                    .confirm("Keep the tokens in an encrypted file instead?")?
                {
                    return Err(e.into());
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    let passphrase = match auth::passphrase(&ctx.paths, &ctx.env, config)? {
        Some(p) => p,
        None if ctx.out.can_prompt() => {
            let exists = ctx.paths.secrets_file().exists();
            ctx.out
                .ask_secret("Passphrase for postez's token file", !exists)?
        }
        None => return Err(SecretError::NoPassphrase.into()),
    };
    let store = auth::file_store(&ctx.paths, passphrase)?;
    postez::env::ensure_private_dir(&ctx.paths.data_dir)?;
    store.probe()?;
    Ok(store)
}

fn open_browser(ctx: &Ctx, url: &str) {
    let mut command = match (&ctx.env.browser, std::env::consts::OS) {
        (Some(browser), _) => {
            let mut parts = browser.split_whitespace();
            let Some(program) = parts.next() else { return };
            let mut c = postez::env::command(program);
            c.args(parts);
            c
        }
        (_, "macos") => postez::env::command("open"),
        (_, "windows") => {
            let mut c = postez::env::command("cmd");
            c.args(["/C", "start", ""]);
            // cmd.exe splits commands at `&`: unescaped, a URL's later parameters would run as
            // commands of their own and the login would open without its state.
            return spawn_browser(ctx, c.arg(cmd_escape(url)));
        }
        _ => postez::env::command("xdg-open"),
    };
    spawn_browser(ctx, command.arg(url));
}

fn spawn_browser(ctx: &Ctx, command: &mut std::process::Command) {
    let spawned = command
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    if spawned.is_err() {
        ctx.out
            .warn("could not open a browser; open the URL above yourself");
    }
}

/// `url` as one argument of `cmd /C start`: cmd's own metacharacters escaped with `^`.
fn cmd_escape(url: &str) -> String {
    let mut out = String::with_capacity(url.len() + 8);
    for c in url.chars() {
        if matches!(c, '&' | '|' | '<' | '>' | '^' | '(' | ')' | '%' | '!') {
            out.push('^');
        }
        out.push(c);
    }
    out
}

/// Lines typed or pasted on stdin, for the "paste the redirected URL" path. A plain thread
/// (not tokio's stdin) so that a pending read never delays the process exit.
fn pasted_lines() -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel(4);
    if !super::reporter::stdin_is_ours() {
        // A background job: no paste path: the loopback redirect still works (the closed channel is ignored).
        return rx;
    }
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if tx.blocking_send(line).is_err() {
                break;
            }
        }
    });
    rx
}

pub async fn exec(ctx: &Ctx, args: ConnectArgs) -> Result<()> {
    let platform = args.platform.platform();
    let name = platform.name();
    let timeout = postez::when::parse_duration(&args.timeout)?
        .to_std()
        .unwrap_or(std::time::Duration::from_secs(300));
    // Before any prompt: an address postez refuses makes the rest pointless.
    provider::check_platform_endpoints(platform, &ctx.env)?;
    postez::connect::check_manage(platform, args.manage)?;
    let config = ctx.config()?.clone();
    let backend = auth::chosen_backend(args.token_store.map(StoreArg::backend), &ctx.env, &config)?;
    let secrets = open_store_interactive(ctx, backend, true)?;
    let client = match provider::credentials(platform, &ctx.env, &config, &secrets) {
        Ok(c) => c,
        Err(e) if ctx.out.can_prompt() => {
            ctx.out.note(&format!(
                "{e}. Enter your {name} app's credentials once (see the README)."
            ));
            ask_credentials(ctx, platform, &config)?
        }
        Err(e) => return Err(e),
    };
    let drafts_only =
        args.drafts_only || !provider::app_settings(platform, &ctx.env, &config).direct_post;
    let login = Login::start(
        &ctx.env,
        platform,
        client,
        args.port,
        drafts_only,
        args.manage,
    )
    .await?;
    if args.manage {
        ctx.out.note(&format!(
            "Asking also to manage your {name} videos (--manage): postez needs it to reschedule \
             (`postez edit ID --at …`) or delete (`postez cancel ID`) a post uploaded ahead."
        ));
    }
    ctx.out.note(&format!(
        "Open this URL in a browser to connect your {name} account:"
    ));
    ctx.out.note_always(login.url());
    let browser = !args.no_browser && (ctx.env.has_display || ctx.env.browser.is_some());
    if browser {
        open_browser(ctx, login.url());
    }
    ctx.out.note(&format!(
        "Waiting for {name} on 127.0.0.1:{} (or paste the address your browser ends up on)…",
        login.port()
    ));
    let authorized = login
        .authorize(&ctx.env, &config, &secrets, timeout, pasted_lines())
        .await?;
    if let Some(notice) = authorized.notice() {
        render_notice(ctx, platform, notice);
    }
    let mut identified = authorized.identify().await?;
    let mut store = ctx.store()?;
    if let Some(other) = identified.check(&store)?
        && !keep_other_account(ctx, platform, &other)?
    {
        return Err(identified.decline().await);
    }
    let connected = identified.save(
        &ctx.env,
        &config,
        &ctx.paths,
        &secrets,
        &mut store,
        ctx.now(),
    )?;
    render(ctx, &connected);
    // Google lets the user untick a scope on the consent screen.
    if args.manage && !connected.account.can_manage() {
        ctx.out.warn(&format!(
            "{name} did not grant managing your videos: posts uploaded ahead can only be changed in {name}'s own editor"
        ));
    }
    Ok(())
}

fn render_notice(ctx: &Ctx, platform: provider::Platform, notice: ScopeNotice) {
    let name = platform.name();
    match notice {
        ScopeNotice::DraftsOnly => ctx.out.note(&format!(
            "Drafts only: videos go to your {name} inbox, and you finish each post in the app."
        )),
        ScopeNotice::NoDirectPost { scope } => ctx.out.warn(&format!(
            "{name} did not grant {scope}: only drafts (--draft) will work for this account"
        )),
        ScopeNotice::NoDrafts { scope } => ctx.out.warn(&format!(
            "{name} did not grant {scope}: drafts (--draft) will not work for this account"
        )),
    }
}

/// Whoever logs in, the account is named here; a different one than before is saved only when
/// the user says so. Without a terminal it is saved, with a warning that says how to undo it.
fn keep_other_account(
    ctx: &Ctx,
    platform: provider::Platform,
    other: &OtherAccount,
) -> Result<bool> {
    let OtherAccount {
        incoming,
        handle,
        connected,
    } = other;
    let name = platform.name();
    if ctx.out.can_prompt() {
        return ctx.out.confirm(&format!(
            "This login is for the {name} account {incoming}, not {}. Save it as another account?",
            connected.join(", ")
        ));
    }
    ctx.out.warn(&format!(
        "this login is for the {name} account {incoming}, which was not connected \
         before (connected: {}); if you did not log in as {incoming}, run `postez \
         disconnect {platform} {handle}`",
        connected.join(", ")
    ));
    Ok(true)
}

fn render(ctx: &Ctx, connected: &Connected) {
    let account = &connected.account;
    if ctx.out.json() {
        ctx.out.print_json(&super::accounts::account_json(account));
    } else {
        // One form everywhere (connect, accounts, the account prompt): "Name (@username)".
        ctx.out.stdout_line(&format!(
            "Connected {} as {}",
            account.platform,
            account.name()
        ));
    }
    if let Some(n) = connected.resumed {
        ctx.out.note(&format!(
            "{} is no longer paused: {n} queued post(s) go out with the next `postez run`",
            account.label()
        ));
    }
    ctx.out.note(&format!(
        "Tokens are kept in the {}.",
        match connected.backend {
            Backend::Keychain => "system keychain",
            Backend::File => "encrypted token file",
            Backend::Database => "shared queue's database, sealed with the team key",
        }
    ));
}

/// Ask for the app credentials `platform`'s settings lack. A key typed in is saved in the
/// settings at once; the secret only once the platform accepts it, with the tokens.
fn ask_credentials(
    ctx: &Ctx,
    platform: provider::Platform,
    config: &postez::config::Config,
) -> Result<provider::ClientCredentials> {
    let name = platform.name();
    let settings = provider::app_settings(platform, &ctx.env, config);
    // Google calls it a client id, TikTok a client key: ask in the platform's words.
    let key_word = settings.key_name;
    let key = match settings.key {
        Some(k) => k,
        None => {
            let key = ctx.out.ask_text(&format!("{name} {key_word}"))?;
            let mut config = config.clone();
            config.set(settings.key_setting, &key)?;
            config.save(&ctx.paths.config_file())?;
            key
        }
    };
    let secret = match settings.env_secret {
        Some(s) => s,
        None => ctx
            .out
            .ask_secret(&format!("{name} client secret"), false)?,
    };
    Ok(provider::ClientCredentials { key, secret })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cmd_start_argument_keeps_the_whole_url() {
        assert_eq!(
            cmd_escape("https://t.example/auth?client_key=k&state=s&scope=a,b"),
            "https://t.example/auth?client_key=k^&state=s^&scope=a,b"
        );
        assert_eq!(cmd_escape("a|b<c>d^e%f"), "a^|b^<c^>d^^e^%f");
    }
}
