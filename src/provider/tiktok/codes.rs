//! TikTok's error codes and what they mean to postez: every refusal TikTok sends becomes an
//! [`ApiError`] here, classified (retry, refresh, reconnect, quota, ban, app credentials, scope,
//! dead upload address) and given the hint a user needs. Nothing outside `provider/tiktok`
//! reads a TikTok code.

use crate::provider::{ApiError, ErrorClass, Platform};

/// A refusal from TikTok, classified.
pub(crate) fn refusal(
    action: &'static str,
    http: u16,
    code: String,
    message: String,
    log_id: Option<String>,
) -> ApiError {
    let class = class(action, http, &code);
    ApiError {
        platform: Platform::TikTok,
        action,
        http,
        hint: hint(&code, class),
        code,
        message,
        log_id,
        class,
    }
}

/// What a code means, whatever HTTP status carries it (creator_info sends some with 200).
fn class(action: &str, http: u16, code: &str) -> ErrorClass {
    match code {
        "access_token_invalid" => ErrorClass::Token,
        "invalid_grant" | "auth_removed" => ErrorClass::Auth,
        // A refresh TikTok calls malformed cannot be repaired by trying again: the saved login
        // is what it refused.
        "invalid_request" if action == super::REFRESH_ACTION => ErrorClass::Auth,
        "scope_not_authorized" => ErrorClass::Scope,
        "invalid_client" => ErrorClass::Client,
        // shared/tiktok-api.md §2.1–2.3, §2.7: 24-hour windows, some with HTTP 200.
        "spam_risk_too_many_pending_share"
        | "spam_risk_too_many_posts"
        | "reached_active_user_cap" => ErrorClass::Quota,
        "spam_risk_user_banned_from_posting" => ErrorClass::Banned,
        "upload_url_expired" | "upload_not_found" => ErrorClass::UploadGone,
        "rate_limit_exceeded"
        | "internal_error"
        | "server_error"
        | "temporarily_unavailable"
        | "internal" => ErrorClass::Retryable,
        _ if http == 429 || http >= 500 => ErrorClass::Retryable,
        _ => ErrorClass::Permanent,
    }
}

/// What the user can do about a code.
fn hint(code: &str, class: ErrorClass) -> Option<&'static str> {
    let hint = match code {
        "unaudited_client_can_only_post_to_private_accounts" => {
            "your TikTok app is not audited yet: post SELF_ONLY from a private account, or use --draft"
        }
        "privacy_level_option_mismatch" => {
            "choose a privacy level the account offers (`postez accounts` lists them) with `postez edit ID --privacy …`"
        }
        "spam_risk_too_many_posts" => {
            "TikTok limits how many posts a creator makes a day; the posts wait a day, nothing to do"
        }
        "spam_risk_user_banned_from_posting" => {
            "TikTok does not let this account post: look in the TikTok app; once it may post \
             again, run `postez connect tiktok` to go on"
        }
        "spam_risk_too_many_pending_share" => {
            "five drafts already wait in your TikTok inbox: finish or delete them in the app; \
             the drafts wait a day"
        }
        "reached_active_user_cap" => {
            "your TikTok app reached its daily limit of posting creators; the posts wait a day"
        }
        "access_token_invalid" | "invalid_grant" | "auth_removed" => {
            "run `postez connect tiktok` again"
        }
        "scope_not_authorized" => {
            "use --draft, or turn on Direct Post for your app in TikTok's developer portal and \
             run `postez connect tiktok` again"
        }
        "invalid_client" => {
            "fix the TikTok app's client key or secret: `postez connect tiktok` asks for the \
             secret again, or set POSTEZ_TIKTOK_CLIENT_SECRET (the key: \
             `postez config set tiktok_client_key KEY`)"
        }
        "file_format_check_failed"
        | "duration_check_failed"
        | "frame_rate_check_failed"
        | "picture_size_check_failed" => "re-encode the video as H.264 MP4 within TikTok's limits",
        _ => match class {
            ErrorClass::Retryable => "this is temporary; the next `postez run` tries again",
            _ => return None,
        },
    };
    Some(hint)
}

/// Whether an answer to `creator_info` means "this creator cannot post now" (it comes with
/// HTTP 200 on purpose, shared/tiktok-api.md §2.1) in a way the engine has no class for.
pub(super) fn cannot_post_now(e: &ApiError) -> bool {
    e.class == ErrorClass::Permanent && (e.http == 200 || e.code.starts_with("spam_risk"))
}

/// `status/fetch`'s `fail_reason` TikTok uses for its own trouble: a new upload next time.
pub(super) const INTERNAL_FAILURE: &str = "internal";

/// `status/fetch`'s answer for a publish TikTok does not know.
pub(super) const UNKNOWN_PUBLISH: &str = "invalid_publish_id";

#[cfg(test)]
mod tests {
    use super::*;

    fn api(http: u16, code: &str) -> ApiError {
        refusal("start the upload", http, code.into(), String::new(), None)
    }

    /// TikTok's meaning, whatever HTTP status carries it (creator_info sends some with 200).
    #[test]
    fn codes_are_classed_by_what_they_mean() {
        for http in [200, 403] {
            for code in [
                "spam_risk_too_many_pending_share",
                "spam_risk_too_many_posts",
                "reached_active_user_cap",
            ] {
                assert_eq!(api(http, code).class(), ErrorClass::Quota, "{code}");
            }
            assert_eq!(
                api(http, "spam_risk_user_banned_from_posting").class(),
                ErrorClass::Banned
            );
        }
        assert_eq!(api(401, "invalid_client").class(), ErrorClass::Client);
        assert_eq!(api(401, "scope_not_authorized").class(), ErrorClass::Scope);
        assert_eq!(api(401, "access_token_invalid").class(), ErrorClass::Token);
        assert_eq!(api(401, "invalid_grant").class(), ErrorClass::Auth);
        assert_eq!(
            api(404, "upload_url_expired").class(),
            ErrorClass::UploadGone
        );
        assert_eq!(api(400, "invalid_request").class(), ErrorClass::Permanent);
        assert_eq!(
            refusal(
                super::super::REFRESH_ACTION,
                400,
                "invalid_request".into(),
                String::new(),
                None
            )
            .class(),
            ErrorClass::Auth
        );
        assert_eq!(api(503, "whatever").class(), ErrorClass::Retryable);
        assert!(
            api(401, "invalid_client")
                .hint()
                .unwrap()
                .contains("postez connect tiktok")
        );
    }
}
