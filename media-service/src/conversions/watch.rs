//! WatchListEntries' messages.

use completionist_common::time::timestamp;
use completionist_proto::media as pb;

use crate::watch::{Change, ChangeKind};

impl From<Change> for pb::ListEntryChange {
    fn from(change: Change) -> Self {
        let Change {
            seq: _,
            kind,
            entry_id,
            entry,
            runs_changed,
            at,
        } = change;
        let kind = match kind {
            ChangeKind::Added => pb::ListEntryChangeType::Added,
            ChangeKind::Updated => pb::ListEntryChangeType::Updated,
            ChangeKind::Removed => pb::ListEntryChangeType::Removed,
        };
        Self {
            r#type: kind.into(),
            list_entry: entry.map(Into::into),
            list_entry_id: entry_id.to_string(),
            runs_changed,
            change_time: Some(timestamp(at)),
        }
    }
}
