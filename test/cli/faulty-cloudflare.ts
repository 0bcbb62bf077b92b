// The faults the CLI tests need from the one fake Cloudflare API (scripts/fake-cloudflare.ts), as its scripted
// revoke_user answers, so the CLI can be shown failed records, retries and target holds from a real Worker:
// - an email starting "fail-once" gets HTTP 400 on its first call per target (failed, retryable), then passes;
// - an email starting "refused" gets HTTP 403 on zone targets (Cloudflare refusing the token: a hold), until
//   fixToken() (an operator fixed the token's permissions).
// Every other call succeeds, as the fake's own answer would.
import { type Answer, apiError, envelope } from "../../scripts/fake-cloudflare";

export function cliFaults() {
  const failedOnce = new Set<string>();
  let tokenFixed = false;
  const answer: Answer = (call) => {
    const email = typeof call.body.email === "string" ? call.body.email : "";
    const kind = call.path.split("/")[1];
    if (email.startsWith("fail-once") && !failedOnce.has(`${kind} ${email}`)) {
      failedOnce.add(`${kind} ${email}`);
      return apiError(400, 10000, "injected failure");
    }
    if (email.startsWith("refused") && kind === "zones" && !tokenFixed) return apiError(403, 10000, "Authentication error");
    return envelope(true);
  };
  return {
    answer,
    fixToken: () => {
      tokenFixed = true;
    },
  };
}
