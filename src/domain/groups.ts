// Which group removals revoke (REVOKE_ON_GROUP_REMOVAL), as Cloudflare's group_member_deprovision does:
// group display names, compared without regard to case and surrounding space, or any group at all.
// Contract: pure.

export type GroupRemovalPolicy = { any: boolean; names: string[] };

/**
 * What a removal from a group comes to under the policy: the first of the group's names (its display name,
 * its email, …) that revokes, with the reason every source records; or why it is ignored.
 */
export function groupRemoval(
  policy: GroupRemovalPolicy,
  ...names: (string | null | undefined)[]
): { revokes: true; name: string; reason: string } | { revokes: false; ignored: string } {
  for (const name of names) {
    if (typeof name !== "string" || name.trim() === "") continue;
    if (policy.any || policy.names.includes(name.trim().toLowerCase()))
      return { revokes: true, name: name.trim(), reason: `removed from group ${name.trim()}` };
  }
  const first = names.find((name) => typeof name === "string");
  return { revokes: false, ignored: `removal from group ${JSON.stringify(first ?? "unknown")} does not revoke (REVOKE_ON_GROUP_REMOVAL)` };
}
