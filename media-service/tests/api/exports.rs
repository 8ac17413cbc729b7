//! ExportList, its round trip through StartImport, and imports that are
//! cancelled or outlive a restart.

use completionist_proto::media as pb;
use pb::{ConflictPolicy, ImportFormat, ImportState, RowOutcome};
use tonic::Code;
use wiremock::{Mock, ResponseTemplate, matchers::path};

use crate::{
    helpers::{TestApp, assert_error, authed},
    imports::import_fixture,
};

impl TestApp {
    pub(crate) async fn export(
        &self,
        token: &str,
        format: pb::ExportFormat,
    ) -> (Vec<u8>, String, String) {
        let mut stream = self
            .client()
            .export_list(authed(
                token,
                pb::ExportListRequest {
                    format: format as i32,
                },
            ))
            .await
            .unwrap()
            .into_inner();
        let (mut data, mut name, mut kind) = (Vec::new(), String::new(), String::new());
        while let Some(chunk) = stream.message().await.unwrap() {
            if name.is_empty() {
                (name, kind) = (chunk.file_name, chunk.content_type);
            }
            data.extend(chunk.data);
        }
        (data, name, kind)
    }
}

/// What a list says, without ids and times.
fn view(entries: &[pb::ListEntry]) -> Vec<String> {
    entries
        .iter()
        .map(|e| {
            let item = e.media_item.as_ref().unwrap();
            format!(
                "{} {} {} {:?} {} {} {:?} {:?} {}",
                item.title,
                item.external_id,
                e.status,
                e.rating,
                e.progress,
                e.notes,
                e.start_date,
                e.finish_date,
                e.completion_count
            )
        })
        .collect()
}

/// The provider requests once the enricher has asked once for each of the
/// three items the MyAnimeList fixture makes (the stand-in has no answer,
/// so each then waits minutes before its next try).
async fn enricher_done(app: &TestApp) -> usize {
    let calls = app.provider_requests(3).await;
    assert_eq!(calls, 3, "one details request per new item");
    calls
}

#[tokio::test]
async fn an_export_imported_into_a_fresh_account_is_the_same_list() {
    let app = TestApp::spawn().await;
    let token = app.user().await;
    let job = app
        .start_import(
            &token,
            import_fixture("mal-anime.xml"),
            "a.xml",
            ConflictPolicy::Skip,
        )
        .await
        .unwrap();
    app.watch_import(&token, &job.id, 0).await;
    let custom = app
        .custom_item(&token, pb::MediaKind::Book, "My Zine", None)
        .await;
    app.add(&token, &custom.id, pb::ListStatus::Completed, Some(7))
        .await;
    let mine = app.all_entries(&token).await;

    let (json, name, kind) = app.export(&token, pb::ExportFormat::Unspecified).await;
    assert!(
        name.ends_with(".json") && kind == "application/json",
        "{name} {kind}"
    );
    let parsed: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(
        (parsed["format"].as_str(), parsed["version"].as_u64()),
        (Some("completionist"), Some(2))
    );
    assert_eq!(parsed["entries"].as_array().unwrap().len(), 4);

    let calls = enricher_done(&app).await;
    let fresh = app.user().await;
    let job = app
        .start_import(&fresh, json.clone(), "export.json", ConflictPolicy::Skip)
        .await
        .unwrap();
    assert_eq!(job.format(), ImportFormat::Completionist);
    let (rows, _) = app.watch_import(&fresh, &job.id, 0).await;
    assert!(
        rows.iter().all(|r| r.outcome() == RowOutcome::Created),
        "{rows:?}"
    );
    assert_eq!(view(&app.all_entries(&fresh).await), view(&mine));
    assert_eq!(
        app.providers.received_requests().await.unwrap().len(),
        calls,
        "no provider was asked"
    );

    let again = app
        .start_import(&token, json, "export.json", ConflictPolicy::Merge)
        .await
        .unwrap();
    let (rows, _) = app.watch_import(&token, &again.id, 0).await;
    assert!(
        rows.iter().all(|r| r.outcome() == RowOutcome::Unchanged),
        "into its own account: {rows:?}"
    );
    assert_eq!(view(&app.all_entries(&token).await), view(&mine));
}

#[tokio::test]
async fn a_csv_export_has_a_row_per_entry_with_its_runs() {
    let app = TestApp::spawn().await;
    let token = app.user().await;
    let job = app
        .start_import(
            &token,
            import_fixture("mal-anime.xml"),
            "a.xml",
            ConflictPolicy::Skip,
        )
        .await
        .unwrap();
    app.watch_import(&token, &job.id, 0).await;
    let (csv, name, _) = app.export(&token, pb::ExportFormat::Csv).await;
    assert!(name.ends_with(".csv"));
    let text = String::from_utf8(csv).unwrap();
    assert!(text.starts_with("kind,source,external_id,title"), "{text}");
    assert_eq!(text.lines().count(), 4);
    assert!(
        text.contains("anime,jikan,1,Cowboy Bebop,,completed,9,26,26,\"See you, space cowboy\",2015-01-03,2015-02-10,2,"),
        "{text}"
    );
}

