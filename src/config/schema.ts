// The Worker's environment as one zod schema: each variable by its reader (variables.ts, secrets.ts), then
// the typed configuration every module reads (camelCase, grouped: webhook secrets by source, the HMAC
// source's settings, targets). SSF_TRANSMITTERS is parsed by its schema in domain/ssf.
import * as z from "zod/mini";
import { ssfTransmittersVariable } from "../domain/ssf/transmitters";
import { DEFAULT_GOOGLE_CHANNEL_TTL_SECONDS, emailVar, googleServiceAccountKey, googleUrl } from "./google";
import { apiTokensByTarget, bearerTokens, pemCredential, secretList, whsecSecrets } from "./secrets";
import {
  alertWebhookUrl,
  apiBaseUrl,
  autoOrNumberVar,
  booleanVar,
  choice,
  cloudflareIdList,
  groupList,
  guidVar,
  headerName,
  jsonPath,
  numberVar,
  optionalNumberVar,
  publicOrigin,
  serviceUrl,
  silenceHours,
  textVar,
  wordList,
} from "./variables";

const SECRET_SOURCES = ["standard", "workos", "okta", "clerk", "zitadel", "keycloak", "google", "hmac"] as const;
export type SecretSource = (typeof SECRET_SOURCES)[number];

const EnvSchema = z.object({
  ACCESS_API_TOKEN: bearerTokens,
  ACCESS_API_TOKENS: apiTokensByTarget,
  OPERATOR_TOKEN: bearerTokens,
  SCIM_TOKEN: bearerTokens,
  // Keys the audit's operator token fingerprints; a short key would be guessable, so it is refused.
  AUDIT_FINGERPRINT_KEY: secretList((value) => (value.length < 32 ? "is shorter than 32 characters (openssl rand -base64 32)" : null)),
  WEBHOOK_SECRET_STANDARD: whsecSecrets,
  WEBHOOK_SECRET_WORKOS: secretList(),
  // A static header value: Okta's guide sets it to `Basic <base64>`, so spaces are part of the secret.
  WEBHOOK_SECRET_OKTA: secretList(),
  WEBHOOK_SECRET_CLERK: whsecSecrets,
  WEBHOOK_SECRET_ZITADEL: secretList(),
  WEBHOOK_SECRET_KEYCLOAK: secretList(),
  WEBHOOK_SECRET_GOOGLE: secretList(),
  WEBHOOK_SECRET_HMAC: secretList(),
  OKTA_AUTH_HEADER: headerName("Authorization"),
  HMAC_SIGNATURE_HEADER: headerName("X-Hub-Signature-256"),
  HMAC_SIGNATURE_PREFIX: textVar("sha256="),
  HMAC_ALGORITHM: choice(["SHA-256", "SHA-512"] as const, "SHA-256"),
  HMAC_ENCODING: choice(["hex", "base64"] as const, "hex"),
  HMAC_TIMESTAMP_HEADER: headerName(null),
  HMAC_EVENT_ID_PATH: jsonPath("id"),
  HMAC_EVENT_TYPE_PATH: jsonPath("type"),
  HMAC_EMAIL_PATH: jsonPath("data.email"),
  HMAC_SUBJECT_PATH: jsonPath(null),
  HMAC_DEPROVISION_EVENTS: wordList("user.deprovisioned"),
  ACCESS_ACCOUNT_ID: cloudflareIdList,
  ACCESS_ZONE_ID: cloudflareIdList,
  ACCESS_API_BASE_URL: apiBaseUrl,
  ACCESS_API_TIMEOUT_SECONDS: numberVar(10, 0.05, 60),
  REVOKE_DEVICES: booleanVar(true),
  WARP_SESSION_REAUTH: booleanVar(false),
  DRY_RUN: booleanVar(false),
  REVOKE_RATE_PER_SECOND: autoOrNumberVar(0.01, 1000),
  REVOKE_RATE_MAX_PER_SECOND: optionalNumberVar(0.01, 1000),
  SIGNATURE_TOLERANCE_SECONDS: numberVar(300, 1, 86_400),
  KEYCLOAK_MAX_EVENT_AGE_SECONDS: numberVar(3600, 60, 7 * 86_400),
  AUDIT_RETENTION_DAYS: numberVar(90, 1, 3650),
  REMOVE_SEATS: booleanVar(false),
  VERIFY_AFTER_SECONDS: numberVar(60, 0, 86_400),
  REVOKE_ON_GROUP_REMOVAL: groupList,
  // The reconciliation sweep (issue #23): hours between sweeps (0: off), and whether a return is revoked again.
  RECONCILE_EVERY_HOURS: numberVar(24, 0, 24 * 365),
  RECONCILE_REVOKE_RETURNS: booleanVar(true),
  SSF_TRANSMITTERS: ssfTransmittersVariable,
  // The Worker's own public origin: the URLs it hands out (Graph's notification URL) and the default audience
  // of Okta's Universal Logout tokens are built from it.
  PUBLIC_URL: publicOrigin,
  // Okta Universal Logout (POST /okta/universal-logout): the org is the JWT's issuer and, by default, its keys.
  OKTA_ORG_URL: serviceUrl(null),
  OKTA_UNIVERSAL_LOGOUT_AUDIENCE: serviceUrl(null),
  OKTA_JWKS_URI: serviceUrl(null),
  // Microsoft Entra ID through Microsoft Graph (/webhooks/entra): the app registration and where to reach it.
  ENTRA_TENANT_ID: guidVar,
  ENTRA_CLIENT_ID: guidVar,
  ENTRA_CLIENT_SECRET: secretList(),
  ENTRA_CLIENT_CERTIFICATE: pemCredential,
  MS_LOGIN_BASE_URL: serviceUrl("https://login.microsoftonline.com"),
  MS_GRAPH_BASE_URL: serviceUrl("https://graph.microsoft.com/v1.0"),
  ENTRA_DELTA_EVERY_MINUTES: numberVar(15, 1, 1440),
  SOURCE_SILENCE_HOURS: silenceHours,
  ALERT_WEBHOOK_URL: alertWebhookUrl,
  // Standard Webhooks secrets: each alert is signed with every one (a receiver rotating keys accepts either).
  ALERT_WEBHOOK_SECRET: whsecSecrets,
  GOOGLE_SERVICE_ACCOUNT_KEY: googleServiceAccountKey,
  GOOGLE_ADMIN_EMAIL: emailVar,
  GOOGLE_CHANNEL_TTL_SECONDS: numberVar(DEFAULT_GOOGLE_CHANNEL_TTL_SECONDS, 600, 7 * 86_400),
  GOOGLE_OAUTH_TOKEN_URL: googleUrl("https://oauth2.googleapis.com/token"),
  GOOGLE_ADMIN_API_BASE_URL: googleUrl("https://admin.googleapis.com"),
});

