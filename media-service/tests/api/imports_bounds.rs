//! What one import may take of a replica: rows, time, and files read at
//! once.

use std::time::Duration;

use pb::ConflictPolicy;
use tonic::Code;

use crate::helpers::{Options, TestApp, assert_error};
use completionist_proto::media as pb;

/// `n` empty JSON objects, comma-separated: the smallest rows a file holds.
fn tiny_rows(n: usize) -> String {
    let mut rows = "{},".repeat(n);
    rows.pop();
    rows
}

#[tokio::test]
async fn json_files_of_millions_of_tiny_rows_are_refused_at_the_row_limit() {
    let app = TestApp::spawn_with(Options {
        import_max_rows: 1000,
        ..Options::default()
    })
    .await;
    let token = app.user().await;
    let rows = tiny_rows(2_000_000);
    let ours = format!(r#"{{"format":"completionist","version":1,"entries":[{rows}]}}"#);
    let trakt = format!(r#"[{{"ids":{{}},"watched_at":"2020-01-01"}},{rows}]"#);
    for (file, name) in [(ours, "export.json"), (trakt, "history.json")] {
        let refused = app
            .start_import(&token, file.into_bytes(), name, ConflictPolicy::Skip)
            .await;
        let status = assert_error(refused, Code::ResourceExhausted, "IMPORT_TOO_LARGE");
        assert!(
            status.message().contains("more than 1000 rows"),
            "{status:?}"
        );
    }
}

#[tokio::test]
async fn a_file_that_takes_too_long_to_read_is_refused() {
    let app = TestApp::spawn_with(Options {
        media: |config| config.imports.read_time = Duration::from_millis(1),
        ..Options::default()
    })
    .await;
    let token = app.user().await;
    let mut csv = String::from("Const,Your Rating,Title,Title Type\n");
    for n in 0..50_000 {
        csv.push_str(&format!("tt{n:07},7,Film {n},Movie\n"));
    }
    let refused = app
        .start_import(
            &token,
            csv.into_bytes(),
            "ratings.csv",
            ConflictPolicy::Skip,
        )
        .await;
    let status = assert_error(refused, Code::ResourceExhausted, "IMPORT_TOO_SLOW");
    assert!(status.message().contains("split it"), "{status:?}");
    let jobs = app.media_db.count("SELECT count(*) FROM import_jobs").await;
    assert_eq!(jobs, 0, "nothing was stored");
}
