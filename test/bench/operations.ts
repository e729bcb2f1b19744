/**
 * Operations benchmark (issue 10.2): the R27 auto-return sweep over 100,000 overdue applications
 * on PostgreSQL, and the first `npm start` on an empty DATA_DIR (PGlite, demo data) until
 * /healthz answers, with the app's resident memory once idle.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "../../src/db/client.ts";
import { runMigrations } from "../../src/db/migrate.ts";
import { seasonFor } from "../../src/domain/calendar.ts";
import { autoReturnOverdue } from "../../src/services/autoReturn.ts";
import { freePort, spawnApp, waitHealthy } from "../helpers/spawnApp.ts";
import { buildWorld, YEAR } from "../helpers/world.ts";
import { withScratchDatabase } from "./scratchDatabase.ts";

const BENCH_DB = "zhtj_bench_operations";
const OVERDUE = 100_000;
const SWEEP_TARGET_MS = 10_000;
const START_TARGET_MS = 15_000;
const RSS_TARGET_MB = 200;

export interface OperationRow {
  what: string;
  measured: string;
  target: string;
  met: boolean;
}

async function sweep(): Promise<OperationRow> {
  return withScratchDatabase(BENCH_DB, (url) => sweepOn(url));
}

async function sweepOn(url: string): Promise<OperationRow> {
  const database = await openDatabase({ kind: "postgres", url });
  try {
    await runMigrations(database, url);
    const w = await buildWorld(database.db);
    const season = seasonFor(YEAR, "Asia/Shanghai");
    const now = new Date(`${YEAR}-10-20T02:00:00Z`);
    const filedAt = new Date(`${YEAR}-09-01T02:00:00Z`).toISOString();
    // Every other application was filed by an admin, so the sweep writes both kinds of notice.
    await database.query(
      `insert into members (name, id_number, birth_date, branch_id, graduation_branch_id,
         graduation_year)
       select 'bench' || i, 'B' || lpad(i::text, 17, '0'), '2004-02-02', $1, $1, $2
       from generate_series(1, $3) i`,
      [w.org.UB1, YEAR, OVERDUE],
    );
    await database.query(
      `with filed as (
         insert into applications (member_id, state, stage_since, initiator_kind,
           initiator_member_id, initiator_admin_id, reason, from_org_id, to_org_id,
           deciding_org_id, created_at, updated_at)
         select m.id, 'pending', $1::timestamptz,
           case when m.id % 2 = 0 then 'member' else 'out_admin' end,
           case when m.id % 2 = 0 then m.id end, case when m.id % 2 = 1 then $2::int end,
           'further_study', $3, $4, $4, $1::timestamptz, $1::timestamptz
         from members m where m.name like 'bench%'
         returning id, stage_since)
       insert into application_history (application_id, action, actor_kind, to_state, at)
       select id, 'create', 'member', 'pending', stage_since from filed`,
      [filedAt, w.admin.UB1, w.org.UB1, w.org.VB],
    );
    await database.query(
      `update members m set outcome_application_id = a.id, outcome_reason = a.reason,
         outcome_state = a.state, outcome_destination_id = a.to_org_id
       from applications a where a.member_id = m.id`,
    );
    await database.query("vacuum analyze");
    const started = performance.now();
    const returned = await autoReturnOverdue(database.db, now, season);
    const ms = performance.now() - started;
    const [counts] = await database.query<{ apps: number; notices: number }>(
      `select (select count(*)::int from applications where state = 'auto_returned') as apps,
              (select count(*)::int from outbox where payload->>'state' = 'auto_returned') as notices`,
    );
    process.stdout.write(
      `sweep: ${returned.length} returned, ${counts?.apps} auto_returned rows, ` +
        `${counts?.notices} outbox rows, in ${ms.toFixed(0)} ms\n`,
    );
    if (returned.length !== OVERDUE || counts?.apps !== OVERDUE) {
      throw new Error("bench: the sweep did not return every overdue application");
    }
    return {
      what: `auto-return sweep, ${OVERDUE.toLocaleString("en")} overdue (postgres)`,
      measured: `${(ms / 1000).toFixed(1)} s (${counts.notices.toLocaleString("en")} outbox rows)`,
      target: "≤ 10 s",
      met: ms <= SWEEP_TARGET_MS,
    };
  } finally {
    await database.close();
  }
}

/** Resident memory of a process and all its descendants (e.g. PGlite's short-lived initdb). */
function treeRssKb(pid: number): number {
  let total = 0;
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    total += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    for (const task of readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").split(/\s+/)) {
      if (task) total += treeRssKb(Number(task));
    }
  } catch {
    // The process ended meanwhile.
  }
  return total;
}

