// POST /ssf/{transmitter}: Security Event Tokens a Shared Signals transmitter pushes (RFC 8935).
// body limit → find the transmitter → read the raw body → receiveSet (the stream's credential, the media
// type, the JWS against the transmitter's keys, then the claims; receive-set.ts) → commit (commit-set.ts) → answer.
// Trust boundary: nothing in the body is believed before receiveSet verified it. A refusal's precise detail
// goes to the request log and the hourly rejection counts; the sender gets RFC 8935's err code.
// Answers:
// - 202 with an empty body: the SET is accepted (§2.2), including a replayed jti (the ledger's duplicate),
//   a SET that deprovisions nobody (§3: SETs are statements, not commands) and a subject nobody can resolve.
// - 400 {"err", "description"} (§2.3, codes from §2.4), 401 and 415: as receive-set.ts decides.
// - 400 invalid_request for a verified SET whose stream-updated status cannot be read: it is recorded first
//   (the stream may be paused: /v1/stats and /healthz say so), then refused as a SET not as SSF defines it.
// - 400 invalid_key when the transmitter's keys cannot be fetched (its JWKS is down, slow or garbage) and
//   none held can check the SET: §2.4's code for a key the recipient cannot use, never a 5xx. The SET may be
//   valid all the same, so it is held in the ledger and verified by the Cron Trigger once the keys can be
//   fetched (held-sets.ts): a valid one then revokes, a forged one never does. The description says so.
//   When it cannot be held, it must be delivered again: 503 ledger_unavailable (the ledger is down), or
//   503 keys_unavailable with Retry-After when HELD_SETS_PER_TRANSMITTER SETs already wait for the keys.
// - 404 (no such transmitter, or one that is polled and does not push: "push" in SSF_TRANSMITTERS), 405
//   (Allow: POST, from the app), 413 and 503 ledger_unavailable: the JSON failure shape of every route
//   (http/errors.ts), the first three before the body is read.
import { type Context, Hono } from "hono";
import * as z from "zod/mini";
import type { AppEnv } from "../context";
import { type SsfTransmitter, TRANSMITTER_NAME_PATTERN } from "../domain/ssf/transmitters";
import { limitBody } from "../http/body";
import { reportAcceptance, reportRejection } from "../http/delivery-report";
import { answerJsonError, fail } from "../http/errors";
import { apiDoc } from "../http/openapi";
import { logEvent } from "../log";
import { ssfSourceName } from "../sources/registry";
import { commitSet } from "./commit-set";
import { holdUnverifiedSet } from "./held-sets";
import { jwksCacheFor, ssfDeps } from "./jwks-registry";
import { receiveSet, type SetRejection } from "./receive-set";
import { SET_ERROR_CODES, SET_MEDIA_TYPE } from "./verify-set";

/** A SET is a few kilobytes; verify-set.ts refuses one over 64 KiB anyway. */
const MAX_SET_BODY_BYTES = 64 * 1024;

export const ssfRoutes = new Hono<AppEnv>();

ssfRoutes.onError(answerJsonError);

/** RFC 8935 §2.3's error body; `err` from §2.4. */
const SetErrorSchema = z.object({
  err: z.enum(SET_ERROR_CODES),
  description: z.string(),
});

