// `audit verify`'s reading of an export file (cli/chain-check.ts): a file that is truncated, not JSON, not a
// chain export, or from another deployment gets an error saying which, never a verdict on a chain it is not;
// an untouched export checks clean, and an edited one names its entry. The chain's own rules are pinned in
// test/domain/audit-chain.test.ts; here, what a person hands the CLI. The ledger is a stub answering
// GET /v1/audit/chain as the Worker does.
import { describe, expect, it } from "vitest";
import type { ApiClient } from "../../cli/api.ts";
import { type CheckFailure, type CheckReport, checkExport, compareWithLedger, lookUpPending, parseChainExport } from "../../cli/chain-check.ts";
import { entryHash, genesisHash } from "../../src/domain/audit-chain.ts";

const CHAIN_ID = "0123456789abcdef0123456789abcdef";

/**
 * An export of `n` entries as GET /v1/audit/export?kind=chain writes it: a header line, then one entry a line.
 * `shown` < n: the newest entries were written less than a minute before the export, so it leaves them out
 * and its header's head is the ledger's (seq n).
 */
async function exportOf(n: number, chainId = CHAIN_ID, shown = n): Promise<{ text: string; hashes: string[] }> {
  const lines: object[] = [];
  const hashes: string[] = [];
  let prev = await genesisHash(chainId);
  for (let seq = 1; seq <= n; seq++) {
    const entry = { key: `action:${9_999_999_999_999 - seq}:hold_cleared:zones/z${seq}`, kind: "action", detail: `#${seq}`, seq, prev_hash: prev };
    const hash = await entryHash(entry);
    lines.push({ ...entry, hash });
    hashes.push(hash);
    prev = hash;
  }
  const header = {
    audit_chain: {
      chain_id: chainId,
      from_seq: 1,
      to_seq: shown,
      prev_hash: await genesisHash(chainId),
      head: shown < n ? { seq: n, hash: hashes[n - 1], at: "2026-12-31T23:59:30Z" } : null,
      exported_at: "2027-01-01T00:00:00Z",
    },
  };
  return { text: `${[header, ...lines.slice(0, shown)].map((line) => JSON.stringify(line)).join("\n")}\n`, hashes };
}

function refusal(text: string): string {
  try {
    parseChainExport(text);
  } catch (error) {
    return (error as CheckFailure).message;
  }
  throw new Error("parsed");
}

/** The Worker's GET /v1/audit/chain for a chain of these hashes. */
function ledgerOf(chainId: string, hashes: string[]): ApiClient {
  const entries = hashes.map((hash, index) => ({ seq: index + 1, key: `k${index + 1}`, hash }));
  return {
    url: "http://127.0.0.1:1",
    request: (async () => ({
      status: 200,
      headers: new Headers(),
      text: "",
      body: { chain_id: chainId, head: null, entries, cursor: null },
    })) as never,
  };
}

