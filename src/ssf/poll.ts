// One RFC 8936 poll: acknowledge what was processed, report what was refused, and fetch what is waiting.
// - Request (RFC 8936 §2.2, §2.4): POST application/json {"ack": [jti…], "setErrs": {jti: {"err", "description"}},
//   "maxEvents": n, "returnImmediately": true}. returnImmediately, because a Worker should not hold a long poll
//   open; setErrs only when there is something to report.
// - Response (§2.3, §2.5): 200 {"sets": {jti: compact SET}, "moreAvailable": bool}; an empty `sets` means nothing waits.
//   Each SET still has to pass verify-set.ts; the map's key is the transmitter's claim about the jti, not a fact.
// - Authorization: SSF 1.0 §7.1.1 protects the poll endpoint with the transmitter's authorization scheme
//   (typically an OAuth bearer token); the caller passes the header value.
// Contract: never throws; fetch is injected; failures are tagged with a detail for the log.
import * as z from "zod/mini";
import { DEFAULT_POLL_MAX_EVENTS } from "../domain/ssf/transmitters";
import { fetchJson, type JsonFailure, type SsfFetch } from "./fetch-json";
import type { SetErrorCode } from "./verify-set";

const DEFAULT_POLL_TIMEOUT_MS = 10_000;
const MAX_RESPONSE_CHARS = 2 * 1024 * 1024;

export type PollRequest = {
  endpoint: string;
  fetch: SsfFetch;
  /** The Authorization header value, e.g. "Bearer …"; null when the endpoint needs none. */
  authorization: string | null;
  ack: string[];
  setErrs?: Record<string, { err: SetErrorCode; description: string }>;
  maxEvents?: number;
  timeoutMs?: number;
};

export type PollResult = { ok: true; sets: Map<string, string>; moreAvailable: boolean } | JsonFailure;

const PollResponseSchema = z.looseObject({
  sets: z.record(z.string().check(z.minLength(1), z.maxLength(256)), z.string().check(z.maxLength(64 * 1024))),
  moreAvailable: z.optional(z.boolean()),
});

export async function pollSets(request: PollRequest): Promise<PollResult> {
  const body: Record<string, unknown> = {
    ack: request.ack,
    maxEvents: request.maxEvents ?? DEFAULT_POLL_MAX_EVENTS,
    returnImmediately: true,
  };
  if (request.setErrs !== undefined && Object.keys(request.setErrs).length > 0) body.setErrs = request.setErrs;
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (request.authorization !== null) headers.authorization = request.authorization;

  const exchange = await fetchJson(request.fetch, request.endpoint, {
    method: "POST",
    headers,
    body: JSON.stringify(body),
    timeoutMs: request.timeoutMs ?? DEFAULT_POLL_TIMEOUT_MS,
    maxChars: MAX_RESPONSE_CHARS,
  });
  if (!exchange.ok) return exchange;
  const parsed = PollResponseSchema.safeParse(exchange.json);
  if (!parsed.success) return { ok: false, reason: "malformed", status: exchange.status, detail: "not a poll response (needs sets: {jti: SET})" };
  return { ok: true, sets: new Map(Object.entries(parsed.data.sets)), moreAvailable: parsed.data.moreAvailable ?? false };
}
