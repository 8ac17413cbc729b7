//! The other formats end to end: IMDb and Trakt name their items (no
//! provider is asked), Letterboxd's films are found by title and year.

use std::io::Write;

use completionist_proto::media as pb;
use pb::{ConflictPolicy, ImportFormat, ListStatus, RowOutcome};
use wiremock::{
    Mock, ResponseTemplate,
    matchers::{path, query_param},
};

use crate::{
    helpers::{TestApp, json_fixture},
    imports::{import_fixture, outcomes},
};

#[tokio::test]
async fn an_imdb_ratings_export_imports_films_and_series_and_skips_episodes() {
    let app = TestApp::spawn().await;
    let token = app.user().await;
    let csv = "Const,Your Rating,Date Rated,Title,Original Title,URL,Title Type,IMDb Rating,Runtime (mins),Year,Genres,Num Votes,Release Date,Directors
tt0133093,9,2020-01-02,The Matrix,The Matrix,https://www.imdb.com/title/tt0133093,Movie,8.7,136,1999,\"Action, Sci-Fi\",2000000,1999-03-31,Lana Wachowski
0903747,10,2020-01-03,Breaking Bad,Breaking Bad,,TV Series,9.5,49,2008,Drama,2000000,2008-01-20,
tt0959621,8,2020-01-04,Pilot,Pilot,,TV Episode,9.0,58,2008,Drama,30000,2008-01-20,
";
    let job = app
        .start_import(
            &token,
            csv.as_bytes().to_vec(),
            "ratings.csv",
            ConflictPolicy::Skip,
        )
        .await
        .unwrap();
    assert_eq!(job.format(), ImportFormat::Imdb);
    let (rows, _) = app.watch_import(&token, &job.id, 0).await;
    assert_eq!(
        rows.iter().map(|r| r.outcome()).collect::<Vec<_>>(),
        [
            RowOutcome::Created,
            RowOutcome::Created,
            RowOutcome::Skipped
        ]
    );
    let entries = app.all_entries(&token).await;
    let ids: Vec<_> = entries
        .iter()
        .map(|e| {
            (
                e.media_item.as_ref().unwrap().external_id.as_str(),
                e.rating,
                e.status(),
            )
        })
        .collect();
    assert_eq!(
        ids,
        [
            ("tt0903747", Some(10), ListStatus::Completed),
            ("tt0133093", Some(9), ListStatus::Completed)
        ]
    );
    // Only the enricher may ask OMDb, later, for the details (`i=`) the
    // file lacks; nothing searched for these rows.
    let searches = app
        .providers
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.query_pairs().any(|(k, _)| k == "s"))
        .count();
    assert_eq!(searches, 0);
}

#[tokio::test]
async fn a_trakt_history_imports_plays_as_runs_and_again_adds_none() {
    let app = TestApp::spawn().await;
    let token = app.user().await;
    let history = r#"[
      {"id": 101, "watched_at": "2020-01-02T20:00:00.000Z", "action": "watch", "type": "movie",
       "movie": {"title": "Inception", "year": 2010, "ids": {"trakt": 1, "imdb": "tt1375666"}}},
      {"id": 102, "watched_at": "2021-05-02T20:00:00.000Z", "action": "scrobble", "type": "movie",
       "movie": {"title": "Inception", "year": 2010, "ids": {"trakt": 1, "imdb": "tt1375666"}}},
      {"id": 103, "watched_at": "2021-06-01T20:00:00.000Z", "type": "episode",
       "episode": {"season": 1, "number": 1, "ids": {"trakt": null}},
       "show": {"title": "Breaking Bad", "year": 2008, "ids": {"imdb": "tt0903747"}}}
    ]"#;
    let zip = {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        zip.start_file("history.json", zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(history.as_bytes()).unwrap();
        zip.start_file(
            "user-profile.json",
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        zip.write_all(b"{}").unwrap();
        zip.finish().unwrap().into_inner()
    };
    for expected in [RowOutcome::Created, RowOutcome::Unchanged] {
        let job = app
            .start_import(&token, zip.clone(), "trakt.zip", ConflictPolicy::Merge)
            .await
            .unwrap();
        assert_eq!(job.format(), ImportFormat::Trakt);
        let (rows, _) = app.watch_import(&token, &job.id, 0).await;
        assert!(rows.iter().all(|r| r.outcome() == expected), "{rows:?}");
    }
    let entries = app.all_entries(&token).await;
    let view: Vec<_> = entries
        .iter()
        .map(|e| (e.status(), e.progress, e.completion_count))
        .collect();
    assert_eq!(
        view,
        [
            (ListStatus::InProgress, 1, 0),
            (ListStatus::Completed, 1, 2)
        ]
    );
}

#[tokio::test]
async fn letterboxd_films_are_found_by_title_and_year() {
    let app = TestApp::spawn().await;
    Mock::given(path("/omdb/"))
        .and(query_param("s", "The Matrix"))
        .respond_with(json_fixture("omdb_search_matrix.json"))
        .mount(&app.providers)
        .await;
    let token = app.user().await;
    let diary = "Date,Name,Year,Letterboxd URI,Rating,Rewatch,Tags,Watched Date\n\
                 2020-01-01,The Matrix,1999,https://boxd.it/a1,4.5,,,2019-12-31\n\
                 2021-01-01,The Matrix,1999,https://boxd.it/a2,5,Yes,,2021-01-01\n";
    let job = app
        .start_import(
            &token,
            diary.as_bytes().to_vec(),
            "diary.csv",
            ConflictPolicy::Skip,
        )
        .await
        .unwrap();
    assert_eq!(job.format(), ImportFormat::Letterboxd);
    let (rows, _) = app.watch_import(&token, &job.id, 0).await;
    assert_eq!(rows[0].outcome(), RowOutcome::Created, "{rows:?}");
    let entry = app.get_entry(&token, &rows[0].list_entry_id).await.unwrap();
    assert_eq!(entry.media_item.unwrap().external_id, "tt0133093");
    assert_eq!((entry.rating, entry.completion_count), (Some(9), 2));
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
