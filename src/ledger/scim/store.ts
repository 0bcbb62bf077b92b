// SCIM Users and Groups in the ledger's SQLite: strongly consistent, so a create followed by a lookup or
// PATCH from another location never misses, and userName uniqueness is enforced by a unique index.
// Contract: synchronous SQLite only; the ledger runs these inside its transactions and turns a user's
// active → inactive transition into revocations in the same transaction.
import { isActive, type Json, userNameOf } from "../../domain/scim/resource";
import type { ScimRow } from "./schema";

export type ScimKind = "User" | "Group";
export type StoredScim = { row: ScimRow; resource: Json };

export class ScimConflict extends Error {}

function uniqueKey(kind: ScimKind, id: string, resource: Json): string {
  return kind === "User" ? (userNameOf(resource) ?? "").toLowerCase() : id;
}

export function readScim(sql: SqlStorage, kind: ScimKind, id: string): StoredScim | null {
  const row = sql.exec<ScimRow>("SELECT * FROM scim_resources WHERE kind = ? AND id = ?", kind, id).toArray()[0];
  return row ? { row, resource: JSON.parse(row.resource) as Json } : null;
}

export function listScim(sql: SqlStorage, kind: ScimKind, userNameEquals?: string): StoredScim[] {
  const rows =
    userNameEquals !== undefined
      ? sql.exec<ScimRow>("SELECT * FROM scim_resources WHERE kind = 'User' AND unique_key = ?", userNameEquals.toLowerCase()).toArray()
      : sql.exec<ScimRow>("SELECT * FROM scim_resources WHERE kind = ? ORDER BY created, id", kind).toArray();
  return rows.map((row) => ({ row, resource: JSON.parse(row.resource) as Json }));
}

/** Resources of a kind in creation order, `limit` of them from `offset`, and how many there are in all. */
export function pageScim(sql: SqlStorage, kind: ScimKind, offset: number, limit: number): { total: number; rows: StoredScim[] } {
  const total = sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM scim_resources WHERE kind = ?", kind).one().n;
  const rows = sql.exec<ScimRow>("SELECT * FROM scim_resources WHERE kind = ? ORDER BY created, id LIMIT ? OFFSET ?", kind, limit, offset).toArray();
  return { total, rows: rows.map((row) => ({ row, resource: JSON.parse(row.resource) as Json })) };
}

function assertUnique(sql: SqlStorage, kind: ScimKind, id: string, key: string): void {
  if (kind !== "User") return;
  const clash = sql.exec<{ id: string }>("SELECT id FROM scim_resources WHERE kind = 'User' AND unique_key = ? AND id != ?", key, id).toArray()[0];
  if (clash) throw new ScimConflict("userName is already taken");
}

export function insertScim(sql: SqlStorage, kind: ScimKind, id: string, resource: Json, now: number): StoredScim {
  const key = uniqueKey(kind, id, resource);
  assertUnique(sql, kind, id, key);
  sql.exec(
    "INSERT INTO scim_resources (kind, id, unique_key, active, resource, created, modified, version) VALUES (?, ?, ?, ?, ?, ?, ?, 1)",
    kind,
    id,
    key,
    isActive(resource) ? 1 : 0,
    JSON.stringify(resource),
    now,
    now,
  );
  return readScim(sql, kind, id)!;
}

export function updateScim(sql: SqlStorage, kind: ScimKind, id: string, resource: Json, now: number): StoredScim {
  const key = uniqueKey(kind, id, resource);
  assertUnique(sql, kind, id, key);
  sql.exec(
    "UPDATE scim_resources SET unique_key = ?, active = ?, resource = ?, modified = ?, version = version + 1 WHERE kind = ? AND id = ?",
    key,
    isActive(resource) ? 1 : 0,
    JSON.stringify(resource),
    now,
    kind,
    id,
  );
  return readScim(sql, kind, id)!;
}

export function deleteScim(sql: SqlStorage, kind: ScimKind, id: string): void {
  sql.exec("DELETE FROM scim_resources WHERE kind = ? AND id = ?", kind, id);
}
