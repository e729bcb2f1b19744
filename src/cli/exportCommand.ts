/**
 * What `npm run export` does once it has a database: parse the options, find the organization,
 * and stream the export to a file (or stdout). The operator is no admin: ID numbers are masked
 * unless `--full-ids` is given for a leading organ's export (R4); binding codes are issued in a
 * private chat only. Every refusal is one localized message and an exit code, never a trace.
 */
import type { Writable } from "node:stream";
import { parseArgs } from "node:util";
import type { Db } from "../db/client.ts";
import type { Season } from "../domain/calendar.ts";
import { INDICATORS, type Indicator } from "../domain/indicators.ts";
import { type Locale, translator } from "../i18n.ts";
import {
  type ExportKind,
  exportFileName,
  operatorViewer,
  refusalFor,
  streamExport,
} from "../services/exports/index.ts";
import { loadOrg } from "../services/orgStore.ts";
import type { SheetFormat } from "../services/sheets/write.ts";
import { EXIT } from "./digestCommand.ts";
import { organizationArgument } from "./orgArgument.ts";

/** The command line's names of the kinds (the chat offers binding codes as well). */
const KINDS: Record<string, ExportKind> = {
  "to-enter": "toEnter",
  ranking: "ranking",
  pending: "pending",
  history: "history",
};

export interface ExportOptions {
  kind: ExportKind;
  org: string;
  out: string | null;
  format: SheetFormat;
  by: Indicator;
  fullIds: boolean;
}

export type ParsedExport =
  | { ok: true; options: ExportOptions }
  | { ok: false; message: string; help?: boolean };

export function parseExportArgs(argv: string[], locale: Locale): ParsedExport {
  const t = translator(locale);
  const usage = t("export:cli.usage");
  const wrong = (key: string, params: Record<string, string> = {}): ParsedExport => ({
    ok: false,
    message: `${t(`export:cli.${key}`, params)}\n${usage}`,
  });
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        org: { type: "string" },
        out: { type: "string" },
        format: { type: "string" },
        by: { type: "string" },
        "full-ids": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: true,
    });
  } catch (error) {
    const quoted = /'([^']+)'/.exec((error as Error).message)?.[1] ?? "";
    if ((error as { code?: string }).code === "ERR_PARSE_ARGS_UNKNOWN_OPTION")
      return wrong("unknownOption", { option: quoted });
    return wrong("badArguments");
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.help) return { ok: false, message: usage, help: true };
  const [name, ...extra] = parsed.positionals;
  if (name === "codes") return { ok: false, message: t("export:cli.codesInChat") };
  const kind = name ? KINDS[name] : undefined;
  if (!kind || extra.length > 0) return wrong("unknownKind", { kind: name ?? "" });
  const org = typeof values.org === "string" ? values.org.trim() : "";
  if (org === "") return wrong("orgRequired");
  const out = typeof values.out === "string" && values.out.trim() ? values.out.trim() : null;
  const format =
    (values.format as string | undefined) ?? (out?.toLowerCase().endsWith(".csv") ? "csv" : "xlsx");
  if (format !== "xlsx" && format !== "csv") return wrong("badFormat");
  const by = (values.by as string | undefined) ?? "xs";
  if (!(INDICATORS as readonly string[]).includes(by)) return wrong("badBy");
  return {
    ok: true,
    options: { kind, org, out, format, by: by as Indicator, fullIds: values["full-ids"] === true },
  };
}

export interface ExportOutput {
  out(text: string): void;
  err(text: string): void;
  /** Where the file goes: the named file, or a made-up name in the working directory. */
  open(path: string): Writable;
}

export async function runExport(
  db: Db,
  options: ExportOptions,
  context: { season: Season; locale: Locale; now: Date; output: ExportOutput },
): Promise<number> {
  const { season, locale, now, output } = context;
  const t = translator(locale);
  const found = await organizationArgument(db, options.org, t);
  if (!found.ok) {
    output.err(found.message);
    return EXIT.failed;
  }
  const org = await loadOrg(db, found.org.id);
  if (!org) {
    output.err(t("digest:cli.unknownOrg", { query: options.org }));
    return EXIT.failed;
  }
  const viewer = operatorViewer(org, options.fullIds);
  // Refused before a file is made, so a refusal leaves nothing behind.
  const refused = refusalFor(options.kind, viewer, false);
  if (refused) {
    output.err(t(`export:chat.refused.${refused}`));
    return EXIT.failed;
  }
  if (options.fullIds && !viewer.fullIds) output.err(t("export:cli.fullIdsRefused"));
  const request = {
    kind: options.kind,
    format: options.format,
    locale,
    now,
    season,
    by: options.by,
  };
  const file = options.out ?? exportFileName(options.kind, org, request);
  const result = await streamExport(db, viewer, request, output.open(file));
  if (!result.ok) {
    output.err(t(`export:chat.refused.${result.reason}`));
    return EXIT.failed;
  }
  output.out(t("export:cli.written", { file, count: result.rows }));
  return EXIT.ok;
}
