//! The YouTube provider module (`postez::provider::youtube`) driven end to end against the
//! project's strict fake YouTube (`tests/fake_youtube/`), through the seam's traits the engine
//! uses (`LoginSteps`, `Provider`): a PKCE login, multi-chunk uploads with the fake's faults
//! (lost final reply, reset mid-chunk, short store, relocated session, expired session, expired
//! token), quotas, and processing outcomes. The module is not registered yet (issue 12), so
//! these tests, not the CLI's, are what proves it. Section numbers are youtube-api.md's.

#[path = "../fake_youtube/mod.rs"]
mod fake_youtube;

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use fake_youtube::{FakeOptions, FakeYouTube, Fault, SCOPE_READONLY, SCOPE_UPLOAD};
use postez::Error;
use postez::media::{Container, MediaInfo, Verified, VideoCodec};
use postez::post::{Post, PostOptions, PostState};
use postez::provider::youtube::{CHUNK_SIZE, Endpoints, YouTube, session_key};
use postez::provider::youtube::{Visibility, YouTubeOptions};
use postez::provider::{
    Checkpoint, ChunkPlan, ClientCredentials, ErrorClass, LoginSteps, Provider, PutOutcome,
    RemoteState, SentBytes, Tokens,
};
use postez::secrets::Secret;
use sha2::{Digest, Sha256};

/// The loopback redirect postez sends (§1.3: no path).
const REDIRECT: &str = "http://127.0.0.1:53124/";

fn start() -> FakeYouTube {
    FakeYouTube::start_blocking(FakeOptions::default()).expect("fake starts")
}

fn provider(fake: &FakeYouTube) -> YouTube {
    YouTube::new(
        Endpoints {
            auth: fake.auth_url(),
            token: fake.token_url(),
            revoke: fake.revoke_url(),
            api: fake.api_url(),
        },
        ClientCredentials {
            key: fake.client_id().into(),
            secret: Secret::new(fake.client_secret()),
        },
    )
    .unwrap()
}

/// The browser's part: open the authorize URL and read the code off the redirect.
async fn consent(url: &url::Url) -> (String, String) {
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let answer = browser.get(url.as_str()).send().await.unwrap();
    assert_eq!(
        answer.status().as_u16(),
        302,
        "the fake accepted the authorize request"
    );
    let location = answer.headers()["location"].to_str().unwrap();
    assert!(location.starts_with(REDIRECT), "{location}");
    let pairs: std::collections::HashMap<String, String> = url::Url::parse(location)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect();
    (pairs["code"].clone(), pairs["state"].clone())
}

/// A full login: authorize, consent, exchange.
async fn login(yt: &YouTube) -> Tokens {
    let (url, pending) = yt.authorize(REDIRECT, &yt.scopes().asked(false)).unwrap();
    let (code, state) = consent(&url).await;
    assert_eq!(state, pending.state());
    yt.exchange(&code, &pending, Utc::now()).await.unwrap()
}

/// A post of a fresh random file of `size` bytes, and the file opened as the engine opens it.
fn post(dir: &Path, size: usize) -> (Post, Arc<Verified>) {
    let path = dir.join("clip.mp4");
    let mut bytes = vec![0u8; size];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
    std::fs::write(&path, bytes).unwrap();
    let fingerprint = postez::media::fingerprint(&path).unwrap();
    let video = Arc::new(Verified::open(&path, &fingerprint).unwrap().unwrap());
    let at: DateTime<Utc> = Utc::now() - chrono::Duration::minutes(1);
    let post = Post {
        id: 1,
        state: PostState::Publishing,
        phase: None,
        platform: "youtube".into(),
        account_id: Some(1),
        account: None,
        group: None,
        media_id: None,
        file: path.to_string_lossy().into(),
        copied: false,
        media: MediaInfo {
            container: Container::Mp4,
            size: size as u64,
            duration_ms: Some(2000),
            width: Some(1080),
            height: Some(1920),
            fps: Some(30.0),
            codec: Some(VideoCodec::H264),
        },
        fingerprint,
        caption: "Pasta in 30 seconds\n#pasta".into(),
        options: PostOptions::YouTube(YouTubeOptions {
            title: "Pasta in 30 seconds".into(),
            privacy: Visibility::Public,
            made_for_kids: false,
            ai_generated: false,
            category: None,
            notify: true,
            tags: vec!["pasta".into()],
        }),
        scheduled_at: at,
        timezone: "UTC".into(),
        due_at: at,
        attempts: 0,
        next_attempt_at: None,
        last_error: None,
        last_error_code: None,
        last_error_hint: None,
        publish_id: None,
        post_id: None,
        created_at: at,
        updated_at: at,
    };
    (post, video)
}

