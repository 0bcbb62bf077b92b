// An operator's change to how revocations run (a hold lifted, failures re-driven), written to the audit log
// with the keyed fingerprint of the operator token that made it (token-fingerprint.ts), never the token.
// Contract: called once the change is made; the entry is written in waitUntil, so the answer never waits for
// KV, and a write that fails is logged, never turned into a failed answer.
import type { Context } from "hono";
import { type OperatorAction, recordOperatorAction } from "../audit/audit-log";
import type { AppEnv } from "../context";
import { bearerToken } from "../http/bearer-auth";
import { logEvent } from "../log";
import { operatorTokenFingerprint } from "./token-fingerprint";

export function auditOperatorAction(c: Context<AppEnv>, action: Omit<OperatorAction, "token_fingerprint">): void {
  const token = bearerToken(c.req.header("Authorization")) ?? "";
  const config = c.get("config");
  const now = Date.now();
  // The key its fingerprint needs may take a ledger call: the change stands whatever happens next.
  const written = operatorTokenFingerprint(c.env, config, token).then((fingerprint) =>
    recordOperatorAction(c.env.AUDIT_LOG, { ...action, token_fingerprint: fingerprint }, { retentionDays: config.auditRetentionDays, now }),
  );
  c.executionCtx.waitUntil(written.catch((error: unknown) => logEvent("audit.write_failed", { kind: "action", error: String(error) })));
}
