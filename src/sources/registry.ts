// Which identity sources exist and which are enabled: a source is enabled when its secret is set.
import type { Config } from "../config";
import type { IdentitySource } from "./source";
import { standardSource } from "./standard";

const SOURCES: Record<string, { source: IdentitySource; secrets: (config: Config) => string[] }> = {
  standard: { source: standardSource, secrets: (config) => config.webhookSecrets.standard },
};

export function enabledSource(name: string, config: Config): { source: IdentitySource; secrets: string[] } | null {
  const entry = Object.hasOwn(SOURCES, name) ? SOURCES[name] : undefined;
  if (!entry) return null;
  const secrets = entry.secrets(config);
  return secrets.length > 0 ? { source: entry.source, secrets } : null;
}
