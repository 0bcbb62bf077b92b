// One deprovisioning per source, as that identity provider sends it: the request(s) `npm run send-event`
// makes. Bodies keep the documented shapes the tests' fixtures hold (test/fixtures/<source>/, each citing
// its provider's page) with fresh ids and the person given; signatures come from the sources' own signers
// (src/sources), keyed with the configured secret, so the Worker checks exactly what it would from the IdP.
// Contract: builds requests only; sending them, and serving the Shared Signals keys, is send-event's.
import { randomUUID } from "node:crypto";
import { importSrc } from "./src-modules.mjs";

const { signStandardDelivery } = await importSrc("sources/standard.ts");
const { signTimestampedHmac } = await importSrc("sources/timestamped-hmac.ts");
const { signConfigurableHmac } = await importSrc("sources/configurable-hmac.ts");
const { toHex, utf8 } = await importSrc("crypto/bytes.ts");
const { signHmac } = await importSrc("crypto/hmac.ts");
const { RISC_ACCOUNT_DISABLED } = await importSrc("domain/ssf/event-types.ts");

/** The sources send-event speaks: every webhook source, SCIM and Shared Signals. */
export const SOURCES = ["standard", "workos", "okta", "clerk", "zitadel", "keycloak", "google", "hmac", "scim", "ssf"];

const json = (value) => JSON.stringify(value);
const post = (path, headers, body) => ({ method: "POST", path, headers: { "content-type": "application/json", ...headers }, body });

/**
 * The requests that deprovision `person` ({email, uid, reason}) through `source`, in order. `secret` is the
 * source's first configured secret (the SCIM token for scim); `config` is the Worker's parsed configuration.
 * ssf is built by send-event (it needs the signing key it serves).
 */
