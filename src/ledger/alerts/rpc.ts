// `ledger.alerts()`: an operator's test alert (POST /v1/alerts/test, `access-revoker alerts test`), sent through
// the outbox like any alert and waited for within the request: one pass, bounded by the send's timeout.
import { RpcTarget } from "cloudflare:workers";
import type { AlertTest } from "../../domain/views";
import type { LedgerCore } from "../core";
import type { AlertDeliverer } from "./deliver";
import { queueTestAlert } from "./queue";
import type { AlertRow } from "./schema";

export class AlertsRpc extends RpcTarget {
  constructor(
    private readonly core: LedgerCore,
    private readonly deliverer: AlertDeliverer,
  ) {
    super();
  }

  /** Queues a test alert and sends it now; answers what became of it, or null when ALERT_WEBHOOK_URL is unset. */
  async test(): Promise<AlertTest | null> {
    const url = this.core.config().alertWebhookUrl;
    if (url === null) return null;
    const id = this.core.transact(({ sql, now }) => queueTestAlert(sql, now));
    await this.deliverer.deliver(id);
    const row = this.core.sql.exec<AlertRow>("SELECT * FROM alert_outbox WHERE id = ?", id).one();
    return {
      id,
      state: row.state === "sent" || row.state === "failed" ? row.state : "pending",
      destination: new URL(url).host,
      attempts: row.attempts,
      last_error: row.last_error,
    };
  }
}
