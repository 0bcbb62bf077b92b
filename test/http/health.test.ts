// GET /healthz is public: a burst of unauthenticated requests costs a bounded number of ledger reads, and
// its answer counts the ledger's notes without saying what they are; the operator token shows them.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { app } from "../../src/app";
import { PUBLIC_NOTES_TTL_MS } from "../../src/http/health";
import { DrainRpc } from "../../src/ledger/drain/rpc";
import { TEST_OPERATOR_TOKEN } from "../helpers/bindings";
import { ledgerStub, operatorFetch, workerFetch } from "../helpers/worker";

type Health = { ok: boolean; dry_run?: boolean; notes?: string[] };

/** /healthz through the app with its own copy of the bindings: an isolate that has read nothing yet. */
function healthzIn(bindings: Env, token?: string) {
  return app.request("/healthz", token ? { headers: { Authorization: `Bearer ${token}` } } : {}, bindings);
}

/** A ledger note naming a transmitter and a reason no outsider should read: its stream paused. */
async function pauseStream(transmitter: string, reason: string) {
  await runInDurableObject(ledgerStub(), async (_instance, state) => {
    state.storage.sql.exec(
      "INSERT OR REPLACE INTO ssf_streams (transmitter, status, reason, status_at, status_received_at) VALUES (?, 'paused', ?, ?, ?)",
      transmitter,
      reason,
      Date.now(),
      Date.now(),
    );
  });
}

async function forgetStream(transmitter: string) {
  await runInDurableObject(ledgerStub(), async (_instance, state) => {
    state.storage.sql.exec("DELETE FROM ssf_streams WHERE transmitter = ?", transmitter);
  });
}

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("GET /healthz without the operator token", () => {
  // Regression: every unauthenticated /healthz read the ledger's notes (a Durable Object call per request).
  it("reads the ledger once for a burst, concurrent and sequential, and again only after the cache expires", async () => {
    const notes = vi.spyOn(DrainRpc.prototype, "notes");
    const bindings = { ...env };
    const burst = await Promise.all(Array.from({ length: 40 }, () => healthzIn(bindings)));
    for (let i = 0; i < 20; i++) burst.push(await healthzIn(bindings));
    expect(burst.every((response) => response.status === 200)).toBe(true);
    expect(notes).toHaveBeenCalledTimes(1);

    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + PUBLIC_NOTES_TTL_MS + 1000);
    await Promise.all(Array.from({ length: 20 }, () => healthzIn(bindings)));
    expect(notes).toHaveBeenCalledTimes(2);
  });

  it("counts the ledger's notes without saying what they are; the operator token shows them, read fresh", async () => {
    const bindings = { ...env };
    await pauseStream("guarded", "tenant-migration-window");
    try {
      const notes = vi.spyOn(DrainRpc.prototype, "notes");
      const operator = (await (await healthzIn(bindings, TEST_OPERATOR_TOKEN)).json()) as Health;
      expect(operator.notes).toContainEqual(
        expect.stringMatching(/^SSF_TRANSMITTERS: guarded's stream is paused since .* \(tenant-migration-window\)/),
      );
      expect((await (await healthzIn(bindings, TEST_OPERATOR_TOKEN)).json()) as Health).toEqual(operator);
      expect(notes).toHaveBeenCalledTimes(2);

      for (const token of [undefined, "not-the-operator-token"]) {
        const response = await healthzIn(bindings, token);
        expect(response.status).toBe(200);
        const body = (await response.json()) as Health;
        expect(body).toMatchObject({ ok: true, dry_run: false });
        expect(body.notes).toEqual([
          `${operator.notes?.length} note(s) about the ledger for the operator: send this request with the operator token to read them`,
        ]);
        expect(JSON.stringify(body)).not.toMatch(/guarded|paused|tenant-migration|SSF_TRANSMITTERS/);
      }
      // The operator's read refreshed what the public answer counts: no read of its own.
      expect(notes).toHaveBeenCalledTimes(2);
    } finally {
      await forgetStream("guarded");
    }
  });

  it("matches the OpenAPI document either way, and says nothing about the ledger when it has nothing to say", async () => {
    expect((await (await workerFetch("/healthz")).json()) as Health).toEqual({ ok: true, dry_run: false });
    expect((await (await operatorFetch("/healthz")).json()) as Health).toEqual({ ok: true, dry_run: false });
  });
});
