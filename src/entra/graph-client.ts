// Microsoft Graph, the calls the Entra source makes (Graph v1.0, the shapes of its API reference):
// - subscriptions: create (POST /subscriptions: resource "users", changeType "updated,deleted", the
//   notification and lifecycle URLs, expirationDateTime, clientState) and renew (PATCH /subscriptions/{id}
//   {expirationDateTime}, which also reauthorizes it);
// - users by id, twenty to a JSON batch (POST /$batch, at most 20 requests): GET /users/{id} with $select of
//   USER_FIELDS, then, for those not found, GET /directory/deletedItems/{id} (a soft-deleted user, restorable for
//   30 days); found in neither is gone (permanently deleted);
// - the delta query: GET /users/delta?$select=… (a full read), then the @odata.nextLink of each page, then the
//   @odata.deltaLink of the last one at the next round; entries with "@removed" are users removed (reason
//   "changed": soft-deleted; "deleted": gone). A link is followed only on Graph's own origin, so the token never
//   goes anywhere else.
// Each call carries an app-only token (graph-token.ts); a cached token Graph answers 401 is replaced once.
// Contract: never throws; the fetch and the clock are injected; ids reach a URL only as GUIDs.
import * as z from "zod/mini";
import { GraphUserSchema, OBJECT_ID, sightingOf, USER_FIELDS, type UserSighting } from "../domain/entra";
import { classifyStatus, type ExchangeFailure, exchange, type MicrosoftFetch } from "./graph-exchange";
import type { GraphTokenSource } from "./graph-token";

const GRAPH_TIMEOUT_MS = 10_000;
/** Creating a subscription waits for Graph to validate the notification URL (up to 10 s on its side). */
const CREATE_TIMEOUT_MS = 20_000;
const MAX_RESPONSE_CHARS = 4 * 1024 * 1024;
export const BATCH_SIZE = 20;
const SELECT = `$select=${USER_FIELDS.join(",")}`;

type Failure = Omit<ExchangeFailure, "ok">;
export type GraphResult<T> = ({ ok: true } & T) | ({ ok: false } & Failure);

const SubscriptionSchema = z.looseObject({ id: z.string().check(z.regex(OBJECT_ID)), expirationDateTime: z.string() });
const BatchSchema = z.looseObject({
  responses: z.array(
    z.looseObject({ id: z.string(), status: z.number(), headers: z.optional(z.record(z.string(), z.string())), body: z.optional(z.unknown()) }),
  ),
});
const DeltaSchema = z.looseObject({
  value: z.array(z.looseObject({ id: z.string() })),
  "@odata.nextLink": z.optional(z.string()),
  "@odata.deltaLink": z.optional(z.string()),
});
const RemovedSchema = z.looseObject({ id: z.string().check(z.regex(OBJECT_ID)), "@removed": z.looseObject({ reason: z.optional(z.string()) }) });

export type SubscriptionRequest = { notificationUrl: string; clientState: string; expiresAt: number };
/** A user whose read failed (throttled, refused, Graph's error), with why. */
export type UnreadUser = { userId: string; failure: Failure };
type BatchAnswer = { status: number; body: unknown; failure: Failure | null };
export type DeltaPageRead = { sightings: UserSighting[]; nextLink: string | null; deltaLink: string | null };

export type GraphClient = ReturnType<typeof createGraphClient>;

