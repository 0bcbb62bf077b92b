// The revocation ledger: one SQLite-backed Durable Object, the record of truth and the global pacer.
// Contract:
// - commit() returns only after the revocation is in SQLite; callers answer 2xx only after it returns.
// - (source, event id) is unique: a replayed event returns the first record, never a second revocation.
// - the alarm drains calls at no more than REVOKE_RATE_PER_SECOND across the deployment (there is one
//   instance, named GLOBAL_LEDGER); the drain itself lives in drain.ts.
// - it also holds the identity directory, the SCIM users and groups, and bulk jobs, so that a write and
//   the revocations it causes commit in one transaction.
import { DurableObject } from "cloudflare:workers";
import type { ObservedIdentity } from "../sources/source";
import { configFor, type Config } from "../config";
import { recordOutcome, recordRejectionSummary } from "../audit/audit-log";
import { logEvent } from "../log";
import { addRejections, recentRejections, REJECTION_PERIOD_MS, takeClosedPeriods, type RejectionCount } from "./rejections";
import { addChunkToJob, completeJob, isNextChunk, openJob, readJob, validateBulkRow, type JobCounts, type JobOpening, type JobProgress, type UploadRow } from "./bulk";
import { Drain, type DrainState } from "./drain";
import { TERMINAL_STATUSES, toRecord, type RevocationRecord } from "./record";
import { deleteIdentity, emailsFor, readIdentity, type DirectoryEntry } from "./directory";
import { commitRequest, learnIdentity, recordBySeq, rowById, withCalls, type CommitReceipt, type RevocationRequest } from "./revocations";
import { deleteScim, insertScim, listScim, pageScim, readScim, ScimConflict, updateScim, type ScimKind, type StoredScim } from "./scim-store";
import type { ScimType } from "../scim/errors";
import { matchesFilter, parseFilter, ScimFilterError, type FilterNode } from "../scim/filter";
import { applyPatch, ScimPatchError, type PatchOperation } from "../scim/patch";
import { coerceActive, isActive, presentScim, revocableEmails, storableResource, userNameOf, withoutPasswords, type Json } from "../scim/resource";
import { migrateLedger, type CallRow, type RevocationRow, type RevocationStatus } from "./schema";

export { RETRY_BUDGET_MS, TOKEN_HOLD_MS } from "./drain";

export const GLOBAL_LEDGER = "global";

export type { CommitReceipt, RevocationRequest } from "./revocations";

/** Identities a delivery showed (subject id with email), for the directory. */
export type Observation = ObservedIdentity & { source: string };

export type ScimFailure = { ok: false; status: 400 | 404 | 409; detail: string; scimType?: ScimType };

export type ScimResult =
  /** The resource as JSON text: RPC cannot type an open-ended JSON object. */
  | { ok: true; resource: string }
  | ScimFailure;

/** One page of a list: the resources as JSON text, and how many matched in all. */
export type ScimPage = { ok: true; resources: string; total: number } | ScimFailure;

function scimFailure(status: 400 | 404 | 409, detail: string, scimType?: ScimType): ScimFailure {
  return scimType ? { ok: false, status, detail, scimType } : { ok: false, status, detail };
}

/** The userName of a plain `userName eq "…"` filter (the IdPs' lookup before a create), served by the index. */
function userNameEquals(node: FilterNode): string | undefined {
  if (node.kind !== "compare" || node.op !== "eq" || node.path.schema || node.path.names.length !== 1) return undefined;
  return node.path.names[0]!.toLowerCase() === "username" && typeof node.value === "string" ? node.value : undefined;
}

export type ListFilter = { email?: string; status?: RevocationStatus; limit: number; cursor?: number };

export type TargetHold = { target: string; until: number; reason: string };


