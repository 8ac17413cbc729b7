//! The imports' and exports' messages.

use completionist_common::{error::Violations, paging::PageSize, time::timestamp};
use completionist_proto::media as pb;

use super::{ProtoEnum, proto_enum};
use crate::{
    error::Error,
    transfers::{
        ImportListing, Job, JobState, NewImport, Outcome, Policy, RowReport, export::ExportFormat,
        formats::Format,
    },
};

proto_enum!(Format, pb::ImportFormat, "import format" {
    Myanimelist => MyAnimeList, Goodreads, Letterboxd, Trakt, Imdb, Completionist,
});
proto_enum!(Policy, pb::ConflictPolicy, "conflict policy" { Skip, Overwrite, Merge });
proto_enum!(JobState, pb::ImportState, "import state" { Queued, Running, Done, Cancelled, Failed });
proto_enum!(Outcome, pb::RowOutcome, "row outcome" {
    Created, Updated, Unchanged, Skipped, Failed,
});

/// The longest file name kept.
const MAX_FILE_NAME: usize = 255;

impl TryFrom<pb::StartImportRequest> for NewImport {
    type Error = Error;

    fn try_from(request: pb::StartImportRequest) -> Result<Self, Error> {
        let pb::StartImportRequest {
            content,
            file_name,
            format,
            conflict_policy,
        } = request;
        let mut v = Violations::default();
        if content.is_empty() {
            v.add("content", "must not be empty");
        }
        let file_name = file_name.trim().to_owned();
        if file_name.chars().count() > MAX_FILE_NAME {
            v.add(
                "file_name",
                format!("must be at most {MAX_FILE_NAME} characters"),
            );
        }
        let format = v.check("format", Format::filter_from_proto(format));
        let policy = match conflict_policy {
            0 => Ok(Policy::Skip),
            policy => Policy::from_proto(policy),
        };
        let policy = v.check("conflict_policy", policy);
        let (format, policy) = v.finish((format, policy))?;
        Ok(Self {
            content,
            file_name,
            format,
            policy,
        })
    }
}

impl TryFrom<pb::ListImportsRequest> for ImportListing {
    type Error = Error;

    fn try_from(request: pb::ListImportsRequest) -> Result<Self, Error> {
        let pb::ListImportsRequest {
            page_size,
            page_token,
        } = request;
        let size =
            PageSize::parse(page_size, 20, 100).map_err(|why| Error::invalid("page_size", why))?;
        Ok(Self { size, page_token })
    }
}

impl TryFrom<pb::ExportListRequest> for ExportFormat {
    type Error = Error;

    fn try_from(request: pb::ExportListRequest) -> Result<Self, Error> {
        let pb::ExportListRequest { format } = request;
        match pb::ExportFormat::try_from(format) {
            Ok(pb::ExportFormat::Unspecified | pb::ExportFormat::Json) => Ok(Self::Json),
            Ok(pb::ExportFormat::Csv) => Ok(Self::Csv),
            Err(_) => Err(Error::invalid(
                "format",
                format!("unknown export format {format}"),
            )),
        }
    }
}

impl From<Job> for pb::ImportJob {
    fn from(job: Job) -> Self {
        let Job {
            id,
            user_id: _,
            file_name,
            format,
            policy,
            state,
            total_rows,
            counts,
            created_at,
            updated_at,
            finished_at,
            failure,
        } = job;
        Self {
            id: id.to_string(),
            file_name,
            format: format.to_proto(),
            conflict_policy: policy.to_proto(),
            state: state.to_proto(),
            total_rows,
            created_count: counts.created,
            updated_count: counts.updated,
            unchanged_count: counts.unchanged,
            skipped_count: counts.skipped,
            failed_count: counts.failed,
            create_time: Some(timestamp(created_at)),
            update_time: Some(timestamp(updated_at)),
            finish_time: finished_at.map(timestamp),
            failure,
        }
    }
}

impl From<RowReport> for pb::ImportRow {
    fn from(report: RowReport) -> Self {
        let RowReport {
            row,
            line,
            file,
            title,
            outcome,
            message,
            entry_id,
        } = report;
        Self {
            row,
            line,
            file,
            title,
            outcome: outcome.to_proto(),
            message,
            list_entry_id: entry_id.map(|id| id.to_string()).unwrap_or_default(),
        }
    }
}
