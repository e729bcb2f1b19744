/**
 * `npm run digest -- --org <id> [--date YYYY-MM-DD]`: prints the daily digest an organization's
 * chats would get, in the default locale, and sends nothing.
 */
import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "../config.ts";
import { openDatabase } from "../db/client.ts";
import { runMigrations } from "../db/migrate.ts";
import { DataDirLockedError, lockDataDir } from "../db/pidLock.ts";
import { digestFor, digestReply } from "../dialogs/digest.ts";
import { renderMessage, translate } from "../dialogs/render.ts";
import { dayIn, seasonFor } from "../domain/calendar.ts";
import { translator } from "../i18n.ts";

async function main(): Promise<number> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const t = translator(config.defaultLocale);
  const { values } = parseArgs({
    options: { org: { type: "string" }, date: { type: "string" } },
    strict: true,
  });
  const orgId = Number(values.org);
  if (!Number.isInteger(orgId) || (values.date && !/^\d{4}-\d{2}-\d{2}$/.test(values.date))) {
    process.stderr.write(`${t("digest:cli.usage")}\n`);
    return 2;
  }
  let release = () => {};
  try {
    // PGlite: one process per data directory, so the running app must be stopped first.
    if (config.database.kind === "pglite") release = lockDataDir(config.dataDir);
  } catch (error) {
    if (!(error instanceof DataDirLockedError)) throw error;
    process.stderr.write(`${t("startup.dataDirLocked", { dir: error.dir, pid: error.pid })}\n`);
    return 1;
  }
  const database = await openDatabase(config.database);
  try {
    await runMigrations(
      database,
      config.database.kind === "postgres" ? config.database.url : undefined,
    );
    const season = seasonFor(config.graduationYear, config.timezone, config.seasonOverrides);
    const now = new Date();
    const day = values.date ?? dayIn(now, config.timezone);
    const digest = await digestFor(database.db, orgId, day, now, season);
    if (!digest) {
      process.stderr.write(`${t("digest:cli.unknownOrg", { id: orgId })}\n`);
      return 1;
    }
    const reply = digestReply(digest, season);
    const tr = translate(config.defaultLocale);
    const buttons = (reply.buttons ?? []).map((row) =>
      row.map((b) => `[${tr(b.label)}]`).join(" "),
    );
    process.stdout.write(`${[renderMessage(tr, reply.text), ...buttons].join("\n")}\n`);
    return 0;
  } finally {
    await database.close();
    release();
  }
}

process.exitCode = await main();
