// The revocation ledger: one SQLite-backed Durable Object, the record of truth and the global pacer.
// A thin façade: each RPC method runs one module's rules inside one transaction, then arms the drain.
// Contract:
// - commit() returns only after the revocation is in SQLite; callers answer 2xx only after it returns.
// - (source, event id) is unique: a replayed event returns the first record, never a second revocation.
// - the alarm drains calls at no more than REVOKE_RATE_PER_SECOND across the deployment (there is one
//   instance, named GLOBAL_LEDGER): drain.ts.
// - the directory, SCIM resources and bulk jobs live in the same database, so a write and the
//   revocations it causes commit in one transaction.
import { DurableObject } from "cloudflare:workers";
import { recordRejectionSummary } from "../audit/audit-log";
import { auditOutcome } from "../audit/outcome-batches";
import { configFor, type Config } from "../config";
import type { JobCounts, UploadRow } from "../domain/bulk";
import type { CommitReceipt, RevocationRecord, RevocationRequest } from "../domain/revocation";
import type { ScimOutcome } from "../domain/scim/outcome";
import type { Json } from "../domain/scim/resource";
import { logEvent } from "../log";
import { clearHolds } from "./calls";
import { ledgerDeps } from "./deps";
import { deleteIdentity, emailsFor, readIdentity, type DirectoryEntry } from "./directory";
import { Drain } from "./drain";
import { commitChunk, completeJob, openJob, readJob, type JobOpening, type JobProgress } from "./jobs";
import { OutcomeWaiters } from "./outcome-waiters";
import { addRejections, takeClosedPeriods, type RejectionCount } from "./rejections";
import { commitRequest, learnIdentity, listRecords, recordById, requeueFailed, rowById, type CommitContext, type ListFilter } from "./revocations";
import { migrateLedger } from "./schema";
import { changeScim, createScim, deleteScimResource, getScim, listScimPage, type ScimChangeRequest, type ScimContext } from "./scim-service";
import type { ScimKind } from "./scim-store";
import { ledgerStats, type LedgerStats } from "./stats";

export const GLOBAL_LEDGER = "global";

/** A subject id and email a delivery showed together, for the directory. */
export type Observation = { source: string; subject_id: string; email: string };

