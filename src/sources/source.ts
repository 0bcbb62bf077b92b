// The shape every identity source shares: verify the raw delivery, then parse the verified JSON into
// zero or more identity events. Contract: verify never parses the body and never throws; parse is pure.
import * as z from "zod/mini";
import { EmailSchema } from "../validation";

/** One person to deprovision, as a source understood it. */
export const IdentityEventSchema = z.object({
  event_id: z.string().check(z.minLength(1), z.maxLength(200)),
  event_type: z.string().check(z.minLength(1), z.maxLength(200)),
  email: EmailSchema,
  user_uid: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
  reason: z.optional(z.string().check(z.maxLength(500))),
});
export type IdentityEvent = z.infer<typeof IdentityEventSchema>;

export type Delivery = {
  method: string;
  headers: Headers;
  body: Uint8Array;
};

/** Why a delivery was refused; precise for the audit log, never sent to the caller. */
export type VerificationFailure =
  | { reason: "missing_header"; header: string }
  | { reason: "malformed_header"; header: string }
  | { reason: "stale_timestamp"; skew_seconds: number }
  | { reason: "future_timestamp"; skew_seconds: number }
  | { reason: "signature_mismatch" };

export type Verification = { ok: true; deliveryId: string } | ({ ok: false } & VerificationFailure);

export type VerifyContext = { secrets: string[]; now: number; toleranceSeconds: number };

export type ParseResult =
  | { kind: "events"; events: IdentityEvent[] }
  | { kind: "ignored"; reason: string }
  | { kind: "invalid"; message: string };

export type IdentitySource = {
  name: string;
  /** "signed": an HMAC over the body; "static_secret": a shared token only (lower assurance). */
  assurance: "signed" | "static_secret";
  verify(delivery: Delivery, context: VerifyContext): Promise<Verification>;
  parse(json: unknown, deliveryId: string): ParseResult;
};
