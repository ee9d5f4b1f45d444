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

/// R2: the token endpoint's error code and log id went into messages unbounded and unfiltered:
/// a hostile or broken server could print megabytes, or terminal escape sequences, into the
/// user's terminal and cron log.
#[test]
fn a_token_error_is_shortened_and_free_of_terminal_escapes() {
    let body = serde_json::json!({
        "error": format!("\u{1b}[2J\u{1b}]0;pwned\u{7}{}", "x".repeat(5000)),
        "error_description": format!("\u{1b}[31mred{}", "y".repeat(5000)),
        "log_id": "\u{1b}[1A".repeat(1000),
    });
    let e = parse_token_answer("refresh the login", 400, body.to_string().as_bytes(), now())
        .unwrap_err()
        .to_string();
    assert!(e.chars().count() < 600, "{} chars", e.chars().count());
    assert!(!e.chars().any(char::is_control), "{e:?}");
}
