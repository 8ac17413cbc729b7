// When things air, as the person reads it: in the browser's time zone
// (which the calendar sends to the service too).
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import type { Date as PbDate } from "./gen/completionist/media/v1/media_pb";

/** The browser's IANA time zone ("Europe/Berlin"). */
export const TIME_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;

const day = new Intl.DateTimeFormat(undefined, { weekday: "short", year: "numeric", month: "short", day: "numeric" });
const dayAndTime = new Intl.DateTimeFormat(undefined, {
  weekday: "short",
  year: "numeric",
  month: "short",
  day: "numeric",
  hour: "numeric",
  minute: "2-digit",
});
const time = new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit" });

/** A calendar day as the person reads it (no time zone: it is a day). */
export function dayName(date: PbDate): string {
  return day.format(new Date(date.year, date.month - 1, date.day));
}

/** When something airs: its time here, or its day where only that is
 * known; "TBA" when neither is. */
export function airs(at: Timestamp | undefined, date: PbDate | undefined): string {
  if (at) return dayAndTime.format(timestampDate(at));
  if (date?.year) return dayName(date);
  return "TBA";
}

/** The time of day here, for a list grouped by day. */
export const timeOfDay = (at: Timestamp) => time.format(timestampDate(at));