/** SCIM answers carry resources as JSON text: RPC cannot type an open-ended JSON object. */
export class RevocationLedger extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly waiters = new OutcomeWaiters();
  private readonly drainer: Drain;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.drainer = new Drain({
      sql: this.sql,
      storage: ctx.storage,
      auditLog: env.AUDIT_LOG,
      config: () => this.config(),
      deps: ledgerDeps,
      waitUntil: (promise) => ctx.waitUntil(promise),
      onOutcome: (record) => this.waiters.settled(record),
    });
    void ctx.blockConcurrencyWhile(async () => {
      this.ctx.storage.transactionSync(() => migrateLedger(this.sql));
      this.drainer.load();
    });
  }

  private config(): Config {
    const result = configFor(this.env);
    if (!result.ok) throw new Error(`ledger is not configured: ${result.problems.join("; ")}`);
    return result.config;
  }

  private now(): number {
    return ledgerDeps().clock.now();
  }

  /** Runs `write` in one transaction with what a commit needs. */
  private transact<T>(write: (context: CommitContext) => T): T {
    const context: CommitContext = { sql: this.sql, now: this.now(), settings: this.config(), newId: () => `rev_${crypto.randomUUID().replace(/-/g, "")}` };
    return this.ctx.storage.transactionSync(() => write(context));
  }

  /** invalid_email and refused records never reach the drain, which audits every other outcome. */
  private auditHeld(receipts: CommitReceipt[]): void {
    const options = { retentionDays: this.config().auditRetentionDays, now: this.now() };
    for (const receipt of receipts) {
      if (receipt.duplicate || (receipt.status !== "invalid_email" && receipt.status !== "refused")) continue;
      const record = recordById(this.sql, receipt.id);
      const write = record && auditOutcome(this.ctx.storage, this.env.AUDIT_LOG, record, options);
      if (write) this.ctx.waitUntil(write.catch((error: unknown) => logEvent("audit.write_failed", { id: receipt.id, error: String(error) })));
    }
  }

  // ---- revocations ----------------------------------------------------------------------------

  async commit(requests: RevocationRequest[], observations: Observation[] = []): Promise<CommitReceipt[]> {
    const receipts = this.transact((context) => {
      for (const seen of observations) learnIdentity(context, seen.source, seen.subject_id, [seen.email]);
      return requests.map((request) => commitRequest(context, request));
    });
    this.auditHeld(receipts);
    await this.drainer.arm(this.now());
    return receipts;
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
    const requeued = this.transact(({ sql, now }) => {
      const row = rowById(sql, id);
      if (!row || !requeueFailed(sql, row, now)) return false;
      clearHolds(sql);
      return true;
    });
    if (requeued) {
      await this.drainer.arm(this.now());
      logEvent("revocation.retried", { id });
    }
    return { ok: requeued, record: recordById(this.sql, id) };
  }

  // ---- identity directory ---------------------------------------------------------------------

  async putIdentity(source: string, subjectId: string, emails: string[]): Promise<{ entry: DirectoryEntry | null; resolved: number }> {
    const resolved = this.transact((context) => learnIdentity(context, source, subjectId, emails, true));
    if (resolved > 0) await this.drainer.arm(this.now());
    return { entry: readIdentity(this.sql, source, subjectId), resolved };
  }

  async getIdentity(source: string, subjectId: string): Promise<DirectoryEntry | null> {
    return readIdentity(this.sql, source, subjectId);
  }

  async deleteIdentity(source: string, subjectId: string): Promise<boolean> {
    return deleteIdentity(this.sql, source, subjectId);
  }

  /** Adds (subject id, email) pairs in one transaction, grouped by subject; answers how many waiting revocations they resolved. */
  async importIdentities(source: string, entries: { subject_id: string; email: string }[]): Promise<{ resolved: number }> {
    const bySubject = Map.groupBy(entries, (entry) => entry.subject_id);
    const resolved = this.transact((context) =>
      [...bySubject].reduce((total, [subject, rows]) => total + learnIdentity(context, source, subject, rows.map((row) => row.email)), 0),
    );
    if (resolved > 0) await this.drainer.arm(this.now());
    return { resolved };
  }

  // ---- SCIM -----------------------------------------------------------------------------------

  private scim<T>(operation: (context: ScimContext) => ScimOutcome<T>): ScimOutcome<T> {
    return this.transact((commit) =>
      operation({
        sql: commit.sql,
        now: commit.now,
        newId: () => crypto.randomUUID(),
        revoker: {
          learn: (subjectId, emails) => learnIdentity(commit, "scim", subjectId, emails),
          knownEmails: (subjectId) => emailsFor(commit.sql, "scim", subjectId),
          commit: (request) => commitRequest(commit, request),
        },
      }),
    );
  }

  /** A change's resource as JSON text; its revocations are audited (held ones) and drained. */
  private async afterChange(outcome: ScimOutcome<{ resource: Json; receipts: CommitReceipt[] }>): Promise<ScimOutcome<string>> {
    if (!outcome.ok) return outcome;
    this.auditHeld(outcome.value.receipts);
    if (outcome.value.receipts.length > 0) await this.drainer.arm(this.now());
    return { ok: true, value: JSON.stringify(outcome.value.resource) };
  }

  async scimCreate(kind: ScimKind, input: Json): Promise<ScimOutcome<string>> {
    const outcome = this.scim((context) => createScim(context, kind, input));
    return outcome.ok ? { ok: true, value: JSON.stringify(outcome.value) } : outcome;
  }

  async scimGet(kind: ScimKind, id: string): Promise<ScimOutcome<string>> {
    const outcome = getScim(this.sql, kind, id);
    return outcome.ok ? { ok: true, value: JSON.stringify(outcome.value) } : outcome;
  }

  /** One page of the resources of a kind that match the filter; `startIndex` counts from 1. */
  async scimList(kind: ScimKind, filter: string | undefined, startIndex: number, count: number): Promise<ScimOutcome<{ resources: string; total: number }>> {
    const outcome = listScimPage(this.sql, kind, filter, startIndex, count);
    return outcome.ok ? { ok: true, value: { resources: JSON.stringify(outcome.value.resources), total: outcome.value.total } } : outcome;
  }

  async scimUpdate(kind: ScimKind, id: string, change: ScimChangeRequest): Promise<ScimOutcome<string>> {
    return this.afterChange(this.scim((context) => changeScim(context, kind, id, change)));
  }

  async scimDelete(kind: ScimKind, id: string): Promise<ScimOutcome<string>> {
    return this.afterChange(this.scim((context) => deleteScimResource(context, kind, id)));
  }

  // ---- bulk jobs ------------------------------------------------------------------------------

  /** Opens (or reopens) the job an Idempotency-Key names, for a body with this digest. */
  async bulkOpen(jobId: string, digest: string): Promise<JobOpening> {
    return this.transact(({ sql, now }) => openJob(sql, jobId, digest, now));
  }

  /** Commits chunk `index` of a submission; null when an earlier submission of the same body did. */
  async bulkCommit(jobId: string, index: number, rows: UploadRow[]): Promise<JobCounts | null> {
    const counts = this.transact((context) => commitChunk(context, jobId, index, rows));
    if (counts && counts.accepted > 0) await this.drainer.arm(this.now());
    return counts;
  }

  /** Marks a job's submission complete; answers its counts over every chunk. */
  async bulkComplete(jobId: string): Promise<JobCounts> {
    return this.transact(({ sql }) => completeJob(sql, jobId));
  }

  async jobStatus(jobId: string): Promise<JobProgress | null> {
    return readJob(this.sql, jobId, this.config().revokeRatePerSecond, this.now());
  }

  // ---- drain, stats, rejections ---------------------------------------------------------------

  async stats(): Promise<LedgerStats> {
    return ledgerStats(this.sql, this.now(), this.drainer, this.config().revokeRatePerSecond);
  }

  /** Refused deliveries counted by a Worker isolate since its last report. */
  async countRejections(counts: RejectionCount[]): Promise<void> {
    this.ctx.storage.transactionSync(() => addRejections(this.sql, counts));
  }

  /**
   * Called by the Cron Trigger: writes each closed hour of refused deliveries to the audit log as one
   * entry, and re-arms the alarm if calls are due and no alarm will drain them.
   */
  async reconcile(): Promise<{ rearmed: boolean; pending_calls: number }> {
    const summaries = this.ctx.storage.transactionSync(() => takeClosedPeriods(this.sql, this.now()));
    for (const summary of summaries) {
      await recordRejectionSummary(this.env.AUDIT_LOG, summary, { retentionDays: this.config().auditRetentionDays }).catch((error: unknown) =>
        logEvent("audit.write_failed", { kind: "rejected", error: String(error) }),
      );
    }
    return this.drainer.reconcile();
  }

  override async alarm(): Promise<void> {
    await this.drainer.run();
  }
}
