//! Input no person means: control characters in any text field and
//! messages over the size limit are refused with the usual details, never
//! INTERNAL.

use completionist_proto::media as pb;
use pb::{ListStatus, MediaKind};
use tonic::Code;

use crate::helpers::{TestApp, assert_error, authed, violated_fields};

#[tokio::test]
async fn control_characters_are_refused_in_catalog_text() {
    let app = TestApp::spawn().await;
    let token = app.user().await;
    let status = assert_error(
        app.client()
            .create_custom_media_item(authed(
                &token,
                pb::CreateCustomMediaItemRequest {
                    kind: MediaKind::Book as i32,
                    title: "My\0diary".into(),
                    summary: "line one\nline two\u{1b}[31m".into(),
                    image_url: "https://example.com/\0.png".into(),
                    ..Default::default()
                },
            ))
            .await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    assert_eq!(violated_fields(&status), ["title", "image_url", "summary"]);

    let status = assert_error(
        app.client()
            .list_media_items(authed(
                &token,
                pb::ListMediaItemsRequest {
                    title_query: "\0".into(),
                    ..Default::default()
                },
            ))
            .await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    assert_eq!(violated_fields(&status), ["title_query"]);
}

#[tokio::test]
async fn control_characters_are_refused_in_list_entries() {
    let app = TestApp::spawn().await;
    let token = app.user().await;
    let item = app
        .custom_item(&token, MediaKind::Book, "Diary", None)
        .await;
    let status = assert_error(
        app.client()
            .add_list_entry(authed(
                &token,
                pb::AddListEntryRequest {
                    media: Some(pb::add_list_entry_request::Media::MediaItemId(
                        item.id.clone(),
                    )),
                    notes: "\0".into(),
                    ..Default::default()
                },
            ))
            .await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    assert_eq!(violated_fields(&status), ["notes"]);

    let entry = app.add(&token, &item.id, ListStatus::Planned, None).await;
    let notes = pb::ListEntry {
        id: entry.id,
        notes: "tab\tand newline\n are fine, NUL\0 is not".into(),
        ..Default::default()
    };
    let status = assert_error(
        app.update(&token, notes, &["notes"]).await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    assert_eq!(violated_fields(&status), ["list_entry.notes"]);
}

#[tokio::test]
async fn an_oversized_message_is_resource_exhausted_with_details() {
    let app = TestApp::spawn().await;
    let token = app.user().await;
    let huge = pb::GetListEntryRequest {
        id: "x".repeat(5 * 1024 * 1024),
    };
    assert_error(
        app.client().get_list_entry(authed(&token, huge)).await,
        Code::ResourceExhausted,
        "REQUEST_TOO_LARGE",
    );
}
