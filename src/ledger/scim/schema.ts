// The table scim/ alone writes: scim_resources, SCIM Users and Groups as sent (minus password); unique_key is
// the lower-cased userName (RFC 7643: userName is unique and caseExact false) or, for groups, the id. Each
// entry below is this folder's part of one version of the ledger's ordered migrations (migrations.ts); never
// edit one that has shipped, add a new version.

export const SCIM_MIGRATIONS = {
  v1: `
CREATE TABLE IF NOT EXISTS scim_resources (
  kind TEXT NOT NULL,
  id TEXT NOT NULL,
  unique_key TEXT NOT NULL,
  active INTEGER NOT NULL,
  resource TEXT NOT NULL,
  created INTEGER NOT NULL,
  modified INTEGER NOT NULL,
  version INTEGER NOT NULL,
  PRIMARY KEY (kind, id)
);
CREATE UNIQUE INDEX IF NOT EXISTS scim_users_by_user_name ON scim_resources (unique_key) WHERE kind = 'User';
CREATE INDEX IF NOT EXISTS scim_resources_by_created ON scim_resources (kind, created, id);
`,
} as const;

export type ScimRow = {
  kind: "User" | "Group";
  id: string;
  unique_key: string;
  active: number;
  resource: string;
  created: number;
  modified: number;
  version: number;
};
