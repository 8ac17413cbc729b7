//! What one user makes is theirs: custom items, and the page tokens they
//! were given.

use completionist_proto::media as pb;
use pb::MediaKind;
use tonic::Code;

use crate::{
    catalog::list_items,
    helpers::{TestApp, assert_error, authed},
};

#[tokio::test]
async fn custom_items_are_private_to_their_maker() {
    let app = TestApp::spawn().await;
    let maker = app.user().await;
    let diary = app
        .custom_item(&maker, MediaKind::Book, "My diary", None)
        .await;
    let other = app.user().await;

    let get = |token: String| {
        let id = diary.id.clone();
        let mut client = app.client();
        async move {
            client
                .get_media_item(authed(&token, pb::GetMediaItemRequest { id }))
                .await
        }
    };
    assert!(get(maker.clone()).await.is_ok());
    assert_error(get(other.clone()).await, Code::NotFound, "MEDIA_NOT_FOUND");
    let everything = pb::ListMediaItemsRequest::default();
    let seen = list_items(&app, &other, everything.clone()).await.unwrap();
    assert!(seen.media_items.is_empty(), "{seen:?}");
    let own = list_items(&app, &maker, everything).await.unwrap();
    assert_eq!(own.media_items.len(), 1);
    assert_error(
        app.try_add(&other, &diary.id, pb::ListStatus::Planned, None)
            .await,
        Code::NotFound,
        "MEDIA_NOT_FOUND",
    );
}