export function createGraphClient(graphBaseUrl: string, tokens: GraphTokenSource, deps: { fetch: MicrosoftFetch; now: () => number }) {
  const origin = new URL(graphBaseUrl).origin;

  /** One call with the app's token; a cached token refused with 401 is replaced, once. */
  async function call(url: string, init: { method?: "GET" | "POST" | "PATCH" | "DELETE"; body?: unknown; timeoutMs?: number } = {}) {
    for (let attempt = 0; ; attempt++) {
      const token = await tokens.authorization();
      if (!token.ok) return { ok: false as const, kind: token.kind, status: null, retryAfterMs: token.retryAfterMs, detail: token.detail };
      const answer = await exchange(deps.fetch, url, {
        method: init.method ?? "GET",
        headers: { authorization: token.authorization, ...(init.body === undefined ? {} : { "content-type": "application/json" }) },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
        timeoutMs: init.timeoutMs ?? GRAPH_TIMEOUT_MS,
        maxChars: MAX_RESPONSE_CHARS,
        now: deps.now,
      });
      if (answer.ok || answer.status !== 401 || token.fresh || attempt > 0) return answer;
      tokens.invalidate();
    }
  }

  function subscriptionOf(json: unknown): GraphResult<{ id: string; expiresAt: number }> {
    const parsed = SubscriptionSchema.safeParse(json);
    const expiresAt = parsed.success ? Date.parse(parsed.data.expirationDateTime) : Number.NaN;
    if (!parsed.success || !Number.isFinite(expiresAt))
      return { ok: false, kind: "malformed", status: null, retryAfterMs: null, detail: "not a subscription" };
    return { ok: true, id: parsed.data.id.toLowerCase(), expiresAt };
  }

  /** One JSON batch of GETs; each answer by the id of the user it was for. */
  async function batch(paths: Map<string, string>): Promise<GraphResult<{ answers: Map<string, BatchAnswer> }>> {
    const ids = [...paths.keys()];
    const requests = ids.map((userId, index) => ({ id: String(index + 1), method: "GET", url: paths.get(userId)! }));
    const answer = await call(`${graphBaseUrl}/$batch`, { method: "POST", body: { requests } });
    if (!answer.ok) return answer;
    const parsed = BatchSchema.safeParse(answer.json);
    if (!parsed.success) return { ok: false, kind: "malformed", status: null, retryAfterMs: null, detail: "not a batch response" };
    const answers = new Map<string, BatchAnswer>();
    for (const response of parsed.data.responses) {
      const userId = ids[Number(response.id) - 1];
      if (userId === undefined || answers.has(userId)) continue;
      const retryAfter = Object.entries(response.headers ?? {}).find(([name]) => name.toLowerCase() === "retry-after")?.[1] ?? null;
      const failure = classifyStatus(response.status, response.body, retryAfter, deps.now());
      answers.set(userId, { status: response.status, body: response.body, failure });
    }
    return { ok: true, answers };
  }

  return {
    async createSubscription(request: SubscriptionRequest): Promise<GraphResult<{ id: string; expiresAt: number }>> {
      const body = {
        changeType: "updated,deleted",
        notificationUrl: request.notificationUrl,
        lifecycleNotificationUrl: request.notificationUrl,
        resource: "users",
        expirationDateTime: new Date(request.expiresAt).toISOString(),
        clientState: request.clientState,
      };
      const answer = await call(`${graphBaseUrl}/subscriptions`, { method: "POST", body, timeoutMs: CREATE_TIMEOUT_MS });
      return answer.ok ? subscriptionOf(answer.json) : answer;
    },

    async renewSubscription(id: string, expiresAt: number): Promise<GraphResult<{ id: string; expiresAt: number }>> {
      if (!OBJECT_ID.test(id)) return { ok: false, kind: "not_found", status: null, retryAfterMs: null, detail: "the subscription id is not a GUID" };
      const answer = await call(`${graphBaseUrl}/subscriptions/${id}`, {
        method: "PATCH",
        body: { expirationDateTime: new Date(expiresAt).toISOString() },
      });
      return answer.ok ? subscriptionOf(answer.json) : answer;
    },

    /**
     * Reads users by id (at most BATCH_SIZE): each found is a sighting (enabled, disabled, soft-deleted, or gone
     * when neither place has it); those Graph would not answer for are `unread`, with why.
     */
    async readUsers(userIds: string[]): Promise<GraphResult<{ sightings: UserSighting[]; unread: UnreadUser[] }>> {
      const ids = [...new Set(userIds.filter((id) => OBJECT_ID.test(id)).map((id) => id.toLowerCase()))].slice(0, BATCH_SIZE);
      const sightings: UserSighting[] = [];
      const unread: UnreadUser[] = [];
      /** Takes one answer: a sighting, a failure, or false when Graph has no such user there. */
      const take = (answer: BatchAnswer | undefined, userId: string, deleted: boolean): boolean => {
        const failure: Failure | null =
          answer === undefined ? { kind: "malformed", status: null, retryAfterMs: null, detail: "missing from the batch" } : answer.failure;
        if (failure?.kind === "not_found") return false;
        const user = answer && failure === null ? GraphUserSchema.safeParse(answer.body) : null;
        if (user?.success && user.data.id.toLowerCase() === userId) sightings.push(sightingOf(user.data, deleted));
        else
          unread.push({
            userId,
            failure: failure ?? { kind: "malformed", status: answer?.status ?? null, retryAfterMs: null, detail: "not the user asked for" },
          });
        return true;
      };
      const first = await batch(new Map(ids.map((id) => [id, `/users/${id}?${SELECT}`])));
      if (!first.ok) return first;
      const missing = ids.filter((id) => !take(first.answers.get(id), id, false));
      if (missing.length === 0) return { ok: true, sightings, unread };
      const second = await batch(new Map(missing.map((id) => [id, `/directory/deletedItems/${id}?${SELECT}`])));
      if (!second.ok) {
        const { ok: _, ...failure } = second;
        return { ok: true, sightings, unread: [...unread, ...missing.map((userId) => ({ userId, failure }))] };
      }
      for (const id of missing) if (!take(second.answers.get(id), id, true)) sightings.push({ userId: id, state: "gone", emails: [] });
      return { ok: true, sightings, unread };
    },

    /** One page of the delta query: from `link` (a nextLink or deltaLink), or a full read when null. */
    async deltaPage(link: string | null): Promise<GraphResult<DeltaPageRead>> {
      const url = link ?? `${graphBaseUrl}/users/delta?${SELECT}`;
      if (!URL.canParse(url) || new URL(url).origin !== origin) {
        return { ok: false, kind: "malformed", status: null, retryAfterMs: null, detail: "the delta link is not on Graph's origin" };
      }
      const answer = await call(url);
      if (!answer.ok) return answer;
      const page = DeltaSchema.safeParse(answer.json);
      if (!page.success) return { ok: false, kind: "malformed", status: null, retryAfterMs: null, detail: "not a delta page" };
      const sightings: UserSighting[] = [];
      for (const entry of page.data.value) {
        const removed = RemovedSchema.safeParse(entry);
        if (removed.success) {
          const state = removed.data["@removed"].reason === "changed" ? "soft_deleted" : "gone";
          sightings.push({ userId: removed.data.id.toLowerCase(), state, emails: [] });
          continue;
        }
        const user = GraphUserSchema.safeParse(entry);
        if (!user.success) continue;
        const sighting = sightingOf(user.data);
        sightings.push(user.data.accountEnabled === undefined || user.data.accountEnabled === null ? { ...sighting, state: "unknown" } : sighting);
      }
      return { ok: true, sightings, nextLink: page.data["@odata.nextLink"] ?? null, deltaLink: page.data["@odata.deltaLink"] ?? null };
    },
  };
}
