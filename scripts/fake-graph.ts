// A local fake of Microsoft's side of the Entra source: the identity platform's token endpoint and the parts of
// Microsoft Graph v1.0 the Worker calls, as a handler `(url, init) => Promise<Response>` over its own state. The
// workerd tests install it as the Entra source's fetch (src/entra/deps.ts: installEntraDeps).
// Shapes, from Microsoft's documentation (learn.microsoft.com/graph, the microsoft-graph-docs repository):
// - POST {login}/{tenant}/oauth2/v2.0/token, client credentials with client_secret or a client_assertion
//   (checked like Entra does: PS256 or RS256, x5t#S256 of the registered certificate, aud the token endpoint,
//   iss and sub the client id): {token_type: "Bearer", expires_in, access_token}; a wrong credential is 401
//   {"error": "invalid_client"}.
// - subscription resource type: POST /subscriptions (201; Graph first POSTs `?validationToken=` to the
//   notification and lifecycle URLs and requires 200, text/plain, the token, else 400 "Subscription validation
//   request failed"; users allow at most 41,760 minutes), PATCH /subscriptions/{id} (200; 404 once it is gone).
// - user resource type: GET /users/{id}?$select=…; directory: GET /directory/deletedItems/{id} (a soft-deleted
//   user, its userPrincipalName prefixed with its id without dashes, as Entra renames it); 404 otherwise
//   (Request_ResourceNotFound).
// - JSON batching: POST /$batch, up to 20 requests, each answered {id, status, headers, body}.
// - delta query on users: a full read in pages of `pageSize` with @odata.nextLink ($skiptoken), then an
//   @odata.deltaLink ($deltatoken); a later round lists each user changed since, with the selected properties, or
//   {"id", "@removed": {"reason": "changed" | "deleted"}} for one soft- or hard-deleted. An expired token is 410
//   Gone or 400 syncStateNotFound (expireDeltaTokens).
// - change notifications (changeNotificationCollection: subscriptionId, subscriptionExpirationDateTime,
//   clientState, changeType, resource "Users/{id}", tenantId, resourceData {@odata.type "#Microsoft.Graph.User",
//   @odata.id, id, organizationId}) and lifecycle notifications (lifecycleEvent) POSTed through `deliver`.
// Faults, injected: `setFault` answers a request (by path) before the model (401, 403, 429 with Retry-After,
// 5xx, a hang); the token endpoint can be made to refuse or to be down.
// Contract: no I/O but the answers and `deliver`; erasable TypeScript and no relative imports (as
// fake-cloudflare.ts), so Node could load it as it is.
import { importSPKI, jwtVerify } from "jose";

export type FakeGraphUser = {
  id: string;
  accountEnabled: boolean;
  mail: string | null;
  userPrincipalName: string;
  otherMails: string[];
  /** soft: in deletedItems; hard: gone for good. */
  deleted: "soft" | "hard" | null;
};

export type FakeGraphOptions = {
  loginBaseUrl: string;
  graphBaseUrl: string;
  tenantId: string;
  clientId: string;
  /** The client secret it takes; and/or the certificate (its SPKI PEM and SHA-256 thumbprint, base64url). */
  clientSecret?: string;
  certificate?: { spki: string; thumbprint: string };
  /** How the fake reaches the Worker (validation requests, notifications). */
  deliver: (url: string, init: RequestInit) => Promise<Response>;
  now?: () => number;
  pageSize?: number;
};

type Subscription = {
  id: string;
  resource: string;
  changeType: string;
  notificationUrl: string;
  lifecycleNotificationUrl: string | null;
  clientState: string;
  expirationDateTime: string;
};

/** A request as the fake received it. */
export type GraphRequestSeen = { method: string; path: string; search: string; authorization: string | null; body: unknown };

const SELECTABLE = ["id", "accountEnabled", "mail", "userPrincipalName", "otherMails"] as const;
const MAX_USERS_MINUTES = 41_760;

