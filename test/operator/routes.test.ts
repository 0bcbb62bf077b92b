import { describe, expect, it } from "vitest";
import { keyedFingerprint } from "../../src/crypto/hmac";
import { TEST_OPERATOR_TOKEN_NEXT } from "../helpers/bindings";
import { apiError, envelope, useFakeCloudflare } from "../helpers/fake-cloudflare";
import { waitFor } from "../helpers/wait";
import {
  fastForwardLedger,
  ledgerStub,
  operatorFetch,
  revocationTotal,
  settleLedger,
  uniqueEmail,
  waitForIdleLedger,
  workerFetch,
} from "../helpers/worker";

type RevocationRecord = {
  id: string;
  status: string;
  email: string;
  source: string;
  devices: boolean;
  warp_session_reauth: boolean;
  duplicate?: boolean;
};
type ErrorBody = { error: { code: string; message: string } };

const fake = useFakeCloudflare(settleLedger);

function revoke(body: unknown, headers: Record<string, string> = {}) {
  return operatorFetch("/v1/revocations", { method: "POST", body: JSON.stringify(body), headers });
}

describe("operator authentication", () => {
  it.each([
    ["no header", {}],
    ["a wrong token", { Authorization: "Bearer nope" }],
    ["a Basic scheme", { Authorization: "Basic b3BlcmF0b3ItdGVzdC10b2tlbg==" }],
    ["an empty bearer", { Authorization: "Bearer " }],
  ])("answers 401 to %s", async (_case, headers) => {
    const response = await workerFetch("/v1/revocations", { headers });
    expect(response.status).toBe(401);
    expect(response.headers.get("WWW-Authenticate")).toContain("Bearer");
    expect(((await response.json()) as ErrorBody).error.code).toBe("unauthorized");
  });

  it("never revokes without a valid token", async () => {
    const email = uniqueEmail("unauthorised");
    const response = await workerFetch("/v1/revocations", {
      method: "POST",
      headers: { Authorization: "Bearer wrong", "Content-Type": "application/json" },
      body: JSON.stringify({ email }),
    });
    expect(response.status).toBe(401);
    const listed = (await (await operatorFetch(`/v1/revocations?email=${email}`)).json()) as { records: unknown[] };
    expect(listed.records).toEqual([]);
  });

  it("accepts the second token of the rotation list", async () => {
    const response = await operatorFetch("/v1/stats", {}, TEST_OPERATOR_TOKEN_NEXT);
    expect(response.status).toBe(200);
  });
});

