/**
 * Legacy .xls (智慧团建's import template is one) through SheetJS, republished as `@e965/xlsx`
 * 0.20.3 (npm's `xlsx` is frozen at 0.18.5 with known CVEs). A BIFF8 sheet holds at most
 * 65,536 rows, so reading the workbook whole is bounded; rows are yielded one at a time.
 */
import { readFile } from "node:fs/promises";
import type * as XLSX from "@e965/xlsx";
import { type SheetCell, type SheetReader, type SheetRow, UnreadableSheetError } from "./rows.ts";

export async function readXls(source: { path: string } | { buffer: Buffer }): Promise<SheetReader> {
  const buffer = "path" in source ? await readFile(source.path) : source.buffer;
  // Loaded for an .xls only: SheetJS is ~30 MB resident, and most files are .xlsx or CSV.
  const { read } = await import("@e965/xlsx");
  let workbook: XLSX.WorkBook;
  try {
    workbook = read(buffer, { type: "buffer", dense: true, cellDates: false, raw: true });
  } catch {
    throw new UnreadableSheetError("damaged");
  }
  const name = workbook.SheetNames[0];
  const sheet = name ? workbook.Sheets[name] : undefined;
  if (!sheet) throw new UnreadableSheetError("empty");
  const data = (sheet["!data"] ?? []) as (XLSX.CellObject | undefined)[][];
  let done = 0;
  async function* rows(): AsyncGenerator<SheetRow> {
    for (let r = 0; r < data.length; r++) {
      done = r;
      const line = data[r];
      if (!line) continue;
      const cells: SheetCell[] = [];
      for (let c = 0; c < line.length; c++) {
        const cell = line[c];
        if (!cell || cell.v === undefined || cell.v === null) cells.push(null);
        else if (cell.t === "n") cells.push(Number(cell.v));
        else if (cell.t === "b") cells.push(cell.v ? "TRUE" : "FALSE");
        else if (cell.t === "e") cells.push(null);
        else cells.push(String(cell.v));
      }
      yield { row: r + 1, cells };
    }
    done = data.length;
  }
  return { rows: rows(), progress: () => (data.length === 0 ? 1 : done / data.length) };
}
