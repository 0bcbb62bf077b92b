// `ledger.drain()`: what an operator reads of the drain and may change about it, as an RPC target of the
// ledger: the figures of /v1/stats, the token holds (and lifting one), and what /healthz should say about
// the ledger (follow-ups switched off by a refused token, streams that need a look, failing managed
// connections, silent sources, Entra's subscription, reads and delta).
import { RpcTarget } from "cloudflare:workers";
import { configuredSources } from "../../config";
import type { ClearedHold, Hold, Stats } from "../../domain/views";
import { logEvent } from "../../log";
import { alertNotes } from "../alerts/views";
import { activeHolds, liftHold } from "../calls/holds";
import { connectionNotes } from "../connections/record";
import type { LedgerCore } from "../core";
import { silenceNotes } from "../deliveries/sources";
import { entraNotes } from "../entra/view";
import { followUpNotes } from "../follow-ups/switch";
import { requeueHoldFailures } from "../revocations/settle";
import { streamNotes } from "../ssf/streams";
import { sweepNotes } from "../sweep/view";
import type { Drain } from "./drain";
import { switchOf } from "./state";
import { holdView, ledgerStats } from "./stats";

export class DrainRpc extends RpcTarget {
  constructor(
    private readonly core: LedgerCore,
    private readonly drainer: Drain,
  ) {
    super();
  }

  async stats(): Promise<Stats> {
    const config = this.core.config();
    await this.drainer.useToken(config);
    const figures = {
      state: this.drainer.state,
      budgets: await this.drainer.budgets(),
      pace: this.drainer.pace(),
      rateSetting: config.revokeRatePerSecond,
      observedCallsLastMinute: this.drainer.observedCallsLastMinute(),
    };
    return ledgerStats(this.core.sql, this.core.now(), figures, config);
  }

  /** Token holds in force. */
  async holds(): Promise<Hold[]> {
    return activeHolds(this.core.sql, this.core.now()).map(holdView);
  }

  /**
   * Lifts one target's hold (an operator fixed the token): its calls become due at once, the revocations
   * that failed because of it are re-queued (`requeued` says how many), and a follow-up switched off
   * meanwhile comes back (follow-ups/switch.ts). Null when it had none.
   */
  async clearHold(target: string): Promise<ClearedHold | null> {
    const cleared = this.core.transact(({ sql, now }) => {
      const hold = liftHold(sql, target);
      if (!hold) return null;
      this.drainer.holdsLifted([target]);
      return { hold, requeued: requeueHoldFailures(sql, target, now) };
    });
    if (!cleared) return null;
    await this.core.arm();
    logEvent("hold.cleared", { target, reason: cleared.hold.reason, requeued: cleared.requeued });
    return { cleared: holdView(cleared.hold), requeued: cleared.requeued };
  }

  /** What /healthz should say about the ledger. */
  async notes(): Promise<string[]> {
    const [sql, config, now] = [this.core.sql, this.core.config(), this.core.now()];
    await this.drainer.useToken(config);
    const { state } = this.drainer;
    return [
      ...followUpNotes({ seats: switchOf(state, "seats"), verify: switchOf(state, "verify") }, now),
      ...streamNotes(sql, config.ssfTransmitters.keys()),
      ...sweepNotes(sql, now),
      ...connectionNotes(sql),
      ...silenceNotes(sql, configuredSources(config), config.silenceHours, now),
      ...(config.entra === null ? [] : entraNotes(sql, now)),
      ...alertNotes(sql, config, now),
    ];
  }
}
