// The clientStates a notification may carry, as the route checks them: read from the ledger, kept for the
// isolate a short while, so a flood of forged notifications does not cost a Durable Object call each.
// - Kept for FRESH_FOR_MS; a notification that matches none of them asks for a fresh read, at most once every
//   REREAD_GATE_MS per isolate (concurrent requests share the read in flight): a subscription created a moment
//   ago (its clientState is in the ledger before Graph is asked) is recognised at once, while forgeries cost at
//   most one ledger read per gate interval.
// - A notification refused meanwhile is answered 401 when nothing in it verified, and Graph delivers it again.
// Contract: a ledger failure throws HttpFailure (503 ledger_unavailable), so Graph delivers again.
import { onLedger } from "../http/ledger";
import type { SubscriptionSecret } from "../ledger/entra/subscription";

const FRESH_FOR_MS = 60_000;
const REREAD_GATE_MS = 5_000;

let kept: { at: number; secrets: Promise<SubscriptionSecret[]> } | null = null;

function read(env: Env, now: number): Promise<SubscriptionSecret[]> {
  const secrets = onLedger(env, (ledger) => ledger.entra().secrets(), "the notification");
  kept = { at: now, secrets };
  // A failed read is not kept: the next request reads again.
  secrets.catch(() => {
    if (kept?.secrets === secrets) kept = null;
  });
  return secrets;
}

export function knownSecrets(env: Env, now: number): Promise<SubscriptionSecret[]> {
  return kept !== null && now - kept.at < FRESH_FOR_MS ? kept.secrets : read(env, now);
}

/** A fresh read when the kept one is older than the gate; null when it is not (the caller keeps its verdict). */
export function rereadSecrets(env: Env, now: number): Promise<SubscriptionSecret[]> | null {
  return kept !== null && now - kept.at < REREAD_GATE_MS ? null : read(env, now);
}

/** Tests: forget what is kept (a ledger changed behind the route). */
export function forgetSecrets(): void {
  kept = null;
}
