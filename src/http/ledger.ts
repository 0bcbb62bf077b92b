// How a surface reaches the ledger: every Durable Object failure (an exception in the object, an
// overloaded or unreachable object, a broken RPC) becomes one failure, 503 ledger_unavailable, so a
// sender retries and no route answers a 500 or a half-made answer for it.
import { type LedgerStub, ledgerFor } from "../ledger/client";
import { logEvent } from "../log";
import { HttpFailure } from "./errors";

export async function onLedger<T>(env: Env, call: (ledger: LedgerStub) => PromiseLike<T>, what = "the request"): Promise<T> {
  try {
    return await call(ledgerFor(env));
  } catch (error) {
    logEvent("ledger.unavailable", { what, error: String(error) });
    throw new HttpFailure({ code: "ledger_unavailable", message: `the revocation ledger is unavailable; ${what} was not completed: retry` });
  }
}
