// The event-type URIs the Shared Signals receiver knows by name, and how they read in a reason.
// Sources: OpenID RISC Profile 1.0 §2 (base https://schemas.openid.net/secevent/risc/event-type/),
// OpenID CAEP 1.0 §3 (base …/caep/event-type/), OpenID SSF 1.0 §8.1.4 (verification) and §8.1.5
// (stream-updated), both under …/ssf/event-type/.

const RISC = "https://schemas.openid.net/secevent/risc/event-type/";
const CAEP = "https://schemas.openid.net/secevent/caep/event-type/";
const SSF = "https://schemas.openid.net/secevent/ssf/event-type/";

export const RISC_ACCOUNT_DISABLED = `${RISC}account-disabled`;
export const RISC_ACCOUNT_PURGED = `${RISC}account-purged`;
export const CAEP_SESSION_REVOKED = `${CAEP}session-revoked`;
export const CAEP_CREDENTIAL_CHANGE = `${CAEP}credential-change`;
export const SSF_VERIFICATION = `${SSF}verification`;
export const SSF_STREAM_UPDATED = `${SSF}stream-updated`;

/** A stream's status (SSF 1.0 §8.1.5): what its stream-updated events set. */
export const STREAM_STATUSES = ["enabled", "paused", "disabled"] as const;
export type StreamStatus = (typeof STREAM_STATUSES)[number];

/** What a transmitter's SETs deprovision when its config names no `events`. */
export const DEFAULT_DEPROVISIONING_EVENTS: readonly string[] = [RISC_ACCOUNT_DISABLED, RISC_ACCOUNT_PURGED, CAEP_SESSION_REVOKED];

const FAMILIES: ReadonlyArray<[prefix: string, label: string]> = [
  [RISC, "RISC"],
  [CAEP, "CAEP"],
  [SSF, "SSF"],
];

/** "CAEP session-revoked" for a known family; the URI itself otherwise. */
export function describeEventType(uri: string): string {
  for (const [prefix, label] of FAMILIES) {
    if (uri.startsWith(prefix) && uri.length > prefix.length) return `${label} ${uri.slice(prefix.length)}`;
  }
  return uri;
}
