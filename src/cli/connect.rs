//! `postez connect`: log in to TikTok in the browser (loopback redirect, hex PKCE) and keep the
//! tokens in the keychain or the encrypted token file.

use std::io::BufRead;

use postez::auth;
use postez::oauth::{Callback, Listener};
use postez::provider::tiktok::{self, AuthRequest, CreatorInfo};
use postez::provider::{Tokens, client_secret_key, token_key};
use postez::secrets::{Backend, SecretError, SecretStore};
use postez::store::AccountProfile;
use postez::{Error, Result};
use tokio::sync::mpsc;

use super::Ctx;

/// Connect a TikTok account
///
/// Opens TikTok's login page in your browser and waits for it to send you back to postez on
/// 127.0.0.1. On a machine without a browser, use --no-browser, open the printed URL anywhere,
/// and paste the address your browser lands on (it starts with http://127.0.0.1) back here; or
/// forward the port: `ssh -L 8765:127.0.0.1:8765 server`, then `postez connect tiktok
/// --no-browser --port 8765` on the server. Your TikTok app's client key and secret come from
/// POSTEZ_TIKTOK_CLIENT_KEY / POSTEZ_TIKTOK_CLIENT_SECRET, the settings, or a one-time prompt.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  postez connect tiktok
  postez connect tiktok --no-browser --port 8765
  postez connect tiktok --token-store file   # encrypted file instead of the keychain
  postez connect tiktok --drafts-only        # an app without Direct Post")]
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
}

