// The revocation ledger: one SQLite-backed Durable Object, the record of truth and the global pacer.
// A thin façade over feature folders that each own their tables (docs/development.md has the map): each
// method runs one folder's rules inside one transaction, then arms the drain; the directory, SCIM, bulk jobs,
// Shared Signals, Entra, managed connections, the audit chain and the drain's operator view are RPC targets
// of their own (ledger.scim(), .directory(), .jobs(), .ssf(), .entra(), .connections(), .auditChain(),
// .drain()).
// Contract:
// - commit() returns only after the revocation is in SQLite; callers answer 2xx only after it returns.
// - (source, event id) is unique: a replayed event returns the first record, never a second revocation.
// - the alarm drains calls at each API token's pace across the deployment (there is one instance, named
//   GLOBAL_LEDGER): drain/.
// - everything lives in one database, so a write and the revocations it causes commit in one transaction.
import { DurableObject } from "cloudflare:workers";
import type { AuditEntry } from "../audit/audit-log";
import { type Config, configFor, configuredSources } from "../config";
import type { Observation } from "../domain/identity-events";
import type { CommitReceipt, RevocationRecord, RevocationRequest } from "../domain/revocation";
import { logEvent } from "../log";
import { AlertDeliverer } from "./alerts/deliver";
import { alertSilentSource } from "./alerts/queue";
import { AlertsRpc } from "./alerts/rpc";
import { appendAuditEntry } from "./audit/chain";
import { AuditChainWriter } from "./audit/chain-writer";
import { auditOutcome } from "./audit/outcome-batches";
import { AuditChainRpc } from "./audit/rpc";
import { clearHolds } from "./calls/holds";
import { type Lane, laneGroupKey } from "./calls/lanes";
import { ConnectionsRpc } from "./connections/rpc";
import type { LedgerCore } from "./core";
import { type AcceptedDelivery, newlySilent, noteAccepted } from "./deliveries/liveness";
import { ledgerDeps } from "./deps";
import { Drain } from "./drain/drain";
import { DrainRpc } from "./drain/rpc";
import { EntraRpc } from "./entra/rpc";
import { JobsRpc } from "./jobs/rpc";
import { fingerprintKey } from "./keys/fingerprint-key";
import { migrateLedger } from "./migrations";
import { addRejections, type RejectionCount } from "./rejections/counts";
import { reportClosedPeriods } from "./rejections/report";
import { ReportsRpc } from "./reports/rpc";
import { commitRequest } from "./revocations/commit";
import { DirectoryRpc } from "./revocations/directory-rpc";
import { OutcomeWaiters } from "./revocations/outcome-waiters";
import { type ListFilter, listRecords, recordById } from "./revocations/records";
import { learnObservation } from "./revocations/resolve";
import { type Acknowledgement, acknowledgeReturn } from "./revocations/returns";
import { retryRevocation } from "./revocations/settle";
import { ScimRpc } from "./scim/rpc";
import { SsfRpc } from "./ssf/rpc";
import { type CommitContext, newRevocationId } from "./store/context";
import { SweepRpc } from "./sweep/rpc";
import { startDueOrAsked } from "./sweep/start";

export const GLOBAL_LEDGER = "global";

