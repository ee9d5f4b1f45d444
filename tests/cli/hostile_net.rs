//! The network played by an attacker (issue 15): a token or revoke endpoint that redirects to a
//! second server, an `http://` API off this machine, an upload address on a foreign host, a
//! 1.5 GB JSON answer, and idle sockets on the login listener. Each test asserts what reached
//! the second server (nothing), the exit code and the message, and, for the huge answer, the
//! peak memory of the real binary (GNU time's maximum RSS).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::Command;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::{Connecting, Fake, Media, Run, TestEnv, media};

/// The ceiling asserted on postez's peak RSS while it is sent 1.5 GB.
const RSS_CEILING_KIB: u64 = 100 * 1024;
/// 1.5 GB, generated as it is sent.
const HUGE: u64 = 1_500_000_000;

/// What a test server answers to one request.
#[derive(Clone)]
enum Reply {
    /// A status, extra headers and a small body.
    Plain {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
    /// A JSON body of `len` bytes made on the fly (`chunked`, or with its Content-Length).
    Huge { len: u64, chunked: bool },
}

impl Reply {
    fn json(status: u16, body: &str) -> Self {
        Self::Plain {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: body.into(),
        }
    }

    fn redirect(status: u16, location: &str) -> Self {
        Self::Plain {
            status,
            headers: vec![("Location".into(), location.into())],
            body: String::new(),
        }
    }
}

/// A loopback HTTP/1.1 server that records every connection and request and answers through
/// `reply`. Used both as the hostile API and as the second server that must receive nothing.
struct Server {
    addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    requests: Arc<Mutex<Vec<String>>>,
    /// Body bytes written by `Reply::Huge` before the client hung up.
    sent: Arc<AtomicU64>,
}

impl Server {
    fn start(reply: impl Fn(&str, &str) -> Reply + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let connections = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let sent = Arc::new(AtomicU64::new(0));
        let reply = Arc::new(reply);
        let (c, r, s) = (connections.clone(), requests.clone(), sent.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().map_while(Result::ok) {
                c.fetch_add(1, Ordering::SeqCst);
                let (r, s, reply) = (r.clone(), s.clone(), reply.clone());
                std::thread::spawn(move || serve(stream, &r, &s, &*reply));
            }
        });
        Self {
            addr,
            connections,
            requests,
            sent,
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

fn serve(
    mut stream: TcpStream,
    requests: &Mutex<Vec<String>>,
    sent: &AtomicU64,
    reply: &(dyn Fn(&str, &str) -> Reply + Send + Sync),
) {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let mut parts = line.split_whitespace();
    let (method, path) = (
        parts.next().unwrap_or_default().to_string(),
        parts.next().unwrap_or_default().to_string(),
    );
    let mut length = 0usize;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).unwrap_or(0) == 0 || header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length.min(1 << 20)];
    let _ = reader.read_exact(&mut body);
    requests.lock().unwrap().push(format!("{method} {path}"));
    match reply(&method, &path) {
        Reply::Plain {
            status,
            headers,
            body,
        } => {
            let mut head = format!("HTTP/1.1 {status} X\r\nContent-Length: {}\r\n", body.len());
            for (k, v) in headers {
                head.push_str(&format!("{k}: {v}\r\n"));
            }
            let _ = stream.write_all(format!("{head}Connection: close\r\n\r\n{body}").as_bytes());
        }
        Reply::Huge { len, chunked } => {
            let head = if chunked {
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n".to_string()
            } else {
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len}\r\n\r\n"
                )
            };
            if stream.write_all(head.as_bytes()).is_err() {
                return;
            }
            // One 64 KiB piece, sent again and again: the 1.5 GB never exist in memory.
            let mut piece = vec![b'a'; 64 * 1024];
            let open = b"{\"access_token\":\"";
            let mut written = 0u64;
            while written < len {
                let n = (len - written).min(piece.len() as u64) as usize;
                piece[..open.len()].copy_from_slice(if written == 0 {
                    open
                } else {
                    b"aaaaaaaaaaaaaaaaa"
                });
                let ok = if chunked {
                    stream
                        .write_all(format!("{n:x}\r\n").as_bytes())
                        .and_then(|_| stream.write_all(&piece[..n]))
                        .and_then(|_| stream.write_all(b"\r\n"))
                } else {
                    stream.write_all(&piece[..n])
                };
                if ok.is_err() {
                    break;
                }
                written += n as u64;
                sent.store(written, Ordering::SeqCst);
            }
            if chunked && written == len {
                let _ = stream.write_all(b"0\r\n\r\n");
            }
        }
    }
}

