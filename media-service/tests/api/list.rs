use std::collections::HashSet;

use completionist_proto::media as pb;
use pb::{ListStatus, MediaKind, MediaSource};
use prost_types::FieldMask;
use tonic::Code;
use wiremock::{Mock, ResponseTemplate, matchers::path};

use crate::helpers::{TestApp, assert_error, authed, json_fixture, reference, violated_fields};

fn mask(paths: &[&str]) -> Option<FieldMask> {
    Some(FieldMask {
        paths: paths.iter().map(|p| (*p).to_owned()).collect(),
    })
}

async fn update(
    app: &TestApp,
    token: &str,
    entry: pb::ListEntry,
    paths: &[&str],
) -> Result<pb::ListEntry, tonic::Status> {
    app.client()
        .update_list_entry(authed(
            token,
            pb::UpdateListEntryRequest {
                list_entry: Some(entry),
                update_mask: mask(paths),
            },
        ))
        .await
        .map(|r| r.into_inner().list_entry.unwrap())
}

async fn list(
    app: &TestApp,
    token: &str,
    request: pb::ListListEntriesRequest,
) -> pb::ListListEntriesResponse {
    app.client()
        .list_list_entries(authed(token, request))
        .await
        .unwrap()
        .into_inner()
}

#[tokio::test]
async fn add_by_catalog_id_and_refuse_duplicates() {
    let app = TestApp::spawn().await;
    let token = app.user().await;
    let item = app
        .custom_item(&token, MediaKind::Manga, "Zine", Some(10))
        .await;

    let entry = app
        .add(&token, &item.id, ListStatus::Unspecified, Some(8))
        .await;
    assert_eq!(
        entry.status,
        ListStatus::Planned as i32,
        "UNSPECIFIED means planned"
    );
    assert_eq!(entry.rating, Some(8));
    assert_eq!(entry.media_item.unwrap().id, item.id);

    assert_error(
        app.try_add(&token, &item.id, ListStatus::Planned, None)
            .await,
        Code::AlreadyExists,
        "LIST_ENTRY_EXISTS",
    );
    assert_error(
        app.try_add(
            &token,
            &uuid::Uuid::new_v4().to_string(),
            ListStatus::Planned,
            None,
        )
        .await,
        Code::NotFound,
        "MEDIA_NOT_FOUND",
    );
    // Another user may add the same item.
    let other = app.user().await;
    app.add(&other, &item.id, ListStatus::Planned, None).await;
}

