// `ledger.connections()`: the record of managed connections as an RPC target of the ledger, for the Cron
// Trigger's runner (src/connections/runner.ts) and for receiving routes that check a delivery against a
// connection's state. Each write is one transaction; every change it makes (the kind's, and failing or
// recovered) is appended to the audit chain in that transaction, one `connection:` entry each (audit/KEYS.md),
// so the run's record and its trail cannot part; their KV copies follow in the background. Failing and
// recovered are also alerts (alerts/), queued in the record's transaction.
import { RpcTarget } from "cloudflare:workers";
import { connectionEntry } from "../../audit/audit-log";
import { type ConfiguredConnection, type ConnectionRecord, MaintenanceReportSchema } from "../../domain/connections";
import { logEvent } from "../../log";
import { alertConnection } from "../alerts/queue";
import { appendAuditEntry } from "../audit/chain";
import type { LedgerCore } from "../core";
import { configureConnections, connectionState, recordMaintenance, recordProof } from "./record";

export class ConnectionsRpc extends RpcTarget {
  constructor(private readonly core: LedgerCore) {
    super();
  }

  /** The start of a run: these are the configured connections; answers their records, least recently run first. */
  async begin(configured: ConfiguredConnection[]): Promise<ConnectionRecord[]> {
    return this.core.transact(({ sql, now }) => configureConnections(sql, configured, now));
  }

  /** One connection's run (src/connections/runner.ts); the report is checked here, as anything crossing into the ledger. */
  async record(name: string, report: unknown): Promise<void> {
    const checked = MaintenanceReportSchema.parse(report);
    const alerting = this.core.config().alertWebhookUrl !== null;
    const entries = this.core.transact(({ sql, now }) => {
      const made = recordMaintenance(sql, name, checked, now);
      for (const entry of made) {
        appendAuditEntry(sql, connectionEntry(entry), now);
        if (alerting && (entry.change === "failing" || entry.change === "recovered")) alertConnection(sql, { ...entry, change: entry.change }, now);
      }
      return made;
    });
    for (const entry of entries) logEvent(`connection.${entry.change}`, { connection: entry.name, kind: entry.kind, detail: entry.detail });
    if (entries.length > 0) this.core.auditAppended();
    if (alerting && entries.some((entry) => entry.change === "failing" || entry.change === "recovered")) this.core.alertQueued();
  }

  /** Proof of life that arrived by a delivery (a verification event with the state the Worker asked for). */
  async proof(name: string, proof: string): Promise<void> {
    this.core.transact(({ sql, now }) => recordProof(sql, name, proof, now));
  }

  /** The state a connection's kind keeps (JSON text), or null. */
  async state(name: string): Promise<string | null> {
    return connectionState(this.core.sql, name);
  }
}
