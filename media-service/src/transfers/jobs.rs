//! StartImport, GetImport, ListImports, CancelImport and WatchImport.

use completionist_common::{
    db as common_db,
    paging::{Page, PageSize},
    request_id,
};
use completionist_proto::media as pb;
use tonic::Request;
use uuid::Uuid;

use super::{
    JobState, Policy,
    formats::{self, FileError, Format, Input},
    read_places::PlaceTaken,
    state::Reading,
};
use crate::{
    app::{App, Caller},
    config::ImportsConfig,
    db::{self, imports::NewRow},
    domain::parse_id,
    error::Error,
    watch::{self, Live, Outbox, StreamKind, Topic, Waited},
};

/// A StartImport request.
pub(crate) struct NewImport {
    pub(crate) content: bytes::Bytes,
    pub(crate) file_name: String,
    pub(crate) format: Option<Format>,
    pub(crate) policy: Policy,
}

/// A ListImports request.
pub(crate) struct ImportListing {
    pub(crate) size: PageSize,
    pub(crate) page_token: String,
}

/// Reads the file at once (a file that is no import is refused here, with
/// what was expected), stores its rows with a queued job, and wakes the
/// worker.
pub(crate) async fn start_import(
    app: &App,
    request: Request<pb::StartImportRequest>,
) -> Result<pb::StartImportResponse, Error> {
    let caller = Caller::of(&request)?;
    // Taken before the body was read (see `read_places`); held until the
    // rows are stored, so a caller that goes away meanwhile does not free
    // it before the reading ends.
    let reading = PlaceTaken::take(&request).ok_or_else(|| {
        Error::Common(completionist_common::error::CommonError::Internal(
            anyhow::anyhow!("StartImport served without its read place"),
        ))
    })?;
    let NewImport {
        content,
        file_name,
        format,
        policy,
    } = NewImport::try_from(request.into_inner())?;
    let config = &app.imports.config;
    if content.len() > config.max_bytes {
        return Err(Error::ImportTooLarge(config.max_bytes as u64));
    }
    let (format, rows, reading) = read(content, file_name.clone(), format, config, reading).await?;
    let id = Uuid::now_v7();
    let total = i32::try_from(rows.len()).unwrap_or(i32::MAX);
    // Built as they are stored (see `db::imports::insert`).
    let rows = rows.into_iter().zip(1..).map(move |(row, number)| NewRow {
        import_job_id: id,
        row_number: number,
        line: i32::try_from(row.line).unwrap_or(0),
        file: storable(&row.file, 255),
        title: storable(&row.title, 500),
        record: serde_json::to_value(&row.parsed).ok().map(scrubbed),
        message: String::new(),
    });
    let job = common_db::transaction::<_, Error, _>(&app.pool, move |conn| {
        Box::pin(async move {
            let job = db::imports::NewJob {
                id,
                user_id: caller.user_id,
                file_name: &file_name,
                format,
                conflict_policy: policy,
                state: JobState::Queued,
                total_rows: total,
            };
            let job = db::imports::insert(conn, job, rows).await?;
            drop(reading);
            Ok(job)
        })
    })
    .await?;
    app.imports.wake.notify_one();
    Ok(pb::StartImportResponse {
        import_job: Some(job.into()),
    })
}

/// Reads a file off the threads that serve calls (parsing is CPU work).
async fn read(
    content: bytes::Bytes,
    name: String,
    format: Option<Format>,
    config: &ImportsConfig,
    reading: Reading,
) -> Result<(Format, Vec<formats::Row>, Reading), Error> {
    let (max_unpacked, max_rows) = (config.max_unpacked_bytes, config.max_rows);
    // Whichever ends first: the caller's deadline or the time any read may take.
    let allowed =
        request_id::remaining().map_or(config.read_time, |left| left.min(config.read_time));
    let deadline = std::time::Instant::now() + allowed;
    tokio::task::spawn_blocking(move || {
        let input = Input {
            bytes: &content,
            file_name: &name,
            max_unpacked,
            max_rows,
            deadline: Some(deadline),
        };
        formats::read(format, &input).map(|(format, rows)| (format, rows, reading))
    })
    .await
    .map_err(|e| Error::Common(completionist_common::error::CommonError::Internal(e.into())))?
    .map_err(|e| match e {
        FileError::TooLarge(limit) => Error::ImportTooLarge(limit),
        FileError::TooManyRows(limit) => Error::ImportTooManyRows(limit),
        FileError::Unreadable(why) => Error::UnreadableImport(why),
        FileError::TooSlow => Error::ImportTooSlow(allowed),
    })
}

/// Text as Postgres keeps it (`text` and `jsonb` refuse NUL, which a file
/// may hold: raw, or escaped in JSON): NUL as U+FFFD, at most `max`
/// characters. Rows keep the rest of their text; what an entry or item may
/// not hold was already refused by the row's checks.
fn storable(text: &str, max: usize) -> String {
    text.chars()
        .take(max)
        .map(|c| if c == '\0' { '\u{FFFD}' } else { c })
        .collect()
}

/// `value` with every string [`storable`] (unclipped).
fn scrubbed(mut value: serde_json::Value) -> serde_json::Value {
    fn scrub(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::String(text) if text.contains('\0') => {
                *text = storable(text, usize::MAX);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(scrub),
            serde_json::Value::Object(fields) => fields.values_mut().for_each(scrub),
            _ => {}
        }
    }
    scrub(&mut value);
    value
}

