// Callers waiting for a revocation to reach a terminal status (POST /v1/revocations waits up to 10 s).
// Contract: in-memory only, per Durable Object instance; a waiter that times out reads the record as it stands.
import { type RevocationRecord, TERMINAL_STATUSES } from "../../domain/revocation";

export class OutcomeWaiters {
  private readonly waiters = new Map<string, Set<(record: RevocationRecord) => void>>();

  /** Wakes everyone waiting for this record. */
  settled(record: RevocationRecord): void {
    for (const resolve of this.waiters.get(record.id) ?? []) resolve(record);
  }

  /** The record once it is terminal, or as `read` answers it after `timeoutMs` (null: unknown id). */
  async wait(id: string, timeoutMs: number, read: () => RevocationRecord | null): Promise<RevocationRecord | null> {
    const current = read();
    if (!current || TERMINAL_STATUSES.has(current.status)) return current;
    let resolveWaiter!: (record: RevocationRecord) => void;
    const settled = new Promise<RevocationRecord>((resolve) => (resolveWaiter = resolve));
    const set = this.waiters.get(id) ?? new Set();
    set.add(resolveWaiter);
    this.waiters.set(id, set);
    let cancelTimer = () => {};
    const timedOut = new Promise<null>((resolve) => {
      const timer = setTimeout(() => resolve(null), timeoutMs);
      cancelTimer = () => clearTimeout(timer);
    });
    try {
      return (await Promise.race([settled, timedOut])) ?? read();
    } finally {
      // A pending timer would hold the RPC open until it fires.
      cancelTimer();
      set.delete(resolveWaiter);
      if (set.size === 0) this.waiters.delete(id);
    }
  }
}
