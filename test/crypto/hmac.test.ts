// HMAC against RFC 4231's known answers; verification takes any secret of a rotation list and any listed
// signature, and a malformed (empty) one is a failed verification, never an exception.
import { describe, expect, it } from "vitest";
import { fromHex, toHex, utf8 } from "../../src/crypto/bytes";
import { keyedFingerprint, signHmac, verifyHmac } from "../../src/crypto/hmac";

// RFC 4231 §4.3, test case 2: a key shorter than the block, "Jefe".
const KEY = utf8("Jefe");
const DATA = utf8("what do ya want for nothing?");
const MAC = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";

describe("signHmac", () => {
  it("is RFC 4231's HMAC-SHA-256 for test case 2", async () => {
    expect(toHex(await signHmac(KEY, "SHA-256", DATA))).toBe(MAC);
  });
});

describe("verifyHmac", () => {
  const signature = fromHex(MAC)!;

  it("accepts the signature under any secret of the rotation list, among other signatures", async () => {
    const other = utf8("an older secret");
    expect(await verifyHmac({ secrets: [other, KEY], hash: "SHA-256", message: DATA, signatures: [new Uint8Array(32), signature] })).toBe(true);
  });

  it("refuses another message, another hash, an empty secret or signature", async () => {
    expect(await verifyHmac({ secrets: [KEY], hash: "SHA-256", message: utf8("what do ya want for something?"), signatures: [signature] })).toBe(
      false,
    );
    expect(await verifyHmac({ secrets: [KEY], hash: "SHA-512", message: DATA, signatures: [signature] })).toBe(false);
    expect(await verifyHmac({ secrets: [new Uint8Array(0)], hash: "SHA-256", message: DATA, signatures: [signature] })).toBe(false);
    expect(await verifyHmac({ secrets: [KEY], hash: "SHA-256", message: DATA, signatures: [new Uint8Array(0)] })).toBe(false);
  });
});

describe("keyedFingerprint", () => {
  it("is the first hex digits of HMAC-SHA256 under the key", async () => {
    expect(await keyedFingerprint("Jefe", "what do ya want for nothing?", 16)).toBe(MAC.slice(0, 16));
  });
});
