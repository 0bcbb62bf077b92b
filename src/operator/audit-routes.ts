// /v1/audit: the KV trail. The listing answers key summaries (metadata only, one KV operation a page);
// the export answers full entries between two instants as NDJSON or CSV (audit/export.ts), by kind or, as
// `kind=chain`, every entry of a run of the audit chain in seq order, after a first line that says which run
// (domain/audit-chain.ts has the rules an auditor checks it by); /v1/audit/chain answers the ledger's own
// hashes, which an export is checked against (`audit verify --worker`).
import { Hono } from "hono";
import * as z from "zod/mini";
import { type AuditKind, listAuditTrail } from "../audit/audit-log";
import { chainEntries, type ExportPage, exportAudit, exportCsv, exportNdjson } from "../audit/export";
import type { AppEnv } from "../context";
import { genesisHash } from "../domain/audit-chain";
import { EmailSchema } from "../domain/validation";
import { AuditChainPageSchema } from "../domain/views";
import { fail } from "../http/errors";
import { onLedger } from "../http/ledger";
import { apiDoc } from "../http/openapi";
import { validate } from "../http/validate";
import { instantParam, limitParam } from "./query";

const AuditQuerySchema = z.strictObject({
  email: z.optional(EmailSchema),
  rejected: z.optional(z.enum(["true", "false"])),
  actions: z.optional(z.enum(["true", "false"])),
  connections: z.optional(z.enum(["true", "false"])),
  sweeps: z.optional(z.enum(["true", "false"])),
  limit: limitParam(100, 1000),
  cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(2000))),
});

/** The listing's flags, each naming the one kind of entry it lists (audit-log.ts AUDIT_PREFIXES). */
const LISTED_KINDS = ["rejected", "actions", "connections", "sweeps"] as const satisfies readonly AuditKind[];

const ExportQuerySchema = z.strictObject({
  from: instantParam,
  to: z.optional(instantParam),
  format: z._default(z.enum(["ndjson", "csv"]), "ndjson"),
  kind: z._default(z.enum(["outcomes", "rejected", "actions", "chain", "connections", "sweeps"]), "outcomes"),
  limit: limitParam(500, 1000),
  cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(2000))),
});

/** A chain export's cursor: the last seq answered and the seq the export ends at (fixed by its first page). */
const CHAIN_CURSOR = /^(\d{1,15})\.(\d{1,15})$/;

const ChainQuerySchema = z.strictObject({
  after: z._default(z.coerce.number().check(z.int(), z.minimum(0)), 0),
  limit: limitParam(1000, 5000),
});

const AuditListingSchema = z.object({
  entries: z.array(
    z.looseObject({
      key: z.string(),
      kind: z.enum(["outcome", "outcome_batch", "rejected", "action", "connection", "sweep"]),
      at: z.string(),
      source: z.string(),
      status: z.string(),
    }),
  ),
  cursor: z.nullable(z.string()),
});

export const auditRoutes = new Hono<AppEnv>();

auditRoutes.get(
  "/",
  apiDoc({
    summary: "The audit trail's entries, newest first (summaries)",
    description:
      "Outcomes (all, or `email=` for one person), `rejected=true` for refused deliveries per hour, `actions=true` for operator actions, `connections=true` for changes of managed connections, `sweeps=true` for finished reconciliation sweeps.",
    tag: "audit",
    ok: { 200: { description: "one page", schema: AuditListingSchema } },
  }),
  validate("query", AuditQuerySchema),
  async function listAudit(c) {
    const query = c.req.valid("query");
    const kinds = LISTED_KINDS.filter((kind) => query[kind] === "true");
    if (query.email && kinds.length > 0)
      fail("invalid_request", "email= lists outcomes; it cannot be combined with rejected=, actions=, connections= or sweeps=");
    if (kinds.length > 1) fail("invalid_request", "rejected=, actions=, connections= and sweeps= each list one kind of entry: use one");
    return c.json(await listAuditTrail(c.env.AUDIT_LOG, { email: query.email, kind: kinds[0], limit: query.limit, cursor: query.cursor }));
  },
);

