//! What postez does to a video YouTube already holds for an upload ahead (§8), with the
//! `youtube` scope (`connect youtube --manage`, §1.9): move its `publishAt` (`videos.update`
//! of the whole `status` part, read first: an update replaces every field of a part it sends,
//! §3.1) and delete it (`videos.delete`). Each costs 50 units (§5.1).

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value};

use super::codes;
use super::{PLATFORM, YouTube};
use crate::error::{Error, Result};
use crate::provider::net;
use crate::secrets::Secret;

/// The action named in errors of a reschedule.
const RESCHEDULE_ACTION: &str = "move the video's publishing time";
/// The action named in errors of a delete.
const DELETE_ACTION: &str = "delete the video";
/// The writable fields of `status` (§3.1): what an update must send again to keep them.
const STATUS_FIELDS: [&str; 7] = [
    "privacyStatus",
    "publishAt",
    "selfDeclaredMadeForKids",
    "containsSyntheticMedia",
    "license",
    "embeddable",
    "publicStatsViewable",
];

impl YouTube {
    /// Set the video's `publishAt` to `at`: its `status` is read (1 unit), then sent back
    /// whole with `privacyStatus: private` and the new time (50 units; §8 "you must also set
    /// status.privacyStatus to private even if the video is already private").
    pub(super) async fn set_publish_at(
        &self,
        token: &Secret,
        id: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let request = self
            .http
            .get(self.api_url("/youtube/v3/videos"))
            .query(&[("part", "status"), ("id", id)])
            .bearer_auth(token.expose());
        let list: Value = self.json(RESCHEDULE_ACTION, request).await?;
        let status = list["items"]
            .as_array()
            .and_then(|items| items.iter().find(|v| v["id"] == id))
            .and_then(|v| v["status"].as_object())
            .cloned()
            .ok_or_else(|| gone(RESCHEDULE_ACTION, id))?;
        // §8: a video that was public cannot be scheduled again (400 invalidPublishAt); asked
        // here, not spending 50 units on the refusal.
        if status.get("privacyStatus").and_then(Value::as_str) != Some("private") {
            return Err(codes::refusal(
                RESCHEDULE_ACTION,
                200,
                "invalidPublishAt",
                "YouTube no longer holds the video private: it is out already",
            )
            .into());
        }
        let mut kept: Map<String, Value> = STATUS_FIELDS
            .iter()
            .filter_map(|k| status.get(*k).map(|v| (k.to_string(), v.clone())))
            .collect();
        kept.insert("privacyStatus".into(), "private".into());
        kept.insert(
            "publishAt".into(),
            at.to_rfc3339_opts(SecondsFormat::Secs, true).into(),
        );
        let request = self
            .http
            .put(self.api_url("/youtube/v3/videos"))
            .query(&[("part", "status")])
            .bearer_auth(token.expose())
            .json(&serde_json::json!({ "id": id, "status": kept }));
        let _: Value = self.json(RESCHEDULE_ACTION, request).await?;
        Ok(())
    }

    /// Delete the video (50 units). One YouTube no longer has (404 `videoNotFound`) counts as
    /// deleted: an earlier delete's reply may have been lost.
    pub(super) async fn delete_video(&self, token: &Secret, id: &str) -> Result<()> {
        let request = self
            .http
            .delete(self.api_url("/youtube/v3/videos"))
            .query(&[("id", id)])
            .bearer_auth(token.expose());
        let (http, body) = net::exchange(PLATFORM, DELETE_ACTION, request).await?;
        if (200..300).contains(&http) {
            return Ok(());
        }
        let e = codes::from_body(DELETE_ACTION, http, &body);
        if http == 404 && e.code == "videoNotFound" {
            tracing::info!(video = id, "the video was deleted already");
            return Ok(());
        }
        Err(e.into())
    }
}

fn gone(action: &'static str, id: &str) -> Error {
    codes::refusal(
        action,
        200,
        "videoNotFound",
        &format!("YouTube no longer lists the video {id}"),
    )
    .into()
}
