//! The rules every HTTP exchange with a platform follows, kept in one place so no call can skip
//! them (issue 15, "a hostile or spoofed API endpoint"):
//! - platform addresses are `https`, or plain `http` to this machine only (the local fakes);
//! - redirects are never followed: a 307 from the token endpoint would re-post the client
//!   secret, the login code or the refresh token to whatever host it names;
//! - answers are read piece by piece up to a cap, never whole: a hostile server can send
//!   gigabytes, and postez runs unattended from cron;
//! - upload addresses a platform hands back must be on its upload hosts (or on the API's own
//!   origin, which is how the fakes serve them), checked before a byte of video leaves.
//!
//! Never prints; errors name the endpoint without its query string (upload URLs carry
//! signatures) and shorten what the server chose to send.

use std::net::IpAddr;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::provider::{NetworkError, printable};

/// Cap on a JSON answer (or an error page) from a platform. TikTok's largest documented answer,
/// `creator_info`, is well under a kilobyte; 1 MiB leaves room and bounds memory.
pub const JSON_LIMIT: usize = 1024 * 1024;

/// An answer postez refuses to act on, because acting on it could send secrets or the video to
/// another host, or read without end.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnsafeAnswer {
    /// A 3xx: following it could re-send secrets elsewhere, so it is an error, not a hop.
    #[error(
        "{platform} answered {endpoint} with a redirect (HTTP {status}{}), which postez never follows; nothing was sent there",
        to.as_ref().map(|h| format!(" to {h}")).unwrap_or_default()
    )]
    Redirect {
        /// `tiktok`.
        platform: &'static str,
        /// The address called, without its query.
        endpoint: String,
        /// The 3xx status.
        status: u16,
        /// Host (and port) of `Location`, shortened; `None` when absent or unparseable.
        to: Option<String>,
    },
    /// The answer's body is larger than postez reads.
    #[error(
        "{platform}'s answer from {endpoint} (HTTP {status}) is larger than {} KiB, so postez stopped reading it",
        limit / 1024
    )]
    TooLarge {
        /// `tiktok`.
        platform: &'static str,
        /// The address called, without its query.
        endpoint: String,
        /// HTTP status of the answer.
        status: u16,
        /// The cap in bytes.
        limit: usize,
    },
    /// An upload address outside the platform's upload hosts.
    #[error(
        "{platform} gave an upload address on {host}, which is not one of its upload hosts ({allowed}); nothing was uploaded"
    )]
    UploadHost {
        /// `tiktok`.
        platform: &'static str,
        /// `scheme://host:port` of the refused address, shortened.
        host: String,
        /// What is accepted, for the message.
        allowed: String,
    },
}

impl UnsafeAnswer {
    /// A short code for the queue's `last_error_code` and `--json`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Redirect { .. } => "redirect_refused",
            Self::TooLarge { .. } => "answer_too_large",
            Self::UploadHost { .. } => "upload_host_refused",
        }
    }

    /// What to check. The usual cause is an API address that is not the platform's own.
    pub fn hint(&self) -> String {
        let platform = match self {
            Self::Redirect { platform, .. }
            | Self::TooLarge { platform, .. }
            | Self::UploadHost { platform, .. } => *platform,
        };
        format!(
            "if POSTEZ_{}_API_URL is set, check that it is {platform}'s API; else try again later",
            platform.to_uppercase()
        )
    }
}

/// An HTTP client with postez's rules: no redirects, bounded connect and total time.
pub fn client(timeout: Duration) -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(10).min(timeout))
        .timeout(timeout)
        .user_agent(concat!("postez/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| Error::Https {
            reason: e.to_string(),
        })
}

