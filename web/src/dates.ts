// google.type-style dates (year, month, day) to and from <input type=date>.
import type { Date as PbDate } from "./gen/completionist/media/v1/media_pb";

export function toInput(date: PbDate | undefined): string {
  if (!date || !date.year) return "";
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.year}-${pad(date.month)}-${pad(date.day)}`;
}

export function fromInput(value: string): { year: number; month: number; day: number } | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return undefined;
  return { year: Number(match[1]), month: Number(match[2]), day: Number(match[3]) };
}
