// Starts the Worker the way `npm start` does (scripts/start.mjs → wrangler dev) on a free loopback port,
// waits for /healthz, and stops the whole process group by pid. Used by the end-to-end test and the bench.
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

export async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * `vars` are written as the Worker's dev-vars file beside its state (`<persistTo>.dev.vars`); `devVarsPath`
 * names one that exists instead. `port`: a given one (to restart a Worker where its clients look), else a free one.
 * @param {{ devVarsPath?: string, vars?: Record<string, string>, persistTo: string, env?: Record<string, string>, timeoutMs?: number, port?: number }} options
 */
export async function startLocalWorker(options) {
  const devVarsPath = options.devVarsPath ?? `${options.persistTo}.dev.vars`;
  if (options.vars) {
    const lines = Object.entries(options.vars).map(([name, value]) => `${name}=${value}`);
    writeFileSync(devVarsPath, `${lines.join("\n")}\n`, { mode: 0o600 });
  }
  const port = options.port ?? (await freePort());
  const inspectorPort = await freePort();
  const output = [];
  const child = spawn(
    process.execPath,
    [
      "scripts/start.mjs",
      "--dev-vars",
      devVarsPath,
      "--port",
      String(port),
      "--",
      "--persist-to",
      options.persistTo,
      "--inspector-port",
      String(inspectorPort),
      "--log-level",
      "warn",
    ],
    {
      cwd: root,
      detached: true, // its own process group, so stop() ends wrangler and workerd together
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env,
        CF_API_TOKEN: "",
        CF_ACCOUNT_ID: "",
        CF_ZONE_ID: "",
        ...options.env,
        PATH: `${root}node_modules/.bin:${process.env.PATH}`,
      },
    },
  );
  child.stdout.on("data", (chunk) => output.push(chunk.toString()));
  child.stderr.on("data", (chunk) => output.push(chunk.toString()));
  const exited = new Promise((resolve) => child.on("exit", resolve));
  const url = `http://127.0.0.1:${port}`;

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {}
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {}
    }, 5000);
    await exited;
    clearTimeout(timer);
  };

  /** Kills the whole process group at once (SIGKILL: no shutdown, as a crash or a host loss would). */
  const kill = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {}
    await exited;
  };

  const deadline = Date.now() + (options.timeoutMs ?? 90_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited early:\n${output.join("")}`);
    try {
      const response = await fetch(`${url}/healthz`);
      if (response.status === 200 || response.status === 503) break;
    } catch {}
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`wrangler dev did not answer /healthz in time:\n${output.join("")}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return { url, pid: child.pid, output, stop, kill };
}
