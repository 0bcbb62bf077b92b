// POST /okta/universal-logout: Okta's Universal Logout (Identity Threat Protection, and the "Log out user" admin
// action) calls an app's Global Token Revocation endpoint for one person.
// body limit → Universal Logout on? → the bearer JWT (verify-token.ts, before the body is read) → the subject
// (logout-subject.ts) → commit to the ledger → answer. A fifth way an Okta tenant reaches us, and unlike event
// hooks a signed one: records carry assurance "signed" under the source `okta`.
// Answers, as the IETF draft "OAuth 2.0 Global Token Revocation" §3.4 and Okta's guide list them (Okta reads only
// the status):
// - 204 once the revocation is in the ledger ("revocation has begun"), a retry or replay of the same token
//   included: it is the same revocation (its event id is the token's jti), so nothing more is revoked;
// - 401 (with WWW-Authenticate) when the token is missing, unsigned, signed by a key the org does not publish,
//   for another audience or issuer, or expired; the precise reason goes to the log and the hourly refusals only;
// - 400 for a body that is not JSON, names no subject, a format other than email/iss_sub/opaque, or an address
//   that cannot be used (recorded as invalid_email all the same);
// - 404 when the directory does not know the subject (an iss_sub or opaque Okta user id no event hook has
//   shown with an email yet): recorded as unresolved, and revoked as soon as the directory learns the subject;
// - 503 keys_unavailable (Retry-After) when Okta's keys cannot be fetched to check a token no claim refutes, and
//   503 ledger_unavailable when the ledger cannot commit: both mean "call again", and nothing was revoked.
import { type Context, Hono } from "hono";
import * as z from "zod/mini";
import type { AppEnv } from "../context";
import { observedIdentity, validEvents } from "../domain/identity-events";
import { observations, revocationRequests } from "../domain/revocation-requests";
import { limitBody, readJson } from "../http/body";
import { reportRejection } from "../http/delivery-report";
import { answerJsonError, fail } from "../http/errors";
import { onLedger } from "../http/ledger";
import { apiDoc } from "../http/openapi";
import { logEvent } from "../log";
import { readLogoutSubject } from "./logout-subject";
import { oktaKeysFor, universalLogoutDeps } from "./okta-keys";
import { verifyLogoutToken } from "./verify-token";

const MAX_BODY_BYTES = 16 * 1024;
const SOURCE = "okta";
const EVENT_TYPE = "okta.universal_logout";
/** How long Okta should wait before calling again when its keys could not be fetched (the JWKS refresh gate). */
const KEYS_RETRY_AFTER_SECONDS = 60;

/** What the document shows of the body; logout-subject.ts reads it (either member, one subject). */
const SubjectIdentifierSchema = z.looseObject({ format: z.enum(["email", "iss_sub", "opaque"]) });
const LogoutBodySchema = z.looseObject({ sub_id: z.optional(SubjectIdentifierSchema), subject: z.optional(SubjectIdentifierSchema) });

export const universalLogoutRoutes = new Hono<AppEnv>();

universalLogoutRoutes.onError(answerJsonError);

universalLogoutRoutes.post(
  "/universal-logout",
  apiDoc({
    summary: "Okta Universal Logout: revoke one person's Access sessions (Global Token Revocation)",
    description:
      "Called by Okta with a JWT it signs with its org's keys (Authorization: Bearer) and the person as an RFC 9493 subject identifier under `sub_id` (or `subject`): email, iss_sub or opaque (an Okta user id, resolved through the directory under the source okta). On when OKTA_ORG_URL is set. 204 once the revocation is committed; a repeated token is the same revocation. See docs/providers.md.",
    tag: "webhooks",
    auth: "none",
    body: {
      schema: LogoutBodySchema,
      mediaTypes: ["application/json"],
      description: "an RFC 9493 subject identifier under `sub_id` (the draft) or `subject` (Okta's guide)",
      examples: { "application/json": { sub_id: { format: "email", email: "user@example.com" } } },
    },
    ok: { 204: { description: "the revocation is committed (or was, for a repeated token)" } },
    errors: ["unauthorized", "malformed_json", "invalid_request", "not_found", "payload_too_large", "keys_unavailable", "ledger_unavailable"],
  }),
  limitBody(MAX_BODY_BYTES),
  async function receiveUniversalLogout(c) {
    const settings = c.get("config").universalLogout;
    if (settings === null) fail("not_found", "Okta Universal Logout is off: set OKTA_ORG_URL (and PUBLIC_URL or OKTA_UNIVERSAL_LOGOUT_AUDIENCE)");
    const now = universalLogoutDeps().now();
    const verified = await verifyLogoutToken(c.req.header("authorization") ?? null, { settings, jwks: oktaKeysFor(settings), now });
    if (!verified.ok) {
      refusal(c, verified.reason, verified.detail, now);
      if (verified.transient) {
        fail("keys_unavailable", "Okta's signing keys cannot be fetched to check the token; nothing was revoked: call again", undefined, {
          "Retry-After": String(KEYS_RETRY_AFTER_SECONDS),
        });
      }
      fail("unauthorized", "the token could not be verified", undefined, { "WWW-Authenticate": 'Bearer error="invalid_token"' });
    }

    const subject = readLogoutSubject(await readJson(c), settings.issuer);
    if (!subject.ok) {
      refusal(c, "invalid_subject", subject.reason, now);
      fail("invalid_request", subject.reason);
    }
    const ignored: string[] = [];
    const events = validEvents(
      [{ event_id: verified.eventId, event_type: EVENT_TYPE, email: subject.address ?? undefined, subject_id: subject.subjectId ?? undefined }],
      ignored,
    );
    const learning = observations(SOURCE, observedIdentity(verified.eventId, subject.subjectId, subject.email));
    const requests = revocationRequests({ source: SOURCE, assurance: "signed" }, events);
    const [receipt] = await onLedger(c.env, (ledger) => ledger.commit(requests, learning), "the logout request");
    logEvent("universal_logout.accepted", { event_id: verified.eventId, caller: verified.subject, id: receipt?.id, status: receipt?.status });
    if (receipt === undefined || receipt.status === "invalid_email")
      fail("invalid_request", ignored.join("; ") || "the subject's email cannot be used");
    if (receipt.status === "unresolved") {
      fail("not_found", "the user is not known yet: the request is recorded and revokes once the directory learns the subject", { id: receipt.id });
    }
    return c.body(null, 204);
  },
);

function refusal(c: Context<AppEnv>, reason: string, detail: string, now: number): void {
  logEvent("universal_logout.rejected", { reason, detail, ip: c.req.header("cf-connecting-ip") ?? null });
  reportRejection(c, SOURCE, `universal_logout_${reason}`, now);
}
