// The sources a configuration turns on, by the name their deliveries are recorded under: each webhook source
// whose WEBHOOK_SECRET_<SOURCE> is set, scim when SCIM_TOKEN is, and ssf-<name> for each transmitter in
// SSF_TRANSMITTERS, entra when Microsoft Entra ID is configured, and google also when the Worker keeps its channel (GOOGLE_SERVICE_ACCOUNT_KEY). /v1/stats lists each of them with its last deliveries (and a managed connection, which the
// ledger knows by name, beside them). A source a new setting turns on (a Google channel kept without
// WEBHOOK_SECRET_GOOGLE, a Microsoft Graph subscription) is added here.
// Contract: pure.

import type * as z from "zod/mini";
import { ssfSourceName } from "../domain/ssf/transmitters";
import type { ConfigSchema } from "./schema";

export function configuredSources(config: z.output<typeof ConfigSchema>): string[] {
  const webhooks = Object.entries(config.webhookSecrets).flatMap(([source, secrets]) =>
    secrets.length > 0 || (source === "google" && config.googleChannel !== null) ? [source] : [],
  );
  const scim = config.scimTokens.length > 0 ? ["scim"] : [];
  const entra = config.entra === null ? [] : ["entra"];
  return [...webhooks, ...scim, ...[...config.ssfTransmitters.keys()].map(ssfSourceName), ...entra];
}
