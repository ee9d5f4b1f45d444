//! YouTube's login behind the seam ([`LoginSteps`]): Google's OAuth for installed apps (§1)
//! through the `oauth2` crate, whose requests go out through postez's own client (`net`: no
//! redirects, https only unless loopback, answers capped at 1 MiB) rather than the crate's
//! reqwest integration, which follows redirects. The account is the channel
//! (`channels.list mine=true`, §4), read at the code exchange to name the login.

use std::sync::Mutex;

use chrono::{DateTime, Utc};
use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenType,
};
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet,
    EndpointSet, ExtraTokenFields, HttpRequest, HttpResponse, PkceCodeChallenge, PkceCodeVerifier,
    RedirectUrl, RefreshToken, RequestTokenError, Scope, StandardRevocableToken,
    StandardTokenResponse, TokenResponse, TokenUrl,
};
use serde::{Deserialize, Serialize};

use super::codes::{self, INVALID_RESPONSE};
use super::{PLATFORM, YouTube};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::provider::login::passing;
use crate::provider::{
    LoginSteps, LoginWarning, NetworkError, PendingLogin, Profile, Scopes, Tokens, net,
};
use crate::secrets::Secret;

/// The action named in errors of a code exchange.
const EXCHANGE_ACTION: &str = "exchange the login code";
/// The action named in errors of a refresh.
const REFRESH_ACTION: &str = "refresh the login";
/// The action named in errors of reading the channel.
const CHANNEL_ACTION: &str = "read the channel";
/// §1.6: "a publishing status of "Testing" is issued a refresh token expiring in 7 days". A
/// login that ends this soon after it was given is that signature.
const TESTING_DAYS: i64 = 7;
/// Access-token lifetime when the answer has none (§1.5: ~3600 s).
const ACCESS_LIFE_SECS: i64 = 3600;

/// Fields of Google's token answer beyond RFC 6749's.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
struct GoogleFields {
    /// "Only set when the user grants time-based access" (§1.5). Google does not document it
    /// for apps in "Testing" (§1.6 gives their 7 days, not a field): absent, the end is unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh_token_expires_in: Option<i64>,
}

impl ExtraTokenFields for GoogleFields {}

type GoogleToken = StandardTokenResponse<GoogleFields, BasicTokenType>;

type GoogleClient = oauth2::Client<
    BasicErrorResponse,
    GoogleToken,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// A postez error carried through the `oauth2` crate's HTTP client slot.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Sent(Error);

/// The `oauth2` crate's HTTP client: one of postez's requests, noting the answer's status for
/// the error's classification (the crate's errors leave it out).
struct OAuthHttp<'a> {
    youtube: &'a YouTube,
    action: &'static str,
    status: Mutex<u16>,
}

impl<'a> OAuthHttp<'a> {
    fn new(youtube: &'a YouTube, action: &'static str) -> Self {
        Self {
            youtube,
            action,
            status: Mutex::new(0),
        }
    }
}

impl<'c> oauth2::AsyncHttpClient<'c> for OAuthHttp<'_> {
    type Error = Sent;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = std::result::Result<HttpResponse, Sent>> + Send + 'c>,
    >;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(self.youtube.send_oauth(self.action, request, &self.status))
    }
}

