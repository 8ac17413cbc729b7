// Changes to the user's list as they happen anywhere (WatchListEntries),
// from the position the list's first page was read at (its resumeToken),
// so no change falls between reading the list and watching it; resumes
// after a dropped connection or an expired access token from the last
// position, so nothing is missed or repeated; a position too old to
// resume means refetch (and the refetched list says where to watch from).
import { useEffect, useRef } from "preact/hooks";
import { media } from "./api";
import type { ListEntryChange } from "./gen/completionist/media/v1/media_pb";
import { follow } from "./streams";

export interface LiveHandlers {
  onChange: (change: ListEntryChange) => void;
  /** History is gone: the list must be fetched again. */
  onReset: () => void;
}

/** Follows the list from `from`: a first page's resumeToken (nothing
 * until the first page has said where), or "" for from now on. */
export function useLiveList(handlers: LiveHandlers, from: string | undefined) {
  const latest = useRef(handlers);
  latest.current = handlers;
  useEffect(() => {
    if (from === undefined) return;
    const stop = new AbortController();
    let resumeToken = from;
    follow(
      {
        open: (signal) => media.watchListEntries({ resumeToken }, { signal }),
        onMessage(message) {
          resumeToken = message.resumeToken;
          if (message.event.case === "change") latest.current.onChange(message.event.value);
        },
        onRefusal(p) {
          if (p.reason !== "RESUME_TOKEN_EXPIRED") return false;
          // What is shown is read again: from now on, or (a list) from
          // where its new first page says.
          if (from === "") resumeToken = "";
          else stop.abort();
          latest.current.onReset();
          return true;
        },
        endless: true,
      },
      stop.signal,
    ).catch((error: unknown) => {
      // Refused for good (it never is, short of a bug): the screen still
      // works, only without changes made elsewhere.
      console.error("the live list stopped", error);
    });
    return () => stop.abort();
  }, [from]);
}
