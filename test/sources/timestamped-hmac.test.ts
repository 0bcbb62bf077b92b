// The "t=<timestamp>,v1=<hex>" scheme of WorkOS and ZITADEL: one valid delivery, one thing changed per test.
import { describe, expect, it, vi } from "vitest";
import { utf8 } from "../../src/crypto/bytes";
import { MAX_SIGNATURES } from "../../src/sources/source";
import { signTimestampedHmac, verifyTimestampedHmac } from "../../src/sources/timestamped-hmac";

const scheme = { header: "ZITADEL-Signature", timestampUnit: "seconds" as const };
const secret = "zitadel-signing-key";
const body = '{"aggregateID":"1","event_type":"user.deactivated"}';
const t = 1_700_000_000;
const context = { secrets: [secret], now: t * 1000, toleranceSeconds: 300 };
const delivery = (header: string) => ({ method: "POST", headers: new Headers({ [scheme.header]: header }), body: utf8(body) });

describe("verifyTimestampedHmac", () => {
  it("accepts a valid header and one listing a rotation's second signature", async () => {
    const signed = await signTimestampedHmac(secret, t, body);
    expect(await verifyTimestampedHmac(scheme, delivery(signed), context)).toEqual({ ok: true, deliveryId: null });
    expect(await verifyTimestampedHmac(scheme, delivery(`${signed},v1=${"00".repeat(32)}`), context)).toMatchObject({ ok: true });
  });

  it(`refuses a header with more than ${MAX_SIGNATURES} signatures before computing any MAC`, async () => {
    const signed = await signTimestampedHmac(secret, t, body);
    const flood = `${signed},${Array.from({ length: 5000 }, () => `v1=${"ab".repeat(32)}`).join(",")}`;
    const verify = vi.spyOn(crypto.subtle, "verify");
    try {
      expect(await verifyTimestampedHmac(scheme, delivery(flood), context)).toEqual({ ok: false, reason: "malformed_header", header: scheme.header });
      expect(verify).not.toHaveBeenCalled();
    } finally {
      verify.mockRestore();
    }
  });

  it("refuses a timestamp just outside the tolerance both ways", async () => {
    for (const at of [t - 301, t + 301]) {
      const result = await verifyTimestampedHmac(scheme, delivery(await signTimestampedHmac(secret, at, body)), context);
      expect(result).toMatchObject({ ok: false, reason: at < t ? "stale_timestamp" : "future_timestamp" });
    }
  });
});