/// The channel as `channels.list` describes it (§4).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Channel {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    snippet: Option<ChannelSnippet>,
    #[serde(default)]
    content_details: Option<ChannelDetails>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ChannelSnippet {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    custom_url: Option<String>,
    #[serde(default)]
    thumbnails: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ChannelDetails {
    #[serde(default)]
    related_playlists: Option<RelatedPlaylists>,
}

#[derive(Debug, Clone, Default, Deserialize)]
struct RelatedPlaylists {
    #[serde(default)]
    uploads: Option<String>,
}

impl Channel {
    /// The channel's uploads playlist (`UU…`), which §2.5's check reads.
    pub(super) fn uploads_playlist(&self) -> Option<String> {
        self.content_details
            .as_ref()?
            .related_playlists
            .as_ref()?
            .uploads
            .clone()
            .filter(|u| !u.is_empty())
    }
}

/// The account as the channel describes it; what is kept on it (`account_info`) is what later
/// calls need without asking again: the uploads playlist.
pub(super) fn profile_of(channel: &Channel) -> Profile {
    let snippet = channel.snippet.clone().unwrap_or_default();
    let text = |s: Option<String>| {
        s.map(|s| crate::provider::printable(s.trim(), 100))
            .filter(|s| !s.is_empty())
    };
    let avatar = snippet
        .thumbnails
        .as_ref()
        .and_then(|t| t.get("default")?.get("url")?.as_str().map(str::to_string))
        .filter(|u| u.starts_with("https://"));
    let custom_url = text(snippet.custom_url);
    Profile {
        remote_id: channel.id.clone(),
        display_name: text(snippet.title),
        username: custom_url
            .as_deref()
            .map(|u| u.trim_start_matches('@').to_string()),
        nickname: None,
        avatar_url: avatar,
        account_info: Some(serde_json::json!({
            "channel_id": channel.id,
            "custom_url": custom_url,
            "uploads_playlist": channel.uploads_playlist(),
        })),
    }
}

impl YouTube {
    fn oauth(&self, redirect_uri: Option<&str>) -> Result<GoogleClient> {
        let bad = |setting: &str| {
            Error::config(
                format!("{setting} is not a valid URL"),
                Some(format!("set it to an https:// address, or unset {setting}")),
            )
        };
        let client = oauth2::Client::new(ClientId::new(self.client.key.clone()))
            // §1.5: Google calls the secret optional; a Desktop client is refused without it.
            .set_client_secret(ClientSecret::new(self.client.secret.expose().to_string()))
            // In the form, as Google's installed-app page shows it (§1.5).
            .set_auth_type(AuthType::RequestBody)
            .set_auth_uri(
                AuthUrl::new(self.endpoints.auth.clone())
                    .map_err(|_| bad("POSTEZ_YOUTUBE_AUTH_URL"))?,
            )
            .set_token_uri(
                TokenUrl::new(self.endpoints.token.clone())
                    .map_err(|_| bad("POSTEZ_YOUTUBE_TOKEN_URL"))?,
            );
        Ok(match redirect_uri {
            // `RedirectUrl` keeps the string as given, so the exchange repeats it byte for byte
            // (§1.3).
            Some(uri) => {
                client.set_redirect_uri(RedirectUrl::new(uri.to_string()).map_err(|_| {
                    Error::invalid("the login's redirect address is not a URL", None)
                })?)
            }
            None => client,
        })
    }

    /// Send one of the `oauth2` crate's requests with postez's client and rules, noting the
    /// HTTP status for the error's classification.
    async fn send_oauth(
        &self,
        action: &'static str,
        request: HttpRequest,
        status: &Mutex<u16>,
    ) -> std::result::Result<HttpResponse, Sent> {
        let (parts, body) = request.into_parts();
        let url = parts.uri.to_string();
        // Only to the configured token endpoint: the crate builds the URL from it.
        net::check_base_url("POSTEZ_YOUTUBE_TOKEN_URL", &url).map_err(Sent)?;
        let mut builder = self.http.request(parts.method, url).body(body);
        for (name, value) in &parts.headers {
            builder = builder.header(name, value);
        }
        let response = builder
            .send()
            .await
            .map_err(|e| Sent(NetworkError::from_reqwest(PLATFORM, action, &e).into()))?;
        net::refuse_redirect(PLATFORM, &response).map_err(|e| Sent(e.into()))?;
        let code = response.status();
        *status.lock().unwrap_or_else(|e| e.into_inner()) = code.as_u16();
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .cloned();
        let body = net::read_capped(PLATFORM, action, response, net::JSON_LIMIT)
            .await
            .map_err(Sent)?;
        let mut answer = oauth2::http::Response::builder().status(code.as_u16());
        if let Some(ct) = content_type {
            answer = answer.header(oauth2::http::header::CONTENT_TYPE, ct);
        }
        answer.body(body).map_err(|_| {
            Sent(
                codes::refusal(action, code.as_u16(), INVALID_RESPONSE, "unreadable answer").into(),
            )
        })
    }

    /// A token answer, or the crate's error read back into postez's classified errors.
    fn token_result(
        action: &'static str,
        status: &Mutex<u16>,
        result: std::result::Result<GoogleToken, RequestTokenError<Sent, BasicErrorResponse>>,
        now: DateTime<Utc>,
        refresh_given: Option<&Secret>,
    ) -> Result<Tokens> {
        let http = *status.lock().unwrap_or_else(|e| e.into_inner());
        let answer = match result {
            Ok(answer) => answer,
            Err(RequestTokenError::Request(Sent(e))) => return Err(e),
            Err(RequestTokenError::ServerResponse(e)) => {
                return Err(codes::refusal(
                    action,
                    http,
                    e.error().as_ref(),
                    e.error_description()
                        .map(String::as_str)
                        .unwrap_or_default(),
                )
                .into());
            }
            // Not an OAuth error body (an HTML 503, an empty 401): classed by its status.
            Err(RequestTokenError::Parse(_, body)) if http != 200 => {
                return Err(codes::from_body(action, http, &body).into());
            }
            Err(RequestTokenError::Other(_)) if http != 200 => {
                return Err(codes::from_body(action, http, b"").into());
            }
            Err(_) => return Err(codes::invalid_answer(action, http).into()),
        };
        let access = answer.access_token().secret();
        // §1.6: a refresh answer has no refresh token; the one given stays good.
        let refresh = match (answer.refresh_token(), refresh_given) {
            (Some(r), _) if !r.secret().is_empty() => Secret::new(r.secret().clone()),
            (_, Some(given)) => given.clone(),
            _ => {
                return Err(codes::refusal(
                    action,
                    http,
                    INVALID_RESPONSE,
                    "the answer held no refresh token (was access_type=offline dropped?)",
                )
                .into());
            }
        };
        if access.is_empty() {
            return Err(codes::refusal(
                action,
                http,
                INVALID_RESPONSE,
                "the answer held an empty token",
            )
            .into());
        }
        // Lifetimes from the answer, capped at ten years so an absurd one cannot overflow.
        let secs = |s: i64| chrono::Duration::seconds(s.clamp(0, 10 * 366 * 86400));
        let access_life = answer.expires_in().map_or(ACCESS_LIFE_SECS, |d| {
            i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
        });
        // Google names no end for a refresh token unless it granted time-limited access: a
        // production login lives until revoked or 6 months unused (§1.6), which no date
        // captures, so the end stays unknown rather than invented.
        let refresh_ends = answer
            .extra_fields()
            .refresh_token_expires_in
            .map(|s| now + secs(s));
        Ok(Tokens {
            open_id: String::new(),
            access_token: Secret::new(access.clone()),
            refresh_token: refresh,
            access_expires_at: now + secs(access_life),
            refresh_expires_at: refresh_ends,
            scopes: answer
                .scopes()
                .map(|s| s.iter().map(|s| s.to_string()).collect())
                .unwrap_or_default(),
        })
    }

    /// `channels.list?part=snippet,contentDetails&mine=true` (1 unit, §4): the login's channel,
    /// `None` when the Google account has none.
    pub(super) async fn channel(
        &self,
        access: &Secret,
        action: &'static str,
    ) -> Result<Option<Channel>> {
        #[derive(Deserialize)]
        struct List {
            #[serde(default)]
            items: Vec<Channel>,
        }
        let request = self
            .http
            .get(self.api_url("/youtube/v3/channels"))
            .query(&[("part", "snippet,contentDetails"), ("mine", "true")])
            .bearer_auth(access.expose());
        let list: List = self.json(action, request).await?;
        Ok(list.items.into_iter().find(|c| !c.id.is_empty()))
    }
}

/// What to do about a Google project in "Testing" (§1.6).
const TESTING_HINT: &str = "publish the app (Google Cloud console → OAuth consent screen → \
     Publish app), or run `postez connect youtube` again every week";

/// A login that ends within [`TESTING_DAYS`] (Google's sign of a project in "Testing"; Google's
/// answer carries no "Testing" flag, §1.5–§1.6), or any login when the setting
/// `youtube_testing` says the project is in Testing; `youtube_testing = false` says it is not.
pub(super) fn login_warning(
    config: &Config,
    refresh_ends: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<LoginWarning> {
    let ends = |t: DateTime<Utc>| {
        if t <= now {
            "has ended".to_string()
        } else {
            format!("ends {}", crate::when::relative(t, now))
        }
    };
    let message = match (config.youtube_testing, refresh_ends) {
        (Some(false), _) => return None,
        (Some(true), Some(t)) => format!(
            "the Google project is in \"Testing\" (setting youtube_testing): this login {}",
            ends(t)
        ),
        (Some(true), None) => format!(
            "the Google project is in \"Testing\" (setting youtube_testing): Google ends its \
             logins {TESTING_DAYS} days after `postez connect youtube`"
        ),
        (None, Some(t)) if t - now <= chrono::Duration::days(TESTING_DAYS) => format!(
            "this login {}: Google gives a project in \"Testing\" logins of {TESTING_DAYS} days",
            ends(t)
        ),
        (None, _) => return None,
    };
    Some(LoginWarning {
        message,
        hint: TESTING_HINT.into(),
    })
}

#[async_trait::async_trait]
impl LoginSteps for YouTube {
    fn scopes(&self) -> Scopes {
        super::scopes()
    }

    fn authorize(&self, redirect_uri: &str, scopes: &[&str]) -> Result<(url::Url, PendingLogin)> {
        let client = self.oauth(Some(redirect_uri))?;
        // RFC 7636 S256 in base64url without padding (§1.4), not TikTok's hex.
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state) = client
            .authorize_url(CsrfToken::new_random)
            .add_scopes(scopes.iter().map(|s| Scope::new(s.to_string())))
            .set_pkce_challenge(challenge)
            // §1.2: a refresh token every time, also on a reconnect.
            .add_extra_param("access_type", "offline")
            .add_extra_param("prompt", "consent")
            .url();
        let pending = PendingLogin {
            state: state.secret().clone(),
            verifier: Secret::new(verifier.secret().clone()),
            redirect_uri: redirect_uri.to_string(),
        };
        Ok((url, pending))
    }

    fn denied_hint(&self, error: &str, _drafts_only: bool) -> Option<String> {
        match error {
            "access_denied" => Some(
                "run `postez connect youtube` again and allow access; while your Google Cloud \
                 app is in \"Testing\", only its listed test users may log in"
                    .into(),
            ),
            "admin_policy_enforced" | "org_internal" => Some(
                "your Google Workspace administrator does not allow this app; ask them, or use \
                 another Google account"
                    .into(),
            ),
            "deleted_client" | "invalid_client" => Some(
                "the Google OAuth client no longer exists: create a \"Desktop app\" client and \
                 set POSTEZ_YOUTUBE_CLIENT_ID and POSTEZ_YOUTUBE_CLIENT_SECRET"
                    .into(),
            ),
            _ => None,
        }
    }

    /// Trade the code (with the verifier and the byte-identical redirect URI) for tokens, then
    /// name the login by its channel: YouTube's tokens carry no account id.
    async fn exchange(
        &self,
        code: &str,
        pending: &PendingLogin,
        now: DateTime<Utc>,
    ) -> Result<Tokens> {
        let client = self.oauth(Some(&pending.redirect_uri))?;
        let http = OAuthHttp::new(self, EXCHANGE_ACTION);
        let result = client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier.expose().to_string()))
            .request_async(&http)
            .await;
        let mut tokens = Self::token_result(EXCHANGE_ACTION, &http.status, result, now, None)?;
        let channel = self
            .channel(&tokens.access_token, EXCHANGE_ACTION)
            .await?
            .ok_or_else(|| {
                Error::Api(codes::refusal(
                    EXCHANGE_ACTION,
                    200,
                    "youtubeSignupRequired",
                    "this Google account has no YouTube channel",
                ))
            })?;
        tokens.open_id = channel.id;
        Ok(tokens)
    }

    async fn refresh(&self, refresh_token: &Secret, now: DateTime<Utc>) -> Result<Tokens> {
        let client = self.oauth(None)?;
        let http = OAuthHttp::new(self, REFRESH_ACTION);
        let token = RefreshToken::new(refresh_token.expose().to_string());
        let result = client
            .exchange_refresh_token(&token)
            .request_async(&http)
            .await;
        Self::token_result(
            REFRESH_ACTION,
            &http.status,
            result,
            now,
            Some(refresh_token),
        )
    }

    /// `POST /revoke?token=…` (§1.6): revoking either token ends the whole grant.
    async fn revoke(&self, access: &Secret) -> Result<()> {
        let action = "revoke access";
        let request = self
            .http
            .post(&self.endpoints.revoke)
            .query(&[("token", access.expose())])
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body("");
        let (http, body) = net::exchange(PLATFORM, action, request).await?;
        if (200..300).contains(&http) {
            Ok(())
        } else {
            Err(codes::from_body(action, http, &body).into())
        }
    }

    async fn profile(&self, tokens: &Tokens) -> Result<Profile> {
        let channel = match self.channel(&tokens.access_token, CHANNEL_ACTION).await {
            Ok(channel) => channel,
            Err(e) => passing(e)?,
        };
        Ok(match channel {
            Some(channel) => {
                if channel.id != tokens.open_id && !tokens.open_id.is_empty() {
                    tracing::warn!("the channel differs from the login's; using the login's");
                }
                Profile {
                    remote_id: tokens.open_id.clone(),
                    ..profile_of(&channel)
                }
            }
            None => Profile {
                remote_id: tokens.open_id.clone(),
                ..Profile::default()
            },
        })
    }

    async fn check_access(&self, access: &Secret) -> Result<()> {
        self.channel(access, CHANNEL_ACTION).await.map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{Script, ok};
    use super::super::{ClientCredentials, Endpoints, READONLY_SCOPE, UPLOAD_SCOPE};
    use super::*;
    use crate::provider::ErrorClass;
    use base64::Engine;
    use sha2::{Digest, Sha256};

    fn youtube(base: &str) -> YouTube {
        YouTube::new(
            Endpoints::at(base),
            ClientCredentials {
                key: "cid.apps.googleusercontent.com".into(),
                secret: Secret::new("the-client-secret"),
            },
        )
        .unwrap()
    }

    const CHANNEL: &str = r#"{"items":[{"id":"UCchannel","snippet":{"title":"Pasta Chef","customUrl":"@pastachef","thumbnails":{"default":{"url":"https://yt3.example/a.jpg"}}},"contentDetails":{"relatedPlaylists":{"uploads":"UUchannel"}}}]}"#;

    #[test]
    fn the_authorize_url_is_googles() {
        let yt = youtube("https://accounts.example");
        let redirect = "http://127.0.0.1:8123/";
        let (url, pending) = yt.authorize(redirect, &yt.scopes().asked(false)).unwrap();
        let pairs: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(url.path(), "/o/oauth2/v2/auth");
        assert_eq!(pairs["client_id"], "cid.apps.googleusercontent.com");
        assert_eq!(pairs["response_type"], "code");
        assert_eq!(pairs["scope"], format!("{READONLY_SCOPE} {UPLOAD_SCOPE}"));
        assert_eq!(pairs["redirect_uri"], redirect);
        assert_eq!(pairs["state"], pending.state());
        assert_eq!(pairs["access_type"], "offline");
        assert_eq!(pairs["prompt"], "consent");
        assert_eq!(pairs["code_challenge_method"], "S256");
        let expected = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(Sha256::digest(pending.verifier.expose().as_bytes()));
        assert_eq!(pairs["code_challenge"], expected);
        assert!((43..=128).contains(&pending.verifier.expose().len()));
        assert!(!url.as_str().contains("the-client-secret"));
        assert!(!url.as_str().contains(pending.verifier.expose()));
        assert!(!pairs.contains_key("include_granted_scopes"));
        assert!(!format!("{pending:?}").contains(pending.verifier.expose()));
    }

    #[tokio::test]
    async fn the_exchange_sends_the_secret_verifier_and_same_redirect_and_names_the_channel() {
        let script = Script::default();
        script
            .on(
                "POST",
                "/token",
                vec![ok(
                    r#"{"access_token":"ya29.a","expires_in":3599,"refresh_token":"1//r","scope":"https://www.googleapis.com/auth/youtube.upload https://www.googleapis.com/auth/youtube.readonly","token_type":"Bearer"}"#,
                )],
            )
            .on("GET", "/youtube/v3/channels", vec![ok(CHANNEL)]);
        let base = script.serve().await;
        let yt = youtube(&base);
        // An odd but valid redirect: it must come back byte for byte.
        let redirect = "http://127.0.0.1:8123/?x=%2F";
        let (_, pending) = yt.authorize(redirect, &[UPLOAD_SCOPE]).unwrap();
        let now = Utc::now();
        let tokens = yt.exchange("4/0Aab/c", &pending, now).await.unwrap();
        assert_eq!(tokens.open_id, "UCchannel");
        assert_eq!(tokens.access_token.expose(), "ya29.a");
        assert_eq!(tokens.refresh_token.expose(), "1//r");
        assert_eq!(
            tokens.access_expires_at,
            now + chrono::Duration::seconds(3599)
        );
        assert!(tokens.has_scope(UPLOAD_SCOPE) && tokens.has_scope(READONLY_SCOPE));
        let seen = script.seen();
        let form = seen[0].form();
        assert_eq!(form["grant_type"], "authorization_code");
        assert_eq!(form["code"], "4/0Aab/c");
        assert_eq!(form["client_id"], "cid.apps.googleusercontent.com");
        assert_eq!(form["client_secret"], "the-client-secret");
        assert_eq!(form["code_verifier"], pending.verifier.expose());
        assert_eq!(form["redirect_uri"], redirect);
        assert_eq!(seen[1].header("authorization"), Some("Bearer ya29.a"));
        assert!(seen[1].target.contains("mine=true"));
        assert!(!format!("{tokens:?}").contains("ya29"));
    }

    #[tokio::test]
    async fn a_refresh_keeps_the_refresh_token_google_does_not_send() {
        let script = Script::default();
        script.on(
            "POST",
            "/token",
            vec![ok(
                r#"{"access_token":"ya29.b","expires_in":3599,"scope":"https://www.googleapis.com/auth/youtube.upload","token_type":"Bearer"}"#,
            )],
        );
        let yt = youtube(&script.serve().await);
        let old = Secret::new("1//old");
        let now = Utc::now();
        let tokens = LoginSteps::refresh(&yt, &old, now).await.unwrap();
        assert_eq!(tokens.refresh_token.expose(), "1//old");
        assert_eq!(tokens.access_token.expose(), "ya29.b");
        assert_eq!(
            tokens.open_id, "",
            "the account's own id is kept by the caller"
        );
        assert_eq!(tokens.refresh_expires_at, None, "Google gave no end");
        let form = script.seen()[0].form();
        assert_eq!(form["grant_type"], "refresh_token");
        assert_eq!(form["refresh_token"], "1//old");
        assert_eq!(form["client_secret"], "the-client-secret");
    }

    #[tokio::test]
    async fn token_refusals_are_classified() {
        let script = Script::default();
        script.on(
            "POST",
            "/token",
            vec![
                (
                    400,
                    vec![],
                    r#"{"error":"invalid_grant","error_description":"Token has been expired or revoked."}"#.into(),
                ),
                (401, vec![], r#"{"error":"invalid_client","error_description":"The OAuth client was not found."}"#.into()),
                (503, vec![("Content-Type", "text/html".into())], "<html>down</html>".into()),
                (401, vec![], String::new()),
                (307, vec![("Location", "https://evil.example/steal".into())], String::new()),
            ],
        );
        let yt = youtube(&script.serve().await);
        let old = Secret::new("1//old");
        let Error::Api(e) = LoginSteps::refresh(&yt, &old, Utc::now())
            .await
            .unwrap_err()
        else {
            panic!()
        };
        assert_eq!(
            (e.code.as_str(), e.class, e.http),
            ("invalid_grant", ErrorClass::Auth, 400)
        );
        let Error::Api(e) = LoginSteps::refresh(&yt, &old, Utc::now())
            .await
            .unwrap_err()
        else {
            panic!()
        };
        assert_eq!(e.class, ErrorClass::Client);
        let Error::Api(e) = LoginSteps::refresh(&yt, &old, Utc::now())
            .await
            .unwrap_err()
        else {
            panic!()
        };
        assert_eq!(e.class, ErrorClass::Retryable);
        let Error::Api(e) = LoginSteps::refresh(&yt, &old, Utc::now())
            .await
            .unwrap_err()
        else {
            panic!()
        };
        assert_eq!((e.class, e.code.as_str()), (ErrorClass::Token, "http_401"));
        let e = LoginSteps::refresh(&yt, &old, Utc::now())
            .await
            .unwrap_err();
        assert!(matches!(e, Error::Unsafe(_)), "a redirect is refused: {e}");
        assert!(!e.to_string().contains("1//old"));
        assert_eq!(
            script.seen().len(),
            5,
            "nothing was sent to the redirect's host"
        );
    }

    #[tokio::test]
    async fn revoke_sends_the_token_in_the_query() {
        let script = Script::default();
        script.on("POST", "/revoke", vec![ok("{}")]);
        let yt = youtube(&script.serve().await);
        LoginSteps::revoke(&yt, &Secret::new("ya29.c/d"))
            .await
            .unwrap();
        let seen = script.seen();
        assert_eq!(seen[0].target, "/revoke?token=ya29.c%2Fd");
        assert_eq!(
            seen[0].header("content-type"),
            Some("application/x-www-form-urlencoded")
        );
    }

    #[tokio::test]
    async fn the_profile_names_the_channel_and_keeps_its_uploads_playlist() {
        let script = Script::default();
        script.on(
            "GET",
            "/youtube/v3/channels",
            vec![ok(CHANNEL), (503, vec![], "{}".into())],
        );
        let yt = youtube(&script.serve().await);
        let at = Utc::now();
        let tokens = Tokens {
            open_id: "UCchannel".into(),
            access_token: Secret::new("a"),
            refresh_token: Secret::new("r"),
            access_expires_at: at,
            refresh_expires_at: Some(at),
            scopes: vec![],
        };
        let profile = yt.profile(&tokens).await.unwrap();
        assert_eq!(profile.remote_id, "UCchannel");
        assert_eq!(profile.display_name.as_deref(), Some("Pasta Chef"));
        assert_eq!(profile.username.as_deref(), Some("pastachef"));
        assert_eq!(
            profile.avatar_url.as_deref(),
            Some("https://yt3.example/a.jpg")
        );
        assert_eq!(
            profile.account_info.unwrap()["uploads_playlist"],
            "UUchannel"
        );
        // A passing refusal keeps the login, without the details.
        let profile = yt.profile(&tokens).await.unwrap();
        assert_eq!(profile.remote_id, "UCchannel");
        assert_eq!(profile.display_name, None);
    }
}
