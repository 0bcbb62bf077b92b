// directory import: subject id → email pairs, so events that name a person only by IdP id can be revoked.
import type { Command } from "commander";
import type { ImportAnswer } from "../../src/domain/views.ts";
import { sessionOf } from "../session.ts";
import { readUploadFile } from "../upload.ts";
import { importView } from "../views.ts";

export function registerDirectoryCommands(program: Command): void {
  const directory = program.command("directory").summary("the identity directory id-only events resolve through");
  directory
    .command("import")
    .summary("import subject_id,email pairs (CSV or NDJSON) for a source")
    .argument("<source>", "the source whose subject ids these are (e.g. okta, scim)")
    .argument("<file>", 'CSV (subject_id,email) or NDJSON ({"subject_id", "email"} a line)')
    .action(async function importDirectory(source: string, file: string, _options: unknown, command: Command) {
      const session = sessionOf(command);
      const upload = readUploadFile(file);
      const answer = await session.api.request<ImportAnswer>("POST", `/v1/directory/${encodeURIComponent(source)}/import`, {
        body: upload.bytes,
        contentType: upload.contentType,
      });
      session.show(answer, (body) => importView(source, body));
    });
}
