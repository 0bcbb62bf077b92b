// The configuration every in-workerd test runs with. Values are test-only.
export const TEST_ACCOUNT_ID = "0123456789abcdef0123456789abcdef";
export const TEST_ZONE_ID = "fedcba9876543210fedcba9876543210";
export const TEST_CF_API_BASE_URL = "https://cloudflare-api.test/client/v4";
export const TEST_CF_API_TOKEN = "cf-test-token";
export const TEST_OPERATOR_TOKEN = "operator-test-token";
export const TEST_OPERATOR_TOKEN_NEXT = "operator-rotated-token";
export const TEST_SCIM_TOKEN = "scim-test-bearer-token";
/** base64("standard webhooks test secret 32") */
export const TEST_STANDARD_SECRET = "whsec_c3RhbmRhcmQgd2ViaG9va3MgdGVzdCBzZWNyZXQgMzI=";
export const TEST_STANDARD_SECRET_NEXT = "whsec_bmV4dCBzdGFuZGFyZCB3ZWJob29rcyBzZWNyZXQ=";
export const TEST_RATE_PER_SECOND = 20;
/** The "budgets" project's own token for each target (ACCESS_API_TOKENS), paced from the budget each reports. */
export const TEST_ACCOUNT_TOKEN = "cf-account-token";
export const TEST_ZONE_TOKEN = "cf-zone-token";
export const TEST_SECRETS = {
  workos: "workos-test-signing-secret",
  // Okta's documented form of an event hook secret: the scheme, a space, base64("admin:supersecret")
  // (developer.okta.com/docs/guides/secure-hooks; the Okta SDK's EventHookChannelConfigAuthScheme).
  okta: "Basic YWRtaW46c3VwZXJzZWNyZXQ=",
  clerk: "whsec_Y2xlcmsgdGVzdCBzdml4IHNpZ25pbmcgc2VjcmV0IQ==",
  zitadel: "zitadel-test-signing-key",
  keycloak: "keycloak-test-shared-secret",
  google: "google test channel token, with spaces",
  hmac: "configurable-hmac-test-secret",
};
export const TEST_HMAC_CONFIG = {
  HMAC_SIGNATURE_HEADER: "X-Hub-Signature-256",
  HMAC_SIGNATURE_PREFIX: "sha256=",
  HMAC_ALGORITHM: "SHA-256",
  HMAC_ENCODING: "hex",
  HMAC_TIMESTAMP_HEADER: "X-Hub-Timestamp",
  HMAC_EVENT_ID_PATH: "delivery",
  HMAC_EVENT_TYPE_PATH: "action",
  HMAC_EMAIL_PATH: "user.email",
  HMAC_SUBJECT_PATH: "user.id",
  HMAC_DEPROVISION_EVENTS: "user.offboarded,user.deleted",
};

// The Shared Signals transmitter test/helpers/ssf-transmitter.ts plays, configured three ways: "acme" finds its
// keys through its configuration metadata; "acme-cc" names jwks_uri and also deprovisions on CAEP
// credential-change; "guarded" requires an authorization header (SSF_AUTH_GUARDED); "polled" delivers by
// poll (RFC 8936) from TEST_SSF_POLL_URL, two SETs a request, with the credential SSF_POLL_AUTH_POLLED.
export const TEST_SSF_ISSUER = "https://transmitter.test/tenant-1";
export const TEST_SSF_JWKS_URI = "https://transmitter.test/keys/jwks.json";
export const TEST_SSF_AUDIENCE = "https://revoker.test/ssf/acme";
export const TEST_SSF_AUTH = "ssf-guarded-stream-credential";
export const TEST_SSF_POLL_URL = "https://transmitter.test/ssf/poll/stream-7";
export const TEST_SSF_POLL_AUTH = "ssf-poll-credential";
/** The test transmitter's OAuth token endpoint and the receiver's client there (client credentials grant). */
export const TEST_SSF_TOKEN_URL = "https://transmitter.test/oauth2/token";
export const TEST_SSF_CLIENT = { id: "access revoker", secret: "s3cret:with+odd&chars" };
const TEST_SSF_TRANSMITTERS = {
  acme: { issuer: TEST_SSF_ISSUER, audience: TEST_SSF_AUDIENCE },
  "acme-cc": { issuer: TEST_SSF_ISSUER, audience: [TEST_SSF_AUDIENCE], jwks_uri: TEST_SSF_JWKS_URI, credential_change: true },
  guarded: { issuer: TEST_SSF_ISSUER, audience: TEST_SSF_AUDIENCE, jwks_uri: TEST_SSF_JWKS_URI },
  polled: { issuer: TEST_SSF_ISSUER, audience: TEST_SSF_AUDIENCE, jwks_uri: TEST_SSF_JWKS_URI, poll: { endpoint: TEST_SSF_POLL_URL, max_events: 2 } },
};

// Okta Universal Logout: the org test/helpers/okta-org.ts stands in for, its keys at the default place
// (OKTA_ORG_URL/oauth2/v1/keys), the audience built from PUBLIC_URL (the origin helpers/worker.ts calls).
export const TEST_PUBLIC_URL = "https://revoker.test";
export const TEST_OKTA_ORG_URL = "https://okta.test";
export const TEST_UNIVERSAL_LOGOUT_AUDIENCE = `${TEST_PUBLIC_URL}/okta/universal-logout`;

