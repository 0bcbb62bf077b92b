// POST /ssf/{transmitter}: Security Event Tokens a Shared Signals transmitter pushes (RFC 8935).
// body limit → find the transmitter → read the raw body → receiveSet (the stream's credential, the media
// type, the JWS against the transmitter's keys, then the claims; receive-set.ts) → commit (commit-set.ts) → answer.
// Trust boundary: nothing in the body is believed before receiveSet verified it. A refusal's precise detail
// goes to the request log and the hourly rejection counts; the sender gets RFC 8935's err code.
// Answers:
// - 202 with an empty body: the SET is accepted (§2.2), including a replayed jti (the ledger's duplicate),
//   a SET that deprovisions nobody (§3: SETs are statements, not commands) and a subject nobody can resolve.
// - 400 {"err", "description"} (§2.3, codes from §2.4), 401 and 415: as receive-set.ts decides.
// - 503 with Retry-After when the transmitter's keys cannot be fetched (its JWKS is down, slow or garbage)
//   and none held can check the SET. Not 400: the SET may be perfectly valid and the failure is ours.
//   §2.3 keeps 400 for errors "parsing, validating, or authenticating a SET" and leaves a general HTTP
//   error condition its own status, and §4 warns that a transmitter may give up on an error it expects to
//   fail again, whereas 503 with Retry-After is HTTP's "try again later" (RFC 9110 §15.6.4, §10.2.3). A
//   forged SET can only get this while the keys are unreachable; with keys held, an unknown kid is a 400.
// - 404 (no such transmitter), 405 (Allow: POST), 413 and 503 ledger_unavailable: the JSON failure shape
//   of every route (http/errors.ts), the first three before the body is read.
import { type Context, Hono } from "hono";
import { splitSecretList } from "../config";
import type { AppEnv } from "../context";
import { limitBody } from "../http/body";
import { answerJsonError, fail } from "../http/errors";
import { reportRejection } from "../http/rejection-report";
import { logEvent } from "../log";
import { commitSet } from "./commit-set";
import { jwksCacheFor, ssfDeps } from "./jwks-registry";
import { receiveSet, type SetRejection } from "./receive-set";
import { type SsfTransmitter, ssfAuthSecretVariable, ssfSourceName } from "./transmitters";

/** A SET is a few kilobytes; verify-set.ts refuses one over 64 KiB anyway. */
const MAX_SET_BODY_BYTES = 64 * 1024;

export const ssfRoutes = new Hono<AppEnv>();

ssfRoutes.onError(answerJsonError);

ssfRoutes.post("/:transmitter", limitBody(MAX_SET_BODY_BYTES), async function receivePushedSet(c) {
  const { name, transmitter } = configuredTransmitter(c);
  const body = new Uint8Array(await c.req.arrayBuffer());
  const now = ssfDeps().now();
  const received = await receiveSet({
    body,
    contentType: c.req.header("content-type") ?? null,
    authorization: c.req.header("authorization") ?? null,
    transmitterName: name,
    transmitter,
    authSecrets: authSecrets(c.env, name),
    jwks: jwksCacheFor(name, transmitter),
    now,
  });
  if (received.kind === "rejected") return refuse(c, name, transmitter, received, now);
  await commitSet(c.env, name, received);
  return c.body(null, 202);
});

ssfRoutes.all("/:transmitter", function wrongMethod(c) {
  configuredTransmitter(c);
  return fail("method_not_allowed", "use POST", undefined, { Allow: "POST" });
});

function configuredTransmitter(c: Context<AppEnv>): { name: string; transmitter: SsfTransmitter } {
  const name = c.req.param("transmitter") ?? "";
  const transmitter = c.get("config").ssfTransmitters.get(name);
  return transmitter ? { name, transmitter } : fail("not_found", "unknown SSF transmitter");
}

/** SSF_AUTH_<NAME>: the stream's authorization header values (a rotation list); empty when unset. */
function authSecrets(env: Env, name: string): string[] {
  const value: unknown = (env as unknown as Record<string, unknown>)[ssfAuthSecretVariable(name)];
  return typeof value === "string" ? splitSecretList(value) : [];
}

function refuse(c: Context<AppEnv>, name: string, transmitter: SsfTransmitter, rejection: SetRejection, now: number) {
  const reason = rejection.transient ? "keys_unavailable" : rejection.body.err;
  logEvent("ssf.rejected", {
    transmitter: name,
    status: rejection.status,
    err: rejection.body.err,
    reason,
    detail: rejection.detail,
    ip: c.req.header("cf-connecting-ip") ?? null,
  });
  reportRejection(c, ssfSourceName(name), reason, now);
  const headers = { ...rejection.headers };
  if (rejection.transient) headers["Retry-After"] = String(Math.ceil(transmitter.jwksMinRefreshMs / 1000));
  return c.json(rejection.body, rejection.transient ? 503 : rejection.status, headers);
}
