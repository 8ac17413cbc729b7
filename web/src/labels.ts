// How enum values read to a person.
import {
  ListEntryOrder,
  ListStatus,
  MediaKind,
} from "./gen/completionist/media/v1/media_pb";

export const KINDS: [MediaKind, string][] = [
  [MediaKind.MOVIE, "Movie"],
  [MediaKind.SERIES, "Series"],
  [MediaKind.ANIME, "Anime"],
  [MediaKind.MANGA, "Manga"],
  [MediaKind.GAME, "Game"],
  [MediaKind.BOOK, "Book"],
];

export const STATUSES: [ListStatus, string][] = [
  [ListStatus.PLANNED, "Planned"],
  [ListStatus.IN_PROGRESS, "In progress"],
  [ListStatus.COMPLETED, "Completed"],
  [ListStatus.ON_HOLD, "On hold"],
  [ListStatus.DROPPED, "Dropped"],
];

export const ORDERS: [ListEntryOrder, string][] = [
  [ListEntryOrder.UPDATE_TIME_DESC, "Recently updated"],
  [ListEntryOrder.TITLE, "Title"],
  [ListEntryOrder.RATING_DESC, "Rating"],
];

export const kindName = (k: MediaKind) => KINDS.find(([v]) => v === k)?.[1] ?? "Other";
export const statusName = (s: ListStatus) => STATUSES.find(([v]) => v === s)?.[1] ?? "—";

/** What one unit of progress is for a kind. */
export function unitName(kind: MediaKind, n: number): string {
  const one = {
    [MediaKind.SERIES]: "episode",
    [MediaKind.ANIME]: "episode",
    [MediaKind.MANGA]: "chapter",
    [MediaKind.BOOK]: "page",
    [MediaKind.GAME]: "hour",
    [MediaKind.MOVIE]: "viewing",
  }[kind as number] ?? "unit";
  return n === 1 ? one : `${one}s`;
}
