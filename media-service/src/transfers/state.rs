//! What the imports of one replica share: their settings, the worker's
//! wake-up, and the places for reading uploads (StartImport).

use std::{sync::Arc, time::Duration};

use completionist_common::quota::{Quota, QuotaPermit};
use uuid::Uuid;

use crate::{config::ImportsConfig, error::Error};

/// The imports' settings and shared places; one per replica.
pub(crate) struct Imports {
    pub(crate) config: ImportsConfig,
    pub(crate) wake: tokio::sync::Notify,
    /// One permit per file being read by StartImport.
    read_places: Arc<tokio::sync::Semaphore>,
    /// The callers with a file being read, one file each.
    readers: Quota<Uuid>,
}

impl Imports {
    pub(crate) fn new(config: ImportsConfig) -> Arc<Self> {
        Arc::new(Self {
            read_places: Arc::new(tokio::sync::Semaphore::new(config.readers)),
            readers: Quota::new(1),
            config,
            wake: tokio::sync::Notify::new(),
        })
    }

    /// A place to read `user`'s file in: one at a time per caller, and a
    /// few at a time per replica (waiting a moment for one to free up).
    pub(crate) async fn place_to_read(&self, user: Uuid) -> Result<Reading, Error> {
        let mine = self.readers.try_take(user).ok_or(Error::ImportsBusy(
            "a file of yours is being read already; try again when it is done",
        ))?;
        let place = tokio::time::timeout(READER_WAIT, self.read_places.clone().acquire_owned())
            .await
            .ok()
            .and_then(Result::ok)
            .ok_or(Error::ImportsBusy(
                "this server is reading as many files as it can; try again shortly",
            ))?;
        Ok(Reading {
            _mine: mine,
            _place: place,
        })
    }
}

/// A place to read one caller's file in, until dropped; then the memory
/// the file took is handed back to the system.
pub(crate) struct Reading {
    _mine: QuotaPermit<Uuid>,
    _place: tokio::sync::OwnedSemaphorePermit,
}

impl Drop for Reading {
    fn drop(&mut self) {
        completionist_common::memory::hand_back_freed();
    }
}

/// How long StartImport waits for a place to read its file in.
const READER_WAIT: Duration = Duration::from_secs(2);
