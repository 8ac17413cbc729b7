//! Whole-list imports end to end: a real file through StartImport, the
//! worker applying it, WatchImport reporting each row, and the list after.

use std::time::{Duration, Instant};

use completionist_proto::media as pb;
use pb::{ConflictPolicy, ImportFormat, ImportState, ListStatus, RowOutcome};
use wiremock::{
    Mock, ResponseTemplate,
    matchers::{path, path_regex},
};

use crate::helpers::{Options, TestApp, authed, json_fixture};

pub(crate) fn import_fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/api/fixtures/imports/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A MyAnimeList export of `n` anime with long comments: large changes.
pub(crate) fn mal_export(n: usize) -> Vec<u8> {
    let comment = "a long comment on the show, ".repeat(40);
    let mut xml = String::from("<myanimelist>\n");
    for id in 1..=n {
        xml.push_str(&format!(
            "<anime><series_animedb_id>{id}</series_animedb_id><series_title>Show {id}</series_title>\
             <my_status>Plan to Watch</my_status><my_comments>{comment}</my_comments></anime>\n"
        ));
    }
    xml.push_str("</myanimelist>\n");
    xml.into_bytes()
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
                    content: content.into(),
                    file_name: file_name.into(),
                    format: ImportFormat::Unspecified as i32,
                    conflict_policy: policy as i32,
                },
            ))
            .await
            .map(|r| r.into_inner().import_job.unwrap())
    }

    /// Imports `content` (skipping entries already listed) and waits until
    /// every row has landed.
    pub(crate) async fn imported(&self, token: &str, content: Vec<u8>) -> pb::ImportJob {
        let job = self
            .start_import(token, content, "list.xml", ConflictPolicy::Skip)
            .await
            .unwrap();
        self.watch_import(token, &job.id, 0).await.1
    }

    /// Waits (up to a minute) until the provider stand-ins have been asked
    /// `n` times; answers how many times they were.
    pub(crate) async fn provider_requests(&self, n: usize) -> usize {
        let mut seen = 0;
        for _ in 0..600 {
            seen = self.providers.received_requests().await.unwrap().len();
            if seen >= n {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        seen
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
                    Event::Heartbeat(_) => {}
                }
            }
        };
        tokio::time::timeout(std::time::Duration::from_secs(30), watching)
            .await
            .expect("the watch ends when the job does");
        (rows, job.unwrap())
    }

    pub(crate) async fn get_import(&self, token: &str, id: &str) -> pb::ImportJob {
        self.client()
            .get_import(authed(token, pb::GetImportRequest { id: id.into() }))
            .await
            .unwrap()
            .into_inner()
            .import_job
            .unwrap()
    }

    /// Item `id` once `done` says it is (the enricher works in the
    /// background), or as it is after ten seconds.
    pub(crate) async fn media_item_once(
        &self,
        token: &str,
        id: &str,
        done: impl Fn(&pb::MediaItem) -> bool,
    ) -> pb::MediaItem {
        let mut item = pb::MediaItem::default();
        for _ in 0..100 {
            item = self
                .client()
                .get_media_item(authed(token, pb::GetMediaItemRequest { id: id.into() }))
                .await
                .unwrap()
                .into_inner()
                .media_item
                .unwrap();
            if done(&item) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        item
    }

    /// The first entry's item, once the enricher has filled in its cover
    /// from the Jikan stand-in's `anime/1`.
    pub(crate) async fn assert_first_item_filled_in(&self, token: &str) {
        let item = self.all_entries(token).await.remove(0).media_item.unwrap();
        let filled = self
            .media_item_once(token, &item.id, |i| !i.image_url.is_empty())
            .await
            .image_url;
        assert!(
            filled.starts_with("https://"),
            "filled in from Jikan: {filled:?}"
        );
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

pub(crate) fn outcomes(rows: &[pb::ImportRow]) -> Vec<RowOutcome> {
    rows.iter().map(|r| r.outcome()).collect()
}

#[tokio::test]
async fn items_made_from_the_file_get_their_details_later() {
    let app = TestApp::spawn().await;
    // Slow to answer, so the entry is seen before its details arrive.
    Mock::given(path("/jikan/v4/anime/1"))
        .respond_with(json_fixture("jikan_anime_1.json").set_delay(Duration::from_millis(800)))
        .mount(&app.providers)
        .await;
    let token = app.user().await;
    app.imported(&token, import_fixture("mal-anime.xml")).await;
    let item = app.all_entries(&token).await.remove(0).media_item.unwrap();
    assert_eq!(item.image_url, "", "listed before the provider is asked");
    app.assert_first_item_filled_in(&token).await;
}

#[tokio::test]
async fn shutting_down_lets_go_of_items_waiting_on_a_slow_provider() {
    let mut app = TestApp::spawn_with(Options {
        request_timeout: Duration::from_secs(20),
        ..Options::default()
    })
    .await;
    // Jikan takes its time: the enricher is mid-call when shutdown begins.
    Mock::given(path_regex("^/jikan/v4/anime/"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(30)))
        .mount(&app.providers)
        .await;
    let token = app.user().await;
    app.imported(&token, import_fixture("mal-anime.xml")).await;
    assert!(
        app.provider_requests(1).await >= 1,
        "the enricher never asked"
    );
    let stopping = Instant::now();
    app.media.stop().await;
    assert!(
        stopping.elapsed() < Duration::from_secs(5),
        "shutdown waited {:?} on the provider",
        stopping.elapsed()
    );

    // The next replica takes the items at once, not after the claim's
    // minutes run out.
    app.providers.reset().await;
    Mock::given(path("/jikan/v4/anime/1"))
        .respond_with(json_fixture("jikan_anime_1.json"))
        .mount(&app.providers)
        .await;
    app.restart_media().await;
    app.assert_first_item_filled_in(&token).await;
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
