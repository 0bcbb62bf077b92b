// One valid delivery, then exactly one thing changed per test (the reference library's test style).
import { Webhook } from "standardwebhooks";
import { describe, expect, it, vi } from "vitest";
import { toBase64, utf8 } from "../../src/crypto/bytes";
import { type Delivery, MAX_SIGNATURES, type VerifyContext } from "../../src/sources/source";
import { signStandardDelivery, verifyStandardDelivery } from "../../src/sources/standard";

// Known-answer vector from standard-webhooks libraries/javascript/src/webhook.test.ts ("sign function works").
const KAT = {
  secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
};
const OTHER_SECRET = `whsec_${toBase64(utf8("another secret entirely, 32 bytes"))}`;

function delivery(headers: Record<string, string>, body = KAT.body): Delivery {
  return { method: "POST", headers: new Headers(headers), body: utf8(body) };
}
function validHeaders(): Record<string, string> {
  return { "webhook-id": KAT.id, "webhook-timestamp": String(KAT.timestamp), "webhook-signature": KAT.signature };
}
function context(overrides: Partial<VerifyContext> = {}): VerifyContext {
  return { secrets: [KAT.secret], now: KAT.timestamp * 1000, toleranceSeconds: 300, ...overrides };
}

describe("signStandardDelivery", () => {
  it("reproduces the reference library's known-answer vector", async () => {
    expect(await signStandardDelivery(KAT.secret, KAT.id, KAT.timestamp, KAT.body)).toBe(KAT.signature);
  });
});

describe("verifyStandardDelivery", () => {
  it("accepts the known-answer delivery", async () => {
    expect(await verifyStandardDelivery(delivery(validHeaders()), context())).toEqual({ ok: true, deliveryId: KAT.id });
  });

  it(`refuses a header listing more than ${MAX_SIGNATURES} signatures before computing any MAC`, async () => {
    const wrong = Array.from({ length: 8000 }, () => "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=").join(" ");
    const headers = { ...validHeaders(), "webhook-signature": `${wrong} ${KAT.signature}` };
    const verify = vi.spyOn(crypto.subtle, "verify");
    try {
      expect(await verifyStandardDelivery(delivery(headers), context())).toEqual({
        ok: false,
        reason: "malformed_header",
        header: "webhook-signature",
      });
      expect(verify).not.toHaveBeenCalled();
    } finally {
      verify.mockRestore();
    }
    // A rotation's handful of signatures is still fine.
    const few = { ...validHeaders(), "webhook-signature": `v1,AAAA v1,BBBB ${KAT.signature}` };
    expect(await verifyStandardDelivery(delivery(few), context())).toEqual({ ok: true, deliveryId: KAT.id });
  });

  it("accepts a secret without the whsec_ prefix", async () => {
    const result = await verifyStandardDelivery(delivery(validHeaders()), context({ secrets: [KAT.secret.slice(6)] }));
    expect(result.ok).toBe(true);
  });

  it.each(["webhook-id", "webhook-timestamp", "webhook-signature"])("refuses a delivery without %s", async (header) => {
    const headers = validHeaders();
    delete headers[header];
    expect(await verifyStandardDelivery(delivery(headers), context())).toEqual({ ok: false, reason: "missing_header", header });
  });

  it("refuses a non-numeric timestamp", async () => {
    const result = await verifyStandardDelivery(delivery({ ...validHeaders(), "webhook-timestamp": "hello" }), context());
    expect(result).toMatchObject({ ok: false, reason: "malformed_header" });
  });

  it("refuses the wrong secret", async () => {
    const result = await verifyStandardDelivery(delivery(validHeaders()), context({ secrets: [OTHER_SECRET] }));
    expect(result).toEqual({ ok: false, reason: "signature_mismatch" });
  });

  it.each([
    ["truncated", KAT.signature.slice(0, 20)],
    ["empty v1", "v1,"],
    ["not base64", "v1,!!!not-base64!!!"],
    ["another version", KAT.signature.replace("v1,", "v2,")],
    ["no comma", "v1"],
  ])("refuses a %s signature without throwing", async (_case, signature) => {
    const result = await verifyStandardDelivery(delivery({ ...validHeaders(), "webhook-signature": signature }), context());
    expect(result).toEqual({ ok: false, reason: "signature_mismatch" });
  });

  it("refuses a body changed by one byte", async () => {
    const result = await verifyStandardDelivery(delivery(validHeaders(), KAT.body.replace("4}", "5}")), context());
    expect(result).toEqual({ ok: false, reason: "signature_mismatch" });
  });

  it("refuses a stale timestamp", async () => {
    const result = await verifyStandardDelivery(delivery(validHeaders()), context({ now: (KAT.timestamp + 301) * 1000 }));
    expect(result).toEqual({ ok: false, reason: "stale_timestamp", skew_seconds: 301 });
  });

  it("refuses a timestamp from the future", async () => {
    const result = await verifyStandardDelivery(delivery(validHeaders()), context({ now: (KAT.timestamp - 301) * 1000 }));
    expect(result).toEqual({ ok: false, reason: "future_timestamp", skew_seconds: -301 });
  });

  it("accepts at the edge of the tolerance", async () => {
    const result = await verifyStandardDelivery(delivery(validHeaders()), context({ now: (KAT.timestamp + 300) * 1000 }));
    expect(result.ok).toBe(true);
  });

  it("accepts either secret of a rotation list", async () => {
    const result = await verifyStandardDelivery(delivery(validHeaders()), context({ secrets: [OTHER_SECRET, KAT.secret] }));
    expect(result.ok).toBe(true);
  });

  it("accepts when one of several listed signatures matches", async () => {
    const signature = `v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v2,abc ${KAT.signature}`;
    const result = await verifyStandardDelivery(delivery({ ...validHeaders(), "webhook-signature": signature }), context());
    expect(result.ok).toBe(true);
  });
});

describe("compatibility with the standardwebhooks package", () => {
  it("verifies what the official library signs", async () => {
    const now = Date.now();
    const body = JSON.stringify({ type: "user.deprovisioned", data: { email: "a@example.com" } });
    const signature = new Webhook(KAT.secret).sign("msg_compat", new Date(now), body);
    const headers = { "webhook-id": "msg_compat", "webhook-timestamp": String(Math.floor(now / 1000)), "webhook-signature": signature };
    expect((await verifyStandardDelivery(delivery(headers, body), context({ now }))).ok).toBe(true);
  });

  it("signs what the official library verifies", async () => {
    const now = Math.floor(Date.now() / 1000);
    const body = JSON.stringify({ type: "user.deprovisioned", data: { email: "b@example.com" } });
    const signature = await signStandardDelivery(KAT.secret, "msg_ours", now, body);
    const headers = { "webhook-id": "msg_ours", "webhook-timestamp": String(now), "webhook-signature": signature };
    expect(new Webhook(KAT.secret).verify(body, headers)).toEqual(JSON.parse(body));
  });
});
