//! An entry's history: ListListEntryRuns, CreateListEntryRun,
//! UpdateListEntryRun, DeleteListEntryRun. Runs are also recorded by the
//! list itself, when an entry is completed (see `rules::records_run`).

use completionist_common::{
    db as common_db,
    paging::{Page, PageSize},
};
use completionist_proto::media as pb;
use tonic::Request;
use uuid::Uuid;

use super::rules;
use crate::{
    app::{App, Caller},
    db::{self, runs::NewRun},
    domain::{RunDates, parse_id},
    error::Error,
};

/// A ListListEntryRuns request.
pub(crate) struct RunListing {
    pub(crate) entry: Uuid,
    pub(crate) size: PageSize,
    pub(crate) page_token: String,
}

/// A CreateListEntryRun request.
pub(crate) struct NewRunRequest {
    pub(crate) entry: Uuid,
    pub(crate) dates: RunDates,
}

/// UpdateListEntryRun's target and masked changes; `None` leaves a date
/// alone.
#[derive(Debug, Default)]
pub(crate) struct RunUpdate {
    pub(crate) id: Uuid,
    pub(crate) start_date: Option<Option<chrono::NaiveDate>>,
    pub(crate) finish_date: Option<Option<chrono::NaiveDate>>,
}

pub(crate) async fn list_list_entry_runs(
    app: &App,
    request: Request<pb::ListListEntryRunsRequest>,
) -> Result<pb::ListListEntryRunsResponse, Error> {
    let caller = Caller::of(&request)?;
    let RunListing {
        entry,
        size,
        page_token,
    } = RunListing::try_from(request.into_inner())?;
    let me = caller.user_id.to_string();
    let after = app.page_tokens.open(&page_token, &me, &entry)?;
    let user = caller.user_id;
    let runs = common_db::read(&app.pool, |conn| {
        Box::pin(async move {
            if db::entries::find(conn, user, entry).await?.is_none() {
                return Ok(None);
            }
            db::runs::list(conn, user, entry, after, size.limit())
                .await
                .map(Some)
        })
    })
    .await?
    .ok_or(Error::ListEntryNotFound)?;
    let page = Page::from_rows(runs, size, |run| {
        app.page_tokens
            .seal(&me, &entry, &(run.dates.finish_date, run.id))
    });
    Ok(pb::ListListEntryRunsResponse {
        list_entry_runs: page.items.into_iter().map(Into::into).collect(),
        next_page_token: page.next_page_token,
    })
}

pub(crate) async fn create_list_entry_run(
    app: &App,
    request: Request<pb::CreateListEntryRunRequest>,
) -> Result<pb::CreateListEntryRunResponse, Error> {
    let caller = Caller::of(&request)?;
    let NewRunRequest { entry, dates } = NewRunRequest::try_from(request.into_inner())?;
    rules::check_run(dates, "list_entry_run.")?;
    let run = common_db::transaction::<_, Error, _>(&app.pool, move |conn| {
        Box::pin(async move {
            db::entries::find_for_update(conn, caller.user_id, entry)
                .await?
                .ok_or(Error::ListEntryNotFound)?;
            Ok(db::runs::insert(conn, &NewRun::new(entry, dates, None)).await?)
        })
    })
    .await?;
    Ok(pb::CreateListEntryRunResponse {
        list_entry_run: Some(run.into()),
    })
}

pub(crate) async fn update_list_entry_run(
    app: &App,
    request: Request<pb::UpdateListEntryRunRequest>,
) -> Result<pb::UpdateListEntryRunResponse, Error> {
    let caller = Caller::of(&request)?;
    let update = RunUpdate::try_from(request.into_inner())?;
    let run = common_db::transaction::<_, Error, _>(&app.pool, move |conn| {
        Box::pin(async move {
            let run = db::runs::find_for_update(conn, caller.user_id, update.id)
                .await?
                .ok_or(Error::RunNotFound)?;
            let dates = RunDates {
                start_date: update.start_date.unwrap_or(run.dates.start_date),
                finish_date: update.finish_date.unwrap_or(run.dates.finish_date),
            };
            rules::check_run(dates, "list_entry_run.")?;
            Ok(db::runs::update(conn, run.id, dates).await?)
        })
    })
    .await?;
    Ok(pb::UpdateListEntryRunResponse {
        list_entry_run: Some(run.into()),
    })
}

pub(crate) async fn delete_list_entry_run(
    app: &App,
    request: Request<pb::DeleteListEntryRunRequest>,
) -> Result<pb::DeleteListEntryRunResponse, Error> {
    let caller = Caller::of(&request)?;
    let pb::DeleteListEntryRunRequest { id } = request.into_inner();
    let id = parse_id(&id).map_err(|why| Error::invalid("id", why))?;
    let mut conn = common_db::conn(&app.pool).await?;
    if !db::runs::delete(&mut conn, caller.user_id, id).await? {
        return Err(Error::RunNotFound);
    }
    Ok(pb::DeleteListEntryRunResponse {})
}
