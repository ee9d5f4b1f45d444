//! The loopback side of a desktop OAuth login: a tiny HTTP listener on 127.0.0.1 that waits for
//! the browser's redirect to `/callback/`, checks `state`, answers with a short HTML page, and
//! hands back the code. A callback with a wrong or missing `state` is answered with an error page
//! and ignored, so a stray or forged request cannot break (or hijack) the login. Platform quirks
//! (TikTok's hex PKCE, parameter names) live in the provider, not here. Never prints.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::error::{Error, Result};
use crate::provider::Platform;

/// The path registered as the redirect (TikTok desktop: `http://127.0.0.1:*/callback/`).
pub const CALLBACK_PATH: &str = "/callback/";
/// Connections served at once; more wait in the backlog until one ends.
pub const MAX_CONNECTIONS: usize = 16;
/// Time a connection has to send its request (and to take the answer). Browsers send at once;
/// a pre-connected socket they leave idle is closed and reopened by them when needed.
pub const READ_TIMEOUT: Duration = Duration::from_secs(3);

/// What the provider sent back to the redirect URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Callback {
    /// The user approved: the URL-decoded code and the granted scopes (`scopes`, comma list).
    Code {
        /// Authorization code, already URL-decoded.
        code: String,
        /// Scopes the user granted, if the provider said.
        scopes: Option<String>,
    },
    /// The user (or the provider) refused.
    Denied {
        /// OAuth `error`.
        error: String,
        /// OAuth `error_description`, if any.
        description: Option<String>,
    },
}

impl std::fmt::Display for Callback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never shows the code: it is a credential until exchanged.
        match self {
            Self::Code { .. } => f.write_str("authorization code received"),
            Self::Denied { error, .. } => write!(f, "denied ({error})"),
        }
    }
}

/// A bound loopback listener.
#[derive(Debug)]
pub struct Listener {
    tcp: TcpListener,
    port: u16,
}

impl Listener {
    /// Bind 127.0.0.1 on `port`, or on a free port when `None`.
    pub async fn bind(port: Option<u16>) -> Result<Self> {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port.unwrap_or(0)));
        let tcp = TcpListener::bind(addr).await.map_err(|e| {
            let taken = e.kind() == std::io::ErrorKind::AddrInUse;
            Error::invalid(
                match (taken, port) {
                    (true, Some(p)) => format!("port {p} on 127.0.0.1 is already in use"),
                    _ => format!("could not listen on 127.0.0.1 for the login redirect: {e}"),
                },
                Some("pick another with --port, or leave it out to use a free one".into()),
            )
        })?;
        let port = tcp.local_addr().map_err(Error::Io)?.port();
        Ok(Self { tcp, port })
    }

    /// The port in use.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The redirect URI to register and send: `http://127.0.0.1:<port>/callback/`.
    pub fn redirect_uri(&self) -> String {
        format!("http://127.0.0.1:{}{CALLBACK_PATH}", self.port)
    }

    /// Wait for the callback of `platform`'s login carrying `state`, or for a redirected URL
    /// pasted by the user (sent on `pasted`), until `timeout`.
    ///
    /// Connections are served side by side (at most [`MAX_CONNECTIONS`], each given
    /// [`READ_TIMEOUT`] to send its request): an idle socket (a browser's speculative
    /// pre-connection, or another local user's) must not hold up the real callback.
    pub async fn wait(
        &self,
        platform: Platform,
        state: &str,
        timeout: Duration,
        mut pasted: mpsc::Receiver<String>,
    ) -> Result<Callback> {
        let deadline = tokio::time::Instant::now() + timeout;
        let state: Arc<str> = Arc::from(state);
        let mut serving = JoinSet::new();
        let mut pasted_open = true;
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(deadline) => {
                    return Err(Error::LoginTimeout {
                        platform: platform.to_string(),
                        waited: timeout,
                    });
                }
                // At the cap, new connections wait in the kernel's backlog until a slot frees
                // (within READ_TIMEOUT), rather than being dropped: the browser's may be among them.
                accepted = self.tcp.accept(), if serving.len() < MAX_CONNECTIONS => {
                    let Ok((stream, _)) = accepted else { continue };
                    serving.spawn(serve(stream, state.clone(), platform));
                }
                Some(done) = serving.join_next(), if !serving.is_empty() => {
                    if let Ok(Some(callback)) = done {
                        // Dropping the set aborts the other connections.
                        return Ok(callback);
                    }
                }
                line = pasted.recv(), if pasted_open => {
                    match line {
                        None => pasted_open = false,
                        Some(line) => match parse_callback(line.trim(), &state) {
                            Ok(callback) => return Ok(callback),
                            Err(reason) => tracing::warn!("ignored pasted text: {reason}"),
                        },
                    }
                }
            }
        }
    }
}

