// Query parameters the operator routes share. Contract: pure schemas.
import * as z from "zod/mini";

/** `limit`: a whole number from 1 to `max`, `fallback` when absent. */
export const limitParam = (fallback: number, max: number) => z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(max)), fallback);

/** An ISO 8601 instant, as epoch milliseconds. */
export const instantParam = z.pipe(
  z.string().check(z.refine((raw) => Number.isFinite(Date.parse(raw)), "not an ISO 8601 time")),
  z.transform((raw: string) => Date.parse(raw)),
);