describe("POST /v1/revocations", () => {
  it("waits for the outcome and answers 200 with the revoked record", async () => {
    const email = uniqueEmail("Operator").toUpperCase();
    const response = await revoke({ email, reason: "left the company", devices: false, warp_session_reauth: true });
    expect(response.status).toBe(200);
    const record = (await response.json()) as RevocationRecord;
    expect(record).toMatchObject({ status: "revoked", email: email.toLowerCase(), source: "operator", devices: false, warp_session_reauth: true });
    const calls = fake().callsFor(email.toLowerCase());
    expect(calls).toHaveLength(2);
    expect(calls[0]!.devices).toBe("false");
    expect(calls[0]!.body).toEqual({ email: email.toLowerCase(), warp_session_reauth: true });
  });

  it("makes no seat or verification call when REMOVE_SEATS is false and VERIFY_AFTER_SECONDS is 0 (this project's settings)", async () => {
    const email = uniqueEmail("no-follow-ups");
    const record = (await (await revoke({ email })).json()) as RevocationRecord & { results: { seat: unknown; verification: unknown }[] };
    expect(record.status).toBe("revoked");
    // Well past any verification delay, after a drain that provably looked: still only the two revoke_user calls.
    await fastForwardLedger(10 * 60_000);
    await waitForIdleLedger();
    expect(
      fake()
        .requests.filter((request) => JSON.stringify(request).includes(email) || !request.path.endsWith("/revoke_user"))
        .map((request) => request.path),
    ).toEqual([expect.stringMatching(/\/revoke_user$/), expect.stringMatching(/\/revoke_user$/)]);
    const shown = (await (await operatorFetch(`/v1/revocations/${record.id}`)).json()) as { results: { seat: unknown; verification: unknown }[] };
    expect(shown.results.map((result) => [result.seat, result.verification])).toEqual([
      [null, null],
      [null, null],
    ]);
  });

  it("shows time to revoke on the record and in /v1/stats, matching what the API saw", async () => {
    const email = uniqueEmail("ttr");
    const record = (await (await revoke({ email })).json()) as RevocationRecord & { received_at: string; time_to_revoke_ms: number; lane: string };
    expect(record).toMatchObject({ status: "revoked", lane: "urgent", time_to_revoke_ms: expect.any(Number) });
    // The last call reached the fake API at most the answer's processing before the record settled.
    const lastCall = Math.max(
      ...fake()
        .callsFor(email)
        .map((call) => call.at),
    );
    const seenAtApi = lastCall - Date.parse(record.received_at);
    expect(record.time_to_revoke_ms).toBeGreaterThanOrEqual(seenAtApi);
    expect(record.time_to_revoke_ms - seenAtApi).toBeLessThan(500);
    const stats = (await (await operatorFetch("/v1/stats")).json()) as {
      waiting_by_lane: Record<string, number>;
      time_to_revoke: Record<string, { last_hour: { count: number; max_ms: number }; since_start: { count: number } }>;
    };
    expect(stats.waiting_by_lane).toEqual({ urgent: expect.any(Number), bulk: expect.any(Number), follow_up: expect.any(Number) });
    expect(stats.time_to_revoke.urgent!.last_hour.count).toBeGreaterThan(0);
    expect(stats.time_to_revoke.urgent!.last_hour.max_ms).toBeGreaterThanOrEqual(record.time_to_revoke_ms);
  });

  it("answers 202 with the queued record when the outcome takes longer than the wait", async () => {
    fake().setAnswer(() => apiError(503, 0, "unavailable"));
    const response = await revoke({ email: uniqueEmail("slow") });
    expect(response.status).toBe(202);
    expect(((await response.json()) as RevocationRecord).status).toBe("queued");
  }, 20_000);

  it("treats a repeated Idempotency-Key as the same revocation", async () => {
    const email = uniqueEmail("idempotent");
    const first = (await (await revoke({ email }, { "Idempotency-Key": `ticket-42-${email}` })).json()) as RevocationRecord;
    const again = await revoke({ email }, { "Idempotency-Key": `ticket-42-${email}` });
    expect((await again.json()) as RevocationRecord).toMatchObject({ id: first.id, duplicate: true });
    expect(fake().callsFor(email)).toHaveLength(2);
  });

  it("answers 409 idempotency_conflict when a used Idempotency-Key comes with a different request, and revokes no one new", async () => {
    const [first, second] = [uniqueEmail("idem-first"), uniqueEmail("idem-second")];
    const key = `ticket-${crypto.randomUUID()}`;
    const original = (await (await revoke({ email: first }, { "Idempotency-Key": key })).json()) as RevocationRecord;
    for (const body of [{ email: second }, { email: first, reason: "another reason" }, { email: first, devices: false }]) {
      const response = await revoke(body, { "Idempotency-Key": key });
      expect(response.status).toBe(409);
      const error = ((await response.json()) as { error: { code: string; message: string; used_for: unknown } }).error;
      expect(error).toMatchObject({ code: "idempotency_conflict", used_for: { id: original.id, email: first } });
      expect(error.message).toContain(first);
    }
    // The ledger holds no record for the second person (the commit is synchronous, so "none" is final here).
    expect(((await (await operatorFetch(`/v1/revocations?email=${second}`)).json()) as { records: unknown[] }).records).toEqual([]);
  });

  it.each([
    ["malformed JSON", "{", "malformed_json"],
    ["no email", JSON.stringify({}), "invalid_request"],
    ["a bad email", JSON.stringify({ email: "x" }), "invalid_request"],
    ["an unknown field", JSON.stringify({ email: "a@example.com", everyone: true }), "invalid_request"],
    ["devices as a string", JSON.stringify({ email: "a@example.com", devices: "yes" }), "invalid_request"],
  ])("answers 400 to %s", async (_case, body, code) => {
    const before = await revocationTotal();
    const response = await operatorFetch("/v1/revocations", { method: "POST", body });
    expect(response.status).toBe(400);
    expect(((await response.json()) as ErrorBody).error.code).toBe(code);
    expect(await revocationTotal()).toBe(before);
  });
});

describe("reading revocations", () => {
  it("lists newest first, filters by email and status, and pages with a cursor", async () => {
    const email = uniqueEmail("listed");
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(((await (await revoke({ email, reason: `#${i}` })).json()) as RevocationRecord).id);
    const first = (await (await operatorFetch(`/v1/revocations?email=${email}&limit=2`)).json()) as {
      records: RevocationRecord[];
      cursor: string | null;
    };
    expect(first.records.map((r) => r.id)).toEqual([ids[2], ids[1]]);
    expect(first.cursor).not.toBeNull();
    const second = (await (await operatorFetch(`/v1/revocations?email=${email}&limit=2&cursor=${first.cursor}`)).json()) as {
      records: RevocationRecord[];
      cursor: string | null;
    };
    expect(second.records.map((r) => r.id)).toEqual([ids[0]]);
    expect(second.cursor).toBeNull();
    const revoked = (await (await operatorFetch(`/v1/revocations?status=revoked&limit=100`)).json()) as { records: RevocationRecord[] };
    expect(revoked.records.length).toBeGreaterThan(0);
    expect(revoked.records.filter((r) => r.status !== "revoked")).toEqual([]);
  });

  it.each([["status=nope"], ["limit=0"], ["limit=1000"], ["cursor=abc"], ["email=not-an-email"]])("answers 400 to ?%s", async (query) => {
    const response = await operatorFetch(`/v1/revocations?${query}`);
    expect(response.status).toBe(400);
  });

  it("answers 404 for an unknown or malformed id", async () => {
    for (const id of ["rev_00000000000000000000000000000000", "nope"]) {
      const response = await operatorFetch(`/v1/revocations/${id}`);
      expect(response.status).toBe(404);
      expect(((await response.json()) as ErrorBody).error.code).toBe("not_found");
    }
  });

  it("lists the audit trail for an email from KV", async () => {
    const email = uniqueEmail("audited");
    const record = (await (await revoke({ email })).json()) as RevocationRecord;
    const listing = (await (await operatorFetch(`/v1/audit?email=${email}`)).json()) as { entries: { id: string; status: string }[] };
    expect(listing.entries).toEqual([expect.objectContaining({ id: record.id, status: "revoked", kind: "outcome" })]);
  });
});

