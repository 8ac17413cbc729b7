//! What compression costs and saves: a 50-entry ListListEntries page and
//! a whole list's ExportList, each asked for plain, gzip and zstd
//! (`grpc-accept-encoding`) straight from media-service over HTTP/2: the
//! bytes of the answer's body on the wire and the time per call.

use std::time::{Duration, Instant};

use completionist_proto::media as pb;

use crate::{cases::Ctx, client::frame};

/// Calls per call and encoding; the time is their mean.
const CALLS: u32 = 200;
const ENCODINGS: [&str; 3] = ["identity", "gzip", "zstd"];

/// One call with one encoding.
#[derive(Debug, serde::Serialize)]
pub(crate) struct Compressed {
    pub call: String,
    pub encoding: &'static str,
    pub bytes: usize,
    pub ms_per_call: f64,
}

/// Both calls with every encoding.
pub(crate) async fn run(ctx: &Ctx) -> anyhow::Result<Vec<Compressed>> {
    eprintln!("measuring compression...");
    let client = reqwest::Client::builder().http2_prior_knowledge().build()?;
    let (token, _) = ctx.users.entry(0);
    let list = pb::ListListEntriesRequest {
        page_size: 50,
        ..Default::default()
    };
    let export = pb::ExportListRequest {
        format: pb::ExportFormat::Json as i32,
    };
    let entries = ctx.seed.entries_per_user;
    let calls = [
        (
            format!("ListListEntries, {} entries", entries.min(50)),
            "ListListEntries",
            frame(&list),
        ),
        (
            format!("ExportList, {entries} entries"),
            "ExportList",
            frame(&export),
        ),
    ];
    let mut measured = Vec::new();
    for (call, method, body) in calls {
        let url = format!(
            "{}/completionist.media.v1.MediaService/{method}",
            ctx.stack.media_url
        );
        for encoding in ENCODINGS {
            let ask = || {
                client
                    .post(&url)
                    .header("content-type", "application/grpc")
                    .header("te", "trailers")
                    .header("grpc-accept-encoding", encoding)
                    .header("authorization", format!("Bearer {token}"))
                    .body(body.clone())
            };
            let bytes = answer(ask()).await?;
            let started = Instant::now();
            for _ in 0..CALLS {
                answer(ask()).await?;
            }
            measured.push(Compressed {
                call: call.clone(),
                encoding,
                bytes,
                ms_per_call: started.elapsed().div_f64(f64::from(CALLS)).as_secs_f64() * 1000.0,
            });
        }
    }
    Ok(measured)
}

/// The length of a successful answer's body.
async fn answer(request: reqwest::RequestBuilder) -> anyhow::Result<usize> {
    let response = request.timeout(Duration::from_secs(10)).send().await?;
    anyhow::ensure!(
        response.headers().get("grpc-status").is_none(),
        "refused: {:?}",
        response.headers().get("grpc-message")
    );
    let body = response.bytes().await?;
    anyhow::ensure!(!body.is_empty(), "an empty answer");
    Ok(body.len())
}

/// The report's table.
pub(crate) fn write_table(measured: &[Compressed], out: &mut String) {
    use std::fmt::Write;
    if measured.is_empty() {
        return;
    }
    let _ = write!(
        out,
        concat!(
            "\nCompression (`grpc-accept-encoding`, straight to media-service; bytes of ",
            "the answer's body, mean of {} calls one after another):\n\n",
            "| call | encoding | bytes | ms per call |\n|---|---|---:|---:|\n",
        ),
        CALLS
    );
    for m in measured {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.2} |",
            m.call, m.encoding, m.bytes, m.ms_per_call
        );
    }
}
