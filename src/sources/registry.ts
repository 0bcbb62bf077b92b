// Which identity sources exist and which are enabled: a source is enabled when its secret is set.
import type { Config, SecretSource } from "../config";
import { clerkSource } from "./clerk";
import { configurableHmacSource } from "./configurable-hmac";
import { googleSource } from "./google";
import { keycloakSource } from "./keycloak";
import { oktaSource } from "./okta";
import type { IdentitySource } from "./source";
import { standardSource } from "./standard";
import { workosSource } from "./workos";
import { zitadelSource } from "./zitadel";

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

export function enabledSource(name: string, config: Config): { source: IdentitySource; secrets: string[] } | null {
  if (!Object.hasOwn(SOURCES, name)) return null;
  const sourceName = name as SecretSource;
  const secrets = config.webhookSecrets[sourceName];
  return secrets.length > 0 ? { source: SOURCES[sourceName](config), secrets } : null;
}
