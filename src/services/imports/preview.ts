/**
 * Reading a file for import: every row staged with what applying it would do or why it is
 * refused, then the counts. Nothing outside `imports` / `import_rows` changes until
 * `applyImport`. Rows are staged in batches as they stream in, so memory holds one batch.
 */
import { eq, sql } from "drizzle-orm";
import { type Db, query, type Tx } from "../../db/client.ts";
import { DEMO_DATA_KEY } from "../../db/demo/loadDemoData.ts";
import { imports, jobRuns } from "../../db/schema.ts";
import { dayIn, type Season } from "../../domain/calendar.ts";
import type { ImportCounts, ImportKind } from "../../domain/importRows.ts";
import type { OrgNode } from "../../domain/tree.ts";
import { chargeLookups } from "../memberLookups.ts";
import { loadAdmin } from "../orgStore.ts";
import { openSheet } from "../sheets/read.ts";
import { type SheetSource, UnreadableSheetError } from "../sheets/rows.ts";
import { readTable } from "../sheets/table.ts";
import { classifyMembers, elsewhereHashes } from "./classify.ts";
import { loadOrgIndex } from "./orgIndex.ts";
import { rowStager } from "./rowStaging.ts";
import { Stager } from "./stage.ts";
import type { ImportActor, ImportPreview, ImportProgress, ImportRefusal } from "./types.ts";

/** How often progress is reported, in rows. */
const PROGRESS_EVERY = 1000;
/** From how many staged rows the table's statistics are refreshed before the checks. */
const ANALYZE_FROM = 50_000;

export const emptyCounts = (): ImportCounts => ({
  rows: 0,
  add: 0,
  change: 0,
  move: 0,
  same: 0,
  refused: 0,
});

/** Imports are refused while demo data is loaded: real people never land beside demo admins. */
export async function demoDataPresent(db: Db | Tx): Promise<boolean> {
  const rows = await db.select().from(jobRuns).where(eq(jobRuns.key, DEMO_DATA_KEY));
  return rows.length > 0;
}

/** The subtree an actor imports into: the admin's organization, or the operator's --org. */
export async function scopeOf(
  db: Db | Tx,
  actor: ImportActor,
): Promise<{ ok: true; scope: OrgNode | null; adminId: number | null } | ImportRefusal> {
  if (actor.kind === "admin") {
    const admin = await loadAdmin(db, actor.adminId);
    if (!admin) return { ok: false, reason: "unknown_admin" };
    return { ok: true, scope: admin.org, adminId: admin.adminId };
  }
  if (!actor.scopePath || actor.scopePath.length === 0)
    return { ok: true, scope: null, adminId: null };
  const found = (await loadOrgIndex(db, null)).resolveStored(actor.scopePath);
  return found.ok
    ? { ok: true, scope: found.org, adminId: null }
    : { ok: false, reason: "unknown_scope" };
}

export async function countsOf(db: Db | Tx, importId: number): Promise<ImportCounts> {
  const rows = await query<{ action: keyof ImportCounts; n: number }>(
    db,
    sql`select action, count(*)::int as n from import_rows where import_id = ${importId} group by action`,
  );
  const counts = emptyCounts();
  for (const r of rows) {
    counts[r.action] = r.n;
    counts.rows += r.n;
  }
  return counts;
}

export interface PreviewInput {
  source: SheetSource;
  actor: ImportActor;
  season: Season;
  now: Date;
  /** Read the file as this kind only (the header must be this kind's). */
  kind?: ImportKind;
  onProgress?: (p: ImportProgress) => void;
}

export async function previewImport(
  db: Db,
  input: PreviewInput,
): Promise<ImportPreview | ImportRefusal> {
  if (await demoDataPresent(db)) return { ok: false, reason: "demo_data_on" };
  const scoped = await scopeOf(db, input.actor);
  if (!scoped.ok) return scoped;
  let table: Awaited<ReturnType<typeof readTable>>;
  try {
    table = await readTable(await openSheet(input.source), input.kind);
  } catch (err) {
    if (err instanceof UnreadableSheetError)
      return { ok: false, reason: "unreadable", problem: err.problem };
    throw err;
  }
  if (!table) return { ok: false, reason: "no_header" };
  const kind = table.kind;
  const [created] = await db
    .insert(imports)
    .values({
      kind,
      fileName: input.source.name.slice(-200),
      adminId: scoped.adminId,
      scopeOrgId: scoped.scope?.id ?? null,
      state: "reading",
      counts: emptyCounts(),
    })
    .returning({ id: imports.id });
  const importId = created!.id;
  const index = await loadOrgIndex(db, scoped.scope);
  const stage = await rowStager(db, kind, {
    index,
    columns: table.columns,
    seasonYear: input.season.year,
    today: dayIn(input.now, input.season.timezone),
    rootsAllowed: input.actor.kind === "operator" && scoped.scope === null,
  });
  const stager = new Stager(db, importId);
  let rowsRead = 0;
  try {
    for await (const row of table.rows) {
      await stager.push(stage(row));
      if (++rowsRead % PROGRESS_EVERY === 0)
        input.onProgress?.({ rowsRead, refused: stager.refused, fraction: table.progress() });
    }
  } catch (err) {
    await db.update(imports).set({ state: "cancelled" }).where(eq(imports.id, importId));
    if (err instanceof UnreadableSheetError || isParseError(err))
      return { ok: false, reason: "unreadable", problem: "damaged" };
    throw err;
  }
  await stager.flush();
  input.onProgress?.({ rowsRead, refused: stager.refused, fraction: 1 });
  // The checks join the whole import by hash: planned for the dozen rows the statistics knew
  // of, a million were a nested loop and sorts spilled to disk.
  if (stager.written >= ANALYZE_FROM) await query(db, sql`analyze import_rows`);

  return db.transaction(async (tx) => {
    if (kind === "members") {
      await classifyMembers(tx, importId, scoped.scope?.path ?? "/");
      if (scoped.adminId !== null) {
        const charged = await chargeLookups(tx, {
          adminId: scoped.adminId,
          idHashes: await elsewhereHashes(tx, importId),
          purpose: "import",
          now: input.now,
        });
        if (!charged.ok) {
          await tx.update(imports).set({ state: "cancelled" }).where(eq(imports.id, importId));
          return charged as ImportRefusal;
        }
      }
    }
    const counts = await countsOf(tx, importId);
    await tx.update(imports).set({ state: "previewed", counts }).where(eq(imports.id, importId));
    return {
      ok: true,
      importId,
      kind,
      fileName: input.source.name,
      counts,
    } satisfies ImportPreview;
  });
}

/** csv-parse's errors on a broken file (an unclosed quote, a binary file). */
function isParseError(err: unknown): boolean {
  return err instanceof Error && "code" in err && String(err.code).startsWith("CSV_");
}
