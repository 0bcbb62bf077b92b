// The Worker's own modules for the npm scripts (send-event signs with the sources' signers and reads the
// configuration with the Worker's parser, so what it sends is what the Worker checks). src/ is TypeScript
// written for a bundler: Node ≥ 22.18 strips its types (the npm scripts run on the bundled Node 22), but
// its relative imports name no extension, which Node's resolver does not try. The hook below does: an
// extensionless relative import that is not found is retried as `.ts`, then as a folder's `index.ts`
// (`../config`). Only src/ modules that import nothing of the Worker's runtime (`cloudflare:workers`) load
// this way.
import { registerHooks } from "node:module";

let hooked = false;

/** `path` under src/, e.g. "sources/standard.ts". */
export async function importSrc(path) {
  if (!hooked) {
    registerHooks({ resolve: resolveTypeScript });
    hooked = true;
  }
  return import(new URL(`../src/${path}`, import.meta.url).href);
}

function resolveTypeScript(specifier, context, nextResolve) {
  try {
    return nextResolve(specifier, context);
  } catch (error) {
    if (error?.code !== "ERR_MODULE_NOT_FOUND" || !/^\.{1,2}\//.test(specifier) || /\.[cm]?[jt]s$/.test(specifier)) throw error;
    try {
      return nextResolve(`${specifier}.ts`, context);
    } catch {
      return nextResolve(`${specifier}/index.ts`, context);
    }
  }
}
