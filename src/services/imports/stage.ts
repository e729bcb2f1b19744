/**
 * Writes an import's rows to `import_rows` in batches as they are read: one statement per
 * batch, each column sent as one array (unnest), the batch's ID numbers sealed at once.
 * Memory holds one batch, never the file.
 */
import { type SQL, sql } from "drizzle-orm";
import { type Queryable, query } from "../../db/client.ts";
import { type SealedIdNumber, sealIdNumbers } from "../../db/sealing.ts";
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

/** The staged columns after import_id and row_no, with their types and where each comes from. */
const COLUMNS: {
  name: string;
  type: "text" | "int" | "jsonb";
  pick: (r: StagedRow, sealed: SealedIdNumber | undefined) => unknown;
}[] = [
  { name: "action", type: "text", pick: (r) => r.action },
  { name: "problem_column", type: "text", pick: (r) => r.problemColumn ?? null },
  { name: "problem", type: "text", pick: (r) => r.problem ?? null },
  { name: "detail", type: "jsonb", pick: (r) => json(r.detail) },
  { name: "name", type: "text", pick: (r) => r.name ?? null },
  { name: "id_hash", type: "text", pick: (_, s) => s?.idHash ?? null },
  { name: "id_sealed", type: "text", pick: (_, s) => s?.idSealed ?? null },
  { name: "target_id", type: "int", pick: (r) => r.targetId ?? null },
  { name: "existing_id", type: "int", pick: (r) => r.existingId ?? null },
  { name: "identity", type: "text", pick: (r) => r.identity ?? null },
  { name: "graduation_month", type: "text", pick: (r) => r.graduationMonth ?? null },
  { name: "graduation_year", type: "int", pick: (r) => r.graduationYear ?? null },
  { name: "graduation_branch_id", type: "int", pick: (r) => r.graduationBranchId ?? null },
  { name: "delayed_reason", type: "text", pick: (r) => r.delayedReason ?? null },
  { name: "payload", type: "jsonb", pick: (r) => json(r.payload) },
  { name: "previous", type: "jsonb", pick: (r) => json(r.previous) },
];

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
    // A column null on every row of the batch (most of them, for members) is sent as one
    // null, not as an array of nulls to serialize and parse.
    const arrays: SQL[] = [sql`${sql.param(rows.map((r) => r.rowNo))}::int[]`];
    const unnested = ["row_no"];
    const selected = COLUMNS.map(({ name, type, pick }) => {
      const values = rows.map((r) => pick(r, sealedOf.get(r)));
      if (values.every((v) => v === null)) return sql.raw(`null::${type}`);
      arrays.push(sql`${sql.param(values)}::${sql.raw(type === "jsonb" ? "text" : type)}[]`);
      unnested.push(name);
      return sql.raw(type === "jsonb" ? `u.${name}::jsonb` : `u.${name}`);
    });
    await query(
      this.tx,
      sql`insert into import_rows (import_id, row_no, ${sql.raw(COLUMNS.map((c) => c.name).join(", "))})
          select ${this.importId}, u.row_no, ${sql.join(selected, sql`, `)}
          from unnest(${sql.join(arrays, sql`, `)}) as u(${sql.raw(unnested.join(", "))})`,
    );
    this.written += rows.length;
  }
}
