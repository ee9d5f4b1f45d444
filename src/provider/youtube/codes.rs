//! Google's error answers and what they mean to postez: every refusal from the token endpoint
//! (`{"error":"invalid_grant","error_description"}`, §1.6) or the Data API
//! (`{"error":{"code","message","errors":[{"reason"}]}}`, §3.2) becomes an [`ApiError`] here,
//! classified by its `reason` first and its HTTP status second (trap 18), with the hint a user
//! needs; and when a quota ends ([`quota_ends`], §5). Nothing outside `provider/youtube` reads a
//! Google reason.

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use chrono_tz::America::Los_Angeles;
use serde::Deserialize;

use super::{SEAM_PLATFORM, short_code, shorten};
use crate::provider::{ApiError, ErrorClass};

/// The code of an upload session YouTube no longer knows (404, or an undocumented 410: §2.4).
pub(super) const SESSION_GONE: &str = "uploadSessionNotFound";
/// The code of a session gone after its last byte was sent without an answer: the video may
/// exist (§2.5), so it is not [`SESSION_GONE`], which lets the engine start a new upload at once;
/// the next attempt's status check reads the channel's uploads first.
pub(super) const SESSION_GONE_AFTER_END: &str = "uploadSessionGoneAfterLastByte";
/// The code of an answer that was not what the protocol promises.
pub(super) const INVALID_RESPONSE: &str = "invalid_response";

/// A refusal from Google, classified.
pub(super) fn refusal(action: &'static str, http: u16, code: &str, message: &str) -> ApiError {
    let code = short_code(code);
    let class = class(http, &code, message);
    ApiError {
        platform: SEAM_PLATFORM,
        action,
        http,
        hint: hint(&code, class),
        message: shorten(message),
        code,
        log_id: None,
        class,
    }
}

/// An answer postez cannot read (not JSON, or not the expected shape): a server's trouble when
/// it came with a 5xx, else a permanent oddity.
pub(super) fn invalid_answer(action: &'static str, http: u16) -> ApiError {
    let code = if http >= 500 {
        "backendError"
    } else {
        INVALID_RESPONSE
    };
    refusal(
        action,
        http,
        code,
        "the answer was not the JSON postez expected",
    )
}

#[derive(Deserialize)]
struct Body {
    error: Option<ErrorField>,
    #[serde(default)]
    error_description: Option<String>,
}

/// `error` is an object for the Data API, a string for the token endpoint.
#[derive(Deserialize)]
#[serde(untagged)]
enum ErrorField {
    Api(ApiBody),
    OAuth(String),
}

#[derive(Deserialize)]
struct ApiBody {
    #[serde(default)]
    message: String,
    #[serde(default)]
    errors: Vec<Reason>,
    #[serde(default)]
    status: Option<String>,
}

#[derive(Deserialize)]
struct Reason {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    message: String,
}

/// Read a non-2xx answer's body (either form) into a classified refusal. Pure, so untrusted
/// bytes never panic; a body that is neither form is named by its HTTP status.
pub(super) fn from_body(action: &'static str, http: u16, body: &[u8]) -> ApiError {
    let fallback = || format!("http_{http}");
    match serde_json::from_slice::<Body>(body) {
        Ok(Body {
            error: Some(ErrorField::Api(api)),
            ..
        }) => {
            let first = api.errors.into_iter().find(|r| !r.reason.is_empty());
            let (code, detail) = match first {
                Some(r) => (r.reason, r.message),
                None => (api.status.unwrap_or_else(fallback), String::new()),
            };
            let message = if api.message.is_empty() {
                detail
            } else {
                api.message
            };
            refusal(action, http, &code, &message)
        }
        Ok(Body {
            error: Some(ErrorField::OAuth(code)),
            error_description,
        }) if !code.is_empty() => refusal(
            action,
            http,
            &code,
            error_description.as_deref().unwrap_or_default(),
        ),
        _ => refusal(action, http, &fallback(), "no error details in the answer"),
    }
}

/// Whether a 429 `rateLimitExceeded` reports the exhausted "Video Uploads per day" bucket
/// (§5.2: it looks retryable and is not) rather than a short rate limit.
fn per_day(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("per day") || m.contains("daily")
}

