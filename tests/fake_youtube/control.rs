//! The fake's own HTTP control surface under `/__fake/`, for shell scripts (and an example binary
//! later). These are not Google endpoints and need no credentials; they mirror the fake TikTok's.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::Value;

use super::Inner;
use super::state::{FakeChannel, Fault, TokenKind};

pub(crate) fn routes() -> Router<Arc<Inner>> {
    Router::new()
        .route("/__fake/state", get(state))
        .route("/__fake/faults", post(fault))
        .route("/__fake/expire-access", post(expire_access))
        .route("/__fake/expire-refresh", post(expire_refresh))
        .route("/__fake/expire-sessions", post(expire_sessions))
        .route("/__fake/advance", post(advance))
        .route("/__fake/reset", post(reset))
        .route("/__fake/settings", post(settings))
}

fn bad(message: String) -> Response {
    (StatusCode::BAD_REQUEST, message).into_response()
}

/// `GET /__fake/state`: the [`super::Snapshot`] as JSON.
async fn state(State(inner): State<Arc<Inner>>) -> Response {
    let snap = inner.lock().snapshot();
    match serde_json::to_string_pretty(&snap) {
        Ok(body) => ([(header::CONTENT_TYPE, "application/json")], body).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

/// `POST /__fake/faults` with one [`Fault`] as JSON, e.g. `{"kind":"final_reply_lost"}`.
async fn fault(State(inner): State<Arc<Inner>>, body: Bytes) -> Response {
    match serde_json::from_slice::<Fault>(&body) {
        Ok(f) => {
            inner.lock().faults.push_back(f);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => bad(format!("not a fault: {e}\n")),
    }
}

async fn expire_access(State(inner): State<Arc<Inner>>) -> StatusCode {
    inner.expire(TokenKind::Access);
    StatusCode::NO_CONTENT
}

async fn expire_refresh(State(inner): State<Arc<Inner>>) -> StatusCode {
    inner.expire(TokenKind::Refresh);
    StatusCode::NO_CONTENT
}

async fn expire_sessions(State(inner): State<Arc<Inner>>) -> StatusCode {
    inner.expire_sessions();
    StatusCode::NO_CONTENT
}

/// `POST /__fake/advance` with `{"secs": N}`: moves the fake clock forward.
async fn advance(State(inner): State<Arc<Inner>>, body: Bytes) -> Response {
    let secs = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.get("secs").and_then(Value::as_u64));
    match secs {
        Some(s) => {
            inner.advance(Duration::from_secs(s));
            StatusCode::NO_CONTENT.into_response()
        }
        None => bad("expected {\"secs\": N}\n".into()),
    }
}

async fn reset(State(inner): State<Arc<Inner>>) -> StatusCode {
    inner.reset();
    StatusCode::NO_CONTENT
}

/// `POST /__fake/settings` with any of `force_private`, `processing_polls`, `deny`,
/// `granted_scopes` (a list of scope URLs, or `null` for "everything requested"),
/// `testing_mode` and `channel` (a whole [`FakeChannel`]; missing fields take their defaults).
async fn settings(State(inner): State<Arc<Inner>>, body: Bytes) -> Response {
    let Ok(Value::Object(patch)) = serde_json::from_slice::<Value>(&body) else {
        return bad("expected a JSON object\n".into());
    };
    let mut st = inner.lock();
    let mut next = st.settings.clone();
    for (key, value) in patch {
        let ok = match key.as_str() {
            "force_private" => value.as_bool().map(|b| next.force_private = b).is_some(),
            "deny" => value.as_bool().map(|b| next.deny = b).is_some(),
            "testing_mode" => value.as_bool().map(|b| next.testing_mode = b).is_some(),
            "processing_polls" => value
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .map(|n| next.processing_polls = n)
                .is_some(),
            "granted_scopes" => match serde_json::from_value::<Option<Vec<String>>>(value) {
                Ok(s) => {
                    next.granted_scopes = s;
                    true
                }
                Err(_) => false,
            },
            "channel" => match serde_json::from_value::<FakeChannel>(value) {
                Ok(c) => {
                    next.channel = c;
                    true
                }
                Err(_) => false,
            },
            _ => false,
        };
        if !ok {
            return bad(format!("bad or unknown setting `{key}`\n"));
        }
    }
    st.settings = next;
    StatusCode::NO_CONTENT.into_response()
}
