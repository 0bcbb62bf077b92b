#!/usr/bin/env node
// The `access-revoker` bin and `npm run cli`: runs cli/main.ts, which Node ≥ 22.18 runs as it is (see its
// header). On an older Node (an `npm install -g .` on a system Node 20) it hands the command to the Node
// 22 that `npm install` put in this checkout's node_modules, or says what to install. Plain JavaScript,
// because it is what runs before TypeScript can.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

if (process.features.typescript) {
  await import("./main.ts");
} else {
  const main = fileURLToPath(new URL("main.ts", import.meta.url));
  const bundled = fileURLToPath(new URL("../node_modules/.bin/node", import.meta.url));
  if (!existsSync(bundled)) {
    process.stderr.write(
      `error: access-revoker needs Node 22.18 or later (this is ${process.version}); \`npm install\` in its checkout brings one\n`,
    );
    process.exit(2);
  }
  // Ctrl-C reaches the child too (same process group); this one waits for it to finish.
  process.on("SIGINT", () => {});
  const run = spawnSync(bundled, [main, ...process.argv.slice(2)], { stdio: "inherit" });
  process.exit(run.status ?? 1);
}
