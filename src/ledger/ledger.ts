// The revocation ledger: one SQLite-backed Durable Object, the record of truth and the global pacer.
// Contract:
// - commit() returns only after the revocation is in SQLite; callers answer 2xx only after it returns.
// - (source, event id) is unique: a replayed event returns the first record, never a second revocation.
// - the alarm drains calls at no more than REVOKE_RATE_PER_SECOND across the deployment (there is one
//   instance, named GLOBAL_LEDGER), pauses everything on 429, holds on 401/403, retries transient faults
//   with capped backoff for RETRY_BUDGET_MS, and leases each call so an eviction mid-call only repeats it
//   (revoke_user is idempotent) and never loses it.
import { DurableObject } from "cloudflare:workers";
import { recordOutcome, recordOutcomeBatch } from "../audit/audit-log";
import { addToJob, isHeaderLine, parseBulkLine, queueBatchedOutcome, readJob, takePartialBatches, type JobCounts, type JobProgress } from "./bulk";
import { revokeUserSessions, buildRevokeUserRequest, targetPath } from "../cloudflare/revoke-user";
import { configFor, type Config, type Target } from "../config";
import { logEvent } from "../log";
import { backoffMs, classifyAnswer, rateLimitPauseMs } from "./classify";
import { Pacer } from "./pace";
import { settledStatus, TERMINAL_STATUSES, toRecord, type RevocationRecord } from "./record";
import { addIdentity, deleteIdentity, emailsFor, readIdentity, replaceIdentity, type DirectoryEntry } from "./directory";
import { deleteScim, insertScim, listScim, readScim, ScimConflict, updateScim, type ScimKind, type StoredScim } from "./scim-store";
import { matchesFilter, parseFilter } from "../scim/filter";
import { applyPatch, ScimPatchError, type PatchOperation } from "../scim/patch";
import { coerceActive, isActive, presentScim, revocableEmails, storableResource, userNameOf, type Json } from "../scim/resource";
import { migrateLedger, type CallRow, type RevocationRow, type RevocationStatus } from "./schema";

export const GLOBAL_LEDGER = "global";
export const RETRY_BUDGET_MS = 24 * 60 * 60_000;
/** How long calls to a target wait after the API refuses the token there, before one probing call. */
export const TOKEN_HOLD_MS = 5 * 60_000;
/** Workers allow six simultaneous outbound connections per invocation. */
const MAX_IN_FLIGHT = 6;
/** One alarm invocation drains for at most this long, then re-arms (alarms have a wall-clock limit). */
const DRAIN_SLICE_MS = 60_000;
/** A leased call whose answer never arrived (eviction) becomes due again this long after its timeout. */
const LEASE_MARGIN_MS = 30_000;

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
export type Observation = { source: string; subject_id: string; email: string };

export type ScimResult =
  /** The resource as JSON text: RPC cannot type an open-ended JSON object. */
  | { ok: true; resource: string }
  | { ok: false; status: 400 | 404 | 409; detail: string; scimType?: "uniqueness" | "invalidValue" | "invalidPath" | "invalidSyntax" | "noTarget" };

function scimFailure(status: 400 | 404 | 409, detail: string, scimType?: Extract<ScimResult, { ok: false }>["scimType"]): ScimResult {
  return scimType ? { ok: false, status, detail, scimType } : { ok: false, status, detail };
}

export type CommitResult = { record: RevocationRecord; duplicate: boolean };

export type ListFilter = { email?: string; status?: RevocationStatus; limit: number; cursor?: number };

export type DrainState = { last_call_at: number; paused_until: number };
export type TargetHold = { target: string; until: number; reason: string };

type DueCall = CallRow & { email: string; user_uid: string | null; devices: number; warp_session_reauth: number; queued_at: number };

