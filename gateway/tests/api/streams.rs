//! WatchListEntries through the gateway: passed on as it comes over plain
//! gRPC and gRPC-Web (binary and text, HTTP/1.1 and HTTP/2), bounded apart
//! from ordinary calls, kept open by heartbeats, ended when idle or when
//! the gateway shuts down.

use std::time::Duration;

use base64::{Engine, engine::general_purpose::STANDARD};
use completionist_proto::media as pb;
use pb::watch_list_entries_response::Event;
use prost::Message;
use tonic::{Code, Status, Streaming};
use tonic_types::StatusExt;

use test_support::authed;

use crate::{
    grpc::token,
    helpers::{ORIGIN, Stack, buf},
};

const WATCH: &str = "completionist.media.v1.MediaService/WatchListEntries";
const PATIENCE: Duration = Duration::from_secs(10);

/// Puts a new custom movie on the list through the gateway; its entry id.
pub(crate) async fn add_movie(stack: &Stack, token: &str, title: &str) -> String {
    let item = stack
        .media_client()
        .create_custom_media_item(authed(
            token,
            pb::CreateCustomMediaItemRequest {
                kind: pb::MediaKind::Movie as i32,
                title: title.into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .media_item
        .unwrap();
    stack
        .media_client()
        .add_list_entry(authed(
            token,
            pb::AddListEntryRequest {
                media: Some(pb::add_list_entry_request::Media::MediaItemId(item.id)),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .list_entry
        .unwrap()
        .id
}

pub(crate) async fn watch(
    stack: &Stack,
    token: &str,
) -> Result<Streaming<pb::WatchListEntriesResponse>, Status> {
    stack
        .media_client()
        .watch_list_entries(authed(token, pb::WatchListEntriesRequest::default()))
        .await
        .map(tonic::Response::into_inner)
}

pub(crate) async fn next(
    stream: &mut Streaming<pb::WatchListEntriesResponse>,
) -> Result<pb::WatchListEntriesResponse, Status> {
    tokio::time::timeout(PATIENCE, stream.message())
        .await
        .expect("a message in time")
        .map(|m| m.expect("a status at the end"))
}

pub(crate) fn reason(status: &Status) -> String {
    status.get_details_error_info().unwrap().reason
}

#[tokio::test]
async fn plain_grpc_streams_pass_through_as_they_come() {
    let stack = Stack::spawn().await;
    let token = token(&stack).await;
    let mut stream = watch(&stack, &token).await.unwrap();
    let first = next(&mut stream).await.unwrap();
    assert!(matches!(first.event, Some(Event::Started(_))), "{first:?}");
    let id = add_movie(&stack, &token, "Playtime").await;
    let change = next(&mut stream).await.unwrap();
    let Some(Event::Change(change)) = change.event else {
        panic!("{change:?}")
    };
    assert_eq!(change.list_entry_id, id);
}

/// A gRPC-Web response read frame by frame as it arrives.
struct WebStream {
    response: reqwest::Response,
    text: bool,
    /// Base64 text not yet decoded (text mode).
    pending: Vec<u8>,
    bytes: Vec<u8>,
}

impl WebStream {
    async fn open(http2: bool, text: bool, gateway: &str, token: &str) -> Self {
        let client = if http2 {
            reqwest::Client::builder().http2_prior_knowledge().build()
        } else {
            reqwest::Client::builder().http1_only().build()
        }
        .unwrap();
        let mut framed = vec![0u8];
        let body = pb::WatchListEntriesRequest::default().encode_to_vec();
        framed.extend_from_slice(&u32::try_from(body.len()).unwrap().to_be_bytes());
        framed.extend(body);
        let kind = if text {
            "grpc-web-text"
        } else {
            "grpc-web+proto"
        };
        let response = client
            .post(format!("{gateway}/{WATCH}"))
            .header("content-type", format!("application/{kind}"))
            .header("accept", format!("application/{kind}"))
            .header("x-grpc-web", "1")
            .header("origin", ORIGIN)
            .header("authorization", format!("Bearer {token}"))
            .body(if text {
                STANDARD.encode(framed).into_bytes()
            } else {
                framed
            })
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let version = if http2 {
            reqwest::Version::HTTP_2
        } else {
            reqwest::Version::HTTP_11
        };
        assert_eq!(response.version(), version);
        Self {
            response,
            text,
            pending: Vec::new(),
            bytes: Vec::new(),
        }
    }

    /// The next frame: (trailers?, payload).
    async fn frame(&mut self) -> (bool, Vec<u8>) {
        loop {
            if self.bytes.len() >= 5 {
                let length = u32::from_be_bytes(self.bytes[1..5].try_into().unwrap()) as usize;
                if self.bytes.len() >= 5 + length {
                    let frame: Vec<u8> = self.bytes.drain(..5 + length).collect();
                    return (frame[0] & 0x80 != 0, frame[5..].to_vec());
                }
            }
            let chunk = tokio::time::timeout(PATIENCE, self.response.chunk())
                .await
                .expect("a frame in time")
                .unwrap()
                .expect("the stream is open");
            if self.text {
                self.pending
                    .extend(chunk.iter().filter(|b| !b.is_ascii_whitespace()));
                let whole = self.pending.len() / 4 * 4;
                let quanta: Vec<u8> = self.pending.drain(..whole).collect();
                for quantum in quanta.chunks(4) {
                    self.bytes.extend(STANDARD.decode(quantum).expect("base64"));
                }
            } else {
                self.bytes.extend_from_slice(&chunk);
            }
        }
    }

    async fn message(&mut self) -> pb::WatchListEntriesResponse {
        let (trailers, payload) = self.frame().await;
        assert!(!trailers, "{}", String::from_utf8_lossy(&payload));
        pb::WatchListEntriesResponse::decode(payload.as_slice()).unwrap()
    }
}

#[tokio::test]
async fn grpc_web_streams_pass_through_binary_and_text_over_http1_and_http2() {
    let stack = Stack::spawn().await;
    let token = token(&stack).await;
    for (http2, text) in [(false, false), (false, true), (true, false), (true, true)] {
        let mut stream = WebStream::open(http2, text, &stack.url(), &token).await;
        // The start comes before anything changes: nothing waits to fill
        // a buffer.
        let first = stream.message().await;
        assert!(matches!(first.event, Some(Event::Started(_))), "{first:?}");
        let id = add_movie(&stack, &token, &format!("Film {http2} {text}")).await;
        let change = stream.message().await;
        let Some(Event::Change(change)) = change.event else {
            panic!("{change:?}")
        };
        assert_eq!(change.list_entry_id, id, "http2 {http2}, text {text}");
    }
}

#[tokio::test]
async fn buf_curl_watches_over_grpc_web() {
    let stack = Stack::spawn().await;
    let token = token(&stack).await;
    let mut curl = tokio::process::Command::new(buf())
        .args(["curl", "--protocol", "grpcweb", "-d", "{}"])
        .args(["-H", &format!("Origin: {ORIGIN}")])
        .args(["-H", &format!("Authorization: Bearer {token}")])
        .arg(format!("{}/{WATCH}", stack.url()))
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdout = curl.stdout.take().unwrap();
    let mut printed = Vec::new();
    let mut messages = async |count: usize| {
        use tokio::io::AsyncReadExt;
        loop {
            let parsed: Vec<serde_json::Value> = serde_json::Deserializer::from_slice(&printed)
                .into_iter()
                .map_while(Result::ok)
                .collect();
            if parsed.len() >= count {
                return parsed;
            }
            let mut chunk = [0; 4096];
            let n = tokio::time::timeout(PATIENCE, stdout.read(&mut chunk))
                .await
                .expect("buf curl prints in time")
                .unwrap();
            assert!(
                n > 0,
                "buf curl ended: {}",
                String::from_utf8_lossy(&printed)
            );
            printed.extend_from_slice(&chunk[..n]);
        }
    };
    let started = messages(1).await;
    assert!(started[0]["started"].is_object(), "{started:?}");
    let id = add_movie(&stack, &token, "Mon Oncle").await;
    let both = messages(2).await;
    assert_eq!(both[1]["change"]["listEntryId"], id.as_str(), "{both:?}");
    curl.kill().await.unwrap();
}

#[tokio::test]
async fn heartbeats_keep_a_quiet_stream_past_the_idle_timeout() {
    let stack = Stack::spawn_configured(
        |c| c.limits.stream_idle_timeout = Duration::from_secs(1),
        |m| m.watch.heartbeat = Duration::from_millis(200),
    )
    .await;
    let token = token(&stack).await;
    let mut stream = watch(&stack, &token).await.unwrap();
    next(&mut stream).await.unwrap();
    let until = tokio::time::Instant::now() + Duration::from_millis(2500);
    while tokio::time::Instant::now() < until {
        let beat = next(&mut stream).await.unwrap();
        assert!(matches!(beat.event, Some(Event::Heartbeat(_))), "{beat:?}");
    }
}

#[tokio::test]
async fn a_silent_stream_is_ended_at_the_idle_timeout() {
    let stack = Stack::spawn_with(|c| c.limits.stream_idle_timeout = Duration::from_secs(1)).await;
    let token = token(&stack).await;
    let mut stream = watch(&stack, &token).await.unwrap();
    next(&mut stream).await.unwrap();
    let ended = next(&mut stream).await.unwrap_err();
    assert_eq!(ended.code(), Code::Unavailable);
    assert_eq!(reason(&ended), "STREAM_IDLE");
    assert!(
        ended
            .get_details_request_info()
            .is_some_and(|info| !info.request_id.is_empty())
    );
}

#[tokio::test]
async fn shutdown_ends_streams_unavailable_at_the_gateway_and_behind_it() {
    let mut stack = Stack::spawn().await;
    let token = token(&stack).await;
    let mut stream = watch(&stack, &token).await.unwrap();
    next(&mut stream).await.unwrap();
    // media-service stopping: its own ending comes through.
    let stopping = stack.media.stop();
    let (ended, ()) = tokio::join!(next(&mut stream), stopping);
    let ended = ended.unwrap_err();
    assert_eq!(ended.code(), Code::Unavailable);
    assert_eq!(reason(&ended), "SHUTTING_DOWN");
    stack.restart_media().await;

    let mut stream = loop {
        if let Ok(mut stream) = watch(&stack, &token).await
            && next(&mut stream).await.is_ok()
        {
            break stream;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    stack.gateway.stop().await;
    let ended = next(&mut stream).await.unwrap_err();
    assert_eq!(ended.code(), Code::Unavailable);
    assert_eq!(
        ended.get_details_error_info().unwrap().domain,
        "gateway.completionist"
    );
}
