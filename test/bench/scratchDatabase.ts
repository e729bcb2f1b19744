/**
 * A PostgreSQL database made for one benchmark and dropped after it, on the server at
 * `BENCH_DATABASE_URL` (default: the local one).
 */
import postgres from "postgres";
import { postgresUrlFor } from "../helpers/templates.ts";

export async function withScratchDatabase<T>(
  name: string,
  run: (url: string) => Promise<T>,
): Promise<T> {
  const base = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
  const admin = postgres(base, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists ${name} with (force)`);
  await admin.unsafe(`create database ${name}`);
  try {
    return await run(postgresUrlFor(base, name));
  } finally {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}