/// What a reason means (§1.6, §3.3, §5), whatever HTTP status carries it.
fn class(http: u16, code: &str, message: &str) -> ErrorClass {
    match code {
        // §5.2: the 10,000-unit pool, and the older form of a spent daily limit.
        "quotaExceeded" | "dailyLimitExceeded" => ErrorClass::Quota,
        // §5.2: the insert bucket answers 429 rateLimitExceeded "… per day"; other rate
        // limits pass after a short wait.
        "rateLimitExceeded" | "userRateLimitExceeded" if per_day(message) => ErrorClass::Quota,
        // §5.3: per channel, "try again in 24 hours".
        "uploadLimitExceeded" => ErrorClass::Quota,
        "authError" | "invalid_token" => ErrorClass::Token,
        // §1.6: expired, revoked or used codes and refresh tokens; a refresh token of another
        // client.
        "invalid_grant" | "unauthorized_client" => ErrorClass::Auth,
        "invalid_client" => ErrorClass::Client,
        "insufficientPermissions" | "insufficient_scope" => ErrorClass::Scope,
        // The Google account has no channel (§3.3): nothing postez can do until the user makes
        // one; the account waits.
        "youtubeSignupRequired" => ErrorClass::Banned,
        SESSION_GONE => ErrorClass::UploadGone,
        SESSION_GONE_AFTER_END => ErrorClass::Retryable,
        "backendError"
        | "internalError"
        | "serviceUnavailable"
        | "rateLimitExceeded"
        | "userRateLimitExceeded"
        | "uploadRateLimitExceeded" => ErrorClass::Retryable,
        _ if http == 401 => ErrorClass::Token,
        _ if http == 429 || http >= 500 => ErrorClass::Retryable,
        _ => ErrorClass::Permanent,
    }
}

/// What the user can do about a reason.
fn hint(code: &str, class: ErrorClass) -> Option<&'static str> {
    let hint = match code {
        "quotaExceeded" | "dailyLimitExceeded" | "rateLimitExceeded" | "userRateLimitExceeded"
            if class == ErrorClass::Quota =>
        {
            "your Google Cloud project's daily YouTube quota is used up; the YouTube posts wait \
             until it resets at midnight Pacific time"
        }
        "uploadLimitExceeded" => {
            "YouTube limits how many videos a channel uploads a day; this channel's posts wait a day"
        }
        "authError" | "invalid_token" | "invalid_grant" | "unauthorized_client" => {
            "run `postez connect youtube` again"
        }
        "insufficientPermissions" | "insufficient_scope" => {
            "run `postez connect youtube` again and leave every box ticked on Google's consent \
             page (postez needs to upload videos and to see your channel)"
        }
        "invalid_client" => {
            "fix the Google OAuth client id or secret: `postez connect youtube` asks for the \
             secret again, or set POSTEZ_YOUTUBE_CLIENT_SECRET"
        }
        "youtubeSignupRequired" => {
            "this Google account has no YouTube channel: create one on youtube.com, then run \
             `postez connect youtube` again"
        }
        "invalidTitle" => "give a title of 1 to 100 characters without < or > (`postez edit`)",
        "invalidDescription" => {
            "shorten the description to 5000 bytes and remove < and > (`postez edit`)"
        }
        "invalidTags" => "shorten the tags to 500 characters in all (`postez edit`)",
        "invalidCategoryId" => "choose another category (`postez edit`)",
        "forbiddenPrivacySetting" => "choose another privacy (`postez edit`)",
        SESSION_GONE => "the upload expired at YouTube; postez starts a new one",
        SESSION_GONE_AFTER_END => {
            "the next `postez run` looks among the channel's uploads for the video before \
             uploading it again"
        }
        _ => match class {
            ErrorClass::Retryable => "this is temporary; the next `postez run` tries again",
            ErrorClass::Token | ErrorClass::Auth => "run `postez connect youtube` again",
            _ => return None,
        },
    };
    Some(hint)
}

/// When a quota YouTube reported (its `code`) lets the account's posts go again:
/// `uploadLimitExceeded` is the channel's and passes in 24 hours (§5.3); the project's quotas
/// reset at the next midnight Pacific time, DST-aware (§5.1).
pub fn quota_ends(code: &str, now: DateTime<Utc>) -> DateTime<Utc> {
    if code == "uploadLimitExceeded" {
        return now + Duration::hours(24);
    }
    next_pacific_midnight(now)
}

