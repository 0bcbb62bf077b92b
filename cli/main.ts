// access-revoker's operator CLI: `npm run cli -- <command>`, `npx access-revoker <command>` from a checkout,
// or `access-revoker <command>` once installed. It drives the Worker's operator API (/v1); docs/cli.md
// describes every command. Exit codes: 0 ok, 1 the API answered an error, 2 usage, 3 cannot connect.
// commander parses the arguments: subcommands, generated --help, choices and required options, and
// errors for unknown options, which a hand-rolled parser would each re-implement.
//
// TypeScript without a build step: Node ≥ 22.18 strips types itself (the npm scripts run on the bundled
// Node 22, which does), so the CLI is run as it is written. That asks for erasable syntax only and
// explicit `.ts` specifiers (cli/tsconfig.json enforces both), and for what it imports from src/ at run
// time to load in Node: only src/domain's schemas (zod/mini), never anything of the Worker's runtime.
// The API's types come from there too (type-only imports, erased). A loader such as tsx would also have
// resolved src/'s extensionless imports, at the price of a dependency and its start-up on every command;
// nothing here needs it. cli/access-revoker.mjs, the bin, starts this file on a Node that cannot.
import { Command, CommanderError, Option } from "commander";
import { registerAuditCommands } from "./commands/audit.ts";
import { registerConnectionCommands } from "./commands/connections.ts";
import { registerDirectoryCommands } from "./commands/directory.ts";
import { registerDrainCommands } from "./commands/drain.ts";
import { registerJobCommands } from "./commands/jobs.ts";
import { registerReconcileCommands } from "./commands/reconcile.ts";
import { registerReportCommands } from "./commands/report.ts";
import { registerRevocationCommands } from "./commands/revocations.ts";
import { registerSourceCommands } from "./commands/sources.ts";
import { DEFAULT_URL } from "./connection.ts";
import { CliFailure, EXIT } from "./errors.ts";
import { SELF } from "./self.ts";

const program = new Command("access-revoker")
  .description("Operate access-revoker: revoke, follow bulk jobs, read the drain.")
  .addOption(new Option("--url <url>", `the Worker's address (default: ACCESS_REVOKER_URL, else ${DEFAULT_URL})`))
  .addOption(new Option("--token <token>", "the operator token (default: ACCESS_REVOKER_TOKEN, else OPERATOR_TOKEN in ./.dev.vars)"))
  .option("--json", "print the API's JSON as it answered, for scripts")
  .option("--no-color", "plain text even on a terminal (so does NO_COLOR=1); picocolors reads it")
  .exitOverride()
  .addHelpText("after", "\nExit codes: 0 ok, 1 the API answered an error, 2 usage error, 3 cannot reach the Worker.\nMore: docs/cli.md");

// A reader that stops early (`| head`) closes the pipe: that ends the output, it is not a failure.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code !== "EPIPE") throw error;
  process.exit(EXIT.ok);
});

registerRevocationCommands(program);
registerJobCommands(program);
registerDrainCommands(program);
registerSourceCommands(program);
registerDirectoryCommands(program);
registerAuditCommands(program);
registerReconcileCommands(program);
registerReportCommands(program);
registerConnectionCommands(program);
pointUsageErrorsAtOwnHelp(program, []);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.exitCode = exitCodeOf(error);
}

/** A usage error names the help of the command that was used wrongly, not the top level's. */
function pointUsageErrorsAtOwnHelp(command: Command, path: string[]): void {
  const lists = command.commands.length > 0 ? "lists its commands" : "lists its options";
  command.showHelpAfterError(`(${[SELF, ...path, "--help"].join(" ")} ${lists})`);
  for (const sub of command.commands) pointUsageErrorsAtOwnHelp(sub, [...path, sub.name()]);
}

function exitCodeOf(error: unknown): number {
  // commander has already printed its message (and help, when asked for).
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  if (error instanceof CliFailure) {
    if (program.opts().json && error.body) process.stdout.write(`${error.body.trim()}\n`);
    process.stderr.write(`error: ${error.message}\n`);
    return error.exitCode;
  }
  throw error;
}
