/**
 * `npm run digest -- --org <name or id> [--date YYYY-MM-DD] [--chart FILE.png]`: prints the daily
 * digest an organization's chats would get, in the default locale, and sends nothing. Every
 * failure is one localized line and an exit code (src/cli/digestCommand.ts), never a trace.
 */
import { writeFileSync } from "node:fs";
import { configuredSeason } from "../config.ts";
import { reasonOf, withCliDatabase } from "./cliDatabase.ts";
import { type DigestOptions, EXIT, parseDigestArgs, runDigest } from "./digestCommand.ts";

function main(): Promise<number> {
  return withCliDatabase<DigestOptions>(
    (database, config, options) =>
      runDigest(database.db, options, {
        season: configuredSeason(config),
        locale: config.defaultLocale,
        output: {
          out: (text) => process.stdout.write(`${text}\n`),
          err: (text) => process.stderr.write(`${text}\n`),
          writeFile: (path, data) => writeFileSync(path, data),
        },
      }),
    {
      parseArgs: (config) => {
        const parsed = parseDigestArgs(
          process.argv.slice(2),
          new Date(),
          config.timezone,
          config.defaultLocale,
        );
        if (parsed.ok) return { ok: true, args: parsed.options };
        (parsed.help ? process.stdout : process.stderr).write(`${parsed.message}\n`);
        return { ok: false, exit: parsed.help ? EXIT.ok : EXIT.usage };
      },
      messages: { noDatabase: "digest:cli.noDatabase", failed: "digest:cli.failed" },
    },
  );
}

process.exitCode = await main().catch((error: unknown) => {
  process.stderr.write(`${reasonOf(error)}\n`);
  return EXIT.failed;
});