/// `127.0.0.0/8`, `::1` (also IPv4-mapped) or `localhost`: addresses that never leave the machine.
pub fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => {
            IpAddr::V6(ip).is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// Check a platform address set by `setting` (an environment variable): `https`, or `http` to a
/// loopback address. Anything else is a configuration error naming the setting.
pub fn check_base_url(setting: &str, value: &str) -> Result<url::Url> {
    let url = url::Url::parse(value).map_err(|_| {
        Error::config(
            format!("{setting} is not a valid URL"),
            Some(format!("set it to an https:// address, or unset {setting}")),
        )
    })?;
    let allowed = match url.scheme() {
        "https" => url.host().is_some(),
        "http" => is_loopback(&url),
        _ => false,
    };
    if !allowed {
        return Err(Error::config(
            format!(
                "{setting} points at {}, but postez talks to platforms only over https (plain http only to this machine, for a local fake)",
                origin(&url)
            ),
            Some(format!(
                "use an https:// address, or unset {setting} to use the platform's own"
            )),
        ));
    }
    Ok(url)
}

/// `scheme://host[:port]` of `url`, without user, path or query (which may carry signatures),
/// shortened and with control characters replaced: fit for messages.
pub fn origin(url: &url::Url) -> String {
    let text = match (url.host_str(), url.port()) {
        (Some(host), Some(port)) => format!("{}://{host}:{port}", url.scheme()),
        (Some(host), None) => format!("{}://{host}", url.scheme()),
        (None, _) => format!("{}:", url.scheme()),
    };
    printable(&text, 80)
}

/// The endpoint as shown in messages: origin and path, no query; shortened.
pub fn endpoint(url: &reqwest::Url) -> String {
    printable(&format!("{}{}", origin(url), url.path()), 120)
}

/// Refuse a 3xx answer (reqwest hands it back as is, since the client never follows it).
pub fn refuse_redirect(
    platform: &'static str,
    response: &reqwest::Response,
) -> std::result::Result<(), UnsafeAnswer> {
    let status = response.status();
    if !status.is_redirection() {
        return Ok(());
    }
    let to = response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|l| response.url().join(l).ok())
        .map(|u| origin(&u));
    Err(UnsafeAnswer::Redirect {
        platform,
        endpoint: endpoint(response.url()),
        status: status.as_u16(),
        to,
    })
}

/// Read an answer's body up to `limit` bytes, piece by piece: a larger body (announced or
/// actual) is refused as soon as it passes the cap, and the connection dropped.
pub async fn read_capped(
    platform: &'static str,
    action: &'static str,
    mut response: reqwest::Response,
    limit: usize,
) -> Result<Vec<u8>> {
    let too_large = |response: &reqwest::Response| UnsafeAnswer::TooLarge {
        platform,
        endpoint: endpoint(response.url()),
        status: response.status().as_u16(),
        limit,
    };
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Err(too_large(&response).into());
    }
    let mut body = Vec::new();
    while let Some(piece) = response
        .chunk()
        .await
        .map_err(|e| NetworkError::from_reqwest(platform, action, &e))?
    {
        if body.len() + piece.len() > limit {
            return Err(too_large(&response).into());
        }
        body.extend_from_slice(&piece);
    }
    Ok(body)
}

/// Send `request`, refuse a redirect, and read the body up to [`JSON_LIMIT`]: the one way
/// postez reads a platform's JSON answer. Returns the status and the body.
pub async fn exchange(
    platform: &'static str,
    action: &'static str,
    request: reqwest::RequestBuilder,
) -> Result<(u16, Vec<u8>)> {
    let response = request
        .send()
        .await
        .map_err(|e| NetworkError::from_reqwest(platform, action, &e))?;
    refuse_redirect(platform, &response)?;
    let status = response.status().as_u16();
    let body = read_capped(platform, action, response, JSON_LIMIT).await?;
    Ok((status, body))
}

/// Where a platform may have postez upload: over https to `hosts` (exact names, or `*.domain`
/// for any subdomain), or to the API's own origin (the local fakes serve uploads there).
#[derive(Debug, Clone)]
pub struct UploadHosts {
    platform: &'static str,
    hosts: &'static [&'static str],
    api: Option<url::Url>,
}

