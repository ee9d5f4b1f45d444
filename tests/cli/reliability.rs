//! Regressions for bugs found by the reliability campaigns (`tests/reliability/run`, see
//! RELIABILITY.md): each test is the smallest reproduction of one finding.

use postez::provider::tiktok::parse_token_answer;

fn now() -> chrono::DateTime<chrono::Utc> {
    crate::support::NOW.parse().unwrap()
}

/// R1: a token answer with an absurd `expires_in` panicked (chrono overflow) instead of being
/// read; a lifetime beyond any real one is capped.
#[test]
fn an_absurd_token_lifetime_is_capped_not_a_panic() {
    for secs in [i64::MAX, i64::MIN, 9_223_372_036_854_775, 1 << 40] {
        let body = format!(
            r#"{{"access_token":"a","refresh_token":"r","open_id":"o","expires_in":{secs},"refresh_expires_in":{secs}}}"#
        );
        let tokens = parse_token_answer("refresh the login", 200, body.as_bytes(), now())
            .unwrap_or_else(|e| panic!("{secs}: {e}"));
        assert!(tokens.access_expires_at >= now());
        assert!(tokens.access_expires_at.timestamp() < 253_402_300_799);
    }
}