export async function sampleRequests(source, person, secret, config, now = Date.now()) {
  const seconds = Math.floor(now / 1000);
  const id = randomUUID();
  switch (source) {
    case "standard": {
      // The canonical event (docs/providers.md), Standard Webhooks headers.
      const body = json({ type: "user.deprovisioned", timestamp: new Date(now).toISOString(), data: compact(person) });
      const messageId = `msg_${id}`;
      const signature = await signStandardDelivery(secret, messageId, seconds, body);
      return [post("/webhooks/standard", { "webhook-id": messageId, "webhook-timestamp": String(seconds), "webhook-signature": signature }, body)];
    }
    case "workos": {
      // workos.com/docs/events/data-syncing: dsync.user.deleted; WorkOS-Signature t=<ms>, v1=<hex>.
      const user = { object: "directory_user", id: `directory_user_${person.uid ?? id}`, email: person.email, state: "inactive" };
      const body = json({
        id: `event_${id}`,
        event: "dsync.user.deleted",
        data: { ...user, emails: [{ primary: true, type: "work", value: person.email }] },
        created_at: new Date(now).toISOString(),
      });
      return [post("/webhooks/workos", { "WorkOS-Signature": await signTimestampedHmac(secret, now, body) }, body)];
    }
    case "okta": {
      // developer.okta.com/docs/concepts/event-hooks: one user.lifecycle.deactivate log event, the secret in the configured header.
      const body = json({
        eventType: "com.okta.event_hook",
        eventTypeVersion: "1.0",
        cloudEventsVersion: "0.1",
        source: "https://example.okta.com/api/v1/eventHooks/send-event",
        eventId: id,
        eventTime: new Date(now).toISOString(),
        contentType: "application/json",
        data: {
          events: [
            {
              uuid: id,
              published: new Date(now).toISOString(),
              eventType: "user.lifecycle.deactivate",
              displayMessage: "Deactivate Okta user",
              actor: { id: "00usendevent0000000x7", type: "User", alternateId: "send-event@example.com", displayName: "npm run send-event" },
              outcome: { result: "SUCCESS", reason: person.reason ?? null },
              target: [{ id: person.uid ?? `00u${id.replaceAll("-", "").slice(0, 17)}`, type: "User", alternateId: person.email }],
            },
          ],
        },
      });
      return [post("/webhooks/okta", { [config.oktaAuthHeader]: secret }, body)];
    }
    case "clerk": {
      // clerk.com/docs/webhooks: user.updated with banned: true (user.deleted names only an id), signed by Svix.
      const addressId = `idn_${id.replaceAll("-", "")}`;
      const body = json({
        data: {
          id: person.uid ?? `user_${id.replaceAll("-", "")}`,
          object: "user",
          banned: true,
          locked: false,
          primary_email_address_id: addressId,
          email_addresses: [{ id: addressId, object: "email_address", email_address: person.email }],
          updated_at: now,
        },
        object: "event",
        timestamp: now,
        type: "user.updated",
      });
      const messageId = `msg_${id}`;
      const signature = await signStandardDelivery(secret, messageId, seconds, body);
      return [post("/webhooks/clerk", { "svix-id": messageId, "svix-timestamp": String(seconds), "svix-signature": signature }, body)];
    }
    case "zitadel": {
      // zitadel.com/docs/guides/integrate/actions: user.deactivated names only the user's id (aggregateID), so the
      // user.human.added ZITADEL sent when the user was made comes first and teaches the Worker the email.
      const user = person.uid ?? String(BigInt(`0x${id.replaceAll("-", "").slice(0, 15)}`));
      const event = (sequence, type, payload) =>
        json({
          aggregateID: user,
          aggregateType: "user",
          resourceOwner: "send-event",
          instanceID: "send-event",
          version: "v2",
          sequence,
          event_type: type,
          created_at: new Date(now).toISOString(),
          userID: "send-event",
          event_payload: payload,
        });
      // The Worker keys a ZITADEL event by user, sequence and type: a sequence from the clock keeps each run new.
      const added = event(2 * seconds, "user.human.added", { userName: person.email, email: person.email });
      const deactivated = event(2 * seconds + 1, "user.deactivated", null);
      return Promise.all(
        [added, deactivated].map(async (body) =>
          post("/webhooks/zitadel", { "ZITADEL-Signature": await signTimestampedHmac(secret, seconds, body) }, body),
        ),
      );
    }
    case "keycloak": {
      // p2-inc/keycloak-events ext-event-webhook: admin.USER-UPDATE, enabled false; X-Keycloak-Signature hex HMAC of the body.
      const user = person.uid ?? id;
      const body = json({
        time: now,
        realmId: "send-event",
        uid: id,
        authDetails: { realmId: "master", clientId: "security-admin-console", userId: "send-event", username: "admin" },
        type: "admin.USER-UPDATE",
        operationType: "UPDATE",
        resourcePath: `users/${user}`,
        representation: json({ id: user, username: person.email, email: person.email, enabled: false }),
        resourceType: "USER",
      });
      return [post("/webhooks/keycloak", { "X-Keycloak-Signature": toHex(await signHmac(utf8(secret), "SHA-256", utf8(body))) }, body)];
    }
    case "google": {
      // developers.google.com/admin-sdk/reports/v1/guides/push: an admin activity, SUSPEND_USER with USER_EMAIL; the channel token.
      const body = json({
        kind: "admin#reports#activity",
        id: { time: new Date(now).toISOString(), uniqueQualifier: id, applicationName: "admin", customerId: "send-event" },
        actor: { callerType: "USER", email: "send-event@example.com" },
        events: [{ type: "USER_SETTINGS", name: "SUSPEND_USER", parameters: [{ name: "USER_EMAIL", value: person.email }] }],
      });
      const headers = { "X-Goog-Channel-Token": secret, "X-Goog-Channel-ID": "send-event", "X-Goog-Resource-State": "SUSPEND_USER" };
      return [post("/webhooks/google", headers, body)];
    }
    case "hmac": {
      // The fields where HMAC_*_PATH says, the first of HMAC_DEPROVISION_EVENTS, signed as HMAC_* says.
      const hmac = config.hmacSource;
      const event = {};
      setPath(event, hmac.eventIdPath, `evt_${id}`);
      setPath(event, hmac.eventTypePath, hmac.deprovisionEvents[0]);
      setPath(event, hmac.emailPath, person.email);
      if (hmac.subjectPath) setPath(event, hmac.subjectPath, person.uid ?? `user_${id}`);
      const body = json(event);
      const timestamp = hmac.timestampHeader ? String(seconds) : null;
      const headers = { [hmac.header]: await signConfigurableHmac(hmac, secret, body, timestamp) };
      if (timestamp) headers[hmac.timestampHeader] = timestamp;
      return [post("/webhooks/hmac", headers, body)];
    }
    case "scim": {
      // RFC 7644 as Okta and Entra ID provision: the user is created (or found), then PATCHed active: false.
      return [
        {
          method: "POST",
          path: "/scim/v2/Users",
          headers: { "content-type": "application/scim+json", authorization: `Bearer ${secret}` },
          body: json({
            schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
            userName: person.email,
            externalId: person.uid ?? id,
            active: true,
            emails: [{ value: person.email, primary: true, type: "work" }],
          }),
        },
        {
          method: "PATCH",
          path: "/scim/v2/Users/{id}",
          headers: { "content-type": "application/scim+json", authorization: `Bearer ${secret}` },
          body: json({
            schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            Operations: [{ op: "replace", path: "active", value: false }],
          }),
        },
      ];
    }
    default:
      throw new Error(`no sample for ${source}`);
  }
}

/** The claims of a RISC account-disabled SET for `email` (SSF 1.0 §5's simple `email` subject), to be signed. */
export function sampleSetClaims(transmitter, email, now = Date.now()) {
  return {
    iss: transmitter.issuer,
    aud: transmitter.audiences[0],
    iat: Math.floor(now / 1000),
    jti: randomUUID().replaceAll("-", ""),
    sub_id: { format: "email", email },
    events: { [RISC_ACCOUNT_DISABLED]: { reason: "bulk-account" } },
  };
}

function compact(person) {
  return Object.fromEntries(
    Object.entries({ email: person.email, user_uid: person.uid, reason: person.reason }).filter(([, value]) => value !== undefined),
  );
}

/** Sets "a.b.c" in a plain object, making the objects on the way. */
function setPath(target, path, value) {
  const steps = path.split(".");
  let node = target;
  for (const step of steps.slice(0, -1)) {
    node[step] ??= {};
    node = node[step];
  }
  node[steps.at(-1)] = value;
}