impl UploadHosts {
    /// The platform's upload `hosts`, plus the origin of its configured `api` base URL.
    pub fn new(platform: &'static str, hosts: &'static [&'static str], api: &str) -> Self {
        Self {
            platform,
            hosts,
            api: url::Url::parse(api).ok(),
        }
    }

    /// `Ok` when postez may PUT video bytes to `upload_url`.
    pub fn check(&self, upload_url: &str) -> std::result::Result<(), UnsafeAnswer> {
        let mut allowed = self.hosts.join(", ");
        if let Some(api) = &self.api {
            allowed.push_str(&format!(" or the API's own {}", origin(api)));
        }
        let refused = |host: String| UnsafeAnswer::UploadHost {
            platform: self.platform,
            host,
            allowed: allowed.clone(),
        };
        let Ok(url) = url::Url::parse(upload_url) else {
            return Err(refused("an address that is not a URL".into()));
        };
        // Credentials in the address would be sent along; no platform hands out such URLs.
        if !url.username().is_empty() || url.password().is_some() {
            return Err(refused(origin(&url)));
        }
        let same_origin = self.api.as_ref().is_some_and(|api| {
            api.scheme() == url.scheme()
                && api.host() == url.host()
                && api.port_or_known_default() == url.port_or_known_default()
        });
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        let listed = url.scheme() == "https"
            && url.port().is_none()
            && self
                .hosts
                .iter()
                .any(|allowed| match allowed.strip_prefix("*.") {
                    Some(domain) => host
                        .strip_suffix(domain)
                        .is_some_and(|sub| sub.len() > 1 && sub.ends_with('.')),
                    None => host == *allowed,
                });
        if same_origin || listed {
            Ok(())
        } else {
            Err(refused(origin(&url)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_https_or_loopback() {
        for ok in [
            "https://open.tiktokapis.com",
            "https://example.com:8443/api",
            "http://127.0.0.1:4000",
            "http://127.5.6.7/x",
            "http://[::1]:9/",
            "http://localhost:3000",
            "http://LOCALHOST",
        ] {
            assert!(check_base_url("X", ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://open.tiktokapis.com",
            "http://10.0.0.1:80",
            "http://localhost.evil.com",
            "http://127.0.0.1.nip.io",
            "ftp://127.0.0.1",
            "file:///etc/passwd",
            "not a url",
        ] {
            let e = check_base_url("POSTEZ_TIKTOK_API_URL", bad).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::Usage, "{bad}");
            assert!(e.to_string().contains("POSTEZ_TIKTOK_API_URL"), "{e}");
        }
        let e = check_base_url("S", "http://user:pw@evil.example/path?sig=1").unwrap_err();
        assert!(
            !e.to_string().contains("pw") && !e.to_string().contains("sig"),
            "{e}"
        );
    }

    #[test]
    fn upload_hosts_are_the_platforms_or_the_apis_own() {
        let real = UploadHosts::new(
            "tiktok",
            &["*.tiktokapis.com"],
            "https://open.tiktokapis.com",
        );
        assert!(
            real.check("https://open-upload.tiktokapis.com/video/?upload_id=1")
                .is_ok()
        );
        assert!(real.check("https://upload.us.tiktokapis.com/x").is_ok());
        for bad in [
            "http://open-upload.tiktokapis.com/video/",
            "https://tiktokapis.com.evil.example/",
            "https://eviltiktokapis.com/",
            "https://open-upload.tiktokapis.com:8443/",
            "https://user:pw@open-upload.tiktokapis.com/",
            "https://127.0.0.1/",
            "not a url",
        ] {
            assert!(real.check(bad).is_err(), "{bad}");
        }
        let fake = UploadHosts::new("tiktok", &["*.tiktokapis.com"], "http://127.0.0.1:4000");
        assert!(
            fake.check("http://127.0.0.1:4000/upload/1?upload_token=t")
                .is_ok()
        );
        let e = fake
            .check("http://127.0.0.1:4001/upload/1?upload_token=t")
            .unwrap_err();
        assert_eq!(e.code(), "upload_host_refused");
        assert!(!e.to_string().contains("upload_token"), "{e}");
        assert!(fake.check("http://localhost:4000/upload/1").is_err());
    }
}
