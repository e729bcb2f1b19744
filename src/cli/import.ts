/**
 * `npm run import -- FILE... [--org PATH] [--kind KIND] [--apply]`: previews each file (a
 * progress bar on stderr: rows read, refused, rate, ETA), prints what it would change and its
 * refused rows, writes every refused row to FILE.refused.xlsx, and with --apply applies each
 * preview in one transaction. `--undo ID` undoes an import; `--template members.xlsx` writes a
 * template. The operator imports anywhere (or below --org); admins import in chat.
 */
import { existsSync, writeFileSync } from "node:fs";
import { basename } from "node:path";
import { parseArgs } from "node:util";
import cliProgress from "cli-progress";
import { configuredSeason, loadConfig } from "../config.ts";
import {
  importRefusalText,
  previewText,
  refusedRowsSheet,
  templateSheet,
} from "../dialogs/importText.ts";
import { IMPORT_KINDS, type ImportKind, parsePath } from "../domain/importRows.ts";
import { type Locale, translator } from "../i18n.ts";
import {
  applyImport,
  type ImportActor,
  previewImport,
  undoImport,
} from "../services/imports/index.ts";
import { EXIT, withCliDatabase } from "./cliDatabase.ts";

const locale: Locale = (() => {
  try {
    return loadConfig().defaultLocale;
  } catch {
    return "zh-CN";
  }
})();
const t = translator(locale);
const out = (text: string) => process.stdout.write(`${text}\n`);
const err = (text: string) => process.stderr.write(`${text}\n`);

async function writeTemplate(file: string): Promise<number> {
  const m = /(members|organizations|admins)\.(xlsx|csv)$/i.exec(basename(file));
  if (!m) {
    err(t("import:cli.badTemplate"));
    return EXIT.usage;
  }
  const kind = m[1]!.toLowerCase() as ImportKind;
  writeFileSync(file, await templateSheet(t, kind, m[2]!.toLowerCase() as "xlsx" | "csv"));
  out(t("import:cli.templateWritten", { file }));
  return EXIT.ok;
}

async function main(): Promise<number> {
  let values: {
    org?: string;
    kind?: string;
    apply?: boolean;
    undo?: string;
    template?: string;
    help?: boolean;
  };
  let files: string[];
  try {
    ({ values, positionals: files } = parseArgs({
      args: process.argv.slice(2),
      options: {
        org: { type: "string" },
        kind: { type: "string" },
        apply: { type: "boolean" },
        undo: { type: "string" },
        template: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      allowPositionals: true,
    }));
  } catch (error) {
    err(
      `${t("import:cli.unknownOption", { option: (error as Error).message })}\n${t("import:cli.usage")}`,
    );
    return EXIT.usage;
  }
  if (values.help) {
    out(t("import:cli.usage"));
    return EXIT.ok;
  }
  if (values.template) return writeTemplate(values.template);
  const kind = values.kind as ImportKind | undefined;
  if (kind && !IMPORT_KINDS.includes(kind)) {
    err(t("import:cli.badKind"));
    return EXIT.usage;
  }
  const undoId = values.undo ? Number(values.undo) : null;
  if (undoId === null && files.length === 0) {
    err(`${t("import:cli.noFiles")}\n${t("import:cli.usage")}`);
    return EXIT.usage;
  }
  for (const file of files) {
    if (!existsSync(file)) {
      err(t("import:cli.noFile", { file }));
      return EXIT.usage;
    }
  }
  const actor: ImportActor = {
    kind: "operator",
    scopePath: values.org ? parsePath(values.org) : null,
  };
  return withCliDatabase(async (database, config) => {
    const db = database.db;
    if (undoId !== null) {
      const undone = await undoImport(db, { importId: undoId, actor, now: new Date() });
      if (!undone.ok) {
        err(importRefusalText(t, undone, config.timezone));
        return EXIT.failed;
      }
      out(t("import:cli.undone", { id: undoId }));
      return EXIT.ok;
    }
    const season = configuredSeason(config);
    let code: number = EXIT.ok;
    for (const file of files) {
      const started = Date.now();
      const bar = new cliProgress.SingleBar(
        {
          format: t("import:cli.bar", { file: basename(file) }),
          stream: process.stderr,
          etaBuffer: 20,
          hideCursor: true,
          noTTYOutput: true,
          notTTYSchedule: 2000,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(1000, 0, { rows: 0, refused: 0, rate: 0 });
      const preview = await previewImport(db, {
        source: { name: basename(file), path: file },
        actor,
        season,
        now: new Date(),
        ...(kind ? { kind } : {}),
        onProgress: (p) => {
          const seconds = Math.max(0.001, (Date.now() - started) / 1000);
          bar.update(Math.round(p.fraction * 1000), {
            rows: p.rowsRead,
            refused: p.refused,
            rate: Math.round(p.rowsRead / seconds),
          });
        },
      });
      bar.stop();
      if (!preview.ok) {
        err(`${basename(file)}: ${importRefusalText(t, preview, config.timezone)}`);
        code = EXIT.failed;
        continue;
      }
      out(await previewText(t, db, preview));
      out(t("import:cli.importId", { id: preview.importId }));
      if (preview.counts.refused > 0) {
        const refusedFile = `${file.replace(/\.(xlsx|xls|csv)$/i, "")}.refused.xlsx`;
        writeFileSync(refusedFile, await refusedRowsSheet(t, db, preview, config.timezone));
        out(t("import:cli.refusedWritten", { file: refusedFile }));
      }
      if (!values.apply) {
        out(t("import:cli.previewOnly"));
        continue;
      }
      const applied = await applyImport(db, { importId: preview.importId, actor, now: new Date() });
      if (!applied.ok) {
        err(importRefusalText(t, applied, config.timezone));
        code = EXIT.failed;
        continue;
      }
      out(t("import:cli.applied", { id: preview.importId }));
    }
    return code;
  });
}

process.exitCode = await main();
