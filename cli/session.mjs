// What every command needs: the API client for the global options (--url, --token) and the output mode
// (--json: the API's JSON exactly as it answered, one document a line, for scripts).
import { createApiClient } from "./api.mjs";
import { resolveConnection } from "./connection.mjs";

/** @param {import("commander").Command} command the command being run */
export function sessionOf(command) {
  const options = command.optsWithGlobals();
  const connection = resolveConnection({ url: options.url, token: options.token }, process.env, process.cwd());
  const api = createApiClient(connection);
  return {
    api,
    json: options.json === true,
    now: Date.now,
    /** Prints text for a person (ignored with --json). */
    say(text) {
      if (!this.json) process.stdout.write(`${text}\n`);
    },
    /** Prints an API answer: as sent with --json, else as `view` renders its parsed body. */
    show(answer, view) {
      process.stdout.write(this.json ? `${answer.text.trim()}\n` : `${view(answer.body)}\n`);
    },
  };
}
