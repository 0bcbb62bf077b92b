// The operator API (/v1) over fetch. One request → { status, headers, text, body }; every way it can go
// wrong becomes a CliFailure with a sentence that says what to do: the Worker is not there (exit 3), the
// token is refused or the API answered an error (exit 1, with the API's error.code and message).
// Contract: `fetch` is passed in; the token goes in the Authorization header and nowhere else.
import { CliFailure, EXIT } from "./errors.mjs";

/** POST /v1/revocations may wait 10 s for the outcome; leave room for that and a slow local wrangler. */
const REQUEST_TIMEOUT_MS = 30_000;

/** @param {{ url: string, token: string, tokenSource: string, fetch?: typeof fetch }} connection */
export function createApiClient(connection) {
  const fetchImpl = connection.fetch ?? globalThis.fetch;

  /**
   * @param {string} method
   * @param {string} path under the base URL, e.g. /v1/stats
   * @param {{ query?: Record<string, string | number | undefined>, json?: unknown, body?: Uint8Array | string,
   *   contentType?: string, headers?: Record<string, string | undefined> }} [options]
   */
  async function request(method, path, options = {}) {
    const target = new URL(`${connection.url}${path}`);
    for (const [name, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) target.searchParams.set(name, String(value));
    }
    const headers = { authorization: `Bearer ${connection.token}`, accept: "application/json" };
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

    let response;
    try {
      response = await fetchImpl(target, { method, headers, body, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    } catch (error) {
      throw unreachable(connection.url, error);
    }
    const text = await response.text();
    const answer = { status: response.status, headers: response.headers, text, body: parseJson(text, response.headers) };
    if (response.status === 401) {
      throw new CliFailure(
        EXIT.api,
        "the operator token was refused: set ACCESS_REVOKER_TOKEN or --token (npm start writes OPERATOR_TOKEN to .dev.vars)" +
          `\n(the token sent came from ${connection.tokenSource})`,
        { body: text },
      );
    }
    if (response.status >= 400) throw apiError(method, target, answer);
    if (answer.body === undefined && isJson(response.headers)) {
      throw new CliFailure(EXIT.api, `${method} ${target.pathname} answered HTTP ${response.status} with a body that is not JSON`);
    }
    return answer;
  }

  return { request, url: connection.url };
}

/** application/json (or a +json type); not NDJSON, which the audit export answers and is printed as it is. */
function isJson(headers) {
  return /^application\/([\w.-]+\+)?json\s*(;|$)/i.test(headers.get("content-type") ?? "");
}

function parseJson(text, headers) {
  if (!isJson(headers)) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function apiError(method, target, answer) {
  const error = answer.body?.error;
  if (error && typeof error.code === "string") {
    return new CliFailure(EXIT.api, `${error.code}: ${error.message ?? "(no message)"}`, { body: answer.text });
  }
  // Not the Worker's error shape: something else answers at that address.
  const excerpt = answer.text.trim().slice(0, 200);
  return new CliFailure(
    EXIT.api,
    `${method} ${target.pathname} answered HTTP ${answer.status}${excerpt ? `: ${excerpt}` : ""}\nis --url the access-revoker Worker? (it is ${target.origin})`,
  );
}

function unreachable(url, error) {
  if (error?.name === "TimeoutError") {
    return new CliFailure(EXIT.unreachable, `no answer from ${url} within ${REQUEST_TIMEOUT_MS / 1000} s: is the Worker overloaded or stuck?`);
  }
  const code = error?.cause?.code;
  const why = code && code !== "ECONNREFUSED" ? ` (${code})` : "";
  return new CliFailure(EXIT.unreachable, `cannot reach ${url}${why}: is \`npm start\` running? (or pass --url)`);
}
