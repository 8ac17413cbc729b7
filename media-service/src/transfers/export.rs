//! ExportList: the caller's whole list as a file, streamed in chunks as it
//! is read a page at a time (memory stays flat however long the list), in
//! the order entries were added, so an edit made meanwhile neither skips
//! an entry nor writes it twice: our JSON (`formats::ours`, which
//! StartImport reads back) or CSV, whose cells cannot start a formula.

use completionist_common::db as common_db;
use completionist_proto::media as pb;
use tonic::Request;
use uuid::Uuid;

use super::formats::ours::{ExportEntry, FORMAT, VERSION};
use crate::{
    app::App,
    db,
    domain::{Entry, EpisodeWatch, Run},
    error::Error,
    watch::{self, Live, Outbox, StreamKind},
};

/// What ExportList writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ExportFormat {
    Json,
    Csv,
}

/// Entries read per page.
const PAGE: i64 = 500;
/// Bytes per message, about.
const CHUNK: usize = 64 * 1024;

/// A guarded stream (see `watch::open_stream`): a few per caller, cut off
/// when the caller stops reading.
pub(crate) async fn export_list(
    app: &App,
    request: Request<pb::ExportListRequest>,
) -> Result<Outbox<pb::ExportListResponse>, Error> {
    let opening = watch::open_stream(app, StreamKind::Export, &request)?;
    let user = opening.caller().user_id;
    let format = ExportFormat::try_from(request.into_inner())?;
    let own = app.clone();
    Ok(opening.run(app, move |live| async move {
        write(&own, user, format, live).await
    }))
}

async fn write(
    app: &App,
    user: Uuid,
    format: ExportFormat,
    live: Live<pb::ExportListResponse>,
) -> Result<(), Error> {
    let today = chrono::Utc::now().date_naive();
    let (file_name, content_type) = match format {
        ExportFormat::Json => (format!("completionist-{today}.json"), "application/json"),
        ExportFormat::Csv => (format!("completionist-{today}.csv"), "text/csv"),
    };
    let mut out = Out {
        live,
        buffer: Vec::with_capacity(CHUNK * 2),
        first: Some((file_name, content_type)),
    };
    out.begin(format);
    let mut after = None;
    let mut first = true;
    loop {
        let (entries, runs, watches) = {
            let mut conn = common_db::conn(&app.pool).await?;
            let entries = db::listing::all_after(&mut conn, user, after, PAGE).await?;
            let ids: Vec<Uuid> = entries.iter().map(|e| e.id).collect();
            let runs = db::runs::of_entries(&mut conn, &ids).await?;
            let watches = db::watches::of_entries(&mut conn, &ids).await?;
            (entries, runs, watches)
        };
        let full = entries.len() as i64 == PAGE;
        after = entries.last().map(|e| e.id);
        let mut by_entry: std::collections::HashMap<Uuid, Vec<Run>> = Default::default();
        for run in runs {
            by_entry.entry(run.entry_id).or_default().push(run);
        }
        let mut watched: std::collections::HashMap<Uuid, Vec<EpisodeWatch>> = Default::default();
        for watch in watches {
            watched.entry(watch.entry_id).or_default().push(watch);
        }
        for entry in entries {
            let mine = by_entry.remove(&entry.id).unwrap_or_default();
            let seen = watched.remove(&entry.id).unwrap_or_default();
            match format {
                ExportFormat::Json => json_entry(&mut out.buffer, first, entry, mine, seen)?,
                ExportFormat::Csv => csv_row(&mut out.buffer, entry, &mine),
            }
            first = false;
            if out.buffer.len() >= CHUNK && !out.flush().await? {
                return Ok(());
            }
        }
        if !full {
            break;
        }
    }
    if format == ExportFormat::Json {
        out.buffer.extend_from_slice(b"\n]}\n");
    }
    out.flush().await?;
    Ok(())
}

