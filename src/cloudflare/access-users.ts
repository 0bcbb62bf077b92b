// Zero Trust users and seats of an account (Cloudflare API v4):
// - "Get users": GET {base}/accounts/{account_id}/access/users?email=<email> → result: [{id, email, name,
//   access_seat, gateway_seat, seat_uid, last_successful_login, active_device_count, …}] (permission: Access:
//   Audit Logs Read). Without `email` it lists every user, a page at a time (`page` from 1, `per_page`), with
//   result_info {page, per_page, count, total_count}: the reconciliation sweep reads it so.
// - "Update a user seat": PATCH {base}/accounts/{account_id}/access/seats, body [{access_seat, gateway_seat,
//   seat_uid}] — both false removes the person from their Zero Trust seat (permission: Zero Trust: Seats Write).
// - "Get active sessions": GET {base}/accounts/{account_id}/access/users/{user_id}/active_sessions → result:
//   [{name, expiration, metadata: {apps, expires, iat, nonce, ttl}}] (permission: Access: Audit Logs Read).
// (developers.cloudflare.com/api/resources/zero_trust/subresources/access/subresources/users/…, …/seats/methods/edit)
// Contract: pure request builders and result readers; the ledger sends, paces and classifies.
import * as z from "zod/mini";
import type { ApiRequest } from "../domain/revocation";

const AccessUserSchema = z.looseObject({
  id: z.string(),
  email: z.optional(z.nullable(z.string())),
  seat_uid: z.optional(z.nullable(z.string())),
  access_seat: z.optional(z.nullable(z.boolean())),
  gateway_seat: z.optional(z.nullable(z.boolean())),
  last_successful_login: z.optional(z.nullable(z.string())),
  active_device_count: z.optional(z.nullable(z.number())),
});
export type AccessUser = z.infer<typeof AccessUserSchema>;

const ResultInfoSchema = z.looseObject({
  page: z.optional(z.number()),
  per_page: z.optional(z.number()),
  count: z.optional(z.number()),
  total_count: z.optional(z.number()),
});

const SessionsSchema = z.array(z.looseObject({ name: z.optional(z.string()), expiration: z.optional(z.number()) }));

export function buildFindAccessUserRequest(baseUrl: string, accountId: string, email: string): ApiRequest {
  return { method: "GET", url: `${baseUrl}/accounts/${accountId}/access/users?email=${encodeURIComponent(email)}` };
}

/** The user whose email is `email` among a "Get users" result; null when there is none; undefined when the result is not a user list. */
export function readAccessUser(result: unknown, email: string): AccessUser | null | undefined {
  const users = z.array(AccessUserSchema).safeParse(result);
  if (!users.success) return undefined;
  return users.data.find((user) => user.email?.toLowerCase() === email.toLowerCase()) ?? null;
}

/** One page of an account's Access users (page from 1). */
export function buildListAccessUsersRequest(baseUrl: string, accountId: string, page: number, perPage: number): ApiRequest {
  return { method: "GET", url: `${baseUrl}/accounts/${accountId}/access/users?page=${page}&per_page=${perPage}` };
}

export type AccessUsersPage = { users: AccessUser[]; perPage: number | null; totalCount: number | null };

/** A page of "Get users" and where it stands in the list; undefined when the result is not a user list. */
export function readAccessUsersPage(result: unknown, resultInfo: unknown): AccessUsersPage | undefined {
  const users = z.array(AccessUserSchema).safeParse(result ?? []);
  if (!users.success) return undefined;
  const info = ResultInfoSchema.safeParse(resultInfo);
  return {
    users: users.data,
    perPage: info.success ? (info.data.per_page ?? null) : null,
    totalCount: info.success ? (info.data.total_count ?? null) : null,
  };
}

export function buildRemoveSeatRequest(baseUrl: string, accountId: string, seatUid: string): ApiRequest {
  return {
    method: "PATCH",
    url: `${baseUrl}/accounts/${accountId}/access/seats`,
    body: [{ access_seat: false, gateway_seat: false, seat_uid: seatUid }],
  };
}

export function buildActiveSessionsRequest(baseUrl: string, accountId: string, userId: string): ApiRequest {
  return { method: "GET", url: `${baseUrl}/accounts/${accountId}/access/users/${encodeURIComponent(userId)}/active_sessions` };
}

/** How many sessions an "active sessions" result lists; undefined when it is not such a list. */
export function countSessions(result: unknown): number | undefined {
  const sessions = SessionsSchema.safeParse(result ?? []);
  return sessions.success ? sessions.data.length : undefined;
}
