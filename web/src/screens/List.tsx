// The list: filters by status and kind, an order, pages fetched as the
// user scrolls, and every change made elsewhere applied as it arrives.
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { media } from "../api";
import { describe, problem } from "../errors";
import { Alert } from "../form";
import {
  ListEntryChangeType,
  ListEntryOrder,
  ListStatus,
  MediaKind,
  type ListEntry,
} from "../gen/completionist/media/v1/media_pb";
import { KINDS, ORDERS, STATUSES, kindName, statusName, unitName } from "../labels";
import { useLiveList } from "../live";

const PAGE = 25;

export function List() {
  const [status, setStatus] = useState(ListStatus.UNSPECIFIED);
  const [kind, setKind] = useState(MediaKind.UNSPECIFIED);
  const [order, setOrder] = useState(ListEntryOrder.UPDATE_TIME_DESC);
  const [entries, setEntries] = useState<ListEntry[]>([]);
  const [next, setNext] = useState<string | undefined>("");
  const [error, setError] = useState("");
  /** Where the live changes start: the first page's position. */
  const [watchFrom, setWatchFrom] = useState<string | undefined>(undefined);
  /** Aborts the loads of the filter and order shown: a page asked for
   * under the ones before must not land under these. */
  const [query, setQuery] = useState(() => new AbortController());
  const loading = useRef(false);
  const sentinel = useRef<HTMLDivElement>(null);

  const matches = (e: ListEntry) =>
    (status === ListStatus.UNSPECIFIED || e.status === status) &&
    (kind === MediaKind.UNSPECIFIED || e.mediaItem?.kind === kind);

  /** Starts the list over from its first page: a new filter or order, or
   * the live changes' history gone. In the same render as the new filter,
   * so no load asks for it with the old one's page token. */
  const startOver = () => {
    query.abort();
    setQuery(new AbortController());
    loading.current = false;
    setEntries([]);
    setNext("");
  };
  const choose = (set: (value: number) => void) => (event: Event) => {
    startOver();
    set(Number((event.currentTarget as HTMLSelectElement).value));
  };

  const { signal } = query;
  const loadMore = useCallback(async () => {
    if (signal.aborted || loading.current || next === undefined) return;
    loading.current = true;
    try {
      const page = await media.listListEntries({ pageSize: PAGE, pageToken: next, status, kind, orderBy: order }, { signal });
      if (signal.aborted) return;
      // The first page says where the live changes start.
      if (next === "") setWatchFrom(page.resumeToken);
      setEntries((shown) => [...shown, ...page.listEntries.filter((e) => !shown.some((s) => s.id === e.id))]);
      setNext(page.nextPageToken || undefined);
      setError("");
    } catch (e) {
      if (!signal.aborted) setError(describe(problem(e)));
    } finally {
      if (!signal.aborted) loading.current = false;
    }
  }, [next, status, kind, order, signal]);

  useEffect(() => {
    const target = sentinel.current;
    if (!target || next === undefined) return;
    const observer = new IntersectionObserver((seen) => seen.some((s) => s.isIntersecting) && void loadMore());
    observer.observe(target);
    return () => observer.disconnect();
  }, [loadMore, next]);

  useLiveList({
    onChange(change) {
      setEntries((shown) => {
        const rest = shown.filter((e) => e.id !== change.listEntryId);
        const entry = change.listEntry;
        if (change.type === ListEntryChangeType.REMOVED || !entry || !matches(entry)) return rest;
        const at = shown.findIndex((e) => e.id === entry.id);
        if (at >= 0 && order !== ListEntryOrder.UPDATE_TIME_DESC) {
          return shown.map((e) => (e.id === entry.id ? entry : e));
        }
        return [entry, ...rest];
      });
      // A change says nothing of a series' episodes: where its run stands
      // ("S2E5 next", "3 new") is read again.
      const kind = change.listEntry?.mediaItem?.kind;
      if (kind === MediaKind.SERIES || kind === MediaKind.ANIME) {
        media.getListEntry({ id: change.listEntryId }).then(
          ({ listEntry }) => listEntry && setEntries((shown) => shown.map((e) => (e.id === listEntry.id ? listEntry : e))),
          () => {},
        );
      }
    },
    onReset: startOver,
  }, watchFrom);

  const bump = async (entry: ListEntry) => {
    try {
      // Added by the service, so two devices or a double click both count.
      const { listEntry } = await media.updateListEntry({ listEntry: { id: entry.id }, progressIncrement: 1 });
      if (listEntry) setEntries((shown) => shown.map((e) => (e.id === listEntry.id ? listEntry : e)));
    } catch (e) {
      setError(describe(problem(e)));
    }
  };

  return (
    <main>
      <h1>My list</h1>
      <div class="filters" role="group" aria-label="Filter and order">
        <label>
          Status
          <select value={status} onChange={choose(setStatus)}>
            <option value={ListStatus.UNSPECIFIED}>Any</option>
            {STATUSES.map(([v, name]) => (
              <option value={v}>{name}</option>
            ))}
          </select>
        </label>
        <label>
          Kind
          <select value={kind} onChange={choose(setKind)}>
            <option value={MediaKind.UNSPECIFIED}>Any</option>
            {KINDS.map(([v, name]) => (
              <option value={v}>{name}</option>
            ))}
          </select>
        </label>
        <label>
          Order
          <select value={order} onChange={choose(setOrder)}>
            {ORDERS.map(([v, name]) => (
              <option value={v}>{name}</option>
            ))}
          </select>
        </label>
      </div>
      <Alert>{error}</Alert>
      <ul class="entries" aria-live="polite">
        {entries.map((entry) => (
          <EntryCard entry={entry} onBump={() => void bump(entry)} />
        ))}
      </ul>
      {entries.length === 0 && next === undefined && <p>Nothing here yet. <a href="/search">Find something to add.</a></p>}
      <div ref={sentinel} class="sentinel" aria-hidden="true" />
    </main>
  );
}

function EntryCard({ entry, onBump }: { entry: ListEntry; onBump: () => void }) {
  const item = entry.mediaItem;
  const kind = item?.kind ?? MediaKind.UNSPECIFIED;
  const total = item?.totalUnits;
  const done = total !== undefined && entry.progress >= total;
  const series = entry.seriesProgress;
  return (
    <li class="entry" data-entry-id={entry.id}>
      {item?.imageUrl ? <img src={item.imageUrl} alt="" loading="lazy" width={60} height={90} /> : <div class="cover" />}
      <div class="entry-text">
        <a href={`/entries/${entry.id}`} class="entry-title">
          {item?.title}
        </a>
        <p>
          {kindName(kind)}
          {item?.year !== undefined && ` · ${item.year}`} · <span class="status">{statusName(entry.status)}</span>
          {entry.rating !== undefined && ` · ${entry.rating}/10`}
        </p>
        <p class="progress">
          {entry.progress}
          {total !== undefined && ` / ${total}`} {unitName(kind, total ?? entry.progress)}
          {series?.nextEpisode && (
            <span class="badge">
              S{series.nextEpisode.season}E{series.nextEpisode.number} next
            </span>
          )}
          {series && series.newEpisodes > 0 && <span class="badge">{series.newEpisodes} new</span>}
          {series?.caughtUp && <span class="badge">Caught up</span>}
        </p>
      </div>
      <button type="button" onClick={onBump} disabled={done}>
        +1<span class="visually-hidden"> {unitName(kind, 1)} of {item?.title}</span>
      </button>
    </li>
  );
}
