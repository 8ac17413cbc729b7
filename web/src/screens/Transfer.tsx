// Moving a whole list in and out: import a file (MyAnimeList, Goodreads,
// Letterboxd, Trakt, IMDb or our own JSON export) and watch it land row by
// row; export the list as JSON (which imports again) or CSV (for
// spreadsheets only) and download it.
import { Component } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { media } from "../api";
import { describe, problem } from "../errors";
import { Alert } from "../form";
import { follow } from "../streams";
import {
  ConflictPolicy,
  ExportFormat,
  ImportFormat,
  ImportState,
  RowOutcome,
  type ImportJob,
  type ImportRow,
} from "../gen/completionist/media/v1/media_pb";

const FORMATS: [ImportFormat, string][] = [
  [ImportFormat.UNSPECIFIED, "Tell from the file"],
  [ImportFormat.MYANIMELIST, "MyAnimeList (XML, may be gzipped)"],
  [ImportFormat.GOODREADS, "Goodreads (CSV)"],
  [ImportFormat.LETTERBOXD, "Letterboxd (ZIP or CSV)"],
  [ImportFormat.TRAKT, "Trakt (JSON)"],
  [ImportFormat.IMDB, "IMDb (CSV)"],
  [ImportFormat.COMPLETIONIST, "Completionist export (JSON; not CSV)"],
];

const POLICIES: [ConflictPolicy, string][] = [
  [ConflictPolicy.SKIP, "Keep what I have"],
  [ConflictPolicy.MERGE, "Merge (greater progress, later dates)"],
  [ConflictPolicy.OVERWRITE, "Replace with the file's"],
];

const OUTCOMES: Record<number, string> = {
  [RowOutcome.CREATED]: "Added",
  [RowOutcome.UPDATED]: "Updated",
  [RowOutcome.UNCHANGED]: "Unchanged",
  [RowOutcome.SKIPPED]: "Skipped",
  [RowOutcome.FAILED]: "Failed",
};

const STATES: Record<number, string> = {
  [ImportState.QUEUED]: "Waiting to start",
  [ImportState.RUNNING]: "Importing",
  [ImportState.DONE]: "Done",
  [ImportState.CANCELLED]: "Cancelled",
  [ImportState.FAILED]: "Failed",
};

export function Transfer() {
  return (
    <main>
      <h1>Import and export</h1>
      <Import />
      <Export />
    </main>
  );
}

