// One HTTP surface (issue #13): what a new user tripped over, each answered the same way everywhere.
// A wrong method is 405 with Allow on every surface; a trailing slash is ignored; an unknown query
// parameter on /v1 is a 400 naming it; /v1/stats speaks ISO 8601; a source that is off says which secret
// turns it on; directory sources are known ones; an upload whose line breaks were lost says why.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { app } from "../../src/app";
import { TEST_SCIM_TOKEN } from "../helpers/bindings";
import { useFakeCloudflare } from "../helpers/fake-cloudflare";
import { deprovisioned, operatorFetch, revocationTotal, settleLedger, signedStandardDelivery, uniqueEmail, workerFetch } from "../helpers/worker";

useFakeCloudflare(settleLedger);

type ErrorBody = { error: { code: string; message: string } };

describe("a wrong method", () => {
  it.each([
    ["PUT", "/v1/revocations", "GET, POST, HEAD"],
    ["DELETE", "/v1/stats", "GET, HEAD"],
    ["GET", "/v1/revocations/bulk", "POST"],
    ["PATCH", "/v1/jobs", "GET, HEAD"],
    ["POST", "/healthz", "GET, HEAD"],
    ["PUT", "/webhooks/standard", "GET, POST, HEAD"],
  ])("%s %s answers 405 with Allow: %s", async (method, path, allow) => {
    const response = await operatorFetch(path, { method, body: method === "GET" ? undefined : "{}" });
    expect(response.status).toBe(405);
    expect(new Set(response.headers.get("Allow")?.split(", "))).toEqual(new Set(allow.split(", ")));
    expect(((await response.json()) as ErrorBody).error).toMatchObject({ code: "method_not_allowed", message: expect.stringContaining(method) });
  });

  it("answers SCIM's 405 in the RFC 7644 shape, with Allow", async () => {
    const response = await workerFetch("/scim/v2/Schemas", { method: "POST", headers: { Authorization: `Bearer ${TEST_SCIM_TOKEN}` }, body: "{}" });
    expect(response.status).toBe(405);
    expect(response.headers.get("Allow")).toBe("GET, HEAD");
    expect(await response.json()).toMatchObject({ schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"], status: "405" });
  });

  it("still answers 404 for a path no route has", async () => {
    const response = await operatorFetch("/v1/nothing-here");
    expect(response.status).toBe(404);
    expect(response.headers.get("Allow")).toBeNull();
  });
});

describe("a trailing slash", () => {
  it.each(["/healthz/", "/v1/stats/", "/v1/revocations/"])("%s is the same route", async (path) => {
    expect((await operatorFetch(path)).status).toBe(200);
  });

  it("reaches a webhook source and revokes", async () => {
    const email = uniqueEmail("slash");
    const delivery = await signedStandardDelivery(deprovisioned(email));
    const response = await workerFetch("/webhooks/standard/", { method: "POST", headers: delivery.headers, body: delivery.body });
    expect(response.status).toBe(202);
  });
});

describe("query parameters on /v1", () => {
  it("refuses a misspelled one by name instead of silently listing everything", async () => {
    const response = await operatorFetch("/v1/revocations?stauts=failed");
    expect(response.status).toBe(400);
    expect(((await response.json()) as ErrorBody).error.message).toContain("stauts");
  });

  it.each(["/v1/stats?verbose=1", "/v1/jobs?page=2", "/v1/holds?all=true"])("refuses one a route does not take: %s", async (path) => {
    const response = await operatorFetch(path);
    expect(response.status).toBe(400);
    expect(((await response.json()) as ErrorBody).error.code).toBe("invalid_request");
  });
});

describe("/v1/stats times", () => {
  it("are ISO 8601, and null for never", async () => {
    await operatorFetch("/v1/revocations", { method: "POST", body: JSON.stringify({ email: uniqueEmail("iso") }) });
    const stats = (await (await operatorFetch("/v1/stats")).json()) as { drain: Record<string, string | null> };
    expect(stats.drain.last_call_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(stats.drain).toMatchObject({ paused_until: null, seats_off_until: null, verification_off_until: null });
  });
});

describe("a webhook source that is off", () => {
  it("answers 404 naming the secret that turns it on", async () => {
    const ctx = createExecutionContext();
    const response = await app.fetch(
      new Request("https://revoker.test/webhooks/okta", { method: "POST", body: "{}" }),
      { ...env, WEBHOOK_SECRET_OKTA: "" },
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(response.status).toBe(404);
    expect(((await response.json()) as ErrorBody).error.message).toBe("the okta source is off: set WEBHOOK_SECRET_OKTA to turn it on");
  });

  it("while an unknown source stays a plain 404", async () => {
    const response = await workerFetch("/webhooks/oktaa", { method: "POST", body: "{}" });
    expect(response.status).toBe(404);
    expect(((await response.json()) as ErrorBody).error.message).toBe("unknown webhook source");
  });
});

describe("directory sources", () => {
  it("must be a source whose ids the directory holds", async () => {
    const response = await operatorFetch("/v1/directory/oktaa/00u123", { method: "PUT", body: JSON.stringify({ email: uniqueEmail("dir") }) });
    expect(response.status).toBe(400);
    expect(((await response.json()) as ErrorBody).error.message).toContain("one of standard, workos, okta");
  });
});

describe("an upload whose line breaks were lost (curl -d @file)", () => {
  it.each([
    ["CSV", "text/csv", (a: string, b: string) => `${a}${b}`],
    ["CSV with reasons", "text/csv", (a: string, b: string) => `${a},u1,left${b},u2,left`],
    ["NDJSON", "application/x-ndjson", (a: string, b: string) => `{"email":"${a}"}{"email":"${b}"}`],
  ])("%s: answers 400 pointing at --data-binary, and commits nothing", async (_case, type, joined) => {
    const before = await revocationTotal();
    const response = await operatorFetch("/v1/revocations/bulk", {
      method: "POST",
      body: joined(uniqueEmail("a"), uniqueEmail("b")),
      headers: { "Content-Type": type },
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as ErrorBody).error.message).toContain("--data-binary");
    expect(await revocationTotal()).toBe(before);
  });

  it("is the same for a directory import", async () => {
    const response = await operatorFetch("/v1/directory/okta/import", { method: "POST", body: `00u1,${uniqueEmail("a")}00u2,${uniqueEmail("b")}` });
    expect(response.status).toBe(400);
    expect(((await response.json()) as ErrorBody).error.message).toContain("--data-binary");
  });

  it("while a single record on one line is accepted", async () => {
    const response = await operatorFetch("/v1/revocations/bulk", {
      method: "POST",
      body: uniqueEmail("single"),
      headers: { "Content-Type": "text/csv" },
    });
    expect(response.status).toBe(202);
  });
});
