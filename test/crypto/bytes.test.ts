// The encodings every signature is written in: a decoder answers null for text that is not its encoding.
import { describe, expect, it } from "vitest";
import { concatBytes, fromBase64, fromHex, toBase64, toHex, utf8 } from "../../src/crypto/bytes";

describe("hex", () => {
  it("round-trips bytes, reading either case", () => {
    expect(toHex(new Uint8Array([0, 1, 127, 128, 255]))).toBe("00017f80ff");
    expect(fromHex("00017F80ff")).toEqual(new Uint8Array([0, 1, 127, 128, 255]));
  });

  it.each(["abc", "zz", "0x12", " 12"])("answers null for %j", (text) => {
    expect(fromHex(text)).toBeNull();
  });
});

describe("base64", () => {
  it("reads standard and URL-safe base64, with or without padding", () => {
    const bytes = new Uint8Array([251, 255, 191]);
    expect(toBase64(bytes)).toBe("+/+/");
    for (const text of ["+/+/", "-_-_"]) expect(fromBase64(text)).toEqual(bytes);
    expect(fromBase64("YQ")).toEqual(utf8("a"));
    expect(fromBase64("YQ==")).toEqual(utf8("a"));
  });

  it.each(["Y", "YQ===", "a b", "Zm9v!"])("answers null for %j", (text) => {
    expect(fromBase64(text)).toBeNull();
  });
});

it("concatenates bytes in order", () => {
  expect(concatBytes(utf8("id."), utf8("1."), utf8("{}"))).toEqual(utf8("id.1.{}"));
});
