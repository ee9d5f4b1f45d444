//! Shared mode (issue 14): the queue on a real PostgreSQL server (`tests/run` starts a throwaway
//! one and names it in `POSTEZ_TEST_DATABASE_URL`), several homes, the real binary and the strict
//! fake TikTok. Each test gets a schema of its own on that server.

use crate::support::{Fake, Media, TestEnv, media};

/// A fresh, empty shared queue: a schema of its own on the test server, as a URL whose
/// connections use it. `None` (the test is skipped) only outside `tests/run`.
pub fn shared_queue() -> Option<String> {
    #[allow(clippy::disallowed_methods)]
    let url = std::env::var("POSTEZ_TEST_DATABASE_URL").ok();
    #[allow(clippy::disallowed_methods)]
    let required = std::env::var("POSTEZ_REQUIRE_KEYRING").is_ok();
    let Some(url) = url else {
        assert!(
            !required,
            "tests/run must start PostgreSQL (POSTEZ_TEST_DATABASE_URL)"
        );
        eprintln!("SKIPPED: no PostgreSQL server (run the suite with `bash tests/run`)");
        return None;
    };
    let schema = format!("s{}", hex::encode(rand::random::<[u8; 6]>()));
    let status = std::process::Command::new("psql")
        .args([
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            &url,
            "-c",
            &format!("CREATE SCHEMA {schema}"),
        ])
        .status()
        .expect("psql");
    assert!(status.success(), "could not create schema {schema}");
    Some(format!("{url}?options=-c%20search_path%3D{schema}"))
}

/// A home on `fake` using the shared queue at `url`.
pub fn shared_home(fake: &Fake, url: &str) -> TestEnv {
    let mut env = fake.env();
    env.set("POSTEZ_DATABASE_URL", url);
    // Shared mode keeps the logins in the database (sealed with the passphrase's key).
    env.unset("POSTEZ_TOKEN_STORE");
    env
}

#[test]
fn one_home_schedules_and_publishes_through_the_shared_queue() {
    let Some(url) = shared_queue() else { return };
    let fake = Fake::start(|_| {});
    let env = shared_home(&fake, &url);
    let run = env.connect(&fake, &[]);
    assert_eq!(run.code, 0, "{run:?}");
    env.schedule(&media(Media::Mp4), "now", &["--caption", "shared"]);
    let run = env.run(&["run"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(fake.finished().len(), 1);
    let list = env.run(&["list", "--all", "--json"]).json();
    assert_eq!(list[0]["state"], "published", "{list}");
    // Nothing was written to a local SQLite queue.
    assert!(!env.db().exists());
}
