// `ledger.sweep()`: the reconciliation sweep as an RPC target of the ledger: start one now (POST
// /v1/reconcile, the CLI's `reconcile`), read where it stands (/v1/stats `reconcile`).
import { RpcTarget } from "cloudflare:workers";
import type { ReconcileView } from "../../domain/views";
import type { LedgerCore } from "../core";
import { startDueOrAsked } from "./start";
import { reconcileView } from "./view";

export class SweepRpc extends RpcTarget {
  constructor(private readonly core: LedgerCore) {
    super();
  }

  /** Starts a sweep now (an operator asked), unless one is running; answers where the sweep stands. */
  async start(): Promise<{ started: boolean; reconcile: ReconcileView }> {
    const started = await startDueOrAsked(this.core, "operator");
    return { started, reconcile: await this.status() };
  }

  async status(): Promise<ReconcileView> {
    return reconcileView(this.core.sql, this.core.config(), this.core.now());
  }
}
