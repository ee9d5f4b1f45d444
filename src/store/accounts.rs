//! Connected accounts as stored (profile data, never tokens): reading them, saving a login,
//! expiry and state updates, and deleting an account with the posts that would use it.

use super::db::{DbResult, Dialect, OptionalExtension, Row, TransactionBehavior, params};
use chrono::{DateTime, Utc};

use crate::error::{Error, Result};
use crate::provider::Platform;

use super::holds::Hold;
use super::{Store, db_err, db_time, opt_time};

/// Whether an account's login can be used. Stored as the same words (`accounts.state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountState {
    /// The saved login works, as far as postez knows.
    Ok,
    /// The platform rejected the saved login; `postez connect` again.
    NeedsReconnect,
    /// The user disconnected it: no tokens are kept; its record stays for history.
    Disconnected,
}

impl AccountState {
    /// Every state.
    pub const ALL: [AccountState; 3] = [Self::Ok, Self::NeedsReconnect, Self::Disconnected];

    /// The stored and displayed word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::NeedsReconnect => "needs_reconnect",
            Self::Disconnected => "disconnected",
        }
    }
}

impl std::fmt::Display for AccountState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for AccountState {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|state| state.as_str() == s)
            .ok_or_else(|| Error::invalid(format!("`{s}` is not an account state"), None))
    }
}

/// A connected account as stored: profile data only.
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    /// Row id.
    pub id: i64,
    /// The platform it is on.
    pub platform: Platform,
    /// The platform's user id (TikTok open_id).
    pub remote_id: String,
    /// Display name.
    pub display_name: Option<String>,
    /// Username (creator_username).
    pub username: Option<String>,
    /// Nickname shown on posts (creator_nickname).
    pub nickname: Option<String>,
    /// Whether its login can be used.
    pub state: AccountState,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// Where the tokens are kept (`keychain` or `file`).
    pub token_store: Option<String>,
    /// When the access token expires.
    pub access_expires_at: Option<DateTime<Utc>>,
    /// When the refresh token expires.
    pub refresh_expires_at: Option<DateTime<Utc>>,
    /// The last `creator_info` answer, as JSON.
    pub creator_info: Option<serde_json::Value>,
    /// Holds on its posts (quotas until their end, a pause until the user connects again),
    /// as stored: see [`Hold::active`].
    pub holds: Vec<Hold>,
}

/// Profile data saved when an account connects (never tokens).
#[derive(Debug, Clone, Default)]
pub struct AccountProfile {
    /// The platform it is on.
    pub platform: Platform,
    /// open_id.
    pub remote_id: String,
    /// Display name.
    pub display_name: Option<String>,
    /// creator_username.
    pub username: Option<String>,
    /// creator_nickname.
    pub nickname: Option<String>,
    /// Avatar URL.
    pub avatar_url: Option<String>,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// `keychain` or `file`.
    pub token_store: String,
    /// Access token expiry.
    pub access_expires_at: DateTime<Utc>,
    /// Refresh token expiry, when the platform said.
    pub refresh_expires_at: Option<DateTime<Utc>>,
    /// creator_info as JSON.
    pub creator_info: Option<serde_json::Value>,
}