/// Parse a redirected URL (or just its path and query) for `state`.
pub fn parse_callback(text: &str, state: &str) -> std::result::Result<Callback, &'static str> {
    let url = if text.starts_with('/') {
        url::Url::parse(&format!("http://127.0.0.1{text}"))
    } else {
        url::Url::parse(text)
    }
    .map_err(|_| "not a URL")?;
    if url.path() != CALLBACK_PATH {
        return Err("not the login callback");
    }
    let mut code = None;
    let mut scopes = None;
    let mut got_state = None;
    let mut error = None;
    let mut description = None;
    // `query_pairs` URL-decodes, which TikTok's codes need (they contain `*` and `!` escapes).
    for (key, value) in url.query_pairs() {
        match key.as_ref() {
            "code" => code = Some(value.into_owned()),
            "scopes" => scopes = Some(value.into_owned()),
            "state" => got_state = Some(value.into_owned()),
            "error" => error = Some(value.into_owned()),
            "error_description" => description = Some(value.into_owned()),
            _ => {}
        }
    }
    if !constant_time_eq(got_state.as_deref().unwrap_or_default(), state) {
        return Err("wrong or missing state");
    }
    match (code, error) {
        (_, Some(error)) => Ok(Callback::Denied { error, description }),
        (Some(code), None) if !code.is_empty() => Ok(Callback::Code { code, scopes }),
        _ => Err("no code in the callback"),
    }
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Answer one HTTP request; `Some` when it was the real callback.
async fn serve(mut stream: TcpStream, state: Arc<str>, platform: Platform) -> Option<Callback> {
    let state: &str = &state;
    let mut buf = vec![0u8; 8192];
    let mut len = 0;
    // Read the request head (bounded size and time: a silent client must not keep a slot).
    let read = tokio::time::timeout(READ_TIMEOUT, async {
        while len < buf.len() {
            let n = stream.read(&mut buf[len..]).await.ok()?;
            if n == 0 {
                break;
            }
            len += n;
            if buf[..len].windows(4).any(|w| w == b"\r\n\r\n") {
                break;
            }
        }
        Some(())
    })
    .await;
    if !matches!(read, Ok(Some(()))) {
        return None;
    }
    let head = String::from_utf8_lossy(&buf[..len]);
    let mut parts = head.lines().next().unwrap_or_default().split(' ');
    let (method, target) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    let path = target.split('?').next().unwrap_or_default();
    let (status, page, result) = if method != "GET" || path != CALLBACK_PATH {
        (
            "404 Not Found",
            page("Not found", "This address only receives the postez login."),
            None,
        )
    } else {
        match parse_callback(target, state) {
            Ok(Callback::Code { code, scopes }) => (
                "200 OK",
                page(
                    "postez is connected",
                    "You can close this tab and return to the terminal.",
                ),
                Some(Callback::Code { code, scopes }),
            ),
            Ok(Callback::Denied { error, description }) => {
                let why = description.clone().unwrap_or_else(|| error.clone());
                (
                    "200 OK",
                    page(
                        "Login was not completed",
                        &format!(
                            "{} said: {why}. Go back to the terminal: postez says what to \
                             do next.",
                            platform.name()
                        ),
                    ),
                    Some(Callback::Denied { error, description }),
                )
            }
            Err(reason) => (
                "400 Bad Request",
                page(
                    "This login link is not valid",
                    &format!("postez ignored it ({reason}); the login is still waiting."),
                ),
                None,
            ),
        }
    };
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nConnection: close\r\n\r\n{page}",
        page.len()
    );
    // A client that does not read its answer must not keep the slot either.
    let _ = tokio::time::timeout(READ_TIMEOUT, async {
        let _ = stream.write_all(response.as_bytes()).await;
        let _ = stream.shutdown().await;
    })
    .await;
    result
}

/// A minimal page; all text is escaped, since `error_description` comes from the URL.
fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{t}</title></head>\
         <body style=\"font-family:sans-serif;margin:3em\"><h1>{t}</h1><p>{b}</p></body></html>",
        t = html_escape(title),
        b = html_escape(body)
    )
}

fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_decodes_the_callback() {
        let cb = parse_callback(
            "http://127.0.0.1:5/callback/?code=a%2Ab%21c&scopes=user.info.basic%2Cvideo.upload&state=s1",
            "s1",
        );
        assert_eq!(
            cb,
            Ok(Callback::Code {
                code: "a*b!c".into(),
                scopes: Some("user.info.basic,video.upload".into())
            })
        );
        assert!(parse_callback("http://127.0.0.1:5/callback/?code=x&state=other", "s1").is_err());
        assert!(parse_callback("http://127.0.0.1:5/callback/?code=x", "s1").is_err());
        assert!(parse_callback("http://127.0.0.1:5/other/?code=x&state=s1", "s1").is_err());
        let denied = parse_callback(
            "/callback/?error=access_denied&error_description=No%21&state=s1",
            "s1",
        );
        assert!(matches!(denied, Ok(Callback::Denied { .. })));
    }

    #[test]
    fn pages_escape_provider_text() {
        let html = page("x", "<script>alert(1)</script>");
        assert!(!html.contains("<script>"));
        assert!(html.contains("&lt;script&gt;"));
    }
}
