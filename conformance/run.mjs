// `npm run conformance -- --microsoft PATH --okta PATH`: runs the two public SCIM suites that real
// implementers run against a fresh `wrangler dev` (a new local store each run), and prints their results.
// - Microsoft's SCIM reference Postman collection (AzureAD/SCIMReferenceCode PostmanCollection.json),
//   run with newman, folders as listed below, "Get Token" skipped.
// - Okta's "SCIM 2.0 SPEC Test" (the Runscope export, Okta-SCIM-20-SPEC-Test.json), executed step by step
//   by okta-spec.mjs. The suite expects the server to hold at least one user before its first step, as an
//   app would after Okta's first assignment; this runner creates one realistic user first.
// Neither suite is committed here: pass the paths of copies you obtained (see README "SCIM conformance").
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import newman from "newman";
import { startLocalWorker } from "../scripts/local-worker.mjs";
import { runOktaSpecTest } from "./okta-spec.mjs";

const MICROSOFT_FOLDERS = ["Endpoint tests", "User tests", "User tests with garbage", "Group tests", "Group tests with garbage", "Teardown garbage"];
const TOKEN = "conformance-scim-token";

const { values } = parseArgs({ options: { microsoft: { type: "string" }, okta: { type: "string" } } });
if (!values.microsoft && !values.okta) {
  console.error("usage: npm run conformance -- --microsoft PostmanCollection.json --okta Okta-SCIM-20-SPEC-Test.json");
  process.exit(2);
}

async function withFreshWorker(run) {
  const dir = mkdtempSync(join(tmpdir(), "access-revoker-conformance-"));
  const devVars = join(dir, ".dev.vars");
  writeFileSync(
    devVars,
    [`SCIM_TOKEN=${TOKEN}`, "OPERATOR_TOKEN=conformance-operator", "DRY_RUN=true", "CF_ACCOUNT_ID=0123456789abcdef0123456789abcdef"].join("\n"),
  );
  const worker = await startLocalWorker({ devVarsPath: devVars, persistTo: join(dir, "state") });
  try {
    return await run(worker.url);
  } finally {
    await worker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function runMicrosoft(url, collection) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    newman.run(
      {
        collection,
        folder: MICROSOFT_FOLDERS,
        reporters: ["cli"],
        envVar: [
          { key: "Protocol", value: "http" },
          { key: "Server", value: hostname },
          { key: "Port", value: `:${port}` },
          { key: "Api", value: "scim/v2" },
          { key: "token", value: TOKEN },
        ],
        // The collection authenticates with {{token}} as a bearer token.
      },
      (error, summary) => (error ? reject(error) : resolve(summary)),
    );
  });
}

let failed = false;
if (values.microsoft) {
  const summary = await withFreshWorker((url) => runMicrosoft(url, values.microsoft));
  const { assertions, requests } = summary.run.stats;
  console.log(
    `Microsoft SCIM collection: ${requests.total} requests, ${assertions.total - assertions.failed} of ${assertions.total} assertions passed`,
  );
  if (assertions.failed > 0 || summary.run.failures.length > 0) failed = true;
}
if (values.okta) {
  const results = await withFreshWorker((url) => runOktaSpecTest(values.okta, `${url}/scim/v2`, `Bearer ${TOKEN}`));
  for (const result of results)
    console.log(`${result.passed ? "PASS" : "FAIL"}  ${result.note}${result.passed ? "" : `: ${result.failures.join("; ")}`}`);
  const passed = results.filter((result) => result.passed).length;
  console.log(`Okta SCIM 2.0 SPEC Test: ${passed} of ${results.length} passed`);
  if (passed !== results.length) failed = true;
}
process.exit(failed ? 1 : 0);