/** Idle RSS of the app on PostgreSQL, which tells PGlite's share of the memory apart. */
async function idleOnPostgres(): Promise<OperationRow> {
  return withScratchDatabase(BENCH_DB, (url) => idleOn(url));
}

async function idleOn(url: string): Promise<OperationRow> {
  const dataDir = mkdtempSync(join(tmpdir(), "zhtj-bench-start-"));
  const port = await freePort();
  const started = performance.now();
  const app = spawnApp({ DATA_DIR: dataDir, LOG_LEVEL: "warn", DATABASE_URL: url }, port);
  try {
    await waitHealthy(port, 120_000);
    const ms = performance.now() - started;
    await new Promise((r) => setTimeout(r, 10_000));
    const appMb = treeRssKb(app.child.pid!) / 1024;
    process.stdout.write(
      `start-up on postgres: healthy after ${ms.toFixed(0)} ms; RSS app ${appMb.toFixed(0)} MB\n`,
    );
    return {
      what: "idle RSS, same start on an empty PostgreSQL database",
      measured: `${appMb.toFixed(0)} MB (healthy after ${(ms / 1000).toFixed(1)} s)`,
      target: "≤ 200 MB",
      met: appMb <= RSS_TARGET_MB,
    };
  } finally {
    app.child.kill("SIGTERM");
    await app.exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function startUp(): Promise<OperationRow[]> {
  const dataDir = mkdtempSync(join(tmpdir(), "zhtj-bench-start-"));
  const port = await freePort();
  const started = performance.now();
  const app = spawnApp({ DATA_DIR: dataDir, LOG_LEVEL: "warn" }, port);
  try {
    await waitHealthy(port, 120_000);
    const ms = performance.now() - started;
    // Idle: start-up garbage collected, the delivery loop and scheduler ticking.
    await new Promise((r) => setTimeout(r, 10_000));
    const appMb = treeRssKb(app.child.pid!) / 1024;
    process.stdout.write(
      `start-up: healthy after ${ms.toFixed(0)} ms; RSS app ${appMb.toFixed(0)} MB\n`,
    );
    return [
      {
        what: "first `npm start`, empty DATA_DIR (PGlite + demo data) → healthy",
        measured: `${(ms / 1000).toFixed(1)} s`,
        target: "≤ 15 s",
        met: ms <= START_TARGET_MS,
      },
      {
        what: "idle RSS after start-up (the app's node process)",
        measured: `${appMb.toFixed(0)} MB`,
        target: "≤ 200 MB",
        met: appMb <= RSS_TARGET_MB,
      },
    ];
  } finally {
    app.child.kill("SIGTERM");
    await app.exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export function printOperationRows(rows: OperationRow[]): void {
  process.stdout.write("| measure | measured | target | met |\n|---|---:|---|---|\n");
  for (const row of rows) {
    process.stdout.write(
      `| ${row.what} | ${row.measured} | ${row.target} | ${row.met ? "met" : "NOT met"} |\n`,
    );
  }
}

export const operationsBench = {
  key: "operations",
  name: "operations: auto-return sweep, start-up time, idle memory",
  async run(): Promise<void> {
    printOperationRows([await sweep(), ...(await startUp()), await idleOnPostgres()]);
  },
};
