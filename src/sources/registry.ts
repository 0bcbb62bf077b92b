// Which identity sources exist and which are enabled: a source is enabled when its secret is set. The one
// door into sources/ (test/architecture.test.ts): a surface finds a source here and drives it through the
// contract re-exported below; what sources share with the rest (bytes, HMAC, identity events) lives in
// crypto/ and domain/.
import type { Config, SecretSource } from "../config";
import { SSF_SOURCE_PREFIX, TRANSMITTER_NAME_PATTERN } from "../domain/ssf/transmitters";
import { clerkSource } from "./clerk";
import { configurableHmacSource } from "./configurable-hmac";
import { googleSource } from "./google";
import { keycloakSource } from "./keycloak";
import { oktaSource } from "./okta";
import type { IdentitySource } from "./source";
import { standardSource } from "./standard";
import { workosSource } from "./workos";
import { zitadelSource } from "./zitadel";

export type { IdentitySource, Verification, VerificationFailure } from "./source";

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

/**
 * A source by name: enabled (its secret is set), off (the variable that turns it on), or unknown. Google with
 * a service account is enabled with `channel`: its secrets are the tokens of the channel the Worker keeps,
 * which only the ledger knows (the managed connection of that name), and WEBHOOK_SECRET_GOOGLE is not used.
 */
export function findSource(
  name: string,
  config: Config,
): { state: "enabled"; source: IdentitySource; secrets: string[]; channel?: string } | { state: "off"; variable: string } | { state: "unknown" } {
  if (!Object.hasOwn(SOURCES, name)) return { state: "unknown" };
  const sourceName = name as SecretSource;
  if (sourceName === "google" && config.googleChannel !== null) return { state: "enabled", source: googleSource, secrets: [], channel: "google" };
  const secrets = config.webhookSecrets[sourceName];
  if (secrets.length === 0) return { state: "off", variable: `WEBHOOK_SECRET_${sourceName.toUpperCase()}` };
  return { state: "enabled", source: SOURCES[sourceName](config), secrets };
}

/** Every source whose subject ids the identity directory can hold: the webhook sources, SCIM and Entra (object ids). */
export const DIRECTORY_SOURCES: readonly string[] = [...Object.keys(SOURCES), "scim", "entra"];

// A Shared Signals transmitter's source, "ssf-<name>", is named in the domain, where the configuration lists
// the sources it turns on (config/sources.ts) without reaching into this room.
export { ssfSourceName } from "../domain/ssf/transmitters";

const SSF_SOURCE = new RegExp(`^${SSF_SOURCE_PREFIX}${TRANSMITTER_NAME_PATTERN}$`);

/** A source the directory holds ids for: a webhook source, SCIM, or a Shared Signals transmitter's. */
export function isDirectorySource(name: string): boolean {
  return DIRECTORY_SOURCES.includes(name) || SSF_SOURCE.test(name);
}