describe("POST /v1/revocations/{id}/retry", () => {
  it("re-queues a failed revocation and it completes", async () => {
    fake().setAnswer(() => apiError(400, 12000, "bad"));
    const email = uniqueEmail("retry");
    const failed = (await (await revoke({ email })).json()) as RevocationRecord;
    expect(failed.status).toBe("failed");
    fake().setAnswer(() => envelope(true));
    const retried = await operatorFetch(`/v1/revocations/${failed.id}/retry`, { method: "POST" });
    expect(retried.status).toBe(202);
    await waitForIdleLedger();
    const record = (await (await operatorFetch(`/v1/revocations/${failed.id}`)).json()) as RevocationRecord;
    expect(record.status).toBe("revoked");
  });

  // Regression (issue #19): a retry, which also lifts every token hold, left no trace in the audit log, while
  // lifting one hold did.
  it("is written to the audit log as an operator action, with the keyed fingerprint of the token that asked", async () => {
    fake().setAnswer(() => apiError(400, 12000, "bad"));
    const failed = (await (await revoke({ email: uniqueEmail("retry-audited") })).json()) as RevocationRecord;
    fake().setAnswer(() => envelope(true));
    const from = new Date(Date.now() - 60_000).toISOString();
    const retried = await operatorFetch(`/v1/revocations/${failed.id}/retry`, { method: "POST" }, TEST_OPERATOR_TOKEN_NEXT);
    expect(retried.status).toBe(202);
    const action = await waitFor(async () => {
      const listed = (await (await operatorFetch("/v1/audit?actions=true")).json()) as { entries: { status: string; id: string; key: string }[] };
      return listed.entries.find((entry) => entry.status === "revocation_retried" && entry.id === failed.id);
    });
    const exported = (await (await operatorFetch(`/v1/audit/export?kind=actions&from=${from}&to=2100-01-01T00:00:00Z`)).text())
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { key: string });
    const entry = exported.find((line) => line.key === action.key);
    // AUDIT_FINGERPRINT_KEY is unset here: keyed with the ledger's own key (operator/token-fingerprint.ts).
    const fingerprint = await keyedFingerprint(await ledgerStub().fingerprintKey(), TEST_OPERATOR_TOKEN_NEXT, 16);
    expect(entry).toMatchObject({ kind: "action", action: "revocation_retried", target: failed.id, token_fingerprint: fingerprint });
    expect(JSON.stringify(entry)).not.toContain(TEST_OPERATOR_TOKEN_NEXT);
  });

  it("answers 409 for a revocation that is not failed and 404 for an unknown one", async () => {
    const done = (await (await revoke({ email: uniqueEmail("done") })).json()) as RevocationRecord;
    const conflict = await operatorFetch(`/v1/revocations/${done.id}/retry`, { method: "POST" });
    expect(conflict.status).toBe(409);
    expect(((await conflict.json()) as ErrorBody).error.code).toBe("not_retryable");
    const unknown = await operatorFetch(`/v1/revocations/rev_00000000000000000000000000000000/retry`, { method: "POST" });
    expect(unknown.status).toBe(404);
  });
});

describe("health and unknown routes", () => {
  it("GET /healthz answers ok with the dry-run flag", async () => {
    const response = await workerFetch("/healthz");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true, dry_run: false });
  });

  it("answers 404 in the JSON error shape for an unknown route", async () => {
    const response = await workerFetch("/nope");
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: { code: "not_found", message: "no such route" } });
  });
});

describe("alerts off (no ALERT_WEBHOOK_URL)", () => {
  it("POST /v1/alerts/test answers 409 alerts_off, and /v1/stats says alerts go nowhere", async () => {
    const response = await operatorFetch("/v1/alerts/test", { method: "POST" });
    expect(response.status).toBe(409);
    expect(await response.json()).toEqual({
      error: { code: "alerts_off", message: "ALERT_WEBHOOK_URL is not set: there is nowhere to send alerts" },
    });
    const stats = (await (await operatorFetch("/v1/stats")).json()) as { alerts: unknown };
    expect(stats.alerts).toMatchObject({ destination: null, signed: false, pending: 0, sent: 0 });
  });
});
