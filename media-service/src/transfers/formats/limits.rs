//! What reading one upload may take: rows and time.

use std::{cell::Cell, time::Instant};

use super::FileError;

/// Checked at every row as it is read (counting the rows of every file of
/// the upload), so an upload is refused when it reaches a limit rather than
/// after it is read.
#[derive(Debug)]
pub(crate) struct ReadLimits {
    max_rows: usize,
    /// When reading must have ended; `None` for no limit.
    deadline: Option<Instant>,
    /// Rows read so far.
    read: Cell<usize>,
}

impl ReadLimits {
    pub(crate) fn new(max_rows: usize, deadline: Option<Instant>) -> Self {
        Self {
            max_rows,
            deadline,
            read: Cell::new(0),
        }
    }

    /// At most `max_rows`, in no limit of time.
    #[cfg(test)]
    pub(crate) fn rows(max_rows: usize) -> Self {
        Self::new(max_rows, None)
    }

    /// Counts one more row read, if it may be.
    pub(crate) fn row(&self) -> Result<(), FileError> {
        let count = self.read.get() + 1;
        self.read.set(count);
        if count > self.max_rows {
            return Err(FileError::TooManyRows(self.max_rows));
        }
        if self
            .deadline
            .is_some_and(|deadline| Instant::now() >= deadline)
        {
            return Err(FileError::TooSlow);
        }
        Ok(())
    }
}
