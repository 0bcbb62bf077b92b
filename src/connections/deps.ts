// What the runner takes from the world and the platform: the kinds it maintains, the network, the clock and
// randomness, and its bounds. Tests install others (a kind of their own, a fetch that is a local fake, short
// timeouts) for every run in their isolate.

import type { ConnectionKind } from "./kind";
import { CONNECTION_KINDS } from "./kinds";

export type ConnectionDeps = {
  kinds: readonly ConnectionKind[];
  fetch: typeof fetch;
  now(): number;
  random(bytes: number): Uint8Array;
  /** One outbound call's limit. */
  callTimeoutMs: number;
  /** One connection's run's limit, all its calls included. */
  runDeadlineMs: number;
  /** Outbound calls all connections may make in one Cron run, together. */
  callsPerRun: number;
};

/**
 * The Workers Free plan allows 50 subrequests per invocation, and the Cron's other steps (the ledger's
 * reconcile, held SETs, SSF polling) need some of them: managed connections get 20 calls a run.
 */
const CALLS_PER_RUN = 20;

const systemDeps: ConnectionDeps = {
  kinds: CONNECTION_KINDS,
  // Looked up at call time, so a test's spy on the global fetch is honoured too.
  fetch: (...args) => fetch(...args),
  now: () => Date.now(),
  random: (bytes) => crypto.getRandomValues(new Uint8Array(bytes)),
  callTimeoutMs: 10_000,
  runDeadlineMs: 25_000,
  callsPerRun: CALLS_PER_RUN,
};

let installed: ConnectionDeps = systemDeps;

export function connectionDeps(): ConnectionDeps {
  return installed;
}

/** Replaces some dependencies (tests); `null` restores the real ones. */
export function installConnectionDeps(deps: Partial<ConnectionDeps> | null): void {
  installed = deps === null ? systemDeps : { ...systemDeps, ...deps };
}
