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
import { targetPath } from "../cloudflare/revoke-user";
import { configFor, type Config } from "../config";
import { logEvent } from "../log";
import { addToJob, isHeaderLine, parseBulkLine, readJob, type JobCounts, type JobProgress } from "./bulk";
import { Drain, type DrainState } from "./drain";
import { TERMINAL_STATUSES, toRecord, type RevocationRecord } from "./record";
import { addIdentity, deleteIdentity, emailsFor, readIdentity, replaceIdentity, type DirectoryEntry } from "./directory";
import { deleteScim, insertScim, listScim, pageScim, readScim, ScimConflict, updateScim, type ScimKind, type StoredScim } from "./scim-store";
import type { ScimType } from "../scim/errors";
import { matchesFilter, parseFilter, ScimFilterError, type FilterNode } from "../scim/filter";
import { applyPatch, ScimPatchError, type PatchOperation } from "../scim/patch";
import { coerceActive, isActive, presentScim, revocableEmails, storableResource, userNameOf, type Json } from "../scim/resource";
import { migrateLedger, type CallRow, type RevocationRow, type RevocationStatus } from "./schema";

export { RETRY_BUDGET_MS, TOKEN_HOLD_MS } from "./drain";

export const GLOBAL_LEDGER = "global";

export type RevocationRequest = {
  source: string;
  assurance: "signed" | "static_secret" | "operator";
  event_id: string;
  event_type: string;
  /** At least one of email and subject_id; a subject id alone is resolved through the directory. */
  email?: string | null;
  subject_id?: string | null;
  user_uid?: string | null;
  reason?: string | null;
  devices?: boolean;
  warp_session_reauth?: boolean;
  job_id?: string | null;
};

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

/** What a commit answers: enough for a 202 and a later GET (the full record is one more read, not sent). */
/** The userName of a plain `userName eq "…"` filter (the IdPs' lookup before a create), served by the index. */
function userNameEquals(node: FilterNode): string | undefined {
  if (node.kind !== "compare" || node.op !== "eq" || node.path.schema || node.path.names.length !== 1) return undefined;
  return node.path.names[0]!.toLowerCase() === "username" && typeof node.value === "string" ? node.value : undefined;
}