describe("audit verify reads an export file", () => {
  it("passes an untouched export and names an edited entry", async () => {
    const { text } = await exportOf(4);
    expect(await checkExport(parseChainExport(text))).toMatchObject({ ok: true, count: 4, last_seq: 4 });
    const edited = text.replace('"detail":"#3"', '"detail":"#3 (nothing to see)"');
    expect(await checkExport(parseChainExport(edited))).toMatchObject({ ok: false, broken: { seq: 3, reason: "edited" } });
  });

  it.each([
    ["truncated (its last line cut off)", async () => (await exportOf(3)).text.slice(0, -20), /^line 4 is cut off: the file is truncated/],
    ["not JSON", async () => "seq,key,hash\n1,a,b\n", /^line 1 is not JSON: this is not an audit chain export/],
    ["empty", async () => "", /^the file is empty/],
    [
      "an export of one kind (no chain header)",
      async () => `${JSON.stringify({ key: "outcome:1:rev_1:revoked", kind: "outcome" })}\n`,
      /^the first line is not an audit chain export's header/,
    ],
  ])("refuses a file that is %s, saying so", async (_name, make, message) => {
    expect(refusal(await make())).toMatch(message);
  });

  it("tells an export from another deployment apart, on its own and against the Worker", async () => {
    const ours = await exportOf(3);
    const theirs = await exportOf(3, "ffffffffffffffffffffffffffffffff");
    // Its header names its own chain, whose entries link among themselves: only the Worker can say it is not ours.
    expect(await compareWithLedger(ledgerOf(CHAIN_ID, ours.hashes), parseChainExport(theirs.text))).toMatchObject({
      message: expect.stringMatching(/^this export is from another deployment: its chain is f{32}, the Worker's is 0123/),
    });
    // A header changed to claim ours is refused on its own: seq 1 does not link to our genesis.
    const claimed = theirs.text.replace('"chain_id":"ffffffffffffffffffffffffffffffff"', `"chain_id":"${CHAIN_ID}"`);
    expect(await checkExport(parseChainExport(claimed))).toMatchObject({ ok: false, broken: { seq: 1, reason: "start" } });
    expect(await compareWithLedger(ledgerOf(CHAIN_ID, ours.hashes), parseChainExport(ours.text))).toBeNull();
  });
});

describe("audit verify with a head pinned moments ago", () => {
  it("says a pinned head newer than the run is too recent for KV, never that the chain was rewritten", async () => {
    // A report pinned seq 6; the export made within the minute shows seq 1 to 4 (KV visibility).
    const { text, hashes } = await exportOf(6, CHAIN_ID, 4);
    const report = await checkExport(parseChainExport(text), hashes[5]);
    expect(report).toMatchObject({ ok: false, verified: 4, pending: { seq: 6, run_to_seq: 4, retry_after: "2027-01-01T00:01:00Z" } });
    expect(JSON.stringify(report)).not.toContain("rewritten");
    expect((report as { pending: { message: string } }).pending.message).toBe(
      "the pinned head is seq 6, written less than a minute before the export; KV does not show it yet (this run ends at seq 4): export again after 2027-01-01T00:01:00Z",
    );
    // Without a file (an export made now), the same check is what to run again.
    expect(await checkExport(parseChainExport(text), hashes[5], true)).toMatchObject({ pending: { seq: 6, again: "run again" } });
    // A head between the run and the ledger's head: pending until the ledger says where it is.
    const between = await checkExport(parseChainExport(text), hashes[4]);
    expect(between).toMatchObject({ ok: false, pending: { seq: null, ledger_head_seq: 6 } });
    const ledger = ledgerOf(CHAIN_ID, hashes);
    const pending = between as Extract<CheckReport, { pending: unknown }>;
    expect(await lookUpPending(ledger, pending)).toMatchObject({ ok: false, pending: { seq: 5 } });
    // A hash the ledger never sealed after the run is a break (exit 4), not pending; one from before the run too.
    for (const hash of ["f".repeat(64), hashes[1]!]) {
      const lookedUp = await lookUpPending(ledger, { ...pending, pending: { ...pending.pending, head_hash: hash } });
      expect(lookedUp).toMatchObject({ ok: false, broken: { reason: "unlinked", message: expect.stringContaining("the chain was rewritten") } });
    }
  });

  it("keeps a pinned head missing from a run that reaches the ledger's head a break", async () => {
    const { text } = await exportOf(4);
    expect(await checkExport(parseChainExport(text), "f".repeat(64))).toMatchObject({ ok: false, broken: { reason: "unlinked" } });
  });

  it("says how many newer entries an export made now left out as too recent", async () => {
    const { text } = await exportOf(6, CHAIN_ID, 4);
    const report = await checkExport(parseChainExport(text), undefined, true);
    expect(report).toMatchObject({ ok: true, count: 4 });
    expect(report.notes).toContain(
      "2 newer entries (seq 5 to 6) left out as too recent: KV shows an entry everywhere up to a minute after it is written; run again after 2027-01-01T00:01:00Z to include them",
    );
  });
});
