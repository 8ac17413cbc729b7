// Media servers that tell the tracker what was watched: the scrobble
// tokens (each shown once, as the URL to paste into each server), and the
// events the servers posted, with what became of each, read again every
// few seconds while the page is open. An episode that matched none of the
// list's shows can be pinned to one; the pin holds for that show's next
// events too.
import { useEffect, useState } from "preact/hooks";
import { media } from "../api";
import { describe, problem } from "../errors";
import { Alert, Field } from "../form";
import {
  type ListEntry,
  MediaKind,
  MediaServer,
  type ScrobbleEvent,
  ScrobbleOutcome,
  type ScrobbleToken,
  type ScrobbleUrl,
} from "../gen/completionist/media/v1/media_pb";
import { airs } from "../when";

/** How often the events are read again while the page is open. */
const REFRESH_MS = 3_000;

const SERVERS: Record<MediaServer, string> = {
  [MediaServer.UNSPECIFIED]: "A server",
  [MediaServer.PLEX]: "Plex",
  [MediaServer.JELLYFIN]: "Jellyfin",
  [MediaServer.EMBY]: "Emby",
  [MediaServer.KODI]: "Kodi",
};

/** Where each server takes the URL. */
const WHERE: Record<MediaServer, string> = {
  [MediaServer.UNSPECIFIED]: "",
  [MediaServer.PLEX]: "Settings → Webhooks → Add Webhook (Plex Pass)",
  [MediaServer.JELLYFIN]: "Webhook plugin → Add Generic Destination → Webhook Url; tick “Send All Properties” and Playback Stop",
  [MediaServer.EMBY]: "Settings → Notifications → Add Notification → Webhooks → URL; Playback events",
  [MediaServer.KODI]: "a webhook add-on’s URL setting",
};

const OUTCOMES: Record<ScrobbleOutcome, string> = {
  [ScrobbleOutcome.UNSPECIFIED]: "—",
  [ScrobbleOutcome.WATCHED]: "Watched",
  [ScrobbleOutcome.DUPLICATE]: "Duplicate",
  [ScrobbleOutcome.IGNORED]: "Ignored",
  [ScrobbleOutcome.UNMATCHED]: "Unmatched",
};

/** What an event was about: "Severance S1E2" or a movie's title. */
function played(event: ScrobbleEvent): string {
  if (event.season === undefined || event.episode === undefined) return event.title || event.event;
  const last = event.lastEpisode !== undefined ? `–E${event.lastEpisode}` : "";
  return `${event.seriesTitle} S${event.season}E${event.episode}${last}`;
}

