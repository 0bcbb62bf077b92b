// The dev-vars file read as wrangler reads it (scripts/dev-vars.mjs, dotenv's parser): `npm start` and
// `npm run send-event` must see the values the Worker sees. Regression (#20 trial): send-event turned every
// \n into a line break, single-quoted values included, so a Google service account's JSON key (whose
// private_key carries \n escapes, pasted in single quotes as docs/ssf.md's local setup says) stopped being
// JSON and send-event refused to send, while the Worker, reading the same file, was configured fine.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readDevVars } from "../../scripts/dev-vars.mjs";

const dir = mkdtempSync(join(tmpdir(), "dev-vars-read-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("readDevVars", () => {
  it("reads a single-quoted value as written and a double-quoted \\n as a line break, as wrangler does", () => {
    const key = { type: "service_account", private_key: "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n" };
    const path = join(dir, ".dev.vars");
    writeFileSync(
      path,
      [
        "# a comment",
        `GOOGLE_SERVICE_ACCOUNT_KEY='${JSON.stringify(key)}'`,
        'OPERATOR_TOKEN="old-token\\nnew-token"',
        "SCIM_TOKEN=plain",
        "WEBHOOK_SECRET_OKTA=",
        "",
      ].join("\n"),
    );
    const vars = readDevVars(path);
    expect(JSON.parse(vars.GOOGLE_SERVICE_ACCOUNT_KEY)).toEqual(key);
    expect(vars.OPERATOR_TOKEN).toBe("old-token\nnew-token");
    expect(vars.SCIM_TOKEN).toBe("plain");
    expect(vars.WEBHOOK_SECRET_OKTA).toBe("");
    expect(Object.keys(vars)).toEqual(["GOOGLE_SERVICE_ACCOUNT_KEY", "OPERATOR_TOKEN", "SCIM_TOKEN", "WEBHOOK_SECRET_OKTA"]);
  });
});
