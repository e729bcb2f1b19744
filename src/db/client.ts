/**
 * One database type for both drivers: the embedded PGlite (a directory, or memory) and
 * PostgreSQL through postgres.js. Everything above this module sees only `Db`.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, renameSync, rmdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { setFlagsFromString } from "node:v8";
import type { SQL } from "drizzle-orm";
import {
  type PgDatabase,
  PgDialect,
  type PgQueryResultHKT,
  PgTransaction,
} from "drizzle-orm/pg-core";
import { drizzle as drizzlePostgres, PostgresJsSession } from "drizzle-orm/postgres-js";
import postgres from "postgres";

/**
 * No relational schema is given to drizzle: nothing uses `db.query.*`, and drizzle builds one
 * query builder per table for every transaction it opens when it has one.
 */
export type Db = PgDatabase<PgQueryResultHKT>;
/** A transaction handle: the same query API as `Db`. */
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];
/** Either: read helpers work inside and outside a transaction. */
export type Queryable = Db | Tx;
export type DbKind = "pglite" | "postgres";

export interface Database {
  db: Db;
  kind: DbKind;
  /** Runs raw SQL and returns its rows, whichever driver is underneath. */
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

export type DatabaseTarget =
  | { kind: "postgres"; url: string; max?: number }
  | { kind: "pglite"; dataDir?: string; loadDataDir?: Blob };

/**
 * The embedded database lives inside this process: PostgreSQL's default 128 MB of shared
 * buffers would be most of the app's memory, for data that fits in a few megabytes.
 */
const PGLITE_SETTINGS = ["shared_buffers = 16MB"];

/**
 * Creates a PGlite data directory in a short-lived child process: the instance that runs initdb
 * keeps initdb's memory (about 500 MB here) for as long as it lives, closed or not. It is made
 * beside its place and renamed into it when complete, so a crash on a first start leaves
 * nothing half made behind: the next start makes it again.
 */
async function initDataDir(dataDir: string): Promise<void> {
  const staging = `${dataDir}.init`;
  rmSync(staging, { recursive: true, force: true });
  const pglite = import.meta.resolve("@electric-sql/pglite");
  const script = `const { PGlite } = await import(${JSON.stringify(pglite)});
    const db = new PGlite({ dataDir: process.argv[1] }); await db.waitReady; await db.close();`;
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", script, staging], {
      stdio: ["ignore", "ignore", "inherit"],
    });
    child.once("error", reject);
    child.once("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`creating the database in ${staging} failed`)),
    );
  });
  // An empty directory in the way (made by hand, or by an older version) is replaced.
  if (existsSync(dataDir)) rmdirSync(dataDir);
  renameSync(staging, dataDir);
}

export async function openDatabase(target: DatabaseTarget): Promise<Database> {
  if (target.kind === "postgres") {
    const client = postgres(target.url, {
      max: target.max ?? 10,
      // A lost server answers a connect at once; an unreachable one would hold every query 30 s.
      connect_timeout: 10,
      onnotice: () => {},
      connection: { application_name: "zhtj-bot" },
    });
    const db = drizzlePostgres(alwaysPrepared(client)) as unknown as Db;
    return {
      db,
      kind: "postgres",
      query: async <T>(text: string, params: unknown[] = []) =>
        (await client.unsafe(text, params as never[])) as unknown as T[],
      close: () => client.end({ timeout: 5 }),
    };
  }
  if (target.dataDir && !existsSync(join(target.dataDir, "PG_VERSION"))) {
    mkdirSync(dirname(target.dataDir), { recursive: true });
    await initDataDir(target.dataDir);
  }
  // PGlite's WebAssembly stays on V8's baseline compiler: optimizing its hot functions kept
  // about 55 MB more resident for good (measured: 185 → 131 MB for an open database), while
  // the baseline code runs single-row writes no slower and aggregates about 30% slower. It
  // must be set before the module is compiled; it touches nothing but WebAssembly.
  setFlagsFromString("--liftoff-only");
  // Loaded only for the embedded database: a copy on PostgreSQL never holds PGlite's code.
  const [{ PGlite }, { drizzle: drizzlePglite }] = await Promise.all([
    import("@electric-sql/pglite"),
    import("drizzle-orm/pglite"),
  ]);
  const client = new PGlite({
    ...(target.dataDir ? { dataDir: target.dataDir } : {}),
    ...(target.loadDataDir ? { loadDataDir: target.loadDataDir } : {}),
    postgresqlconf: PGLITE_SETTINGS,
  });
  await client.waitReady;
  const db = drizzlePglite(client) as unknown as Db;
  return {
    db,
    kind: "pglite",
    query: async <T>(text: string, params: unknown[] = []) =>
      (await client.query<T>(text, params)).rows,
    close: () => client.close(),
  };
}

/**
 * drizzle sends every unnamed query unprepared, so PostgreSQL parses and plans it on every call;
 * our statements are few and repeat, so each connection prepares each once (postgres.js keeps
 * them per connection, keyed by their text). Transactions and savepoints get their own scoped
 * client from postgres.js, wrapped the same way.
 */
