//! TikTok's login behind the seam ([`LoginSteps`]): its scopes, the authorize URL with the hex
//! challenge, the code exchange, refresh and revocation (hand-built, see the module above), and
//! the profile: `user/info` for the names, `creator_info` for the posting options when Direct
//! Post was granted.

use chrono::{DateTime, Utc};

use super::{CreatorInfo, DIRECT_POST_SCOPE, TikTok, UserInfo};
use crate::error::Result;
use crate::provider::login::passing;
use crate::provider::{LoginSteps, PendingLogin, Profile, Rules, Scopes, Tokens};
use crate::secrets::Secret;

#[async_trait::async_trait]
impl LoginSteps for TikTok {
    fn scopes(&self) -> Scopes {
        // One list, kept with the rules, which need it without a client.
        super::rules::TikTokRules.scopes()
    }

    fn authorize(&self, redirect_uri: &str, scopes: &[&str]) -> Result<(url::Url, PendingLogin)> {
        let pending = PendingLogin::new(redirect_uri);
        let url = self.authorize_url(&pending, scopes)?;
        Ok((url, pending))
    }

    fn denied_hint(&self, error: &str, drafts_only: bool) -> Option<String> {
        // An app without Direct Post cannot ask for video.publish at all: TikTok refuses the
        // whole login with `invalid_scope`.
        (error == "invalid_scope" && !drafts_only).then(|| {
            "if your TikTok app has no Direct Post, run `postez connect tiktok --drafts-only` \
             (or `postez config set tiktok_direct_post false`)"
                .to_string()
        })
    }

    async fn exchange(
        &self,
        code: &str,
        pending: &PendingLogin,
        now: DateTime<Utc>,
    ) -> Result<Tokens> {
        self.exchange_code(code, pending, now).await
    }

    async fn refresh(&self, refresh_token: &Secret, now: DateTime<Utc>) -> Result<Tokens> {
        TikTok::refresh(self, refresh_token, now).await
    }

    async fn revoke(&self, access: &Secret) -> Result<()> {
        TikTok::revoke(self, access).await
    }

    async fn profile(&self, tokens: &Tokens) -> Result<Profile> {
        let user = match self.user_info(&tokens.access_token).await {
            Ok(user) => Some(user),
            Err(e) => passing(e)?,
        }
        .unwrap_or_else(|| UserInfo {
            open_id: tokens.open_id.clone(),
            ..Default::default()
        });
        // creator_info needs video.publish: a drafts-only login is not asked.
        let creator: Option<CreatorInfo> = if tokens.has_scope(DIRECT_POST_SCOPE) {
            match self.creator_info(&tokens.access_token).await {
                Ok(info) => Some(info),
                Err(e) => passing(e)?,
            }
        } else {
            None
        };
        Ok(profile(tokens, user, creator))
    }

    async fn check_access(&self, access: &Secret) -> Result<()> {
        self.user_info(access).await.map(drop)
    }
}

