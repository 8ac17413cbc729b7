//! Imports refused, watched, listed, kept private, and kept from crowding
//! out other callers.

use completionist_proto::media as pb;
use pb::{ConflictPolicy, ImportState};
use tonic::Code;

use crate::{
    helpers::{Options, TestApp, assert_error, authed, violated_fields},
    imports::import_fixture,
};

#[tokio::test]
async fn files_that_are_no_import_or_too_large_are_refused() {
    let app = TestApp::spawn_with(Options {
        import_max_bytes: 4096,
        import_max_unpacked_bytes: 64 << 10,
        import_max_rows: 3,
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

    let rows = "Const,Your Rating,Title,Title Type\ntt1,1,A,Movie\ntt2,2,B,Movie\ntt3,3,C,Movie\ntt4,4,D,Movie\n";
    let many = app
        .start_import(
            &token,
            rows.as_bytes().to_vec(),
            "ratings.csv",
            ConflictPolicy::Skip,
        )
        .await;
    let status = assert_error(many, Code::ResourceExhausted, "IMPORT_TOO_LARGE");
    assert!(
        status.message().contains("more than 3 rows"),
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
}

#[tokio::test]
async fn a_start_import_with_bad_fields_names_them_all() {
    let app = TestApp::spawn().await;
    let token = app.user().await;
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
        let now = app.get_import(&importer, &job.id).await;
        if now.state() == ImportState::Done {
            assert_eq!(now.created_count, 3000);
            break;
        }
    }
    assert!(served > 1, "calls were made while the import ran");
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
