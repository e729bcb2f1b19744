/**
 * What an import says to people, in every channel and at the CLI: the preview (counts, the
 * refused rows with row, column and reason, the moves), refusals, the refused-rows sheet and
 * the templates. One place, so the chat and the terminal say the same.
 */
import type { TFunction } from "i18next";
import type { Queryable } from "../db/client.ts";
import { columnsOf, type ImportKind, REQUIRED_COLUMNS } from "../domain/importRows.ts";
import { allRows, type ListedRow, listRows } from "../services/imports/listRows.ts";
import type { ImportPreview, ImportRefusal } from "../services/imports/types.ts";
import { type SheetFormat, sheetBuffer } from "../services/sheets/write.ts";
import { formatTime } from "./format.ts";

/** How many refused rows and moves a chat message lists; the file has them all. */
export const PREVIEW_ROWS = 10;

export function columnName(t: TFunction, kind: ImportKind, column: string | null): string {
  return column ? t(`import:column.${kind}.${column}`) : "";
}

export function problemText(t: TFunction, row: ListedRow): string {
  return row.problem ? t(`import:problem.${row.problem}`, { ...(row.detail ?? {}) }) : "";
}

export function importRefusalText(t: TFunction, refusal: ImportRefusal, timezone: string): string {
  const params: Record<string, string | number> = {};
  if (refusal.reason === "lookup_limit") {
    params.max = refusal.max;
    params.retryAt = formatTime(refusal.retryAt, timezone);
  }
  if (refusal.reason === "wrong_state") params.state = t(`import:state.${refusal.state}`);
  if (refusal.reason === "undo_blocked") params.count = refusal.count;
  return t(`import:refusal.${refusal.reason}`, params);
}

/** The preview as lines of text: title, counts, the first refused rows and moves. */
export async function previewText(
  t: TFunction,
  db: Queryable,
  preview: ImportPreview,
): Promise<string> {
  const { counts, kind } = preview;
  const lines = [
    t("import:preview.title", { kind: t(`import:kind.${kind}`), file: preview.fileName }),
    t("import:preview.counts", { ...counts }),
  ];
  const moved =
    counts.move > 0
      ? await listRows(db, preview.importId, { actions: ["move"], limit: PREVIEW_ROWS })
      : [];
  for (const r of moved)
    lines.push(
      t("import:preview.movedRow", {
        row: r.rowNo,
        name: r.name,
        id: r.maskedId,
        from: r.from,
        to: r.target,
      }),
    );
  const refused =
    counts.refused > 0
      ? await listRows(db, preview.importId, { actions: ["refused"], limit: PREVIEW_ROWS })
      : [];
  for (const r of refused)
    lines.push(
      t("import:preview.refusedRow", {
        row: r.rowNo,
        column: columnName(t, kind, r.column),
        reason: problemText(t, r),
      }),
    );
  if (counts.refused > refused.length)
    lines.push(t("import:preview.more", { count: counts.refused - refused.length }));
  if (counts.add + counts.change + counts.move === 0) lines.push(t("import:preview.nothing"));
  return lines.join("\n");
}

/** Every refused row as an .xlsx: row number, column, reason, name and masked ID number. */
export function refusedRowsSheet(
  t: TFunction,
  db: Queryable,
  preview: Pick<ImportPreview, "importId" | "kind">,
  timeZone: string,
) {
  return sheetBuffer(
    "xlsx",
    {
      name: t("import:refusedSheet.name"),
      timeZone,
      columns: [
        { header: t("import:refusedSheet.row"), kind: "integer", value: (r: ListedRow) => r.rowNo },
        {
          header: t("import:refusedSheet.column"),
          kind: "text",
          value: (r: ListedRow) => columnName(t, preview.kind, r.column),
        },
        {
          header: t("import:refusedSheet.reason"),
          kind: "text",
          value: (r: ListedRow) => problemText(t, r),
          minWidth: 40,
        },
        { header: t("import:refusedSheet.name_"), kind: "text", value: (r: ListedRow) => r.name },
        { header: t("import:refusedSheet.id"), kind: "text", value: (r: ListedRow) => r.maskedId },
      ],
    },
    allRows(db, preview.importId, ["refused"]),
  );
}

/** The template of a kind: a title line, the header (required columns marked *), an example. */
export function templateSheet(
  t: TFunction,
  kind: ImportKind,
  format: SheetFormat,
): Promise<Buffer> {
  const required = new Set<string>(REQUIRED_COLUMNS[kind]);
  const example = t(`import:template.example.${kind}`, { returnObjects: true }) as string[];
  return sheetBuffer(
    format,
    {
      name: t(`import:kind.${kind}`),
      ...(format === "xlsx" ? { title: t(`import:template.title.${kind}`) } : {}),
      timeZone: "UTC",
      columns: columnsOf(kind).map((key, i) => ({
        header: `${columnName(t, kind, key)}${required.has(key) ? "*" : ""}`,
        kind: "text" as const,
        value: (row: string[]) => row[i] ?? null,
      })),
    },
    [example],
  );
}
