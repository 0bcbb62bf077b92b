// The Durable Object alarm that wakes the drain. Arming it is on every commit's path, so it costs no storage
// round trip when the drain is running (it arms what is left when it ends) or when this instance already
// set or saw an alarm early enough. Times are the ledger clock's; the alarm itself is set at the wall-clock
// time LedgerClock.alarmTime gives, so a test's stepped clock wakes the drain.
import type { LedgerClock } from "../deps";

/** The Cron Trigger re-arms an alarm that should have fired this long ago. */
const STALLED_ALARM_MS = 120_000;

export class DrainAlarm {
  /** The alarm time this instance last saw or set (null: unknown). */
  private at: number | null = null;
  /** The alarm handler is running: it arms whatever is left when it ends. */
  running = false;

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly clock: () => LedgerClock,
  ) {}

  /** The alarm fired: what it was set to is gone. */
  fired(): void {
    this.at = null;
  }

  /** Makes sure the alarm fires by `wake`, setting it only when none is set that early. */
  async ensureBy(wake: number): Promise<void> {
    if (this.running || (this.at !== null && this.at <= wake)) return;
    const current = await this.storage.getAlarm();
    if (current === null || current > this.clock().alarmTime(wake)) {
      await this.set(wake);
    } else {
      this.at = wake;
    }
  }

  async set(at: number): Promise<void> {
    this.at = at;
    await this.storage.setAlarm(this.clock().alarmTime(at));
  }

  /** The alarm as stored (wall clock, null: none), and whether it is stalled: missing, or overdue by STALLED_ALARM_MS. */
  async stalled(now: number): Promise<{ stalled: boolean; alarm: number | null }> {
    const alarm = await this.storage.getAlarm();
    return { stalled: alarm === null || alarm < this.clock().alarmTime(now) - STALLED_ALARM_MS, alarm };
  }
}
