// What the ledger takes from the world: the clock, randomness and the network. The Durable Object wires
// the real ones; tests install others (a clock they can step, a fetch that is the fake API) for every
// ledger instance in their isolate, evicted and re-created ones included.
// Contract: nothing in ledger/ reads Date.now(), Math.random() or the global fetch except through these.

export type LedgerClock = {
  now(): number;
  /** Waits `ms` of this clock's time. */
  sleep(ms: number): Promise<void>;
  /** The wall-clock time at which a Durable Object alarm must fire to wake the ledger at this clock's `at`. */
  alarmTime(at: number): number;
};

export type LedgerDeps = {
  clock: LedgerClock;
  random(): number;
  fetch: typeof fetch;
};

const systemClock: LedgerClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  alarmTime: (at) => at,
};

const systemDeps: LedgerDeps = {
  clock: systemClock,
  random: () => Math.random(),
  // Looked up at call time, so a test's spy on the global fetch is honoured too.
  fetch: (...args) => fetch(...args),
};

let installed: LedgerDeps = systemDeps;

export function ledgerDeps(): LedgerDeps {
  return installed;
}

/** Replaces some dependencies for every ledger in this isolate (tests); `null` restores the real ones. */
export function installLedgerDeps(deps: Partial<LedgerDeps> | null): void {
  installed = deps === null ? systemDeps : { ...systemDeps, ...deps };
}
