/**
 * The sheet writer (issue 18): one table → .xlsx or CSV. Every export goes through here, so
 * the rules that protect the data hold in one place:
 * - ID numbers, codes and phone numbers are `text` columns: an .xlsx string cell with the text
 *   format "@", because Excel keeps 15 significant digits and would silently ruin an 18-digit
 *   ID number stored as a number (and a retyped cell would turn into one).
 * - The header row is frozen and repeated on every printed page; widths are measured from the
 *   header and the first rows (a streamed sheet's widths must be written before its rows).
 * - CSV starts with a BOM (Excel opens BOM-less UTF-8 as the local code page) and a text cell
 *   that begins like a formula (= + - @ tab CR) is prefixed with "'" (CSV injection: a name
 *   imported from someone else's sheet must not run as a formula on the reader's machine).
 *   An .xlsx string cell is never a formula, so it needs no prefix.
 * - Rows come from an (async) iterable and are written as they come: memory stays bounded by
 *   the measuring window, except for sheets with images (exceljs' streaming writer cannot
 *   anchor images to cells), which are built in memory — those are one branch's members.
 */
import type { Writable } from "node:stream";
import { PassThrough } from "node:stream";
import { stringify } from "csv-stringify";
import type ExcelJS from "exceljs";

/** exceljs is loaded on the first sheet written: it would be ~25 MB resident from start-up. */
const excel = async () => (await import("exceljs")).default;

export type SheetFormat = "xlsx" | "csv";

/** How a column's values are stored. `image` is a PNG; CSV leaves image columns out. */
export type ColumnKind = "text" | "integer" | "percent" | "datetime" | "date" | "image";

export type CellValue = string | number | Date | Uint8Array | null;

export interface SheetColumn<Row> {
  header: string;
  kind: ColumnKind;
  value: (row: Row) => CellValue;
  /** A minimum width in characters (a CJK character counts 2). */
  minWidth?: number;
}

export interface SheetSpec<Row> {
  /** The worksheet's name (Excel allows 31 characters, none of \ / ? * [ ] :). */
  name: string;
  /** An optional title line above the header (e.g. "通报 — 截至 2026-10-01"). */
  title?: string;
  columns: readonly SheetColumn<Row>[];
  /** Dates are shown as wall-clock time of this zone (Excel has no time zones). */
  timeZone: string;
  /** Printable sheets get landscape pages fitted to one page wide. */
  printable?: boolean;
}

/** Rows whose widths are measured before the streamed sheet's columns are written. */
const MEASURE_ROWS = 200;
const MAX_WIDTH = 60;
const IMAGE_PX = 120;

export const SHEET_MIME: Record<SheetFormat, string> = {
  xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  csv: "text/csv; charset=utf-8",
};

/** Writes `rows` as one sheet to `out` (which is ended). */
export async function writeSheet<Row>(
  format: SheetFormat,
  spec: SheetSpec<Row>,
  rows: Iterable<Row> | AsyncIterable<Row>,
  out: Writable,
): Promise<void> {
  if (format === "csv") return writeCsv(spec, rows, out);
  if (spec.columns.some((c) => c.kind === "image")) return writeXlsxInMemory(spec, rows, out);
  return writeXlsxStreaming(spec, rows, out);
}

/** The same, collected into a buffer (for a chat file, which is sent whole). */
export async function sheetBuffer<Row>(
  format: SheetFormat,
  spec: SheetSpec<Row>,
  rows: Iterable<Row> | AsyncIterable<Row>,
): Promise<Buffer> {
  const sink = new PassThrough();
  const chunks: Buffer[] = [];
  sink.on("data", (chunk: Buffer) => chunks.push(chunk));
  const ended = new Promise<void>((resolve, reject) => {
    sink.on("end", resolve);
    sink.on("error", reject);
  });
  await writeSheet(format, spec, rows, sink);
  await ended;
  return Buffer.concat(chunks);
}

// --- CSV -----------------------------------------------------------------------------------

const FORMULA_START = /^[=+\-@\t\r]/;

async function writeCsv<Row>(
  spec: SheetSpec<Row>,
  rows: Iterable<Row> | AsyncIterable<Row>,
  out: Writable,
): Promise<void> {
  const columns = spec.columns.filter((c) => c.kind !== "image");
  const stringifier = stringify({ bom: true, record_delimiter: "\r\n" });
  const done = finished(out);
  stringifier.pipe(out);
  const write = async (record: string[]) => {
    if (!stringifier.write(record)) await once(stringifier, "drain");
  };
  await write(columns.map((c) => c.header));
  for await (const row of rows) {
    await write(columns.map((c) => csvCell(c, c.value(row), spec.timeZone)));
  }
  stringifier.end();
  await done;
}