export class RevocationLedger extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly waiters = new OutcomeWaiters();
  private readonly drainer: Drain;
  private readonly alerter: AlertDeliverer;
  private readonly core: LedgerCore;
  private readonly chainWriter: AuditChainWriter;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    const config = (): Config => {
      const result = configFor(env);
      if (!result.ok) throw new Error(`ledger is not configured: ${result.problems.join("; ")}`);
      return result.config;
    };
    const now = () => ledgerDeps().clock.now();
    this.chainWriter = new AuditChainWriter({ storage: ctx.storage, kv: env.AUDIT_LOG, retentionDays: () => config().auditRetentionDays, now });
    const auditAppended = () => ctx.waitUntil(this.chainWriter.flush());
    this.alerter = new AlertDeliverer({ sql: this.sql, storage: ctx.storage, config, deps: ledgerDeps });
    this.drainer = new Drain({
      sql: this.sql,
      storage: ctx.storage,
      auditAppended,
      config,
      deps: ledgerDeps,
      waitUntil: (promise) => ctx.waitUntil(promise),
      onOutcome: (record) => this.waiters.settled(record),
      alertQueued: () => this.alerter.kick(),
    });
    this.core = {
      sql: this.sql,
      config,
      now,
      transact: <T>(write: (context: CommitContext) => T): T => {
        const groups = new Map<string, { lane: Lane; group: string }>();
        const context: CommitContext = {
          sql: this.sql,
          now: now(),
          settings: config(),
          newId: newRevocationId,
          queued: (lane, group) => groups.set(laneGroupKey(lane, group), { lane, group }),
        };
        const result = ctx.storage.transactionSync(() => write(context));
        this.drainer.noteGroups(groups.values());
        return result;
      },
      liftHolds: () => {
        this.drainer.holdsLifted(clearHolds(this.sql));
      },
      arm: () => this.drainer.arm(now()),
      pacePerSecond: () => this.drainer.pacePerSecond(config()),
      auditHeld: (receipts) => this.auditHeld(receipts),
      auditAppended,
      alertQueued: () => this.alerter.kick(),
    };
    void ctx.blockConcurrencyWhile(async () => {
      ctx.storage.transactionSync(() => migrateLedger(this.sql));
      this.drainer.load();
      // Work an earlier instance left (a crash mid-drain included) is drained without waiting for the Cron Trigger.
      const wake = this.drainer.nextWakeAt();
      if (wake !== null) await this.drainer.arm(wake);
      // So are alerts an earlier instance queued and had not sent.
      this.alerter.kick();
    });
  }

  /** invalid_email and refused records never reach the drain, which audits every other outcome. */
  private auditHeld(receipts: CommitReceipt[]): void {
    let appended = false;
    for (const receipt of receipts) {
      if (receipt.duplicate || (receipt.status !== "invalid_email" && receipt.status !== "refused")) continue;
      const record = recordById(this.sql, receipt.id);
      if (!record) continue;
      auditOutcome(this.ctx.storage, record, this.core.now());
      appended = true;
    }
    if (appended) this.core.auditAppended();
  }

  /**
   * Appends entries made outside the ledger (an operator's action: operator/operator-actions.ts) to the audit
   * chain, which writes their KV copies. Answers their seqs.
   */
  async appendAudit(entries: AuditEntry[]): Promise<number[]> {
    const now = this.core.now();
    const seqs = this.ctx.storage.transactionSync(() => entries.map((entry) => appendAuditEntry(this.sql, entry, now)));
    this.core.auditAppended();
    return seqs;
  }

  scim(): ScimRpc {
    return new ScimRpc(this.core);
  }

  directory(): DirectoryRpc {
    return new DirectoryRpc(this.core);
  }

  jobs(): JobsRpc {
    return new JobsRpc(this.core);
  }

  ssf(): SsfRpc {
    return new SsfRpc(this.core);
  }

  sweep(): SweepRpc {
    return new SweepRpc(this.core);
  }

  reports(): ReportsRpc {
    return new ReportsRpc(this.core);
  }

  auditChain(): AuditChainRpc {
    return new AuditChainRpc(this.core);
  }

  entra(): EntraRpc {
    return new EntraRpc(this.core);
  }

  connections(): ConnectionsRpc {
    return new ConnectionsRpc(this.core);
  }

  alerts(): AlertsRpc {
    return new AlertsRpc(this.core, this.alerter);
  }

  drain(): DrainRpc {
    return new DrainRpc(this.core, this.drainer);
  }

  async commit(requests: RevocationRequest[], observations: Observation[] = []): Promise<CommitReceipt[]> {
    const receipts = this.core.transact((context) => {
      noteAccepted(
        context.sql,
        [...requests, ...observations].map((item) => item.source),
        context.now,
      );
      for (const seen of observations) learnObservation(context, seen);
      return requests.map((request) => commitRequest(context, request));
    });
    this.auditHeld(receipts);
    await this.core.arm();
    return receipts;
  }

  /** A delivery that only teaches the directory: answers how many of its observations were new (not replays). */
  async observe(observations: Observation[]): Promise<number> {
    const learned = this.core.transact((context) => {
      noteAccepted(
        context.sql,
        observations.map((seen) => seen.source),
        context.now,
      );
      return observations.filter((seen) => learnObservation(context, seen)).length;
    });
    await this.core.arm();
    return learned;
  }

  /** The key of the audit's operator token fingerprints when AUDIT_FINGERPRINT_KEY is unset (keys/fingerprint-key.ts). */
  async fingerprintKey(): Promise<string> {
    return this.ctx.storage.transactionSync(() => fingerprintKey(this.sql));
  }

  async get(id: string): Promise<RevocationRecord | null> {
    return recordById(this.sql, id);
  }

  async list(filter: ListFilter): Promise<{ records: RevocationRecord[]; cursor: number | null }> {
    return listRecords(this.sql, filter);
  }

  /** Resolves with the record once it is terminal, or as it stands after `timeoutMs`. */
  async waitForOutcome(id: string, timeoutMs: number): Promise<RevocationRecord | null> {
    return this.waiters.wait(id, timeoutMs, () => recordById(this.sql, id));
  }

  /** Re-queues a failed revocation's failed targets with a fresh retry budget; lifts token holds. */
  async retry(id: string): Promise<{ ok: boolean; record: RevocationRecord | null }> {
    const requeued = this.core.transact(({ sql, now }) => {
      const done = retryRevocation(sql, id, now);
      if (done) this.core.liftHolds();
      return done;
    });
    if (requeued) {
      await this.core.arm();
      logEvent("revocation.retried", { id });
    }
    return { ok: requeued, record: recordById(this.sql, id) };
  }

  /** An operator acknowledges a return the sweep found (after acting in the IdP): /healthz and the page stop noting it. */
  async acknowledgeReturn(id: string, reason: string): Promise<{ answer: Acknowledgement; record: RevocationRecord | null }> {
    const answer = this.core.transact(({ sql, now }) => acknowledgeReturn(sql, id, reason, now));
    if (answer.ok) logEvent("revocation.return_acknowledged", { id });
    return { answer, record: recordById(this.sql, id) };
  }

  /** Deliveries accepted without a commit (an ignored event, a handshake, a SCIM read), reported by a Worker isolate. */
  async noteAccepted(accepted: AcceptedDelivery[]): Promise<void> {
    this.core.transact(({ sql }) => {
      for (const { source, at } of accepted) noteAccepted(sql, [source], at);
    });
  }

  /** Refused deliveries counted by a Worker isolate since its last report. */
  async countRejections(counts: RejectionCount[]): Promise<void> {
    this.ctx.storage.transactionSync(() => addRejections(this.sql, counts));
  }

  /**
   * Called by the Cron Trigger: re-arms the alarm if calls are due and no alarm will drain them (first, so
   * nothing below that throws, an unusable configuration or a failed transaction, keeps a stalled drain
   * stalled), notes (and alerts) sources silent past their threshold, appends each closed hour of refused
   * deliveries to the audit log as one entry, writes audit entries KV has not taken yet, starts a
   * reconciliation sweep when one is due, and sends the alerts that are due (retries included).
   */
  async reconcile(): Promise<{ rearmed: boolean; pending_calls: number; sweep_started: boolean }> {
    const drain = await this.drainer.reconcile();
    const config = this.core.config();
    const silent = this.core.transact(({ sql, now }) => {
      const found = newlySilent(sql, configuredSources(config), config.silenceHours, now);
      if (config.alertWebhookUrl !== null) for (const source of found) alertSilentSource(sql, source, now);
      return found;
    });
    for (const { source, hours, since } of silent) logEvent("source.silent", { source, hours, since: new Date(since).toISOString() });
    reportClosedPeriods(this.ctx.storage, this.core.now());
    this.core.auditAppended();
    let sweepStarted = false;
    try {
      sweepStarted = await startDueOrAsked(this.core, "schedule");
    } catch (error) {
      logEvent("sweep.start_failed", { error: String(error) });
    }
    // Last, so nothing above waits for an alert receiver: due alerts, retries, then the outbox's pruning.
    await this.alerter.onCron();
    return { ...drain, sweep_started: sweepStarted };
  }

  override async alarm(): Promise<void> {
    await this.drainer.run();
  }
}
