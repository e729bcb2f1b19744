/**
 * `npm run digest -- --org <name or id> [--date YYYY-MM-DD] [--chart FILE.png]`: prints the daily
 * digest an organization's chats would get, in the default locale, and sends nothing. Every
 * failure is one localized line and an exit code (src/cli/digestCommand.ts), never a trace.
 */
import { writeFileSync } from "node:fs";
import { ConfigError, loadConfig } from "../config.ts";
import { type Database, openDatabase } from "../db/client.ts";
import { runMigrations } from "../db/migrate.ts";
import { DataDirLockedError, lockDataDir } from "../db/pidLock.ts";
import { seasonFor } from "../domain/calendar.ts";
import { translator } from "../i18n.ts";
import { EXIT, parseDigestArgs, runDigest } from "./digestCommand.ts";

/** What to say about an unexpected failure: its code or first line, never its stack. */
function reasonOf(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
  return typeof code === "string" && code !== "" ? `${code}: ${message}` : (message ?? "");
}

async function main(): Promise<number> {
  let config: ReturnType<typeof loadConfig>;
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
  const parsed = parseDigestArgs(
    process.argv.slice(2),
    new Date(),
    config.timezone,
    config.defaultLocale,
  );
  if (!parsed.ok) {
    (parsed.help ? process.stdout : process.stderr).write(`${parsed.message}\n`);
    return parsed.help ? EXIT.ok : EXIT.usage;
  }
  let release = () => {};
  try {
    // PGlite: one process per data directory, so the running app must be stopped first.
    if (config.database.kind === "pglite") release = lockDataDir(config.dataDir);
  } catch (error) {
    if (!(error instanceof DataDirLockedError)) throw error;
    process.stderr.write(`${t("startup.dataDirLocked", { dir: error.dir, pid: error.pid })}\n`);
    return EXIT.failed;
  }
  let database: Database | undefined;
  try {
    try {
      database = await openDatabase(config.database);
      await runMigrations(
        database,
        config.database.kind === "postgres" ? config.database.url : undefined,
      );
    } catch (error) {
      process.stderr.write(`${t("digest:cli.noDatabase", { reason: reasonOf(error) })}\n`);
      return EXIT.failed;
    }
    const season = seasonFor(
      config.graduationYear,
      config.timezone,
      config.seasonOverrides,
      config.targetDefaults,
    );
    return await runDigest(database.db, parsed.options, {
      season,
      locale: config.defaultLocale,
      output: {
        out: (text) => process.stdout.write(`${text}\n`),
        err: (text) => process.stderr.write(`${text}\n`),
        writeFile: (path, data) => writeFileSync(path, data),
      },
    });
  } catch (error) {
    process.stderr.write(`${t("digest:cli.failed", { reason: reasonOf(error) })}\n`);
    return EXIT.failed;
  } finally {
    await database?.close().catch(() => {});
    release();
  }
}

process.exitCode = await main().catch((error: unknown) => {
  process.stderr.write(`${reasonOf(error)}\n`);
  return EXIT.failed;
});