/// A Letterboxd diary whose films are each found by a search the stand-in
/// answers slowly, so the job is still running when the test acts.
pub(crate) async fn slow_letterboxd(app: &TestApp) {
    Mock::given(path("/omdb/"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(
                    r#"{"Response":"False","Error":"Movie not found!"}"#,
                    "application/json",
                )
                .set_delay(std::time::Duration::from_millis(150)),
        )
        .mount(&app.providers)
        .await;
}

pub(crate) fn watched_csv(films: usize) -> Vec<u8> {
    let mut csv = String::from("Date,Name,Year,Letterboxd URI\n");
    for n in 0..films {
        csv.push_str(&format!("2020-01-01,Film {n},2000,https://boxd.it/{n}\n"));
    }
    csv.into_bytes()
}

#[tokio::test]
async fn a_cancelled_import_stops_between_batches() {
    let app = TestApp::spawn().await;
    slow_letterboxd(&app).await;
    let token = app.user().await;
    let job = app
        .start_import(&token, watched_csv(40), "watched.csv", ConflictPolicy::Skip)
        .await
        .unwrap();
    assert_eq!(job.format(), ImportFormat::Letterboxd);
    let cancelled = app
        .client()
        .cancel_import(authed(
            &token,
            pb::CancelImportRequest { id: job.id.clone() },
        ))
        .await
        .unwrap()
        .into_inner()
        .import_job
        .unwrap();
    assert_eq!(cancelled.state(), ImportState::Cancelled);
    let (rows, done) = app.watch_import(&token, &job.id, 0).await;
    assert_eq!(done.state(), ImportState::Cancelled);
    assert!(rows.len() < 40, "stopped early: {} rows", rows.len());
    let again = app
        .client()
        .cancel_import(authed(&token, pb::CancelImportRequest { id: job.id }))
        .await;
    assert_error(again, Code::FailedPrecondition, "IMPORT_FINISHED");
}

#[tokio::test]
async fn a_restart_in_the_middle_resumes_with_no_row_applied_twice() {
    restart_in_the_middle(false).await;
}

#[tokio::test]
async fn a_crash_in_the_middle_is_taken_over_when_the_lease_runs_out() {
    restart_in_the_middle(true).await;
}

async fn restart_in_the_middle(crash: bool) {
    let mut app = TestApp::spawn().await;
    slow_letterboxd(&app).await;
    let token = app.user().await;
    let job = app
        .start_import(&token, watched_csv(24), "watched.csv", ConflictPolicy::Skip)
        .await
        .unwrap();
    // Let the first batch land, then restart.
    loop {
        let now = app.get_import(&token, &job.id).await;
        if now.failed_count > 0 {
            assert!(now.failed_count < 24, "still under way: {now:?}");
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    if crash {
        app.crash_media().await;
    } else {
        app.restart_media().await;
    }
    let (rows, done) = app.watch_import(&token, &job.id, 0).await;
    assert_eq!(done.state(), ImportState::Done);
    assert_eq!(
        rows.iter().map(|r| r.row).collect::<Vec<_>>(),
        (1..=24).collect::<Vec<_>>()
    );
    assert_eq!(done.failed_count, 24, "every film missed once: {done:?}");
}

/// Our export of `n` custom books, "Book 0001" on, each with long notes
/// that end in its number.
fn books_export(n: usize) -> Vec<u8> {
    let notes = "n".repeat(2000);
    let entries: Vec<String> = (1..=n)
        .map(|i| {
            format!(
                r#"{{"item":{{"kind":"book","source":"custom","title":"Book {i:04}"}},"status":"planned",
                    "rating":null,"progress":0,"notes":"{notes} {i}","start_date":null,"finish_date":null}}"#
            )
        })
        .collect();
    format!(
        r#"{{"format":"completionist","version":1,"entries":[{}]}}"#,
        entries.join(",")
    )
    .into_bytes()
}

#[tokio::test]
async fn an_export_writes_each_entry_once_while_items_are_renamed_under_it() {
    let app = TestApp::spawn().await;
    let token = app.user().await;
    let job = app.imported(&token, books_export(600)).await;
    assert_eq!(job.created_count, 600);
    let mut stream = app
        .client()
        .export_list(authed(
            &token,
            pb::ExportListRequest {
                format: pb::ExportFormat::Json as i32,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    // The first page (500 entries) has been read; the rest has not.
    let mut data = stream.message().await.unwrap().unwrap().data.to_vec();
    app.media_db
        .execute("UPDATE media_items SET title = 'Aardvark' WHERE title = 'Book 0600'")
        .await;
    app.media_db
        .execute("UPDATE media_items SET title = 'Zebra' WHERE title = 'Book 0001'")
        .await;
    while let Some(chunk) = stream.message().await.unwrap() {
        data.extend(chunk.data);
    }
    let export: serde_json::Value = serde_json::from_slice(&data).unwrap();
    let mut written: Vec<&str> = export["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["notes"].as_str().unwrap())
        .collect();
    assert_eq!(written.len(), 600);
    written.sort_unstable();
    written.dedup();
    assert_eq!(written.len(), 600, "no entry skipped or written twice");
}

#[tokio::test]
async fn csv_cells_cannot_start_a_formula() {
    let app = TestApp::spawn().await;
    let token = app.user().await;
    let item = app
        .custom_item(
            &token,
            pb::MediaKind::Book,
            "=HYPERLINK(\"http://x\")",
            None,
        )
        .await;
    app.add(&token, &item.id, pb::ListStatus::Planned, None)
        .await;
    let (csv, _, _) = app.export(&token, pb::ExportFormat::Csv).await;
    let csv = String::from_utf8(csv).unwrap();
    assert!(
        csv.contains(r#"'=HYPERLINK(""http://x"")"#),
        "the title is quoted as text: {csv}"
    );
}