auditRoutes.get(
  "/export",
  apiDoc({
    summary: "Export full audit entries between two instants",
    description:
      "NDJSON: one KV entry per line with its key. CSV: one row per outcome (a bulk batch entry gives one row per person). One request reads up to `limit` keys; `X-Next-Cursor` carries on.",
    tag: "audit",
    ok: {
      200: {
        description: "the entries",
        mediaType: "application/x-ndjson",
        headers: {
          "X-Next-Cursor": { description: "present when there are more entries in the range: pass it as `cursor`", schema: { type: "string" } },
        },
      },
    },
  }),
  validate("query", ExportQuerySchema),
  async function exportTrail(c) {
    const query = c.req.valid("query");
    const to = query.to ?? Date.now();
    if (to < query.from) fail("invalid_request", "to is before from");
    const page =
      query.kind === "chain"
        ? await exportChain(c.env, { from: query.from, to, limit: query.limit, cursor: query.cursor })
        : await exportAudit(c.env.AUDIT_LOG, { kind: query.kind, from: query.from, to, limit: query.limit, cursor: query.cursor });
    if (page.cursor) c.header("X-Next-Cursor", page.cursor);
    c.header("Cache-Control", "no-store");
    if (query.format === "csv") {
      c.header("Content-Type", "text/csv; charset=utf-8");
      return c.body(exportCsv(page.entries, query.cursor === undefined));
    }
    c.header("Content-Type", "application/x-ndjson");
    return c.body(`${"header" in page && page.header ? `${JSON.stringify(page.header)}\n` : ""}${exportNdjson(page.entries)}`);
  },
);

/**
 * One page of a chain export. The first page (no cursor) asks the ledger which run of the chain the period
 * covers and opens with a line saying so: {"audit_chain": {chain_id, from_seq, to_seq, prev_hash, head,
 * exported_at}} (prev_hash: what from_seq links to; the genesis hash when it is the chain's first entry).
 * Every page reads up to `limit` of the run's keys from the ledger and their values from KV.
 */
async function exportChain(
  env: Env,
  request: { from: number; to: number; limit: number; cursor?: string },
): Promise<ExportPage & { header?: unknown }> {
  let after: number;
  let toSeq: number;
  let header: unknown;
  if (request.cursor !== undefined) {
    const match = CHAIN_CURSOR.exec(request.cursor);
    if (!match) fail("invalid_request", "not a cursor from a previous page of this export");
    after = Number(match[1]);
    toSeq = Number(match[2]);
  } else {
    const { chain, segment } = await onLedger(env, (ledger) => ledger.auditChain().segment({ from: request.from, to: request.to }));
    const empty = segment === null;
    after = empty ? 0 : segment.from_seq - 1;
    toSeq = empty ? 0 : segment.to_seq;
    header = {
      audit_chain: {
        chain_id: chain.chain_id,
        from_seq: empty ? null : segment.from_seq,
        to_seq: empty ? null : segment.to_seq,
        prev_hash: empty ? null : (segment.prev_hash ?? (await genesisHash(chain.chain_id))),
        head: chain.head,
        exported_at: new Date().toISOString(),
      },
    };
  }
  const rows = toSeq > after ? await onLedger(env, (ledger) => ledger.auditChain().rows(after, toSeq, request.limit)) : [];
  const entries = await chainEntries(
    env.AUDIT_LOG,
    rows.map((row) => row.key),
  );
  const last = rows.at(-1)?.seq ?? toSeq;
  return { entries, cursor: last < toSeq ? `${last}.${toSeq}` : null, header };
}

auditRoutes.get(
  "/chain",
  apiDoc({
    summary: "The ledger's own record of the audit chain",
    description:
      "Each entry's seq, key and hash as the ledger sealed it, after `after`, with the chain's id and head: what an export is checked against (`npm run cli -- audit verify <file> --worker`).",
    tag: "audit",
    ok: { 200: { description: "one page", schema: AuditChainPageSchema } },
  }),
  validate("query", ChainQuerySchema),
  async function readChain(c) {
    const { after, limit } = c.req.valid("query");
    const chain = await onLedger(c.env, (ledger) => ledger.auditChain().view());
    const head = chain.head?.seq ?? 0;
    const entries = after < head ? await onLedger(c.env, (ledger) => ledger.auditChain().rows(after, head, limit)) : [];
    const last = entries.at(-1)?.seq;
    return c.json({ chain_id: chain.chain_id, head: chain.head, entries, cursor: last !== undefined && last < head ? String(last) : null });
  },
);
