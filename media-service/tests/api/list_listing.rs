use std::collections::HashSet;

use completionist_proto::media as pb;
use pb::{ListStatus, MediaKind};
use tonic::Code;

use crate::helpers::{TestApp, assert_error, authed, violated_fields};

/// Four entries of one user: (title, kind, status, rating).
async fn four_entries(app: &TestApp) -> String {
    let token = app.user().await;
    for (title, kind, status, rating) in [
        ("Charlie", MediaKind::Book, ListStatus::Completed, Some(7)),
        ("Alpha", MediaKind::Book, ListStatus::Planned, None),
        ("Bravo", MediaKind::Game, ListStatus::Completed, Some(9)),
        ("Delta", MediaKind::Book, ListStatus::Dropped, Some(2)),
    ] {
        let item = app.custom_item(&token, kind, title, None).await;
        app.add(&token, &item.id, status, rating).await;
    }
    token
}

fn titles(response: pb::ListListEntriesResponse) -> Vec<String> {
    response
        .list_entries
        .into_iter()
        .map(|e| e.media_item.unwrap().title)
        .collect()
}

/// Every title of a listing, following page tokens to the end.
async fn every_page(
    app: &TestApp,
    token: &str,
    request: pb::ListListEntriesRequest,
) -> Vec<String> {
    let mut all = Vec::new();
    let mut request = request;
    loop {
        let page = app.list(token, request.clone()).await;
        let next = page.next_page_token.clone();
        all.extend(titles(page));
        if next.is_empty() {
            return all;
        }
        request.page_token = next;
    }
}

#[tokio::test]
async fn list_filters_and_orders() {
    let app = TestApp::spawn().await;
    let token = four_entries(&app).await;

    let recent = app
        .list(&token, pb::ListListEntriesRequest::default())
        .await;
    assert_eq!(titles(recent), ["Delta", "Bravo", "Alpha", "Charlie"]);
    let by_title = pb::ListListEntriesRequest {
        order_by: pb::ListEntryOrder::Title as i32,
        ..Default::default()
    };
    assert_eq!(
        titles(app.list(&token, by_title).await),
        ["Alpha", "Bravo", "Charlie", "Delta"]
    );
    let by_rating = pb::ListListEntriesRequest {
        order_by: pb::ListEntryOrder::RatingDesc as i32,
        page_size: 1,
        ..Default::default()
    };
    let all = every_page(&app, &token, by_rating).await;
    assert_eq!(all, ["Bravo", "Charlie", "Delta", "Alpha"], "unrated last");

    let completed_books = pb::ListListEntriesRequest {
        status: ListStatus::Completed as i32,
        kind: MediaKind::Book as i32,
        ..Default::default()
    };
    assert_eq!(titles(app.list(&token, completed_books).await), ["Charlie"]);
}

#[tokio::test]
async fn list_reports_every_bad_filter() {
    let app = TestApp::spawn().await;
    let token = app.user().await;
    let status = assert_error(
        app.client()
            .list_list_entries(authed(
                &token,
                pb::ListListEntriesRequest {
                    page_size: 101,
                    status: 17,
                    order_by: 9,
                    ..Default::default()
                },
            ))
            .await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    assert_eq!(
        violated_fields(&status),
        ["page_size", "status", "order_by"]
    );
}

#[tokio::test]
async fn pages_stay_stable_while_entries_are_added() {
    let app = TestApp::spawn().await;
    let token = app.user().await;
    let mut expected = HashSet::new();
    for i in 0..7 {
        let item = app
            .custom_item(&token, MediaKind::Book, &format!("Old {i}"), None)
            .await;
        expected.insert(
            app.add(&token, &item.id, ListStatus::Planned, None)
                .await
                .id,
        );
    }

    let mut seen = Vec::new();
    let mut page_token = String::new();
    let mut added = 0;
    loop {
        let page = app
            .list(
                &token,
                pb::ListListEntriesRequest {
                    page_size: 3,
                    page_token: page_token.clone(),
                    ..Default::default()
                },
            )
            .await;
        seen.extend(page.list_entries.into_iter().map(|e| e.id));
        // Someone adds to the list between page loads.
        let item = app
            .custom_item(&token, MediaKind::Book, &format!("New {added}"), None)
            .await;
        app.add(&token, &item.id, ListStatus::Planned, None).await;
        added += 1;
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }

    let unique: HashSet<_> = seen.iter().cloned().collect();
    assert_eq!(unique.len(), seen.len(), "no entry twice");
    assert_eq!(
        unique, expected,
        "every older entry exactly once, no newcomer"
    );
}

#[tokio::test]
async fn stats_count_every_status_and_kind() {
    let app = TestApp::spawn().await;
    let token = app.user().await;
    for (kind, status, rating) in [
        (MediaKind::Book, ListStatus::Completed, Some(8)),
        (MediaKind::Book, ListStatus::Planned, None),
        (MediaKind::Game, ListStatus::Completed, Some(6)),
        (MediaKind::Anime, ListStatus::Dropped, Some(1)),
    ] {
        let item = app.custom_item(&token, kind, "Item", None).await;
        app.add(&token, &item.id, status, rating).await;
    }

    let stats = app
        .client()
        .get_list_stats(authed(&token, pb::GetListStatsRequest {}))
        .await
        .unwrap()
        .into_inner();

    assert_eq!(stats.total_count, 4);
    assert_eq!(stats.status_counts.len(), 5, "zeros included");
    let count = |s: ListStatus| {
        stats
            .status_counts
            .iter()
            .find(|c| c.status == s as i32)
            .unwrap()
            .count
    };
    assert_eq!(count(ListStatus::Completed), 2);
    assert_eq!(count(ListStatus::OnHold), 0);
    let kind = |k: MediaKind| {
        stats
            .kind_counts
            .iter()
            .find(|c| c.kind == k as i32)
            .unwrap()
            .count
    };
    assert_eq!((kind(MediaKind::Book), kind(MediaKind::Movie)), (2, 0));
    assert_eq!(stats.kind_counts.len(), 6);
    assert!((stats.mean_rating.unwrap() - 5.0).abs() < 1e-9);
    assert!((stats.completed_fraction - 0.5).abs() < 1e-9);

    let empty = app
        .client()
        .get_list_stats(authed(&app.user().await, pb::GetListStatsRequest {}))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (
            empty.total_count,
            empty.mean_rating,
            empty.completed_fraction
        ),
        (0, None, 0.0)
    );
}

#[tokio::test]
async fn a_page_token_is_good_only_for_whom_it_was_issued() {
    let app = TestApp::spawn().await;
    let owner = four_entries(&app).await;
    let first = pb::ListListEntriesRequest {
        page_size: 1,
        ..Default::default()
    };
    let page = app.list(&owner, first.clone()).await;
    assert!(!page.next_page_token.is_empty());
    let next = pb::ListListEntriesRequest {
        page_token: page.next_page_token,
        ..first
    };
    assert_eq!(app.list(&owner, next.clone()).await.list_entries.len(), 1);

    let stranger = app.user().await;
    let status = assert_error(
        app.client()
            .list_list_entries(authed(&stranger, next))
            .await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    assert_eq!(violated_fields(&status), ["page_token"]);
}