ssfRoutes.post(
  "/:transmitter",
  apiDoc({
    summary: "A Security Event Token pushed by a Shared Signals transmitter (RFC 8935)",
    description:
      "`transmitter` is a name in SSF_TRANSMITTERS. The body is one SET (JWS compact form), verified against the transmitter's published keys before anything in it is read; when the stream has an authorization header (SSF_AUTH_<NAME>), it is required. See docs/ssf.md.",
    tag: "webhooks",
    auth: "none",
    pathParams: { transmitter: { pattern: `^${TRANSMITTER_NAME_PATTERN}$` } },
    body: { mediaTypes: [SET_MEDIA_TYPE], description: "one SET in JWS compact form" },
    ok: {
      202: { description: "accepted (RFC 8935 §2.2), a replayed jti included; no body" },
      400: { description: "the SET is not valid (RFC 8935 §2.3, §2.4)", schema: SetErrorSchema },
      401: { description: "the stream's authorization header is missing or wrong", schema: SetErrorSchema },
      415: { description: "the Content-Type is not application/secevent+jwt", schema: SetErrorSchema },
    },
    errors: ["not_found", "payload_too_large", "keys_unavailable", "ledger_unavailable"],
  }),
  limitBody(MAX_SET_BODY_BYTES),
  async function receivePushedSet(c) {
    const { name, transmitter } = configuredTransmitter(c);
    const body = new Uint8Array(await c.req.arrayBuffer());
    const now = ssfDeps().now();
    const received = await receiveSet({
      body,
      contentType: c.req.header("content-type") ?? null,
      authorization: c.req.header("authorization") ?? null,
      transmitterName: name,
      transmitter,
      authSecrets: c.get("config").ssfSecrets.get(name)?.auth ?? [],
      jwks: jwksCacheFor(name, transmitter),
      now,
    });
    if (received.kind === "rejected") return refuse(c, name, transmitter, received, now);
    const committed = await commitSet(c.env, name, received, (work) => c.executionCtx.waitUntil(work));
    // A SET that committed was noted in its transaction as the transmitter's last accepted delivery.
    if (!committed) reportAcceptance(c, ssfSourceName(name), now);
    if (received.unreadable === null) return c.body(null, 202);
    logEvent("ssf.rejected", { transmitter: name, status: 400, err: "invalid_request", reason: "invalid_request", detail: received.unreadable });
    reportRejection(c, ssfSourceName(name), "invalid_request", now);
    return c.json({ err: "invalid_request" as const, description: `${received.unreadable}; the SET was recorded` }, 400, {
      "Content-Language": "en",
    });
  },
);

/** A transmitter that does not push (it is polled) is not found here either, so nothing pushed to it is held. */
function configuredTransmitter(c: Context<AppEnv>): { name: string; transmitter: SsfTransmitter } {
  const name = c.req.param("transmitter") ?? "";
  const transmitter = c.get("config").ssfTransmitters.get(name);
  if (!transmitter) fail("not_found", "unknown SSF transmitter");
  if (!transmitter.push) fail("not_found", 'this SSF transmitter is polled, not pushed to ("push" in SSF_TRANSMITTERS)');
  return { name, transmitter };
}

async function refuse(c: Context<AppEnv>, name: string, transmitter: SsfTransmitter, rejection: SetRejection, now: number) {
  const held = rejection.unverifiedToken === null ? null : await holdUnverifiedSet(c.env, name, rejection.unverifiedToken, now);
  const reason = held === null ? rejection.body.err : "keys_unavailable";
  logEvent("ssf.rejected", {
    transmitter: name,
    status: rejection.status,
    err: rejection.body.err,
    reason,
    ...(held === null ? {} : { held }),
    detail: rejection.detail,
    ip: c.req.header("cf-connecting-ip") ?? null,
  });
  reportRejection(c, ssfSourceName(name), reason, now);
  // A SET that may be valid and could not be kept must be delivered again: the ledger's own outage, or the
  // hold full of unverifiable SETs (a flood during a JWKS outage). Neither is the SET's error.
  if (held === "failed") fail("ledger_unavailable", "the revocation ledger is unavailable; the SET was not kept: deliver it again");
  if (held === "full") {
    fail("keys_unavailable", "the transmitter's keys cannot be fetched and too many SETs wait for them; deliver it again later", undefined, {
      "Retry-After": String(Math.ceil(transmitter.jwksMinRefreshMs / 1000)),
    });
  }
  const body =
    held === "held" || held === "already_held"
      ? { ...rejection.body, description: `${rejection.body.description}; the SET is held and will be verified once its key can be fetched` }
      : rejection.body;
  return c.json(body, rejection.status, rejection.headers);
}
