// The table token_budgets: each Cloudflare API token's budget as Cloudflare last reported it, its 429 pause,
// its last call and its recent 429s, under a keyed fingerprint of the token (never the token), so an evicted
// or restarted ledger resumes every token at the pace and pause it had. token-paces.ts writes through to it;
// jobs/ reads which targets wait on a paused token (pausedTargets).
// Contract: synchronous SQLite; `now` is passed in. A row it cannot read is read as none (the pace then
// starts from its fallback, which is always safe).
import type { Budget } from "./budget";

export type TokenBudgetRow = {
  token: string;
  targets: string[];
  budget: Budget | null;
  paused_until: number;
  pause_reason: string | null;
  last_call_at: number;
  /** When its 429s came, in the last hour. */
  rate_limited: number[];
};

type StoredRow = {
  token: string;
  targets: string;
  budget: string | null;
  paused_until: number;
  pause_reason: string | null;
  last_call_at: number;
  rate_limited: string;
};

function parsed<T>(text: string | null, fallback: T): T {
  if (text === null) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

function rowOf(stored: StoredRow): TokenBudgetRow {
  return {
    token: stored.token,
    targets: parsed<string[]>(stored.targets, []),
    budget: parsed<Budget | null>(stored.budget, null),
    paused_until: stored.paused_until,
    pause_reason: stored.pause_reason,
    last_call_at: stored.last_call_at,
    rate_limited: parsed<number[]>(stored.rate_limited, []),
  };
}

export function loadTokenBudgets(sql: SqlStorage): Map<string, TokenBudgetRow> {
  return new Map(
    sql
      .exec<StoredRow>("SELECT * FROM token_budgets")
      .toArray()
      .map((stored) => [stored.token, rowOf(stored)]),
  );
}

export function saveTokenBudget(sql: SqlStorage, row: TokenBudgetRow): void {
  sql.exec(
    `INSERT OR REPLACE INTO token_budgets (token, targets, budget, paused_until, pause_reason, last_call_at, rate_limited)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
    row.token,
    JSON.stringify(row.targets),
    row.budget === null ? null : JSON.stringify(row.budget),
    row.paused_until,
    row.pause_reason,
    row.last_call_at,
    JSON.stringify(row.rate_limited),
  );
}

/** The targets whose token is paused at `now` (a 429), each with until when and why. */
export function pausedTargets(sql: SqlStorage, now: number): Map<string, { until: number; reason: string | null }> {
  const paused = new Map<string, { until: number; reason: string | null }>();
  for (const stored of sql.exec<StoredRow>("SELECT * FROM token_budgets WHERE paused_until > ?", now)) {
    const row = rowOf(stored);
    for (const target of row.targets) paused.set(target, { until: row.paused_until, reason: row.pause_reason });
  }
  return paused;
}