/// Platforms postez can publish to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Platform {
    /// TikTok
    Tiktok,
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
    let Platform::Tiktok = args.platform;
    let timeout = postez::when::parse_duration(&args.timeout)?
        .to_std()
        .unwrap_or(std::time::Duration::from_secs(300));
    // Before any prompt: an address postez refuses makes the rest pointless.
    auth::tiktok_client_urls(&ctx.env)?;
    let config = ctx.config()?.clone();
    let backend = auth::chosen_backend(args.token_store.map(StoreArg::backend), &ctx.env, &config)?;
    let secrets = open_store_interactive(ctx, backend, true)?;
    let client = match auth::client_credentials(&ctx.env, &config, &secrets) {
        Ok(c) => c,
        Err(e) if ctx.out.can_prompt() => {
            ctx.out.note(&format!(
                "{e}. Enter your TikTok app's credentials once (see the README)."
            ));
            ask_credentials(ctx, &config)?
        }
        Err(e) => return Err(e),
    };
    // Kept for after the login: the secret is saved only once TikTok has accepted it.
    let client_secret = client.secret.clone();
    let tiktok = auth::tiktok_client(&ctx.env, client)?;
    let listener = Listener::bind(args.port).await?;
    let drafts_only = args.drafts_only || !config.tiktok_direct_post();
    let scopes = if drafts_only {
        tiktok::DRAFTS_ONLY_SCOPES
    } else {
        tiktok::SCOPES
    };
    let request = AuthRequest::new(listener.redirect_uri(), scopes);
    let url = tiktok.authorize_url(&request)?;
    ctx.out
        .note("Open this URL in a browser to connect your TikTok account:");
    ctx.out.note_always(url.as_str());
    let browser = !args.no_browser && (ctx.env.has_display || ctx.env.browser.is_some());
    if browser {
        open_browser(ctx, url.as_str());
    }
    ctx.out.note(&format!(
        "Waiting for TikTok on 127.0.0.1:{} (or paste the address your browser ends up on)…",
        listener.port()
    ));
    let callback = listener
        .wait(&request.state, timeout, pasted_lines())
        .await?;
    let (code, granted) = match callback {
        Callback::Code { code, scopes } => (code, scopes),
        Callback::Denied { error, description } => {
            let hint = if error == "invalid_scope" && !drafts_only {
                // An app without Direct Post cannot ask for video.publish at all.
                "if your TikTok app has no Direct Post, run `postez connect tiktok --drafts-only` \
                 (or `postez config set tiktok_direct_post false`)"
            } else {
                "run `postez connect tiktok` again and allow access"
            };
            return Err(Error::LoginRefused {
                platform: tiktok::PLATFORM.into(),
                reason: description.unwrap_or(error),
                hint: hint.into(),
            });
        }
    };
    let now = chrono::Utc::now();
    let mut tokens = match tiktok.exchange_code(&code, &request, now).await {
        Ok(t) => t,
        // A saved secret TikTok refuses is forgotten, so that the next `connect` asks for it
        // instead of failing the same way after another login (see the error's hint).
        Err(Error::Api(api)) if api.class() == postez::provider::ErrorClass::Client => {
            if ctx.env.tiktok_client_secret.is_none() {
                let _ = secrets.delete(&client_secret_key(tiktok::PLATFORM));
            }
            return Err(Error::Api(api));
        }
        Err(e) => return Err(e),
    };
    drop(code);
    if tokens.scopes.is_empty() {
        tokens.scopes = granted
            .unwrap_or_default()
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
    }
    check_scopes(ctx, &tokens, drafts_only)?;
    // The profile and the posting options only label the account. A passing refusal (TikTok's
    // "cannot post right now", a 5xx) must not throw away the login just granted: the code
    // cannot be used twice. A rejected token still fails here.
    fn usable<T>(e: Error) -> Result<Option<T>> {
        match &e {
            Error::Api(api)
                if matches!(
                    api.class(),
                    postez::provider::ErrorClass::Auth
                        | postez::provider::ErrorClass::Token
                        | postez::provider::ErrorClass::Scope
                ) =>
            {
                Err(e)
            }
            _ => {
                tracing::warn!("connecting without the profile details: {e}");
                Ok(None)
            }
        }
    }
    let user = match tiktok.user_info(&tokens.access_token).await.map(Some) {
        Ok(user) => user,
        Err(e) => usable(e)?,
    }
    .unwrap_or_else(|| tiktok::UserInfo {
        open_id: tokens.open_id.clone(),
        ..Default::default()
    });
    let creator: Option<CreatorInfo> = if tokens.has_scope("video.publish") {
        match tiktok.creator_info(&tokens.access_token).await {
            Ok(info) => Some(info),
            Err(e) => usable(e)?,
        }
    } else {
        None
    };
    if user.open_id != tokens.open_id && !user.open_id.is_empty() {
        tracing::warn!("the profile's open_id differs from the token's; using the token's");
    }
    let mut store = ctx.store()?;
    let accounts = store.accounts()?;
    let previous = accounts
        .iter()
        .find(|a| a.platform == postez::provider::Platform::TikTok && a.remote_id == tokens.open_id)
        .cloned();
    let connected: Vec<String> = accounts
        .iter()
        .filter(|a| {
            a.platform == postez::provider::Platform::TikTok && a.remote_id != tokens.open_id
        })
        .filter(|a| a.state != "disconnected")
        .map(|a| a.label())
        .collect();
    if previous.is_none() && !connected.is_empty() {
        // The authorize URL is visible to other local users (in the browser's command line):
        // one could finish the login with their own account's code. Whoever logs in, the account
        // is named here; a different one than before is saved only when the user says so.
        let incoming = account_name(&user, creator.as_ref(), &tokens.open_id);
        let handle = creator
            .as_ref()
            .and_then(|c| c.creator_username.clone())
            .or_else(|| user.display_name.clone())
            .unwrap_or_else(|| tokens.open_id.clone());
        let question = format!(
            "This login is for the TikTok account {incoming}, not {}. Save it as another account?",
            connected.join(", ")
        );
        if ctx.out.can_prompt() {
            if !ctx.out.confirm(&question)? {
                // Not kept: hand the access back rather than leave a live token behind.
                let _ = tiktok.revoke(&tokens.access_token).await;
                return Err(Error::Aborted);
            }
        } else {
            ctx.out.warn(&format!(
                "this login is for the TikTok account {incoming}, which was not connected \
                 before (connected: {}); if you did not log in as {incoming}, run `postez \
                 disconnect tiktok {handle}`",
                connected.join(", ")
            ));
        }
    }
    // Tokens first: if saving them fails, no account row claims a login that is not there.
    let owner = auth::owner_name(
        creator.as_ref().and_then(|c| c.creator_username.as_deref()),
        user.display_name.as_deref(),
        &tokens.open_id,
    );
    auth::save_login(&secrets, tiktok::PLATFORM, &tokens, &owner)?;
    // The client secret too, whatever its source: a cron or systemd run has no
    // POSTEZ_TIKTOK_CLIENT_SECRET, and needs the secret at its first refresh.
    secrets.set(&client_secret_key(tiktok::PLATFORM), &client_secret)?;
    let profile = AccountProfile {
        platform: postez::provider::Platform::TikTok,
        remote_id: tokens.open_id.clone(),
        display_name: user.display_name.clone(),
        username: creator.as_ref().and_then(|c| c.creator_username.clone()),
        nickname: creator.as_ref().and_then(|c| c.creator_nickname.clone()),
        avatar_url: user.avatar_url.clone(),
        scopes: tokens.scopes.clone(),
        token_store: secrets.backend().as_str().into(),
        access_expires_at: tokens.access_expires_at,
        refresh_expires_at: tokens.refresh_expires_at,
        creator_info: creator.as_ref().and_then(|c| serde_json::to_value(c).ok()),
    };
    let mut account = store.upsert_account(&profile, now)?;
    // Connecting again is the way out of a pause (TikTok refused the account any post): the
    // user has looked, and says go on. Its posts count as due from the queue's now.
    let resumed = store.lift_pause(account.id, ctx.now())?;
    if resumed.is_some() {
        account = store.account(account.id)?.unwrap_or(account);
    }
    if let Some(old) =
        previous.filter(|p| p.token_store.as_deref() != Some(secrets.backend().as_str()))
    {
        // The login moved to another store: the old copy must not linger.
        let old_backend = auth::account_backend(&old);
        if let Ok(old_store) = auth::open_store(old_backend, &ctx.paths, &ctx.env, &config) {
            let _ = old_store.delete(&token_key(old.platform.as_str(), &old.remote_id));
        }
    }
    if ctx.out.json() {
        ctx.out.print_json(&super::accounts::account_json(&account));
    } else {
        // One form everywhere (connect, accounts, the account prompt): "Name (@username)".
        ctx.out
            .stdout_line(&format!("Connected tiktok as {}", account.name()));
    }
    if let Some(n) = resumed {
        ctx.out.note(&format!(
            "{} is no longer paused: {n} queued post(s) go out with the next `postez run`",
            account.label()
        ));
    }
    ctx.out.note(&format!(
        "Tokens are kept in the {}.",
        match secrets.backend() {
            Backend::Keychain => "system keychain",
            Backend::File => "encrypted token file",
        }
    ));
    Ok(())
}

