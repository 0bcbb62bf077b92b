// The audit's operator token fingerprint is keyed: without the key, a reader of KV cannot test guessed
// tokens against it (an unsalted SHA-256 of a weak token falls to a dictionary).
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config";
import { toHex, utf8 } from "../../src/crypto/bytes";
import { signHmac } from "../../src/crypto/hmac";
import { sha256Hex } from "../../src/crypto/sha256";
import { operatorTokenFingerprint } from "../../src/operator/token-fingerprint";
import { ledgerStub } from "../helpers/worker";

const KEY = "an-audit-fingerprint-key-of-32-characters-or-more";

async function hmacHex(key: string, token: string) {
  return toHex(await signHmac(utf8(key), "SHA-256", utf8(token)));
}

describe("operatorTokenFingerprint", () => {
  it("is the HMAC-SHA256 of the token under AUDIT_FINGERPRINT_KEY, 16 hex digits, never the unkeyed digest", async () => {
    const fingerprint = await operatorTokenFingerprint(env, { auditFingerprintKey: KEY }, "password1");
    expect(fingerprint).toBe((await hmacHex(KEY, "password1")).slice(0, 16));
    expect(fingerprint).not.toContain((await sha256Hex(utf8("password1"))).slice(0, 12));
    expect(await operatorTokenFingerprint(env, { auditFingerprintKey: KEY }, "password2")).not.toBe(fingerprint);
    expect(await operatorTokenFingerprint(env, { auditFingerprintKey: `${KEY}!` }, "password1")).not.toBe(fingerprint);
  });

  it("is keyed with the ledger's own random key while AUDIT_FINGERPRINT_KEY is unset, the same for the same token", async () => {
    const ledgerKey = await ledgerStub().fingerprintKey();
    expect(ledgerKey).toMatch(/^[0-9a-f]{64}$/);
    expect(await ledgerStub().fingerprintKey()).toBe(ledgerKey);
    const fingerprint = await operatorTokenFingerprint(env, { auditFingerprintKey: null }, "password1");
    expect(fingerprint).toBe((await hmacHex(ledgerKey, "password1")).slice(0, 16));
    expect(await operatorTokenFingerprint(env, { auditFingerprintKey: null }, "password1")).toBe(fingerprint);
  });

  it("refuses a short AUDIT_FINGERPRINT_KEY, naming it and not its value; uses the first line of a list", () => {
    const minimal = { ACCESS_ACCOUNT_ID: "0123456789abcdef0123456789abcdef", ACCESS_API_TOKEN: "t", OPERATOR_TOKEN: "o" };
    const short = parseConfig({ ...minimal, AUDIT_FINGERPRINT_KEY: "hunter2" });
    expect(!short.ok && short.problems).toEqual(["AUDIT_FINGERPRINT_KEY: value 1 is shorter than 32 characters (openssl rand -base64 32)"]);
    expect(JSON.stringify(short)).not.toContain("hunter2");
    const listed = parseConfig({ ...minimal, AUDIT_FINGERPRINT_KEY: `${KEY}\n${KEY}-next` });
    expect(listed.ok && listed.config.auditFingerprintKey).toBe(KEY);
    expect(parseConfig(minimal)).toMatchObject({ ok: true, config: { auditFingerprintKey: null } });
  });
});
