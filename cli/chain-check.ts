// `audit verify`: checks a chain export (GET /v1/audit/export?kind=chain, NDJSON) with the chain's own rules
// (src/domain/audit-chain.ts): every entry's hash against its content, no seq missing, repeated or out of
// order, every prev_hash the hash before it, the run starting where its first line says (the genesis hash
// for the chain's first entry) and ending where it says. Against the Worker it also compares the chain id
// (another deployment's export is told apart) and every hash with the one the ledger sealed
// (GET /v1/audit/chain), which names the first entry that differs even when an edit was re-hashed.
// A pinned head missing from a run that stops short of the header's head (the export leaves out entries
// written less than a minute before it, KV not showing them everywhere yet) is pending, not a break.
// Contract: pure but for WebCrypto and the API client it is handed; answers a verdict, never throws for a
// bad file (a CheckFailure says what is wrong with it).
import { type ChainBreak, genesisHash, verifyChain } from "../src/domain/audit-chain.ts";
import type { AuditChainPage } from "../src/domain/views.ts";
import type { ApiClient } from "./api.ts";

/** The first line of a chain export: which run of which chain the file holds. */
type ChainExportHeader = {
  chain_id: string;
  from_seq: number | null;
  to_seq: number | null;
  prev_hash: string | null;
  head: { seq: number; hash: string; at: string } | null;
  exported_at: string;
};

export type ParsedExport = { header: ChainExportHeader; entries: unknown[] };

/** Why a file cannot be checked at all (not an export, cut off, …). */
export class CheckFailure extends Error {}

/** Reads a chain export's text: its header line, then one entry per line. */
export function parseChainExport(text: string): ParsedExport {
  if (text.trim() === "") throw new CheckFailure("the file is empty: not an audit chain export");
  const lines = text.split("\n");
  const complete = text.endsWith("\n");
  if (complete) lines.pop();
  const values: unknown[] = [];
  for (const [index, line] of lines.entries()) {
    try {
      values.push(JSON.parse(line));
    } catch {
      const last = index === lines.length - 1;
      throw new CheckFailure(
        last && !complete
          ? `line ${index + 1} is cut off: the file is truncated (an export ends with a newline)`
          : `line ${index + 1} is not JSON: this is not an audit chain export (NDJSON, one entry per line)`,
      );
    }
  }
  const first = values[0] as { audit_chain?: Partial<ChainExportHeader> } | null;
  const header = first && typeof first === "object" ? first.audit_chain : undefined;
  if (!header || typeof header.chain_id !== "string") {
    throw new CheckFailure(
      "the first line is not an audit chain export's header: export the chain with `audit export --kind chain` (an export of one kind cannot show a deleted entry)",
    );
  }
  return { header: header as ChainExportHeader, entries: values.slice(1) };
}

/**
 * A pinned head the run does not reach yet: the ledger's head is past the run's last seq, because an export
 * leaves out entries KV may not show everywhere yet (written less than a minute before it). Not a break:
 * the same check after `retry_after` includes them. `seq` is the pinned head's, when known.
 */
type PendingHead = {
  head_hash: string;
  seq: number | null;
  run_to_seq: number;
  ledger_head_seq: number;
  retry_after: string;
  /** What to run again: this check (an export made now), or an export first (a file stays as it is). */
  again: "run again" | "export again";
  message: string;
};

export type CheckReport =
  | { ok: true; chain_id: string; count: number; first_seq: number | null; last_seq: number | null; head_hash: string | null; notes: string[] }
  | { ok: false; chain_id: string; verified: number; broken: ChainBreak; notes: string[] }
  | { ok: false; chain_id: string; verified: number; pending: PendingHead; notes: string[] };

/** How long KV takes to show a write everywhere: an export leaves out entries written less than this before it. */
const KV_VISIBLE_AFTER_MS = 60_000;

