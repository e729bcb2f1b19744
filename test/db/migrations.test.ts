import { getTableName, is } from "drizzle-orm";
import { PgTable } from "drizzle-orm/pg-core";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../../src/db/client.ts";
import { runMigrations } from "../../src/db/migrate.ts";
import * as schema from "../../src/db/schema.ts";
import { DB_KINDS, useTestDatabase } from "../helpers/db.ts";

/** Every table the schema declares: the migrations must create exactly these. */
const EXPECTED_TABLES = Object.values(schema)
  .filter((value) => is(value, PgTable))
  .map((table) => getTableName(table as PgTable))
  .sort();

describe.each(DB_KINDS)("migrations on %s", (kind) => {
  const database = useTestDatabase(kind);

  it("create every table of the domain store", async () => {
    const rows = await database.current.query<{ tablename: string }>(
      "select tablename from pg_tables where schemaname = 'public' order by tablename",
    );
    expect(EXPECTED_TABLES.length).toBeGreaterThan(20);
    expect(rows.map((r) => r.tablename)).toEqual(EXPECTED_TABLES);
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