impl Account {
    /// The account as JSON (the contract of `accounts --json` and `export`); never a token.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "id": self.id,
            "platform": self.platform,
            "open_id": self.remote_id,
            "display_name": self.display_name,
            "username": self.username,
            "nickname": self.nickname,
            "scopes": self.scopes,
            // A disconnected account has no tokens: the last login's store and expiry times
            // would claim otherwise (issue 10).
            "token_store": self.token_store.as_ref().filter(|_| self.is_connected()),
            "access_expires_at": self.access_expires_at.filter(|_| self.is_connected()).map(db_time),
            "refresh_expires_at": self.refresh_expires_at.filter(|_| self.is_connected()).map(db_time),
            "state": self.state.as_str(),
            "modes": if self.is_connected() { self.modes() } else { Vec::new() },
            "can_manage": self.is_connected() && self.can_manage(),
            "privacy_options": self
                .creator_info
                .as_ref()
                .and_then(|c| self.platform.rules().privacy_options(c)),
            "paused": self.pause().is_some(),
            "holds": self.holds.iter().map(|h| serde_json::json!({
                "applies_to": h.applies_to,
                "until": h.until.map(db_time),
                "code": h.code,
                "message": h.message,
                "hint": h.hint,
                "since": db_time(h.since),
            })).collect::<Vec<_>>(),
        })
    }

    /// The pause TikTok's refusal put on the account, if any: nothing is posted for it until
    /// the user connects it again.
    pub fn pause(&self) -> Option<&Hold> {
        self.holds.iter().find(|h| h.is_pause())
    }

    /// How this account can publish, from the scopes it granted read against its platform's
    /// ([`crate::provider::Rules::scopes`]): `draft` (inbox uploads) and `direct` (Direct Post).
    pub fn modes(&self) -> Vec<&'static str> {
        let (draft, direct) = self.platform.rules().scopes().modes(&self.scopes);
        [(draft, "draft"), (direct, "direct")]
            .into_iter()
            .filter_map(|(granted, mode)| granted.then_some(mode))
            .collect()
    }

    /// Whether the login lets postez change or delete posts already on the platform
    /// (`connect --manage`).
    pub fn can_manage(&self) -> bool {
        self.platform.rules().scopes().can_manage(&self.scopes)
    }

    /// Whether Direct Post was granted.
    pub fn can_direct_post(&self) -> bool {
        self.modes().contains(&"direct")
    }

    /// Whether the login granted `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }

    /// Whether the account has a login (its state is not `disconnected`).
    pub fn is_connected(&self) -> bool {
        self.state != AccountState::Disconnected
    }

    /// How the account is named to people, the same everywhere (connect, accounts, list):
    /// "Pasta Chef (@pastachef)", else whichever of the two is known, else the open_id.
    pub fn name(&self) -> String {
        display_name(
            self.display_name.as_deref().or(self.nickname.as_deref()),
            self.username.as_deref(),
            &self.remote_id,
        )
    }

    /// The name used in listings and `--account`.
    pub fn label(&self) -> String {
        self.username
            .clone()
            .or_else(|| self.display_name.clone())
            .unwrap_or_else(|| self.remote_id.clone())
    }
}

/// "Display Name (@username)", or the part that is known, else `fallback` (an open_id).
pub fn display_name(name: Option<&str>, username: Option<&str>, fallback: &str) -> String {
    match (
        name.filter(|n| !n.is_empty()),
        username.filter(|u| !u.is_empty()),
    ) {
        (Some(name), Some(user)) if name != user => format!("{name} (@{user})"),
        (_, Some(user)) => format!("@{user}"),
        (Some(name), None) => name.to_string(),
        (None, None) => fallback.to_string(),
    }
}

/// An account's columns, its holds as one JSON array (each engine's JSON functions).
fn account_columns(dialect: Dialect) -> String {
    let (array, object, cast) = match dialect {
        Dialect::Sqlite => ("json_group_array", "json_object", ""),
        Dialect::Postgres => ("json_agg", "json_build_object", "::text"),
    };
    format!(
        "id, platform, remote_id, display_name, username, nickname, state, \
         scopes, token_store, access_expires_at, refresh_expires_at, creator_info, \
         (SELECT {array}({object}('applies_to', h.applies_to, 'until', h.until, \
         'code', h.code, 'message', h.message, 'hint', h.hint, 'since', h.since)){cast} \
         FROM account_holds h WHERE h.account_id = accounts.id)"
    )
}

fn account_from_row(row: &Row<'_>) -> DbResult<Account> {
    let scopes: String = row.get(7)?;
    let creator: Option<String> = row.get(11)?;
    let holds: Option<String> = row.get(12)?;
    Ok(Account {
        id: row.get(0)?,
        platform: row.get(1)?,
        remote_id: row.get(2)?,
        display_name: row.get(3)?,
        username: row.get(4)?,
        nickname: row.get(5)?,
        state: super::text_enum(6, row.get(6)?)?,
        scopes: scopes
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        token_store: row.get(8)?,
        access_expires_at: opt_time(row.get(9)?)?,
        refresh_expires_at: opt_time(row.get(10)?)?,
        creator_info: creator.and_then(|c| serde_json::from_str(&c).ok()),
        holds: holds
            .and_then(|h| serde_json::from_str(&h).ok())
            .unwrap_or_default(),
    })
}

