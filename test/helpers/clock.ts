// The ledger's clock in tests: real time plus an offset the test can advance, installed for every ledger
// instance in the isolate (evicted and re-created ones too) through installLedgerDeps. Advancing it
// stands in for waiting out backoff, 429 pauses, token holds and retry budgets; alarms set by the
// ledger are translated back to wall-clock time, so the drain keeps waking on its own.
import { installLedgerDeps, type LedgerClock } from "../../src/ledger/deps";

class AdvancingClock implements LedgerClock {
  private offset = 0;
  now(): number {
    return Date.now() + this.offset;
  }
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }
  alarmTime(at: number): number {
    return at - this.offset;
  }
  advance(ms: number): void {
    this.offset += ms;
  }
}

export const ledgerClock = new AdvancingClock();

installLedgerDeps({ clock: ledgerClock });
