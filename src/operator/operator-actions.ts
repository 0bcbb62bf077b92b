// An operator's change to how revocations run (a hold lifted, failures re-driven, a return acknowledged, a
// sweep started), written to the audit log with the keyed fingerprint of the operator token that made it
// (token-fingerprint.ts), never the token. The entry is appended to the ledger's audit chain, which gives
// it its place (seq, prev_hash, hash) and writes its KV copy: no Worker route writes KV itself.
// Contract: called once the change is made; the append runs in waitUntil, so the answer never waits for
// it, and one that fails is logged, never turned into a failed answer.
import type { Context } from "hono";
import { type OperatorAction, operatorActionEntry } from "../audit/audit-log";
import type { AppEnv } from "../context";
import { bearerToken } from "../http/bearer-auth";
import { ledgerFor } from "../ledger/client";
import { logEvent } from "../log";
import { operatorTokenFingerprint } from "./token-fingerprint";

export function auditOperatorAction(c: Context<AppEnv>, action: Omit<OperatorAction, "token_fingerprint">): void {
  const token = bearerToken(c.req.header("Authorization")) ?? "";
  const config = c.get("config");
  const now = Date.now();
  // The key its fingerprint needs may take a ledger call: the change stands whatever happens next.
  const written = operatorTokenFingerprint(c.env, config, token).then((fingerprint) =>
    ledgerFor(c.env).appendAudit([operatorActionEntry({ ...action, token_fingerprint: fingerprint }, now)]),
  );
  c.executionCtx.waitUntil(written.catch((error: unknown) => logEvent("audit.write_failed", { kind: "action", error: String(error) })));
}