export function graphError(status: number, code: string, message: string, headers: Record<string, string> = {}): Response {
  return Response.json(
    { error: { code, message, innerError: { date: "2026-12-01T00:00:00", "request-id": crypto.randomUUID() } } },
    { status, headers },
  );
}

export function createFakeGraph(options: FakeGraphOptions) {
  const now = options.now ?? Date.now;
  const pageSize = options.pageSize ?? 100;
  const users = new Map<string, FakeGraphUser>();
  const subscriptions = new Map<string, Subscription>();
  const validTokens = new Set<string>();
  const requests: GraphRequestSeen[] = [];
  /** Every change to a user, in order: what a delta round reads. */
  const changes: { seq: number; userId: string }[] = [];
  let seq = 0;
  let expiredBelow = 0;
  let expiredAnswer: "410" | "syncStateNotFound" = "410";
  let tokenMode: "up" | "refuse" | "down" = "up";
  let fault: ((request: GraphRequestSeen) => Response | Promise<Response> | null) | null = null;

  const graphPath = new URL(options.graphBaseUrl).pathname.replace(/\/$/, "");
  const tokenUrl = `${options.loginBaseUrl}/${options.tenantId}/oauth2/v2.0/token`;

  function changed(userId: string): void {
    changes.push({ seq: ++seq, userId });
  }

  /** The user's selected properties (all five without $select); a soft-deleted one's UPN as Entra renames it. */
  function fields(user: FakeGraphUser, select: string[] | null, deleted = false): Record<string, unknown> {
    const upn = deleted ? `${user.id.replace(/-/g, "")}${user.userPrincipalName}` : user.userPrincipalName;
    const full: Record<string, unknown> = { ...user, userPrincipalName: upn };
    return Object.fromEntries((select ?? [...SELECTABLE]).map((field) => [field, full[field]]));
  }

  function view(user: FakeGraphUser, select: string[] | null, deleted = false): Record<string, unknown> {
    return { "@odata.type": "#microsoft.graph.user", ...fields(user, select, deleted) };
  }

  function selectOf(search: URLSearchParams): string[] | null {
    const select = search.get("$select");
    return select === null ? null : select.split(",").filter((field) => (SELECTABLE as readonly string[]).includes(field));
  }

  async function token(body: URLSearchParams): Promise<Response> {
    if (tokenMode === "down") return new Response("Service Unavailable", { status: 503 });
    const client = body.get("client_id");
    let authenticated = false;
    if (tokenMode === "up" && client === options.clientId && body.get("grant_type") === "client_credentials") {
      const secret = body.get("client_secret");
      const assertion = body.get("client_assertion");
      if (secret !== null) authenticated = secret === options.clientSecret;
      else if (assertion !== null && options.certificate) authenticated = await assertionValid(assertion, options.certificate);
    }
    if (!authenticated) {
      return Response.json(
        { error: "invalid_client", error_description: "AADSTS7000215: Invalid client secret provided.", error_codes: [7000215] },
        { status: 401 },
      );
    }
    const accessToken = `graph-token-${crypto.randomUUID()}`;
    validTokens.add(accessToken);
    return Response.json({ token_type: "Bearer", expires_in: 3599, ext_expires_in: 3599, access_token: accessToken });
  }

  async function assertionValid(assertion: string, certificate: { spki: string; thumbprint: string }): Promise<boolean> {
    try {
      const header = JSON.parse(atob(assertion.split(".")[0]!.replace(/-/g, "+").replace(/_/g, "/"))) as Record<string, unknown>;
      if (header["x5t#S256"] !== certificate.thumbprint) return false;
      const alg = String(header.alg);
      await jwtVerify(assertion, await importSPKI(certificate.spki, alg), {
        algorithms: ["PS256", "RS256"],
        audience: tokenUrl,
        issuer: options.clientId,
        subject: options.clientId,
        currentDate: new Date(now()),
      });
      return true;
    } catch {
      return false;
    }
  }

  async function validate(url: string): Promise<boolean> {
    const validationToken = `Validation: Testing client application reachability for subscription Request-Id: ${crypto.randomUUID()}`;
    const separator = url.includes("?") ? "&" : "?";
    try {
      const response = await options.deliver(`${url}${separator}validationToken=${encodeURIComponent(validationToken)}`, {
        method: "POST",
        headers: { "content-type": "text/plain; charset=utf-8" },
      });
      return (
        response.status === 200 &&
        (response.headers.get("content-type") ?? "").startsWith("text/plain") &&
        (await response.text()) === validationToken
      );
    } catch {
      return false;
    }
  }

  async function subscriptionsRoute(method: string, id: string | null, body: unknown): Promise<Response> {
    const input = (body ?? {}) as Record<string, unknown>;
    if (method === "POST" && id === null) {
      const expires = Date.parse(String(input.expirationDateTime));
      if (input.resource !== "users" || input.changeType !== "updated,deleted" || typeof input.notificationUrl !== "string") {
        return graphError(400, "InvalidRequest", "resource, changeType or notificationUrl is not as expected");
      }
      if (typeof input.clientState !== "string" || input.clientState.length > 128)
        return graphError(400, "InvalidRequest", "clientState is too long");
      if (!Number.isFinite(expires) || expires <= now() || expires > now() + MAX_USERS_MINUTES * 60_000) {
        return graphError(400, "InvalidRequest", "Subscription expiration can only be 41760 minutes in the future.");
      }
      const lifecycle = typeof input.lifecycleNotificationUrl === "string" ? input.lifecycleNotificationUrl : null;
      for (const url of new Set([input.notificationUrl, ...(lifecycle ? [lifecycle] : [])])) {
        if (!(await validate(url)))
          return graphError(
            400,
            "InvalidRequest",
            "Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request.",
          );
      }
      const subscription: Subscription = {
        id: crypto.randomUUID(),
        resource: "users",
        changeType: input.changeType,
        notificationUrl: input.notificationUrl,
        lifecycleNotificationUrl: lifecycle,
        clientState: input.clientState,
        expirationDateTime: new Date(expires).toISOString(),
      };
      subscriptions.set(subscription.id, subscription);
      return Response.json({ "@odata.context": `${options.graphBaseUrl}/$metadata#subscriptions/$entity`, ...subscription }, { status: 201 });
    }
    const subscription = id === null ? undefined : subscriptions.get(id);
    if (!subscription || Date.parse(subscription.expirationDateTime) <= now()) {
      return graphError(404, "ResourceNotFound", "The object was not found.");
    }
    if (method === "PATCH") {
      const expires = Date.parse(String(input.expirationDateTime));
      if (!Number.isFinite(expires) || expires > now() + MAX_USERS_MINUTES * 60_000) return graphError(400, "InvalidRequest", "expiration");
      subscription.expirationDateTime = new Date(expires).toISOString();
      return Response.json(subscription);
    }
    if (method === "DELETE") {
      subscriptions.delete(subscription.id);
      return new Response(null, { status: 204 });
    }
    return graphError(405, "Request_BadRequest", "method");
  }

  function usersRoute(path: string, search: URLSearchParams): Response {
    const byId = /^\/users\/([0-9a-f-]{36})$/i.exec(path);
    if (byId) {
      const user = users.get(byId[1]!.toLowerCase());
      return user && user.deleted === null
        ? Response.json(view(user, selectOf(search)))
        : graphError(404, "Request_ResourceNotFound", `Resource '${byId[1]}' does not exist.`);
    }
    const deletedItem = /^\/directory\/deletedItems\/([0-9a-f-]{36})$/i.exec(path);
    if (deletedItem) {
      const user = users.get(deletedItem[1]!.toLowerCase());
      return user?.deleted === "soft" ? Response.json(view(user, selectOf(search), true)) : graphError(404, "Request_ResourceNotFound", "not found");
    }
    if (path === "/users/delta") return delta(search);
    return graphError(400, "BadRequest", `unsupported ${path}`);
  }

  /** A delta round lists users from `from` on (-1: every current user); `round` is the change it started at. */
  function delta(search: URLSearchParams): Response {
    const deltaToken = search.get("$deltatoken");
    const skipToken = search.get("$skiptoken");
    const select = selectOf(search);
    const link = (parameter: string, value: string) => `${options.graphBaseUrl}/users/delta?${parameter}=${value}`;
    if (deltaToken !== null && Number(deltaToken) < expiredBelow) {
      return expiredAnswer === "410"
        ? graphError(410, "resyncRequired", "Resync required.", { Location: `${options.graphBaseUrl}/users/delta` })
        : graphError(400, "syncStateNotFound", "The sync state was not found.");
    }
    let [offset, from, round] = [0, deltaToken === null ? -1 : Number(deltaToken), seq];
    if (skipToken !== null) [offset, from, round] = skipToken.split(".").map(Number) as [number, number, number];
    const entries =
      from < 0
        ? [...users.values()].filter((user) => user.deleted === null).map((user) => fields(user, select))
        : [...new Set(changes.filter((change) => change.seq > from).map((change) => change.userId))].map((id) => {
            const user = users.get(id)!;
            return user.deleted === null ? fields(user, select) : { id, "@removed": { reason: user.deleted === "soft" ? "changed" : "deleted" } };
          });
    const body: Record<string, unknown> = {
      "@odata.context": `${options.graphBaseUrl}/$metadata#users`,
      value: entries.slice(offset, offset + pageSize),
    };
    if (offset + pageSize < entries.length) body["@odata.nextLink"] = link("$skiptoken", `${offset + pageSize}.${from}.${round}`);
    else body["@odata.deltaLink"] = link("$deltatoken", String(round));
    return Response.json(body);
  }

  async function route(method: string, path: string, search: URLSearchParams, authorization: string | null, body: unknown): Promise<Response> {
    const bearer = authorization?.startsWith("Bearer ") ? authorization.slice("Bearer ".length) : null;
    if (bearer === null || !validTokens.has(bearer)) return graphError(401, "InvalidAuthenticationToken", "Access token validation failure.");
    const seen: GraphRequestSeen = { method, path, search: search.toString(), authorization, body };
    const injected = fault?.(seen);
    if (injected) return injected;
    if (path === "/subscriptions" || path.startsWith("/subscriptions/")) return subscriptionsRoute(method, path.split("/")[2] ?? null, body);
    if (path === "/$batch" && method === "POST") return batch(body, authorization);
    if (method !== "GET") return graphError(405, "Request_BadRequest", "method");
    return usersRoute(path, search);
  }

  async function batch(body: unknown, authorization: string | null): Promise<Response> {
    const inner = (body as { requests?: { id: string; method: string; url: string }[] } | null)?.requests;
    if (!Array.isArray(inner) || inner.length === 0 || inner.length > 20) return graphError(400, "BadRequest", "a batch takes 1 to 20 requests");
    const responses = [];
    for (const request of inner) {
      const url = new URL(request.url, "https://graph.invalid");
      const answer = await route(request.method, url.pathname, url.searchParams, authorization, null);
      const text = await answer.text();
      responses.push({
        id: request.id,
        status: answer.status,
        headers: Object.fromEntries(answer.headers),
        body: text === "" ? undefined : JSON.parse(text),
      });
    }
    // Graph answers in any order.
    return Response.json({ responses: responses.reverse() });
  }

  function notification(subscription: Subscription, extra: Record<string, unknown>): Record<string, unknown> {
    return {
      subscriptionId: subscription.id,
      subscriptionExpirationDateTime: subscription.expirationDateTime,
      clientState: subscription.clientState,
      tenantId: options.tenantId,
      ...extra,
    };
  }

  async function post(url: string, items: Record<string, unknown>[]): Promise<Response> {
    return options.deliver(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ value: items }) });
  }

  return {
    requests,
    users,
    subscriptions,
    /** The fake as a fetch handler. */
    async fetch(url: string, init: RequestInit = {}): Promise<Response> {
      const request = new Request(url, init);
      // As bytes: the token request is a form, which workerd warns about reading with text().
      const text = new TextDecoder().decode(await request.arrayBuffer());
      if (url === tokenUrl && request.method === "POST") return token(new URLSearchParams(text));
      if (!url.startsWith(options.graphBaseUrl)) return new Response("not found", { status: 404 });
      const parsed = new URL(url);
      let body: unknown = null;
      try {
        body = text === "" ? null : JSON.parse(text);
      } catch {
        return graphError(400, "BadRequest", "not JSON");
      }
      const path = parsed.pathname.slice(graphPath.length);
      requests.push({ method: request.method, path, search: parsed.search, authorization: request.headers.get("authorization"), body });
      return route(request.method, path, parsed.searchParams, request.headers.get("authorization"), body);
    },
    /** Adds (or replaces) a user, as a change the next delta round lists. */
    putUser(user: Partial<FakeGraphUser> & { mail: string | null }): FakeGraphUser {
      const full: FakeGraphUser = {
        id: (user.id ?? crypto.randomUUID()).toLowerCase(),
        accountEnabled: true,
        userPrincipalName: user.mail ?? `user-${seq}@contoso.test`,
        otherMails: [],
        deleted: null,
        ...user,
      };
      users.set(full.id, full);
      changed(full.id);
      return full;
    },
    /** Changes a user (disables it, soft- or hard-deletes it), as Entra would; the next delta round lists it. */
    updateUser(id: string, change: Partial<Omit<FakeGraphUser, "id">>): void {
      Object.assign(users.get(id)!, change);
      changed(id);
    },
    /** Sends one change notification collection naming these users to every subscription; answers each delivery's status. */
    async notify(userIds: string | string[], changeType: "updated" | "deleted"): Promise<number[]> {
      const statuses: number[] = [];
      for (const subscription of subscriptions.values()) {
        const items = [userIds].flat().map((userId) =>
          notification(subscription, {
            changeType,
            resource: `Users/${userId}`,
            resourceData: { "@odata.type": "#Microsoft.Graph.User", "@odata.id": `Users/${userId}`, id: userId, organizationId: options.tenantId },
          }),
        );
        statuses.push((await post(subscription.notificationUrl, items)).status);
      }
      return statuses;
    },
    /** Sends a lifecycle notification to every subscription's lifecycle URL. */
    async lifecycle(event: "reauthorizationRequired" | "subscriptionRemoved" | "missed"): Promise<number[]> {
      const statuses: number[] = [];
      for (const subscription of [...subscriptions.values()]) {
        if (event === "subscriptionRemoved") subscriptions.delete(subscription.id);
        statuses.push(
          (await post(subscription.lifecycleNotificationUrl ?? subscription.notificationUrl, [notification(subscription, { lifecycleEvent: event })]))
            .status,
        );
      }
      return statuses;
    },
    /** Every delta token issued so far expires: the next round with one is answered 410 or 400 syncStateNotFound. */
    expireDeltaTokens(answer: "410" | "syncStateNotFound" = "410"): void {
      expiredBelow = seq + 1;
      expiredAnswer = answer;
    },
    setTokenEndpoint(mode: "up" | "refuse" | "down"): void {
      tokenMode = mode;
    },
    /** Forgets every token issued: the next Graph call with one is 401. */
    revokeTokens(): void {
      validTokens.clear();
    },
    /** Answers Graph requests (after the token check) before the model, when it returns a Response. */
    setFault(next: ((request: GraphRequestSeen) => Response | Promise<Response> | null) | null): void {
      fault = next;
    },
  };
}

export type FakeGraph = ReturnType<typeof createFakeGraph>;
