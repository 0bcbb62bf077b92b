// One call to the Cloudflare API v4: a request as the ledger built it, the token, a timeout; the answer
// as the ledger classifies it (ledger/drain/classify.ts). Knows HTTP only: no retries (the ledger decides), no
// SDK (it retries inside one invocation). `fetch` and the timeout are inputs so tests control them.
// Redirects are not followed (`redirect: "manual"`): a redirect would carry the token elsewhere, and its
// answer is no proof of anything; a 3xx is a failure.
import * as z from "zod/mini";
import type { ApiRequest, CloudflareError } from "../domain/revocation";

const EnvelopeSchema = z.object({
  success: z.boolean(),
  result: z.optional(z.unknown()),
  // A paged list's position (page, per_page, count, total_count): read by whoever pages it (the sweep).
  result_info: z.optional(z.unknown()),
  errors: z._default(z.array(z.looseObject({ code: z.optional(z.number()), message: z.optional(z.string()) })), []),
});

export type ApiAnswer =
  | {
      kind: "response";
      httpStatus: number;
      /** null when the body was not the v4 envelope (a proxy's HTML page, say). */
      envelope: { success: boolean; result: unknown; resultInfo: unknown; errors: CloudflareError[] } | null;
      retryAfter: string | null;
      /** The budget headers as sent (cloudflare/rate-limit.ts reads them). */
      rateLimit: string | null;
      rateLimitPolicy: string | null;
    }
  | { kind: "timeout"; afterMs: number }
  | { kind: "network_error"; message: string };

export async function callApi(options: { fetch: typeof fetch; token: string; timeoutMs: number; request: ApiRequest }): Promise<ApiAnswer> {
  const { request } = options;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs);
  try {
    const hasBody = request.body !== undefined;
    const response = await options.fetch(request.url, {
      method: request.method,
      headers: { Authorization: `Bearer ${options.token}`, ...(hasBody ? { "Content-Type": "application/json" } : {}) },
      body: hasBody ? JSON.stringify(request.body) : undefined,
      signal: controller.signal,
      redirect: "manual",
    });
    // The body read is inside the timeout too: a server that sends headers and then hangs is a timeout.
    const text = await response.text();
    return {
      kind: "response",
      httpStatus: response.status,
      envelope: parseEnvelope(text),
      retryAfter: response.headers.get("Retry-After"),
      rateLimit: response.headers.get("Ratelimit"),
      rateLimitPolicy: response.headers.get("Ratelimit-Policy"),
    };
  } catch (error) {
    if (controller.signal.aborted) return { kind: "timeout", afterMs: options.timeoutMs };
    return { kind: "network_error", message: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

function parseEnvelope(text: string) {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return null;
  }
  const parsed = EnvelopeSchema.safeParse(json);
  if (!parsed.success) return null;
  return {
    success: parsed.data.success,
    result: parsed.data.result,
    resultInfo: parsed.data.result_info,
    errors: parsed.data.errors.map((error) => ({ code: error.code ?? null, message: error.message ?? "" })),
  };
}
