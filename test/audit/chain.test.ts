// The audit chain end to end (issue #23): every way into the audit log (a revocation's outcome and its
// by-email index, an operator's action from a Worker route, a refused delivery's hourly summary, a bulk
// batch) is chained by the ledger; the chain export opens with the run it covers and checks clean; and an
// entry edited, deleted or re-hashed in KV (what someone with the account's API access could do) is named.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { type ChainEntry, entryHash, genesisHash, verifyChain } from "../../src/domain/audit-chain";
import type { Stats } from "../../src/domain/views";
import { ledgerClock } from "../helpers/clock";
import { apiError, useFakeCloudflare } from "../helpers/fake-cloudflare";
import { waitFor } from "../helpers/wait";
import { ledgerStub, operatorFetch, revocationsFor, settleLedger, uniqueEmail } from "../helpers/worker";

const fake = useFakeCloudflare(settleLedger);

type Header = {
  chain_id: string;
  from_seq: number | null;
  to_seq: number | null;
  prev_hash: string | null;
  head: { seq: number; hash: string } | null;
};

async function stats(): Promise<Stats> {
  return (await (await operatorFetch("/v1/stats")).json()) as Stats;
}

/** Waits until KV has every chained entry, then lets a minute pass on the ledger's clock (KV's visibility delay). */
async function chainWritten(): Promise<Stats["audit_chain"]> {
  const chain = await waitFor(async () => {
    const view = (await stats()).audit_chain;
    return view.unwritten === 0 && view.head !== null && view;
  });
  ledgerClock.advance(61_000);
  return chain;
}

/** The whole chain export, every page. */
async function exportChain(limit = 1000): Promise<{ header: Header; entries: ChainEntry[] }> {
  let cursor: string | null = null;
  const lines: unknown[] = [];
  do {
    const query: string = `/v1/audit/export?kind=chain&from=1970-01-01T00:00:00Z&limit=${limit}${cursor ? `&cursor=${cursor}` : ""}`;
    const response = await operatorFetch(query);
    expect(response.status).toBe(200);
    lines.push(
      ...new TextDecoder()
        .decode(await response.arrayBuffer())
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line)),
    );
    cursor = response.headers.get("X-Next-Cursor");
  } while (cursor);
  const [first, ...entries] = lines as [{ audit_chain: Header }, ...ChainEntry[]];
  return { header: first.audit_chain, entries };
}

async function check(exported: { header: Header; entries: unknown[] }) {
  const { header } = exported;
  return verifyChain(exported.entries, { seq: header.from_seq!, prev_hash: header.prev_hash! }, header.to_seq!);
}

describe("the audit chain", () => {
  it("chains outcomes, operator actions and refused-delivery summaries in one line, and the export checks clean", async () => {
    const email = uniqueEmail("chained");
    expect((await operatorFetch("/v1/revocations", { method: "POST", body: JSON.stringify({ email }) })).status).toBe(200);
    // A failed revocation, then an operator's retry: an action entry written from a Worker route.
    fake().setAnswer(() => apiError(400, 12006, "invalid request"));
    const failing = uniqueEmail("retried");
    const failed = (await (await operatorFetch("/v1/revocations", { method: "POST", body: JSON.stringify({ email: failing }) })).json()) as {
      id: string;
    };
    fake().setAnswer(() => Response.json({ success: true, result: true, errors: [], messages: [] }));
    expect((await operatorFetch(`/v1/revocations/${failed.id}/retry`, { method: "POST" })).status).toBe(202);
    await revocationsFor(failing);
    // A refused delivery, counted and reported for its closed hour by the Cron Trigger's call.
    const hourAgo = ledgerClock.now() - 2 * 3_600_000;
    await ledgerStub().countRejections([{ source: "standard", reason: "signature_mismatch", count: 3, first_at: hourAgo, last_at: hourAgo }]);
    await ledgerStub().reconcile();

    const chain = await chainWritten();
    const exported = await exportChain();
    const { header, entries } = exported;
    expect(header).toMatchObject({ chain_id: chain.chain_id, from_seq: 1, to_seq: chain.head!.seq, prev_hash: await genesisHash(chain.chain_id) });
    expect(entries.map((entry) => entry.seq)).toEqual(Array.from({ length: chain.head!.seq }, (_, i) => i + 1));
    const kinds = new Set(entries.map((entry) => entry.key.split(":")[0]));
    expect(kinds).toEqual(new Set(["outcome", "action", "rejected"]));
    expect(await check(exported)).toMatchObject({ ok: true, count: chain.head!.seq, head_hash: chain.head!.hash });

    // The by-email index holds the same chained value as the outcome entry.
    const indexed = await env.AUDIT_LOG.list<{ seq: number }>({ prefix: `email:${email}:` });
    const outcome = entries.find((entry) => entry.email === email)!;
    expect(indexed.keys[0]?.metadata?.seq).toBe(outcome.seq);
    expect(await env.AUDIT_LOG.get(indexed.keys[0]!.name, "json")).toEqual(
      Object.fromEntries(Object.entries(outcome).filter(([name]) => name !== "key")),
    );

    // Pages of two entries make the same export: the run is fixed by the first page.
    expect(await exportChain(2)).toMatchObject({ header: { from_seq: 1, to_seq: header.to_seq }, entries });
  });

  it("names an entry edited in KV, one deleted, and one edited and re-hashed", async () => {
    for (const label of ["one", "two", "three", "four"]) {
      expect((await operatorFetch("/v1/revocations", { method: "POST", body: JSON.stringify({ email: uniqueEmail(label) }) })).status).toBe(200);
    }
    await chainWritten();
    const clean = await exportChain();
    expect(await check(clean)).toMatchObject({ ok: true });
    const [, second, third, fourth] = clean.entries.slice(-4) as ChainEntry[];
    const stored = async (entry: ChainEntry) => (await env.AUDIT_LOG.get(entry.key, "json")) as Record<string, unknown>;

    const original = await stored(second!);
    await env.AUDIT_LOG.put(second!.key, JSON.stringify({ ...original, reason: "edited later" }));
    expect(await check(await exportChain())).toMatchObject({ ok: false, broken: { seq: second!.seq, key: second!.key, reason: "edited" } });

    // Edited with its hash recomputed: the entry holds alone, the next one no longer links to it.
    const rewritten = { ...original, reason: "edited later" };
    await env.AUDIT_LOG.put(second!.key, JSON.stringify({ ...rewritten, hash: await entryHash({ key: second!.key, ...rewritten }) }));
    expect(await check(await exportChain())).toMatchObject({ ok: false, broken: { seq: third!.seq, reason: "unlinked" } });
    await env.AUDIT_LOG.put(second!.key, JSON.stringify(original));
    expect(await check(await exportChain())).toMatchObject({ ok: true });

    await env.AUDIT_LOG.delete(third!.key);
    expect(await check(await exportChain())).toMatchObject({ ok: false, broken: { seq: fourth!.seq, reason: "missing" } });
  });
});
