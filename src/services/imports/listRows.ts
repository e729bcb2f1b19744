/**
 * The rows of an import as people read them: refused ones with their column and reason, moves
 * with where from, in row order, a page at a time (the chat shows a few; the refused-rows file
 * and the CLI walk them all). ID numbers come back masked (R4).
 */
import { sql } from "drizzle-orm";
import { type Queryable, query } from "../../db/client.ts";
import { openIdNumber } from "../../db/sealing.ts";
import { maskIdNumber } from "../../domain/idNumber.ts";
import type { ImportAction, ImportRowProblem } from "../../domain/importRows.ts";

export interface ListedRow {
  rowNo: number;
  action: ImportAction;
  column: string | null;
  problem: ImportRowProblem | null;
  detail: Record<string, string | number> | null;
  name: string | null;
  maskedId: string | null;
  /** The branch or organization the row names, and where a moved member comes from. */
  target: string | null;
  from: string | null;
}

export async function listRows(
  db: Queryable,
  importId: number,
  options: { actions: readonly ImportAction[]; afterRow?: number; limit: number },
): Promise<ListedRow[]> {
  const rows = await query<Omit<ListedRow, "maskedId"> & { idSealed: string | null }>(
    db,
    sql`select r.row_no as "rowNo", r.action, r.problem_column as "column", r.problem, r.detail,
          r.name, r.id_sealed as "idSealed", t.name as target, f.name as "from"
        from import_rows r
        left join organizations t on t.id = r.target_id
        left join organizations f on r.action = 'move' and f.id = (r.previous->>'branchId')::int
        where r.import_id = ${importId} and r.action = any(${sql.param([...options.actions])}::text[])
          and r.row_no > ${options.afterRow ?? 0}
        order by r.row_no limit ${options.limit}`,
  );
  return rows.map(({ idSealed, ...r }) => ({
    ...r,
    maskedId: idSealed ? maskIdNumber(openIdNumber(idSealed)) : null,
  }));
}

/** Every row of these actions, page by page: the refused-rows file of a million-row import. */
export async function* allRows(
  db: Queryable,
  importId: number,
  actions: readonly ImportAction[],
): AsyncGenerator<ListedRow> {
  let afterRow = 0;
  for (;;) {
    const page = await listRows(db, importId, { actions, afterRow, limit: 1000 });
    if (page.length === 0) return;
    yield* page;
    afterRow = page.at(-1)!.rowNo;
  }
}