// Microsoft Entra ID, for the entra project only (vitest.config.ts): the tenant and app the local Graph fake
// (scripts/fake-graph.ts) plays, and where the Worker reaches it.
export const TEST_ENTRA = {
  tenantId: "5f1c9f3e-7a47-4a5e-9d3a-2b8f0c6e1d42",
  clientId: "0f7e6d5c-4b3a-4291-8a7b-6c5d4e3f2a10",
  clientSecret: "entra~test~client~secret",
  loginBaseUrl: "https://login.test",
  graphBaseUrl: "https://graph.test/v1.0",
};
export const TEST_ENTRA_BINDINGS = {
  ENTRA_TENANT_ID: TEST_ENTRA.tenantId,
  ENTRA_CLIENT_ID: TEST_ENTRA.clientId,
  ENTRA_CLIENT_SECRET: TEST_ENTRA.clientSecret,
  MS_LOGIN_BASE_URL: TEST_ENTRA.loginBaseUrl,
  MS_GRAPH_BASE_URL: TEST_ENTRA.graphBaseUrl,
  ENTRA_DELTA_EVERY_MINUTES: "15",
  // Its Cron runs poll nothing else: no Shared Signals transmitter.
  SSF_TRANSMITTERS: "",
  SSF_AUTH_GUARDED: "",
  SSF_POLL_AUTH_POLLED: "",
};

/** The alerts project's receiver (test/helpers/alert-receiver.ts): a Slack-like URL whose path is its credential. */
export const TEST_ALERT_URL = "https://alerts.test/services/T0000/B0000/alert-path-credential";
/** base64("alert signing secret, 32 bytes!!") */
export const TEST_ALERT_SECRET = "whsec_YWxlcnQgc2lnbmluZyBzZWNyZXQsIDMyIGJ5dGVzISE=";

// Every variable is set here, even to its default: the plugin also reads a developer's .dev.vars
// (which `npm start` creates with DRY_RUN=true), and these values must win over it.
export const TEST_BINDINGS = {
  DRY_RUN: "false",
  REVOKE_DEVICES: "true",
  WARP_SESSION_REAUTH: "false",
  SIGNATURE_TOLERANCE_SECONDS: "300",
  KEYCLOAK_MAX_EVENT_AGE_SECONDS: "3600",
  AUDIT_RETENTION_DAYS: "90",
  // Follow-ups are off unless a test project turns them on (the follow-ups project does).
  REMOVE_SEATS: "false",
  VERIFY_AFTER_SECONDS: "0",
  REVOKE_ON_GROUP_REMOVAL: "",
  // The reconciliation sweep runs on schedule only in the project that tests it; an operator can start one anywhere.
  RECONCILE_EVERY_HOURS: "0",
  RECONCILE_REVOKE_RETURNS: "true",
  ACCESS_ACCOUNT_ID: TEST_ACCOUNT_ID,
  ACCESS_ZONE_ID: TEST_ZONE_ID,
  ACCESS_API_BASE_URL: TEST_CF_API_BASE_URL,
  ACCESS_API_TOKEN: TEST_CF_API_TOKEN,
  ACCESS_API_TIMEOUT_SECONDS: "0.5",
  // Rotation lists: one value per line.
  OPERATOR_TOKEN: `${TEST_OPERATOR_TOKEN}\n${TEST_OPERATOR_TOKEN_NEXT}`,
  WEBHOOK_SECRET_STANDARD: `${TEST_STANDARD_SECRET}\n${TEST_STANDARD_SECRET_NEXT}`,
  REVOKE_RATE_PER_SECOND: String(TEST_RATE_PER_SECOND),
  WEBHOOK_SECRET_WORKOS: TEST_SECRETS.workos,
  WEBHOOK_SECRET_OKTA: TEST_SECRETS.okta,
  WEBHOOK_SECRET_CLERK: TEST_SECRETS.clerk,
  WEBHOOK_SECRET_ZITADEL: TEST_SECRETS.zitadel,
  WEBHOOK_SECRET_KEYCLOAK: TEST_SECRETS.keycloak,
  WEBHOOK_SECRET_GOOGLE: TEST_SECRETS.google,
  WEBHOOK_SECRET_HMAC: TEST_SECRETS.hmac,
  OKTA_AUTH_HEADER: "Authorization",
  SCIM_TOKEN: TEST_SCIM_TOKEN,
  ...TEST_HMAC_CONFIG,
  SSF_TRANSMITTERS: JSON.stringify(TEST_SSF_TRANSMITTERS),
  SSF_AUTH_GUARDED: TEST_SSF_AUTH,
  SSF_POLL_AUTH_POLLED: TEST_SSF_POLL_AUTH,
  PUBLIC_URL: TEST_PUBLIC_URL,
  OKTA_ORG_URL: TEST_OKTA_ORG_URL,
  OKTA_UNIVERSAL_LOGOUT_AUDIENCE: "",
  OKTA_JWKS_URI: "",
  // Entra is off here: its own project (vitest.config.ts) turns it on, so no other test's Cron run reaches Graph.
  ENTRA_TENANT_ID: "",
  ENTRA_CLIENT_ID: "",
  ENTRA_CLIENT_SECRET: "",
  ENTRA_CLIENT_CERTIFICATE: "",
  MS_LOGIN_BASE_URL: "",
  MS_GRAPH_BASE_URL: "",
  ENTRA_DELTA_EVERY_MINUTES: "",
};
