// How the Worker reaches the ledger: one global instance, because the API budget is per token.
import { GLOBAL_LEDGER } from "./ledger";

export function ledgerFor(env: Env) {
  return env.LEDGER.get(env.LEDGER.idFromName(GLOBAL_LEDGER));
}

export type LedgerStub = ReturnType<typeof ledgerFor>;