function csvCell<Row>(column: SheetColumn<Row>, value: CellValue, timeZone: string): string {
  if (value === null) return "";
  if (value instanceof Date) return formatWallClock(value, timeZone, column.kind === "date");
  if (value instanceof Uint8Array) return "";
  if (typeof value === "number") {
    return column.kind === "percent" ? `${(value * 100).toFixed(1)}%` : String(value);
  }
  return FORMULA_START.test(value) ? `'${value}` : value;
}

// --- .xlsx ---------------------------------------------------------------------------------

const NUM_FMT: Record<ColumnKind, string | undefined> = {
  text: "@",
  integer: "0",
  percent: "0.0%",
  datetime: "yyyy-mm-dd hh:mm",
  date: "yyyy-mm-dd",
  image: undefined,
};

async function writeXlsxStreaming<Row>(
  spec: SheetSpec<Row>,
  rows: Iterable<Row> | AsyncIterable<Row>,
  out: Writable,
): Promise<void> {
  const done = finished(out);
  const { stream } = await excel();
  const workbook = new stream.xlsx.WorkbookWriter({
    stream: out,
    useStyles: true,
    useSharedStrings: false,
  });
  const sheet = workbook.addWorksheet(safeSheetName(spec.name), sheetOptions(spec));
  const iterator = toAsyncIterator(rows);
  const window: CellValue[][] = [];
  while (window.length < MEASURE_ROWS) {
    const next = await iterator.next();
    if (next.done) break;
    window.push(spec.columns.map((c) => c.value(next.value)));
  }
  setColumns(sheet, spec, window);
  writeHeader(sheet, spec);
  for (const values of window) sheet.addRow(xlsxValues(values, spec)).commit();
  for (;;) {
    const next = await iterator.next();
    if (next.done) break;
    sheet
      .addRow(
        xlsxValues(
          spec.columns.map((c) => c.value(next.value)),
          spec,
        ),
      )
      .commit();
  }
  sheet.commit();
  await workbook.commit();
  await done;
}

async function writeXlsxInMemory<Row>(
  spec: SheetSpec<Row>,
  rows: Iterable<Row> | AsyncIterable<Row>,
  out: Writable,
): Promise<void> {
  const { Workbook } = await excel();
  const workbook = new Workbook();
  const sheet = workbook.addWorksheet(safeSheetName(spec.name), sheetOptions(spec));
  const all: CellValue[][] = [];
  for await (const row of rows) all.push(spec.columns.map((c) => c.value(row)));
  setColumns(sheet, spec, all.slice(0, MEASURE_ROWS));
  writeHeader(sheet, spec);
  for (const values of all) {
    const row = sheet.addRow(xlsxValues(values, spec));
    values.forEach((value, index) => {
      if (!(value instanceof Uint8Array)) return;
      // exceljs declares its own Buffer type (an ArrayBuffer); it takes Node's Buffer at run time.
      const buffer = Buffer.from(value) as unknown as ExcelJS.Image["buffer"];
      const image = workbook.addImage({ buffer, extension: "png" });
      // Rows are 0-based here; a small inset keeps the image inside its cell's borders.
      sheet.addImage(image, {
        tl: { col: index + 0.1, row: row.number - 1 + 0.1 },
        ext: { width: IMAGE_PX, height: IMAGE_PX },
        editAs: "oneCell",
      });
      row.height = IMAGE_PX * 0.75 + 8; // points: 1 px = 0.75 pt
    });
  }
  const done = finished(out);
  await workbook.xlsx.write(out);
  out.end();
  await done;
}

function sheetOptions<Row>(spec: SheetSpec<Row>): Partial<ExcelJS.AddWorksheetOptions> {
  const headerRow = spec.title ? 2 : 1;
  return {
    views: [{ state: "frozen", ySplit: headerRow, xSplit: 0 }],
    pageSetup: {
      orientation: spec.printable ? "landscape" : "portrait",
      fitToPage: Boolean(spec.printable),
      fitToWidth: 1,
      fitToHeight: 0,
      printTitlesRow: `${headerRow}:${headerRow}`,
      paperSize: 9, // A4
    },
  };
}

type AnySheet = ExcelJS.Worksheet;

function setColumns<Row>(sheet: AnySheet, spec: SheetSpec<Row>, sample: CellValue[][]): void {
  sheet.columns = spec.columns.map((column, index) => {
    let width = Math.max(displayWidth(column.header), column.minWidth ?? 0);
    if (column.kind === "image") width = Math.max(width, IMAGE_PX / 7 + 2);
    else {
      for (const values of sample) {
        width = Math.max(width, displayWidth(shownText(column, values[index] ?? null)));
      }
    }
    const numFmt = NUM_FMT[column.kind];
    return {
      key: `c${index}`,
      width: Math.min(MAX_WIDTH, width + 2),
      ...(numFmt ? { style: { numFmt } } : {}),
    };
  });
}

