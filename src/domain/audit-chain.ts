// The audit chain (issue #23): how each audit entry is encoded and hashed, how it links to the entry before
// it, and how a run of entries is checked. The ledger seals entries with it (ledger/audit/chain.ts), the
// CLI's `audit verify` checks an export with it, and src/audit/KEYS.md states the same rules for anyone
// who wants to check a chain with their own code.
// - An entry is the JSON object an export line holds: its KV key as `key`, the members of its KV value,
//   and `seq` (1, 2, 3 … per deployment, no gaps), `prev_hash` and `hash`.
// - `hash` is the lower-case hex SHA-256 of the UTF-8 bytes of the entry without its `hash` member, encoded
//   as RFC 8785 (JSON Canonicalization Scheme): object members sorted by their names' UTF-16 code units, no
//   white space, strings and numbers written as ECMAScript's JSON.stringify writes them (RFC 8785 §3.2.2
//   adopts exactly that), so sorting the members and calling JSON.stringify is the whole of it here.
// - `prev_hash` is the `hash` of entry seq − 1; entry 1's is the genesis hash, SHA-256 of
//   "access-revoker audit chain " + the deployment's chain id, which ties a chain to one deployment.
// Contract: pure but for WebCrypto's SHA-256 (asynchronous). No relative imports: the CLI loads this file
// in Node as it is.

/** The first link of a deployment's chain is made from its chain id with this prefix. */
const GENESIS_PREFIX = "access-revoker audit chain ";

/** The members an entry's chain position adds; an entry's own value never uses these names. */
export const CHAIN_FIELDS = ["key", "seq", "prev_hash", "hash"] as const;

export type ChainPosition = { seq: number; prev_hash: string; hash: string };
/** An entry as an export line holds it: the key, the value's members and its chain position. */
export type ChainEntry = { key: string; seq: number; prev_hash: string; hash: string } & Record<string, unknown>;

/** RFC 8785 for JSON values: members sorted by name (UTF-16 code units, Array.prototype.sort's order), no white space. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const members = Object.entries(value as Record<string, unknown>)
      .filter(([, member]) => member !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${members.map(([name, member]) => `${JSON.stringify(name)}:${canonicalJson(member)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** The `hash` of an entry: SHA-256 of the canonical JSON of everything but its own `hash`. */
export function entryHash(entry: Record<string, unknown>): Promise<string> {
  const { hash: _ignored, ...hashed } = entry;
  return sha256Hex(canonicalJson(hashed));
}

/** The `prev_hash` of a deployment's first entry. */
export function genesisHash(chainId: string): Promise<string> {
  return sha256Hex(`${GENESIS_PREFIX}${chainId}`);
}

/** Where a checked run begins: the seq of its first entry and the hash it must link to. */
export type ChainStart = { seq: number; prev_hash: string };

export type ChainBreak = {
  /** The first entry that does not hold (null when the run itself is empty or the end is wrong). */
  seq: number | null;
  key: string | null;
  /** 1-based position of that entry in the run checked. */
  position: number;
  reason: "edited" | "missing" | "out_of_order" | "unlinked" | "not_an_entry" | "start" | "ends_early";
  message: string;
};

export type ChainVerdict =
  | { ok: true; count: number; first_seq: number | null; last_seq: number | null; head_hash: string | null }
  | { ok: false; verified: number; broken: ChainBreak };

const isHash = (value: unknown): value is string => typeof value === "string" && /^[0-9a-f]{64}$/.test(value);

/**
 * Checks a run of entries in the order given: each one's `hash` against its content, its `seq` against the
 * one before (no gap, no repeat, no step back), and its `prev_hash` against the hash before it (`start`
 * for the first). `endSeq`, when known, is where the run must end. Answers the first break.
 */
export async function verifyChain(entries: unknown[], start: ChainStart, endSeq?: number): Promise<ChainVerdict> {
  let expectedSeq = start.seq;
  let previousHash = start.prev_hash;
  let position = 0;
  const broken = (reason: ChainBreak["reason"], entry: Partial<ChainEntry> | null, message: string): ChainVerdict => ({
    ok: false,
    verified: position - 1,
    broken: {
      seq: typeof entry?.seq === "number" ? entry.seq : null,
      key: typeof entry?.key === "string" ? entry.key : null,
      position,
      reason,
      message,
    },
  });
  const present = new Set(entries.map((entry) => (entry as Partial<ChainEntry> | null)?.seq));
  for (const candidate of entries) {
    position++;
    const entry = candidate as Partial<ChainEntry>;
    if (
      candidate === null ||
      typeof candidate !== "object" ||
      typeof entry.key !== "string" ||
      !Number.isSafeInteger(entry.seq) ||
      !isHash(entry.prev_hash) ||
      !isHash(entry.hash)
    ) {
      return broken("not_an_entry", entry, `entry ${position} is not a chained audit entry (it needs key, seq, prev_hash and hash)`);
    }
    const seq = entry.seq as number;
    if ((await entryHash(entry)) !== entry.hash) {
      return broken("edited", entry, `seq ${seq} (${entry.key}) was changed after it was chained: its content does not match its hash`);
    }
    if (seq < expectedSeq) {
      return broken("out_of_order", entry, `seq ${seq} (${entry.key}) comes after seq ${expectedSeq - 1}: entries were reordered or repeated`);
    }
    if (seq > expectedSeq && present.has(expectedSeq)) {
      return broken("out_of_order", entry, `seq ${seq} (${entry.key}) comes before seq ${expectedSeq}: entries were reordered`);
    }
    if (seq > expectedSeq) {
      const gap = seq - 1 === expectedSeq ? `seq ${expectedSeq} is` : `seq ${expectedSeq} to ${seq - 1} are`;
      return broken("missing", entry, `${gap} missing before seq ${seq} (${entry.key}): deleted from the audit log or left out of this file`);
    }
    if (entry.prev_hash !== previousHash) {
      const before = position === 1 ? `the stated start of the run (prev_hash ${previousHash})` : `seq ${seq - 1}'s hash`;
      return broken(
        "unlinked",
        entry,
        `seq ${seq} (${entry.key}) does not link to ${before}: ${position === 1 ? "it is not where the run says it starts" : `seq ${seq - 1} was changed and re-hashed, or seq ${seq} was put in its place`}`,
      );
    }
    previousHash = entry.hash as string;
    expectedSeq = seq + 1;
  }
  if (endSeq !== undefined && expectedSeq - 1 !== endSeq) {
    position++;
    const last = expectedSeq - 1;
    return broken(
      "ends_early",
      null,
      last < start.seq
        ? `the run is empty but should reach seq ${endSeq}`
        : `the run ends at seq ${last} but should reach seq ${endSeq}: the file is truncated or its last entries were deleted`,
    );
  }
  const count = expectedSeq - start.seq;
  return {
    ok: true,
    count,
    first_seq: count > 0 ? start.seq : null,
    last_seq: count > 0 ? expectedSeq - 1 : null,
    head_hash: count > 0 ? previousHash : null,
  };
}
