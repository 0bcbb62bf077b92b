// "Revoke all Access tokens for a user":
//   POST {base}/{accounts|zones}/{id}/access/organizations/revoke_user?devices=true|false
//   body {"email", "user_uid"?, "warp_session_reauth"?}
//   → v4 envelope {"success", "result": true|false, "errors": [{code, message}], "messages"}
// (developers.cloudflare.com/api/resources/zero_trust/subresources/access/…/organizations/methods/revoke_users;
// the SDKs generated from Cloudflare's OpenAPI document type it `OrganizationRevokeUsersResponse = true | false`).
// Permission: Access: Organizations, Identity Providers, and Groups Write.
import type { Target } from "../config";
import type { ApiRequest } from "../domain/revocation";

export type RevokeUserInput = {
  target: Target;
  email: string;
  userUid: string | null;
  devices: boolean;
  warpSessionReauth: boolean;
};

export function targetPath(target: Target): string {
  return `${target.kind}/${target.id}`;
}

/** The most of an undocumented answer a record repeats. */
const MAX_SHOWN_RESULT = 200;

/**
 * What a successful revoke_user answer says: `true` revoked, `false` had nothing to revoke. Any other
 * result is no answer the API documents, so it proves neither: it is read as unreadable, quoting what
 * Cloudflare said, and the ledger retries it like an answer that is not the envelope at all.
 */
export function readRevokeUserResult(result: unknown): { state: "revoked" | "not_found" } | { unreadable: string } {
  if (result === true) return { state: "revoked" };
  if (result === false) return { state: "not_found" };
  const shown = (JSON.stringify(result) ?? "nothing").slice(0, MAX_SHOWN_RESULT);
  return { unreadable: `revoke_user answered success with result ${shown}, not the documented true or false` };
}

/** The exact request, also what DRY_RUN records as "would have been sent". */
export function buildRevokeUserRequest(baseUrl: string, input: RevokeUserInput): ApiRequest {
  const url = `${baseUrl}/${targetPath(input.target)}/access/organizations/revoke_user?devices=${input.devices}`;
  const body: Record<string, string | boolean> = { email: input.email };
  if (input.userUid) body.user_uid = input.userUid;
  if (input.warpSessionReauth) body.warp_session_reauth = true;
  return { method: "POST", url, body };
}
