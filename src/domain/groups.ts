// Which group removals revoke (REVOKE_ON_GROUP_REMOVAL), as Cloudflare's group_member_deprovision does:
// group display names, compared without regard to case and surrounding space, or any group at all.
// Contract: pure.

export type GroupRemovalPolicy = { any: boolean; names: string[] };

/** The first of a group's names (its display name, its email, …) that the policy revokes on; null when none does. */
export function revokingGroup(policy: GroupRemovalPolicy, ...names: (string | null | undefined)[]): string | null {
  for (const name of names) {
    if (typeof name !== "string" || name.trim() === "") continue;
    if (policy.any || policy.names.includes(name.trim().toLowerCase())) return name.trim();
  }
  return null;
}
