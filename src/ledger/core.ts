// What the ledger's parts share inside the one Durable Object: the store, one transaction per write,
// the drain's alarm, the audit of records that never reach the drain, and the alerts' sender.
import type { Config } from "../config";
import type { CommitReceipt } from "../domain/revocation";
import type { CommitContext } from "./store/context";

export type LedgerCore = {
  readonly sql: SqlStorage;
  config(): Config;
  now(): number;
  /** Runs `write` in one transaction with what a commit needs. */
  transact<T>(write: (context: CommitContext) => T): T;
  /** Makes sure the drain runs for what was just committed. */
  arm(): Promise<void>;
  /** Writes the audit entries of revocations recorded without calls (invalid_email, refused). */
  auditHeld(receipts: CommitReceipt[]): void;
  /** An alert was queued: it is sent in the background (alerts/deliver.ts). */
  alertQueued(): void;
};
