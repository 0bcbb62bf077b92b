// Who a Universal Logout call names: its body's Subject Identifier (RFC 9493), under `sub_id` (the IETF draft
// "OAuth 2.0 Global Token Revocation" §3.2) or under `subject` (the form Okta's guide "Build Universal Logout for
// your app" still shows). Read by the Shared Signals receiver's subject reader (ssf/subjects.ts), so the formats
// mean here what they mean in a SET:
// - email: the address, validated and lower-cased (an unusable one is recorded as such, never sent on);
// - iss_sub: `sub` is an Okta user id when `iss` is the org (OKTA_ORG_URL, a trailing slash ignored) or one of
//   its authorization servers (`<org>/oauth2/<id>`: Okta's help for generic OIDC apps names "the OAuth2 issuer
//   URL for the client app", and every Okta authorization server's `sub` is the user id), resolved through the
//   identity directory under the source `okta` that Okta's event hooks feed; another issuer's subject is
//   `<iss>|<sub>` there, which only an operator's import can name;
// - opaque: `id` is an Okta user id, resolved the same way (the form Okta's own global revocation API takes).
// A body naming both members differently, neither, or a format not listed is invalid (the draft's 400).
// Contract: pure; never throws.
import { resolveSubject, type SubjectResolution } from "../ssf/subjects";

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

const AUTHORIZATION_SERVER_PATH = /^\/oauth2\/[A-Za-z0-9_-]{1,100}$/;

/** The org, with or without the slash the draft's examples end with, or one of its authorization servers. */
function withOrgIssuer(subject: Record<string, unknown>, issuer: string): Record<string, unknown> {
  if (typeof subject.iss !== "string") return subject;
  const iss = subject.iss.replace(/\/+$/, "");
  const ofOrg = iss === issuer || (iss.startsWith(`${issuer}/`) && AUTHORIZATION_SERVER_PATH.test(iss.slice(issuer.length)));
  return ofOrg ? { ...subject, iss: issuer } : subject;
}

export function readLogoutSubject(body: unknown, issuer: string): SubjectResolution {
  if (!isObject(body)) return { ok: false, reason: "the body is not a JSON object" };
  const { sub_id: subId, subject } = body;
  if (subId !== undefined && subject !== undefined && JSON.stringify(subId) !== JSON.stringify(subject)) {
    return { ok: false, reason: "sub_id and subject name different subjects" };
  }
  const named = subId ?? subject;
  if (named === undefined) return { ok: false, reason: "the body has no sub_id (or subject)" };
  if (!isObject(named)) return { ok: false, reason: "sub_id is not a subject identifier object" };
  if (!["email", "iss_sub", "opaque"].includes(String(named.format))) {
    return { ok: false, reason: `subject format ${JSON.stringify(String(named.format).slice(0, 40))} is not supported (email, iss_sub, opaque)` };
  }
  return resolveSubject(withOrgIssuer(named, issuer), issuer);
}
