// The calendar: what airs in the coming weeks for the series on the list
// (planned and in progress), by day of this browser's time zone; and the
// calendar feeds to subscribe to from a calendar app (webcal://), each
// with a token shown once and revocable.
import { useEffect, useState } from "preact/hooks";
import { media } from "../api";
import { describe, problem } from "../errors";
import { Alert, Field } from "../form";
import type { CalendarFeed, UpcomingItem } from "../gen/completionist/media/v1/media_pb";
import { TIME_ZONE, dayName, timeOfDay } from "../when";
import { label } from "./Episodes";

/** Items grouped by their day, in order. */
function byDay(items: UpcomingItem[]): [string, UpcomingItem[]][] {
  const days = new Map<string, UpcomingItem[]>();
  for (const item of items) {
    const name = item.date ? dayName(item.date) : "TBA";
    days.set(name, [...(days.get(name) ?? []), item]);
  }
  return [...days];
}

export function Calendar() {
  const [items, setItems] = useState<UpcomingItem[]>();
  const [feeds, setFeeds] = useState<CalendarFeed[]>([]);
  const [created, setCreated] = useState("");
  const [error, setError] = useState("");

  const load = async () => {
    try {
      const [upcoming, listed] = await Promise.all([
        media.listUpcoming({ timeZone: TIME_ZONE }),
        media.listCalendarFeeds({}),
      ]);
      setItems(upcoming.items);
      setFeeds(listed.calendarFeeds);
    } catch (e) {
      setError(describe(problem(e)));
    }
  };
  useEffect(() => void load(), []);

  const create = async (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const name = String(new FormData(form).get("feed_name") ?? "");
    try {
      const { path } = await media.createCalendarFeed({ name });
      setCreated(`webcal://${location.host}${path}`);
      form.reset();
      await load();
    } catch (e) {
      setError(describe(problem(e)));
    }
  };

  const revoke = async (feed: CalendarFeed) => {
    if (!confirm(`Stop the calendar feed "${feed.name}"? Calendars subscribed to it stop updating.`)) return;
    try {
      await media.deleteCalendarFeed({ id: feed.id });
      setCreated("");
      await load();
    } catch (e) {
      setError(describe(problem(e)));
    }
  };

  return (
    <main>
      <h1>Calendar</h1>
      <Alert>{error}</Alert>
      <p class="muted">Times in {TIME_ZONE}. Planned and in-progress series only.</p>
      {items === undefined ? (
        <p>Loading…</p>
      ) : items.length === 0 ? (
        <p>Nothing airs in the next 30 days.</p>
      ) : (
        byDay(items).map(([day, list]) => (
          <section aria-label={day} class="day">
            <h2>{day}</h2>
            <ul>
              {list.map((item) => (
                <li>
                  <a href={`/entries/${item.listEntryId}`}>{item.title}</a>
                  {item.episode && ` — ${label(item.episode)} ${item.episode.title}`}
                  <span class="muted"> · {item.time ? timeOfDay(item.time) : "all day"}</span>
                </li>
              ))}
            </ul>
          </section>
        ))
      )}
      <section aria-labelledby="feeds">
        <h2 id="feeds">Subscribe from a calendar app</h2>
        {created && (
          <p role="status">
            Your feed (shown once; keep it private):{" "}
            <a href={created} class="feed-link">
              {created}
            </a>
          </p>
        )}
        <ul>
          {feeds.map((feed) => (
            <li>
              {feed.name}{" "}
              <button type="button" class="link" onClick={() => void revoke(feed)}>
                Stop the feed<span class="visually-hidden"> {feed.name}</span>
              </button>
            </li>
          ))}
        </ul>
        <form onSubmit={(e) => void create(e)}>
          <Field label="Feed name" name="feed_name" placeholder="Phone" required maxLength={100} />
          <button type="submit">Create a feed</button>
        </form>
      </section>
    </main>
  );
}
