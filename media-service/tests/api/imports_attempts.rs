//! Import jobs under failure: a worker that loses its lease applies
//! nothing, a provider that cannot be asked holds rows back for the next
//! attempt, and a job that keeps failing ends FAILED with the reason.

use std::time::Duration;

use completionist_proto::media as pb;
use pb::{ConflictPolicy, ImportState, RowOutcome};
use wiremock::{
    Mock, ResponseTemplate,
    matchers::{path, query_param},
};

use crate::helpers::{Options, TestApp};

/// A Letterboxd watchlist of films without ids: each is found by search.
fn watchlist(titles: &[&str]) -> Vec<u8> {
    let mut csv = String::from("Date,Name,Year,Letterboxd URI\n");
    for (n, title) in titles.iter().enumerate() {
        csv.push_str(&format!("2024-01-01,{title},2001,https://boxd.it/{n}\n"));
    }
    csv.into_bytes()
}

/// Starts an import of a watchlist of `titles`.
async fn start_watchlist(
    app: &TestApp,
    token: &str,
    titles: &[&str],
    policy: ConflictPolicy,
) -> pb::ImportJob {
    app.start_import(token, watchlist(titles), "watchlist.csv", policy)
        .await
        .unwrap()
}

/// OMDb finds `title` (from 2001) after `delay`.
async fn omdb_finds(app: &TestApp, title: &str, id: &str, delay: Duration) {
    let body = format!(
        r#"{{"Search":[{{"Title":"{title}","Year":"2001","imdbID":"{id}","Type":"movie","Poster":"N/A"}}],
            "totalResults":"1","Response":"True"}}"#
    );
    Mock::given(path("/omdb/"))
        .and(query_param("s", title))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(body, "application/json")
                .set_delay(delay),
        )
        .mount(&app.providers)
        .await;
}

/// How many searches (not item look-ups) the stand-ins have answered.
async fn searches(app: &TestApp) -> usize {
    let requests = app.providers.received_requests().await.unwrap();
    requests
        .iter()
        .filter(|r| r.url.query_pairs().any(|(k, _)| k == "s"))
        .count()
}

fn outcomes(rows: &[pb::ImportRow]) -> Vec<RowOutcome> {
    rows.iter().map(|r| r.outcome()).collect()
}

#[tokio::test]
async fn searches_longer_than_the_lease_keep_it_and_each_row_is_applied_once() {
    let app = TestApp::spawn_with(Options {
        // Long enough that a renewal late on a loaded machine still
        // lands in time; each search outlasts it.
        media: |config| config.imports.lease = Duration::from_secs(2),
        request_timeout: Duration::from_secs(5),
        ..Options::default()
    })
    .await;
    let _other_replica = app.media_replica().await;
    let titles = ["Alpha", "Beta", "Gamma"];
    for (n, title) in titles.iter().enumerate() {
        omdb_finds(
            &app,
            title,
            &format!("tt000000{n}"),
            Duration::from_millis(2500),
        )
        .await;
    }
    let token = app.user().await;
    let job = start_watchlist(&app, &token, &titles, ConflictPolicy::Overwrite).await;
    let (rows, done) = app.watch_import(&token, &job.id, 0).await;
    assert_eq!(done.state(), ImportState::Done);
    assert_eq!(outcomes(&rows), [RowOutcome::Created; 3]);
    assert_eq!(
        searches(&app).await,
        3,
        "one worker held the job through 7.5 s of searches with a 2 s lease"
    );
    let added = app
        .media_db
        .count("SELECT count(*) FROM list_changes WHERE kind = 'added'")
        .await;
    assert_eq!(added, 3);
}

#[tokio::test]
async fn a_worker_whose_lease_was_taken_applies_nothing() {
    let app = TestApp::spawn().await;
    omdb_finds(&app, "Alpha", "tt0000001", Duration::from_millis(1500)).await;
    let token = app.user().await;
    let job = start_watchlist(&app, &token, &["Alpha"], ConflictPolicy::Skip).await;
    assert_eq!(app.provider_requests(1).await, 1, "the search has started");
    // Another worker takes the job over while this one searches.
    app.media_db
        .execute(
            "UPDATE import_jobs SET lease_holder = gen_random_uuid(), \
             leased_until = now() + interval '1 hour'",
        )
        .await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let applied = app
        .media_db
        .count("SELECT count(*) FROM import_rows WHERE outcome IS NOT NULL")
        .await;
    assert_eq!(applied, 0, "the search ended after the lease was lost");
    assert_eq!(app.get_import(&token, &job.id).await.created_count, 0);
    // The other worker vanishes; its lease runs out, and the job is taken
    // again and applied once.
    app.media_db
        .execute("UPDATE import_jobs SET leased_until = now() - interval '1 second'")
        .await;
    let (rows, done) = app.watch_import(&token, &job.id, 0).await;
    assert_eq!(outcomes(&rows), [RowOutcome::Created]);
    assert_eq!((done.state(), done.created_count), (ImportState::Done, 1));
}

