/**
 * Database fixtures. Every database test runs on PGlite, and also on PostgreSQL when
 * TEST_DATABASE_URL is set; each test file gets its own fresh database, so files run in parallel.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import postgres from "postgres";
import { afterAll, beforeAll, beforeEach } from "vitest";
import { type Database, type DbKind, openDatabase } from "../../src/db/client.ts";
import { pgliteTemplatePath, postgresTemplateDb, postgresUrlFor } from "./templates.ts";

export const DB_KINDS: DbKind[] = process.env.TEST_DATABASE_URL
  ? ["pglite", "postgres"]
  : ["pglite"];

export interface TestDatabase extends Database {
  /** The connection string of this file's PostgreSQL database (postgres only). */
  url?: string;
}

/** A fresh, migrated database of the given kind. */
export async function freshDatabase(
  kind: DbKind,
): Promise<TestDatabase & { drop(): Promise<void> }> {
  if (kind === "pglite") {
    const blob = new Blob([readFileSync(pgliteTemplatePath())]);
    const database = await openDatabase({ kind: "pglite", loadDataDir: blob });
    return { ...database, drop: () => database.close() };
  }
  const base = process.env.TEST_DATABASE_URL;
  if (!base) throw new Error("TEST_DATABASE_URL is not set");
  const name = `zhtj_t_${randomBytes(6).toString("hex")}`;
  const admin = postgres(base, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name} template ${postgresTemplateDb()}`);
  await admin.end();
  const url = postgresUrlFor(base, name);
  const database = await openDatabase({ kind: "postgres", url });
  return {
    ...database,
    url,
    async drop() {
      await database.close();
      const cleanup = postgres(base, { max: 1, onnotice: () => {} });
      await cleanup.unsafe(`drop database if exists ${name} with (force)`);
      await cleanup.end();
    },
  };
}

const TABLES_IN_ORDER = [
  "application_history",
  "applications",
  "mark_history",
  "graduation_change_requests",
  "chat_identities",
  "indicator_snapshots",
  "members",
  "admins",
  "organizations",
  "dialog_states",
  "outbox",
  "processed_updates",
  "job_runs",
];

/** Empties every table (and restarts ids) so each test starts from nothing. */
export async function truncateAll(database: Database): Promise<void> {
  const tables = await database.query<{ tablename: string }>(
    "select tablename from pg_tables where schemaname = 'public'",
  );
  const names = tables.map((t) => t.tablename);
  const ordered = [
    ...TABLES_IN_ORDER.filter((t) => names.includes(t)),
    ...names.filter((t) => !TABLES_IN_ORDER.includes(t)),
  ];
  await database.query(
    `truncate ${ordered.map((t) => `"${t}"`).join(", ")} restart identity cascade`,
  );
}

/**
 * Registers hooks that open a fresh database for this describe block and empty it before each
 * test. Read `.current` inside tests.
 */
export function useTestDatabase(kind: DbKind, options: { truncate?: boolean } = {}) {
  const holder: { current: TestDatabase } = { current: undefined as unknown as TestDatabase };
  let drop: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const database = await freshDatabase(kind);
    drop = database.drop;
    holder.current = database;
  });
  if (options.truncate !== false) beforeEach(() => truncateAll(holder.current));
  afterAll(async () => {
    await drop?.();
  });
  return holder;
}
