// The SCIM rules over the ledger's store: create, read, list, replace/patch and delete Users and Groups,
// and turn a user's active → inactive transition (or the deletion of an active user) into revocations,
// and so a member's removal from a Group REVOKE_ON_GROUP_REMOVAL names (or the Group's deletion).
// Contract: synchronous; the ledger runs each operation inside one transaction, so a resource and the
// revocations it causes commit together. Answers a tagged outcome (domain/scim/outcome.ts), never an
// HTTP status; revokes only through the small Revoker interface, never through ledger internals.
import { type GroupRemovalPolicy, groupRemoval } from "../../domain/groups";
import type { CommitReceipt, RevocationRequest } from "../../domain/revocation";
import { type FilterNode, getIgnoringCase, matchesFilter, parseFilter, ScimFilterError } from "../../domain/scim/filter";
import { type ScimOutcome, scimFail, scimOk } from "../../domain/scim/outcome";
import { applyPatch, type PatchOperation, ScimPatchError } from "../../domain/scim/patch";
import {
  coerceActive,
  isActive,
  type Json,
  memberIds,
  presentScim,
  revocableEmails,
  storableResource,
  userNameOf,
  withoutPasswords,
} from "../../domain/scim/resource";
import { deleteScim, insertScim, listScim, pageScim, readScim, ScimConflict, type ScimKind, type StoredScim, updateScim } from "./store";

/** What SCIM may do to revocations: teach the directory, know what it holds, commit revocations. */
type Revoker = {
  learn(subjectId: string, emails: string[]): void;
  knownEmails(subjectId: string): string[];
  commit(request: RevocationRequest): CommitReceipt;
};

export type ScimContext = { sql: SqlStorage; now: number; newId(): string; revoker: Revoker; groupRemoval: GroupRemovalPolicy };

/** A resource as answered, and the revocations the operation caused (for the audit of held ones). */
export type ScimChange = { resource: Json; receipts: CommitReceipt[] };

/** One page of a list: the resources, and how many matched in all. */
export type ScimPage = { resources: Json[]; total: number };

export type ScimChangeRequest = { replace: Json } | { patch: PatchOperation[] };

function notFound<T>(kind: ScimKind, id: string): ScimOutcome<T> {
  return scimFail({ kind: "not_found", detail: `${kind} ${id} not found` });
}

function validate(kind: ScimKind, resource: Json): ScimOutcome<Json> {
  if (kind === "User" && !userNameOf(resource)) return scimFail({ kind: "invalid", detail: "userName is required", scimType: "invalidValue" });
  if (kind === "User" && resource.active !== undefined && typeof resource.active !== "boolean") {
    return scimFail({ kind: "invalid", detail: "active must be a boolean", scimType: "invalidValue" });
  }
  if (kind === "Group" && typeof resource.displayName !== "string") {
    return scimFail({ kind: "invalid", detail: "displayName is required", scimType: "invalidValue" });
  }
  return scimOk(resource);
}

/** The store throws ScimConflict on a userName clash (a unique index): that is a 409, not a failure of the ledger. */
function unlessConflict<T>(write: () => ScimOutcome<T>): ScimOutcome<T> {
  try {
    return write();
  } catch (error) {
    if (error instanceof ScimConflict) return scimFail({ kind: "conflict", detail: error.message });
    throw error;
  }
}

export function createScim(context: ScimContext, kind: ScimKind, input: Json): ScimOutcome<Json> {
  const resource = validate(kind, storableResource(input));
  if (!resource.ok) return resource;
  return unlessConflict(() => {
    const created = insertScim(context.sql, kind, context.newId(), resource.value, context.now);
    if (kind === "User") learn(context, created);
    return scimOk(presentScim(created));
  });
}

export function getScim(sql: SqlStorage, kind: ScimKind, id: string): ScimOutcome<Json> {
  const stored = readScim(sql, kind, id);
  return stored ? scimOk(presentScim(stored)) : notFound(kind, id);
}

/** The userName of a plain `userName eq "…"` filter (the IdPs' lookup before a create), served by the index. */
function userNameEquals(node: FilterNode): string | undefined {
  if (node.kind !== "compare" || node.op !== "eq" || node.path.schema || node.path.names.length !== 1) return undefined;
  return node.path.names[0]!.toLowerCase() === "username" && typeof node.value === "string" ? node.value : undefined;
}

/** Resources of a kind matching the filter, in creation order (stable for pagination); `startIndex` counts from 1. */
export function listScimPage(sql: SqlStorage, kind: ScimKind, filter: string | undefined, startIndex: number, count: number): ScimOutcome<ScimPage> {
  if (!filter) {
    const { total, rows } = pageScim(sql, kind, startIndex - 1, count);
    return scimOk({ resources: rows.map(presentScim), total });
  }
  let node: FilterNode;
  try {
    node = parseFilter(filter);
  } catch (error) {
    if (error instanceof ScimFilterError) return scimFail({ kind: "invalid", detail: `invalid filter: ${error.message}`, scimType: "invalidFilter" });
    throw error;
  }
  const rows = listScim(sql, kind, kind === "User" ? userNameEquals(node) : undefined);
  const matches = rows.map(presentScim).filter((resource) => matchesFilter(resource, node));
  return scimOk({ resources: matches.slice(startIndex - 1, startIndex - 1 + count), total: matches.length });
}

