// `ledger.drain()`: what an operator reads of the drain and may change about it, as an RPC target of the
// ledger: the figures of /v1/stats, the token holds (and lifting one), and what /healthz should say about
// the ledger (follow-ups switched off by a refused token, streams that need a look).
import { RpcTarget } from "cloudflare:workers";
import type { ClearedHold, Hold, Stats } from "../../domain/views";
import { logEvent } from "../../log";
import { activeHolds, liftHold } from "../calls/holds";
import type { LedgerCore } from "../core";
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
      this.drainer.followUpsBack({ kind: "hold_ended", target });
      return { hold, requeued: requeueHoldFailures(sql, target, now) };
    });
    if (!cleared) return null;
    await this.core.arm();
    logEvent("hold.cleared", { target, reason: cleared.hold.reason, requeued: cleared.requeued });
    return { cleared: holdView(cleared.hold), requeued: cleared.requeued };
  }

  /** What /healthz should say about the ledger. */
  async notes(): Promise<string[]> {
    const config = this.core.config();
    await this.drainer.useToken(config);
    const { state } = this.drainer;
    const notes = followUpNotes({ seats: switchOf(state, "seats"), verify: switchOf(state, "verify") }, this.core.now());
    return [...notes, ...streamNotes(this.core.sql, config.ssfTransmitters.keys()), ...sweepNotes(this.core.sql, this.core.now())];
  }
}
