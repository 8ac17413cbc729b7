// What the services say went wrong, read from the google.rpc details they
// attach to every error: a stable reason, the invalid fields, a retry delay.
import { Code, ConnectError } from "@connectrpc/connect";
import {
  BadRequestSchema,
  ErrorInfoSchema,
  RetryInfoSchema,
} from "./gen/third_party/google/rpc/error_details_pb";

export interface Problem {
  code: Code;
  /** The ErrorInfo reason, e.g. EMAIL_TAKEN; empty when there is none. */
  reason: string;
  message: string;
  /** Invalid fields by name (snake_case, as in the request). */
  fields: Record<string, string>;
  /** Seconds to wait before trying again, when the service says. */
  retryAfter?: number;
}

export function problem(error: unknown): Problem {
  const e = ConnectError.from(error);
  const info = e.findDetails(ErrorInfoSchema)[0];
  const fields: Record<string, string> = {};
  for (const bad of e.findDetails(BadRequestSchema)) {
    for (const v of bad.fieldViolations) fields[v.field] = v.description;
  }
  const delay = e.findDetails(RetryInfoSchema)[0]?.retryDelay;
  return {
    code: e.code,
    reason: info?.reason ?? "",
    message: e.rawMessage,
    fields,
    retryAfter: delay ? Number(delay.seconds) + delay.nanos / 1e9 : undefined,
  };
}

/** One line for a person: the message, and how long to wait if known. */
export function describe(p: Problem): string {
  if (p.code === Code.Unavailable && !p.message) return "The service is unavailable; try again shortly.";
  const wait = p.retryAfter ? ` Try again in ${Math.ceil(p.retryAfter)} s.` : "";
  return `${p.message}${wait}`;
}
