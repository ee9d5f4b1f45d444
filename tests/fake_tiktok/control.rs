//! The fake's own HTTP control surface under `/__fake/`, for shell scripts and the example binary.
//! These are not TikTok endpoints and need no credentials.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::Value;

use super::Inner;
use super::state::{FakeUser, Fault, TokenKind};

pub(crate) fn routes() -> Router<Arc<Inner>> {
    Router::new()
        .route("/__fake/state", get(state))
        .route("/__fake/faults", post(fault))
        .route("/__fake/expire-access", post(expire_access))
        .route("/__fake/expire-refresh", post(expire_refresh))
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

/// `POST /__fake/faults` with one [`Fault`] as JSON, e.g. `{"kind":"ack_lost","chunk":0}`.
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

async fn reset(State(inner): State<Arc<Inner>>) -> StatusCode {
    inner.reset();
    StatusCode::NO_CONTENT
}

/// `POST /__fake/settings` with any of `unaudited`, `processing_polls`, `deny`,
/// `granted_scopes` (a list, or `null` for "everything requested"), `app_scopes` (what the app
/// is approved for), `client_secret` (the developer rotated it: the old one gets
/// `invalid_client`) and `user` (a whole
/// [`FakeUser`]; missing fields take their defaults).
async fn settings(State(inner): State<Arc<Inner>>, body: Bytes) -> Response {
    let Ok(Value::Object(patch)) = serde_json::from_slice::<Value>(&body) else {
        return bad("expected a JSON object\n".into());
    };
    let mut st = inner.lock();
    let mut next = st.settings.clone();
    for (key, value) in patch {
        let ok = match key.as_str() {
            "unaudited" => value.as_bool().map(|b| next.unaudited = b).is_some(),
            "deny" => value.as_bool().map(|b| next.deny = b).is_some(),
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
            "app_scopes" => match serde_json::from_value::<Vec<String>>(value) {
                Ok(s) => {
                    next.app_scopes = s;
                    true
                }
                Err(_) => false,
            },
            "client_secret" => value
                .as_str()
                .map(|s| next.rotated_secret = Some(s.to_string()))
                .is_some(),
            "user" => match serde_json::from_value::<FakeUser>(value) {
                Ok(u) => {
                    next.user = u;
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