function Import() {
  const [file, setFile] = useState<File>();
  const [format, setFormat] = useState(ImportFormat.UNSPECIFIED);
  const [policy, setPolicy] = useState(ConflictPolicy.SKIP);
  const [job, setJob] = useState<ImportJob>();
  const [rows, setRows] = useState<ImportRow[]>([]);
  const [everyRow, setEveryRow] = useState(false);
  const [error, setError] = useState("");
  const [fileError, setFileError] = useState("");
  const busy = job !== undefined && (job.state === ImportState.QUEUED || job.state === ImportState.RUNNING);
  /** Stops watching the job (a new one is watched, or the screen is left). */
  const watching = useRef<AbortController>();
  useEffect(() => () => watching.current?.abort(), []);
  /** Rows come hundreds at a time: the table takes them once a frame. */
  const arrived = useRef<ImportRow[]>([]);
  const show = (row: ImportRow) => {
    if (arrived.current.push(row) > 1) return;
    requestAnimationFrame(() => {
      const batch = arrived.current;
      arrived.current = [];
      setRows((seen) => seen.concat(batch));
    });
  };

  const start = async (event: Event) => {
    event.preventDefault();
    setError("");
    setFileError("");
    if (!file) {
      setFileError("Choose a file to import.");
      return;
    }
    try {
      const content = new Uint8Array(await file.arrayBuffer());
      const started = await media.startImport({ content, fileName: file.name, format, conflictPolicy: policy });
      setRows([]);
      setJob(started.importJob);
      if (started.importJob) await watch(started.importJob.id);
    } catch (e) {
      const p = problem(e);
      if (p.fields.content || p.fields.file_name) setFileError(p.fields.content ?? p.fields.file_name);
      else setError(describe(p));
    }
  };

  /** Follows the job to its end, resuming after the last row seen (after
   * a lost connection or an expired token too), until the screen is left. */
  const watch = async (id: string) => {
    watching.current?.abort();
    const stop = new AbortController();
    watching.current = stop;
    let afterRow = 0;
    try {
      await follow(
        {
          open: (signal) => media.watchImport({ id, afterRow }, { signal }),
          onMessage(message) {
            if (message.event.case === "importJob") setJob(message.event.value);
            if (message.event.case === "row") {
              const row = message.event.value;
              afterRow = row.row;
              show(row);
            }
          },
        },
        stop.signal,
      );
    } catch (e) {
      setError(describe(problem(e)));
    }
  };

  const cancel = async () => {
    if (!job) return;
    try {
      const { importJob } = await media.cancelImport({ id: job.id });
      setJob(importJob);
    } catch (e) {
      setError(describe(problem(e)));
    }
  };

  const shown = everyRow ? rows : rows.filter((r) => r.outcome === RowOutcome.FAILED || r.outcome === RowOutcome.SKIPPED);
  const settled = job ? job.createdCount + job.updatedCount + job.unchangedCount + job.skippedCount + job.failedCount : 0;
  return (
    <section aria-labelledby="import-title">
      <h2 id="import-title">Import</h2>
      <form onSubmit={(e) => void start(e)} noValidate>
        <div class="field">
          <label for="import-file">File</label>
          <input
            id="import-file"
            type="file"
            aria-invalid={fileError ? "true" : undefined}
            aria-describedby={fileError ? "import-file-error" : undefined}
            onChange={(e) => setFile(e.currentTarget.files?.[0])}
          />
          {fileError && (
            <p class="field-error" id="import-file-error">
              {fileError}
            </p>
          )}
        </div>
        <div class="filters">
          <label>
            Format
            <select value={format} onChange={(e) => setFormat(Number(e.currentTarget.value))}>
              {FORMATS.map(([v, name]) => (
                <option value={v}>{name}</option>
              ))}
            </select>
          </label>
          <label>
            When an entry is already on my list
            <select value={policy} onChange={(e) => setPolicy(Number(e.currentTarget.value))}>
              {POLICIES.map(([v, name]) => (
                <option value={v}>{name}</option>
              ))}
            </select>
          </label>
        </div>
        <button type="submit" disabled={busy}>
          Import
        </button>
      </form>
      <Alert>{error}</Alert>
      {job && (
        <div class="import-job">
          <p role="status">
            {STATES[job.state] ?? "Starting"}: {settled} of {job.totalRows} rows
          </p>
          <progress max={Math.max(job.totalRows, 1)} value={settled} aria-label="Import progress" />
          {job.failure && (
            <p>
              {job.state === ImportState.FAILED ? "It stopped: " : "Retrying after: "}
              {job.failure}
            </p>
          )}
          <p>
            {job.createdCount} added · {job.updatedCount} updated · {job.unchangedCount} unchanged · {job.skippedCount}{" "}
            skipped · {job.failedCount} failed
          </p>
          {busy && (
            <button type="button" onClick={() => void cancel()}>
              Cancel import
            </button>
          )}
          <label class="check">
            <input type="checkbox" checked={everyRow} onChange={(e) => setEveryRow(e.currentTarget.checked)} />
            Show every row, not only the skipped and failed
          </label>
          {shown.length > 0 && (
            <div class="table-scroll">
              <table>
                <caption>Rows</caption>
                <thead>
                  <tr>
                    <th scope="col">Row</th>
                    <th scope="col">Title</th>
                    <th scope="col">Outcome</th>
                    <th scope="col">Why</th>
                  </tr>
                </thead>
                <tbody>
                  {shown.map((r) => (
                    <Row key={r.row} row={r} />
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </div>
      )}
    </section>
  );
}

/** One row of the report. A row's outcome never changes once sent, so a
 * new row renders itself alone, not the thousands before it. */
class Row extends Component<{ row: ImportRow }> {
  shouldComponentUpdate(next: { row: ImportRow }) {
    return next.row !== this.props.row;
  }

  render({ row }: { row: ImportRow }) {
    return (
      <tr>
        <td>{row.line ? `line ${row.line}` : row.row}</td>
        <td>{row.listEntryId ? <a href={`/entries/${row.listEntryId}`}>{row.title}</a> : row.title}</td>
        <td>{OUTCOMES[row.outcome] ?? "—"}</td>
        <td>{row.message}</td>
      </tr>
    );
  }
}

function Export() {
  const [format, setFormat] = useState(ExportFormat.JSON);
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  const download = async () => {
    setBusy(true);
    setError("");
    try {
      let parts: Uint8Array<ArrayBuffer>[] = [];
      let name = "completionist-export";
      let type = "application/octet-stream";
      // An export cannot resume: one that fails (its token expired while
      // the file was written, say) starts over, a few times at most.
      const done = await follow(
        {
          open(signal) {
            parts = [];
            return media.exportList({ format }, { signal });
          },
          onMessage(chunk) {
            if (chunk.fileName) name = chunk.fileName;
            if (chunk.contentType) type = chunk.contentType;
            parts.push(new Uint8Array(chunk.data));
          },
          tries: 3,
        },
      );
      if (!done) return;
      const url = URL.createObjectURL(new Blob(parts, { type }));
      const link = document.createElement("a");
      link.href = url;
      link.download = name;
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (e) {
      setError(describe(problem(e)));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="export-title">
      <h2 id="export-title">Export</h2>
      <div class="filters">
        <label>
          Format
          <select value={format} onChange={(e) => setFormat(Number(e.currentTarget.value))}>
            <option value={ExportFormat.JSON}>JSON (can be imported again)</option>
            <option value={ExportFormat.CSV}>CSV (for spreadsheets; cannot be imported)</option>
          </select>
        </label>
        <button type="button" onClick={() => void download()} disabled={busy}>
          Download my list
        </button>
      </div>
      <Alert>{error}</Alert>
    </section>
  );
}
