//! The post state machine as the store enforces it. Every UPDATE that changes a post's state
//! is one of the [`Change`]s here: its new state (`SET state = …`) and its guard
//! (`WHERE state IN (…)`) are rendered from the `Change`, and each `Change` is checked against
//! [`PostState::can_become`], the one table of allowed transitions, when the crate compiles.
//! The tests check that the changes together are exactly that table, and that no UPDATE in the
//! store sets a state by hand.

use crate::post::PostState::{
    self, Cancelled, Failed, Published, Publishing, Scheduled, SentToInbox, Uploaded,
};

/// A change the store makes to a post, allowed only while the post is in one of `from`: to the
/// state `to`, or (`None`) keeping its state (an edit).
#[derive(Debug, Clone, Copy)]
pub(super) struct Change {
    /// The states the post may be in.
    pub from: &'static [PostState],
    /// Its new state; `None` keeps it.
    pub to: Option<PostState>,
}

impl Change {
    /// A change of state; a transition [`PostState::can_become`] does not allow fails the
    /// build (the constants below are evaluated at compile time).
    const fn to(from: &'static [PostState], to: PostState) -> Self {
        let mut i = 0;
        while i < from.len() {
            assert!(
                from[i].can_become(to),
                "the state machine does not allow this change"
            );
            i += 1;
        }
        Self { from, to: Some(to) }
    }

    /// A change of the post's content that keeps its state.
    const fn keep(from: &'static [PostState]) -> Self {
        Self { from, to: None }
    }

    /// The SET clause's part for the state: `state = 'failed'` (`state = state` when kept).
    pub fn set(&self) -> String {
        match self.to {
            Some(to) => format!("state = '{}'", to.as_str()),
            None => "state = state".into(),
        }
    }

    /// The WHERE clause's guard: `state IN ('scheduled', 'failed')`.
    pub fn guard(&self) -> String {
        let states: Vec<String> = self
            .from
            .iter()
            .map(|s| format!("'{}'", s.as_str()))
            .collect();
        format!("state IN ({})", states.join(", "))
    }
}

/// `run` claims a due post: one to upload, or one the platform held until its time, to confirm.
pub(super) const CLAIM: Change = Change::to(&[Scheduled, Uploaded], Publishing);
/// `run` fails a post whose time passed long ago.
pub(super) const MISS: Change = Change::to(&[Scheduled], Failed);
/// An attempt ends published.
pub(super) const PUBLISH: Change = Change::to(&[Publishing], Published);
/// An attempt ends in the creator's inbox.
pub(super) const SEND: Change = Change::to(&[Publishing], SentToInbox);
/// An attempt ends with the post on the platform, held there until its time.
pub(super) const HOLD: Change = Change::to(&[Publishing], Uploaded);
/// `postez cancel` of a post the platform holds, once the platform deleted it.
pub(super) const CANCEL_UPLOADED: Change = Change::to(&[Uploaded], Cancelled);
/// `postez edit --at` of a post the platform holds, once the platform has the new time.
pub(super) const RESCHEDULE_UPLOADED: Change = Change::keep(&[Uploaded]);
/// An attempt fails for good.
pub(super) const FAIL: Change = Change::to(&[Publishing], Failed);
/// An attempt is retried later, released or held: the post is queued again.
pub(super) const REQUEUE: Change = Change::to(&[Publishing], Scheduled);
/// `postez cancel`: a queued or failed post is withdrawn.
pub(super) const CANCEL: Change = Change::to(&[Scheduled, Failed], Cancelled);
/// `postez retry`: a failed or cancelled post is queued again.
pub(super) const RETRY: Change = Change::to(&[Failed, Cancelled], Scheduled);
/// `postez edit`: an editable post's content changes, its state does not.
pub(super) const EDIT: Change = Change::keep(PostState::EDITABLE);

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Change; 12] = [
        CLAIM,
        MISS,
        PUBLISH,
        SEND,
        FAIL,
        REQUEUE,
        CANCEL,
        RETRY,
        EDIT,
        HOLD,
        CANCEL_UPLOADED,
        RESCHEDULE_UPLOADED,
    ];

    /// The store's changes are exactly the machine's transitions: none it forbids (also
    /// checked at compile time), and none it allows without a way to make it.
    #[test]
    fn the_store_makes_exactly_the_transitions_of_the_machine() {
        let mut made: Vec<(PostState, PostState)> = ALL
            .iter()
            .filter_map(|c| c.to.map(|to| (c, to)))
            .flat_map(|(c, to)| c.from.iter().map(move |&from| (from, to)))
            .collect();
        made.sort_by_key(|(a, b)| (a.as_str(), b.as_str()));
        made.dedup();
        let mut allowed: Vec<(PostState, PostState)> = PostState::ALL
            .into_iter()
            .flat_map(|a| PostState::ALL.into_iter().map(move |b| (a, b)))
            .filter(|(a, b)| a.can_become(*b))
            .collect();
        allowed.sort_by_key(|(a, b)| (a.as_str(), b.as_str()));
        assert_eq!(made, allowed);
    }

    /// The rendered guard admits exactly the `from` states, as SQLite reads it.
    #[test]
    fn each_guard_admits_exactly_its_states() {
        let db = rusqlite::Connection::open_in_memory().unwrap();
        for change in ALL {
            for state in PostState::ALL {
                let admitted: bool = db
                    .query_row(
                        &format!(
                            "SELECT EXISTS (SELECT 1 FROM (SELECT ?1 AS state) WHERE {})",
                            change.guard()
                        ),
                        [state.as_str()],
                        |r| r.get(0),
                    )
                    .unwrap();
                assert_eq!(admitted, change.from.contains(&state), "{change:?} {state}");
            }
        }
    }

    /// No UPDATE of posts in the store sets a state by hand: each goes through a `Change`.
    #[test]
    fn no_update_sets_a_state_by_hand() {
        for (file, text) in [
            ("posts.rs", include_str!("posts.rs")),
            ("publishing.rs", include_str!("publishing.rs")),
            ("holds.rs", include_str!("holds.rs")),
            ("accounts.rs", include_str!("accounts.rs")),
            ("runs.rs", include_str!("runs.rs")),
            ("../store.rs", include_str!("../store.rs")),
        ] {
            // Tests may put posts in any state to set up a case; the code under test may not.
            let code = text.split("#[cfg(test)]").next().unwrap_or(text);
            for (n, line) in code.lines().enumerate() {
                let by_hand = ["SET state = '", ", state = '", "\"state = '"]
                    .iter()
                    .any(|p| line.contains(p));
                // `accounts` has its own state column; this is about posts.
                let accounts = line.contains("UPDATE accounts") || line.contains("state = 'ok'");
                assert!(!by_hand || accounts, "{file}:{}: {line}", n + 1);
            }
        }
    }
}
