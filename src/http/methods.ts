// Which methods a path answers, from the app's own route table: what a 405's `Allow` header lists, so a
// wrong method gets the same answer on every surface. Middleware (registered for every method) does not
// count. Contract: pure over the routes; the matcher is built once per isolate.
import type { Hono } from "hono";
import { TrieRouter } from "hono/router/trie-router";

// biome-ignore lint/suspicious/noExplicitAny: any app's route table reads the same
type AnyHono = Hono<any>;

const matchers = new WeakMap<AnyHono, { router: TrieRouter<string>; methods: string[] }>();

function matcherOf(app: AnyHono) {
  let matcher = matchers.get(app);
  if (!matcher) {
    const router = new TrieRouter<string>();
    const methods = new Set<string>();
    for (const route of app.routes) {
      if (route.method === "ALL") continue;
      router.add(route.method, route.path, route.method);
      methods.add(route.method);
    }
    matcher = { router, methods: [...methods] };
    matchers.set(app, matcher);
  }
  return matcher;
}

/** The methods some route of `app` answers at `path` (HEAD wherever GET is); empty when no route has the path. */
export function allowedMethods(app: AnyHono, path: string): string[] {
  const { router, methods } = matcherOf(app);
  const allowed = methods.filter((method) => router.match(method, path)[0].length > 0);
  if (allowed.includes("GET")) allowed.push("HEAD");
  return allowed;
}