/// The account as TikTok's two answers describe it. The login's `open_id` names it, whatever
/// the profile says.
fn profile(tokens: &Tokens, user: UserInfo, creator: Option<CreatorInfo>) -> Profile {
    if user.open_id != tokens.open_id && !user.open_id.is_empty() {
        tracing::warn!("the profile's open_id differs from the token's; using the token's");
    }
    let account_info = creator.as_ref().and_then(|c| serde_json::to_value(c).ok());
    let (username, nickname) = creator
        .map(|c| (c.creator_username, c.creator_nickname))
        .unwrap_or_default();
    Profile {
        remote_id: tokens.open_id.clone(),
        display_name: user.display_name,
        username,
        nickname,
        avatar_url: user.avatar_url,
        account_info,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::tiktok::DRAFT_SCOPE;
    use crate::provider::{ClientCredentials, Provider};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    fn tiktok(api: &str) -> Box<dyn Provider> {
        let credentials = ClientCredentials {
            key: "ck".into(),
            secret: Secret::new("the-client-secret"),
        };
        Box::new(
            TikTok::new(
                api,
                "https://www.tiktok.com/v2/auth/authorize/",
                credentials,
            )
            .unwrap(),
        )
    }

    fn tokens(scopes: &[&str]) -> Tokens {
        let at: DateTime<Utc> = "2026-12-01T00:00:00Z".parse().unwrap();
        Tokens {
            open_id: "the-open-id".into(),
            access_token: Secret::new("a"),
            refresh_token: Secret::new("r"),
            access_expires_at: at,
            refresh_expires_at: Some(at),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// A one-route-per-path fake of TikTok's API on 127.0.0.1: `answers` maps a path prefix to
    /// (HTTP status, body).
    async fn fake(answers: &'static [(&'static str, u16, &'static str)]) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let mut buf = vec![0; 8192];
                let n = socket.read(&mut buf).await.unwrap_or(0);
                let request = String::from_utf8_lossy(&buf[..n]);
                let path = request.split_whitespace().nth(1).unwrap_or("").to_string();
                let (status, body) = answers
                    .iter()
                    .find(|(p, _, _)| path.starts_with(p))
                    .map_or((404, "{}"), |(_, s, b)| (*s, *b));
                let answer = format!(
                    "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(answer.as_bytes()).await;
            }
        });
        format!("http://{addr}")
    }

    #[test]
    fn the_authorize_url_through_the_seam_has_tiktoks_names() {
        let provider = tiktok("https://open.tiktokapis.com");
        let scopes = provider.scopes();
        let asked = scopes.asked(false);
        let (url, pending) = provider
            .authorize("http://127.0.0.1:8123/callback/", &asked)
            .unwrap();
        let pairs: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(pairs["client_key"], "ck");
        assert_eq!(pairs["scope"], "user.info.basic,video.upload,video.publish");
        assert_eq!(pairs["state"], pending.state());
        assert_eq!(pairs["redirect_uri"], pending.redirect_uri());
        let challenge = &pairs["code_challenge"];
        assert_eq!(challenge, &super::super::challenge(&pending.verifier));
        assert_eq!(challenge.len(), 64, "hex SHA-256, not base64url");
        assert!(
            challenge
                .bytes()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        assert!(!url.as_str().contains("the-client-secret"));
        assert!(!url.as_str().contains(pending.verifier.expose()));
        let (url, _) = provider
            .authorize("http://127.0.0.1:8123/callback/", &scopes.asked(true))
            .unwrap();
        assert!(
            url.as_str()
                .contains("scope=user.info.basic%2Cvideo.upload&")
        );
    }

    #[test]
    fn only_a_refused_scope_gets_the_drafts_only_advice() {
        let provider = tiktok("https://open.tiktokapis.com");
        assert!(
            provider
                .denied_hint("invalid_scope", false)
                .unwrap()
                .contains("--drafts-only")
        );
        assert_eq!(provider.denied_hint("invalid_scope", true), None);
        assert_eq!(provider.denied_hint("access_denied", false), None);
    }

    #[tokio::test]
    async fn a_passing_refusal_keeps_the_login_without_the_detail() {
        // The profile is down (5xx) and the creator may not post now (HTTP 200, TikTok's way):
        // the login is still good, named by its open_id.
        let api = fake(&[
            ("/v2/user/info/", 503, "{}"),
            (
                "/v2/post/publish/creator_info/",
                200,
                r#"{"data":{},"error":{"code":"spam_risk_too_many_posts","message":"later","log_id":"l"}}"#,
            ),
        ])
        .await;
        let provider = tiktok(&api);
        let profile = provider
            .profile(&tokens(&[DRAFT_SCOPE, DIRECT_POST_SCOPE]))
            .await
            .unwrap();
        assert_eq!(profile.remote_id, "the-open-id");
        assert_eq!(profile.display_name, None);
        assert_eq!(profile.account_info, None);
    }

    #[tokio::test]
    async fn the_profile_names_the_creator_and_keeps_creator_info() {
        let api = fake(&[
            (
                "/v2/user/info/",
                200,
                r#"{"data":{"user":{"open_id":"the-open-id","display_name":"Pasta Chef","avatar_url":"https://a.example/p.jpg"}},"error":{"code":"ok","message":""}}"#,
            ),
            (
                "/v2/post/publish/creator_info/",
                200,
                r#"{"data":{"creator_username":"pastachef","creator_nickname":"Pasta","privacy_level_options":["SELF_ONLY"]},"error":{"code":"ok","message":""}}"#,
            ),
        ])
        .await;
        let profile = tiktok(&api)
            .profile(&tokens(&[DRAFT_SCOPE, DIRECT_POST_SCOPE]))
            .await
            .unwrap();
        assert_eq!(profile.display_name.as_deref(), Some("Pasta Chef"));
        assert_eq!(profile.username.as_deref(), Some("pastachef"));
        assert_eq!(profile.nickname.as_deref(), Some("Pasta"));
        assert_eq!(
            profile.avatar_url.as_deref(),
            Some("https://a.example/p.jpg")
        );
        let info = profile.account_info.unwrap();
        assert_eq!(info["privacy_level_options"][0], "SELF_ONLY");
    }

    #[tokio::test]
    async fn a_refused_scope_fails_the_profile() {
        let api = fake(&[(
            "/v2/user/info/",
            401,
            r#"{"data":{},"error":{"code":"scope_not_authorized","message":"no","log_id":"l"}}"#,
        )])
        .await;
        let e = tiktok(&api)
            .profile(&tokens(&[DRAFT_SCOPE]))
            .await
            .unwrap_err();
        assert!(e.to_string().contains("scope_not_authorized"), "{e}");
    }
}