export type CommitReceipt = { id: string; status: RevocationStatus; duplicate: boolean };

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
      for (const seen of observations) this.learnIdentity(seen.source, seen.subject_id, [seen.email], now, config);
      return requests.map((request) => this.commitOne(request, now, config));
    });
    await this.drainer.arm(now);
    return committed;
  }

  private commitOne(request: RevocationRequest, now: number, config: Config): CommitReceipt {
    const dedupeKey = `${request.source}:${request.event_id}`;
    const existing = this.sql
      .exec<{ id: string; status: RevocationStatus }>("SELECT id, status FROM revocations WHERE dedupe_key = ?", dedupeKey)
      .toArray()[0];
    if (existing) return { ...existing, duplicate: true };
    const subject = request.subject_id ?? null;
    if (request.email) {
      if (subject) this.learnIdentity(request.source, subject, [request.email], now, config);
      return this.insertRevocation(request, dedupeKey, request.email, now, config);
    }
    if (!subject) throw new Error("a revocation request needs an email or a subject id");
    const [first, ...others] = emailsFor(this.sql, request.source, subject);
    if (!first) {
      const receipt = this.insertRevocation(request, dedupeKey, null, now, config);
      logEvent("revocation.unresolved", { source: request.source, subject_id: subject, event_id: request.event_id });
      return receipt;
    }
    for (const email of others) this.insertRevocation(request, `${dedupeKey}#${email}`, email, now, config);
    return this.insertRevocation(request, dedupeKey, first, now, config);
  }

  /** Inserts a revocation; with an email it is queued with one call per target, without it waits unresolved. */
  private insertRevocation(request: RevocationRequest, dedupeKey: string, email: string | null, now: number, config: Config): CommitReceipt {
    const id = `rev_${crypto.randomUUID().replace(/-/g, "")}`;
    const devices = request.devices ?? config.revokeDevices;
    const warp = request.warp_session_reauth ?? config.warpSessionReauth;
    const status: RevocationStatus = email ? "queued" : "unresolved";
    const { seq } = this.sql
      .exec<{ seq: number }>(
        `INSERT INTO revocations (id, dedupe_key, source, assurance, event_id, event_type, email, subject_id, user_uid, reason,
           devices, warp_session_reauth, status, received_at, queued_at, job_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq`,
        id, dedupeKey, request.source, request.assurance, request.event_id, request.event_type,
        email?.toLowerCase() ?? null, request.subject_id ?? null, request.user_uid ?? null, request.reason ?? null,
        devices ? 1 : 0, warp ? 1 : 0, status, now, now, request.job_id ?? null,
      )
      .one();
    if (email) this.insertCalls(seq, now, config);
    return { id, status, duplicate: false };
  }

  private insertCalls(seq: number, now: number, config: Config): void {
    for (const target of config.targets) {
      this.sql.exec(
        "INSERT INTO calls (revocation_seq, target, state, next_attempt_at) VALUES (?, ?, 'pending', ?)",
        seq, targetPath(target), now,
      );
    }
  }

  /** Records emails for a subject and queues every revocation that was waiting for them. */
  private learnIdentity(source: string, subjectId: string, emails: string[], now: number, config: Config, replace = false): number {
    if (replace) replaceIdentity(this.sql, source, subjectId, emails, now);
    else for (const email of emails) addIdentity(this.sql, source, subjectId, email, now);
    const waiting = this.sql
      .exec<RevocationRow>("SELECT * FROM revocations WHERE status = 'unresolved' AND source = ? AND subject_id = ?", source, subjectId)
      .toArray();
    const [first, ...others] = emailsFor(this.sql, source, subjectId);
    if (!first) return 0;
    for (const row of waiting) {
      this.sql.exec("UPDATE revocations SET email = ?, status = 'queued', queued_at = ? WHERE seq = ?", first, now, row.seq);
      this.insertCalls(row.seq, now, config);
      const request: RevocationRequest = {
        source: row.source,
        assurance: row.assurance as RevocationRequest["assurance"],
        event_id: row.event_id,
        event_type: row.event_type,
        subject_id: row.subject_id,
        user_uid: row.user_uid,
        reason: row.reason,
        devices: row.devices === 1,
        warp_session_reauth: row.warp_session_reauth === 1,
      };
      for (const email of others) this.insertRevocation(request, `${row.dedupe_key}#${email}`, email, now, config);
      logEvent("revocation.resolved", { id: row.id, source, subject_id: subjectId, emails: [first, ...others] });
    }
    return waiting.length;
  }

  // ---- identity directory -------------------------------------------------------------------

  async putIdentity(source: string, subjectId: string, emails: string[]): Promise<{ entry: DirectoryEntry; resolved: number }> {
    const config = this.config();
    const now = Date.now();
    const resolved = this.ctx.storage.transactionSync(() => this.learnIdentity(source, subjectId, emails, now, config, true));
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
      [...bySubject].reduce((total, [subject, emails]) => total + this.learnIdentity(source, subject, emails, now, config), 0),
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
    };
  }

  /** Called by the Cron Trigger: re-arms the alarm if calls are due and no alarm will drain them. */
  async reconcile(): Promise<{ rearmed: boolean; pending_calls: number }> {
    return this.drainer.reconcile();
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
    for (const key of Object.keys(next)) if (key.toLowerCase() === "password") delete next[key];
    if (kind === "User" && !userNameOf(next)) return scimFailure(400, "userName is required", "invalidValue");
    if (kind === "User" && typeof next.active !== "boolean" && next.active !== undefined) return scimFailure(400, "active must be a boolean", "invalidValue");
    try {
      const stored = this.ctx.storage.transactionSync(() => {
        const updated = updateScim(this.sql, kind, id, next, now);
        if (kind === "User") {
          this.learnScimUser(updated, now, config);
          if (isActive(current.resource) && !isActive(next)) this.deprovisionScimUser(updated, [current.resource, next], "scim.deactivate", now, config);
        }
        return updated;
      });
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
    this.ctx.storage.transactionSync(() => {
      deleteScim(this.sql, kind, id);
      if (kind === "User" && isActive(current.resource)) this.deprovisionScimUser(current, [current.resource], "scim.delete", now, config);
    });
    if (kind === "User") await this.drainer.arm(now);
    return { ok: true, resource: JSON.stringify(presentScim(current)) };
  }

  private learnScimUser(stored: StoredScim, now: number, config: Config): void {
    const emails = revocableEmails(stored.resource);
    if (emails.length > 0) this.learnIdentity("scim", stored.row.id, emails, now, config);
  }

  /** One revocation per email the user is known by, keyed to this transition so a repeat causes none. */
  private deprovisionScimUser(stored: StoredScim, versions: Json[], eventType: string, now: number, config: Config): void {
    const emails = [...new Set(versions.flatMap(revocableEmails))];
    for (const email of emails) {
      this.commitOne(
        {
          source: "scim",
          assurance: "static_secret",
          event_id: `${stored.row.id}:${eventType}:v${stored.row.version}:${email}`,
          event_type: eventType,
          email,
          subject_id: stored.row.id,
          reason: eventType === "scim.delete" ? "deleted over SCIM" : "deactivated over SCIM",
        },
        now,
        config,
      );
    }
  }

  // ---- bulk jobs ----------------------------------------------------------------------------

  /** Validates and commits one chunk of a bulk submission; lines are numbered from `firstLine`. */
  async bulkCommit(jobId: string, lines: string[], firstLine: number): Promise<JobCounts> {
    const config = this.config();
    const now = Date.now();
    const counts: JobCounts = { lines: 0, accepted: 0, duplicates: 0, rejected: 0, rejections: [] };
    this.ctx.storage.transactionSync(() => {
      for (const [index, raw] of lines.entries()) {
        const line = raw.trim();
        const number = firstLine + index;
        if (line === "" || (number === 1 && isHeaderLine(line))) continue;
        counts.lines++;
        const parsed = parseBulkLine(line);
        if (!parsed.ok) {
          counts.rejected++;
          counts.rejections.push({ line: number, reason: parsed.reason });
          continue;
        }
        const { duplicate } = this.commitOne(
          {
            source: "bulk",
            assurance: "operator",
            event_id: `${jobId}:${parsed.value.email}`,
            event_type: "bulk.revoke",
            email: parsed.value.email,
            user_uid: parsed.value.user_uid ?? null,
            reason: parsed.value.reason ?? null,
            job_id: jobId,
          },
          now,
          config,
        );
        if (duplicate) counts.duplicates++;
        else counts.accepted++;
      }
      addToJob(this.sql, jobId, now, counts);
    });
    await this.drainer.arm(now);
    return counts;
  }

  async jobStatus(jobId: string): Promise<JobProgress | null> {
    return readJob(this.sql, jobId, this.config().revokeRatePerSecond, Date.now());
  }

  // ---- state helpers ------------------------------------------------------------------------
  private rowById(id: string): RevocationRow | undefined {
    return this.sql.exec<RevocationRow>("SELECT * FROM revocations WHERE id = ?", id).toArray()[0];
  }

  private recordBySeq(seq: number): RevocationRecord | null {
    const row = this.sql.exec<RevocationRow>("SELECT * FROM revocations WHERE seq = ?", seq).toArray()[0];
    return row ? this.withCalls(row) : null;
  }

  private withCalls(row: RevocationRow): RevocationRecord {
    const calls = this.sql
      .exec<CallRow>("SELECT * FROM calls WHERE revocation_seq = ? ORDER BY target", row.seq)
      .toArray();
    return toRecord(row, calls);
  }
}
