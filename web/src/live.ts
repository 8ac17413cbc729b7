// Changes to the user's list as they happen anywhere (WatchListEntries):
// resumes after a dropped connection or an expired access token from the
// last position, so nothing is missed or repeated; a position too old to
// resume means refetch.
import { useEffect, useRef } from "preact/hooks";
import { media } from "./api";
import type { ListEntryChange } from "./gen/completionist/media/v1/media_pb";
import { follow } from "./streams";

export interface LiveHandlers {
  onChange: (change: ListEntryChange) => void;
  /** History is gone: the list must be fetched again. */
  onReset: () => void;
}

export function useLiveList(handlers: LiveHandlers) {
  const latest = useRef(handlers);
  latest.current = handlers;
  useEffect(() => {
    const stop = new AbortController();
    let resumeToken = "";
    follow(
      {
        open: (signal) => media.watchListEntries({ resumeToken }, { signal }),
        onMessage(message) {
          resumeToken = message.resumeToken;
          if (message.event.case === "change") latest.current.onChange(message.event.value);
        },
        onRefusal(p) {
          if (p.reason !== "RESUME_TOKEN_EXPIRED") return false;
          resumeToken = "";
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
  }, []);
}
