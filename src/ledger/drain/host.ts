// What the drain needs from the ledger around it (ledger.ts wires it): the store and its alarm, the audit
// chain's writer (told when entries were appended), the configuration, the world (LedgerDeps: clock, randomness, network), and whom to tell when a
// revocation is done.
import type { Config } from "../../config";
import type { RevocationRecord } from "../../domain/revocation";
import type { LedgerDeps } from "../deps";

export type DrainHost = {
  sql: SqlStorage;
  storage: DurableObjectStorage;
  /** Entries were appended to the audit chain: seal them and write their KV copies (in the background). */
  auditAppended(): void;
  config(): Config;
  deps(): LedgerDeps;
  waitUntil(promise: Promise<unknown>): void;
  /** A revocation reached a terminal status (wakes anyone waiting for it). */
  onOutcome(record: RevocationRecord): void;
  /** An answer queued an alert (a revocation failed for good, a target held, someone still active): send it. */
  alertQueued(): void;
};