function writeHeader<Row>(sheet: AnySheet, spec: SheetSpec<Row>): void {
  if (spec.title) {
    const titleRow = sheet.addRow([spec.title]);
    titleRow.font = { bold: true, size: 14 };
    sheet.mergeCells(1, 1, 1, Math.max(1, spec.columns.length));
    titleRow.commit();
  }
  const header = sheet.addRow(spec.columns.map((c) => c.header));
  header.font = { bold: true };
  header.alignment = { vertical: "middle", wrapText: true };
  header.eachCell((cell) => {
    cell.fill = { type: "pattern", pattern: "solid", fgColor: { argb: "FFE8EEF7" } };
    cell.border = { bottom: { style: "thin" } };
    // A header cell is text whatever its column holds.
    cell.numFmt = "@";
  });
  header.commit();
}

function xlsxValues<Row>(values: CellValue[], spec: SheetSpec<Row>): ExcelJS.CellValue[] {
  return values.map((value, index) => {
    if (value === null || value instanceof Uint8Array) return null;
    if (value instanceof Date) return wallClockAsUtc(value, spec.timeZone);
    const column = spec.columns[index];
    // A number in a text column is written as text (an ID number must never become a number).
    if (column?.kind === "text" && typeof value === "number") return String(value);
    return value;
  });
}

function shownText<Row>(column: SheetColumn<Row>, value: CellValue): string {
  if (value === null || value instanceof Uint8Array) return "";
  if (value instanceof Date) return column.kind === "date" ? "0000-00-00" : "0000-00-00 00:00";
  if (typeof value === "number" && column.kind === "percent") return "100.0%";
  return String(value);
}

/** Terminal-ish width: CJK and full-width characters take two columns. */
export function displayWidth(text: string): number {
  let width = 0;
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    width += code >= 0x1100 && isWide(code) ? 2 : 1;
  }
  return width;
}

function isWide(code: number): boolean {
  return (
    (code >= 0x1100 && code <= 0x115f) ||
    (code >= 0x2e80 && code <= 0xa4cf) ||
    (code >= 0xac00 && code <= 0xd7a3) ||
    (code >= 0xf900 && code <= 0xfaff) ||
    (code >= 0xfe30 && code <= 0xfe4f) ||
    (code >= 0xff00 && code <= 0xff60) ||
    (code >= 0xffe0 && code <= 0xffe6) ||
    code >= 0x20000
  );
}

function safeSheetName(name: string): string {
  return name.replace(/[\\/?*[\]:]/g, "_").slice(0, 31) || "Sheet1";
}

// --- time zones ----------------------------------------------------------------------------

function wallClockParts(date: Date, timeZone: string): Record<string, number> {
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).formatToParts(date);
  const result: Record<string, number> = {};
  for (const part of parts) if (part.type !== "literal") result[part.type] = Number(part.value);
  return result;
}

/** exceljs stores a Date by its UTC fields: give it the zone's wall clock as UTC fields. */
function wallClockAsUtc(date: Date, timeZone: string): Date {
  const p = wallClockParts(date, timeZone);
  return new Date(
    Date.UTC(
      p.year ?? 1970,
      (p.month ?? 1) - 1,
      p.day ?? 1,
      p.hour ?? 0,
      p.minute ?? 0,
      p.second ?? 0,
    ),
  );
}

export function formatWallClock(date: Date, timeZone: string, dateOnly = false): string {
  const p = wallClockParts(date, timeZone);
  const two = (n: number | undefined) => String(n ?? 0).padStart(2, "0");
  const day = `${p.year}-${two(p.month)}-${two(p.day)}`;
  return dateOnly ? day : `${day} ${two(p.hour)}:${two(p.minute)}`;
}

// --- streams -------------------------------------------------------------------------------

function finished(stream: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.once("finish", resolve);
    stream.once("close", resolve);
    stream.once("error", reject);
  });
}

function once(emitter: NodeJS.EventEmitter, event: string): Promise<void> {
  return new Promise((resolve) => emitter.once(event, () => resolve()));
}

function toAsyncIterator<T>(rows: Iterable<T> | AsyncIterable<T>): AsyncIterator<T> {
  if (Symbol.asyncIterator in rows) return rows[Symbol.asyncIterator]();
  const sync = rows[Symbol.iterator]();
  return { next: async () => sync.next() };
}
