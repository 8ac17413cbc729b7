//! Whole-list imports end to end: a real file through StartImport, the
//! worker applying it, WatchImport reporting each row, and the list after.

use completionist_proto::media as pb;
use pb::{ConflictPolicy, ImportFormat, ImportState, ListStatus, RowOutcome};
use tonic::Code;
use wiremock::{
    Mock, ResponseTemplate,
    matchers::{path, query_param},
};

use crate::helpers::{Options, TestApp, assert_error, authed, json_fixture, violated_fields};

pub(crate) fn import_fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/api/fixtures/imports/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

impl TestApp {
    pub(crate) async fn start_import(
        &self,
        token: &str,
        content: Vec<u8>,
        file_name: &str,
        policy: ConflictPolicy,
    ) -> Result<pb::ImportJob, tonic::Status> {
        self.client()
            .start_import(authed(
                token,
                pb::StartImportRequest {
                    content,
                    file_name: file_name.into(),
                    format: ImportFormat::Unspecified as i32,
                    conflict_policy: policy as i32,
                },
            ))
            .await
            .map(|r| r.into_inner().import_job.unwrap())
    }

    /// Watches job `id` after `after_row` to its end: the rows reported and
    /// the job as it was last sent.
    pub(crate) async fn watch_import(
        &self,
        token: &str,
        id: &str,
        after_row: i32,
    ) -> (Vec<pb::ImportRow>, pb::ImportJob) {
        use pb::watch_import_response::Event;
        let mut stream = self
            .client()
            .watch_import(authed(
                token,
                pb::WatchImportRequest {
                    id: id.into(),
                    after_row,
                },
            ))
            .await
            .unwrap()
            .into_inner();
        let (mut rows, mut job) = (Vec::new(), None);
        let watching = async {
            while let Some(message) = stream.message().await.unwrap() {
                match message.event.unwrap() {
                    Event::Row(row) => rows.push(row),
                    Event::ImportJob(j) => job = Some(j),
                }
            }
        };
        tokio::time::timeout(std::time::Duration::from_secs(30), watching)
            .await
            .expect("the watch ends when the job does");
        (rows, job.unwrap())
    }

    pub(crate) async fn all_entries(&self, token: &str) -> Vec<pb::ListEntry> {
        self.list(
            token,
            pb::ListListEntriesRequest {
                page_size: 100,
                order_by: pb::ListEntryOrder::Title as i32,
                ..Default::default()
            },
        )
        .await
        .list_entries
    }
}

fn outcomes(rows: &[pb::ImportRow]) -> Vec<RowOutcome> {
    rows.iter().map(|r| r.outcome()).collect()
}

