// GET /healthz: is the Worker configured, and what should an operator know.
// Contract (SECURITY.md): the answer is public, so no unauthenticated request costs a ledger call of its
// own, and none learns the ledger's state. Anyone gets the configuration's verdict (`ok`, `dry_run`, the
// `problems` and `notes` by variable name, never a value) and how many notes the ledger has, a count read
// from the ledger at most once every PUBLIC_NOTES_TTL_MS per Worker isolate (one read in flight, shared by
// every request that waits for it). What those notes say (a paused stream, SETs held during an outage, a
// permission the API token lacks) is the operator's: sent with a valid operator token, the request reads
// them from the ledger then and there. A wrong token is no failure here: it gets the public answer.
import { Hono } from "hono";
import * as z from "zod/mini";
import { configFor } from "../config";
import type { AppEnv } from "../context";
import { matchesAnySecret } from "../crypto/compare";
import { ledgerFor } from "../ledger/client";
import { bearerToken } from "./bearer-auth";
import { apiDoc } from "./openapi";
import { noQuery } from "./validate";

/** How long /healthz waits for the ledger's notes (it answers from configuration without them). */
const LEDGER_NOTES_WAIT_MS = 1000;
/** How long an isolate reuses the ledger's notes for the public answer's count. */
export const PUBLIC_NOTES_TTL_MS = 30_000;

const HealthSchema = z.object({
  ok: z.boolean(),
  dry_run: z.optional(z.boolean()),
  problems: z.optional(z.array(z.string())),
  notes: z.optional(z.array(z.string())),
});

/** The ledger's notes, or one note saying it did not answer (never an error text: the count may be public). */
async function readLedgerNotes(env: Env): Promise<string[]> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    ledgerFor(env)
      .drain()
      .notes()
      .catch(() => ["the ledger did not answer; see GET /v1/stats"]),
    new Promise<string[]>((resolve) => {
      timer = setTimeout(() => resolve(["the ledger did not answer within a second"]), LEDGER_NOTES_WAIT_MS);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Per isolate, like the parsed configuration: the notes last read and when the read began. */
const lastRead = new WeakMap<object, { at: number; notes: Promise<string[]> }>();

function remember(env: Env, at: number, notes: Promise<string[]>): Promise<string[]> {
  lastRead.set(env, { at, notes });
  return notes;
}

function cachedLedgerNotes(env: Env, now: number): Promise<string[]> {
  const cached = lastRead.get(env);
  if (cached && now - cached.at < PUBLIC_NOTES_TTL_MS) return cached.notes;
  return remember(env, now, readLedgerNotes(env));
}

export const healthRoutes = new Hono<AppEnv>();

healthRoutes.get(
  "/",
  apiDoc({
    summary: "Is the Worker configured, and what should an operator know",
    description:
      "503 lists every missing or malformed variable by name. `notes` carries deprecations and ignored settings; what the ledger has to say (follow-ups the API token is refused for, Shared Signals streams paused, failing or with held SETs) is shown with a valid operator token, and without one only counted, from a read at most 30 s old.",
    tag: "health",
    auth: "optional_operator",
    ok: { 200: { description: "configured", schema: HealthSchema }, 503: { description: "not configured", schema: HealthSchema } },
    errors: [],
  }),
  noQuery(),
  async function healthz(c) {
    const result = configFor(c.env);
    if (!result.ok) return c.json({ ok: false, problems: result.problems, ...(result.notes.length > 0 ? { notes: result.notes } : {}) }, 503);
    const now = Date.now();
    const operator = await matchesAnySecret(bearerToken(c.req.header("Authorization")), result.config.operatorTokens);
    let ledgerNotes: string[];
    if (operator) {
      ledgerNotes = await remember(c.env, now, readLedgerNotes(c.env));
    } else {
      const count = (await cachedLedgerNotes(c.env, now)).length;
      ledgerNotes = count === 0 ? [] : [`${count} note(s) about the ledger for the operator: send this request with the operator token to read them`];
    }
    const notes = [...result.notes, ...ledgerNotes];
    return c.json({ ok: true, dry_run: result.config.dryRun, ...(notes.length > 0 ? { notes } : {}) });
  },
);
