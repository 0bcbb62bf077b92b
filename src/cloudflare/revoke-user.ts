// Cloudflare API client for "Revoke all Access tokens for a user":
//   POST {base}/{accounts|zones}/{id}/access/organizations/revoke_user?devices=true|false
//   body {"email", "user_uid"?, "warp_session_reauth"?}, Authorization: Bearer <token>
//   → v4 envelope {"success", "result": true|false, "errors": [{code, message}], "messages"}
// (developers.cloudflare.com/api/resources/zero_trust/subresources/access/…/organizations/methods/revoke_users)
// Knows HTTP only: no IdPs, no retries (the ledger decides), no SDK (it retries inside one invocation and
// sends `devices` in the body instead of the query). `fetch` and the timeout are inputs so tests control them.
// Redirects are not followed (`redirect: "manual"`): a 3xx is a failure, never "revoked".
import * as z from "zod/mini";
import type { Target } from "../config";
import type { ApiRequest, CloudflareError } from "../domain/revocation";

export type RevokeUserInput = {
  target: Target;
  email: string;
  userUid: string | null;
  devices: boolean;
  warpSessionReauth: boolean;
};

const EnvelopeSchema = z.object({
  success: z.boolean(),
  result: z.optional(z.unknown()),
  errors: z._default(z.array(z.looseObject({ code: z.optional(z.number()), message: z.optional(z.string()) })), []),
});

export type RevokeUserAnswer =
  | {
      kind: "response";
      httpStatus: number;
      /** null when the body was not the v4 envelope (a proxy's HTML page, say). */
      envelope: { success: boolean; result: unknown; errors: CloudflareError[] } | null;
      retryAfter: string | null;
      rateLimit: string | null;
    }
  | { kind: "timeout"; afterMs: number }
  | { kind: "network_error"; message: string };

export function targetPath(target: Target): string {
  return `${target.kind}/${target.id}`;
}

/** The exact request, also what DRY_RUN records as "would have been sent". */
export function buildRevokeUserRequest(baseUrl: string, input: RevokeUserInput): ApiRequest {
  const url = `${baseUrl}/${targetPath(input.target)}/access/organizations/revoke_user?devices=${input.devices}`;
  const body: Record<string, string | boolean> = { email: input.email };
  if (input.userUid) body.user_uid = input.userUid;
  if (input.warpSessionReauth) body.warp_session_reauth = true;
  return { method: "POST", url, body };
}

export async function revokeUserSessions(options: {
  fetch: typeof fetch;
  baseUrl: string;
  token: string;
  timeoutMs: number;
  input: RevokeUserInput;
}): Promise<RevokeUserAnswer> {
  const request = buildRevokeUserRequest(options.baseUrl, options.input);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs);
  try {
    const response = await options.fetch(request.url, {
      method: request.method,
      headers: { Authorization: `Bearer ${options.token}`, "Content-Type": "application/json" },
      body: JSON.stringify(request.body),
      signal: controller.signal,
      // A redirect is never followed: it would carry the token elsewhere, and its answer is no proof of
      // revocation. classifyAnswer fails the call instead.
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
    errors: parsed.data.errors.map((error) => ({ code: error.code ?? null, message: error.message ?? "" })),
  };
}
