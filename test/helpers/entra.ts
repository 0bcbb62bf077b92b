// The entra project's harness: the local Graph fake (scripts/fake-graph.ts) installed as the Entra source's
// network, on the ledger's clock (so stepping it ages subscriptions and delta rounds alike), reaching the real
// Worker for Graph's validation requests and notifications; and a ledger whose Entra state starts empty for
// every test (the state lives in one global ledger: a test that created a subscription must not hand it on).
import { runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { afterAll, beforeEach } from "vitest";
import { createFakeGraph, type FakeGraph } from "../../scripts/fake-graph";
import type { EntraSource } from "../../src/domain/entra";
import { installEntraDeps } from "../../src/entra/deps";
import { forgetSecrets } from "../../src/entra/known-secrets";
import { runEntra } from "../../src/entra/run";
import { TEST_ENTRA, TEST_PUBLIC_URL } from "./bindings";
import { ledgerClock } from "./clock";
import { checkAgainstDocument } from "./openapi-check";
import { ledgerStub, operatorFetch } from "./worker";

/** Graph's requests to the Worker go to the Worker itself, and every answer is checked against its document. */
async function deliver(url: string, init: RequestInit): Promise<Response> {
  if (!url.startsWith(TEST_PUBLIC_URL)) throw new Error(`the fake delivers only to the Worker, not ${url}`);
  const request = new Request(url, init);
  const response = await exports.default.fetch(request.clone());
  await checkAgainstDocument(request, response);
  return response;
}

/** A fresh Graph fake and an empty Entra state before each test; returns a getter for the current fake. */
export function useGraph(options: { pageSize?: number; certificate?: { spki: string; thumbprint: string } } = {}): () => FakeGraph {
  let graph: FakeGraph;
  beforeEach(async () => {
    graph = createFakeGraph({
      ...TEST_ENTRA,
      deliver,
      now: () => ledgerClock.now(),
      pageSize: options.pageSize ?? 2,
      certificate: options.certificate,
    });
    installEntraDeps({ fetch: (url, init) => graph.fetch(url, init), now: () => ledgerClock.now() });
    forgetSecrets();
    await runInDurableObject(ledgerStub(), async (_instance, state) => {
      for (const table of ["entra_state", "entra_changes", "entra_users"]) state.storage.sql.exec(`DELETE FROM ${table}`);
    });
  });
  afterAll(() => installEntraDeps(null));
  return () => graph;
}

/** One Cron run of the Entra source (src/entra/run.ts), waited for. */
export function cronRun(): Promise<void> {
  return runEntra(env);
}

export async function entraStats(): Promise<EntraSource> {
  const stats = (await (await operatorFetch("/v1/stats")).json()) as { sources: { entra: EntraSource } };
  return stats.sources.entra;
}

/** The ledger's notes, as an operator's GET /healthz shows them. */
export async function healthNotes(): Promise<string[]> {
  return ((await (await operatorFetch("/healthz")).json()) as { notes?: string[] }).notes ?? [];
}
