// The settings that turn on a managed connection: a connection to an identity provider the Worker creates and
// keeps itself from the Cron Trigger (an SSF stream, a Google Workspace channel, a Microsoft Graph
// subscription; src/connections/). Each hands the provider an address built from PUBLIC_URL, so a managed
// connection configured without PUBLIC_URL is a problem named by that variable (config/index.ts), found at
// the first request rather than as a stream pointing nowhere.
// A connection kind that is turned on by a setting adds its detector here: it reads the raw variables and
// answers the settings that turn connections on (named for a problem, never by value).
// Contract: pure; raw strings in, setting names out; a malformed value is its own variable's problem, not this.

type SettingDetector = (vars: Record<string, string>) => string[];

const blank = (value: string | undefined) => (value ?? "").trim() === "";

/** SSF_TRANSMITTERS entries with a `manage` block (issue #20: the Worker creates and verifies their streams). */
const managedStreams: SettingDetector = (vars) => {
  if (blank(vars.SSF_TRANSMITTERS)) return [];
  let json: unknown;
  try {
    json = JSON.parse(vars.SSF_TRANSMITTERS!);
  } catch {
    return [];
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) return [];
  return Object.entries(json).flatMap(([name, entry]) =>
    typeof entry === "object" && entry !== null && "manage" in entry ? [`SSF_TRANSMITTERS (${name}.manage)`] : [],
  );
};

/** A Google service account key (issue #20: the Worker creates and renews its Admin SDK channel). */
const managedGoogleChannel: SettingDetector = (vars) => (blank(vars.GOOGLE_SERVICE_ACCOUNT_KEY) ? [] : ["GOOGLE_SERVICE_ACCOUNT_KEY"]);

const DETECTORS: readonly SettingDetector[] = [managedStreams, managedGoogleChannel];

/** The settings that turn on managed connections, e.g. ["SSF_TRANSMITTERS (okta.manage)"]. */
export function managedConnectionSettings(vars: Record<string, string>): string[] {
  return DETECTORS.flatMap((detect) => detect(vars));
}