#[tokio::test]
async fn items_made_from_the_file_get_their_details_later() {
    let app = TestApp::spawn().await;
    Mock::given(path("/jikan/v4/anime/1"))
        .respond_with(json_fixture("jikan_anime_1.json"))
        .mount(&app.providers)
        .await;
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
    let item = app.all_entries(&token).await.remove(0).media_item.unwrap();
    assert_eq!(item.image_url, "", "listed before the provider is asked");
    let mut filled = String::new();
    for _ in 0..50 {
        filled = app
            .client()
            .get_media_item(authed(
                &token,
                pb::GetMediaItemRequest {
                    id: item.id.clone(),
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .media_item
            .unwrap()
            .image_url;
        if !filled.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        filled.starts_with("https://"),
        "filled in from Jikan: {filled:?}"
    );
}

#[tokio::test]
async fn a_myanimelist_export_lands_with_runs_and_a_report_per_row() {
    let app = TestApp::spawn().await;
    let token = app.user().await;
    let job = app
        .start_import(
            &token,
            import_fixture("mal-anime.xml"),
            "animelist.xml",
            ConflictPolicy::Unspecified,
        )
        .await
        .unwrap();
    assert_eq!(
        (job.format(), job.total_rows),
        (ImportFormat::Myanimelist, 4)
    );

    let (rows, done) = app.watch_import(&token, &job.id, 0).await;
    assert_eq!(done.state(), ImportState::Done);
    assert_eq!(
        outcomes(&rows),
        [
            RowOutcome::Created,
            RowOutcome::Created,
            RowOutcome::Created,
            RowOutcome::Failed
        ]
    );
    assert_eq!(
        rows.iter().map(|r| r.line).collect::<Vec<_>>(),
        [18, 43, 56, 67]
    );
    assert!(rows[3].message.contains("rating"), "{:?}", rows[3]);
    assert_eq!((done.created_count, done.failed_count), (3, 1));

    assert_fixture_list(&app.all_entries(&token).await);
}

/// The list the MyAnimeList fixture makes.
fn assert_fixture_list(entries: &[pb::ListEntry]) {
    let titles: Vec<_> = entries
        .iter()
        .map(|e| e.media_item.as_ref().unwrap().title.as_str())
        .collect();
    assert_eq!(
        titles,
        [
            "Cowboy Bebop",
            "Fullmetal Alchemist: Brotherhood & Friends",
            "Steins;Gate"
        ]
    );
    let bebop = &entries[0];
    assert_eq!(
        (
            bebop.status(),
            bebop.rating,
            bebop.progress,
            bebop.completion_count
        ),
        (ListStatus::Completed, Some(9), 26, 2),
        "the first watch and one rewatch"
    );
    assert_eq!(bebop.notes, "See you, space cowboy");
    assert_eq!(
        (
            entries[1].status(),
            entries[1].rating,
            entries[1].start_date
        ),
        (ListStatus::InProgress, None, None),
        "unrated, and a start date with an unknown day is unknown"
    );
}

#[tokio::test]
async fn importing_the_same_file_twice_changes_nothing() {
    let app = TestApp::spawn().await;
    let token = app.user().await;
    let file = import_fixture("mal-anime.xml");
    let first = app
        .start_import(&token, file.clone(), "a.xml", ConflictPolicy::Skip)
        .await
        .unwrap();
    app.watch_import(&token, &first.id, 0).await;
    let before = app.all_entries(&token).await;

    for policy in [
        ConflictPolicy::Skip,
        ConflictPolicy::Overwrite,
        ConflictPolicy::Merge,
    ] {
        let again = app
            .start_import(&token, file.clone(), "a.xml", policy)
            .await
            .unwrap();
        let (rows, done) = app.watch_import(&token, &again.id, 0).await;
        assert_eq!(
            outcomes(&rows[..3]),
            [RowOutcome::Unchanged; 3],
            "{policy:?}: {rows:?}"
        );
        assert_eq!(
            (done.unchanged_count, done.created_count, done.updated_count),
            (3, 0, 0)
        );
    }
    let after = app.all_entries(&token).await;
    let view = |entries: &[pb::ListEntry]| -> Vec<_> {
        entries
            .iter()
            .map(|e| (e.id.clone(), e.progress, e.completion_count, e.update_time))
            .collect()
    };
    assert_eq!(view(&after), view(&before));
}

#[tokio::test]
async fn conflict_policies_skip_overwrite_or_merge() {
    let app = TestApp::spawn().await;
    let token = app.user().await;
    let file = import_fixture("mal-anime.xml");
    let first = app
        .start_import(&token, file.clone(), "a.xml", ConflictPolicy::Skip)
        .await
        .unwrap();
    app.watch_import(&token, &first.id, 0).await;
    let fma = app.all_entries(&token).await.remove(1);
    let edit = |progress: i32, notes: &str| pb::ListEntry {
        id: fma.id.clone(),
        progress,
        notes: notes.into(),
        ..Default::default()
    };
    app.update(&token, edit(20, "mine"), &["progress", "notes"])
        .await
        .unwrap();

    let run = |policy| {
        let (app, token, file) = (&app, &token, file.clone());
        async move {
            let job = app
                .start_import(token, file, "a.xml", policy)
                .await
                .unwrap();
            let (rows, _) = app.watch_import(token, &job.id, 0).await;
            (
                rows[1].outcome(),
                app.get_entry(token, &rows[1].list_entry_id).await.unwrap(),
            )
        }
    };
    let (outcome, entry) = run(ConflictPolicy::Skip).await;
    assert_eq!(
        (outcome, entry.progress, entry.notes.as_str()),
        (RowOutcome::Skipped, 20, "mine")
    );
    let (outcome, entry) = run(ConflictPolicy::Merge).await;
    assert_eq!(
        (outcome, entry.progress, entry.notes.as_str()),
        (RowOutcome::Unchanged, 20, "mine"),
        "the greater progress and the entry's own notes stay"
    );
    let (outcome, entry) = run(ConflictPolicy::Overwrite).await;
    assert_eq!(
        (outcome, entry.progress, entry.notes.as_str()),
        (RowOutcome::Updated, 12, "")
    );
}

#[tokio::test]
async fn watching_resumes_after_a_row_and_jobs_are_listed_and_private() {
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
    let (rows, _) = app.watch_import(&token, &job.id, 2).await;
    assert_eq!(rows.iter().map(|r| r.row).collect::<Vec<_>>(), [3, 4]);

    let listed = app
        .client()
        .list_imports(authed(&token, pb::ListImportsRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.import_jobs.len(), 1);
    assert_eq!(listed.import_jobs[0].file_name, "a.xml");

    let stranger = app.user().await;
    let theirs = app
        .client()
        .get_import(authed(
            &stranger,
            pb::GetImportRequest { id: job.id.clone() },
        ))
        .await;
    assert_error(theirs, Code::NotFound, "IMPORT_NOT_FOUND");
    let watch = app
        .client()
        .watch_import(authed(
            &stranger,
            pb::WatchImportRequest {
                id: job.id.clone(),
                after_row: 0,
            },
        ))
        .await;
    assert_error(watch, Code::NotFound, "IMPORT_NOT_FOUND");
    let cancel = app
        .client()
        .cancel_import(authed(
            &token,
            pb::CancelImportRequest { id: job.id.clone() },
        ))
        .await;
    assert_error(cancel, Code::FailedPrecondition, "IMPORT_FINISHED");
}

#[tokio::test]
async fn files_that_are_no_import_or_too_large_are_refused() {
    let app = TestApp::spawn_with(Options {
        import_max_bytes: 4096,
        import_max_unpacked_bytes: 64 << 10,
        ..Options::default()
    })
    .await;
    let token = app.user().await;
    let unknown = app
        .start_import(
            &token,
            b"title;year\nDune;2021\n".to_vec(),
            "list.txt",
            ConflictPolicy::Skip,
        )
        .await;
    let status = assert_error(unknown, Code::InvalidArgument, "UNREADABLE_IMPORT");
    assert!(
        status.message().contains("MyAnimeList"),
        "{}",
        status.message()
    );

    let big = app
        .start_import(&token, vec![b'a'; 5000], "big.csv", ConflictPolicy::Skip)
        .await;
    assert_error(big, Code::ResourceExhausted, "IMPORT_TOO_LARGE");

    let bomb = {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&vec![b'<'; 1 << 20]).unwrap();
        gz.finish().unwrap()
    };
    assert!(bomb.len() < 4096);
    let bomb = app
        .start_import(&token, bomb, "animelist.xml.gz", ConflictPolicy::Skip)
        .await;
    assert_error(bomb, Code::ResourceExhausted, "IMPORT_TOO_LARGE");

    let empty = app
        .client()
        .start_import(authed(
            &token,
            pb::StartImportRequest {
                format: 99,
                conflict_policy: 42,
                ..Default::default()
            },
        ))
        .await;
    let status = assert_error(empty, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(
        violated_fields(&status),
        ["content", "format", "conflict_policy"]
    );
}

#[tokio::test]
async fn a_gzipped_export_reads_like_the_plain_one() {
    let app = TestApp::spawn().await;
    let token = app.user().await;
    let gz = {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&import_fixture("mal-anime.xml")).unwrap();
        gz.finish().unwrap()
    };
    let job = app
        .start_import(&token, gz, "animelist.xml.gz", ConflictPolicy::Skip)
        .await
        .unwrap();
    let (_, done) = app.watch_import(&token, &job.id, 0).await;
    assert_eq!(
        (done.format(), done.created_count),
        (ImportFormat::Myanimelist, 3)
    );
}

#[tokio::test]
async fn goodreads_books_are_found_by_isbn_and_misses_fail_alone() {
    let app = TestApp::spawn().await;
    Mock::given(path("/openlibrary/search.json"))
        .and(query_param("q", "9780439023481"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            r#"{"numFound":1,"start":0,"docs":[{"key":"/works/OL5735363W","title":"The Hunger Games",
                "author_name":["Suzanne Collins"],"cover_i":12646537,"first_publish_year":2008,
                "number_of_pages_median":374}]}"#,
            "application/json",
        ))
        .mount(&app.providers)
        .await;
    Mock::given(path("/openlibrary/search.json"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(r#"{"numFound":0,"start":0,"docs":[]}"#, "application/json"),
        )
        .mount(&app.providers)
        .await;
    let token = app.user().await;
    let job = app
        .start_import(
            &token,
            import_fixture("goodreads_library_export.csv"),
            "export.csv",
            ConflictPolicy::Skip,
        )
        .await
        .unwrap();
    assert_eq!(job.format(), ImportFormat::Goodreads);
    let (rows, _) = app.watch_import(&token, &job.id, 0).await;
    assert_eq!(outcomes(&rows), [RowOutcome::Created, RowOutcome::Failed]);
    assert_eq!((rows[1].line, rows[1].title.as_str()), (4, "Nowhere Book"));
    assert!(rows[1].message.contains("Nowhere Book"), "{:?}", rows[1]);
    let book = app.get_entry(&token, &rows[0].list_entry_id).await.unwrap();
    assert_eq!(
        (book.status(), book.rating, book.completion_count),
        (ListStatus::Completed, Some(8), 2)
    );
    assert_eq!(book.media_item.unwrap().external_id, "OL5735363W");
}

#[tokio::test]
async fn bad_watch_export_and_listing_requests_name_their_fields() {
    let app = TestApp::spawn().await;
    let token = app.user().await;
    let watch = app
        .client()
        .watch_import(authed(
            &token,
            pb::WatchImportRequest {
                id: uuid::Uuid::now_v7().to_string(),
                after_row: -1,
            },
        ))
        .await;
    let status = assert_error(watch, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(violated_fields(&status), ["after_row"]);
    let export = app
        .client()
        .export_list(authed(&token, pb::ExportListRequest { format: 7 }))
        .await;
    let status = assert_error(export, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(violated_fields(&status), ["format"]);
    let listing = app
        .client()
        .list_imports(authed(
            &token,
            pb::ListImportsRequest {
                page_size: 1000,
                page_token: String::new(),
            },
        ))
        .await;
    let status = assert_error(listing, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(violated_fields(&status), ["page_size"]);
    let missing = app
        .client()
        .get_import(authed(&token, pb::GetImportRequest { id: "nope".into() }))
        .await;
    let status = assert_error(missing, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(violated_fields(&status), ["id"]);
}

#[tokio::test]
async fn a_huge_import_leaves_room_for_everyone_else() {
    let app = TestApp::spawn_with(Options {
        max_connections: 2,
        ..Options::default()
    })
    .await;
    let (importer, other) = (app.user().await, app.user().await);
    let mut xml = String::from("<myanimelist>\n");
    for id in 1..=3000 {
        xml.push_str(&format!(
            "<anime><series_animedb_id>{id}</series_animedb_id><series_title>Show {id}</series_title>\
             <my_status>Completed</my_status><my_times_watched>2</my_times_watched></anime>\n"
        ));
    }
    xml.push_str("</myanimelist>\n");
    let job = app
        .start_import(&importer, xml.into_bytes(), "big.xml", ConflictPolicy::Skip)
        .await
        .unwrap();
    let mut served = 0;
    loop {
        let stats = app
            .client()
            .get_list_stats(authed(&other, pb::GetListStatsRequest {}))
            .await;
        assert!(
            stats.is_ok(),
            "another user's call during the import: {stats:?}"
        );
        served += 1;
        let now = app
            .client()
            .get_import(authed(
                &importer,
                pb::GetImportRequest { id: job.id.clone() },
            ))
            .await
            .unwrap()
            .into_inner()
            .import_job
            .unwrap();
        if now.state() == ImportState::Done {
            assert_eq!(now.created_count, 3000);
            break;
        }
    }
    assert!(served > 1, "calls were made while the import ran");
}