function parseTarget(path: string): Target {
  const [kind, id] = path.split("/") as ["accounts" | "zones", string];
  return { kind, id };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class RevocationLedger extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly waiters = new Map<string, Set<(record: RevocationRecord) => void>>();
  private drain: DrainState = { last_call_at: 0, paused_until: 0 };
  private pacer: Pacer | null = null;
  /** When recent Cloudflare calls were sent (this instance's memory; for the observed pace in stats). */
  private readonly recentCalls: number[] = [];
  /** Calls being sent right now, by "<revocation seq>/<target>" (their lease covers an eviction). */
  private readonly inFlight = new Set<string>();
  /** The alarm time this instance last saw or set (null: unknown); the drain flag covers a running alarm. */
  private alarmAt: number | null = null;
  private draining = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    void ctx.blockConcurrencyWhile(async () => {
      this.ctx.storage.transactionSync(() => migrateLedger(this.sql));
      for (const row of this.sql.exec<{ name: string; number_value: number }>("SELECT name, number_value FROM drain_state")) {
        if (row.name === "last_call_at" || row.name === "paused_until") this.drain[row.name] = row.number_value;
      }
    });
  }

  private config(): Config {
    const result = configFor(this.env);
    if (!result.ok) throw new Error(`ledger is not configured: ${result.problems.join("; ")}`);
    return result.config;
  }

  // ---- commit and read ----------------------------------------------------------------------

  async commit(requests: RevocationRequest[], observations: Observation[] = []): Promise<CommitResult[]> {
    const config = this.config();
    const now = Date.now();
    const committed = this.ctx.storage.transactionSync(() => {
      for (const seen of observations) this.learnIdentity(seen.source, seen.subject_id, [seen.email], now, config);
      return requests.map((request) => this.commitOne(request, now, config));
    });
    await this.armAlarm(now);
    return committed.map(({ seq, duplicate }) => ({ record: this.recordBySeq(seq)!, duplicate }));
  }

  private commitOne(request: RevocationRequest, now: number, config: Config): { seq: number; duplicate: boolean } {
    const dedupeKey = `${request.source}:${request.event_id}`;
    const existing = this.sql.exec<{ seq: number }>("SELECT seq FROM revocations WHERE dedupe_key = ?", dedupeKey).toArray()[0];
    if (existing) return { seq: existing.seq, duplicate: true };
    const subject = request.subject_id ?? null;
    if (request.email) {
      if (subject) this.learnIdentity(request.source, subject, [request.email], now, config);
      return { seq: this.insertRevocation(request, dedupeKey, request.email, now, config), duplicate: false };
    }
    if (!subject) throw new Error("a revocation request needs an email or a subject id");
    const [first, ...others] = emailsFor(this.sql, request.source, subject);
    if (!first) {
      const seq = this.insertRevocation(request, dedupeKey, null, now, config);
      logEvent("revocation.unresolved", { source: request.source, subject_id: subject, event_id: request.event_id });
      return { seq, duplicate: false };
    }
    for (const email of others) this.insertRevocation(request, `${dedupeKey}#${email}`, email, now, config);
    return { seq: this.insertRevocation(request, dedupeKey, first, now, config), duplicate: false };
  }

  /** Inserts a revocation; with an email it is queued with one call per target, without it waits unresolved. */
  private insertRevocation(request: RevocationRequest, dedupeKey: string, email: string | null, now: number, config: Config): number {
    const id = `rev_${crypto.randomUUID().replace(/-/g, "")}`;
    const devices = request.devices ?? config.revokeDevices;
    const warp = request.warp_session_reauth ?? config.warpSessionReauth;
    const { seq } = this.sql
      .exec<{ seq: number }>(
        `INSERT INTO revocations (id, dedupe_key, source, assurance, event_id, event_type, email, subject_id, user_uid, reason,
           devices, warp_session_reauth, status, received_at, queued_at, job_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq`,
        id, dedupeKey, request.source, request.assurance, request.event_id, request.event_type,
        email?.toLowerCase() ?? null, request.subject_id ?? null, request.user_uid ?? null, request.reason ?? null,
        devices ? 1 : 0, warp ? 1 : 0, email ? "queued" : "unresolved", now, now, request.job_id ?? null,
      )
      .one();
    if (email) this.insertCalls(seq, now, config);
    return seq;
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
    if (resolved > 0) await this.armAlarm(now);
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
    if (resolved > 0) await this.armAlarm(now);
    return { resolved };
  }

  async get(id: string): Promise<RevocationRecord | null> {
    const row = this.sql.exec<RevocationRow>("SELECT * FROM revocations WHERE id = ?", id).toArray()[0];
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
    const row = this.sql.exec<RevocationRow>("SELECT * FROM revocations WHERE id = ?", id).toArray()[0];
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
    await this.armAlarm(now);
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
      drain: { ...this.drain },
      holds,
      rate_per_second: this.config().revokeRatePerSecond,
      observed_calls_last_minute: this.recentCalls.filter((at) => at >= Date.now() - 60_000).length,
    };
  }

  /** Called by the Cron Trigger: re-arms the alarm if calls are due and no alarm will drain them. */
  async reconcile(): Promise<{ rearmed: boolean; pending_calls: number }> {
    const now = Date.now();
    const next = this.nextWakeAt();
    const pending = this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM calls WHERE state = 'pending'").one().n;
    if (next === null) return { rearmed: false, pending_calls: pending };
    const alarm = await this.ctx.storage.getAlarm();
    const stalled = alarm === null || alarm < now - 120_000;
    if (stalled) {
      this.alarmAt = Math.max(now, next);
      await this.ctx.storage.setAlarm(this.alarmAt);
      logEvent("drain.rearmed", { pending_calls: pending, previous_alarm: alarm });
    }
    return { rearmed: stalled, pending_calls: pending };
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

  /** Every resource of a kind matching the filter, in creation order (stable for pagination). */
  async scimList(kind: ScimKind, filter: string | undefined): Promise<string> {
    const node = filter ? parseFilter(filter) : null;
    const fastUserName = node?.kind === "compare" && node.op === "eq" && !node.path.schema && node.path.names.length === 1 &&
      node.path.names[0]!.toLowerCase() === "username" && typeof node.value === "string";
    const rows = listScim(this.sql, kind, fastUserName && kind === "User" ? (node.value as string) : undefined);
    const resources = rows.map(presentScim);
    return JSON.stringify(node ? resources.filter((resource) => matchesFilter(resource, node)) : resources);
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
      if (kind === "User") await this.armAlarm(now);
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
    if (kind === "User") await this.armAlarm(now);
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

  // ---- drain --------------------------------------------------------------------------------

  override async alarm(): Promise<void> {
    this.alarmAt = null;
    this.draining = true;
    try {
      await this.drainOnce();
    } finally {
      this.draining = false;
    }
    // Work committed while the drain was finishing is covered by the alarm drainOnce set, or by this.
    const next = this.nextWakeAt();
    if (next !== null) await this.armAlarm(next);
  }

  private async drainOnce(): Promise<void> {
    let config: Config;
    try {
      config = this.config();
    } catch (error) {
      logEvent("drain.not_configured", { error: String(error) });
      this.alarmAt = Date.now() + 60_000;
      await this.ctx.storage.setAlarm(this.alarmAt);
      return;
    }
    const sliceEnd = Date.now() + DRAIN_SLICE_MS;
    const inFlight = new Set<Promise<void>>();
    this.pacer ??= new Pacer(config.revokeRatePerSecond, this.drain.last_call_at + Math.max(1000, 1000 / config.revokeRatePerSecond));
    const pacer = this.pacer;
    for (;;) {
      const now = Date.now();
      if (this.drain.paused_until > now) {
        pacer.idle(); // after a pause the schedule starts afresh, without a catch-up burst
        break;
      }
      const call = this.nextDueCall(now);
      if (!call) {
        pacer.idle();
        break;
      }
      if (inFlight.size >= MAX_IN_FLIGHT) {
        await Promise.race(inFlight);
        continue;
      }
      // DRY_RUN spends no API budget, so it is not paced.
      if (!config.dryRun) {
        const slot = pacer.nextSendAt(now);
        if (slot > sliceEnd) break;
        if (slot > now) {
          await sleep(slot - now);
          continue; // a 429 may have paused the drain while this slept
        }
        pacer.record(now);
        this.saveDrainState({ last_call_at: now });
      }
      this.leaseCall(call, now, config);
      if (!config.dryRun) this.noteCall(now);
      const key = `${call.revocation_seq}/${call.target}`;
      this.inFlight.add(key);
      const dispatch: Promise<void> = this.dispatchCall(call, config)
        .catch((error) => logEvent("drain.dispatch_error", { error: String(error), target: call.target }))
        .finally(() => {
          inFlight.delete(dispatch);
          this.inFlight.delete(key);
        });
      inFlight.add(dispatch);
    }
    await Promise.all(inFlight);
    await this.flushPartialAuditBatches();
    const next = this.nextWakeAt();
    if (next !== null) {
      this.alarmAt = Math.max(next, Date.now());
      await this.ctx.storage.setAlarm(this.alarmAt);
    }
  }

  private noteCall(now: number): void {
    this.recentCalls.push(now);
    while (this.recentCalls.length > 0 && this.recentCalls[0]! < now - 60_000) this.recentCalls.shift();
  }

  private leaseCall(call: DueCall, now: number, config: Config): void {
    this.sql.exec(
      "UPDATE calls SET attempts = attempts + 1, next_attempt_at = ? WHERE revocation_seq = ? AND target = ?",
      now + config.cfApiTimeoutMs + LEASE_MARGIN_MS, call.revocation_seq, call.target,
    );
    this.sql.exec("UPDATE revocations SET attempts = attempts + 1 WHERE seq = ?", call.revocation_seq);
  }

  private async dispatchCall(call: DueCall, config: Config): Promise<void> {
    const input = {
      target: parseTarget(call.target),
      email: call.email,
      userUid: call.user_uid,
      devices: call.devices === 1,
      warpSessionReauth: call.warp_session_reauth === 1,
    };
    if (config.dryRun) {
      const request = buildRevokeUserRequest(config.cfApiBaseUrl, input);
      await this.settleCall(call, { state: "dry_run", httpStatus: null, errors: [], request: JSON.stringify(request) });
      return;
    }
    const answer = await revokeUserSessions({
      fetch: (...args) => fetch(...args),
      baseUrl: config.cfApiBaseUrl,
      token: config.cfApiTokens[0]!,
      timeoutMs: config.cfApiTimeoutMs,
      input,
    });
    const now = Date.now();
    const verdict = classifyAnswer(answer, now);
    const budgetSpent = answer.kind === "response" ? rateLimitPauseMs(answer.rateLimit) : null;
    if (budgetSpent !== null) {
      this.saveDrainState({ paused_until: Math.max(this.drain.paused_until, now + budgetSpent) });
      logEvent("drain.paused", { until: new Date(this.drain.paused_until).toISOString(), reason: "Ratelimit header: no budget left" });
    }
    const httpStatus = answer.kind === "response" ? answer.httpStatus : null;
    const errors = answer.kind === "response" ? (answer.envelope?.errors ?? []) : [];
    // Successes are in the revocation.outcome line; every other answer gets its own line.
    if (verdict.outcome !== "revoked" && verdict.outcome !== "not_found") logEvent("cloudflare.call", {
      target: call.target,
      attempt: call.attempts + 1,
      http_status: httpStatus,
      outcome: verdict.outcome,
      error: "error" in verdict ? verdict.error : undefined,
    });
    switch (verdict.outcome) {
      case "revoked":
      case "not_found":
        await this.settleCall(call, { state: verdict.outcome, httpStatus, errors, request: null });
        return;
      case "failed":
        if (verdict.holdTarget) {
          this.sql.exec(
            "INSERT OR REPLACE INTO target_holds (target, until, reason) VALUES (?, ?, ?)",
            call.target, now + TOKEN_HOLD_MS, verdict.error,
          );
          logEvent("drain.held", { target: call.target, reason: verdict.error, until: new Date(now + TOKEN_HOLD_MS).toISOString() });
        }
        await this.settleCall(call, { state: "failed", httpStatus, errors, request: null, error: verdict.error });
        return;
      case "retry": {
        if (now - call.queued_at >= RETRY_BUDGET_MS) {
          const error = `gave up after the ${RETRY_BUDGET_MS / 3_600_000} h retry budget: ${verdict.error}`;
          await this.settleCall(call, { state: "failed", httpStatus, errors, request: null, error });
          return;
        }
        if (verdict.pauseDrainMs !== undefined) {
          this.saveDrainState({ paused_until: Math.max(this.drain.paused_until, now + verdict.pauseDrainMs) });
          logEvent("drain.paused", { until: new Date(this.drain.paused_until).toISOString(), reason: verdict.error });
        }
        const retryAt = verdict.pauseDrainMs !== undefined ? this.drain.paused_until : now + backoffMs(call.attempts + 1, Math.random);
        this.sql.exec(
          "UPDATE calls SET next_attempt_at = ?, http_status = ?, errors = ? WHERE revocation_seq = ? AND target = ?",
          retryAt, httpStatus, JSON.stringify(errors), call.revocation_seq, call.target,
        );
        this.sql.exec("UPDATE revocations SET last_error = ? WHERE seq = ?", verdict.error, call.revocation_seq);
        return;
      }
    }
  }

  /** Records a call's final state and, once every target has one, the revocation's outcome. */
  private async settleCall(
    call: DueCall,
    result: { state: CallRow["state"]; httpStatus: number | null; errors: unknown[]; request: string | null; error?: string },
  ): Promise<void> {
    const now = Date.now();
    const status = this.ctx.storage.transactionSync(() => {
      this.sql.exec(
        `UPDATE calls SET state = ?, http_status = ?, errors = ?, request = ?, completed_at = ?
         WHERE revocation_seq = ? AND target = ?`,
        result.state, result.httpStatus, JSON.stringify(result.errors), result.request, now,
        call.revocation_seq, call.target,
      );
      const states = this.sql
        .exec<{ state: CallRow["state"] }>("SELECT state FROM calls WHERE revocation_seq = ?", call.revocation_seq)
        .toArray()
        .map((row) => row.state);
      const settled = settledStatus(states);
      this.sql.exec(
        "UPDATE revocations SET status = ?, completed_at = ?, last_error = COALESCE(?, last_error) WHERE seq = ?",
        settled, TERMINAL_STATUSES.has(settled) ? now : null, result.error ?? null, call.revocation_seq,
      );
      return settled;
    });
    if (!TERMINAL_STATUSES.has(status)) return;
    const record = this.recordBySeq(call.revocation_seq)!;
    logEvent("revocation.outcome", {
      id: record.id,
      source: record.source,
      email: record.email,
      status: record.status,
      attempts: record.attempts,
      targets: record.targets,
      last_error: record.last_error,
    });
    for (const resolve of this.waiters.get(record.id) ?? []) resolve(record);
    const config = this.config();
    const audit = { retentionDays: config.auditRetentionDays, now };
    let write: Promise<void> | null;
    if (record.job_id) {
      // Bulk outcomes go to KV in batches (one write per AUDIT_BATCH_SIZE), to stay inside the Free
      // plan's 1,000 KV writes a day; the batch is taken from SQLite, so it is written exactly once.
      const entry = { revocation_id: record.id, email: record.email ?? "", status: record.status, at: now };
      const batch = this.ctx.storage.transactionSync(() => queueBatchedOutcome(this.sql, record.job_id!, entry));
      write = batch ? recordOutcomeBatch(this.env.AUDIT_LOG, record.job_id, batch, audit) : null;
    } else {
      write = recordOutcome(this.env.AUDIT_LOG, record, audit);
    }
    // The KV write is the human trail, not the record of truth: it must not hold one of the drain's
    // in-flight slots (a slow write would stall the pace), so it finishes in the background.
    if (write) this.ctx.waitUntil(write.catch((error) => logEvent("audit.write_failed", { id: record.id, error: String(error) })));
  }


  /** Writes the outcomes still waiting for a full batch, whenever a drain slice ends. */
  private async flushPartialAuditBatches(): Promise<void> {
    const pending = this.ctx.storage.transactionSync(() => takePartialBatches(this.sql));
    if (pending.length === 0) return;
    const audit = { retentionDays: this.config().auditRetentionDays, now: Date.now() };
    for (const { jobId, batch } of pending) {
      try {
        await recordOutcomeBatch(this.env.AUDIT_LOG, jobId, batch, audit);
      } catch (error) {
        logEvent("audit.write_failed", { job_id: jobId, error: String(error) });
      }
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
    await this.armAlarm(now);
    return counts;
  }

  async jobStatus(jobId: string): Promise<JobProgress | null> {
    return readJob(this.sql, jobId, this.config().revokeRatePerSecond, Date.now());
  }

  // ---- state helpers ------------------------------------------------------------------------

  private nextDueCall(now: number): DueCall | undefined {
    return this.sql
      .exec<DueCall>(
        `SELECT c.*, r.email, r.user_uid, r.devices, r.warp_session_reauth, r.queued_at
         FROM calls c JOIN revocations r ON r.seq = c.revocation_seq
         WHERE c.state = 'pending' AND c.next_attempt_at <= ?
           AND c.target NOT IN (SELECT target FROM target_holds WHERE until > ?)
         ORDER BY c.next_attempt_at, c.revocation_seq LIMIT 1`,
        now, now,
      )
      .toArray()[0];
  }

  /** When the drain next has work: the earliest pending call (after its target's hold), not before a pause or pace slot. */
  private nextWakeAt(): number | null {
    const earliest = this.sql
      .exec<{ at: number | null }>(
        `SELECT MIN(MAX(c.next_attempt_at, COALESCE(h.until, 0))) AS at
         FROM calls c LEFT JOIN target_holds h ON h.target = c.target
         WHERE c.state = 'pending'`,
      )
      .one().at;
    if (earliest === null) return null;
    return Math.max(earliest, this.drain.paused_until, this.pacer?.nextSendAt(Date.now()) ?? 0);
  }

  /**
   * Makes sure the alarm fires by `at`. The drain running (or an alarm already set early enough, as this
   * instance last set it) needs no storage round trip: commits on the hot path skip it.
   */
  private async armAlarm(at: number): Promise<void> {
    const wake = Math.max(at, this.drain.paused_until);
    if (this.draining || (this.alarmAt !== null && this.alarmAt <= wake)) return;
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > wake) {
      await this.ctx.storage.setAlarm(wake);
      this.alarmAt = wake;
    } else {
      this.alarmAt = current;
    }
  }

  private saveDrainState(change: Partial<DrainState>): void {
    Object.assign(this.drain, change);
    for (const [name, value] of Object.entries(change)) {
      this.sql.exec(
        "INSERT OR REPLACE INTO drain_state (name, number_value) VALUES (?, ?)",
        name, value,
      );
    }
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
