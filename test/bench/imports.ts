/**
 * Import benchmark (issue 18): members as CSV, preview and apply together on PostgreSQL, with
 * the process's peak RSS, beside a bare `COPY` of the same rows into a plain table (the floor:
 * no parsing, checks, sealing or indexes). 1,000,000 rows by default; `BENCH_IMPORT_ROWS=100000`
 * for a quick run. Also 200,000 rows as .xlsx (`BENCH_IMPORT_XLSX_ROWS`, 0 to skip).
 */
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import postgres from "postgres";
import { type Database, openDatabase } from "../../src/db/client.ts";
import { loadReferenceData } from "../../src/db/demo/referenceData.ts";
import { runMigrations } from "../../src/db/migrate.ts";
import { createOrganization } from "../../src/db/orgTree.ts";
import { seasonFor } from "../../src/domain/calendar.ts";
import { idCheckChar } from "../../src/domain/idNumber.ts";
import { applyImport, previewImport } from "../../src/services/imports/index.ts";
import { writeSheet } from "../../src/services/sheets/write.ts";
import { withScratchDatabase } from "./scratchDatabase.ts";

const BENCH_DB = "zhtj_bench_imports";
const ROWS = Number(process.env.BENCH_IMPORT_ROWS ?? 1_000_000);
const XLSX_ROWS = Number(process.env.BENCH_IMPORT_XLSX_ROWS ?? 200_000);
const BRANCHES = 1000;
const TARGET_S = 120;
const RSS_TARGET_MB = 500;
const SCHOOL = "团山西省委/基准大学团委";

/** Row i: a unique valid ID number (1,000 birth dates × 1,000 sequences) in branch i % 1000. */
function* memberRows(count: number): Generator<[string, string, string]> {
  const start = Date.UTC(2003, 0, 1);
  for (let i = 0; i < count; i++) {
    const d = new Date(start + Math.floor(i / 1000) * 86400_000);
    const birth = `${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, "0")}${String(d.getUTCDate()).padStart(2, "0")}`;
    const first17 = `140105${birth}${String(i % 1000).padStart(3, "0")}`;
    yield [`团员${i}`, first17 + idCheckChar(first17), `${SCHOOL}/基准${i % BRANCHES}班团支部`];
  }
}

export async function writeCsv(path: string, count: number) {
  const out = createWriteStream(path);
  async function* lines() {
    yield "\uFEFF姓名,身份证号,所在团支部\n";
    let chunk = "";
    for (const r of memberRows(count)) {
      chunk += `${r.join(",")}\n`;
      if (chunk.length > 1 << 16) {
        yield chunk;
        chunk = "";
      }
    }
    yield chunk;
  }
  await pipeline(lines, out);
}

async function writeXlsx(path: string, count: number) {
  await writeSheet(
    "xlsx",
    {
      name: "members",
      timeZone: "UTC",
      columns: ["姓名", "身份证号", "所在团支部"].map((header, i) => ({
        header,
        kind: "text" as const,
        value: (r: [string, string, string]) => r[i]!,
      })),
    },
    memberRows(count),
    createWriteStream(path),
  );
}

interface Row {
  what: string;
  seconds: number;
  rows: number;
  rssMb: number | null;
}

/** The process's highest RSS from now until `stop`, in MB. */
export function peakRss(): { stop(): number } {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 100);
  return {
    stop() {
      clearInterval(timer);
      return Math.round(Math.max(peak, process.memoryUsage().rss) / 2 ** 20);
    },
  };
}

