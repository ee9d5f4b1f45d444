//! The team's settings in the shared queue (issue 14): `postez config set` writes the keys
//! `config::TEAM_KEYS` names here, and every machine reads them over its own settings file.
//! Values are validated by `config` before they come here; this module only keeps them.

use crate::error::Result;

use super::Store;
use super::db::{DbResult, params};

impl Store {
    /// Every team setting, by key.
    pub fn team_settings(&self) -> Result<Vec<(String, String)>> {
        if !self.is_shared() {
            return Ok(Vec::new());
        }
        let mut stmt = self
            .conn
            .prepare("SELECT key, value FROM team_settings ORDER BY key")
            .map_err(self.err())?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(self.err())?;
        rows.collect::<DbResult<_>>().map_err(self.err())
    }

    /// Set (`Some`) or unset (`None`) one team setting.
    pub fn set_team_setting(&mut self, key: &str, value: Option<&str>) -> Result<()> {
        match value {
            Some(value) => self.conn.execute(
                "INSERT INTO team_settings (key, value) VALUES (?1, ?2) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = now()",
                params![key, value],
            ),
            None => self
                .conn
                .execute("DELETE FROM team_settings WHERE key = ?1", [key]),
        }
        .map_err(self.err())?;
        Ok(())
    }
}
