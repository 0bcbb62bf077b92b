// One failure model per surface: whatever goes wrong, /webhooks and /v1 answer {"error": …} and SCIM
// answers the RFC 7644 error body; a Durable Object that fails answers 503 ledger_unavailable on every
// route that needs it. The ledger binding is replaced by one whose every call fails (or misbehaves).
import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { app } from "../../src/app";
import { TEST_OPERATOR_TOKEN, TEST_SCIM_TOKEN } from "../helpers/bindings";
import { deprovisioned, signedStandardDelivery } from "../helpers/worker";

/**
 * A stub whose every method answers `behaviour()`; what a method answers is itself such a stub, so
 * `ledger.scim().get(…)` (a method that hands out an RPC target) works too.
 */
function stubAnswering(behaviour: () => Promise<unknown>, answer?: Promise<unknown>): unknown {
  return new Proxy(() => {}, {
    get: (_target, property) => {
      if (property === "then" && answer) return answer.then.bind(answer);
      if (property === "then") return undefined;
      return () => {
        const next = behaviour();
        next.catch(() => {}); // the route awaits it (or not, for a method that hands out a target)
        return stubAnswering(behaviour, next);
      };
    },
  });
}

function envWithLedger(behaviour: () => Promise<unknown>): Env {
  const namespace = { idFromName: () => ({}), get: () => stubAnswering(behaviour) };
  return { ...env, LEDGER: namespace } as unknown as Env;
}

const unavailable = envWithLedger(() => Promise.reject(new Error("Durable Object reset because its code was updated")));

const operator = { Authorization: `Bearer ${TEST_OPERATOR_TOKEN}`, "Content-Type": "application/json" };
const scim = { Authorization: `Bearer ${TEST_SCIM_TOKEN}`, "Content-Type": "application/scim+json" };
const REV = `rev_${"0".repeat(32)}`;

async function send(target: Env, method: string, path: string, headers: Record<string, string> = {}, body?: string) {
  return app.request(`https://revoker.test${path}`, { method, headers, body }, target, createExecutionContext());
}

describe("a failing Durable Object", () => {
  it("answers 503 ledger_unavailable to a signed webhook delivery (the sender retries)", async () => {
    const delivery = await signedStandardDelivery(deprovisioned("someone@example.com"));
    const response = await send(unavailable, "POST", "/webhooks/standard", delivery.headers, delivery.body);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ error: { code: "ledger_unavailable", message: expect.stringContaining("retry") } });
  });

  it.each([
    ["POST", "/v1/revocations", JSON.stringify({ email: "a@example.com" })],
    ["GET", "/v1/revocations", undefined],
    ["GET", `/v1/revocations/${REV}`, undefined],
    ["POST", `/v1/revocations/${REV}/retry`, undefined],
    ["GET", "/v1/stats", undefined],
    ["POST", "/v1/revocations/bulk", "a@example.com\nb@example.com"],
    ["GET", "/v1/jobs/job_x", undefined],
    ["PUT", "/v1/directory/okta/00u1", JSON.stringify({ email: "a@example.com" })],
    ["GET", "/v1/directory/okta/00u1", undefined],
    ["DELETE", "/v1/directory/okta/00u1", undefined],
    ["POST", "/v1/directory/okta/import", "subject_id,email\n00u1,a@example.com"],
  ])("answers 503 ledger_unavailable to %s %s", async (method, path, body) => {
    const response = await send(unavailable, method, path, operator, body);
    expect(response.status).toBe(503);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("ledger_unavailable");
  });

  it.each([
    ["GET", "/scim/v2/Users", undefined],
    ["POST", "/scim/v2/Users", JSON.stringify({ userName: "a@example.com" })],
    ["GET", "/scim/v2/Users/1", undefined],
    ["PUT", "/scim/v2/Users/1", JSON.stringify({ userName: "a@example.com" })],
    ["PATCH", "/scim/v2/Users/1", JSON.stringify({ Operations: [{ op: "replace", path: "active", value: false }] })],
    ["DELETE", "/scim/v2/Groups/1", undefined],
  ])("answers SCIM %s %s with 503 in the SCIM error shape", async (method, path, body) => {
    const response = await send(unavailable, method, path, scim, body);
    expect(response.status).toBe(503);
    expect(response.headers.get("Content-Type")).toContain("application/scim+json");
    expect(await response.json()).toEqual({ schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"], status: "503", detail: expect.any(String) });
  });
});

describe("an unexpected error", () => {
  // The ledger answers something no route expects: the route throws, and its surface still answers in shape.
  const garbled = envWithLedger(() => Promise.resolve({ ok: true, value: "{not json" }));

  it("is a SCIM 500 in the SCIM error shape", async () => {
    const response = await send(garbled, "GET", "/scim/v2/Users/1", scim);
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"], status: "500", detail: "internal error" });
  });

  it("is a JSON 500 on /v1, never a stack trace", async () => {
    const response = await send(garbled, "GET", "/v1/stats", operator);
    expect(response.status).toBe(200); // stats pass through whatever the ledger answers
    const broken = await send(
      envWithLedger(() => Promise.resolve(null)),
      "POST",
      "/v1/revocations",
      operator,
      JSON.stringify({ email: "a@example.com" }),
    );
    expect(broken.status).toBe(500);
    expect(await broken.json()).toEqual({ error: { code: "internal_error", message: "internal error" } });
  });
});
