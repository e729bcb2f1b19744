import { describe, expect, it } from "vitest";
import { openDatabase } from "../../src/db/client.ts";
import { runMigrations } from "../../src/db/migrate.ts";
import { DB_KINDS, useTestDatabase } from "../helpers/db.ts";

const EXPECTED_TABLES = [
  "admins",
  "binding_attempts",
  "binding_codes",
  "dialog_actions",
  "webchat_inbox",
  "application_history",
  "applications",
  "chat_identities",
  "dialog_states",
  "graduation_change_requests",
  "indicator_snapshots",
  "job_runs",
  "mark_history",
  "members",
  "organizations",
  "outbox",
  "processed_updates",
];

describe.each(DB_KINDS)("migrations on %s", (kind) => {
  const database = useTestDatabase(kind);

  it("create every table of the domain store", async () => {
    const rows = await database.current.query<{ tablename: string }>(
      "select tablename from pg_tables where schemaname = 'public' order by tablename",
    );
    expect(rows.map((r) => r.tablename)).toEqual([...EXPECTED_TABLES].sort());
  });

  it("apply again without changing anything", async () => {
    await runMigrations(database.current, database.current.url);
    const rows = await database.current.query<{ n: number }>(
      "select count(*)::int as n from drizzle.__drizzle_migrations",
    );
    expect(rows[0]?.n).toBeGreaterThan(0);
  });

  it.runIf(kind === "postgres")("survive four copies migrating at once", async () => {
    const url = database.current.url!;
    await database.current.query("drop schema public cascade");
    await database.current.query("drop schema drizzle cascade");
    await database.current.query("create schema public");
    const copies = await Promise.all(
      [1, 2, 3, 4].map(() => openDatabase({ kind: "postgres", url, max: 1 })),
    );
    try {
      await Promise.all(copies.map((copy) => runMigrations(copy, url)));
    } finally {
      await Promise.all(copies.map((copy) => copy.close()));
    }
    const rows = await database.current.query<{ n: number }>(
      "select count(*)::int as n from pg_tables where schemaname = 'public'",
    );
    expect(rows[0]?.n).toBe(EXPECTED_TABLES.length);
  });
});
