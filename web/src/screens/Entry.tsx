// One entry: status, progress (+1 in one tap), rating, notes, dates, a
// series' episodes (`Episodes`), and the runs (each completed viewing,
// reading or play-through).
import { useEffect, useState } from "preact/hooks";
import { useLocation, useRoute } from "preact-iso";
import { media } from "../api";
import { fromInput, toInput } from "../dates";
import { describe, problem, type Problem } from "../errors";
import { Alert, Field } from "../form";
import { type ListEntry, type ListEntryRun, ListStatus, MediaKind } from "../gen/completionist/media/v1/media_pb";
import { STATUSES, kindName, unitName } from "../labels";
import { useLiveList } from "../live";
import { Episodes } from "./Episodes";

const camel = (name: string) => name.replace(/_(.)/g, (_, c: string) => c.toUpperCase());

const FIELDS = ["status", "progress", "rating", "notes", "start_date", "finish_date"] as const;
type FieldName = (typeof FIELDS)[number];
/** The form's fields as their inputs hold them. */
type Draft = Partial<Record<FieldName, string>>;

function stored(entry: ListEntry): Record<FieldName, string> {
  return {
    status: String(entry.status),
    progress: String(entry.progress),
    rating: entry.rating === undefined ? "" : String(entry.rating),
    notes: entry.notes,
    start_date: toInput(entry.startDate),
    finish_date: toInput(entry.finishDate),
  };
}

/** A field's input as the request takes it. */
function parse(name: FieldName, value: string): unknown {
  switch (name) {
    case "status":
      return Number(value);
    case "progress":
      return Number(value || 0);
    case "rating":
      return value === "" ? undefined : Number(value);
    case "notes":
      return value;
    case "start_date":
    case "finish_date":
      return fromInput(value);
  }
}

const span = (run: ListEntryRun) => `${toInput(run.startDate) || "?"} – ${toInput(run.finishDate) || "?"}`;