/** PUT and PATCH: the new resource is computed from the stored one, then stored with any revocation it causes. */
export function changeScim(context: ScimContext, kind: ScimKind, id: string, change: ScimChangeRequest): ScimOutcome<ScimChange> {
  const current = readScim(context.sql, kind, id);
  if (!current) return notFound(kind, id);
  let next: Json;
  try {
    next = "replace" in change ? storableResource(change.replace) : withoutPasswords(coerceActive(applyPatch(current.resource, change.patch)));
  } catch (error) {
    if (error instanceof ScimPatchError) return scimFail({ kind: "invalid", detail: error.message, scimType: error.scimType });
    throw error;
  }
  const valid = validate(kind, next);
  if (!valid.ok) return valid;
  return unlessConflict(() => {
    const updated = updateScim(context.sql, kind, id, next, context.now);
    const receipts: CommitReceipt[] = [];
    if (kind === "User") {
      learn(context, updated);
      if (isActive(current.resource) && !isActive(next)) receipts.push(...deprovision(context, updated, [current.resource, next], "scim.deactivate"));
    }
    if (kind === "Group") {
      const remaining = new Set(memberIds(next));
      const removed = memberIds(current.resource).filter((member) => !remaining.has(member));
      receipts.push(...removeMembers(context, updated, [current.resource, next], removed));
    }
    return scimOk({ resource: presentScim(updated), receipts });
  });
}

export function deleteScimResource(context: ScimContext, kind: ScimKind, id: string): ScimOutcome<ScimChange> {
  const current = readScim(context.sql, kind, id);
  if (!current) return notFound(kind, id);
  deleteScim(context.sql, kind, id);
  const receipts =
    kind === "User"
      ? isActive(current.resource)
        ? deprovision(context, current, [current.resource], "scim.delete")
        : []
      : removeMembers(context, current, [current.resource], memberIds(current.resource));
  return scimOk({ resource: presentScim(current), receipts });
}

function learn(context: ScimContext, stored: StoredScim): void {
  const emails = revocableEmails(stored.resource);
  if (emails.length > 0) context.revoker.learn(stored.row.id, emails);
}

/**
 * One revocation per email the user is known by (in any version of the resource, or in the directory,
 * so an address changed earlier is revoked too), keyed to this transition so a repeat causes none. A
 * user with no usable email still leaves a record.
 */
function deprovision(context: ScimContext, stored: StoredScim, versions: Json[], eventType: string): CommitReceipt[] {
  const reason = eventType === "scim.delete" ? "deleted over SCIM" : "deactivated over SCIM";
  return revokeUser(context, stored.row.id, versions, { transition: `${stored.row.id}:${eventType}:v${stored.row.version}`, eventType, reason });
}

/**
 * Members removed from a Group (or all of them, when the Group is deleted) are revoked when the policy
 * names the Group, as Cloudflare's group_member_deprovision does. A member whose SCIM user is already
 * inactive was revoked when it became so and is skipped; a member this service never saw is revoked by
 * the emails the directory knows, or recorded as having none.
 */
function removeMembers(context: ScimContext, group: StoredScim, versions: Json[], removed: string[]): CommitReceipt[] {
  if (removed.length === 0) return [];
  const removal = groupRemoval(context.groupRemoval, ...versions.map((version) => getIgnoringCase(version, "displayName") as string | undefined));
  if (!removal.revokes) return [];
  const receipts: CommitReceipt[] = [];
  for (const memberId of removed) {
    const member = readScim(context.sql, "User", memberId);
    if (member && !isActive(member.resource)) continue;
    receipts.push(
      ...revokeUser(context, memberId, member ? [member.resource] : [], {
        transition: `${group.row.id}:scim.group_remove:v${group.row.version}:${memberId}`,
        eventType: "scim.group_remove",
        reason: `${removal.reason} over SCIM`,
      }),
    );
  }
  return receipts;
}

type Transition = { transition: string; eventType: string; reason: string };

function revokeUser(context: ScimContext, userId: string, versions: Json[], { transition, eventType, reason }: Transition): CommitReceipt[] {
  const emails = [...new Set([...versions.flatMap(revocableEmails), ...context.revoker.knownEmails(userId)])];
  const base = { source: "scim", assurance: "static_secret" as const, event_type: eventType, subject_id: userId, reason };
  if (emails.length > 0) return emails.map((email) => context.revoker.commit({ ...base, event_id: `${transition}:${email}`, email }));
  const shown = ((versions[0] ? userNameOf(versions[0]) : undefined) ?? userId).slice(0, 254);
  const detail = `the SCIM user ${userId} (${JSON.stringify(shown)}) has no usable email to revoke`;
  return [context.revoker.commit({ ...base, event_id: transition, unusable_email: shown, refusal: { status: "invalid_email", detail } })];
}
