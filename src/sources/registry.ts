// Which identity sources exist and which are enabled: a source is enabled when its secret is set. The one
// door into sources/ (test/architecture.test.ts): a surface finds a source here and drives it through the
// contract re-exported below; what sources share with the rest (bytes, HMAC, identity events) lives in
// crypto/ and domain/.
import type { Config, SecretSource } from "../config";
import { TRANSMITTER_NAME_PATTERN } from "../domain/ssf/transmitters";
import { clerkSource } from "./clerk";
import { configurableHmacSource } from "./configurable-hmac";
import { googleSource } from "./google";
import { keycloakSource } from "./keycloak";
import { oktaSource } from "./okta";
import type { IdentitySource } from "./source";
import { standardSource } from "./standard";
import { workosSource } from "./workos";
import { zitadelSource } from "./zitadel";

export type { IdentitySource, VerificationFailure } from "./source";

const SOURCES: Record<SecretSource, (config: Config) => IdentitySource> = {
  standard: () => standardSource,
  workos: () => workosSource,
  okta: (config) => oktaSource(config.oktaAuthHeader),
  clerk: () => clerkSource,
  zitadel: () => zitadelSource,
  keycloak: () => keycloakSource,
  google: () => googleSource,
  hmac: (config) => configurableHmacSource(config.hmacSource),
};

/** A source by name: enabled (its secret is set), off (the variable that turns it on), or unknown. */
export function findSource(
  name: string,
  config: Config,
): { state: "enabled"; source: IdentitySource; secrets: string[] } | { state: "off"; variable: string } | { state: "unknown" } {
  if (!Object.hasOwn(SOURCES, name)) return { state: "unknown" };
  const sourceName = name as SecretSource;
  const secrets = config.webhookSecrets[sourceName];
  if (secrets.length === 0) return { state: "off", variable: `WEBHOOK_SECRET_${sourceName.toUpperCase()}` };
  return { state: "enabled", source: SOURCES[sourceName](config), secrets };
}

/** Every source whose subject ids the identity directory can hold: the webhook sources, SCIM and Entra (object ids). */
export const DIRECTORY_SOURCES: readonly string[] = [...Object.keys(SOURCES), "scim", "entra"];

/**
 * A Shared Signals transmitter's source: "ssf-<name>" (its name as SSF_TRANSMITTERS allows, 1–28 of
 * a-z 0-9 _ -, domain/ssf/transmitters.ts), so the directory's 32-character source names hold it and no webhook
 * source can be mistaken for it.
 */
export function ssfSourceName(transmitter: string): string {
  return `${SSF_SOURCE_PREFIX}${transmitter}`;
}

const SSF_SOURCE_PREFIX = "ssf-";
const SSF_SOURCE = new RegExp(`^ssf-${TRANSMITTER_NAME_PATTERN}$`);

/** A source the directory holds ids for: a webhook source, SCIM, or a Shared Signals transmitter's. */
export function isDirectorySource(name: string): boolean {
  return DIRECTORY_SOURCES.includes(name) || SSF_SOURCE.test(name);
}
