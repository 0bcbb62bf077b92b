// directory import: subject id → email pairs, so events that name a person only by IdP id can be revoked.
import { sessionOf } from "../session.mjs";
import { readUploadFile } from "../upload.mjs";
import { importView } from "../views.mjs";

/** @param {import("commander").Command} program */
export function registerDirectoryCommands(program) {
  const directory = program.command("directory").summary("the identity directory id-only events resolve through");
  directory
    .command("import")
    .summary("import subject_id,email pairs (CSV or NDJSON) for a source")
    .argument("<source>", "the source whose subject ids these are (e.g. okta, scim)")
    .argument("<file>", 'CSV (subject_id,email) or NDJSON ({"subject_id", "email"} a line)')
    .action(async function importDirectory(source, file, _options, command) {
      const session = sessionOf(command);
      const upload = readUploadFile(file);
      const answer = await session.api.request("POST", `/v1/directory/${encodeURIComponent(source)}/import`, {
        body: upload.bytes,
        contentType: upload.contentType,
      });
      session.show(answer, (body) => importView(source, body));
    });
}
