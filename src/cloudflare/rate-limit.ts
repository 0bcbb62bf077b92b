// What Cloudflare says about a token's budget on every API answer (developers.cloudflare.com/fundamentals/
// api/reference/limits; since September 2025), in the syntax of IETF draft-ietf-httpapi-ratelimit-headers-10:
// - `Ratelimit` (§4): an RFC 9651 List of service limit Items. Each Item is a policy name, a String
//   (`"default"`; a Token is accepted too), with parameters r (the remaining quota units: an Integer ≥ 0,
//   required) and t (the seconds until more quota is made available: an Integer ≥ 0, optional).
//   Cloudflare: `Ratelimit: "default";r=50;t=30`.
// - `Ratelimit-Policy` (§3): a List of quota policy Items, a policy name with q (the quota: an Integer ≥ 0,
//   required), w (its window in seconds: an Integer ≥ 1, optional) and qu (the quota unit, a String; absent
//   means "requests"). Cloudflare: `Ratelimit-Policy: "default";q=1200;w=300`.
// Other parameters (pk, vendor ones) are comments to us. A field that is not a valid List is ignored whole,
// as the draft says malformed fields must be (§7); an Item without its required parameter, or with a value
// of the wrong type or sign, is ignored alone, and so is a policy counted in other units than requests (a
// revoke_user call is one request). Several fields of one name reach us joined by ", " (fetch's Headers.get),
// which is the same List.
// The List syntax is parsed by `structured-headers` (RFC 9651, the implementation the field uses; a few KiB
// of the bundle), the parameters by zod.
// Contract: pure, no I/O, no clock; never throws.
import { parseList, Token } from "structured-headers";
import * as z from "zod/mini";

/** One service limit: how much of a policy's quota is left, and in how many seconds more is made available. */
type ServiceLimit = { policy: string; remaining: number; resetSeconds: number | null };
/** One quota policy: its quota, and the window it applies to. */
type QuotaPolicy = { policy: string; quota: number; windowSeconds: number | null };
/** What one answer said; both lists are empty when it said nothing readable. */
export type RateLimitReport = { limits: ServiceLimit[]; policies: QuotaPolicy[] };

const count = z.int().check(z.minimum(0));
const LimitParameters = z.object({ r: count, t: z.optional(count) });
const PolicyParameters = z.object({ q: count, w: z.optional(z.int().check(z.minimum(1))), qu: z.optional(z.string()) });

/** The List's Items as (policy name, parameters); none when the field is absent or not a List. */
function items(field: string | null): { policy: string; parameters: Record<string, unknown> }[] {
  if (field === null || field.trim() === "") return [];
  let list: ReturnType<typeof parseList>;
  try {
    list = parseList(field);
  } catch {
    return [];
  }
  return list.flatMap(([value, parameters]) => {
    // An Inner List is no policy; a name is a String (a Token, printed, is accepted too).
    if (typeof value !== "string" && !(value instanceof Token)) return [];
    return [{ policy: String(value), parameters: Object.fromEntries(parameters) }];
  });
}

export function readRateLimitHeaders(ratelimit: string | null, policy: string | null): RateLimitReport {
  const otherUnits = new Set<string>();
  const policies = items(policy).flatMap(({ policy, parameters }) => {
    const read = PolicyParameters.safeParse(parameters);
    if (!read.success) return [];
    if ((read.data.qu ?? "requests") !== "requests") {
      otherUnits.add(policy);
      return [];
    }
    return [{ policy, quota: read.data.q, windowSeconds: read.data.w ?? null }];
  });
  const limits = items(ratelimit).flatMap(({ policy, parameters }) => {
    const read = LimitParameters.safeParse(parameters);
    return read.success && !otherUnits.has(policy) ? [{ policy, remaining: read.data.r, resetSeconds: read.data.t ?? null }] : [];
  });
  return { limits, policies };
}
