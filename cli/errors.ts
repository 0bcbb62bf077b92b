// The CLI's failures and their exit codes. A failure carries a sentence that says what to do; main.ts
// prints it (never a stack trace) and exits with its code. Anything else thrown is a bug and keeps its stack.
export const EXIT = {
  ok: 0,
  /** The API answered with an error (its error.code and message are printed). */
  api: 1,
  /** The command was used wrongly: unknown option, missing argument, unreadable file, no token. */
  usage: 2,
  /** The Worker could not be reached at all. */
  unreachable: 3,
  /** `audit verify`: the chain does not hold, or the file is not a chain export. */
  check: 4,
  /** `audit verify`: the pinned head is newer than the run (KV does not show it yet): run again a minute later. */
  pending: 5,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export class CliFailure extends Error {
  readonly exitCode: ExitCode;
  /** The API's error answer as sent, printed as-is with --json. */
  readonly body: string | undefined;
  /** The HTTP status of the API's error answer, when there was one (a watch rides out a 503). */
  readonly httpStatus: number | undefined;

  /** `message`: what happened and what to do, for a person. */
  constructor(exitCode: ExitCode, message: string, details: { body?: string; httpStatus?: number } = {}) {
    super(message);
    this.exitCode = exitCode;
    this.body = details.body;
    this.httpStatus = details.httpStatus;
  }
}

export const usageFailure = (message: string) => new CliFailure(EXIT.usage, message);
