/**
 * Writes an import's rows to `import_rows` in batches as they are read: one statement per
 * batch, each column sent as one array (unnest), the batch's ID numbers sealed at once.
 * Memory holds one batch, never the file.
 */
import { sql } from "drizzle-orm";
import { type Queryable, query } from "../../db/client.ts";
import { sealIdNumbers } from "../../db/sealing.ts";
import type { ImportAction } from "../../domain/importRows.ts";
import type { MemberIdentity } from "../../domain/member.ts";

export interface StagedRow {
  rowNo: number;
  action: Extract<ImportAction, "add" | "change" | "same" | "refused">;
  problemColumn?: string | null;
  problem?: string | null;
  detail?: Record<string, string | number> | null;
  name?: string | null;
  /** Plain here, sealed before it is written. */
  idNumber?: string | null;
  targetId?: number | null;
  existingId?: number | null;
  identity?: MemberIdentity | null;
  graduationMonth?: string | null;
  graduationYear?: number | null;
  graduationBranchId?: number | null;
  delayedReason?: string | null;
  payload?: Record<string, unknown> | null;
  previous?: Record<string, unknown> | null;
}

export const STAGE_BATCH = 5000;

const json = (v: unknown) => (v === null || v === undefined ? null : JSON.stringify(v));

export class Stager {
  private batch: StagedRow[] = [];
  /** The batch being written while the next one is read: at most one in flight. */
  private inFlight: Promise<void> = Promise.resolve();
  written = 0;
  refused = 0;

  constructor(
    private readonly tx: Queryable,
    private readonly importId: number,
  ) {}

  async push(row: StagedRow): Promise<void> {
    this.batch.push(row);
    if (row.action === "refused") this.refused++;
    if (this.batch.length >= STAGE_BATCH) {
      await this.inFlight;
      const rows = this.batch;
      this.batch = [];
      const writing = this.write(rows);
      // Awaited by the next push or flush; a reader that fails first must not leave it unhandled.
      writing.catch(() => {});
      this.inFlight = writing;
    }
  }

  /** Writes what is left and waits for every batch. */
  async flush(): Promise<void> {
    await this.inFlight;
    const rows = this.batch;
    this.batch = [];
    if (rows.length > 0) await this.write(rows);
  }

  private async write(rows: StagedRow[]): Promise<void> {
    const withIds = rows.filter((r) => r.idNumber);
    const sealed = sealIdNumbers(withIds.map((r) => r.idNumber!));
    const sealedOf = new Map(withIds.map((r, i) => [r, sealed[i]!]));
    const col = <T>(pick: (r: StagedRow) => T) => sql.param(rows.map(pick));
    await query(
      this.tx,
      sql`insert into import_rows (import_id, row_no, action, problem_column, problem, detail,
            name, id_hash, id_sealed, target_id, existing_id, identity, graduation_month,
            graduation_year, graduation_branch_id, delayed_reason, payload, previous)
          select ${this.importId}, u.row_no, u.action, u.problem_column, u.problem, u.detail::jsonb,
            u.name, u.id_hash, u.id_sealed, u.target_id, u.existing_id, u.identity,
            u.graduation_month, u.graduation_year, u.graduation_branch_id, u.delayed_reason,
            u.payload::jsonb, u.previous::jsonb
          from unnest(${col((r) => r.rowNo)}::int[], ${col((r) => r.action)}::text[],
            ${col((r) => r.problemColumn ?? null)}::text[], ${col((r) => r.problem ?? null)}::text[],
            ${col((r) => json(r.detail))}::text[], ${col((r) => r.name ?? null)}::text[],
            ${col((r) => sealedOf.get(r)?.idHash ?? null)}::text[],
            ${col((r) => sealedOf.get(r)?.idSealed ?? null)}::text[],
            ${col((r) => r.targetId ?? null)}::int[], ${col((r) => r.existingId ?? null)}::int[],
            ${col((r) => r.identity ?? null)}::text[], ${col((r) => r.graduationMonth ?? null)}::text[],
            ${col((r) => r.graduationYear ?? null)}::int[],
            ${col((r) => r.graduationBranchId ?? null)}::int[],
            ${col((r) => r.delayedReason ?? null)}::text[], ${col((r) => json(r.payload))}::text[],
            ${col((r) => json(r.previous))}::text[])
            as u(row_no, action, problem_column, problem, detail, name, id_hash, id_sealed,
                 target_id, existing_id, identity, graduation_month, graduation_year,
                 graduation_branch_id, delayed_reason, payload, previous)`,
    );
    this.written += rows.length;
  }
}
