/**
 * Builds one migrated template per database kind, once per run: a dumped PGlite data directory
 * (a fresh PGlite costs seconds of initdb) and a PostgreSQL template database.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import type { PGlite } from "@electric-sql/pglite";
import postgres from "postgres";
import { openDatabase } from "../../src/db/client.ts";
import { runMigrations } from "../../src/db/migrate.ts";
import {
  ARTIFACTS_DIR,
  pgliteTemplatePath,
  postgresTemplateDb,
  postgresUrlFor,
} from "./templates.ts";

export default async function setup() {
  process.env.ZHTJ_TEST_RUN = String(process.pid);
  const PGLITE_TEMPLATE = pgliteTemplatePath();
  const POSTGRES_TEMPLATE_DB = postgresTemplateDb();
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const pglite = await openDatabase({ kind: "pglite" });
  await runMigrations(pglite);
  const raw = (pglite.db as unknown as { $client: PGlite }).$client;
  const dump = await raw.dumpDataDir("gzip");
  writeFileSync(PGLITE_TEMPLATE, Buffer.from(await dump.arrayBuffer()));
  await pglite.close();

  const base = process.env.TEST_DATABASE_URL;
  const teardown = async () => {
    rmSync(PGLITE_TEMPLATE, { force: true });
    if (!base) return;
    const admin = postgres(base, { max: 1, onnotice: () => {} });
    await admin.unsafe(`drop database if exists ${POSTGRES_TEMPLATE_DB} with (force)`);
    await admin.end();
  };
  if (!base) return teardown;
  const admin = postgres(base, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`drop database if exists ${POSTGRES_TEMPLATE_DB} with (force)`);
    await admin.unsafe(`create database ${POSTGRES_TEMPLATE_DB}`);
  } finally {
    await admin.end();
  }
  const url = postgresUrlFor(base, POSTGRES_TEMPLATE_DB);
  const template = await openDatabase({ kind: "postgres", url, max: 1 });
  await runMigrations(template, url);
  await template.close();
  return teardown;
}