function alwaysPrepared(client: postgres.Sql): postgres.Sql {
  const scoped =
    (open: (...args: unknown[]) => unknown) =>
    (...args: unknown[]) => {
      const work = args.pop() as (inner: postgres.Sql) => unknown;
      return open(...args, (inner: postgres.Sql) => work(alwaysPrepared(inner)));
    };
  return new Proxy(client, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      switch (property) {
        case "unsafe":
          return (query: string, params?: never[], options?: postgres.UnsafeQueryOptions) =>
            target.unsafe(query, params, { ...options, prepare: true });
        case "begin":
        case "savepoint":
          return scoped(value.bind(target));
        default:
          return value;
      }
    },
  });
}

/**
 * The database could not be reached: the connection dropped, was refused or timed out, or the
 * server is shutting down or starting. Nothing of the failed work was committed, and the same
 * work can be tried again later: HTTP edges answer 503, so platforms send it again.
 */
export class DatabaseUnavailableError extends Error {
  constructor(cause: unknown) {
    super("the database is unavailable", { cause });
    this.name = "DatabaseUnavailableError";
  }
}

/** postgres.js's own codes for a connection it lost or could not make. */
const DRIVER_CODES = new Set([
  "CONNECTION_CLOSED",
  "CONNECTION_DESTROYED",
  "CONNECTION_ENDED",
  "CONNECT_TIMEOUT",
]);
/** Socket errors of a server that is gone or unreachable. */
const SOCKET_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);
/** SQLSTATEs of a server that is shutting down, crashed, starting or full. */
const SERVER_STATES = new Set(["57P01", "57P02", "57P03", "53300"]);

/**
 * The one place that tells a lost database from every other failure: the typed error for one
 * (whichever driver, however drizzle wrapped it), or null.
 */
export function databaseUnavailable(error: unknown): DatabaseUnavailableError | null {
  for (let e: unknown = error; e; e = (e as { cause?: unknown }).cause) {
    if (e instanceof DatabaseUnavailableError) return e;
    const code = (e as { code?: unknown }).code;
    if (typeof code !== "string") continue;
    if (DRIVER_CODES.has(code) || SOCKET_CODES.has(code) || SERVER_STATES.has(code))
      return new DatabaseUnavailableError(error);
    // Class 08: connection exception.
    if (/^08[0-9A-Z]{3}$/.test(code)) return new DatabaseUnavailableError(error);
  }
  return null;
}

/** True for a unique-constraint violation from either driver (drizzle may wrap the error). */
export function isUniqueViolation(error: unknown): boolean {
  for (let e: unknown = error; e; e = (e as { cause?: unknown }).cause) {
    if ((e as { code?: unknown }).code === "23505") return true;
  }
  return false;
}

/**
 * The columns of a hand-written statement that need reading as a type, not as the driver gives
 * them: a timestamp arrives as text on postgres.js (drizzle turns its parsers off) and as a
 * `Date` on PGlite, so a column named here reaches callers as a `Date` on both. Only columns
 * the row type declares as dates may be named.
 */
export type Columns<T> = { [K in keyof T]?: NonNullable<T[K]> extends Date ? "date" : never };

function typed<T>(rows: T[], columns: Columns<T> | undefined): T[] {
  if (!columns) return rows;
  const dates = Object.keys(columns) as (keyof T & string)[];
  for (const row of rows) {
    const cells = row as Record<string, unknown>;
    for (const column of dates) {
      const value = cells[column];
      if (value !== null && value !== undefined && !(value instanceof Date))
        cells[column] = new Date(value as string);
    }
  }
  return rows;
}

/** Rows of a `db.execute()` result (postgres.js gives an array, PGlite `{ rows }`), typed. */
export function rowsOf<T>(result: unknown, columns?: Columns<T>): T[] {
  const rows = Array.isArray(result) ? result : ((result as { rows?: T[] }).rows ?? []);
  return typed(rows as T[], columns);
}

/**
 * Runs a hand-written statement and returns its rows (name the columns as the caller wants
 * them; name its timestamps in `columns`). For the statements of every dialog turn and
 * decision: the query builder spends up to a quarter of a millisecond composing a wide select,
 * a template almost nothing.
 */
export async function query<T>(db: Queryable, statement: SQL, columns?: Columns<T>): Promise<T[]> {
  // On PostgreSQL the driver runs it directly: drizzle's own execute path (tracing spans, cache
  // hooks, a prepared-query object per call) cost more than the round trip's own work.
  const { session } = db._;
  if (session instanceof PostgresJsSession) {
    const { sql: text, params } = dialect.sqlToQuery(statement);
    const rows = (await session.client.unsafe(text, params as never[])) as unknown as T[];
    return typed(rows, columns);
  }
  return rowsOf<T>(await db.execute(statement), columns);
}

const dialect = new PgDialect();

/**
 * Runs `work` in a transaction: a new one, or the caller's when `db` already is one. Only for
 * work that writes nothing before it may refuse and that catches no database error, since there
 * is no savepoint to roll back to.
 */
export function atomically<T>(db: Db, work: (tx: Tx) => Promise<T>): Promise<T> {
  return db instanceof PgTransaction ? work(db as Tx) : db.transaction(work);
}
