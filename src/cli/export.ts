/**
 * `npm run export -- KIND --org <name or id> [--out FILE] [--format xlsx|csv] [--by RATE]
 * [--full-ids]`: writes an export (SPEC §7) to a file, streamed, in the default locale. Every
 * failure is one localized line and an exit code (src/cli/exportCommand.ts), never a trace.
 */
import { createWriteStream } from "node:fs";
import { ConfigError, loadConfig } from "../config.ts";
import { type Database, openDatabase } from "../db/client.ts";
import { runMigrations } from "../db/migrate.ts";
import { DataDirLockedError, lockDataDir } from "../db/pidLock.ts";
import { installSecretKeys } from "../db/sealing.ts";
import { keyFromDataDir, keyFromHex } from "../db/secretKey.ts";
import { seasonFor } from "../domain/calendar.ts";
import { translator } from "../i18n.ts";
import { EXIT } from "./digestCommand.ts";
import { parseExportArgs, runExport } from "./exportCommand.ts";

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
  const parsed = parseExportArgs(process.argv.slice(2), config.defaultLocale);
  if (!parsed.ok) {
    (parsed.help ? process.stdout : process.stderr).write(`${parsed.message}\n`);
    return parsed.help ? EXIT.ok : EXIT.usage;
  }
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
    // ID numbers are sealed at rest (R4): the export opens them with the app's key.
    installSecretKeys({
      current: config.secretKey.current
        ? keyFromHex(config.secretKey.current)
        : keyFromDataDir(config.dataDir),
      previous: config.secretKey.previous ? keyFromHex(config.secretKey.previous) : null,
    });
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
    return await runExport(database.db, parsed.options, {
      season,
      locale: config.defaultLocale,
      now: new Date(),
      output: {
        out: (text) => process.stdout.write(`${text}\n`),
        err: (text) => process.stderr.write(`${text}\n`),
        open: (path) => createWriteStream(path),
      },
    });
  } catch (error) {
    process.stderr.write(`${t("export:cli.failed", { reason: reasonOf(error) })}\n`);
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
