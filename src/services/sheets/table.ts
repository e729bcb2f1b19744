/**
 * A sheet as a table of one import kind: the header row found among the first rows (below any
 * title or notes), the kind told by its columns, then the data rows one at a time.
 */
import {
  HEADER_SEARCH_ROWS,
  type HeaderMatch,
  type ImportKind,
  matchHeader,
} from "../../domain/importRows.ts";
import type { SheetReader, SheetRow } from "./rows.ts";

export interface SheetTable extends HeaderMatch {
  headerRow: number;
  rows: AsyncIterable<SheetRow>;
  progress(): number;
}

const isEmpty = (row: SheetRow) => row.cells.every((c) => c === null || c === "");

/** The table of this sheet, or null when no header row of a known kind is near its top. */
export async function readTable(
  reader: SheetReader,
  only?: ImportKind,
): Promise<SheetTable | null> {
  const iterator = reader.rows[Symbol.asyncIterator]();
  let header: (HeaderMatch & { headerRow: number }) | null = null;
  for (let seen = 0; seen < HEADER_SEARCH_ROWS && !header; seen++) {
    const next = await iterator.next();
    if (next.done) break;
    const match = matchHeader(next.value.cells, only);
    if (match) header = { ...match, headerRow: next.value.row };
  }
  if (!header) {
    await iterator.return?.();
    return null;
  }
  async function* rows(): AsyncGenerator<SheetRow> {
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      if (!isEmpty(next.value)) yield next.value;
    }
  }
  return { ...header, rows: rows(), progress: reader.progress };
}
