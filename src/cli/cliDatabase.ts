/**
 * What every operator command needs before it works: the configuration, the data directory's
 * lock (PGlite: one process at a time), the secret keys (ID numbers are sealed, R4), the
 * database migrated and the reference data loaded. Every failure is one localized line.
 */
import { type Config, ConfigError, loadConfig } from "../config.ts";
import { type Database, openDatabase } from "../db/client.ts";
import { loadReferenceData } from "../db/demo/referenceData.ts";
import { runMigrations } from "../db/migrate.ts";
import { DataDirLockedError, lockDataDir } from "../db/pidLock.ts";
import { installConfiguredKeys } from "../db/secretKey.ts";
import { translator } from "../i18n.ts";

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** What to say about an unexpected failure: its code or first line, never its stack. */
export function reasonOf(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
  return typeof code === "string" && code !== "" ? `${code}: ${message}` : (message ?? "");
}

export interface CliDatabaseOptions<A> {
  /**
   * Reads the command's arguments once the configuration is known, before the data directory
   * is locked or the database opened: a usage error or `--help` ends the command with `exit`.
   */
  parseArgs?: (config: Config) => { ok: true; args: A } | { ok: false; exit: number };
  /** The command's own lines for a database it cannot open and a failure (`{{reason}}`). */
  messages?: { noDatabase: string; failed: string };
}

export async function withCliDatabase<A = undefined>(
  work: (database: Database, config: Config, args: A) => Promise<number>,
  options: CliDatabaseOptions<A> = {},
): Promise<number> {
  const messages = options.messages ?? {
    noDatabase: "import:cli.noDatabase",
    failed: "import:cli.failed",
  };
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return EXIT.usage;
    }
    throw error;
  }
  const t = translator(config.defaultLocale);
  const parsed = options.parseArgs?.(config) ?? { ok: true, args: undefined as A };
  if (!parsed.ok) return parsed.exit;
  let release = () => {};
  try {
    if (config.database.kind === "pglite") release = lockDataDir(config.dataDir);
  } catch (error) {
    if (!(error instanceof DataDirLockedError)) throw error;
    process.stderr.write(`${t("startup.dataDirLocked", { dir: error.dir, pid: error.pid })}\n`);
    return EXIT.failed;
  }
  let database: Database | undefined;
  try {
    try {
      installConfiguredKeys(config.secretKey, config.dataDir);
      database = await openDatabase(config.database);
      await runMigrations(
        database,
        config.database.kind === "postgres" ? config.database.url : undefined,
      );
      await loadReferenceData(database.db);
    } catch (error) {
      process.stderr.write(`${t(messages.noDatabase, { reason: reasonOf(error) })}\n`);
      return EXIT.failed;
    }
    return await work(database, config, parsed.args);
  } catch (error) {
    process.stderr.write(`${t(messages.failed, { reason: reasonOf(error) })}\n`);
    return EXIT.failed;
  } finally {
    await database?.close().catch(() => {});
    release();
  }
}