export class RevocationLedger extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly waiters = new Map<string, Set<(record: RevocationRecord) => void>>();
  private readonly drainer: Drain;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.drainer = new Drain({
      sql: this.sql,
      storage: ctx.storage,
      auditLog: env.AUDIT_LOG,
      config: () => this.config(),
      waitUntil: (promise) => ctx.waitUntil(promise),
      recordBySeq: (seq) => this.recordBySeq(seq),
      onOutcome: (record) => {
        for (const resolve of this.waiters.get(record.id) ?? []) resolve(record);
      },
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

  // ---- commit and read ----------------------------------------------------------------------

  async commit(requests: RevocationRequest[], observations: Observation[] = []): Promise<CommitReceipt[]> {
    const config = this.config();
    const now = Date.now();
    const committed = this.ctx.storage.transactionSync(() => {
      for (const seen of observations) learnIdentity(this.sql, seen.source, seen.subject_id, [seen.email], now, config);
      return requests.map((request) => commitRequest(this.sql, request, now, config));
    });
    this.auditRecordedWithoutCalls(committed, now, config);
    await this.drainer.arm(now);
    return committed;
  }

  /**
   * Revocations recorded as invalid_email or refused never reach the drain, which writes every other
   * outcome to the audit log: they are written here, in the background like the drain's.
   */
  private auditRecordedWithoutCalls(receipts: CommitReceipt[], now: number, config: Config): void {
    for (const receipt of receipts) {
      if (receipt.duplicate || (receipt.status !== "invalid_email" && receipt.status !== "refused")) continue;
      const row = rowById(this.sql, receipt.id);
      if (!row) continue;
      const write = recordOutcome(this.env.AUDIT_LOG, withCalls(this.sql, row), { retentionDays: config.auditRetentionDays, now });
      this.ctx.waitUntil(write.catch((error: unknown) => logEvent("audit.write_failed", { id: receipt.id, error: String(error) })));
    }
  }

  // ---- identity directory -------------------------------------------------------------------

  async putIdentity(source: string, subjectId: string, emails: string[]): Promise<{ entry: DirectoryEntry; resolved: number }> {
    const config = this.config();
    const now = Date.now();
    const resolved = this.ctx.storage.transactionSync(() => learnIdentity(this.sql, source, subjectId, emails, now, config, true));
    if (resolved > 0) await this.drainer.arm(now);
    return { entry: readIdentity(this.sql, source, subjectId)!, resolved };
  }

  async getIdentity(source: string, subjectId: string): Promise<DirectoryEntry | null> {
    return readIdentity(this.sql, source, subjectId);
  }

  async deleteIdentity(source: string, subjectId: string): Promise<boolean> {
    return deleteIdentity(this.sql, source, subjectId);
  }

  /** Adds (subject id, email) pairs in one transaction; answers how many waiting revocations they resolved. */
  async importIdentities(source: string, entries: { subject_id: string; email: string }[]): Promise<{ resolved: number }> {
    const config = this.config();
    const now = Date.now();
    // Grouped by subject, so a waiting revocation is resolved with every email the import gives it.
    const bySubject = new Map<string, string[]>();
    for (const entry of entries) bySubject.set(entry.subject_id, [...(bySubject.get(entry.subject_id) ?? []), entry.email]);
    const resolved = this.ctx.storage.transactionSync(() =>
      [...bySubject].reduce((total, [subject, emails]) => total + learnIdentity(this.sql, source, subject, emails, now, config), 0),
    );
    if (resolved > 0) await this.drainer.arm(now);
    return { resolved };
  }

  async get(id: string): Promise<RevocationRecord | null> {
    const row = this.rowById(id);
    return row ? this.withCalls(row) : null;
  }

  async list(filter: ListFilter): Promise<{ records: RevocationRecord[]; cursor: number | null }> {
    const conditions: [string, string | number][] = [];
    if (filter.email) conditions.push(["email = ?", filter.email.toLowerCase()]);
    if (filter.status) conditions.push(["status = ?", filter.status]);
    if (filter.cursor !== undefined) conditions.push(["seq < ?", filter.cursor]);
    const clause = conditions.length > 0 ? `WHERE ${conditions.map(([sql]) => sql).join(" AND ")}` : "";
    const params = conditions.map(([, value]) => value);
    const rows = this.sql
      .exec<RevocationRow>(`SELECT * FROM revocations ${clause} ORDER BY seq DESC LIMIT ?`, ...params, filter.limit + 1)
      .toArray();
    const page = rows.slice(0, filter.limit);
    const cursor = rows.length > filter.limit ? page[page.length - 1]!.seq : null;
    return { records: page.map((row) => this.withCalls(row)), cursor };
  }

  /** Resolves with the record once it is terminal, or as it stands after `timeoutMs`. */
  async waitForOutcome(id: string, timeoutMs: number): Promise<RevocationRecord | null> {
    const current = await this.get(id);
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
      return (await Promise.race([settled, timedOut])) ?? (await this.get(id));
    } finally {
      // A pending timer would hold the RPC open until it fires.
      cancelTimer();
      set.delete(resolveWaiter);
      if (set.size === 0) this.waiters.delete(id);
    }
  }

  /** Re-queues a failed revocation's failed targets with a fresh retry budget; lifts token holds. */
  async retry(id: string): Promise<{ ok: true; record: RevocationRecord } | { ok: false; record: RevocationRecord | null }> {
    const row = this.rowById(id);
    if (!row || row.status !== "failed") return { ok: false, record: row ? this.withCalls(row) : null };
    const now = Date.now();
    this.ctx.storage.transactionSync(() => {
      this.sql.exec(
        "UPDATE calls SET state = 'pending', next_attempt_at = ?, completed_at = NULL WHERE revocation_seq = ? AND state = 'failed'",
        now, row.seq,
      );
      this.sql.exec(
        "UPDATE revocations SET status = 'queued', queued_at = ?, completed_at = NULL WHERE seq = ?",
        now, row.seq,
      );
      this.sql.exec("DELETE FROM target_holds");
    });
    await this.drainer.arm(now);
    logEvent("revocation.retried", { id, email: row.email });
    return { ok: true, record: this.recordBySeq(row.seq)! };
  }

  async stats(): Promise<{
    by_status: Record<string, number>;
    pending_calls: number;
    drain: DrainState;
    holds: TargetHold[];
    rate_per_second: number;
    observed_calls_last_minute: number;
    rejections: ReturnType<typeof recentRejections>;
  }> {
    const byStatus: Record<string, number> = {};
    for (const row of this.sql.exec<{ status: string; n: number }>(
      "SELECT status, COUNT(*) AS n FROM revocations GROUP BY status",
    )) {
      byStatus[row.status] = row.n;
    }
    const pending = this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM calls WHERE state = 'pending'").one().n;
    const holds = this.sql
      .exec<TargetHold>("SELECT target, until, reason FROM target_holds WHERE until > ?", Date.now())
      .toArray();
    return {
      by_status: byStatus,
      pending_calls: pending,
      drain: { ...this.drainer.state },
      holds,
      rate_per_second: this.config().revokeRatePerSecond,
      observed_calls_last_minute: this.drainer.observedCallsLastMinute(),
      rejections: recentRejections(this.sql, Date.now() - REJECTION_PERIOD_MS),
    };
  }

  /**
   * Called by the Cron Trigger: re-arms the alarm if calls are due and no alarm will drain them, and
   * writes each closed hour of refused deliveries to the audit log as one entry.
   */
  async reconcile(): Promise<{ rearmed: boolean; pending_calls: number }> {
    const summaries = this.ctx.storage.transactionSync(() => takeClosedPeriods(this.sql, Date.now()));
    for (const summary of summaries) {
      await recordRejectionSummary(this.env.AUDIT_LOG, summary, { retentionDays: this.config().auditRetentionDays }).catch((error: unknown) =>
        logEvent("audit.write_failed", { kind: "rejected", error: String(error) }),
      );
    }
    return this.drainer.reconcile();
  }

  /** Refused deliveries counted by a Worker isolate since its last report. */
  async countRejections(counts: RejectionCount[]): Promise<void> {
    this.ctx.storage.transactionSync(() => addRejections(this.sql, counts));
  }

  override async alarm(): Promise<void> {
    await this.drainer.run();
  }

  // ---- SCIM ---------------------------------------------------------------------------------

  async scimCreate(kind: ScimKind, input: Json): Promise<ScimResult> {
    const config = this.config();
    const now = Date.now();
    const resource = storableResource(input);
    if (kind === "User" && !userNameOf(resource)) return scimFailure(400, "userName is required", "invalidValue");
    if (kind === "Group" && typeof resource.displayName !== "string") return scimFailure(400, "displayName is required", "invalidValue");
    try {
      const stored = this.ctx.storage.transactionSync(() => {
        const created = insertScim(this.sql, kind, crypto.randomUUID(), resource, now);
        if (kind === "User") this.learnScimUser(created, now, config);
        return created;
      });
      return { ok: true, resource: JSON.stringify(presentScim(stored)) };
    } catch (error) {
      if (error instanceof ScimConflict) return scimFailure(409, error.message, "uniqueness");
      throw error;
    }
  }

  async scimGet(kind: ScimKind, id: string): Promise<ScimResult> {
    const stored = readScim(this.sql, kind, id);
    return stored ? { ok: true, resource: JSON.stringify(presentScim(stored)) } : scimFailure(404, `${kind} ${id} not found`);
  }

  /**
   * One page of the resources of a kind that match the filter, in creation order (stable for
   * pagination); `startIndex` counts from 1. The filter is parsed here, once.
   */
  async scimList(kind: ScimKind, filter: string | undefined, startIndex: number, count: number): Promise<ScimPage> {
    if (!filter) {
      const { total, rows } = pageScim(this.sql, kind, startIndex - 1, count);
      return { ok: true, resources: JSON.stringify(rows.map(presentScim)), total };
    }
    let node: FilterNode;
    try {
      node = parseFilter(filter);
    } catch (error) {
      if (error instanceof ScimFilterError) return scimFailure(400, `invalid filter: ${error.message}`, "invalidFilter");
      throw error;
    }
    const rows = listScim(this.sql, kind, kind === "User" ? userNameEquals(node) : undefined);
    const matches = rows.map(presentScim).filter((resource) => matchesFilter(resource, node));
    return { ok: true, resources: JSON.stringify(matches.slice(startIndex - 1, startIndex - 1 + count)), total: matches.length };
  }

  /** PUT and PATCH: the new resource is computed from the stored one, then committed with any revocation. */
  async scimUpdate(kind: ScimKind, id: string, change: { replace: Json } | { patch: PatchOperation[] }): Promise<ScimResult> {
    const config = this.config();
    const now = Date.now();
    const current = readScim(this.sql, kind, id);
    if (!current) return scimFailure(404, `${kind} ${id} not found`);
    let next: Json;
    try {
      next = "replace" in change ? storableResource(change.replace) : coerceActive(applyPatch(current.resource, change.patch));
    } catch (error) {
      if (error instanceof ScimPatchError) return scimFailure(400, error.message, error.scimType);
      throw error;
    }
    withoutPasswords(next);
    if (kind === "User" && !userNameOf(next)) return scimFailure(400, "userName is required", "invalidValue");
    if (kind === "User" && typeof next.active !== "boolean" && next.active !== undefined) return scimFailure(400, "active must be a boolean", "invalidValue");
    try {
      const receipts: CommitReceipt[] = [];
      const stored = this.ctx.storage.transactionSync(() => {
        const updated = updateScim(this.sql, kind, id, next, now);
        if (kind === "User") {
          this.learnScimUser(updated, now, config);
          if (isActive(current.resource) && !isActive(next)) receipts.push(...this.deprovisionScimUser(updated, [current.resource, next], "scim.deactivate", now, config));
        }
        return updated;
      });
      this.auditRecordedWithoutCalls(receipts, now, config);
      if (kind === "User") await this.drainer.arm(now);
      return { ok: true, resource: JSON.stringify(presentScim(stored)) };
    } catch (error) {
      if (error instanceof ScimConflict) return scimFailure(409, error.message, "uniqueness");
      throw error;
    }
  }

  async scimDelete(kind: ScimKind, id: string): Promise<ScimResult> {
    const config = this.config();
    const now = Date.now();
    const current = readScim(this.sql, kind, id);
    if (!current) return scimFailure(404, `${kind} ${id} not found`);
    const receipts = this.ctx.storage.transactionSync(() => {
      deleteScim(this.sql, kind, id);
      return kind === "User" && isActive(current.resource) ? this.deprovisionScimUser(current, [current.resource], "scim.delete", now, config) : [];
    });
    this.auditRecordedWithoutCalls(receipts, now, config);
    if (kind === "User") await this.drainer.arm(now);
    return { ok: true, resource: JSON.stringify(presentScim(current)) };
  }

  private learnScimUser(stored: StoredScim, now: number, config: Config): void {
    const emails = revocableEmails(stored.resource);
    if (emails.length > 0) learnIdentity(this.sql, "scim", stored.row.id, emails, now, config);
  }

  /**
   * One revocation per email the user is known by (in any version of the resource, or in the directory,
   * so an address changed earlier is revoked too), keyed to this transition so a repeat causes none. A
   * user with no usable email still leaves a record.
   */
  private deprovisionScimUser(stored: StoredScim, versions: Json[], eventType: string, now: number, config: Config): CommitReceipt[] {
    const emails = [...new Set([...versions.flatMap(revocableEmails), ...emailsFor(this.sql, "scim", stored.row.id)])];
    const base = {
      source: "scim",
      assurance: "static_secret" as const,
      event_type: eventType,
      subject_id: stored.row.id,
      reason: eventType === "scim.delete" ? "deleted over SCIM" : "deactivated over SCIM",
    };
    const receipts = emails.map((email) =>
      commitRequest(this.sql, { ...base, event_id: `${stored.row.id}:${eventType}:v${stored.row.version}:${email}`, email }, now, config),
    );
    if (emails.length === 0) {
      const shown = userNameOf(stored.resource) ?? stored.row.id;
      receipts.push(commitRequest(
        this.sql,
        {
          ...base,
          event_id: `${stored.row.id}:${eventType}:v${stored.row.version}`,
          unusable_email: shown.slice(0, 254),
          refusal: { status: "invalid_email", detail: `the SCIM user ${stored.row.id} (${JSON.stringify(shown)}) has no usable email to revoke` },
        },
        now,
        config,
      ));
    }
    return receipts;
  }

  // ---- bulk jobs ----------------------------------------------------------------------------

  /** Opens (or reopens) the job an Idempotency-Key names, for a body with this digest. */
  async bulkOpen(jobId: string, digest: string): Promise<JobOpening> {
    const now = Date.now();
    return this.ctx.storage.transactionSync(() => openJob(this.sql, jobId, digest, now));
  }

  /**
   * Validates and commits chunk `index` of a bulk submission in one transaction; a chunk an earlier
   * submission of the same body already committed is skipped (answers null).
   */
  async bulkCommit(jobId: string, index: number, rows: UploadRow[]): Promise<JobCounts | null> {
    const config = this.config();
    const now = Date.now();
    const counts = this.ctx.storage.transactionSync(() => {
      if (!isNextChunk(this.sql, jobId, index)) return null;
      const chunk: JobCounts = { lines: 0, accepted: 0, duplicates: 0, rejected: 0, rejections: [] };
      for (const row of rows) {
        chunk.lines++;
        const parsed = "error" in row ? { ok: false as const, reason: row.error } : validateBulkRow(row.value);
        if (!parsed.ok) {
          chunk.rejected++;
          chunk.rejections.push({ line: row.line, reason: parsed.reason });
          continue;
        }
        const request = {
          source: "bulk",
          assurance: "operator" as const,
          event_id: `${jobId}:${parsed.value.email}`,
          event_type: "bulk.revoke",
          email: parsed.value.email,
          user_uid: parsed.value.user_uid ?? null,
          reason: parsed.value.reason ?? null,
          job_id: jobId,
        };
        if (commitRequest(this.sql, request, now, config).duplicate) chunk.duplicates++;
        else chunk.accepted++;
      }
      addChunkToJob(this.sql, jobId, chunk);
      return chunk;
    });
    if (counts && counts.accepted > 0) await this.drainer.arm(now);
    return counts;
  }

  /** Marks a job's submission complete; answers its counts over every chunk. */
  async bulkComplete(jobId: string): Promise<JobCounts> {
    return this.ctx.storage.transactionSync(() => completeJob(this.sql, jobId));
  }

  async jobStatus(jobId: string): Promise<JobProgress | null> {
    return readJob(this.sql, jobId, this.config().revokeRatePerSecond, Date.now());
  }

  // ---- state helpers ------------------------------------------------------------------------
  private rowById(id: string): RevocationRow | undefined {
    return rowById(this.sql, id);
  }

  private recordBySeq(seq: number): RevocationRecord | null {
    return recordBySeq(this.sql, seq);
  }

  private withCalls(row: RevocationRow): RevocationRecord {
    return withCalls(this.sql, row);
  }
}
