// Reading request bodies on the JSON surfaces: a size limit per route (checked before anything is read)
// and JSON parsing, each failing with the one failure model.
import type { Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { AppEnv } from "../context";
import { fail } from "./errors";

export function limitBody(maxSize: number) {
  return bodyLimit({ maxSize, onError: () => fail("payload_too_large", `body exceeds ${maxSize} bytes`) });
}

export async function readJson(c: Context<AppEnv>): Promise<unknown> {
  const text = await c.req.text();
  try {
    return JSON.parse(text);
  } catch {
    return fail("malformed_json", "the body is not valid JSON");
  }
}