/// The first midnight in America/Los_Angeles strictly after `now`.
pub(super) fn next_pacific_midnight(now: DateTime<Utc>) -> DateTime<Utc> {
    let today = now.with_timezone(&Los_Angeles).date_naive();
    today
        .succ_opt()
        .map(|day| day.and_time(NaiveTime::MIN))
        // Los Angeles changes its clocks at 2 a.m., so midnight always exists once; `earliest`
        // still gives an answer should a rule ever move the change to midnight.
        .and_then(|midnight| Los_Angeles.from_local_datetime(&midnight).earliest())
        .map_or(now + Duration::hours(24), |t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(http: u16, reason: &str, message: &str) -> ApiError {
        let body = serde_json::json!({"error": {"code": http, "message": message,
            "errors": [{"message": message, "domain": "youtube.x", "reason": reason}]}});
        from_body("start the upload", http, body.to_string().as_bytes())
    }

    #[test]
    fn api_errors_are_read_by_reason() {
        let e = api(
            403,
            "quotaExceeded",
            "The request cannot be completed because you have exceeded your <a href=\"/q\">quota</a>.",
        );
        assert_eq!(
            (e.code.as_str(), e.class),
            ("quotaExceeded", ErrorClass::Quota)
        );
        assert_eq!(
            e.message,
            "The request cannot be completed because you have exceeded your quota."
        );
        assert!(e.hint().unwrap().contains("midnight Pacific"));
        let daily = api(
            429,
            "rateLimitExceeded",
            "Quota exceeded for quota metric 'Video Uploads' and limit 'Video Uploads per day' of service 'youtube.googleapis.com'",
        );
        assert_eq!(
            daily.class,
            ErrorClass::Quota,
            "§5.2: looks retryable, is not"
        );
        assert!(daily.hint().unwrap().contains("midnight Pacific"));
        let burst = api(429, "rateLimitExceeded", "Too many requests");
        assert_eq!(burst.class, ErrorClass::Retryable);
        let channel = api(
            400,
            "uploadLimitExceeded",
            "The user has exceeded the number of videos they may upload.",
        );
        assert_eq!(channel.class, ErrorClass::Quota);
        assert!(channel.hint().unwrap().contains("a day"));
        for (http, reason, class) in [
            (401, "authError", ErrorClass::Token),
            (401, "whatever", ErrorClass::Token),
            (403, "insufficientPermissions", ErrorClass::Scope),
            (401, "youtubeSignupRequired", ErrorClass::Banned),
            (503, "backendError", ErrorClass::Retryable),
            (500, "anything", ErrorClass::Retryable),
            (400, "invalidTitle", ErrorClass::Permanent),
            (403, "forbidden", ErrorClass::Permanent),
            (400, "invalidPublishAt", ErrorClass::Permanent),
        ] {
            assert_eq!(api(http, reason, "m").class, class, "{http} {reason}");
        }
        for reason in [
            "authError",
            "insufficientPermissions",
            "youtubeSignupRequired",
        ] {
            assert!(
                api(401, reason, "m")
                    .hint()
                    .unwrap()
                    .contains("postez connect youtube"),
                "{reason}"
            );
        }
    }

    #[test]
    fn token_errors_are_flat() {
        let e = from_body(
            "refresh the login",
            400,
            br#"{"error":"invalid_grant","error_description":"Token has been expired or revoked."}"#,
        );
        assert_eq!(
            (e.code.as_str(), e.class),
            ("invalid_grant", ErrorClass::Auth)
        );
        assert_eq!(e.message, "Token has been expired or revoked.");
        assert!(e.hint().unwrap().contains("postez connect youtube"));
        let e = from_body(
            "exchange the login code",
            401,
            br#"{"error":"invalid_client"}"#,
        );
        assert_eq!(e.class, ErrorClass::Client);
        let e = from_body(
            "refresh the login",
            401,
            br#"{"error":"unauthorized_client"}"#,
        );
        assert_eq!(e.class, ErrorClass::Auth);
    }

    #[test]
    fn odd_bodies_are_named_by_their_status() {
        for (http, body, class) in [
            (502, &b"<html>Bad Gateway</html>"[..], ErrorClass::Retryable),
            (404, b"", ErrorClass::Permanent),
            (
                400,
                br#"{"error":{"code":400,"message":"x","errors":[]}}"#,
                ErrorClass::Permanent,
            ),
            (400, br#"{"error":{}}"#, ErrorClass::Permanent),
            (400, br#"[1,2]"#, ErrorClass::Permanent),
        ] {
            let e = from_body("read the channel", http, body);
            assert_eq!(e.class, class, "{http}");
            assert!(e.code.starts_with("http_"), "{}", e.code);
        }
        let long = "r".repeat(500);
        let e = api(400, &long, "m");
        assert!(e.code.chars().count() <= 65);
    }

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn quotas_reset_at_midnight_pacific_across_dst() {
        // Winter (PST, UTC-8).
        assert_eq!(
            quota_ends("quotaExceeded", utc("2026-01-15T20:00:00Z")),
            utc("2026-01-16T08:00:00Z")
        );
        // Summer (PDT, UTC-7).
        assert_eq!(
            quota_ends("rateLimitExceeded", utc("2026-07-04T06:59:59Z")),
            utc("2026-07-04T07:00:00Z")
        );
        // The night clocks spring forward (2026-03-08, 2 a.m.): before it, midnight is PST's;
        // after it, PDT's.
        assert_eq!(
            quota_ends("quotaExceeded", utc("2026-03-07T20:00:00Z")),
            utc("2026-03-08T08:00:00Z")
        );
        assert_eq!(
            quota_ends("quotaExceeded", utc("2026-03-08T09:30:00Z")),
            utc("2026-03-09T07:00:00Z")
        );
        // The night they fall back (2026-11-01): the day has 25 hours.
        assert_eq!(
            quota_ends("quotaExceeded", utc("2026-11-01T06:00:00Z")),
            utc("2026-11-01T07:00:00Z")
        );
        assert_eq!(
            quota_ends("quotaExceeded", utc("2026-11-01T07:00:00Z")),
            utc("2026-11-02T08:00:00Z"),
            "strictly after: at midnight, the next one"
        );
        // The channel's upload limit is a day from now, not a calendar day.
        assert_eq!(
            quota_ends("uploadLimitExceeded", utc("2026-03-08T09:30:00Z")),
            utc("2026-03-09T09:30:00Z")
        );
    }
}
