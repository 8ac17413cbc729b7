// One entry: status, progress (+1 in one tap), rating, notes, dates, and
// the runs (each completed viewing, reading or play-through).
import { useEffect, useState } from "preact/hooks";
import { useLocation, useRoute } from "preact-iso";
import { media } from "../api";
import { fromInput, toInput } from "../dates";
import { describe, problem, type Problem } from "../errors";
import { Alert, Field } from "../form";
import type { ListEntry, ListEntryRun } from "../gen/completionist/media/v1/media_pb";
import { STATUSES, kindName, unitName } from "../labels";
import { useLiveList } from "../live";

const EDITABLE = ["status", "progress", "rating", "notes", "start_date", "finish_date"];

export function Entry() {
  const { params } = useRoute();
  const { route } = useLocation();
  const id = params.id ?? "";
  const [entry, setEntry] = useState<ListEntry>();
  const [runs, setRuns] = useState<ListEntryRun[]>([]);
  const [failed, setFailed] = useState<Problem>();
  const [saved, setSaved] = useState("");

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
  useEffect(() => void load(), [id]);
  useLiveList({
    onChange(change) {
      if (change.listEntryId !== id) return;
      if (!change.listEntry) route("/");
      else {
        setEntry(change.listEntry);
        if (change.runsChanged) void load();
      }
    },
    onReset: () => void load(),
  });

  if (!entry) return <main>{failed ? <Alert>{describe(failed)}</Alert> : <p>Loading…</p>}</main>;
  const item = entry.mediaItem;
  const kind = item?.kind ?? 0;
  const err = (field: string) => failed?.fields[`list_entry.${field}`];

  const save = async (event: Event, patch?: Omit<Partial<ListEntry>, "$typeName" | "$unknown">, paths = EDITABLE) => {
    event.preventDefault();
    const form = new FormData((event.currentTarget as HTMLElement).closest("form")!);
    const rating = String(form.get("rating") ?? "");
    const update = patch ?? {
      status: Number(form.get("status")),
      progress: Number(form.get("progress") || 0),
      rating: rating === "" ? undefined : Number(rating),
      notes: String(form.get("notes") ?? ""),
      startDate: fromInput(String(form.get("start_date") ?? "")),
      finishDate: fromInput(String(form.get("finish_date") ?? "")),
    };
    try {
      const { listEntry } = await media.updateListEntry({ listEntry: { id, ...update }, updateMask: { paths } });
      setEntry(listEntry);
      setFailed(undefined);
      setSaved("Saved.");
    } catch (e) {
      setFailed(problem(e));
      setSaved("");
    }
  };

  const remove = async () => {
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

  const deleteRun = async (run: ListEntryRun) => {
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
          <select id="status" name="status" value={entry.status}>
            {STATUSES.map(([v, name]) => (
              <option value={v}>{name}</option>
            ))}
          </select>
        </div>
        <div class="progress-row">
          <Field label={`Progress (${unitName(kind, 2)})`} name="progress" type="number" min={0} value={entry.progress} error={err("progress")} />
          <button type="button" onClick={(e) => void save(e, { progress: entry.progress + 1 }, ["progress"])}>
            +1
          </button>
        </div>
        <Field label="Rating (1–10)" name="rating" type="number" min={1} max={10} value={entry.rating ?? ""} error={err("rating")} />
        <div class="field">
          <label for="notes">Notes</label>
          <textarea id="notes" name="notes" rows={4} aria-invalid={err("notes") ? "true" : undefined}>
            {entry.notes}
          </textarea>
          {err("notes") && <p class="field-error">{err("notes")}</p>}
        </div>
        <Field label="Started" name="start_date" type="date" value={toInput(entry.startDate)} error={err("start_date")} />
        <Field label="Finished" name="finish_date" type="date" value={toInput(entry.finishDate)} error={err("finish_date")} />
        <Alert>{failed && Object.keys(failed.fields).length === 0 && describe(failed)}</Alert>
        <p role="status">{saved}</p>
        <button type="submit">Save</button>
      </form>
      <section aria-labelledby="runs">
        <h2 id="runs">Runs</h2>
        <ul>
          {runs.map((run) => (
            <li>
              {toInput(run.startDate) || "?"} – {toInput(run.finishDate) || "?"}{" "}
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