export function Integrations() {
  const [tokens, setTokens] = useState<ScrobbleToken[]>([]);
  const [events, setEvents] = useState<ScrobbleEvent[]>();
  const [shows, setShows] = useState<ListEntry[]>([]);
  const [urls, setUrls] = useState<ScrobbleUrl[]>([]);
  const [error, setError] = useState("");

  const loadEvents = async () => {
    const listed = await media.listScrobbleEvents({ pageSize: 50 });
    setEvents(listed.scrobbleEvents);
  };
  const load = async () => {
    try {
      const [listed, series, anime] = await Promise.all([
        media.listScrobbleTokens({}),
        media.listListEntries({ pageSize: 100, kind: MediaKind.SERIES }),
        media.listListEntries({ pageSize: 100, kind: MediaKind.ANIME }),
        loadEvents(),
      ]);
      setTokens(listed.scrobbleTokens);
      setShows([...series.listEntries, ...anime.listEntries]);
    } catch (e) {
      setError(describe(problem(e)));
    }
  };
  useEffect(() => {
    void load();
    const timer = setInterval(() => void loadEvents().catch(() => {}), REFRESH_MS);
    return () => clearInterval(timer);
  }, []);

  const create = async (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    try {
      const created = await media.createScrobbleToken({
        name: String(data.get("token_name") ?? ""),
        serverUser: String(data.get("server_user") ?? ""),
      });
      setUrls(created.urls);
      form.reset();
      await load();
    } catch (e) {
      setError(describe(problem(e)));
    }
  };

  const revoke = async (token: ScrobbleToken) => {
    if (!confirm(`Revoke "${token.name}"? Servers using it can no longer record.`)) return;
    try {
      await media.deleteScrobbleToken({ id: token.id });
      setUrls([]);
      await load();
    } catch (e) {
      setError(describe(problem(e)));
    }
  };

  const pin = async (event: ScrobbleEvent, form: HTMLFormElement) => {
    const data = new FormData(form);
    try {
      await media.pinScrobbleShow({
        scrobbleEventId: event.id,
        listEntryId: String(data.get("entry") ?? ""),
        season: Number(data.get("season") || 0),
        episodeOffset: Number(data.get("offset") || 0),
      });
      await loadEvents();
    } catch (e) {
      setError(describe(problem(e)));
    }
  };

  return (
    <main>
      <h1>Media servers</h1>
      <Alert>{error}</Alert>
      <section aria-labelledby="tokens">
        <h2 id="tokens">Tokens</h2>
        <p class="muted">A server posts what was played to its URL; the token in it records plays and nothing else.</p>
        {urls.length > 0 && (
          <div role="status" class="scrobble-urls">
            <p>Paste into each server (shown once; keep them private):</p>
            <dl>
              {urls.map((url) => (
                <>
                  <dt>
                    {SERVERS[url.server]} <span class="muted">({WHERE[url.server]})</span>
                  </dt>
                  <dd>
                    <code data-server={SERVERS[url.server]}>{`${location.origin}${url.path}`}</code>
                  </dd>
                </>
              ))}
            </dl>
          </div>
        )}
        <ul>
          {tokens.map((token) => (
            <li>
              {token.name}
              {token.serverUser && <span class="muted"> · only {token.serverUser}</span>}
              <span class="muted"> · {token.lastUsedTime ? `last used ${airs(token.lastUsedTime, undefined)}` : "never used"}</span>{" "}
              <button type="button" class="link" onClick={() => void revoke(token)}>
                Revoke<span class="visually-hidden"> {token.name}</span>
              </button>
            </li>
          ))}
        </ul>
        <form onSubmit={(e) => void create(e)}>
          <Field label="Token name" name="token_name" placeholder="Living room Plex" required maxLength={100} />
          <Field label="Only this server user (optional)" name="server_user" maxLength={100} />
          <button type="submit">Create a token</button>
        </form>
      </section>
      <section aria-labelledby="events">
        <h2 id="events">Recent events</h2>
        {events === undefined ? (
          <p>Loading…</p>
        ) : events.length === 0 ? (
          <p>Nothing posted yet.</p>
        ) : (
          <ul class="scrobble-events">
            {events.map((event) => (
              <li data-outcome={OUTCOMES[event.outcome]}>
                <strong>{OUTCOMES[event.outcome]}</strong> · {played(event)}
                <span class="muted">
                  {" "}
                  · {SERVERS[event.server]}
                  {event.serverUser && `, ${event.serverUser}`} · {airs(event.receiveTime, undefined)}
                </span>
                {event.reason && <p class="muted">{event.reason}</p>}
                {event.outcome === ScrobbleOutcome.UNMATCHED && event.season !== undefined && (
                  <form
                    class="pin"
                    aria-label={`Pin ${event.seriesTitle}`}
                    onSubmit={(e) => {
                      e.preventDefault();
                      void pin(event, e.currentTarget as HTMLFormElement);
                    }}
                  >
                    <label>
                      Is my
                      <select name="entry" required>
                        {shows.map((show) => (
                          <option value={show.id}>{show.mediaItem?.title}</option>
                        ))}
                      </select>
                    </label>
                    <details>
                      <summary>Numbered differently?</summary>
                      <Field label={`Season ${event.season} here is season`} name="season" type="number" min={0} max={1000} />
                      <Field label="Add to episode numbers" name="offset" type="number" min={-10000} max={10000} />
                    </details>
                    <button type="submit">Pin this show</button>
                  </form>
                )}
              </li>
            ))}
          </ul>
        )}
      </section>
    </main>
  );
}
