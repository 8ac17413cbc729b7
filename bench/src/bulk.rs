//! Whole-list cases: importing a 5,000-row MyAnimeList export (rows per
//! second from StartImport until WatchImport reports the job done, every
//! entry listed) and exporting 5,000 entries (the whole ExportList stream).
//! Each is one timed run per round on a fresh user; `rps` holds rows per
//! second and the percentiles the one elapsed time. The providers point at
//! a closed port: nothing on either path may ask them.

use std::time::Instant;

use completionist_proto::{
    auth::{self as auth_pb, auth_service_client::AuthServiceClient},
    media::{self as pb, media_service_client::MediaServiceClient},
};
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use test_support::authed;

use crate::{cases::Ctx, load::Measured, report::Case};

/// Rows in the export imported and exported.
pub(crate) const ROWS: usize = 5_000;

/// A MyAnimeList export of `n` anime as the site writes it.
pub(crate) fn mal_export(n: usize) -> Vec<u8> {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<myanimelist>\n\t<myinfo>\n\t\t<user_export_type>1</user_export_type>\n\t</myinfo>\n",
    );
    for id in 1..=n {
        let status = [
            "Completed",
            "Watching",
            "Plan to Watch",
            "On-Hold",
            "Dropped",
        ][id % 5];
        xml.push_str(&format!(
            "\t<anime>\n\t\t<series_animedb_id>{id}</series_animedb_id>\n\t\t<series_title><![CDATA[Bench Show {id}]]></series_title>\n\t\t<series_type>TV</series_type>\n\t\t<series_episodes>24</series_episodes>\n\t\t<my_watched_episodes>{}</my_watched_episodes>\n\t\t<my_start_date>2020-01-0{}</my_start_date>\n\t\t<my_finish_date>0000-00-00</my_finish_date>\n\t\t<my_score>{}</my_score>\n\t\t<my_status>{status}</my_status>\n\t\t<my_comments><![CDATA[]]></my_comments>\n\t\t<my_times_watched>{}</my_times_watched>\n\t</anime>\n",
            if id % 5 == 0 { 24 } else { id % 24 },
            1 + id % 9,
            id % 11,
            id % 3,
        ));
    }
    xml.push_str("</myanimelist>\n");
    xml.into_bytes()
}

/// Starts the import of `file`, a MyAnimeList export ([`mal_export`]), as
/// `token`'s user: its job.
pub(crate) async fn start_mal_import<T>(
    mut media: MediaServiceClient<T>,
    token: &str,
    file: Vec<u8>,
) -> anyhow::Result<pb::ImportJob>
where
    T: tonic::client::GrpcService<tonic::body::Body>,
    T::Error: Into<tonic::codegen::StdError>,
    T::ResponseBody: tonic::codegen::Body<Data = bytes::Bytes> + Send + 'static,
    <T::ResponseBody as tonic::codegen::Body>::Error: Into<tonic::codegen::StdError> + Send,
{
    Ok(media
        .start_import(authed(
            token,
            pb::StartImportRequest {
                content: file.into(),
                file_name: "animelist.xml".into(),
                ..Default::default()
            },
        ))
        .await?
        .into_inner()
        .import_job
        .unwrap_or_default())
}

/// A new user's access token.
pub(crate) async fn fresh_user(ctx: &Ctx) -> anyhow::Result<String> {
    let mut auth = AuthServiceClient::new(ctx.auth[0].clone());
    let email = format!("bulk-{}@example.com", uuid::Uuid::new_v4().simple());
    let password = "bench password long enough";
    auth.register(auth_pb::RegisterRequest {
        email: email.clone(),
        password: password.into(),
        display_name: "Bulk".into(),
    })
    .await?;
    let login = auth
        .login(auth_pb::LoginRequest {
            email,
            password: password.into(),
        })
        .await?
        .into_inner();
    Ok(login.tokens.map(|t| t.access_token).unwrap_or_default())
}

fn case(name: &'static str, rows: usize, started: Instant, ctx: &Ctx) -> Case {
    let elapsed = started.elapsed().as_secs_f64();
    let ms = elapsed * 1000.0;
    let media = ctx.stack.processes()[1];
    Case {
        name,
        measured: Measured {
            rps: rows as f64 / elapsed,
            latency_rps: 0.0,
            p50_ms: ms,
            p90_ms: ms,
            p99_ms: ms,
            max_ms: ms,
            calls: 1,
            errors: Default::default(),
        },
        peak_memory_mib: [(media.name.to_owned(), media.peak_memory_mib())].into(),
        rounds: Vec::new(),
    }
}

/// Imports the export as a fresh user; then exports that user's list.
pub(crate) async fn import_then_export(ctx: &Ctx) -> anyhow::Result<[Case; 2]> {
    let token = fresh_user(ctx).await?;
    let mut media = MediaServiceClient::new(ctx.media[0].clone())
        .max_decoding_message_size(64 << 20)
        .max_encoding_message_size(64 << 20);
    let process = ctx.stack.processes()[1];
    let file = mal_export(ROWS);

    eprintln!("measuring a {ROWS}-row MyAnimeList import...");
    process.reset_peak_memory();
    let started = Instant::now();
    let job = start_mal_import(media.clone(), &token, file).await?;
    let mut stream = media
        .watch_import(authed(
            &token,
            pb::WatchImportRequest {
                id: job.id,
                after_row: 0,
            },
        ))
        .await?
        .into_inner();
    let mut created = 0;
    while let Some(message) = stream.message().await? {
        if let Some(pb::watch_import_response::Event::ImportJob(job)) = message.event {
            created = job.created_count;
        }
    }
    let import = case("Import 5,000-row MyAnimeList (rows/s)", ROWS, started, ctx);
    anyhow::ensure!(
        created as usize == ROWS,
        "imported {created} of {ROWS} rows"
    );

    let export = export(ctx, &mut media, &token).await?;
    pause_imported_fetches(ctx).await?;
    Ok([import, export])
}

/// The imported anime's episodes and details would be fetched in the
/// background (from a closed port here) through the next round: they wait
/// a day, so later cases run without that work beside them, as after the
/// refresh case; and the tables the import grew are vacuumed.
async fn pause_imported_fetches(ctx: &Ctx) -> anyhow::Result<()> {
    let mut conn = AsyncPgConnection::establish(&ctx.stack.media_db).await?;
    conn.batch_execute(
        "UPDATE episode_sources SET refresh_due_at = now() + interval '1 day';
         UPDATE media_items SET details_due_at = now() + interval '1 day'
           WHERE details_due_at IS NOT NULL;",
    )
    .await?;
    crate::seed::flush_seed(&mut conn).await
}

/// Exports `token`'s list, whole.
async fn export(
    ctx: &Ctx,
    media: &mut MediaServiceClient<tonic::transport::Channel>,
    token: &str,
) -> anyhow::Result<Case> {
    let process = ctx.stack.processes()[1];
    eprintln!("measuring an export of {ROWS} entries...");
    process.reset_peak_memory();
    let started = Instant::now();
    let mut stream = media
        .export_list(authed(token, pb::ExportListRequest::default()))
        .await?
        .into_inner();
    let mut bytes = 0;
    while let Some(chunk) = stream.message().await? {
        bytes += chunk.data.len();
    }
    let export = case(
        "ExportList of 5,000 entries (entries/s)",
        ROWS,
        started,
        ctx,
    );
    anyhow::ensure!(bytes > ROWS * 100, "the export is only {bytes} bytes");
    Ok(export)
}
