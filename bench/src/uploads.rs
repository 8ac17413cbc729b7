//! Large uploads: one 60 MB file of tiny rows straight to media-service
//! (its peak memory, and how soon it answers), and 32 such files sent at
//! once through the gateway by 32 users (the gateway's peak memory, and
//! what each was answered). `errors` holds the answers by code: a file of
//! tiny rows is refused at the row limit, or finds the places taken.

use std::{collections::BTreeMap, time::Instant};

use completionist_proto::media::{self as pb, media_service_client::MediaServiceClient};
use futures_util::future::join_all;
use test_support::authed;
use tonic::transport::Channel;

use crate::{bulk::fresh_user, cases::Ctx, load::Measured, report::Case};

/// The upload's size: under `IMPORT_MAX_BYTES` (64 MiB).
const FILE_BYTES: usize = 60_000_000;
/// Uploads sent at once through the gateway.
const SENDERS: usize = 32;

pub(crate) const TINY_ROWS: &str = "StartImport of a 60 MB file of tiny rows (media-service)";
pub(crate) const GATEWAY_UPLOADS: &str = "32 StartImports of 60 MB at once (gateway)";

/// Our export format with as many empty entries as fit in `FILE_BYTES`.
fn tiny_rows() -> Vec<u8> {
    let head = br#"{"format":"completionist","version":1,"entries":["#;
    let mut file = Vec::with_capacity(FILE_BYTES);
    file.extend_from_slice(head);
    while file.len() + 4 < FILE_BYTES {
        file.extend_from_slice(b"{},");
    }
    file.extend_from_slice(b"{}]}");
    file
}

fn client(channel: Channel) -> MediaServiceClient<Channel> {
    MediaServiceClient::new(channel)
        .max_decoding_message_size(64 << 20)
        .max_encoding_message_size(64 << 20)
}

/// One upload of `file`: the code it was answered with.
async fn upload(
    mut media: MediaServiceClient<Channel>,
    token: String,
    file: bytes::Bytes,
) -> String {
    let answer = media
        .start_import(authed(
            &token,
            pb::StartImportRequest {
                content: file,
                file_name: "tiny.json".into(),
                ..Default::default()
            },
        ))
        .await;
    match answer {
        Ok(_) => "OK".into(),
        Err(status) => format!("{:?}", status.code()),
    }
}

fn case(
    name: &'static str,
    started: Instant,
    answers: Vec<String>,
    peaks: BTreeMap<String, f64>,
) -> Case {
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    let mut errors = BTreeMap::new();
    for answer in &answers {
        *errors.entry(answer.clone()).or_insert(0) += 1;
    }
    Case {
        name,
        measured: Measured {
            rps: answers.len() as f64 / (ms / 1000.0),
            latency_rps: 0.0,
            p50_ms: ms,
            p90_ms: ms,
            p99_ms: ms,
            max_ms: ms,
            calls: answers.len() as u64,
            errors,
        },
        peak_memory_mib: peaks,
        rounds: Vec::new(),
    }
}

/// Both cases.
pub(crate) async fn large_uploads(ctx: &Ctx) -> anyhow::Result<[Case; 2]> {
    let file = bytes::Bytes::from(tiny_rows());
    let [_, media, gateway] = ctx.stack.processes();

    eprintln!("measuring a 60 MB file of tiny rows...");
    let token = fresh_user(ctx).await?;
    media.reset_peak_memory();
    let started = Instant::now();
    let answer = upload(client(ctx.media[0].clone()), token, file.clone()).await;
    let tiny = case(
        TINY_ROWS,
        started,
        vec![answer],
        [(media.name.to_owned(), media.peak_memory_mib())].into(),
    );

    eprintln!("measuring {SENDERS} uploads of 60 MB at once through the gateway...");
    let mut tokens = Vec::with_capacity(SENDERS);
    for _ in 0..SENDERS {
        tokens.push(fresh_user(ctx).await?);
    }
    let through = Channel::from_shared(gateway.url())?.connect().await?;
    media.reset_peak_memory();
    gateway.reset_peak_memory();
    let started = Instant::now();
    let answers = join_all(
        tokens
            .into_iter()
            .map(|token| upload(client(through.clone()), token, file.clone())),
    )
    .await;
    let peaks = [
        (gateway.name.to_owned(), gateway.peak_memory_mib()),
        (media.name.to_owned(), media.peak_memory_mib()),
    ]
    .into();
    Ok([tiny, case(GATEWAY_UPLOADS, started, answers, peaks)])
}