/** Imports `file` (members of `count` rows) into a new database; closes it after. */
export async function importOn(
  database: Database,
  url: string | undefined,
  file: string,
  what: string,
  count: number,
): Promise<Row> {
  try {
    await runMigrations(database, url);
    await loadReferenceData(database.db);
    // Read before the transaction: PGlite's one connection is the transaction's until it ends.
    const [province] = await database.query<{ id: number }>(
      "select id from organizations where name = '团山西省委'",
    );
    await database.db.transaction(async (tx) => {
      const school = await createOrganization(tx, {
        parentId: province!.id,
        name: "基准大学团委",
        kind: "committee",
        domain: "school",
      });
      for (let b = 0; b < BRANCHES; b++)
        await createOrganization(tx, {
          parentId: school.id,
          name: `基准${b}班团支部`,
          kind: "branch",
          domain: "school",
          graduationMonth: "2026-06",
        });
    });
    const rss = peakRss();
    const started = performance.now();
    const preview = await previewImport(database.db, {
      source: { name: file, path: file },
      actor: { kind: "operator" },
      season: seasonFor(2026, "Asia/Shanghai"),
      now: new Date("2026-03-01T02:00:00Z"),
    });
    if (!preview.ok) throw new Error(preview.reason);
    if (preview.counts.add !== count)
      throw new Error(`expected ${count} rows to add: ${JSON.stringify(preview.counts)}`);
    const applied = await applyImport(database.db, {
      importId: preview.importId,
      actor: { kind: "operator" },
      now: new Date(),
    });
    if (!applied.ok) throw new Error(applied.reason);
    return { what, seconds: (performance.now() - started) / 1000, rows: count, rssMb: rss.stop() };
  } finally {
    await database.close();
  }
}

const openPostgres = (url: string) => openDatabase({ kind: "postgres", url });

async function copyFloor(url: string, file: string, count: number): Promise<Row> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql`create table copy_floor (name text, id_number text, branch text)`;
    const started = performance.now();
    const writable =
      await sql`copy copy_floor from stdin with (format csv, header true)`.writable();
    await pipeline(createReadStream(file), writable);
    return {
      what: "bare COPY of the same CSV",
      seconds: (performance.now() - started) / 1000,
      rows: count,
      rssMb: null,
    };
  } finally {
    await sql.end();
  }
}

export const importsBench = {
  key: "imports",
  name: "imports: members preview + apply on PostgreSQL",
  async run(): Promise<void> {
    const dir = mkdtempSync(join(tmpdir(), "zhtj-bench-import-"));
    try {
      const csv = join(dir, "members.csv");
      await writeCsv(csv, ROWS);
      const rows: Row[] = [];
      rows.push(
        await withScratchDatabase(BENCH_DB, async (url) =>
          importOn(await openPostgres(url), url, csv, `CSV, ${ROWS} members`, ROWS),
        ),
      );
      rows.push(await withScratchDatabase(BENCH_DB, (url) => copyFloor(url, csv, ROWS)));
      if (XLSX_ROWS > 0) {
        const xlsx = join(dir, "members.xlsx");
        await writeXlsx(xlsx, XLSX_ROWS);
        rows.push(
          await withScratchDatabase(BENCH_DB, async (url) =>
            importOn(await openPostgres(url), url, xlsx, `.xlsx, ${XLSX_ROWS} members`, XLSX_ROWS),
          ),
        );
      }
      const floor = rows[1]!;
      process.stdout.write("what | seconds | rows/s | peak RSS | × COPY | target\n");
      for (const r of rows) {
        const rate = Math.round(r.rows / r.seconds);
        const ratio =
          r === floor ? "1" : (r.seconds / r.rows / (floor.seconds / floor.rows)).toFixed(1);
        const met = r.rssMb === null || (r.seconds <= TARGET_S && r.rssMb <= RSS_TARGET_MB);
        const target =
          r.rssMb === null
            ? "floor"
            : `≤ ${TARGET_S} s, ≤ ${RSS_TARGET_MB} MB ${met ? "met" : "MISSED"}`;
        process.stdout.write(
          `${r.what} | ${r.seconds.toFixed(1)} | ${rate} | ${r.rssMb === null ? "—" : `${r.rssMb} MB`} | ${ratio} | ${target}\n`,
        );
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
