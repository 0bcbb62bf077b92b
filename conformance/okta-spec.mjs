// Executes Okta's Runscope export ("Okta SCIM 2.0 SPEC Test") step by step: request steps with their
// headers and bodies, Runscope assertions (response_status, response_json properties, response_time)
// and variables; pause steps are skipped. Variables the Runscope environment would define are generated.
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";

function read(json, property) {
  let current = json;
  for (const part of property.replace(/\[(\d+)\]/g, ".$1").split(".")) {
    if (current === null || current === undefined) return undefined;
    current = current[part];
  }
  return current;
}

function notEmpty(value) {
  return !(value === undefined || value === null || value === "" || value === false || (Array.isArray(value) && value.length === 0));
}

function check(assertion, response, json, elapsed, substitute) {
  const expected = assertion.value === null ? null : substitute(String(assertion.value));
  const actual =
    assertion.source === "response_status"
      ? response.status
      : assertion.source === "response_time"
        ? elapsed
        : assertion.property
          ? read(json, assertion.property)
          : JSON.stringify(json); // Runscope: an empty property is the whole body
  switch (assertion.comparison) {
    case "equal_number":
      return Number(actual) === Number(expected);
    case "equal":
      return String(actual) === expected;
    case "not_empty":
      return notEmpty(actual);
    case "has_value":
    case "contains":
      return Array.isArray(actual) ? actual.includes(expected) : String(actual ?? "").includes(expected);
    case "is_a_number":
      return typeof actual === "number";
    case "is_less_than":
      return Number(actual) < Number(expected);
    default:
      throw new Error(`unsupported Runscope comparison ${assertion.comparison}`);
  }
}

export async function runOktaSpecTest(path, baseUrl, auth) {
  const suite = JSON.parse(readFileSync(path, "utf8"));
  const given = `Given${randomUUID().slice(0, 6)}`;
  const family = `Family${randomUUID().slice(0, 6)}`;
  const username = `runscope${randomUUID().slice(0, 8)}@atko.com`;
  const variables = {
    SCIMBaseURL: baseUrl,
    auth,
    InvalidUserEmail: `invalid-${randomUUID()}@example.com`,
    UserIdThatDoesNotExist: randomUUID(),
    randomEmail: `random-${randomUUID().slice(0, 8)}@atko.com`,
    randomUsername: username,
    randomUsernameCaps: username.toUpperCase(),
    randomGivenName: given,
    randomFamilyName: family,
  };
  const substitute = (text) => text.replace(/\{\{(\w+)\}\}/g, (_, name) => variables[name] ?? `{{${name}}}`);

  // The suite's first step reads an existing user; an app has one after Okta's first assignment.
  await fetch(`${baseUrl}/Users`, {
    method: "POST",
    headers: { Authorization: auth, "Content-Type": "application/scim+json" },
    body: JSON.stringify({
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
      userName: `seed-${randomUUID().slice(0, 8)}@atko.com`,
      name: { givenName: "Seed", familyName: "User" },
      emails: [{ primary: true, value: `seed-${randomUUID().slice(0, 8)}@atko.com`, type: "work" }],
      active: true,
    }),
  });

  const results = [];
  for (const step of suite.steps) {
    if (step.step_type !== "request" || step.skipped) continue;
    const headers = {};
    for (const [name, list] of Object.entries(step.headers ?? {})) headers[name] = substitute(list[0]);
    const started = Date.now();
    const response = await fetch(substitute(step.url).replace(/ /g, "%20").replace(/"/g, "%22"), {
      method: step.method,
      headers,
      body: step.body ? substitute(step.body) : undefined,
    });
    const elapsed = Date.now() - started;
    const text = await response.text();
    let json = null;
    try {
      json = JSON.parse(text);
    } catch {}
    const failures = [];
    for (const assertion of step.assertions ?? []) {
      if (!check(assertion, response, json, elapsed, substitute)) {
        failures.push(`${assertion.comparison} ${assertion.property ?? assertion.source} ${assertion.value ?? ""} (got status ${response.status})`);
      }
    }
    for (const variable of step.variables ?? []) variables[variable.name] = String(read(json, variable.property));
    results.push({ note: step.note.trim(), passed: failures.length === 0, failures });
  }
  return results;
}