function tokensOf(accounts: string[], zones: string[], own: ReadonlyMap<string, string>, forAll: string | null): Map<string, string> {
  const tokens = new Map<string, string>();
  for (const target of [...accounts.map((id) => `accounts/${id}`), ...zones.map((id) => `zones/${id}`)]) {
    const token = own.get(target) ?? forAll;
    if (token !== null) tokens.set(target, token);
  }
  return tokens;
}

/** Okta Universal Logout as configured: off (null) unless OKTA_ORG_URL names the org and an audience is known. */
function universalLogoutOf(vars: z.output<typeof EnvSchema>) {
  if (vars.OKTA_ORG_URL === null) return null;
  const audience = vars.OKTA_UNIVERSAL_LOGOUT_AUDIENCE ?? (vars.PUBLIC_URL === null ? null : `${vars.PUBLIC_URL}${UNIVERSAL_LOGOUT_PATH}`);
  if (audience === null) return null;
  return { issuer: vars.OKTA_ORG_URL, audience, jwksUri: vars.OKTA_JWKS_URI ?? `${vars.OKTA_ORG_URL}/oauth2/v1/keys` };
}

/**
 * Microsoft Entra ID as configured: off (null) unless the tenant, the app, one credential and the public origin
 * the notification URL is built from are all set (index.ts notes which one is missing).
 */
function entraOf(vars: z.output<typeof EnvSchema>) {
  const [secret, certificate] = [vars.ENTRA_CLIENT_SECRET[0] ?? null, vars.ENTRA_CLIENT_CERTIFICATE];
  if (vars.ENTRA_TENANT_ID === null || vars.ENTRA_CLIENT_ID === null || vars.PUBLIC_URL === null) return null;
  if (secret === null && certificate === null) return null;
  return {
    tenantId: vars.ENTRA_TENANT_ID,
    clientId: vars.ENTRA_CLIENT_ID,
    /** A certificate wins over a secret when both are set: it is the stronger credential. */
    credential: certificate === null ? { kind: "secret" as const, secret: secret! } : { kind: "certificate" as const, pem: certificate },
    loginBaseUrl: vars.MS_LOGIN_BASE_URL,
    graphBaseUrl: vars.MS_GRAPH_BASE_URL,
    notificationUrl: `${vars.PUBLIC_URL}${ENTRA_NOTIFICATION_PATH}`,
    deltaEveryMs: Math.round(vars.ENTRA_DELTA_EVERY_MINUTES * 60_000),
  };
}

const UNIVERSAL_LOGOUT_PATH = "/okta/universal-logout";
const ENTRA_NOTIFICATION_PATH = "/webhooks/entra";

