/**
 * Opens any sheet we read — .xlsx, .xls, .csv — by what the file is, not what it is called:
 * a zip is .xlsx, an OLE2 compound file is .xls, anything else named .xls (智慧团建 and
 * others export HTML tables as .xls) goes to SheetJS too, the rest is CSV.
 */
import { open } from "node:fs/promises";
import { readCsv } from "./readCsv.ts";
import { readXls } from "./readXls.ts";
import { readXlsx } from "./readXlsx.ts";
import { type SheetReader, type SheetSource, UnreadableSheetError } from "./rows.ts";

export type SheetFormat = "xlsx" | "xls" | "csv";

async function headOf(source: SheetSource): Promise<Buffer> {
  if ("buffer" in source) return source.buffer.subarray(0, 8);
  const file = await open(source.path, "r");
  try {
    const head = Buffer.alloc(8);
    const { bytesRead } = await file.read(head, 0, 8, 0);
    return head.subarray(0, bytesRead);
  } finally {
    await file.close();
  }
}

export async function sheetFormat(source: SheetSource): Promise<SheetFormat> {
  const head = await headOf(source);
  if (head.length === 0) throw new UnreadableSheetError("empty");
  if (head[0] === 0x50 && head[1] === 0x4b) return "xlsx";
  if (head[0] === 0xd0 && head[1] === 0xcf && head[2] === 0x11 && head[3] === 0xe0) return "xls";
  return /\.xls$/i.test(source.name) ? "xls" : "csv";
}

export async function openSheet(source: SheetSource): Promise<SheetReader> {
  const format = await sheetFormat(source);
  if (format === "xlsx") return readXlsx(source);
  if (format === "xls") return readXls(source);
  return readCsv(source);
}
