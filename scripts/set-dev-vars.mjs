// `npm run dev-vars -- NAME=value …`: sets variables in the local .dev.vars in place: a line that sets
// NAME is replaced (later ones that set it again are dropped), a new name is added at the end, every other
// line is kept as it is. No copy is left behind (`sed -i.bak` left .dev.vars.bak full of secrets), the
// file keeps its owner-only mode, and values are never printed. Restart `npm start` to apply them.
// Options: --dev-vars PATH (default .dev.vars).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";

const USAGE = "usage: npm run dev-vars -- NAME=value [NAME=value …] [--dev-vars PATH]";

let parsed;
try {
  parsed = parseArgs({ options: { "dev-vars": { type: "string", default: ".dev.vars" } }, allowPositionals: true });
} catch (error) {
  console.error(`${error.message}\n${USAGE}`);
  process.exit(2);
}
const path = resolve(parsed.values["dev-vars"]);
const settings = [];
for (const argument of parsed.positionals) {
  const match = /^([A-Z][A-Z0-9_]*)=(.*)$/s.exec(argument);
  if (!match || /[\r\n]/.test(match[2])) {
    console.error(`not NAME=value (an upper-case name, a value on one line): ${JSON.stringify(argument.split("=")[0])}\n${USAGE}`);
    process.exit(2);
  }
  settings.push({ name: match[1], value: match[2] });
}
if (settings.length === 0) {
  console.error(USAGE);
  process.exit(2);
}
if (!existsSync(path)) {
  console.error(`${path} does not exist: run \`npm start\` once (it creates it), or pass --dev-vars PATH`);
  process.exit(2);
}

const lines = readFileSync(path, "utf8").replace(/\n$/, "").split("\n");
const setsName = (line, name) => new RegExp(`^\\s*(?:export\\s+)?${name}\\s*=`).test(line);
for (const { name, value } of settings) {
  const first = lines.findIndex((line) => setsName(line, name));
  if (first === -1) {
    lines.push(`${name}=${value}`);
    continue;
  }
  lines[first] = `${name}=${value}`;
  for (let index = lines.length - 1; index > first; index--) if (setsName(lines[index], name)) lines.splice(index, 1);
}
writeFileSync(path, `${lines.join("\n")}\n`, { mode: 0o600 });
console.log(`Set ${settings.map((setting) => setting.name).join(", ")} in ${path}. Restart \`npm start\` to apply.`);
