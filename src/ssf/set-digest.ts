// The digest of what a verified SET says, which tells a redelivery from a reused jti (ledger/ssf/jti.ts):
// SHA-256 (hex) over its `sub_id` and `events` in canonical JSON. Left out: `iat`, `txn` and the signature,
// so a transmitter that signs a SET again to retry it (a new iat, a new ECDSA signature) sends the same
// statement; `iss` and `aud` are the transmitter's own and already checked.
// Canonical JSON is RFC 8785 (JCS): object members sorted by name in UTF-16 code units, and numbers and
// strings as ECMAScript's JSON.stringify writes them. In JavaScript that is JSON.stringify with sorted
// members, for values that came from JSON.parse, so it is written here rather than taken from a library.
// Contract: pure but for WebCrypto's digest; never throws on a verified SET.

import { utf8 } from "../crypto/bytes";
import { sha256Hex } from "../crypto/sha256";
import type { VerifiedSet } from "./verify-set";

export function setDigest(set: Pick<VerifiedSet, "sub_id" | "events">): Promise<string> {
  return sha256Hex(utf8(canonicalJson({ events: set.events, sub_id: set.sub_id ?? null })));
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const members = Object.entries(value)
      .filter(([, member]) => member !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${members.map(([name, member]) => `${JSON.stringify(name)}:${canonicalJson(member)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}
