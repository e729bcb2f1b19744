/**
 * Scale benchmark (issue 22.4), on PostgreSQL: a Shanxi-shaped province of 5,000,000 graduates
 * (BENCH_SCALE_GRADUATES; the indicator bench's generator). The daily snapshot job
 * (`takeSnapshots`) counts every leading organ — province, cities, counties — in one query pass,
 * against the floor of a bare count(*) over the same graduates; the province's live `rates()`
 * beside it. Then the province is left with 100,000 applications waiting below it
 * (BENCH_SCALE_WAITING) and its `/pending` region view is timed for its first page: the summary
 * by stage and age, and the oldest page of items.
 */
import { type Database, openDatabase } from "../../src/db/client.ts";
import { runMigrations } from "../../src/db/migrate.ts";
import { REGION_PAGE } from "../../src/dialogs/region.ts";
import { OPEN_STATES } from "../../src/domain/lifecycle.ts";
import { rates, takeSnapshots } from "../../src/services/rates.ts";
import { regionItems, regionSummary } from "../../src/services/regionQueue.ts";
import { TEST_SEASON } from "../helpers/season.ts";
import { generateIndicatorData } from "./indicators.ts";
import { withScratchDatabase } from "./scratchDatabase.ts";

const BENCH_DB = "zhtj_bench_scale";
const GRADUATES = Number(process.env.BENCH_SCALE_GRADUATES ?? 5_000_000);
const WAITING = Number(process.env.BENCH_SCALE_WAITING ?? 100_000);
const YEAR = 2026;
const PROVINCE_ID = 2;
const RUNS = 3;
const SNAPSHOT_TARGET_MS = 3_000;
const REGION_TARGET_MS = 200;

async function medianMs(work: () => Promise<unknown>): Promise<number> {
  await work();
  const runs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    await work();
    runs.push(performance.now() - started);
  }
  return runs.sort((x, y) => x - y)[Math.floor(RUNS / 2)] as number;
}

const openList = OPEN_STATES.map((s) => `'${s}'`).join(", ");

/**
 * Leaves exactly `waiting` open applications, each decided by the organization it goes to,
 * entered into its stage over the last three weeks; the rest of the open ones are completed.
 */
async function leaveWaiting(database: Database, waiting: number, now: Date): Promise<number> {
  await database.query(
    `with open as (select id, row_number() over (order by id) as n from applications
                   where state in (${openList}))
     update applications a
     set state = case when open.n <= $1 then a.state else 'completed' end,
       deciding_org_id = coalesce(a.to_org_id, a.from_org_id),
       stage_since = $2::timestamptz - (a.id % 21) * interval '1 day' - (a.id % 997) * interval '1 minute'
     from open where open.id = a.id`,
    [waiting, now.toISOString()],
  );
  await database.query("vacuum analyze applications");
  const [row] = await database.query<{ n: number }>(
    `select count(*)::int as n from applications where state in (${openList})`,
  );
  return row?.n ?? 0;
}

export const scaleBench = {
  key: "scale",
  name: `scale: every leading organ of a ${GRADUATES.toLocaleString("en")}-graduate province, and its region view, PostgreSQL`,
  async run(): Promise<void> {
    await withScratchDatabase(BENCH_DB, async (url) => {
      const database = await openDatabase({ kind: "postgres", url });
      try {
        await runMigrations(database, url);
        const started = performance.now();
        await generateIndicatorData(database, GRADUATES);
        process.stdout.write(
          `scale: ${GRADUATES.toLocaleString("en")} graduates generated in ` +
            `${((performance.now() - started) / 1000).toFixed(0)} s\n`,
        );
        const now = new Date(`${YEAR}-09-10T02:00:00Z`);
        let organs = 0;
        const snapshotMs = await medianMs(async () => {
          organs = await takeSnapshots(database.db, YEAR, `${YEAR}-09-10`, now);
        });
        const ratesMs = await medianMs(() => rates(database.db, PROVINCE_ID, YEAR, now));
        const [graduates] = await database.query<{ n: number }>(
          "select count(*)::int as n from members where graduation_year = $1 and identity = 'graduate'",
          [YEAR],
        );
        const floorMs = await medianMs(() =>
          database.query(
            "select count(*) from members where graduation_year = $1 and identity = 'graduate'",
            [YEAR],
          ),
        );
        const rows = graduates?.n ?? 0;
        const [province] = await database.query<{ id: number; path: string }>(
          "select id, path from organizations where id = $1",
          [PROVINCE_ID],
        );
        if (!province) throw new Error("bench: the province is missing");
        const waiting = await leaveWaiting(database, WAITING, now);
        let shown = 0;
        const regionMs = await medianMs(async () => {
          const [summary, items] = await Promise.all([
            regionSummary(database.db, province, now, TEST_SEASON),
            regionItems(
              database.db,
              province,
              { offset: 0, limit: REGION_PAGE, soonOnly: false },
              now,
              TEST_SEASON,
            ),
          ]);
          shown = summary.total;
          if (items.length !== Math.min(REGION_PAGE, waiting)) {
            throw new Error("bench: the region view's first page is short");
          }
        });
        const perSecond = (ms: number) => Math.round(rows / (ms / 1000)).toLocaleString("en");
        const verdict = (ok: boolean) => (ok ? "met" : "NOT met");
        process.stdout.write(
          "| measure | rows | ours | floor: count(*) over the same rows | ratio | target | met |\n" +
            "|---|---:|---:|---:|---:|---|---|\n" +
            `| snapshots of all ${organs} leading organs, one pass | ${rows.toLocaleString("en")} | ` +
            `${snapshotMs.toFixed(0)} ms (${perSecond(snapshotMs)} rows/s) | ` +
            `${floorMs.toFixed(0)} ms (${perSecond(floorMs)} rows/s) | ${(snapshotMs / floorMs).toFixed(1)}× | ` +
            `≤ 3 s | ${verdict(snapshotMs <= SNAPSHOT_TARGET_MS)} |\n` +
            `| province rates() with per-city breakdown | ${rows.toLocaleString("en")} | ` +
            `${ratesMs.toFixed(0)} ms (${perSecond(ratesMs)} rows/s) | ${floorMs.toFixed(0)} ms | ` +
            `${(ratesMs / floorMs).toFixed(1)}× | — | — |\n` +
            `| /pending region view of the province, first page (summary + ${REGION_PAGE} oldest) | ` +
            `${waiting.toLocaleString("en")} waiting (${shown.toLocaleString("en")} counted) | ` +
            `${regionMs.toFixed(0)} ms | — | — | ≤ 200 ms | ${verdict(regionMs <= REGION_TARGET_MS)} |\n`,
        );
      } finally {
        await database.close();
      }
    });
  },
};