export function Entry() {
  const { params } = useRoute();
  const { route } = useLocation();
  const id = params.id ?? "";
  const [entry, setEntry] = useState<ListEntry>();
  const [runs, setRuns] = useState<ListEntryRun[]>([]);
  const [failed, setFailed] = useState<Problem>();
  const [saved, setSaved] = useState("");
  const [draft, setDraft] = useState<Draft>({});
  /** Bumped when the entry changed elsewhere: its episodes are read again. */
  const [version, setVersion] = useState(0);

  const load = async () => {
    try {
      const [got, listed] = await Promise.all([
        media.getListEntry({ id }),
        media.listListEntryRuns({ parent: id, pageSize: 100 }),
      ]);
      setEntry(got.listEntry);
      setRuns(listed.listEntryRuns);
    } catch (e) {
      setFailed(problem(e));
    }
  };
  useEffect(() => {
    setDraft({});
    void load();
  }, [id]);
  useLiveList({
    onChange(change) {
      if (change.listEntryId !== id) return;
      if (!change.listEntry) route("/");
      else {
        setEntry(change.listEntry);
        setVersion((v) => v + 1);
        if (change.runsChanged) void load();
      }
    },
    onReset: () => void load(),
    // One entry, read whole by `load`: changes from now on.
  }, "");

  if (!entry) return <main>{failed ? <Alert>{describe(failed)}</Alert> : <p>Loading…</p>}</main>;
  const item = entry.mediaItem;
  const kind = item?.kind ?? 0;
  const err = (field: string) => failed?.fields[`list_entry.${field}`];

  /** What the form shows for each field: the person's unsaved edit, or
   * the entry as last heard of (a save, a +1, a change made elsewhere). */
  const value = (name: FieldName) => draft[name] ?? stored(entry)[name];
  const edit = (name: FieldName) => (event: Event) => {
    const input = event.currentTarget as HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;
    setDraft((d) => ({ ...d, [name]: input.value }));
  };

  /** +1, added by the service to the progress it has (so two devices, or
   * a double click, both count); it replaces a progress typed but not
   * saved. Progress on a planned entry starts it. */
  const bump = async () => {
    try {
      const { listEntry } = await media.updateListEntry({ listEntry: { id }, progressIncrement: 1 });
      setEntry(listEntry);
      setDraft((d) => ({ ...d, progress: undefined }));
      setFailed(undefined);
      setSaved("Saved.");
    } catch (e) {
      setFailed(problem(e));
      setSaved("");
    }
  };

  /** Saves the fields edited in the form: only those are sent, so the
   * service's rules still apply to the rest (completing fills the finish
   * date and progress unless given). */
  const save = async (event: Event) => {
    event.preventDefault();
    let update = {};
    let mask: string[] = [];
    const edits = draft;
    const now = stored(entry);
    for (const name of FIELDS) {
      const edited = edits[name];
      if (edited === undefined || edited === now[name]) continue;
      update = { ...update, [camel(name)]: parse(name, edited) };
      mask = [...mask, name];
    }
    if (mask.length === 0) {
      setSaved("Nothing to save.");
      return;
    }
    try {
      const { listEntry } = await media.updateListEntry({ listEntry: { id, ...update }, updateMask: { paths: mask } });
      setEntry(listEntry);
      // The form now shows the entry saved. Edits made while it was
      // being saved stay.
      setDraft((d) => {
        const left = { ...d };
        for (const name of FIELDS) {
          if (left[name] === edits[name]) delete left[name];
        }
        return left;
      });
      setFailed(undefined);
      setSaved("Saved.");
      if (mask.includes("status")) void load();
    } catch (e) {
      setFailed(problem(e));
      setSaved("");
    }
  };

  const remove = async () => {
    if (!confirm(`Remove ${item?.title ?? "this entry"} from your list, with its progress, notes and runs?`)) return;
    try {
      await media.removeListEntry({ id });
      route("/");
    } catch (e) {
      setFailed(problem(e));
    }
  };

  const addRun = async (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    try {
      await media.createListEntryRun({
        parent: id,
        listEntryRun: {
          startDate: fromInput(String(form.get("run_start") ?? "")),
          finishDate: fromInput(String(form.get("run_finish") ?? "")),
        },
      });
      await load();
    } catch (e) {
      setFailed(problem(e));
    }
  };

  /** A rewatch (reread, replay): the finished run stays in the history,
   * and the entry starts again from nothing. */
  const again = async () => {
    try {
      const { listEntry } = await media.updateListEntry({
        listEntry: { id, status: ListStatus.IN_PROGRESS },
        updateMask: { paths: ["status"] },
      });
      setEntry(listEntry);
      setVersion((v) => v + 1);
      setDraft({});
    } catch (e) {
      setFailed(problem(e));
    }
  };

  const deleteRun = async (run: ListEntryRun) => {
    if (!confirm(`Forget the run ${span(run)}?`)) return;
    try {
      await media.deleteListEntryRun({ id: run.id });
      await load();
    } catch (e) {
      setFailed(problem(e));
    }
  };

  return (
    <main>
      <h1>{item?.title}</h1>
      <p>
        {kindName(kind)}
        {item?.year !== undefined && ` · ${item.year}`}
        {item?.totalUnits !== undefined && ` · ${item.totalUnits} ${unitName(kind, item.totalUnits)}`} · completed{" "}
        {entry.completionCount} {entry.completionCount === 1 ? "time" : "times"}
      </p>
      <form class="entry-form" onSubmit={(e) => void save(e)} noValidate>
        <div class="field">
          <label for="status">Status</label>
          <select id="status" name="status" value={value("status")} onChange={edit("status")}>
            {STATUSES.map(([v, name]) => (
              <option value={v}>{name}</option>
            ))}
          </select>
        </div>
        <div class="progress-row">
          <Field
            label={`Progress (${unitName(kind, 2)})`}
            name="progress"
            type="number"
            min={0}
            value={value("progress")}
            onInput={edit("progress")}
            error={err("progress")}
          />
          <button type="button" onClick={() => void bump()}>
            +1
          </button>
        </div>
        <Field label="Rating (1–10)" name="rating" type="number" min={1} max={10} value={value("rating")} onInput={edit("rating")} error={err("rating")} />
        <div class="field">
          <label for="notes">Notes</label>
          <textarea id="notes" name="notes" rows={4} value={value("notes")} onInput={edit("notes")} aria-invalid={err("notes") ? "true" : undefined} />
          {err("notes") && <p class="field-error">{err("notes")}</p>}
        </div>
        <Field label="Started" name="start_date" type="date" value={value("start_date")} onInput={edit("start_date")} error={err("start_date")} />
        <Field label="Finished" name="finish_date" type="date" value={value("finish_date")} onInput={edit("finish_date")} error={err("finish_date")} />
        <Alert>{failed && Object.keys(failed.fields).length === 0 && describe(failed)}</Alert>
        <p role="status">{saved}</p>
        <button type="submit">Save</button>
      </form>
      {entry.status === ListStatus.COMPLETED && (
        <button type="button" onClick={() => void again()}>
          Start again{kind === MediaKind.SERIES || kind === MediaKind.ANIME ? " (rewatch)" : ""}
        </button>
      )}
      {(kind === MediaKind.SERIES || kind === MediaKind.ANIME) && (
        <Episodes entryId={id} version={version} onEntry={setEntry} />
      )}
      <section aria-labelledby="runs">
        <h2 id="runs">Runs</h2>
        <ul>
          {runs.map((run) => (
            <li>
              {span(run)}{" "}
              <button type="button" class="link" onClick={() => void deleteRun(run)}>
                Forget this run
              </button>
            </li>
          ))}
        </ul>
        <form class="run-form" onSubmit={(e) => void addRun(e)}>
          <Field label="Run started" name="run_start" type="date" />
          <Field label="Run finished" name="run_finish" type="date" />
          <button type="submit">Record a run</button>
        </form>
      </section>
      <button type="button" class="danger" onClick={() => void remove()}>
        Remove from list
      </button>
    </main>
  );
}
