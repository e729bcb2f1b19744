/**
 * `npm run admin -- create --org PATH --name NAME [--phone PHONE]`: an admin and their one-time
 * binding code, printed once (src/services/firstAdmin.ts). The way into an empty installation.
 */
import { parseArgs } from "node:util";
import { loadConfig } from "../config.ts";
import { formatTime } from "../dialogs/format.ts";
import { parsePath } from "../domain/importRows.ts";
import { translator } from "../i18n.ts";
import { createAdminWithCode } from "../services/firstAdmin.ts";
import { EXIT, withCliDatabase } from "./cliDatabase.ts";

async function main(): Promise<number> {
  const locale = (() => {
    try {
      return loadConfig().defaultLocale;
    } catch {
      return "zh-CN" as const;
    }
  })();
  const t = translator(locale);
  let values: { org?: string; name?: string; phone?: string; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: process.argv.slice(2),
      options: {
        org: { type: "string" },
        name: { type: "string" },
        phone: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      allowPositionals: true,
    }));
  } catch {
    process.stderr.write(`${t("import:admin.usage")}\n`);
    return EXIT.usage;
  }
  if (values.help || positionals[0] !== "create") {
    (values.help ? process.stdout : process.stderr).write(`${t("import:admin.usage")}\n`);
    return values.help ? EXIT.ok : EXIT.usage;
  }
  const orgPath = values.org ? parsePath(values.org) : null;
  if (!orgPath || !values.name) {
    process.stderr.write(`${t("import:admin.missing")}\n${t("import:admin.usage")}\n`);
    return EXIT.usage;
  }
  return withCliDatabase(async (database, config) => {
    const result = await createAdminWithCode(database.db, {
      orgPath,
      name: values.name!,
      phone: values.phone?.trim() || null,
      now: new Date(),
    });
    if (!result.ok) {
      process.stderr.write(`${t(`import:admin.${result.reason}`, { org: values.org })}\n`);
      return EXIT.failed;
    }
    const params = { name: values.name!.trim(), org: result.orgName };
    process.stdout.write(
      `${t(result.created ? "import:admin.created" : "import:admin.existing", params)}\n`,
    );
    process.stdout.write(
      `${t("import:admin.code", { code: result.code, expires: formatTime(result.expiresAt, config.timezone) })}\n`,
    );
    return EXIT.ok;
  });
}

process.exitCode = await main();
