// One bounded JSON exchange with a transmitter (its metadata, its JWKS, its poll endpoint, its stream
// management API: a 204 answers null).
// - Time: timeoutMs for the whole exchange, headers and body. An AbortController cancels the request, and the
//   fetch is also raced against the timer, so a fetch that ignores its signal cannot hold us past the limit.
// - Size: the body is refused past maxChars before it is parsed.
// - Place: redirects are not followed (a 3xx is an http_error): keys and poll endpoints are where the
//   configuration or the transmitter's own metadata says, never where another answer points.
// Contract: never throws; the fetch is injected; a failure is tagged, with a detail for the log (a status, an
// error name, never a body). The deadline is outbound/deadline.ts's.
import { fetchText, type TextAnswer } from "../outbound/deadline";

/** An error for the log: its name and message, bounded; never its stack. */
export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}`.slice(0, 200) : "unknown error";
}

export type SsfFetch = (url: string, init: RequestInit) => Promise<Response>;

export type JsonExchange = { ok: true; status: number; json: unknown } | JsonFailure;
export type JsonFailure = { ok: false; reason: "timeout" | "unreachable" | "http_error" | "malformed"; status: number | null; detail: string };

export type JsonRequest = {
  timeoutMs: number;
  maxChars: number;
  method?: "GET" | "POST" | "PATCH" | "DELETE";
  headers?: Record<string, string>;
  body?: string;
};

export async function fetchJson(fetcher: SsfFetch, url: string, request: JsonRequest): Promise<JsonExchange> {
  let answer: TextAnswer | "timeout";
  try {
    answer = await fetchText(fetcher, url, request);
  } catch (error) {
    return { ok: false, reason: "unreachable", status: null, detail: describeError(error) };
  }
  if (answer === "timeout") return { ok: false, reason: "timeout", status: null, detail: `no answer within ${request.timeoutMs} ms` };
  const { status, text } = answer;
  if (text.length > request.maxChars) return { ok: false, reason: "malformed", status, detail: `larger than ${request.maxChars} characters` };
  if (!answer.ok) return { ok: false, reason: "http_error", status, detail: `HTTP ${status}${errCode(text)}` };
  // 204 No Content: what SSF 1.0 §7.1.4 answers a verification request with; there is nothing to parse.
  if (status === 204) return { ok: true, status: 204, json: null };
  try {
    return { ok: true, status, json: JSON.parse(text) };
  } catch {
    return { ok: false, reason: "malformed", status, detail: "not JSON" };
  }
}

/**
 * An RFC 8935/8936 error body names its `err` code, an OAuth one (RFC 6749 §5.2) its `error`: worth a log line;
 * the description is not repeated.
 */
function errCode(text: string): string {
  try {
    const body: unknown = JSON.parse(text.slice(0, 4096));
    const fields = typeof body === "object" && body !== null ? (body as Record<string, unknown>) : {};
    const err = fields.err ?? fields.error;
    return typeof err === "string" && /^[a-z_]{1,40}$/.test(err) ? ` (${err})` : "";
  } catch {
    return "";
  }
}