/// A connect-ready environment (encrypted file store) whose API and authorize page are `api`.
fn env_against(api: &str) -> TestEnv {
    let mut env = TestEnv::new();
    env.set("POSTEZ_TIKTOK_API_URL", api);
    env.set(
        "POSTEZ_TIKTOK_AUTH_URL",
        &format!("{api}/v2/auth/authorize/"),
    );
    env.set("POSTEZ_TIKTOK_CLIENT_KEY", "fake_client_key");
    env.set("POSTEZ_TIKTOK_CLIENT_SECRET", "fake_client_secret");
    env.set("POSTEZ_TOKEN_STORE", "file");
    env.set("POSTEZ_PASSPHRASE", "correct horse battery staple");
    env
}

/// GET `url` over plain HTTP/1.0; the status code.
fn get(url: &str) -> u16 {
    let url = url::Url::parse(url).unwrap();
    let mut stream = TcpStream::connect((url.host_str().unwrap(), url.port().unwrap())).unwrap();
    let target = format!("{}?{}", url.path(), url.query().unwrap_or_default());
    write!(stream, "GET {target} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// Play the browser coming back from an approved login: the callback with `code` and the
/// request's own `state`, sent to the listener named in the authorize URL.
fn approve(connecting: &Connecting, code: &str) -> u16 {
    let url = url::Url::parse(&connecting.url).unwrap();
    let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    get(&format!(
        "{}?code={code}&state={}",
        q["redirect_uri"], q["state"]
    ))
}

/// Lines of stderr that are errors (the CLI renders exactly one per failure).
fn error_lines(run: &Run) -> usize {
    run.stderr
        .lines()
        .filter(|l| l.starts_with("error:"))
        .count()
}

#[test]
fn a_307_from_the_token_endpoint_sends_nothing_to_the_second_server() {
    let second = Server::start(|_, _| Reply::json(200, "{}"));
    let to = format!("{}/v2/oauth/token/", second.url());
    let hostile = Server::start(move |_, path| {
        if path.starts_with("/v2/oauth/token/") {
            Reply::redirect(307, &to)
        } else {
            Reply::json(404, "{}")
        }
    });
    let env = env_against(&hostile.url());
    let connecting = Connecting::start(&env, &[]).unwrap();
    assert_eq!(approve(&connecting, "the-login-code"), 200);
    let run = connecting.finish();
    let stderr = run.fails(1);
    assert_eq!(
        second.connections(),
        0,
        "the second server must see no connection at all"
    );
    assert_eq!(hostile.requests(), ["POST /v2/oauth/token/"]);
    assert!(
        stderr.contains("redirect (HTTP 307")
            && stderr.contains("/v2/oauth/token/")
            && stderr.contains("never follows"),
        "{stderr}"
    );
    assert_eq!(error_lines(&run), 1, "{stderr}");
    for secret in ["fake_client_secret", "the-login-code", "code_verifier"] {
        assert!(!stderr.contains(secret), "{secret} leaked: {stderr}");
    }
    // Nothing was saved: no account claims a login.
    assert_eq!(
        env.run(&["accounts", "--json"]).json(),
        serde_json::json!([])
    );
}

#[test]
fn a_308_from_the_revoke_endpoint_sends_nothing_to_the_second_server() {
    let fake = Fake::start(|_| {});
    let mut env = fake.connected();
    let access = fake
        .state()
        .valid_tokens(crate::fake_tiktok::TokenKind::Access)[0]
        .to_string();
    let second = Server::start(|_, _| Reply::json(200, "{}"));
    let to = format!("{}/v2/oauth/revoke/", second.url());
    let hostile = Server::start(move |_, path| {
        if path.starts_with("/v2/oauth/revoke/") {
            Reply::redirect(308, &to)
        } else {
            Reply::json(404, "{}")
        }
    });
    env.set("POSTEZ_TIKTOK_API_URL", &hostile.url());
    let run = env.run(&["disconnect", "tiktok"]);
    // The login is still deleted here; the user is told revoking failed and why.
    run.ok();
    assert_eq!(second.connections(), 0);
    assert_eq!(hostile.requests(), ["POST /v2/oauth/revoke/"]);
    assert!(
        run.stderr.contains("could not revoke")
            && run.stderr.contains("redirect (HTTP 308")
            && run.stderr.contains("/v2/oauth/revoke/"),
        "{run:?}"
    );
    assert!(!run.stderr.contains(&access) && !run.stderr.contains("fake_client_secret"));
    // The fake still holds the token as valid: nothing reached a revoke endpoint.
    assert!(
        fake.state()
            .valid_tokens(crate::fake_tiktok::TokenKind::Access)
            .contains(&access.as_str())
    );
}

#[test]
fn an_http_platform_url_off_this_machine_is_refused() {
    for (var, value) in [
        ("POSTEZ_TIKTOK_API_URL", "http://open.tiktokapis.com"),
        ("POSTEZ_TIKTOK_API_URL", "http://192.0.2.7:8080/api"),
        (
            "POSTEZ_TIKTOK_AUTH_URL",
            "http://www.tiktok.com/v2/auth/authorize/",
        ),
    ] {
        let mut env = env_against("http://127.0.0.1:9");
        env.set(var, value);
        let run = env.run(&["connect", "tiktok", "--no-browser"]);
        let stderr = run.fails(2);
        let first = stderr.lines().next().unwrap_or_default();
        assert!(
            first.starts_with(&format!("error: {var} points at http://"))
                && first.contains("only over https"),
            "{stderr}"
        );
        assert!(stderr.contains("hint: use an https:// address"), "{stderr}");
        // Refused before any login was offered.
        assert!(!stderr.contains("/v2/auth/authorize/?"), "{stderr}");
    }
    // `run` refuses too, and leaves the post queued.
    let fake = Fake::start(|_| {});
    let mut env = fake.connected();
    env.schedule(&media(Media::Mp4), "now", &["--draft"]);
    env.set("POSTEZ_TIKTOK_API_URL", "http://open.tiktokapis.com");
    let run = env.run(&["run"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("only over https"), "{run:?}");
    assert!(fake.state().publishes.is_empty());
    let post = env.run(&["show", "1", "--json"]).json();
    assert_eq!(post["state"], "scheduled", "{post}");
    assert_eq!(post["attempts"], 0, "{post}");
}

#[test]
fn an_upload_url_on_a_foreign_host_gets_no_byte() {
    let fake = Fake::start(|_| {});
    let mut env = fake.connected();
    env.schedule(&media(Media::Mp4), "now", &["--draft"]);
    let second = Server::start(|_, _| Reply::json(201, ""));
    let upload_url = format!("{}/upload/1?upload_token=signed-secret", second.url());
    let hostile = Server::start(move |_, path| {
        if path.starts_with("/v2/post/publish/inbox/video/init/") {
            Reply::json(
                200,
                &serde_json::json!({
                    "data": {"publish_id": "v_inbox_file~v2.1", "upload_url": upload_url},
                    "error": {"code": "ok", "message": "", "log_id": "l1"}
                })
                .to_string(),
            )
        } else {
            Reply::json(404, "{}")
        }
    });
    env.set("POSTEZ_TIKTOK_API_URL", &hostile.url());
    let run = env.run(&["run"]);
    assert_eq!(run.code, 4, "the post fails: {run:?}");
    assert_eq!(second.connections(), 0, "no byte of video left");
    assert_eq!(
        hostile.requests(),
        ["POST /v2/post/publish/inbox/video/init/"]
    );
    assert!(
        run.stderr.contains("not one of its upload hosts") && run.stderr.contains(&second.url()),
        "{run:?}"
    );
    assert!(!run.stderr.contains("signed-secret"), "{run:?}");
    let post = env.run(&["show", "1", "--json"]).json();
    assert_eq!(post["state"], "failed", "{post}");
    assert_eq!(post["last_error_code"], "upload_host_refused", "{post}");
    // Not retried on its own, and the refused address was never saved.
    assert!(!String::from_utf8_lossy(&env.db_bytes()).contains("signed-secret"));
    let again = env.run(&["run"]);
    assert_eq!(again.code, 0, "{again:?}");
    assert_eq!(hostile.requests().len(), 1);
}

/// `postez ARGS` in `env`, under GNU time writing the peak RSS (KiB) to `rss.txt`.
fn timed(env: &TestEnv, args: &[&str]) -> Command {
    let mut command = Command::new("/usr/bin/time");
    command
        .args(["-f", "%M", "-o"])
        .arg(env.path("rss.txt"))
        .arg(env!("CARGO_BIN_EXE_postez"))
        .args(args)
        .env_clear()
        .envs(env.env.iter().map(|(k, v)| (k, v)))
        .current_dir(env.dir.path())
        .stdin(std::process::Stdio::null());
    command
}

/// The peak RSS GNU time wrote for the last [`timed`] command, in KiB.
fn peak_rss_kib(env: &TestEnv) -> u64 {
    let text = std::fs::read_to_string(env.path("rss.txt")).expect("GNU time's output");
    // A failing command adds "Command exited with non-zero status N" before the figure.
    text.lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or_else(|| panic!("no RSS in {text:?}"))
}

#[test]
fn a_1_5_gb_token_answer_fails_cleanly_with_bounded_memory() {
    assert!(
        std::path::Path::new("/usr/bin/time").exists(),
        "GNU time is needed (the test command installs it)"
    );
    for chunked in [true, false] {
        let hostile = Server::start(move |_, path| {
            if path.starts_with("/v2/oauth/token/") {
                Reply::Huge { len: HUGE, chunked }
            } else {
                Reply::json(404, "{}")
            }
        });
        let env = env_against(&hostile.url());
        let started = Instant::now();
        let connecting =
            Connecting::spawn(timed(&env, &["connect", "tiktok", "--no-browser"])).unwrap();
        approve(&connecting, "code");
        let run = connecting.finish();
        let stderr = run.fails(1);
        let rss = peak_rss_kib(&env);
        let sent = hostile.sent.load(Ordering::SeqCst);
        eprintln!(
            "1.5 GB token answer (chunked: {chunked}): exit {}, peak RSS {} KiB ({:.1} MiB), server sent {sent} bytes before postez hung up, {:?}",
            run.code,
            rss,
            rss as f64 / 1024.0,
            started.elapsed()
        );
        assert!(
            stderr.contains("is larger than 1024 KiB") && stderr.contains("/v2/oauth/token/"),
            "{stderr}"
        );
        assert_eq!(error_lines(&run), 1, "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(rss < RSS_CEILING_KIB, "peak RSS {rss} KiB");
        // postez hung up early: what the server pushed is socket buffers, not the 1.5 GB.
        assert!(sent < 64 * 1024 * 1024, "server sent {sent} bytes");
    }
}

#[test]
fn a_1_5_gb_creator_info_answer_fails_the_post_with_bounded_memory() {
    let fake = Fake::start(|_| {});
    let mut env = fake.connected();
    env.schedule(&media(Media::Mp4), "now", &[]);
    let hostile = Server::start(move |_, path| {
        if path.starts_with("/v2/post/publish/creator_info/query/") {
            Reply::Huge {
                len: HUGE,
                chunked: true,
            }
        } else {
            Reply::json(404, "{}")
        }
    });
    env.set("POSTEZ_TIKTOK_API_URL", &hostile.url());
    let out = timed(&env, &["run"]).output().unwrap();
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    let rss = peak_rss_kib(&env);
    eprintln!(
        "1.5 GB creator_info answer: exit {}, peak RSS {rss} KiB ({:.1} MiB)",
        run.code,
        rss as f64 / 1024.0
    );
    assert_eq!(run.code, 4, "{run:?}");
    assert!(
        run.stderr.contains("is larger than 1024 KiB")
            && run.stderr.contains("creator_info/query/"),
        "{run:?}"
    );
    assert!(!run.stderr.contains("panicked"), "{run:?}");
    assert!(rss < RSS_CEILING_KIB, "peak RSS {rss} KiB");
    let post = env.run(&["show", "1", "--json"]).json();
    assert_eq!(post["last_error_code"], "answer_too_large", "{post}");
    assert!(fake.state().publishes.is_empty());
}

#[test]
fn six_idle_sockets_do_not_delay_the_login_callback() {
    let fake = Fake::start(|_| {});
    let mut env = TestEnv::new();
    fake.configure(&mut env);
    env.set("POSTEZ_TOKEN_STORE", "file");
    env.set("POSTEZ_PASSPHRASE", "correct horse battery staple");
    let connecting = Connecting::start(&env, &[]).unwrap();
    let url = url::Url::parse(&connecting.url).unwrap();
    let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    let port = url::Url::parse(&q["redirect_uri"]).unwrap().port().unwrap();
    // Six sockets that never finish a request: three silent, three with half a request head.
    let idle: Vec<TcpStream> = (0..6)
        .map(|i| {
            let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
            if i % 2 == 1 {
                s.write_all(b"GET /callback/?code=x HTTP/1.1\r\n").unwrap();
            }
            s
        })
        .collect();
    let callback = fake.authorize(&connecting.url);
    let started = Instant::now();
    let (status, body) = fake.get(&callback);
    let took = started.elapsed();
    eprintln!("callback answered in {took:?} with six idle sockets open");
    assert_eq!(status, 200, "{body}");
    assert!(
        took < Duration::from_secs(1),
        "the callback waited {took:?} behind idle sockets"
    );
    let run = connecting.finish();
    assert_eq!(
        run.ok().trim(),
        "Connected tiktok as Pasta Chef (@pastachef)"
    );
    drop(idle);
}
