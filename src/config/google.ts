// The variables of the Google Workspace channel the Worker keeps itself (issue #20; connections/google-channel/):
// - GOOGLE_SERVICE_ACCOUNT_KEY (secret): the service account's JSON key file as Google issues it
//   (developers.google.com/identity/protocols/oauth2/service-account: type "service_account", client_email,
//   private_key as a PKCS#8 PEM, private_key_id). Only those three members are kept.
// - GOOGLE_ADMIN_EMAIL: the admin the service account acts for by domain-wide delegation (the JWT's `sub`).
// - GOOGLE_CHANNEL_TTL_SECONDS: the channel's requested lifetime; renewal starts when less than half is left.
// - GOOGLE_OAUTH_TOKEN_URL, GOOGLE_ADMIN_API_BASE_URL: Google's endpoints unless a test points them elsewhere.
// Contract: a problem names what is wrong, never a value (the key is a secret).
import * as z from "zod/mini";
import { variable } from "./variables";

/**
 * The Reports API's channels last at most 6 hours (21600 s): Google shortens a longer `expiration` to its
 * own maximum, and the kind renews by the expiration Google answers, so a longer setting is harmless.
 */
export const DEFAULT_GOOGLE_CHANNEL_TTL_SECONDS = 21_600;

const ServiceAccountKeySchema = z.looseObject({
  type: z.literal("service_account"),
  client_email: z.string().check(z.minLength(3), z.maxLength(320)),
  private_key: z.string().check(z.minLength(100)),
  private_key_id: z.optional(z.string().check(z.maxLength(100))),
});

export const googleServiceAccountKey = variable(
  null,
  'must be the service account\'s JSON key file (type "service_account", client_email, private_key)',
  (value) => {
    try {
      const key = ServiceAccountKeySchema.safeParse(JSON.parse(value));
      if (!key.success || !key.data.private_key.includes("PRIVATE KEY")) return undefined;
      return { clientEmail: key.data.client_email, privateKeyPem: key.data.private_key, privateKeyId: key.data.private_key_id ?? null };
    } catch {
      return undefined;
    }
  },
);

export const emailVar = variable(null, "must be an email address", (value) => (/^[^\s@]+@[^\s@]+$/.test(value) ? value : undefined));

/** An https URL (http for this machine), trailing slashes dropped, with Google's as the default. */
export const googleUrl = (fallback: string) =>
  variable(fallback, "must be an https URL (http only for localhost and 127.0.0.1)", (value) => {
    if (!URL.canParse(value)) return undefined;
    const url = new URL(value);
    const local = url.hostname === "localhost" || url.hostname === "127.0.0.1";
    return url.protocol === "https:" || (url.protocol === "http:" && local) ? value.replace(/\/+$/, "") : undefined;
  });
