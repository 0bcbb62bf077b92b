// The Hono environment shared by every route: Worker bindings plus the parsed Config.
import type { Config } from "./config";

export type AppEnv = { Bindings: Env; Variables: { config: Config } };
