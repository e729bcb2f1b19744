/**
 * `npm run export -- KIND --org <name or id> [--out FILE] [--format xlsx|csv] [--by RATE]
 * [--full-ids]`: writes an export (SPEC §7) to a file, streamed, in the default locale. Every
 * failure is one localized line and an exit code (src/cli/exportCommand.ts), never a trace.
 */
import { createWriteStream } from "node:fs";
import { configuredSeason } from "../config.ts";
import { reasonOf, withCliDatabase } from "./cliDatabase.ts";
import { EXIT } from "./digestCommand.ts";
import { type ExportOptions, parseExportArgs, runExport } from "./exportCommand.ts";

function main(): Promise<number> {
  return withCliDatabase<ExportOptions>(
    (database, config, options) =>
      runExport(database.db, options, {
        season: configuredSeason(config),
        locale: config.defaultLocale,
        now: new Date(),
        output: {
          out: (text) => process.stdout.write(`${text}\n`),
          err: (text) => process.stderr.write(`${text}\n`),
          open: (path) => createWriteStream(path),
        },
      }),
    {
      parseArgs: (config) => {
        const parsed = parseExportArgs(process.argv.slice(2), config.defaultLocale);
        if (parsed.ok) return { ok: true, args: parsed.options };
        (parsed.help ? process.stdout : process.stderr).write(`${parsed.message}\n`);
        return { ok: false, exit: parsed.help ? EXIT.ok : EXIT.usage };
      },
      messages: { noDatabase: "digest:cli.noDatabase", failed: "export:cli.failed" },
    },
  );
}

process.exitCode = await main().catch((error: unknown) => {
  process.stderr.write(`${reasonOf(error)}\n`);
  return EXIT.failed;
});