#[tokio::test]
async fn add_reports_every_invalid_field() {
    let app = TestApp::spawn().await;
    let token = app.user().await;
    let status = assert_error(
        app.client()
            .add_list_entry(authed(
                &token,
                pb::AddListEntryRequest {
                    media: Some(pb::add_list_entry_request::Media::Reference(reference(
                        MediaSource::Omdb,
                        MediaKind::Anime,
                        "",
                    ))),
                    status: 42,
                    rating: Some(0),
                    progress: -1,
                    notes: "n".repeat(10_001),
                },
            ))
            .await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    assert_eq!(
        violated_fields(&status),
        [
            "reference.external_id",
            "reference.kind",
            "status",
            "rating",
            "progress",
            "notes"
        ]
    );
    let status = assert_error(
        app.client()
            .add_list_entry(authed(&token, pb::AddListEntryRequest::default()))
            .await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    assert_eq!(violated_fields(&status), ["media"]);
}

#[tokio::test]
async fn add_by_reference_imports_in_the_same_transaction() {
    let app = TestApp::spawn().await;
    Mock::given(path("/jikan/v4/anime/1"))
        .respond_with(json_fixture("jikan_anime_1.json"))
        .mount(&app.providers)
        .await;
    let token = app.user().await;
    let bebop = reference(MediaSource::Jikan, MediaKind::Anime, "1");
    let add = |progress: i32| pb::AddListEntryRequest {
        media: Some(pb::add_list_entry_request::Media::Reference(bebop.clone())),
        status: ListStatus::InProgress as i32,
        rating: None,
        progress,
        notes: "space cowboys".into(),
    };

    // Progress past the 26 episodes: refused, and the item is not left behind.
    let status = assert_error(
        app.client().add_list_entry(authed(&token, add(27))).await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    assert_eq!(violated_fields(&status), ["progress"]);
    let catalog = app
        .client()
        .list_media_items(authed(&token, pb::ListMediaItemsRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert!(catalog.media_items.is_empty(), "nothing half-written");

    let entry = app
        .client()
        .add_list_entry(authed(&token, add(5)))
        .await
        .unwrap()
        .into_inner()
        .list_entry
        .unwrap();
    assert_eq!(entry.progress, 5);
    let item = entry.media_item.unwrap();
    assert_eq!(
        (item.title.as_str(), item.total_units),
        ("Cowboy Bebop", Some(26))
    );
    assert!(
        !app.import(&token, bebop).await.unwrap().created,
        "imported on the way"
    );
}

#[tokio::test]
async fn update_applies_the_mask_and_completing_fills_progress_and_date() {
    let app = TestApp::spawn().await;
    let token = app.user().await;
    let item = app
        .custom_item(&token, MediaKind::Anime, "Short Series", Some(12))
        .await;
    let entry = app
        .add(&token, &item.id, ListStatus::InProgress, None)
        .await;

    let rated = update(
        &app,
        &token,
        pb::ListEntry {
            id: entry.id.clone(),
            rating: Some(9),
            notes: "not in the mask".into(),
            progress: 3,
            ..Default::default()
        },
        &["rating", "progress"],
    )
    .await
    .unwrap();
    assert_eq!(
        (rated.rating, rated.progress, rated.notes.as_str()),
        (Some(9), 3, "")
    );

    let done = update(
        &app,
        &token,
        pb::ListEntry {
            id: entry.id.clone(),
            status: ListStatus::Completed as i32,
            ..Default::default()
        },
        &["status"],
    )
    .await
    .unwrap();
    assert_eq!(done.status, ListStatus::Completed as i32);
    assert_eq!(done.progress, 12);
    let today = chrono::Utc::now().date_naive();
    let finish = done.finish_date.unwrap();
    assert_eq!(
        (finish.year, finish.month, finish.day),
        (
            chrono::Datelike::year(&today),
            i32::try_from(chrono::Datelike::month(&today)).unwrap(),
            i32::try_from(chrono::Datelike::day(&today)).unwrap()
        )
    );
    assert_eq!(done.rating, Some(9), "untouched");

    let cleared = update(
        &app,
        &token,
        pb::ListEntry {
            id: entry.id.clone(),
            ..Default::default()
        },
        &["rating"],
    )
    .await
    .unwrap();
    assert_eq!(cleared.rating, None, "a masked, unset rating clears it");
}

#[tokio::test]
async fn update_refuses_bad_values_and_other_users_entries() {
    let app = TestApp::spawn().await;
    let token = app.user().await;
    let item = app
        .custom_item(&token, MediaKind::Book, "Thin Book", Some(100))
        .await;
    let entry = app
        .add(&token, &item.id, ListStatus::InProgress, None)
        .await;

    let status = assert_error(
        update(
            &app,
            &token,
            pb::ListEntry {
                id: entry.id.clone(),
                rating: Some(11),
                start_date: Some(pb::Date {
                    year: 2024,
                    month: 13,
                    day: 1,
                }),
                ..Default::default()
            },
            &["rating", "start_date", "media_item"],
        )
        .await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    assert_eq!(
        violated_fields(&status),
        ["list_entry.rating", "list_entry.start_date", "update_mask"]
    );
    let status = assert_error(
        update(
            &app,
            &token,
            pb::ListEntry {
                id: entry.id.clone(),
                progress: 101,
                ..Default::default()
            },
            &["progress"],
        )
        .await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    assert_eq!(violated_fields(&status), ["list_entry.progress"]);

    let intruder = app.user().await;
    assert_error(
        update(
            &app,
            &intruder,
            pb::ListEntry {
                id: entry.id.clone(),
                rating: Some(1),
                ..Default::default()
            },
            &["rating"],
        )
        .await,
        Code::NotFound,
        "LIST_ENTRY_NOT_FOUND",
    );
    let untouched = app
        .client()
        .get_list_entry(authed(
            &token,
            pb::GetListEntryRequest {
                id: entry.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .list_entry
        .unwrap();
    assert_eq!(untouched.rating, None);
}

#[tokio::test]
async fn one_user_cannot_read_or_remove_anothers_entries() {
    let app = TestApp::spawn().await;
    let owner = app.user().await;
    let intruder = app.user().await;
    let item = app
        .custom_item(&owner, MediaKind::Movie, "Home Video", None)
        .await;
    let entry = app.add(&owner, &item.id, ListStatus::Planned, None).await;

    assert_error(
        app.client()
            .get_list_entry(authed(
                &intruder,
                pb::GetListEntryRequest {
                    id: entry.id.clone(),
                },
            ))
            .await,
        Code::NotFound,
        "LIST_ENTRY_NOT_FOUND",
    );
    assert_error(
        app.client()
            .remove_list_entry(authed(
                &intruder,
                pb::RemoveListEntryRequest {
                    id: entry.id.clone(),
                },
            ))
            .await,
        Code::NotFound,
        "LIST_ENTRY_NOT_FOUND",
    );
    let theirs = list(&app, &intruder, pb::ListListEntriesRequest::default()).await;
    assert!(theirs.list_entries.is_empty());

    app.client()
        .remove_list_entry(authed(
            &owner,
            pb::RemoveListEntryRequest {
                id: entry.id.clone(),
            },
        ))
        .await
        .unwrap();
    assert_error(
        app.client()
            .get_list_entry(authed(
                &owner,
                pb::GetListEntryRequest {
                    id: entry.id.clone(),
                },
            ))
            .await,
        Code::NotFound,
        "LIST_ENTRY_NOT_FOUND",
    );
    assert_error(
        app.client()
            .remove_list_entry(authed(&owner, pb::RemoveListEntryRequest { id: entry.id }))
            .await,
        Code::NotFound,
        "LIST_ENTRY_NOT_FOUND",
    );
}

#[tokio::test]
async fn list_filters_and_orders() {
    let app = TestApp::spawn().await;
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
    let titles = |response: pb::ListListEntriesResponse| -> Vec<String> {
        response
            .list_entries
            .into_iter()
            .map(|e| e.media_item.unwrap().title)
            .collect()
    };

    let recent = list(&app, &token, pb::ListListEntriesRequest::default()).await;
    assert_eq!(titles(recent), ["Delta", "Bravo", "Alpha", "Charlie"]);
    let by_title = list(
        &app,
        &token,
        pb::ListListEntriesRequest {
            order_by: pb::ListEntryOrder::Title as i32,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(titles(by_title), ["Alpha", "Bravo", "Charlie", "Delta"]);
    let by_rating = list(
        &app,
        &token,
        pb::ListListEntriesRequest {
            order_by: pb::ListEntryOrder::RatingDesc as i32,
            page_size: 1,
            ..Default::default()
        },
    )
    .await;
    let mut all = titles(by_rating.clone());
    let mut next = by_rating.next_page_token;
    while !next.is_empty() {
        let page = list(
            &app,
            &token,
            pb::ListListEntriesRequest {
                order_by: pb::ListEntryOrder::RatingDesc as i32,
                page_size: 1,
                page_token: next,
                ..Default::default()
            },
        )
        .await;
        next = page.next_page_token.clone();
        all.extend(titles(page));
    }
    assert_eq!(all, ["Bravo", "Charlie", "Delta", "Alpha"], "unrated last");

    let completed_books = list(
        &app,
        &token,
        pb::ListListEntriesRequest {
            status: ListStatus::Completed as i32,
            kind: MediaKind::Book as i32,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(titles(completed_books), ["Charlie"]);

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
        let page = list(
            &app,
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
async fn provider_failures_on_add_leave_nothing_behind() {
    let app = TestApp::spawn().await;
    Mock::given(path("/rawg/api/games/3328"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&app.providers)
        .await;
    let token = app.user().await;

    assert_error(
        app.client()
            .add_list_entry(authed(
                &token,
                pb::AddListEntryRequest {
                    media: Some(pb::add_list_entry_request::Media::Reference(reference(
                        MediaSource::Rawg,
                        MediaKind::Game,
                        "3328",
                    ))),
                    ..Default::default()
                },
            ))
            .await,
        Code::Unavailable,
        "PROVIDER_UNAVAILABLE",
    );
    assert!(
        list(&app, &token, pb::ListListEntriesRequest::default())
            .await
            .list_entries
            .is_empty()
    );
}
