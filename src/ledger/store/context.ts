// What every write of the ledger runs with: the store, the time, the targets and defaults, and a maker of
// ids, handed to a feature inside the one transaction the façade opens for it (core.ts: transact), so a
// write and the revocations it causes commit together.
import type { Config } from "../../config";
import type { Lane } from "../calls/lanes";

export type CommitSettings = Pick<Config, "targets" | "revokeDevices" | "warpSessionReauth">;

/** The id of a new revocation: rev_ and 32 hex digits. */
export const newRevocationId = () => `rev_${crypto.randomUUID().replace(/-/g, "")}`;

/** What a commit needs: the store, the time, the targets and defaults, and a maker of ids. */
export type CommitContext = {
  sql: SqlStorage;
  now: number;
  settings: CommitSettings;
  /** Makes the id of a new revocation (rev_ and 32 hex digits). */
  newId: () => string;
  /** Told the lane and group of every call queued, so the drain serves them at once. */
  queued?: (lane: Lane, group: string) => void;
};
