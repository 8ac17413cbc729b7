use completionist_proto::media as pb;
use pb::{ListStatus, MediaKind, MediaSource};
use tonic::Code;
use wiremock::{Mock, ResponseTemplate, matchers::path};

use crate::helpers::{TestApp, assert_error, authed, json_fixture, reference, violated_fields};

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
}

#[tokio::test]
async fn users_share_provider_items_but_not_custom_ones() {
    let app = TestApp::spawn().await;
    Mock::given(path("/jikan/v4/anime/1"))
        .respond_with(json_fixture("jikan_anime_1.json"))
        .mount(&app.providers)
        .await;
    let (token, other) = (app.user().await, app.user().await);
    let shared = app
        .import(&token, reference(MediaSource::Jikan, MediaKind::Anime, "1"))
        .await
        .unwrap()
        .media_item
        .unwrap();
    app.add(&token, &shared.id, ListStatus::Planned, None).await;
    app.add(&other, &shared.id, ListStatus::Planned, None).await;

    let own = app
        .custom_item(&token, MediaKind::Manga, "Zine", None)
        .await;
    assert_error(
        app.try_add(&other, &own.id, ListStatus::Planned, None)
            .await,
        Code::NotFound,
        "MEDIA_NOT_FOUND",
    );
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
async fn one_user_cannot_read_or_remove_anothers_entries() {
    let app = TestApp::spawn().await;
    let owner = app.user().await;
    let intruder = app.user().await;
    let item = app
        .custom_item(&owner, MediaKind::Movie, "Home Video", None)
        .await;
    let entry = app.add(&owner, &item.id, ListStatus::Planned, None).await;

    assert_error(
        app.get_entry(&intruder, &entry.id).await,
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
    let theirs = app
        .list(&intruder, pb::ListListEntriesRequest::default())
        .await;
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
        app.get_entry(&owner, &entry.id).await,
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
        app.list(&token, pb::ListListEntriesRequest::default())
            .await
            .list_entries
            .is_empty()
    );
}
