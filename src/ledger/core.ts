// What the ledger's parts share inside the one Durable Object: the store, one transaction per write,
// the drain's alarm, the audit of records that never reach the drain, the audit chain's writer and the
// alerts' sender.
import type { Config } from "../config";
import type { CommitReceipt } from "../domain/revocation";
import type { CommitContext } from "./store/context";

export type LedgerCore = {
  readonly sql: SqlStorage;
  config(): Config;
  now(): number;
  /** Runs `write` in one transaction with what a commit needs. */
  transact<T>(write: (context: CommitContext) => T): T;
  /**
   * Lifts every token hold (an operator's retry: the token may be fixed), inside the caller's transaction;
   * a follow-up switched off meanwhile comes back, as when one hold is lifted (follow-ups/switch.ts).
   */
  liftHolds(): void;
  /** Makes sure the drain runs for what was just committed. */
  arm(): Promise<void>;
  /** The calls a second the drain can send now, every token's pace added up (a job's estimate). */
  pacePerSecond(): number;
  /** Writes the audit entries of revocations recorded without calls (invalid_email, refused). */
  auditHeld(receipts: CommitReceipt[]): void;
  /** Entries were appended to the audit chain (audit/chain.ts): seal them and write their KV copies in the background. */
  auditAppended(): void;
  /** An alert was queued: it is sent in the background (alerts/deliver.ts). */
  alertQueued(): void;
};
