/**
 * Real-shaped spreadsheet files, made by the tests: .xlsx (shared or inline strings), .xls
 * (BIFF8), CSV in UTF-8 with or without a BOM, and in GBK.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as XLSX from "@e965/xlsx";
import iconv from "iconv-lite";
import { idCheckChar } from "../../src/domain/idNumber.ts";

export type Cell = string | number | null;

const dir = mkdtempSync(join(tmpdir(), "zhtj-sheets-"));
let counter = 0;

export function workbookBuffer(rows: Cell[][], format: "xlsx" | "xls", sharedStrings = true) {
  const sheet = XLSX.utils.aoa_to_sheet(rows);
  const book = XLSX.utils.book_new();
  XLSX.utils.book_append_sheet(book, sheet, "Sheet1");
  return XLSX.write(book, {
    type: "buffer",
    bookType: format === "xls" ? "biff8" : "xlsx",
    bookSST: sharedStrings,
    compression: true,
  }) as Buffer;
}

/** Excel's CSV of a number in a General cell: 12 digits or more in scientific notation. */
function excelNumber(n: number): string {
  if (Math.abs(n) < 1e11) return String(n);
  const [mantissa, exponent] = n.toExponential(5).split("e");
  return `${Number(mantissa)}E+${exponent!.replace("+", "").padStart(2, "0")}`;
}

function csvLine(cells: Cell[]): string {
  return cells
    .map((c) => {
      const text = c === null ? "" : typeof c === "number" ? excelNumber(c) : c;
      return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
    })
    .join(",");
}

export function csvBuffer(rows: Cell[][], encoding: "utf8-bom" | "utf8" | "gbk"): Buffer {
  const text = `${rows.map(csvLine).join("\r\n")}\r\n`;
  if (encoding === "gbk") return iconv.encode(text, "gbk");
  const body = Buffer.from(text, "utf8");
  return encoding === "utf8-bom" ? Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), body]) : body;
}

export type FileFormat = "xlsx" | "xls" | "csv-bom" | "csv-utf8" | "csv-gbk";

/** Writes rows as a file of this format; returns its path. */
export function sheetFile(rows: Cell[][], format: FileFormat, name = "members"): string {
  const ext = format.startsWith("csv") ? "csv" : format;
  const path = join(dir, `${name}-${++counter}.${ext}`);
  const buffer =
    format === "xlsx" || format === "xls"
      ? workbookBuffer(rows, format)
      : csvBuffer(rows, format === "csv-bom" ? "utf8-bom" : format === "csv-gbk" ? "gbk" : "utf8");
  writeFileSync(path, buffer);
  return path;
}

/** A valid ID number born on this date ("YYYYMMDD"), area 140105, sequence `seq`. */
export function idNumber(birth: string, seq: number, area = "140105"): string {
  const first17 = `${area}${birth}${String(seq % 1000).padStart(3, "0")}`;
  return first17 + idCheckChar(first17);
}

/** The same number with a wrong check character. */
export function badChecksum(id: string): string {
  const last = id.at(-1) === "0" ? "1" : "0";
  return id.slice(0, 17) + last;
}