fn job_id(raw: &str) -> Result<Uuid, Error> {
    parse_id(raw).map_err(|why| Error::invalid("id", why))
}

pub(crate) async fn get_import(
    app: &App,
    request: Request<pb::GetImportRequest>,
) -> Result<pb::GetImportResponse, Error> {
    let caller = Caller::of(&request)?;
    let id = job_id(&request.get_ref().id)?;
    let job = common_db::read(&app.pool, |conn| {
        Box::pin(db::imports::find(conn, caller.user_id, id))
    })
    .await?
    .ok_or(Error::ImportNotFound)?;
    Ok(pb::GetImportResponse {
        import_job: Some(job.into()),
    })
}

pub(crate) async fn list_imports(
    app: &App,
    request: Request<pb::ListImportsRequest>,
) -> Result<pb::ListImportsResponse, Error> {
    let caller = Caller::of(&request)?;
    let ImportListing { size, page_token } = ImportListing::try_from(request.into_inner())?;
    let me = caller.user_id.to_string();
    let after = app.page_tokens.open(&page_token, &me, &())?;
    let jobs = common_db::read(&app.pool, |conn| {
        Box::pin(db::imports::list(conn, caller.user_id, after, size.limit()))
    })
    .await?;
    let page = Page::from_rows(jobs, size, |job| {
        app.page_tokens.seal(&me, &(), &(job.created_at, job.id))
    });
    Ok(pb::ListImportsResponse {
        import_jobs: page.items.into_iter().map(Into::into).collect(),
        next_page_token: page.next_page_token,
    })
}

/// Stops a job between two batches; what was applied stays.
pub(crate) async fn cancel_import(
    app: &App,
    request: Request<pb::CancelImportRequest>,
) -> Result<pb::CancelImportResponse, Error> {
    let caller = Caller::of(&request)?;
    let id = job_id(&request.get_ref().id)?;
    let job = common_db::transaction::<_, Error, _>(&app.pool, move |conn| {
        Box::pin(async move {
            db::imports::find(conn, caller.user_id, id)
                .await?
                .ok_or(Error::ImportNotFound)?;
            let job = db::imports::lock(conn, id).await?;
            if job.state.is_finished() {
                return Err(Error::ImportFinished);
            }
            Ok(db::imports::set_state(conn, id, JobState::Cancelled).await?)
        })
    })
    .await?;
    Ok(pb::CancelImportResponse {
        import_job: Some(job.into()),
    })
}

/// Outcomes read per look.
const WATCH_ROWS: i64 = 500;

/// The job now, then each outcome in row order and the job whenever it
/// changes, until the job has finished and every outcome is sent: a
/// guarded stream (see `watch::open_stream`), woken by the job's
/// announcements, with heartbeats while nothing moves.
pub(crate) async fn watch_import(
    app: &App,
    request: Request<pb::WatchImportRequest>,
) -> Result<Outbox<pb::WatchImportResponse>, Error> {
    let opening = watch::open_stream(app, StreamKind::Import, &request)?;
    let user = opening.caller().user_id;
    let pb::WatchImportRequest { id, after_row } = request.into_inner();
    let id = job_id(&id)?;
    if after_row < 0 {
        return Err(Error::invalid("after_row", "must not be negative"));
    }
    let job = {
        let mut conn = common_db::conn(&app.pool).await?;
        db::imports::find(&mut conn, user, id)
            .await?
            .ok_or(Error::ImportNotFound)?
    };
    let own = app.clone();
    Ok(opening.run(app, move |live| follow(own, user, job, after_row, live)))
}

/// Sends until done; `Ok` also when the watcher has gone.
async fn follow(
    app: App,
    user: Uuid,
    mut job: super::Job,
    mut after: i32,
    mut live: Live<pb::WatchImportResponse>,
) -> Result<(), Error> {
    use pb::watch_import_response::Event;
    let message = |event| pb::WatchImportResponse { event: Some(event) };
    if !live
        .send(message(Event::ImportJob(job.clone().into())))
        .await?
    {
        return Ok(());
    }
    loop {
        live.seen(Topic::Imports);
        let (now, rows) = {
            let mut conn = common_db::conn(&app.pool).await?;
            let now = db::imports::find(&mut conn, user, job.id)
                .await?
                .ok_or(Error::ImportNotFound)?;
            let rows = db::imports::reports(&mut conn, job.id, after, WATCH_ROWS).await?;
            (now, rows)
        };
        let caught_up = (rows.len() as i64) < WATCH_ROWS;
        for row in rows {
            after = row.row;
            if !live.send(message(Event::Row(row.into()))).await? {
                return Ok(());
            }
        }
        if now != job {
            job = now;
            if !live
                .send(message(Event::ImportJob(job.clone().into())))
                .await?
            {
                return Ok(());
            }
        }
        if job.state.is_finished() && caught_up {
            return Ok(());
        }
        if !caught_up {
            continue;
        }
        loop {
            match live.wait(Topic::Imports).await {
                Waited::News => break,
                Waited::Quiet => {
                    if !live
                        .send(message(Event::Heartbeat(pb::WatchHeartbeat {})))
                        .await?
                    {
                        return Ok(());
                    }
                }
                Waited::Gone => return Ok(()),
            }
        }
    }
}