impl Store {
    /// All accounts, oldest first.
    pub fn accounts(&self) -> Result<Vec<Account>> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {} FROM accounts ORDER BY id",
                account_columns(self.conn.dialect())
            ))
            .map_err(self.err())?;
        let rows = stmt.query_map([], account_from_row).map_err(self.err())?;
        rows.collect::<DbResult<Vec<_>>>().map_err(self.err())
    }

    /// One account by row id.
    pub fn account(&self, id: i64) -> Result<Option<Account>> {
        self.conn
            .query_row(
                &format!(
                    "SELECT {} FROM accounts WHERE id = ?1",
                    account_columns(self.conn.dialect())
                ),
                [id],
                account_from_row,
            )
            .optional()
            .map_err(self.err())
    }

    /// Insert or refresh an account after a login; its state becomes `ok`.
    pub fn upsert_account(&mut self, p: &AccountProfile, now: DateTime<Utc>) -> Result<Account> {
        let stamp = db_time(now);
        let map = db_err(&self.path);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(map)?;
        let id: i64 = tx
            .query_row(
                "INSERT INTO accounts (platform, remote_id, display_name, username, nickname, \
                 avatar_url, scopes, token_store, access_expires_at, refresh_expires_at, \
                 creator_info, state, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'ok', ?12, ?12) \
                 ON CONFLICT (platform, remote_id) DO UPDATE SET display_name = ?3, \
                 username = COALESCE(?4, accounts.username), \
                 nickname = COALESCE(?5, accounts.nickname), \
                 avatar_url = ?6, scopes = ?7, token_store = ?8, access_expires_at = ?9, \
                 refresh_expires_at = ?10, creator_info = COALESCE(?11, accounts.creator_info), \
                 state = 'ok', updated_at = ?12 RETURNING id",
                params![
                    p.platform,
                    p.remote_id,
                    p.display_name,
                    p.username,
                    p.nickname,
                    p.avatar_url,
                    p.scopes.join(","),
                    p.token_store,
                    db_time(p.access_expires_at),
                    p.refresh_expires_at.map(db_time),
                    p.creator_info.as_ref().map(ToString::to_string),
                    stamp,
                ],
                |r| r.get(0),
            )
            .map_err(map)?;
        tx.commit().map_err(map)?;
        self.account(id)?.ok_or_else(|| Error::NotConnected {
            platform: p.platform.to_string(),
        })
    }

    /// Record new token expiry times after a refresh.
    pub fn set_account_expiry(
        &mut self,
        id: i64,
        access: DateTime<Utc>,
        refresh: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.conn
            .execute(
                "UPDATE accounts SET access_expires_at = ?2, refresh_expires_at = ?3, \
                 updated_at = ?4 WHERE id = ?1",
                params![id, db_time(access), refresh.map(db_time), db_time(now)],
            )
            .map_err(self.err())?;
        Ok(())
    }

    /// Set an account's state.
    pub fn set_account_state(
        &mut self,
        id: i64,
        state: AccountState,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.conn
            .execute(
                "UPDATE accounts SET state = ?2, updated_at = ?3 WHERE id = ?1",
                params![id, state.as_str(), db_time(now)],
            )
            .map_err(self.err())?;
        Ok(())
    }

    /// Take a scope off the account's record, after the platform said the login lacks it (the
    /// stored login keeps what it was granted; a new connect records the new grant).
    pub fn drop_scope(&mut self, id: i64, scope: &str, now: DateTime<Utc>) -> Result<()> {
        let Some(account) = self.account(id)? else {
            return Ok(());
        };
        let kept: Vec<&str> = account
            .scopes
            .iter()
            .map(String::as_str)
            .filter(|s| *s != scope)
            .collect();
        self.conn
            .execute(
                "UPDATE accounts SET scopes = ?2, updated_at = ?3 WHERE id = ?1",
                params![id, kept.join(","), db_time(now)],
            )
            .map_err(self.err())?;
        Ok(())
    }

    /// Save the latest `creator_info` (and the names in it).
    pub fn set_creator_info(
        &mut self,
        id: i64,
        info: &serde_json::Value,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.conn
            .execute(
                "UPDATE accounts SET creator_info = ?2, \
                 username = COALESCE(json_extract(?2, '$.creator_username'), username), \
                 nickname = COALESCE(json_extract(?2, '$.creator_nickname'), nickname), \
                 updated_at = ?3 WHERE id = ?1",
                params![id, info.to_string(), db_time(now)],
            )
            .map_err(self.err())?;
        Ok(())
    }

    /// How many posts still waiting would publish with this account.
    pub fn queued_for_account(&self, id: i64, only_account: bool) -> Result<usize> {
        // Posts without an account publish with the platform's only account.
        let sql = if only_account {
            "SELECT COUNT(*) FROM posts WHERE (account_id = ?1 OR account_id IS NULL) \
             AND state IN ('scheduled', 'publishing', 'failed')"
        } else {
            "SELECT COUNT(*) FROM posts WHERE account_id = ?1 \
             AND state IN ('scheduled', 'publishing', 'failed')"
        };
        self.conn
            .query_row(sql, [id], |r| r.get(0))
            .map_err(self.err())
    }

    /// Delete an account and the posts that would publish with it (with their history).
    /// Returns how many posts went, and the files among them that were postez's private copies.
    pub fn delete_account(
        &mut self,
        id: i64,
        with_unassigned: bool,
    ) -> Result<(usize, Vec<String>)> {
        let map = db_err(&self.path);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(map)?;
        let filter = if with_unassigned {
            "account_id = ?1 OR account_id IS NULL"
        } else {
            "account_id = ?1"
        };
        let copies: Vec<String> = {
            let mut stmt = tx
                .prepare(&format!(
                    "SELECT file FROM posts WHERE copied = 1 AND ({filter})"
                ))
                .map_err(map)?;
            let rows = stmt.query_map([id], |r| r.get(0)).map_err(map)?;
            rows.collect::<DbResult<_>>().map_err(map)?
        };
        tx.execute(
            &format!("DELETE FROM events WHERE post_id IN (SELECT id FROM posts WHERE {filter})"),
            [id],
        )
        .map_err(map)?;
        let posts = tx
            .execute(&format!("DELETE FROM posts WHERE {filter}"), [id])
            .map_err(map)?;
        tx.execute("DELETE FROM accounts WHERE id = ?1", [id])
            .map_err(map)?;
        tx.commit().map_err(map)?;
        // Give the freed pages back, so deleted text does not linger in the file. (The
        // shared queue's server reuses its pages itself; its backups are the team's.)
        if self.conn.dialect() == Dialect::Sqlite {
            self.conn
                .execute_batch("PRAGMA wal_checkpoint(TRUNCATE); VACUUM;")
                .map_err(self.err())?;
        }
        Ok((posts, copies))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every state is stored as its word and read back; the schema's CHECK accepts exactly them.
    #[test]
    fn account_states_round_trip_through_the_database() {
        let mut store = Store::open_in_memory().unwrap();
        let now = Utc::now();
        let profile = AccountProfile {
            platform: crate::provider::Platform::TikTok,
            remote_id: "open-1".into(),
            token_store: "keychain".into(),
            access_expires_at: now,
            refresh_expires_at: Some(now),
            ..AccountProfile::default()
        };
        let account = store.upsert_account(&profile, now).unwrap();
        assert_eq!(account.state, AccountState::Ok);
        for state in AccountState::ALL {
            assert_eq!(state.as_str().parse::<AccountState>().unwrap(), state);
            store.set_account_state(account.id, state, now).unwrap();
            assert_eq!(store.account(account.id).unwrap().unwrap().state, state);
            let stored: String = store
                .conn
                .query_row(
                    "SELECT state FROM accounts WHERE id = ?1",
                    [account.id],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(stored, state.as_str());
        }
        assert!("paused".parse::<AccountState>().is_err());
    }

    /// An account's modes are its granted scopes read against its platform's: the store knows
    /// no platform's scope names.
    #[test]
    fn modes_come_from_the_platform_scopes() {
        let mut store = Store::open_in_memory().unwrap();
        let now = Utc::now();
        let platform = crate::provider::Platform::default();
        let scopes = platform.rules().scopes();
        let mut granted: Vec<String> = scopes.basic.iter().map(|s| s.to_string()).collect();
        let mut modes = |granted: &[String]| {
            let profile = AccountProfile {
                platform,
                remote_id: "open-1".into(),
                scopes: granted.to_vec(),
                token_store: "keychain".into(),
                access_expires_at: now,
                refresh_expires_at: Some(now),
                ..AccountProfile::default()
            };
            let account = store.upsert_account(&profile, now).unwrap();
            (account.modes(), account.can_direct_post())
        };
        assert_eq!(modes(&granted), (vec![], false));
        granted.extend(scopes.draft.map(String::from));
        assert_eq!(modes(&granted), (vec!["draft"], false));
        granted.extend(scopes.direct.map(String::from));
        assert_eq!(modes(&granted), (vec!["draft", "direct"], true));
    }
}
