// Reading operator request bodies: a size limit per route and JSON parsing with the one error shape.
import type { Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { AppEnv } from "../context";
import { jsonError } from "../errors";

export function operatorBodyLimit(maxSize: number) {
  return bodyLimit({
    maxSize,
    onError: (c) => jsonError(c, 413, "payload_too_large", `body exceeds ${maxSize} bytes`),
  });
}

export async function readJsonBody(
  c: Context<AppEnv>,
): Promise<{ ok: true; value: unknown } | { ok: false; response: Response }> {
  const text = await c.req.text();
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, response: jsonError(c, 400, "malformed_json", "the body is not valid JSON") };
  }
}