/// How an account is shown before it is saved, in the same form as a saved one
/// ([`postez::store::Account::name`]): "Pasta Chef (@pastachef)", else its open_id.
fn account_name(user: &tiktok::UserInfo, creator: Option<&CreatorInfo>, open_id: &str) -> String {
    postez::store::display_name(
        user.display_name
            .as_deref()
            .or(creator.and_then(|c| c.creator_nickname.as_deref())),
        creator.and_then(|c| c.creator_username.as_deref()),
        open_id,
    )
}

fn check_scopes(ctx: &Ctx, tokens: &Tokens, drafts_only: bool) -> Result<()> {
    let upload = tokens.has_scope(tiktok::DRAFT_SCOPE);
    let publish = tokens.has_scope(tiktok::DIRECT_POST_SCOPE);
    if !upload && !publish {
        return Err(Error::invalid(
            "TikTok did not grant postez permission to upload or post videos",
            Some(
                "run `postez connect tiktok` again and leave \"upload\" and \"post\" ticked".into(),
            ),
        ));
    }
    if !publish && drafts_only {
        ctx.out.note(
            "Drafts only: videos go to your TikTok inbox, and you finish each post in the app.",
        );
    } else if !publish {
        ctx.out.warn(
            "TikTok did not grant video.publish: only drafts (--draft) will work for this account",
        );
    } else if !upload {
        ctx.out.warn(
            "TikTok did not grant video.upload: drafts (--draft) will not work for this account",
        );
    }
    Ok(())
}

fn ask_credentials(
    ctx: &Ctx,
    config: &postez::config::Config,
) -> Result<postez::provider::tiktok::ClientCredentials> {
    let key = match ctx
        .env
        .tiktok_client_key
        .clone()
        .or_else(|| config.tiktok_client_key.clone())
    {
        Some(k) => k,
        None => {
            let key = ctx.out.ask_text("TikTok client key")?;
            let mut config = config.clone();
            config.set("tiktok_client_key", &key)?;
            config.save(&ctx.paths.config_file())?;
            key
        }
    };
    let secret = match &ctx.env.tiktok_client_secret {
        Some(s) => s.clone(),
        // Saved once TikTok accepts it, with the tokens.
        None => ctx.out.ask_secret("TikTok client secret", false)?,
    };
    Ok(postez::provider::tiktok::ClientCredentials { key, secret })
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