fn sha256_of(path: &str) -> String {
    hex::encode(Sha256::digest(std::fs::read(path).unwrap()))
}

fn quiet() -> SentBytes {
    Arc::new(|_| {})
}

fn transient(e: &Error) -> bool {
    match e {
        Error::Network(_) => true,
        Error::Api(api) => api.class() == ErrorClass::Retryable,
        _ => false,
    }
}

/// The engine's chunk loop (publish/attempt.rs), reduced: from chunk `next`, retrying transient
/// failures a few times, moving to where an `AlreadyHave` says.
async fn send_all(
    yt: &YouTube,
    token: &Secret,
    checkpoint: &Checkpoint,
    video: &Arc<Verified>,
    plan: ChunkPlan,
    mut next: u64,
) -> Result<(), Error> {
    let mut tries = 0;
    while next < plan.count {
        match yt
            .upload(token, checkpoint, video, "video/mp4", plan, next, quiet())
            .await
        {
            Ok(PutOutcome::Stored) => next += 1,
            Ok(PutOutcome::Complete) => next = plan.count,
            Ok(PutOutcome::AlreadyHave(have)) if have >= plan.size => next = plan.count,
            Ok(PutOutcome::AlreadyHave(have)) => next = have / plan.chunk_size,
            Err(e) if transient(&e) && tries < 5 => tries += 1,
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// The engine's poll: status until it is not `Working`.
async fn settle(yt: &YouTube, token: &Secret, post: &Post, checkpoint: &Checkpoint) -> RemoteState {
    for _ in 0..10 {
        match yt.status(token, post, checkpoint).await.unwrap() {
            RemoteState::Working { .. } => continue,
            other => return other,
        }
    }
    panic!("still processing after 10 polls");
}

fn live_videos(fake: &FakeYouTube) -> usize {
    fake.state().videos.iter().filter(|v| !v.gone).count()
}

#[tokio::test]
async fn login_with_pkce_names_the_channel_and_a_code_works_once() {
    let fake = start();
    let yt = provider(&fake);
    let (url, pending) = yt.authorize(REDIRECT, &yt.scopes().asked(false)).unwrap();
    let (code, _) = consent(&url).await;
    let tokens = yt.exchange(&code, &pending, Utc::now()).await.unwrap();
    assert_eq!(tokens.open_id, "UCfAkEcHaNnEl0000000000a");
    assert!(tokens.has_scope(SCOPE_UPLOAD) && tokens.has_scope(SCOPE_READONLY));
    let authorized = &fake.state().authorizations[0];
    assert_eq!(authorized.redirect_uri, REDIRECT);
    // The fake's code is single-use (§1.5): a second exchange is refused, and says reconnect.
    let Err(Error::Api(e)) = yt.exchange(&code, &pending, Utc::now()).await else {
        panic!("a used code was accepted")
    };
    assert_eq!(
        (e.code.as_str(), e.class()),
        ("invalid_grant", ErrorClass::Auth)
    );
    assert!(e.hint().unwrap().contains("postez connect youtube"));
    // The profile: the channel and its uploads playlist.
    let profile = yt.profile(&tokens).await.unwrap();
    assert_eq!(profile.remote_id, tokens.open_id);
    assert_eq!(profile.display_name.as_deref(), Some("Fake Channel"));
    assert_eq!(
        profile.account_info.unwrap()["uploads_playlist"],
        "UUfAkEcHaNnEl0000000000a"
    );
    yt.check_access(&tokens.access_token).await.unwrap();
    // What `schedule` asks before a post is queued: the channel, every privacy.
    let creator = yt.creator(&tokens.access_token).await.unwrap();
    assert_eq!(creator.name(), "Fake Channel");
    assert_eq!(
        creator.account_info().unwrap()["uploads_playlist"],
        "UUfAkEcHaNnEl0000000000a"
    );
}

#[tokio::test]
async fn a_code_with_another_logins_verifier_or_redirect_is_refused() {
    let fake = start();
    let yt = provider(&fake);
    let scopes = yt.scopes().asked(false);
    let (url, _mine) = yt.authorize(REDIRECT, &scopes).unwrap();
    let (_, other) = yt.authorize(REDIRECT, &scopes).unwrap();
    let (code, _) = consent(&url).await;
    let Err(Error::Api(e)) = yt.exchange(&code, &other, Utc::now()).await else {
        panic!("a wrong PKCE verifier was accepted")
    };
    assert_eq!(
        (e.code.as_str(), e.class()),
        ("invalid_grant", ErrorClass::Auth)
    );
    assert!(
        !e.to_string().contains(&code),
        "the code is never in a message: {e}"
    );
    let (url, _) = yt.authorize(REDIRECT, &scopes).unwrap();
    let (_, elsewhere) = yt.authorize("http://127.0.0.1:53125/", &scopes).unwrap();
    let (code, _) = consent(&url).await;
    assert!(
        yt.exchange(&code, &elsewhere, Utc::now()).await.is_err(),
        "the redirect URI must be the authorize request's"
    );
    assert_eq!(fake.state().tokens.len(), 0, "no token was issued");
}

#[tokio::test]
async fn a_refresh_keeps_the_refresh_token_and_revoke_ends_the_grant() {
    let fake = start();
    let yt = provider(&fake);
    let tokens = login(&yt).await;
    fake.expire_access_tokens();
    let Err(Error::Api(e)) = yt.check_access(&tokens.access_token).await else {
        panic!("an expired token was accepted")
    };
    assert_eq!(e.class(), ErrorClass::Token, "401 authError: refresh once");
    let fresh = yt.refresh(&tokens.refresh_token, Utc::now()).await.unwrap();
    assert_eq!(
        fresh.refresh_token.expose(),
        tokens.refresh_token.expose(),
        "Google sends no refresh token on refresh (§1.6): the old one is kept"
    );
    assert_ne!(fresh.access_token.expose(), tokens.access_token.expose());
    yt.check_access(&fresh.access_token).await.unwrap();
    yt.revoke(&fresh.access_token).await.unwrap();
    let Err(Error::Api(e)) = yt.refresh(&tokens.refresh_token, Utc::now()).await else {
        panic!("a revoked grant refreshed")
    };
    assert_eq!(e.class(), ErrorClass::Auth);
}

#[tokio::test]
async fn three_chunks_arrive_whole_as_one_video() {
    let fake = start();
    let yt = provider(&fake);
    let tokens = login(&yt).await;
    let dir = tempfile::tempdir().unwrap();
    let size = 2 * CHUNK_SIZE as usize + 12_345;
    let (post, video) = post(dir.path(), size);
    let plan = yt.plan(size as u64);
    assert_eq!(plan.count, 3);
    let token = &tokens.access_token;
    let checkpoint = yt.begin(token, &post, &post.options, plan).await.unwrap();
    assert!(!format!("{checkpoint:?}").contains("upload_id"));
    send_all(&yt, token, &checkpoint, &video, plan, 0)
        .await
        .unwrap();
    let state = settle(&yt, token, &post, &checkpoint).await;
    let RemoteState::Published(Some(id)) = state else {
        panic!("{state:?}")
    };
    let snapshot = fake.state();
    assert_eq!(snapshot.videos.len(), 1);
    let stored = snapshot.video(&id).unwrap();
    assert_eq!(
        stored.sha256.as_deref(),
        Some(sha256_of(&post.file).as_str())
    );
    assert_eq!(stored.title, "Pasta in 30 seconds");
    assert_eq!(stored.requested_privacy, "public");
    let session = &snapshot.sessions[0];
    assert_eq!(session.chunks, [CHUNK_SIZE, CHUNK_SIZE, 12_345]);
    assert_eq!(session.content_type, "video/mp4");
}

#[tokio::test]
async fn a_lost_final_reply_is_found_by_asking_never_by_uploading_again() {
    let fake = start();
    let yt = provider(&fake);
    let tokens = login(&yt).await;
    let dir = tempfile::tempdir().unwrap();
    let size = CHUNK_SIZE as usize + 777;
    let (post, video) = post(dir.path(), size);
    let plan = yt.plan(size as u64);
    let token = &tokens.access_token;
    let checkpoint = yt.begin(token, &post, &post.options, plan).await.unwrap();
    fake.inject(Fault::FinalReplyLost);
    let put = |i| yt.upload(token, &checkpoint, &video, "video/mp4", plan, i, quiet());
    assert_eq!(put(0).await.unwrap(), PutOutcome::Stored);
    assert!(matches!(put(1).await.unwrap_err(), Error::Network(_)));
    assert_eq!(
        live_videos(&fake),
        1,
        "the video exists although its 201 was lost"
    );
    // A crash here: a new process has only the checkpoint, and asks before anything (§2.5).
    let restarted = provider(&fake);
    let state = settle(&restarted, token, &post, &checkpoint).await;
    assert!(
        matches!(state, RemoteState::Published(Some(_))),
        "{state:?}"
    );
    assert_eq!(fake.state().count(fake_youtube::Endpoint::VideosInsert), 1);
    assert_eq!(live_videos(&fake), 1, "one video per post");
    // The same process retrying the chunk asks first too, and learns it is complete.
    assert_eq!(put(1).await.unwrap(), PutOutcome::Complete);
    assert_eq!(live_videos(&fake), 1);
}

#[tokio::test]
async fn a_lost_final_reply_then_a_dead_session_is_found_in_the_uploads() {
    let fake = start();
    let yt = provider(&fake);
    let tokens = login(&yt).await;
    let dir = tempfile::tempdir().unwrap();
    let (post, video) = post(dir.path(), 300_000);
    let plan = yt.plan(300_000);
    let token = &tokens.access_token;
    let checkpoint = yt.begin(token, &post, &post.options, plan).await.unwrap();
    fake.inject(Fault::FinalReplyLost);
    assert!(
        yt.upload(token, &checkpoint, &video, "video/mp4", plan, 0, quiet())
            .await
            .is_err()
    );
    // The fake keeps a completed session forever; YouTube's expire (§2.4). A session the fake
    // does not know answers 404 as an expired one would: only the uploads playlist can tell.
    let mut gone = url::Url::parse(&checkpoint.upload_url).unwrap();
    let pairs: Vec<(String, String)> = gone
        .query_pairs()
        .into_owned()
        .map(|(k, v)| {
            if k == "upload_id" {
                (k, "expired-long-ago".into())
            } else {
                (k, v)
            }
        })
        .collect();
    gone.query_pairs_mut().clear().extend_pairs(pairs);
    let gone = Checkpoint {
        id: session_key(gone.as_str()),
        upload_url: gone.to_string(),
        ..checkpoint.clone()
    };
    let restarted = provider(&fake);
    let state = settle(&restarted, token, &post, &gone).await;
    let RemoteState::Published(Some(id)) = state else {
        panic!("{state:?}")
    };
    let snapshot = fake.state();
    assert_eq!(
        snapshot.videos[0].id, id,
        "the lost reply's video, found in the uploads"
    );
    assert_eq!(snapshot.count(fake_youtube::Endpoint::VideosInsert), 1);
    assert!(snapshot.count(fake_youtube::Endpoint::PlaylistItemsList) >= 1);
}

#[tokio::test]
async fn an_expired_session_of_an_unfinished_upload_is_unknown_and_restarts() {
    let fake = FakeYouTube::start_blocking(FakeOptions {
        expired_session_status: 410,
        ..FakeOptions::default()
    })
    .unwrap();
    let yt = provider(&fake);
    let tokens = login(&yt).await;
    let dir = tempfile::tempdir().unwrap();
    let size = CHUNK_SIZE as usize + 1;
    let (post, video) = post(dir.path(), size);
    let plan = yt.plan(size as u64);
    let token = &tokens.access_token;
    let checkpoint = yt.begin(token, &post, &post.options, plan).await.unwrap();
    let put = |c: &Checkpoint, i| {
        let c = c.clone();
        let video = video.clone();
        let yt = &yt;
        async move {
            yt.upload(token, &c, &video, "video/mp4", plan, i, quiet())
                .await
        }
    };
    assert_eq!(put(&checkpoint, 0).await.unwrap(), PutOutcome::Stored);
    fake.expire_sessions();
    let Err(Error::Api(e)) = put(&checkpoint, 1).await else {
        panic!("a dead session took bytes")
    };
    assert_eq!(e.class(), ErrorClass::UploadGone);
    let state = yt.status(token, &post, &checkpoint).await.unwrap();
    assert!(matches!(state, RemoteState::Unknown(_)), "{state:?}");
    // The engine starts again: one video in the end.
    let again = yt.begin(token, &post, &post.options, plan).await.unwrap();
    assert_ne!(again.id, checkpoint.id);
    send_all(&yt, token, &again, &video, plan, 0).await.unwrap();
    assert!(matches!(
        settle(&yt, token, &post, &again).await,
        RemoteState::Published(Some(_))
    ));
    assert_eq!(live_videos(&fake), 1);
}

#[tokio::test]
async fn interrupted_chunks_resume_from_the_byte_youtube_holds() {
    let fake = start();
    let yt = provider(&fake);
    let tokens = login(&yt).await;
    let dir = tempfile::tempdir().unwrap();
    let size = 3 * CHUNK_SIZE as usize + 99;
    let (post, video) = post(dir.path(), size);
    let plan = yt.plan(size as u64);
    let token = &tokens.access_token;
    let checkpoint = yt.begin(token, &post, &post.options, plan).await.unwrap();
    fake.inject(Fault::ShortStore {
        chunk: 0,
        keep: CHUNK_SIZE / 2,
    });
    fake.inject(Fault::ResetMidChunk { chunk: 2 });
    fake.inject(Fault::Relocate { chunk: 3 });
    fake.inject(Fault::ChunkStatus {
        chunk: 4,
        http: 503,
    });
    send_all(&yt, token, &checkpoint, &video, plan, 0)
        .await
        .unwrap();
    let state = settle(&yt, token, &post, &checkpoint).await;
    let RemoteState::Published(Some(id)) = state else {
        panic!("{state:?}")
    };
    let snapshot = fake.state();
    assert!(
        snapshot.pending_faults.is_empty(),
        "{:?}",
        snapshot.pending_faults
    );
    assert_eq!(
        snapshot.video(&id).unwrap().sha256.as_deref(),
        Some(sha256_of(&post.file).as_str())
    );
    assert_eq!(live_videos(&fake), 1);
}

#[tokio::test]
async fn a_crash_mid_upload_resumes_in_a_new_process() {
    let fake = start();
    let yt = provider(&fake);
    let tokens = login(&yt).await;
    let dir = tempfile::tempdir().unwrap();
    let size = 2 * CHUNK_SIZE as usize + 3;
    let (post, video) = post(dir.path(), size);
    let plan = yt.plan(size as u64);
    let token = &tokens.access_token;
    let checkpoint = yt.begin(token, &post, &post.options, plan).await.unwrap();
    // Two chunks stored; the process dies before saving the second as done.
    for i in 0..2 {
        let outcome = yt
            .upload(token, &checkpoint, &video, "video/mp4", plan, i, quiet())
            .await
            .unwrap();
        assert_eq!(outcome, PutOutcome::Stored);
    }
    let restarted = provider(&fake);
    assert_eq!(
        restarted.status(token, &post, &checkpoint).await.unwrap(),
        RemoteState::Working {
            received: Some(2 * CHUNK_SIZE)
        }
    );
    assert!(restarted.resumable(&checkpoint, plan, Utc::now()));
    // The engine resumes from its saved progress (chunk 1): YouTube already has it.
    send_all(&restarted, token, &checkpoint, &video, plan, 1)
        .await
        .unwrap();
    assert!(matches!(
        settle(&restarted, token, &post, &checkpoint).await,
        RemoteState::Published(Some(_))
    ));
    let snapshot = fake.state();
    assert_eq!(snapshot.sessions[0].chunks, [CHUNK_SIZE, CHUNK_SIZE, 3]);
    assert_eq!(
        snapshot.videos[0].sha256.as_deref(),
        Some(sha256_of(&post.file).as_str())
    );
}

#[tokio::test]
async fn an_expired_token_mid_upload_refreshes_and_goes_on_in_the_same_session() {
    let fake = start();
    let yt = provider(&fake);
    let tokens = login(&yt).await;
    let dir = tempfile::tempdir().unwrap();
    let size = CHUNK_SIZE as usize + 10;
    let (post, video) = post(dir.path(), size);
    let plan = yt.plan(size as u64);
    let checkpoint = yt
        .begin(&tokens.access_token, &post, &post.options, plan)
        .await
        .unwrap();
    fake.expire_access_tokens();
    let Err(Error::Api(e)) = yt
        .upload(
            &tokens.access_token,
            &checkpoint,
            &video,
            "video/mp4",
            plan,
            0,
            quiet(),
        )
        .await
    else {
        panic!("an expired token uploaded")
    };
    assert_eq!(e.class(), ErrorClass::Token);
    let fresh = yt.refresh(&tokens.refresh_token, Utc::now()).await.unwrap();
    send_all(&yt, &fresh.access_token, &checkpoint, &video, plan, 0)
        .await
        .unwrap();
    assert!(matches!(
        settle(&yt, &fresh.access_token, &post, &checkpoint).await,
        RemoteState::Published(Some(_))
    ));
    assert_eq!(
        fake.state().sessions.len(),
        1,
        "the session outlived the token (§2.4)"
    );
}

#[tokio::test]
async fn quotas_hold_until_midnight_pacific_or_a_day() {
    let fake = start();
    let yt = provider(&fake);
    let tokens = login(&yt).await;
    let dir = tempfile::tempdir().unwrap();
    let (post, _) = post(dir.path(), 1000);
    let plan = yt.plan(1000);
    let token = &tokens.access_token;
    let now = Utc::now();
    for (fault, code) in [
        (Fault::DailyUploadsExceeded, "rateLimitExceeded"),
        (Fault::QuotaExceeded, "quotaExceeded"),
        (Fault::UploadLimitExceeded, "uploadLimitExceeded"),
    ] {
        fake.inject(fault);
        let Err(Error::Api(e)) = yt.begin(token, &post, &post.options, plan).await else {
            panic!("{code}: the init went through")
        };
        assert_eq!((e.code.as_str(), e.class()), (code, ErrorClass::Quota));
        let ends = yt.quota_ends(&e.code, now);
        if code == "uploadLimitExceeded" {
            assert_eq!(ends, now + chrono::Duration::hours(24));
        } else {
            let pacific = ends.with_timezone(&chrono_tz::America::Los_Angeles);
            assert_eq!(pacific.format("%H:%M:%S").to_string(), "00:00:00");
            assert!(ends > now && ends <= now + chrono::Duration::hours(24));
        }
    }
    assert!(fake.state().sessions.is_empty());
}

#[tokio::test]
async fn processing_failures_and_rejections_end_the_post_with_the_reason() {
    let fake = start();
    let yt = provider(&fake);
    let tokens = login(&yt).await;
    let token = &tokens.access_token;
    for (fault, code) in [
        (
            Fault::ProcessingFails {
                reason: "codec".into(),
            },
            "codec",
        ),
        (
            Fault::Rejected {
                reason: "duplicate".into(),
            },
            "duplicate",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let (post, video) = post(dir.path(), 5000);
        let plan = yt.plan(5000);
        let checkpoint = yt.begin(token, &post, &post.options, plan).await.unwrap();
        fake.inject(fault);
        send_all(&yt, token, &checkpoint, &video, plan, 0)
            .await
            .unwrap();
        let state = settle(&yt, token, &post, &checkpoint).await;
        let RemoteState::Failed(failure) = state else {
            panic!("{state:?}")
        };
        assert_eq!(failure.code, code);
        assert_eq!(failure.class, ErrorClass::Permanent);
    }
}

#[tokio::test]
async fn a_removed_video_is_reported_gone_not_uploaded_again() {
    let fake = start();
    let yt = provider(&fake);
    let tokens = login(&yt).await;
    let token = &tokens.access_token;
    let dir = tempfile::tempdir().unwrap();
    let (post, video) = post(dir.path(), 5000);
    let plan = yt.plan(5000);
    let checkpoint = yt.begin(token, &post, &post.options, plan).await.unwrap();
    send_all(&yt, token, &checkpoint, &video, plan, 0)
        .await
        .unwrap();
    let id = fake.state().videos[0].id.clone();
    assert!(fake.remove_video(&id));
    let state = yt.status(token, &post, &checkpoint).await.unwrap();
    let RemoteState::Failed(failure) = state else {
        panic!("{state:?}")
    };
    assert_eq!(failure.class, ErrorClass::Permanent);
    assert_eq!(fake.state().count(fake_youtube::Endpoint::VideosInsert), 1);
}

#[test]
fn session_keys_are_what_checkpoints_show() {
    let key = session_key("https://www.googleapis.com/upload/youtube/v3/videos?upload_id=abc");
    assert!(key.starts_with("session-") && !key.contains("abc"));
}

/// Every error, every `Debug` and every value the module hands back, from a run through the
/// faults, is free of what Google issued or was sent in confidence: tokens, codes, verifiers,
/// the client secret, session URIs and their upload ids.
#[tokio::test]
async fn nothing_the_module_shows_holds_a_secret() {
    let fake = start();
    let yt = provider(&fake);
    let mut shown: Vec<String> = Vec::new();
    let scopes = yt.scopes().asked(false);
    let (url, pending) = yt.authorize(REDIRECT, &scopes).unwrap();
    shown.push(format!("{pending:?}"));
    let (code, _) = consent(&url).await;
    let tokens = yt.exchange(&code, &pending, Utc::now()).await.unwrap();
    shown.push(format!("{tokens:?}"));
    if let Err(e) = yt.exchange(&code, &pending, Utc::now()).await {
        shown.push(format!("{e} {e:?} {:?}", e.hint()));
    }
    let token = &tokens.access_token;
    let dir = tempfile::tempdir().unwrap();
    let size = CHUNK_SIZE as usize + 5;
    let (post, video) = post(dir.path(), size);
    let plan = yt.plan(size as u64);
    let checkpoint = yt.begin(token, &post, &post.options, plan).await.unwrap();
    shown.push(format!("{checkpoint:?} {}", checkpoint.id));
    fake.inject(Fault::ResetMidChunk { chunk: 0 });
    fake.inject(Fault::FinalReplyLost);
    for i in [0, 0, 1, 1] {
        match yt
            .upload(token, &checkpoint, &video, "video/mp4", plan, i, quiet())
            .await
        {
            Ok(outcome) => shown.push(format!("{outcome:?}")),
            Err(e) => shown.push(format!("{e} {e:?} {:?}", e.hint())),
        }
    }
    shown.push(format!("{:?}", yt.status(token, &post, &checkpoint).await));
    fake.expire_access_tokens();
    if let Err(e) = yt.status(token, &post, &checkpoint).await {
        shown.push(format!("{e} {e:?}"));
    }
    fake.inject(Fault::RefreshFails {
        error: "invalid_grant".into(),
    });
    if let Err(e) = yt.refresh(&tokens.refresh_token, Utc::now()).await {
        shown.push(format!("{e} {e:?}"));
    }
    let fresh = yt.refresh(&tokens.refresh_token, Utc::now()).await.unwrap();
    shown.push(format!("{fresh:?}"));
    let other = yt
        .begin(&fresh.access_token, &post, &post.options, plan)
        .await
        .unwrap();
    fake.expire_sessions();
    if let Err(e) = yt
        .upload(
            &fresh.access_token,
            &other,
            &video,
            "video/mp4",
            plan,
            0,
            quiet(),
        )
        .await
    {
        shown.push(format!("{e} {e:?}"));
    }
    shown.push(format!(
        "{:?}",
        yt.status(&fresh.access_token, &post, &other).await
    ));
    shown.push(format!("{yt:?}"));
    shown.push(format!("{:?}", yt.profile(&fresh).await));

    let snapshot = fake.state();
    let mut secrets: Vec<String> = snapshot.tokens.iter().map(|t| t.token.clone()).collect();
    secrets.extend(snapshot.secrets_seen.iter().cloned());
    secrets.push(fake.client_secret().to_string());
    secrets.push(code.clone());
    for s in &snapshot.sessions {
        secrets.push(s.uri.clone());
        secrets.push(s.upload_id.clone());
    }
    assert!(snapshot.sessions.len() >= 2 && snapshot.tokens.len() >= 3);
    let text = shown.join("\n");
    for secret in secrets.iter().filter(|s| s.len() >= 8) {
        assert!(
            !text.contains(secret.as_str()),
            "`{secret}` shown in:\n{text}"
        );
    }
}

/// Granular consent (trap 4): a login without `youtube.readonly` cannot name its channel, and
/// says which box to leave ticked; one without `youtube.upload` is granted but cannot upload.
#[tokio::test]
async fn a_login_missing_a_scope_says_so() {
    let fake = start();
    let yt = provider(&fake);
    fake.set_granted_scopes(Some(vec![SCOPE_UPLOAD.into()]));
    let (url, pending) = yt.authorize(REDIRECT, &yt.scopes().asked(false)).unwrap();
    let (code, _) = consent(&url).await;
    let Err(Error::Api(e)) = yt.exchange(&code, &pending, Utc::now()).await else {
        panic!("a login that cannot read its channel was accepted")
    };
    assert_eq!(e.class(), ErrorClass::Scope, "{e}");
    assert!(e.hint().unwrap().contains("ticked"));
    fake.set_granted_scopes(Some(vec![SCOPE_READONLY.into()]));
    let tokens = login(&yt).await;
    let (upload, direct) = yt.scopes().granted(&tokens);
    assert!(
        !upload && !direct,
        "connect refuses a login that can neither upload nor post"
    );
}

#[tokio::test]
async fn a_google_account_without_a_channel_is_told_to_make_one() {
    let fake = start();
    fake.set_channel(fake_youtube::FakeChannel {
        missing: true,
        ..Default::default()
    });
    let yt = provider(&fake);
    let (url, pending) = yt.authorize(REDIRECT, &yt.scopes().asked(false)).unwrap();
    let (code, _) = consent(&url).await;
    let Err(Error::Api(e)) = yt.exchange(&code, &pending, Utc::now()).await else {
        panic!("a login without a channel was accepted")
    };
    assert_eq!(e.code, "youtubeSignupRequired");
    assert!(e.hint().unwrap().contains("create one"), "{:?}", e.hint());
}

/// §2.3: a session that holds nothing answers 308 without `Range`; the upload starts at byte 0
/// in the same session.
#[tokio::test]
async fn a_session_holding_nothing_resumes_from_byte_zero() {
    let fake = start();
    let yt = provider(&fake);
    let tokens = login(&yt).await;
    let token = &tokens.access_token;
    let dir = tempfile::tempdir().unwrap();
    let (post, video) = post(dir.path(), 4000);
    let plan = yt.plan(4000);
    let checkpoint = yt.begin(token, &post, &post.options, plan).await.unwrap();
    let restarted = provider(&fake);
    assert_eq!(
        restarted.status(token, &post, &checkpoint).await.unwrap(),
        RemoteState::Working { received: Some(0) }
    );
    send_all(&restarted, token, &checkpoint, &video, plan, 0)
        .await
        .unwrap();
    assert!(matches!(
        settle(&restarted, token, &post, &checkpoint).await,
        RemoteState::Published(Some(_))
    ));
    let snapshot = fake.state();
    assert_eq!((snapshot.sessions.len(), snapshot.videos.len()), (1, 1));
}
