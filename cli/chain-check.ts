// `audit verify`: checks a chain export (GET /v1/audit/export?kind=chain, NDJSON) with the chain's own rules
// (src/domain/audit-chain.ts): every entry's hash against its content, no seq missing, repeated or out of
// order, every prev_hash the hash before it, the run starting where its first line says (the genesis hash
// for the chain's first entry) and ending where it says. Against the Worker it also compares the chain id
// (another deployment's export is told apart) and every hash with the one the ledger sealed
// (GET /v1/audit/chain), which names the first entry that differs even when an edit was re-hashed.
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

export type CheckReport =
  | { ok: true; chain_id: string; count: number; first_seq: number | null; last_seq: number | null; head_hash: string | null; notes: string[] }
  | { ok: false; chain_id: string; verified: number; broken: ChainBreak; notes: string[] };

/** Checks the file on its own; `pinnedHead` is a hash from a report or /v1/stats that must be in it. */
export async function checkExport(parsed: ParsedExport, pinnedHead?: string): Promise<CheckReport> {
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
