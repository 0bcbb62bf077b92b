// SHA-256 against the standard's known answer, and the CSP hash-source a page's policy names its inline blocks by.
import { describe, expect, it } from "vitest";
import { utf8 } from "../../src/crypto/bytes";
import { cspHashSource, sha256Hex } from "../../src/crypto/sha256";

describe("sha256Hex", () => {
  it('is the FIPS 180-2 known answer for "abc"', async () => {
    expect(await sha256Hex(utf8("abc"))).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
});

describe("cspHashSource", () => {
  it("is the hash-source of the CSP Level 3 specification's example script", async () => {
    expect(await cspHashSource("alert('Hello, world.');")).toBe("'sha256-qznLcsROx4GACP2dm0UCKCzCG+HiZ1guq6ZZDob/Tng='");
  });
});
