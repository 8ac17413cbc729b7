//! The history of an entry: runs recorded by completing, kept across a
//! rewatch, listed, corrected, deleted, counted by the stats, and private.

use completionist_proto::media as pb;
use pb::{ListStatus, MediaKind};
use tonic::Code;

use crate::helpers::{TestApp, assert_error, authed, mask, today, violated_fields};

fn day(year: i32, month: i32, day: i32) -> Option<pb::Date> {
    Some(pb::Date { year, month, day })
}

impl TestApp {
    async fn runs(&self, token: &str, entry: &str) -> Vec<pb::ListEntryRun> {
        self.client()
            .list_list_entry_runs(authed(
                token,
                pb::ListListEntryRunsRequest {
                    parent: entry.into(),
                    ..Default::default()
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .list_entry_runs
    }

    async fn set_status(&self, token: &str, entry: &str, status: ListStatus) -> pb::ListEntry {
        self.update(
            token,
            pb::ListEntry {
                id: entry.into(),
                status: status as i32,
                ..Default::default()
            },
            &["status"],
        )
        .await
        .unwrap()
    }

    async fn create_run(
        &self,
        token: &str,
        entry: &str,
        start_date: Option<pb::Date>,
        finish_date: Option<pb::Date>,
    ) -> Result<pb::ListEntryRun, tonic::Status> {
        self.client()
            .create_list_entry_run(authed(
                token,
                pb::CreateListEntryRunRequest {
                    parent: entry.into(),
                    list_entry_run: Some(pb::ListEntryRun {
                        start_date,
                        finish_date,
                        ..Default::default()
                    }),
                },
            ))
            .await
            .map(|r| r.into_inner().list_entry_run.unwrap())
    }
}

#[tokio::test]
async fn completing_records_a_run_and_a_rewatch_keeps_it() {
    let app = TestApp::spawn().await;
    let token = app.user().await;
    let item = app
        .custom_item(&token, MediaKind::Anime, "Twelve", Some(12))
        .await;
    let entry = app
        .add(&token, &item.id, ListStatus::InProgress, None)
        .await;
    assert_eq!(entry.completion_count, 0);

    let done = app
        .set_status(&token, &entry.id, ListStatus::Completed)
        .await;
    assert_eq!(done.completion_count, 1);
    let again = app
        .set_status(&token, &entry.id, ListStatus::InProgress)
        .await;
    assert_eq!(
        (
            again.progress,
            again.finish_date,
            again.start_date,
            again.completion_count
        ),
        (0, None, Some(today()), 1),
        "a rewatch starts over today and keeps the first run"
    );
    let twice = app
        .set_status(&token, &entry.id, ListStatus::Completed)
        .await;
    assert_eq!((twice.completion_count, twice.progress), (2, 12));

    let runs = app.runs(&token, &entry.id).await;
    assert_eq!(runs.len(), 2);
    assert!(runs.iter().all(|r| r.finish_date == Some(today())));
    assert_eq!(runs[1].start_date, Some(today()), "the rewatch began today");
    assert_eq!(
        app.get_entry(&token, &entry.id)
            .await
            .unwrap()
            .completion_count,
        2
    );
}

#[tokio::test]
async fn runs_are_created_corrected_listed_in_order_and_deleted() {
    let app = TestApp::spawn().await;
    let token = app.user().await;
    let item = app
        .custom_item(&token, MediaKind::Book, "Reread", None)
        .await;
    let entry = app.add(&token, &item.id, ListStatus::Completed, None).await;
    let old = app
        .create_run(&token, &entry.id, day(2001, 3, 1), day(2001, 3, 20))
        .await
        .unwrap();
    let undated = app.create_run(&token, &entry.id, None, None).await.unwrap();
    let listed: Vec<_> = app
        .runs(&token, &entry.id)
        .await
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(listed[..2], [undated.id.clone(), old.id.clone()]);

    let fixed = app
        .client()
        .update_list_entry_run(authed(
            &token,
            pb::UpdateListEntryRunRequest {
                list_entry_run: Some(pb::ListEntryRun {
                    id: old.id.clone(),
                    finish_date: day(2001, 4, 2),
                    start_date: day(1999, 1, 1),
                    ..Default::default()
                }),
                update_mask: mask(&["finish_date"]),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .list_entry_run
        .unwrap();
    assert_eq!(
        (fixed.start_date, fixed.finish_date),
        (day(2001, 3, 1), day(2001, 4, 2))
    );

    let delete = |id: String| {
        let mut client = app.client();
        let request = authed(&token, pb::DeleteListEntryRunRequest { id });
        async move { client.delete_list_entry_run(request).await }
    };
    delete(undated.id.clone()).await.unwrap();
    assert_eq!(
        app.get_entry(&token, &entry.id)
            .await
            .unwrap()
            .completion_count,
        2
    );
    let again = delete(undated.id).await;
    assert_error(again, Code::NotFound, "RUN_NOT_FOUND");
}

#[tokio::test]
async fn runs_page_through_without_repeats() {
    let app = TestApp::spawn().await;
    let token = app.user().await;
    let item = app
        .custom_item(&token, MediaKind::Game, "Replayed", None)
        .await;
    let entry = app.add(&token, &item.id, ListStatus::Planned, None).await;
    for month in 1..=5 {
        app.create_run(&token, &entry.id, None, day(2020, month, 1))
            .await
            .unwrap();
    }
    app.create_run(&token, &entry.id, None, None).await.unwrap();
    let mut seen = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = app
            .client()
            .list_list_entry_runs(authed(
                &token,
                pb::ListListEntryRunsRequest {
                    parent: entry.id.clone(),
                    page_size: 2,
                    page_token,
                },
            ))
            .await
            .unwrap()
            .into_inner();
        seen.extend(page.list_entry_runs.into_iter().map(|r| r.finish_date));
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    let months: Vec<_> = seen.iter().map(|d| d.as_ref().map(|d| d.month)).collect();
    assert_eq!(months, [None, Some(1), Some(2), Some(3), Some(4), Some(5)]);
}

#[tokio::test]
async fn bad_runs_name_their_fields_and_other_users_runs_are_not_found() {
    let app = TestApp::spawn().await;
    let token = app.user().await;
    let item = app
        .custom_item(&token, MediaKind::Movie, "Backwards", None)
        .await;
    let entry = app.add(&token, &item.id, ListStatus::Planned, None).await;
    let backwards = app
        .create_run(&token, &entry.id, day(2020, 5, 2), day(2020, 5, 1))
        .await;
    let status = assert_error(backwards, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(
        violated_fields(&status),
        ["list_entry_run.start_date", "list_entry_run.finish_date"]
    );
    let bad = app.create_run(&token, "nope", None, day(2020, 2, 30)).await;
    let status = assert_error(bad, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(
        violated_fields(&status),
        ["parent", "list_entry_run.finish_date"]
    );

    let run = app.create_run(&token, &entry.id, None, None).await.unwrap();
    let stranger = app.user().await;
    let theirs = app.create_run(&stranger, &entry.id, None, None).await;
    assert_error(theirs, Code::NotFound, "LIST_ENTRY_NOT_FOUND");
    let listed = app
        .client()
        .list_list_entry_runs(authed(
            &stranger,
            pb::ListListEntryRunsRequest {
                parent: entry.id.clone(),
                ..Default::default()
            },
        ))
        .await;
    assert_error(listed, Code::NotFound, "LIST_ENTRY_NOT_FOUND");
    let update = app
        .client()
        .update_list_entry_run(authed(
            &stranger,
            pb::UpdateListEntryRunRequest {
                list_entry_run: Some(pb::ListEntryRun {
                    id: run.id.clone(),
                    ..Default::default()
                }),
                update_mask: mask(&["start_date"]),
            },
        ))
        .await;
    assert_error(update, Code::NotFound, "RUN_NOT_FOUND");
    let delete = app
        .client()
        .delete_list_entry_run(authed(
            &stranger,
            pb::DeleteListEntryRunRequest { id: run.id },
        ))
        .await;
    assert_error(delete, Code::NotFound, "RUN_NOT_FOUND");
}

#[tokio::test]
async fn stats_count_runs_by_month() {
    let app = TestApp::spawn().await;
    let token = app.user().await;
    let item = app
        .custom_item(&token, MediaKind::Movie, "Twice", None)
        .await;
    let entry = app.add(&token, &item.id, ListStatus::Planned, None).await;
    app.create_run(&token, &entry.id, None, day(2024, 1, 5))
        .await
        .unwrap();
    app.create_run(&token, &entry.id, None, day(2024, 1, 25))
        .await
        .unwrap();
    app.create_run(&token, &entry.id, None, day(2023, 12, 31))
        .await
        .unwrap();
    app.create_run(&token, &entry.id, None, None).await.unwrap();
    let stats = app
        .client()
        .get_list_stats(authed(&token, pb::GetListStatsRequest {}))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stats.completion_count, 4);
    let months: Vec<_> = stats
        .completions_by_month
        .iter()
        .map(|m| (m.year, m.month, m.count))
        .collect();
    assert_eq!(months, [(2023, 12, 1), (2024, 1, 2)]);
}
