// Search one kind at its provider and add results to the list.
import { useState } from "preact/hooks";
import { media } from "../api";
import { describe, problem } from "../errors";
import { Alert } from "../form";
import { ListStatus, MediaKind, type SearchResult } from "../gen/completionist/media/v1/media_pb";
import { KINDS, unitName } from "../labels";

export function Search() {
  const [kind, setKind] = useState(MediaKind.MOVIE);
  const [results, setResults] = useState<SearchResult[]>([]);
  const [added, setAdded] = useState<Set<string>>(new Set());
  const [error, setError] = useState("");
  const [fieldError, setFieldError] = useState("");
  const [busy, setBusy] = useState(false);

  const search = async (event: Event) => {
    event.preventDefault();
    const query = String(new FormData(event.currentTarget as HTMLFormElement).get("query") ?? "");
    setBusy(true);
    try {
      const response = await media.searchMedia({ kind, query });
      setResults(response.results);
      setError("");
      setFieldError("");
    } catch (e) {
      const p = problem(e);
      setFieldError(p.fields.query ?? "");
      setError(p.fields.query ? "" : describe(p));
    } finally {
      setBusy(false);
    }
  };

  const add = async (result: SearchResult) => {
    const key = result.reference?.externalId ?? result.title;
    try {
      await media.addListEntry({
        media: { case: "reference", value: result.reference! },
        status: ListStatus.PLANNED,
      });
      setAdded((s) => new Set(s).add(key));
    } catch (e) {
      const p = problem(e);
      if (p.reason === "ALREADY_ON_LIST" || p.code === 6) setAdded((s) => new Set(s).add(key));
      else setError(describe(p));
    }
  };

  return (
    <main>
      <h1>Search</h1>
      <form class="search" onSubmit={search} role="search" noValidate>
        <label>
          Kind
          <select value={kind} onChange={(e) => setKind(Number(e.currentTarget.value))}>
            {KINDS.map(([v, name]) => (
              <option value={v}>{name}</option>
            ))}
          </select>
        </label>
        <label>
          Title
          <input name="query" type="search" aria-invalid={fieldError ? "true" : undefined} aria-describedby={fieldError ? "query-error" : undefined} />
        </label>
        <button type="submit" disabled={busy}>
          Search
        </button>
        {fieldError && (
          <p class="field-error" id="query-error">
            {fieldError}
          </p>
        )}
      </form>
      <Alert>{error}</Alert>
      <p role="status">
        {busy ? "Searching…" : ""}
      </p>
      <ul class="results" aria-busy={busy}>
        {results.map((r) => {
          const key = r.reference?.externalId ?? r.title;
          return (
            <li class="entry">
              {r.imageUrl ? <img src={r.imageUrl} alt="" loading="lazy" width={60} height={90} /> : <div class="cover" />}
              <div class="entry-text">
                <p class="entry-title">{r.title}</p>
                <p>
                  {r.year ?? "—"}
                  {r.totalUnits !== undefined && ` · ${r.totalUnits} ${unitName(kind, r.totalUnits)}`}
                </p>
              </div>
              <button type="button" onClick={() => void add(r)} disabled={added.has(key)}>
                {added.has(key) ? "On your list" : "Add"}
              </button>
            </li>
          );
        })}
      </ul>
    </main>
  );
}