/** When an export made now would include what `header`'s export left out as too recent. */
function retryAfter(header: ChainExportHeader): string {
  const exported = Date.parse(header.exported_at);
  return new Date((Number.isNaN(exported) ? Date.now() : exported) + KV_VISIBLE_AFTER_MS).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** The pinned head is seq `seq` of the ledger's chain, after the run: say so, not "rewritten". */
function pendingAt(pending: PendingHead, seq: number): PendingHead {
  return {
    ...pending,
    seq,
    message: `the pinned head is seq ${seq}, written less than a minute before the export; KV does not show it yet (this run ends at seq ${pending.run_to_seq}): ${pending.again} after ${pending.retry_after}`,
  };
}

/**
 * Checks the file on its own; `pinnedHead` is a hash from a report or /v1/stats that must be in it.
 * `periodEndsNow`: the export was made for a period ending at its own time (`audit verify` without a
 * file), so whatever the ledger holds past the run was left out as too recent.
 */
export async function checkExport(parsed: ParsedExport, pinnedHead?: string, periodEndsNow = false): Promise<CheckReport> {
  const { header, entries } = parsed;
  const notes: string[] = [];
  if (header.from_seq === null || header.to_seq === null || header.prev_hash === null) {
    if (entries.length > 0) throw new CheckFailure("the header says the export covers no entries, but entries follow it");
    return {
      ok: true,
      chain_id: header.chain_id,
      count: 0,
      first_seq: null,
      last_seq: null,
      head_hash: null,
      notes: ["the export covers no entries"],
    };
  }
  if (header.from_seq === 1 && header.prev_hash !== (await genesisHash(header.chain_id))) {
    const broken: ChainBreak = {
      seq: 1,
      key: null,
      position: 1,
      reason: "start",
      message: `seq 1 must link to chain ${header.chain_id}'s genesis hash; the header states another prev_hash`,
    };
    return { ok: false, chain_id: header.chain_id, verified: 0, broken, notes };
  }
  if (header.from_seq > 1) {
    notes.push(
      `the run starts at seq ${header.from_seq} (earlier entries are outside the period or expired by AUDIT_RETENTION_DAYS); its prev_hash is the export's word: --worker checks it against the ledger`,
    );
  }
  const verdict = await verifyChain(entries, { seq: header.from_seq, prev_hash: header.prev_hash }, header.to_seq);
  if (!verdict.ok) return { ok: false, chain_id: header.chain_id, verified: verdict.verified, broken: verdict.broken, notes };
  const newest = header.head;
  const leftOut = newest && newest.seq > header.to_seq ? newest.seq - header.to_seq : 0;
  if (leftOut > 0 && newest) {
    const range = leftOut === 1 ? `seq ${newest.seq}` : `seq ${header.to_seq + 1} to ${newest.seq}`;
    notes.push(
      periodEndsNow
        ? `${leftOut} newer ${leftOut === 1 ? "entry" : "entries"} (${range}) left out as too recent: KV shows an entry everywhere up to a minute after it is written; run again after ${retryAfter(header)} to include ${leftOut === 1 ? "it" : "them"}`
        : `the ledger's head was seq ${newest.seq} when this was exported: ${range} ${leftOut === 1 ? "is" : "are"} not in this file (after its period, or written less than a minute before the export)`,
    );
  }
  if (pinnedHead !== undefined && !entries.some((entry) => (entry as { hash?: unknown }).hash === pinnedHead) && leftOut > 0 && newest) {
    const pending: PendingHead = {
      head_hash: pinnedHead,
      seq: null,
      run_to_seq: header.to_seq,
      ledger_head_seq: newest.seq,
      retry_after: retryAfter(header),
      again: periodEndsNow ? "run again" : "export again",
      message: `the pinned head is not in this run (seq ${header.from_seq} to ${header.to_seq}), but the ledger's head was seq ${newest.seq} when it was exported: if the pinned head is one of the entries after the run, written less than a minute before, ${periodEndsNow ? "run again" : "export again"} after ${retryAfter(header)} (--worker looks it up in the ledger's chain)`,
    };
    return {
      ok: false,
      chain_id: header.chain_id,
      verified: verdict.count,
      pending: newest.hash === pinnedHead ? pendingAt(pending, newest.seq) : pending,
      notes,
    };
  }
  if (pinnedHead !== undefined && !entries.some((entry) => (entry as { hash?: unknown }).hash === pinnedHead)) {
    const broken: ChainBreak = {
      seq: null,
      key: null,
      position: entries.length,
      reason: "unlinked",
      message: `the pinned head ${pinnedHead} is not in this run (seq ${header.from_seq} to ${header.to_seq}): the chain was rewritten, or the head is from outside the period`,
    };
    return { ok: false, chain_id: header.chain_id, verified: verdict.count, broken, notes };
  }
  return { ...verdict, chain_id: header.chain_id, notes };
}

/** The ledger's hashes for seq `from` to `to`, page by page. */
async function ledgerHashes(
  api: ApiClient,
  from: number,
  to: number,
): Promise<{ chainId: string; hashes: Map<number, { key: string; hash: string | null }> }> {
  const hashes = new Map<number, { key: string; hash: string | null }>();
  let after = Math.max(0, from - 1);
  let chainId = "";
  for (;;) {
    const page = (await api.request<AuditChainPage>("GET", "/v1/audit/chain", { query: { after, limit: 5000 } })).body;
    chainId = page.chain_id;
    for (const entry of page.entries) hashes.set(entry.seq, { key: entry.key, hash: entry.hash });
    const last = page.entries.at(-1)?.seq;
    if (page.cursor === null || last === undefined || last >= to) return { chainId, hashes };
    after = last;
  }
}

/**
 * Where the ledger's chain has `hash` after seq `after`: its seq, or null when the ledger never sealed it
 * there (then the pinned head is not the ledger's: the chain was rewritten).
 */
async function ledgerSeqOf(api: ApiClient, hash: string, after: number): Promise<number | null> {
  let cursor = after;
  for (;;) {
    const page = (await api.request<AuditChainPage>("GET", "/v1/audit/chain", { query: { after: cursor, limit: 5000 } })).body;
    const found = page.entries.find((entry) => entry.seq > after && entry.hash === hash);
    if (found) return found.seq;
    const last = page.entries.at(-1)?.seq;
    if (page.cursor === null || last === undefined) return null;
    cursor = last;
  }
}

type PendingReport = Extract<CheckReport, { pending: unknown }>;

/**
 * A pinned head past the run, looked up in the ledger's chain: at a seq after the run, it is only too recent
 * for the export; nowhere there, the ledger never sealed it: the chain was rewritten.
 */
export async function lookUpPending(api: ApiClient, report: PendingReport): Promise<CheckReport> {
  const { pending } = report;
  const seq = await ledgerSeqOf(api, pending.head_hash, pending.run_to_seq);
  if (seq !== null) return { ...report, pending: pendingAt(pending, seq) };
  const broken: ChainBreak = {
    seq: null,
    key: null,
    position: report.verified,
    reason: "unlinked",
    message: `the pinned head ${pending.head_hash} is not in this run (seq ${pending.run_to_seq} is its last) nor after it in the ledger's chain: the chain was rewritten, or the head is from outside the period`,
  };
  return { ok: false, chain_id: report.chain_id, verified: report.verified, broken, notes: report.notes };
}

/**
 * Compares the file with the ledger: the same chain, the run's start linked to the ledger's hash before it,
 * and every entry's hash the one the ledger sealed. Answers the first difference, or null.
 */
export async function compareWithLedger(api: ApiClient, parsed: ParsedExport): Promise<ChainBreak | null> {
  const { header, entries } = parsed;
  const from = header.from_seq ?? 1;
  const to = Math.max(header.to_seq ?? 0, ...entries.map((entry) => Number((entry as { seq?: unknown }).seq) || 0));
  const ledger = await ledgerHashes(api, from - 1, to);
  const differs = (message: string, seq: number | null, position: number, key: string | null = null): ChainBreak => ({
    seq,
    key,
    position,
    reason: "unlinked",
    message,
  });
  if (ledger.chainId !== header.chain_id) {
    return differs(`this export is from another deployment: its chain is ${header.chain_id}, the Worker's is ${ledger.chainId}`, null, 0);
  }
  if (header.from_seq !== null && header.from_seq > 1 && ledger.hashes.get(header.from_seq - 1)?.hash !== header.prev_hash) {
    return differs(
      `the run's start does not link to the ledger's seq ${header.from_seq - 1}: the header's prev_hash was changed`,
      header.from_seq,
      1,
    );
  }
  for (const [index, candidate] of entries.entries()) {
    const entry = candidate as { seq?: unknown; hash?: unknown; key?: unknown };
    const seq = Number(entry.seq);
    const sealed = ledger.hashes.get(seq);
    if (!sealed)
      return differs(`seq ${String(entry.seq)} is not in the ledger's chain: it was inserted`, Number.isFinite(seq) ? seq : null, index + 1);
    if (sealed.hash !== entry.hash) {
      return differs(
        `seq ${seq} (${sealed.key}) differs from the ledger's: the ledger sealed ${sealed.hash}, the file has ${String(entry.hash)}`,
        seq,
        index + 1,
        sealed.key,
      );
    }
  }
  const present = new Set(entries.map((entry) => (entry as { seq?: unknown }).seq));
  for (let seq = from; seq <= (header.to_seq ?? 0); seq++) {
    if (!present.has(seq)) {
      return differs(
        `seq ${seq} (${ledger.hashes.get(seq)?.key ?? "unknown key"}) is in the ledger's chain but not in this file`,
        seq,
        0,
        ledger.hashes.get(seq)?.key ?? null,
      );
    }
  }
  return null;
}
