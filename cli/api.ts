// The operator API (/v1) over fetch. One request → { status, headers, text, body }; every way it can go
// wrong becomes a CliFailure with a sentence that says what to do: the Worker is not there (exit 3), the
// token is refused or the API answered an error (exit 1, with the API's error.code and message).
// Contract: `fetch` is passed in; the token goes in the Authorization header and nowhere else. A body is
// typed with the API's own types (src/domain), not re-validated: the Worker's tests check every answer
// against its OpenAPI document.
import { CliFailure, EXIT } from "./errors.ts";

/** POST /v1/revocations may wait 10 s for the outcome; leave room for that and a slow local wrangler. */
const REQUEST_TIMEOUT_MS = 30_000;

export type Connection = { url: string; token: string; tokenSource: string; fetch?: typeof fetch };

export type RequestOptions = {
  query?: Record<string, string | number | undefined>;
  json?: unknown;
  body?: Uint8Array | string;
  contentType?: string;
  headers?: Record<string, string | undefined>;
};

/** What the API answered: `body` is the parsed JSON (undefined for another media type, e.g. NDJSON or CSV). */
export type Answer<T> = { status: number; headers: Headers; text: string; body: T };

type ErrorBody = { error?: { code?: unknown; message?: unknown } };

export type ApiClient = ReturnType<typeof createApiClient>;

export function createApiClient(connection: Connection) {
  const fetchImpl = connection.fetch ?? globalThis.fetch;

  /** `path` is under the base URL, e.g. /v1/stats. */
  async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<Answer<T>> {
    const target = new URL(`${connection.url}${path}`);
    for (const [name, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) target.searchParams.set(name, String(value));
    }
    const headers: Record<string, string> = { authorization: `Bearer ${connection.token}`, accept: "application/json" };
    for (const [name, value] of Object.entries(options.headers ?? {})) {
      if (value !== undefined) headers[name.toLowerCase()] = value;
    }
    let body = options.body;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers["content-type"] = "application/json";
    } else if (options.contentType) {
      headers["content-type"] = options.contentType;
    }

    let response: Response;
    try {
      response = await fetchImpl(target, { method, headers, body, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    } catch (error) {
      throw unreachable(connection.url, error);
    }
    const text = await response.text();
    const parsed = parseJson(text, response.headers);
    if (response.status === 401) {
      throw new CliFailure(
        EXIT.api,
        "the operator token was refused: set ACCESS_REVOKER_TOKEN or --token (npm start writes OPERATOR_TOKEN to .dev.vars)" +
          `\n(the token sent came from ${connection.tokenSource})`,
        { body: text, httpStatus: 401 },
      );
    }
    if (response.status >= 400) throw apiError(method, target, response.status, text, parsed as ErrorBody | undefined);
    if (parsed === undefined && isJson(response.headers)) {
      throw new CliFailure(EXIT.api, `${method} ${target.pathname} answered HTTP ${response.status} with a body that is not JSON`);
    }
    return { status: response.status, headers: response.headers, text, body: parsed as T };
  }

  return { request, url: connection.url };
}

/** application/json (or a +json type); not NDJSON, which the audit export answers and is printed as it is. */
function isJson(headers: Headers): boolean {
  return /^application\/([\w.-]+\+)?json\s*(;|$)/i.test(headers.get("content-type") ?? "");
}

function parseJson(text: string, headers: Headers): unknown {
  if (!isJson(headers)) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function apiError(method: string, target: URL, httpStatus: number, text: string, body: ErrorBody | undefined): CliFailure {
  const error = body?.error;
  if (error && typeof error.code === "string") {
    const message = typeof error.message === "string" ? error.message : "(no message)";
    return new CliFailure(EXIT.api, `${error.code}: ${message}`, { body: text, httpStatus });
  }
  // Not the Worker's error shape: something else answers at that address.
  const excerpt = text.trim().slice(0, 200);
  return new CliFailure(
    EXIT.api,
    `${method} ${target.pathname} answered HTTP ${httpStatus}${excerpt ? `: ${excerpt}` : ""}\nis --url the access-revoker Worker? (it is ${target.origin})`,
    { httpStatus },
  );
}

function unreachable(url: string, error: unknown): CliFailure {
  const failure = error as { name?: string; cause?: { code?: string } } | undefined;
  if (failure?.name === "TimeoutError") {
    return new CliFailure(EXIT.unreachable, `no answer from ${url} within ${REQUEST_TIMEOUT_MS / 1000} s: is the Worker overloaded or stuck?`);
  }
  const code = failure?.cause?.code;
  const why = code && code !== "ECONNREFUSED" ? ` (${code})` : "";
  return new CliFailure(EXIT.unreachable, `cannot reach ${url}${why}: is \`npm start\` running? (or pass --url)`);
}