struct Out {
    live: Live<pb::ExportListResponse>,
    buffer: Vec<u8>,
    /// File name and media type, for the first message.
    first: Option<(String, &'static str)>,
}

impl Out {
    /// What comes before the entries.
    fn begin(&mut self, format: ExportFormat) {
        match format {
            ExportFormat::Json => {
                let header = serde_json::json!({
                    "format": FORMAT,
                    "version": VERSION,
                    "exported_at": chrono::Utc::now().to_rfc3339(),
                })
                .to_string();
                // The envelope's fields, then the entries one a line.
                self.buffer
                    .extend_from_slice(&header.as_bytes()[..header.len() - 1]);
                self.buffer.extend_from_slice(b",\"entries\":[");
            }
            ExportFormat::Csv => self.buffer.extend_from_slice(CSV_HEADER.as_bytes()),
        }
    }

    /// Sends what is buffered; false when the caller has gone.
    async fn flush(&mut self) -> Result<bool, Error> {
        let (file_name, content_type) = self.first.take().unwrap_or_default();
        let message = pb::ExportListResponse {
            data: std::mem::take(&mut self.buffer).into(),
            file_name,
            content_type: content_type.to_owned(),
        };
        self.live.send(message).await
    }
}

/// One entry of our JSON, on a line of its own.
fn json_entry(
    buffer: &mut Vec<u8>,
    first: bool,
    entry: Entry,
    runs: Vec<Run>,
    watches: Vec<EpisodeWatch>,
) -> Result<(), Error> {
    buffer.extend_from_slice(if first { b"\n" } else { b",\n" });
    serde_json::to_writer(&mut *buffer, &ExportEntry::new(entry, runs, watches))
        .map_err(|e| Error::Common(completionist_common::error::CommonError::Internal(e.into())))
}

const CSV_HEADER: &str = "kind,source,external_id,title,year,status,rating,progress,total_units,notes,start_date,finish_date,completion_count,runs\r\n";

/// `cell` as a spreadsheet shows it without running it: one that would
/// start a formula (`=`, `+`, `-`, `@`, or a tab or carriage return before
/// one) gets a leading `'`, as OWASP advises against CSV injection.
fn inert(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

/// One entry as a CSV row; runs as `start..finish` joined by `;`.
fn csv_row(buffer: &mut Vec<u8>, entry: Entry, runs: &[Run]) {
    let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    let runs: Vec<String> = runs
        .iter()
        .map(|r| {
            format!(
                "{}..{}",
                date(r.dates.start_date),
                date(r.dates.finish_date)
            )
        })
        .collect();
    let fields = [
        entry.item.kind.to_string(),
        entry.item.source.to_string(),
        entry.item.external_id.clone().unwrap_or_default(),
        entry.item.title.clone(),
        entry.item.year.map(|y| y.to_string()).unwrap_or_default(),
        entry.fields.status.to_string(),
        entry
            .fields
            .rating
            .map(|r| r.get().to_string())
            .unwrap_or_default(),
        entry.fields.progress.get().to_string(),
        entry
            .item
            .total_units
            .map(|t| t.to_string())
            .unwrap_or_default(),
        entry.fields.notes.as_str().to_owned(),
        date(entry.fields.start_date),
        date(entry.fields.finish_date),
        entry.completion_count.to_string(),
        runs.join(";"),
    ];
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    // Writing to memory cannot fail.
    let _ = writer.write_record(fields.iter().map(|cell| inert(cell).into_owned()));
    if let Ok(bytes) = writer.into_inner() {
        buffer.extend_from_slice(&bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::inert;

    #[test]
    fn cells_that_would_start_a_formula_are_made_text() {
        for cell in [
            "=HYPERLINK(\"x\")",
            "+1",
            "-2+3",
            "@SUM(A1)",
            "\t=1",
            "\r=1",
        ] {
            assert_eq!(inert(cell), format!("'{cell}"));
        }
        for cell in ["Dune", "2021", "", " =1", "a=b"] {
            assert_eq!(inert(cell), cell);
        }
    }
}