export const ConfigSchema = z.pipe(
  EnvSchema,
  z.transform((vars) => ({
    /**
     * The token each target's calls go with ("accounts/<id>" → token): its own in ACCESS_API_TOKENS, else
     * ACCESS_API_TOKEN's first line. A target without either is missing (a problem unless DRY_RUN, index.ts).
     */
    targetTokens: tokensOf(vars.ACCESS_ACCOUNT_ID, vars.ACCESS_ZONE_ID, vars.ACCESS_API_TOKENS, vars.ACCESS_API_TOKEN[0] ?? null),
    /** ACCESS_API_TOKENS as given (for the check that each entry names a configured target). */
    ownTargetTokens: vars.ACCESS_API_TOKENS,
    operatorTokens: vars.OPERATOR_TOKEN,
    scimTokens: vars.SCIM_TOKEN,
    /** Only the first line is used: changing the key changes every fingerprint from then on. */
    auditFingerprintKey: vars.AUDIT_FINGERPRINT_KEY[0] ?? null,
    webhookSecrets: {
      standard: vars.WEBHOOK_SECRET_STANDARD,
      workos: vars.WEBHOOK_SECRET_WORKOS,
      okta: vars.WEBHOOK_SECRET_OKTA,
      clerk: vars.WEBHOOK_SECRET_CLERK,
      zitadel: vars.WEBHOOK_SECRET_ZITADEL,
      keycloak: vars.WEBHOOK_SECRET_KEYCLOAK,
      google: vars.WEBHOOK_SECRET_GOOGLE,
      hmac: vars.WEBHOOK_SECRET_HMAC,
    } satisfies Record<SecretSource, string[]>,
    oktaAuthHeader: vars.OKTA_AUTH_HEADER,
    hmacSource: {
      header: vars.HMAC_SIGNATURE_HEADER,
      prefix: vars.HMAC_SIGNATURE_PREFIX,
      hash: vars.HMAC_ALGORITHM,
      encoding: vars.HMAC_ENCODING,
      timestampHeader: vars.HMAC_TIMESTAMP_HEADER,
      eventIdPath: vars.HMAC_EVENT_ID_PATH,
      eventTypePath: vars.HMAC_EVENT_TYPE_PATH,
      emailPath: vars.HMAC_EMAIL_PATH,
      subjectPath: vars.HMAC_SUBJECT_PATH,
      deprovisionEvents: vars.HMAC_DEPROVISION_EVENTS,
    },
    targets: [
      ...vars.ACCESS_ACCOUNT_ID.map((id) => ({ kind: "accounts" as const, id })),
      ...vars.ACCESS_ZONE_ID.map((id) => ({ kind: "zones" as const, id })),
    ],
    cfApiBaseUrl: vars.ACCESS_API_BASE_URL,
    cfApiTimeoutMs: Math.round(vars.ACCESS_API_TIMEOUT_SECONDS * 1000),
    revokeDevices: vars.REVOKE_DEVICES,
    warpSessionReauth: vars.WARP_SESSION_REAUTH,
    dryRun: vars.DRY_RUN,
    revokeRatePerSecond: vars.REVOKE_RATE_PER_SECOND,
    revokeRateMaxPerSecond: vars.REVOKE_RATE_MAX_PER_SECOND,
    signatureToleranceSeconds: vars.SIGNATURE_TOLERANCE_SECONDS,
    keycloakMaxEventAgeSeconds: vars.KEYCLOAK_MAX_EVENT_AGE_SECONDS,
    auditRetentionDays: vars.AUDIT_RETENTION_DAYS,
    removeSeats: vars.REMOVE_SEATS,
    verifyAfterSeconds: vars.VERIFY_AFTER_SECONDS,
    groupRemoval: vars.REVOKE_ON_GROUP_REMOVAL,
    reconcileEveryHours: vars.RECONCILE_EVERY_HOURS,
    reconcileRevokeReturns: vars.RECONCILE_REVOKE_RETURNS,
    ssfTransmitters: vars.SSF_TRANSMITTERS,
    /** The Worker's own origin (https://revoker.example.com); null when unset. Managed connections need it. */
    publicUrl: vars.PUBLIC_URL,
    /** Hours of silence after which a source is noted, by source name (SOURCE_SILENCE_HOURS). */
    silenceHours: vars.SOURCE_SILENCE_HOURS as ReadonlyMap<string, number>,
    universalLogout: universalLogoutOf(vars),
    entra: entraOf(vars),
    /** Where alerts go; null: no alerts are queued. */
    alertWebhookUrl: vars.ALERT_WEBHOOK_URL,
    alertWebhookSecrets: vars.ALERT_WEBHOOK_SECRET,
    /** The Google Workspace channel the Worker keeps (connections/google-channel/); null without a service account. */
    googleChannel:
      vars.GOOGLE_SERVICE_ACCOUNT_KEY === null
        ? null
        : {
            serviceAccount: vars.GOOGLE_SERVICE_ACCOUNT_KEY,
            adminEmail: vars.GOOGLE_ADMIN_EMAIL ?? "",
            ttlSeconds: vars.GOOGLE_CHANNEL_TTL_SECONDS,
            tokenUrl: vars.GOOGLE_OAUTH_TOKEN_URL,
            apiBaseUrl: vars.GOOGLE_ADMIN_API_BASE_URL,
          },
  })),
);