#[tokio::test]
async fn a_provider_that_cannot_be_asked_holds_the_row_for_the_next_attempt() {
    let app = TestApp::spawn().await;
    // Three answers of 503: every try of the first attempt's one search.
    Mock::given(path("/omdb/"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(3)
        .with_priority(1)
        .mount(&app.providers)
        .await;
    omdb_finds(&app, "Alpha", "tt0000001", Duration::ZERO).await;
    let token = app.user().await;
    let job = start_watchlist(&app, &token, &["Alpha"], ConflictPolicy::Skip).await;
    let (rows, done) = app.watch_import(&token, &job.id, 0).await;
    assert_eq!(outcomes(&rows), [RowOutcome::Created], "{done:?}");
    assert_eq!(
        (done.state(), done.failure.as_str()),
        (ImportState::Done, "")
    );
    assert_eq!(searches(&app).await, 4);
}

#[tokio::test]
async fn a_job_that_keeps_failing_ends_failed_with_the_reason() {
    let app = TestApp::spawn_with(Options {
        media: |config| config.imports.max_attempts = 2,
        ..Options::default()
    })
    .await;
    Mock::given(path("/omdb/"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&app.providers)
        .await;
    let token = app.user().await;
    let job = start_watchlist(&app, &token, &["Alpha", "Beta"], ConflictPolicy::Skip).await;
    let (rows, done) = app.watch_import(&token, &job.id, 0).await;
    assert!(rows.is_empty(), "no row was failed for good: {rows:?}");
    assert_eq!(done.state(), ImportState::Failed);
    assert!(done.failure.contains("unavailable"), "{:?}", done.failure);
    assert!(done.finish_time.is_some());
    assert_eq!(searches(&app).await, 6, "two attempts of three tries each");
    let listed = app.get_import(&token, &job.id).await;
    assert_eq!(listed.state(), ImportState::Failed);
}

#[tokio::test]
async fn a_book_found_by_title_alone_must_have_that_title() {
    let app = TestApp::spawn().await;
    Mock::given(path("/openlibrary/search.json"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            r#"{"numFound":1,"start":0,"docs":[{"key":"/works/OL1W","title":"A Different Book",
                "author_name":["Somebody"],"first_publish_year":2001}]}"#,
            "application/json",
        ))
        .mount(&app.providers)
        .await;
    let token = app.user().await;
    let csv = "Book Id,Title,Author,ISBN,ISBN13,My Rating,Exclusive Shelf\n\
               1,The Book I Read,Me,,,0,read\n";
    let job = app
        .start_import(
            &token,
            csv.as_bytes().to_vec(),
            "goodreads.csv",
            ConflictPolicy::Skip,
        )
        .await
        .unwrap();
    let (rows, _) = app.watch_import(&token, &job.id, 0).await;
    assert_eq!(outcomes(&rows), [RowOutcome::Failed]);
    assert!(rows[0].message.contains("The Book I Read"), "{:?}", rows[0]);
}

#[tokio::test]
async fn a_finished_imports_rows_are_forgotten_after_their_retention() {
    let app = TestApp::spawn_with(Options {
        media: |config| {
            config.imports.row_retention = Duration::from_millis(500);
            config.watch.prune_interval = Duration::from_millis(100);
        },
        ..Options::default()
    })
    .await;
    let token = app.user().await;
    omdb_finds(&app, "Amelie", "tt0211915", Duration::ZERO).await;
    let job = start_watchlist(&app, &token, &["Amelie"], ConflictPolicy::Skip).await;
    let (rows, done) = app.watch_import(&token, &job.id, 0).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(done.state(), ImportState::Done);
    let rows_left = format!(
        "SELECT count(*) AS count FROM import_rows WHERE import_job_id = '{}'",
        job.id
    );
    let mut left = 1;
    for _ in 0..50 {
        left = app.media_db.count(&rows_left).await;
        if left == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(left, 0, "the finished job's rows were kept");
    // The job and its counts stay.
    let job = app.get_import(&token, &job.id).await;
    assert_eq!(job.created_count, 1);
}
