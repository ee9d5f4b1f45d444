//! YouTube strictness.

use super::fake_youtube::{FakeOptions, FakeYouTube};

#[tokio::test]
async fn starts() {
    let fake = FakeYouTube::start(FakeOptions::default()).await.unwrap();
    assert!(fake.base_url().starts_with("http://127.0.0.1:"));
}
