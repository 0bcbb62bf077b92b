// The audit chain's rules (src/domain/audit-chain.ts): the canonical encoding is RFC 8785's, and a check of a
// run names the first entry that does not hold for each way an entry can be tampered with: edited, edited and
// re-hashed, deleted, reordered, inserted, or cut off at the end.
import { describe, expect, it } from "vitest";
import { type ChainEntry, canonicalJson, entryHash, genesisHash, verifyChain } from "../../src/domain/audit-chain";

/** A chain of `n` entries as the ledger seals them: each links to the hash before it. */
async function chainOf(n: number, chainId = "0123456789abcdef0123456789abcdef"): Promise<ChainEntry[]> {
  const entries: ChainEntry[] = [];
  let prev = await genesisHash(chainId);
  for (let seq = 1; seq <= n; seq++) {
    const body = {
      key: `action:${9_999_999_999_999 - seq}:hold_cleared:accounts/a${seq}`,
      kind: "action",
      at: `2027-01-0${(seq % 9) + 1}T00:00:00.000Z`,
      detail: `#${seq}`,
    };
    const entry = { ...body, seq, prev_hash: prev };
    const hash = await entryHash(entry);
    entries.push({ ...entry, hash });
    prev = hash;
  }
  return entries;
}

const start = async (chainId = "0123456789abcdef0123456789abcdef") => ({ seq: 1, prev_hash: await genesisHash(chainId) });

describe("canonicalJson (RFC 8785)", () => {
  it("sorts members by UTF-16 code units at every depth and writes no white space", () => {
    // RFC 8785 §3.2.3's example orders "\u20ac" (€) before "\ud83d\ude00" (😀) and after "\r" and "1".
    expect(canonicalJson({ "\u20ac": 1, "\r": 2, "\ud83d\ude00": 3, "1": 4, nested: { b: [true, null], a: "x" } })).toBe(
      '{"\\r":2,"1":4,"nested":{"a":"x","b":[true,null]},"€":1,"😀":3}',
    );
  });

  it("writes numbers and strings as ECMAScript's JSON.stringify does", () => {
    expect(canonicalJson([1e21, 0.1, -0, 333333333.3333333, 'a\u2028"b'])).toBe('[1e+21,0.1,0,333333333.3333333,"a\u2028\\"b"]');
  });

  it("hashes an entry without its own hash member, whatever the order of its members", async () => {
    const entry = { key: "k", seq: 1, prev_hash: "0".repeat(64), b: 1, a: 2 };
    expect(await entryHash({ ...entry, hash: "anything" })).toBe(await entryHash({ a: 2, b: 1, prev_hash: "0".repeat(64), seq: 1, key: "k" }));
  });
});

describe("verifyChain", () => {
  it("passes an untouched chain and answers its head", async () => {
    const entries = await chainOf(5);
    expect(await verifyChain(entries, await start(), 5)).toEqual({ ok: true, count: 5, first_seq: 1, last_seq: 5, head_hash: entries[4]!.hash });
  });

  it("names an edited entry (its content no longer matches its hash)", async () => {
    const entries = await chainOf(5);
    entries[2] = { ...entries[2]!, detail: "nothing to see" };
    expect(await verifyChain(entries, await start(), 5)).toMatchObject({ ok: false, verified: 2, broken: { seq: 3, reason: "edited" } });
  });

  it("names the entry after one that was edited and re-hashed (its prev_hash no longer links)", async () => {
    const entries = await chainOf(5);
    const edited = { ...entries[2]!, detail: "nothing to see" };
    entries[2] = { ...edited, hash: await entryHash(edited) };
    expect(await verifyChain(entries, await start(), 5)).toMatchObject({ ok: false, broken: { seq: 4, reason: "unlinked" } });
  });

  it("names a deleted entry's place", async () => {
    const entries = await chainOf(5);
    entries.splice(1, 1);
    const verdict = await verifyChain(entries, await start(), 5);
    expect(verdict).toMatchObject({ ok: false, verified: 1, broken: { seq: 3, reason: "missing" } });
    expect(verdict.ok || verdict.broken.message).toContain("seq 2 is missing");
  });

  it("names the first of two reordered entries", async () => {
    const entries = await chainOf(5);
    [entries[1], entries[2]] = [entries[2]!, entries[1]!];
    expect(await verifyChain(entries, await start(), 5)).toMatchObject({ ok: false, verified: 1, broken: { seq: 3, reason: "out_of_order" } });
  });

  it("names an inserted entry that took a seq already in use", async () => {
    const entries = await chainOf(5);
    const forged = { key: "action:1:hold_cleared:accounts/x", kind: "action", seq: 3, prev_hash: entries[2]!.hash };
    entries.splice(3, 0, { ...forged, hash: await entryHash(forged) });
    expect(await verifyChain(entries, await start(), 5)).toMatchObject({ ok: false, broken: { seq: 3, position: 4, reason: "out_of_order" } });
  });

  it("names a run cut off before where it says it ends", async () => {
    const entries = await chainOf(5);
    expect(await verifyChain(entries.slice(0, 3), await start(), 5)).toMatchObject({ ok: false, verified: 3, broken: { reason: "ends_early" } });
  });

  it("refuses a run from another deployment's chain (its first entry does not link to this genesis)", async () => {
    const other = await chainOf(3, "ffffffffffffffffffffffffffffffff");
    expect(await verifyChain(other, await start(), 3)).toMatchObject({ ok: false, broken: { seq: 1, reason: "unlinked" } });
  });

  it("checks a run whose oldest entries expired from the stated start", async () => {
    const entries = await chainOf(5);
    expect(await verifyChain(entries.slice(2), { seq: 3, prev_hash: entries[1]!.hash }, 5)).toMatchObject({ ok: true, count: 3, first_seq: 3 });
    expect(await verifyChain(entries.slice(2), { seq: 3, prev_hash: entries[0]!.hash }, 5)).toMatchObject({
      ok: false,
      broken: { seq: 3, reason: "unlinked" },
    });
  });

  it("says which line is not an entry at all", async () => {
    const entries: unknown[] = await chainOf(2);
    entries.push({ hello: "world" });
    expect(await verifyChain(entries, await start())).toMatchObject({ ok: false, broken: { position: 3, reason: "not_an_entry" } });
  });
});
