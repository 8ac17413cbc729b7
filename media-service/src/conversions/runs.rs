//! The history's messages.

use completionist_common::{error::Violations, field_mask, paging::PageSize, time::timestamp};
use completionist_proto::media as pb;

use super::{date, date_to_proto};
use crate::{
    domain::{Run, RunDates, parse_id},
    error::Error,
    list::{NewRunRequest, RunListing, RunUpdate},
};

impl TryFrom<pb::ListListEntryRunsRequest> for RunListing {
    type Error = Error;

    fn try_from(request: pb::ListListEntryRunsRequest) -> Result<Self, Error> {
        let pb::ListListEntryRunsRequest {
            parent,
            page_size,
            page_token,
        } = request;
        let mut v = Violations::default();
        let entry = v.check("parent", parse_id(&parent));
        let size = v.check("page_size", PageSize::parse(page_size, 20, 100));
        let (entry, size) = v.finish((entry, size))?;
        Ok(Self {
            entry,
            size,
            page_token,
        })
    }
}

impl TryFrom<pb::CreateListEntryRunRequest> for NewRunRequest {
    type Error = Error;

    fn try_from(request: pb::CreateListEntryRunRequest) -> Result<Self, Error> {
        let pb::CreateListEntryRunRequest {
            parent,
            list_entry_run,
        } = request;
        let pb::ListEntryRun {
            id: _,
            list_entry_id: _,
            start_date,
            finish_date,
            create_time: _,
        } = list_entry_run.unwrap_or_default();
        let mut v = Violations::default();
        let entry = v.check("parent", parse_id(&parent));
        let start_date = v.check("list_entry_run.start_date", date(start_date.as_ref()));
        let finish_date = v.check("list_entry_run.finish_date", date(finish_date.as_ref()));
        let (entry, start_date, finish_date) = v.finish((entry, start_date, finish_date))?;
        Ok(Self {
            entry,
            dates: RunDates {
                start_date,
                finish_date,
            },
        })
    }
}

/// The id and the masked changes of an UpdateListEntryRun request.
impl TryFrom<pb::UpdateListEntryRunRequest> for RunUpdate {
    type Error = Error;

    fn try_from(request: pb::UpdateListEntryRunRequest) -> Result<Self, Error> {
        let pb::UpdateListEntryRunRequest {
            list_entry_run,
            update_mask,
        } = request;
        let Some(run) = list_entry_run else {
            return Err(Error::invalid("list_entry_run", "is required"));
        };
        let pb::ListEntryRun {
            id,
            list_entry_id: _,
            start_date,
            finish_date,
            create_time: _,
        } = run;
        let mut v = Violations::default();
        let id = v.check("list_entry_run.id", parse_id(&id));
        let mut update = RunUpdate::default();
        let fields = [
            ("start_date", start_date.is_some()),
            ("finish_date", finish_date.is_some()),
        ];
        field_mask::apply(update_mask, &fields, &mut v, |path, v| {
            let (field, value) = match path {
                "start_date" => (&mut update.start_date, &start_date),
                _ => (&mut update.finish_date, &finish_date),
            };
            *field = v.check(&format!("list_entry_run.{path}"), date(value.as_ref()));
        });
        let (id,) = v.finish((id,))?;
        Ok(RunUpdate { id, ..update })
    }
}

impl From<Run> for pb::ListEntryRun {
    fn from(run: Run) -> Self {
        let Run {
            id,
            entry_id,
            dates,
            created_at,
        } = run;
        Self {
            id: id.to_string(),
            list_entry_id: entry_id.to_string(),
            start_date: dates.start_date.map(date_to_proto),
            finish_date: dates.finish_date.map(date_to_proto),
            create_time: Some(timestamp(created_at)),
        }
    }
}
