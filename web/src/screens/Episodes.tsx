// A series' episodes on its entry's page: seasons as collapsible groups,
// each episode with when it airs (in this browser's time zone), one tap to
// mark it watched or not, "watched up to here", a whole season at once,
// how many times each was seen, and the next one to watch. Changes made
// elsewhere arrive through the entry's page (it calls `reload`).
import type { MessageInitShape } from "@bufbuild/protobuf";
import { useEffect, useState } from "preact/hooks";
import { media } from "../api";
import { describe, problem } from "../errors";
import { Alert } from "../form";
import {
  type Episode,
  type EpisodeSelectionSchema,
  type ListEntry,
  type ListEpisodesResponse,
  ShowStatus,
} from "../gen/completionist/media/v1/media_pb";
import { airs } from "../when";

/** "S2E5", or "S2 special". */
export const label = (e: Pick<Episode, "season" | "number" | "special">) =>
  e.special || e.number === undefined ? `S${e.season} special` : `S${e.season}E${e.number}`;

type Selection = MessageInitShape<typeof EpisodeSelectionSchema>["selection"];

export function Episodes({ entryId, version, onEntry }: { entryId: string; version: number; onEntry: (e: ListEntry) => void }) {
  const [show, setShow] = useState<ListEpisodesResponse>();
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  const load = async () => {
    try {
      setShow(await media.listEpisodes({ listEntryId: entryId }));
      setError("");
    } catch (e) {
      setError(describe(problem(e)));
    }
  };
  useEffect(() => void load(), [entryId, version]);

  const change = async (mark: boolean, selection: Selection) => {
    setBusy(true);
    try {
      const request = { listEntryId: entryId, selection: { selection } };
      const { listEntry } = mark ? await media.markEpisodesWatched(request) : await media.unmarkEpisodesWatched(request);
      if (listEntry) onEntry(listEntry);
      await load();
    } catch (e) {
      setError(describe(problem(e)));
    } finally {
      setBusy(false);
    }
  };
  const byId = (e: Episode): Selection => ({ case: "episodes", value: { ids: [e.id], numbers: [] } });

  if (!show) return error ? <Alert>{error}</Alert> : <p>Loading episodes…</p>;
  if (show.seasons.length === 0) {
    return (
      <section aria-labelledby="episodes">
        <h2 id="episodes">Episodes</h2>
        <p>{show.showStatus === ShowStatus.NOT_FOUND ? "No episode list is known for this series." : "The episodes are not known yet."}</p>
      </section>
    );
  }
  const next = show.nextEpisode;
  return (
    <section aria-labelledby="episodes" class="episodes">
      <h2 id="episodes">Episodes</h2>
      <Alert>{error}</Alert>
      <p role="status">
        {next ? (
          <>
            Next: <strong>{label(next)}</strong> {next.title} · {next.aired ? "aired" : "airs"} {airs(next.airTime, next.airDate)}
          </>
        ) : (
          "Every episode watched."
        )}
        {show.caughtUp && " · Caught up"}
        {show.currentRun > 1 && ` · Rewatch ${show.currentRun - 1}`}
      </p>
      {show.seasons.map((season) => (
        <details open={season.episodes.some((e) => e.id === next?.id)}>
          <summary>
            {season.number === 0 ? "Specials" : `Season ${season.number}`}{" "}
            <span class="muted">
              {season.watchedCount}/{season.airedCount} watched
            </span>
          </summary>
          {season.number !== 0 && (
            <button type="button" disabled={busy} onClick={() => void change(true, { case: "season", value: season.number })}>
              Mark season {season.number} watched
            </button>
          )}
          <ol class="episode-list">
            {season.episodes.map((e) => (
              <li class={e.watched ? "episode watched" : "episode"} data-episode={label(e)}>
                <label>
                  <input
                    type="checkbox"
                    checked={e.watched}
                    disabled={busy || (!e.aired && !e.watched)}
                    onChange={() => void change(!e.watched, byId(e))}
                  />
                  <span class="episode-label">{label(e)}</span> {e.title}
                  {e.special && <span class="badge">Special</span>}
                </label>
                <span class="muted">
                  {airs(e.airTime, e.airDate)}
                  {e.watchCount > 0 && ` · seen ${e.watchCount}×`}
                  {e.missingUpstream && " · no longer listed"}
                </span>
                {!e.special && e.number !== undefined && e.aired && !e.watched && (
                  <button
                    type="button"
                    class="link"
                    disabled={busy}
                    onClick={() => void change(true, { case: "upTo", value: { season: e.season, number: e.number ?? 0 } })}
                  >
                    Watched up to here<span class="visually-hidden"> ({label(e)})</span>
                  </button>
                )}
              </li>
            ))}
          </ol>
        </details>
      ))}
    </section>
  );
}
