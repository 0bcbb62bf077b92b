// Which CAEP credential-change events mean the person may have lost control of a credential, and so end
// their Access sessions (when the transmitter is configured with `credential_change`).
// CAEP 1.0 §3.3 names four change types and no more: create, revoke, update, delete.
// - revoke, delete: a credential was taken away (a key reported lost, a factor removed): revoke.
// - update: only for a password or a PIN (CAEP §3.3's "password/PIN change/reset"): whoever knew the old one
//   should no longer be signed in. An update of another credential (a certificate renewed, a factor
//   re-registered; Keycloak's transmitter sends every credential event as `update` with the credential type
//   it logged, e.g. "otp") is not lost control.
// - create: enrolling an authenticator is not lost control; it never revokes.
// - a change type the spec does not name, or none (it is REQUIRED): not revoked, and said why.
// Values are compared lower-cased. Contract: pure.

const LOST_CONTROL = new Set(["revoke", "delete"]);
const SECRETS_CHANGED_BY_UPDATE = new Set(["password", "pin"]);

/** null when the event means lost control (revoke); otherwise why it does not, for the log. */
export function credentialChangeNotLostControl(payload: Record<string, unknown>): string | null {
  const changeType = typeof payload.change_type === "string" ? payload.change_type.toLowerCase() : null;
  const credentialType = typeof payload.credential_type === "string" ? payload.credential_type.toLowerCase() : null;
  if (changeType !== null && LOST_CONTROL.has(changeType)) return null;
  if (changeType === "update" && credentialType !== null && SECRETS_CHANGED_BY_UPDATE.has(credentialType)) return null;
  const what = `change_type ${JSON.stringify(changeType?.slice(0, 40) ?? null)} of credential_type ${JSON.stringify(credentialType?.slice(0, 40) ?? null)}`;
  return `${what} is not a lost credential (only revoke, delete, and update of a password or PIN are)`;
}
