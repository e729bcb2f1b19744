/**
 * What every sheet reader yields: one row at a time, with its 1-based row number as the user
 * sees it in Excel (or the line of a CSV record), and its cells by column. A number stays a
 * number, so a numeric ID cell can be told from a text one (Excel keeps 15 significant digits).
 */
export type SheetCell = string | number | null;

export interface SheetRow {
  row: number;
  cells: SheetCell[];
}

/** A sheet being read: its rows, and how far through the file the reader is (0…1). */
export interface SheetReader {
  rows: AsyncIterable<SheetRow>;
  progress(): number;
}

/** A file to read: on disk, or received in memory (a chat upload). */
export type SheetSource = { name: string; path: string } | { name: string; buffer: Buffer };

/** Raised for a file that is no spreadsheet of a kind we read, or is damaged. */
export class UnreadableSheetError extends Error {
  constructor(readonly problem: "format" | "damaged" | "empty") {
    super(`unreadable sheet: ${problem}`);
    this.name = "UnreadableSheetError";
  }
}
