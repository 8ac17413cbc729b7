//! Whole lists in and out: StartImport, GetImport, ListImports,
//! CancelImport, WatchImport, and ExportList.

pub(crate) mod formats;
