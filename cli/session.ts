// What every command needs: the API client for the global options (--url, --token) and the output mode
// (--json: the API's JSON exactly as it answered, one document a line, for scripts).
import type { Command } from "commander";
import { type Answer, type ApiClient, createApiClient } from "./api.ts";
import { resolveConnection } from "./connection.ts";

export type Session = {
  api: ApiClient;
  json: boolean;
  now: () => number;
  /** Prints text for a person (ignored with --json). */
  say(text: string): void;
  /** Prints an API answer: as sent with --json, else as `view` renders its parsed body. */
  show<T>(answer: Pick<Answer<T>, "text" | "body">, view: (body: T) => string): void;
};

/** The session of the command being run. */
export function sessionOf(command: Command): Session {
  const options = command.optsWithGlobals<{ url?: string; token?: string; json?: boolean }>();
  const connection = resolveConnection({ url: options.url, token: options.token }, process.env, process.cwd());
  const json = options.json === true;
  return {
    api: createApiClient(connection),
    json,
    now: Date.now,
    say(text) {
      if (!json) process.stdout.write(`${text}\n`);
    },
    show(answer, view) {
      process.stdout.write(json ? `${answer.text.trim()}\n` : `${view(answer.body)}\n`);
    },
  };
}
