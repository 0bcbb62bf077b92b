// The CLI's failures and their exit codes. A failure carries a sentence that says what to do; main.mjs
// prints it (never a stack trace) and exits with its code. Anything else thrown is a bug and keeps its stack.
export const EXIT = {
  ok: 0,
  /** The API answered with an error (its error.code and message are printed). */
  api: 1,
  /** The command was used wrongly: unknown option, missing argument, unreadable file, no token. */
  usage: 2,
  /** The Worker could not be reached at all. */
  unreachable: 3,
};

export class CliFailure extends Error {
  /**
   * @param {number} exitCode one of EXIT
   * @param {string} message what happened and what to do, for a person
   * @param {{ body?: string }} [details] body: the API's error answer as sent, printed as-is with --json
   */
  constructor(exitCode, message, details = {}) {
    super(message);
    this.exitCode = exitCode;
    this.body = details.body;
  }
}

export const usageFailure = (message) => new CliFailure(EXIT.usage, message);
