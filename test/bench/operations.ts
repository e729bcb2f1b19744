/**
 * Operations benchmark (issue 10.2): the R27 auto-return sweep over 100,000 overdue applications
 * on PostgreSQL, and the first `npm start` on an empty DATA_DIR (PGlite, demo data) until
 * /healthz answers, with the resident memory of its whole process tree once idle, on PGlite and
 * on PostgreSQL. `BENCH_OPERATIONS=start,idle` runs only some of them (sweep, start, idle).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { openDatabase } from "../../src/db/client.ts";
import { runMigrations } from "../../src/db/migrate.ts";
import { seasonFor } from "../../src/domain/calendar.ts";
import { autoReturnOverdue } from "../../src/services/autoReturn.ts";
import { TEST_SECRET_KEY } from "../helpers/secretKey.ts";
import { freePort, waitHealthy } from "../helpers/spawnApp.ts";
import { buildWorld, YEAR } from "../helpers/world.ts";
import { withScratchDatabase } from "./scratchDatabase.ts";

const BENCH_DB = "zhtj_bench_operations";
const OVERDUE = 100_000;
const SWEEP_TARGET_MS = 10_000;
const START_TARGET_MS = 15_000;
const RSS_PGLITE_TARGET_MB = 250;
const RSS_POSTGRES_TARGET_MB = 150;
const ROOT = fileURLToPath(new URL("../..", import.meta.url));

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

/** A process and all its descendants (npm, its shell, the app, PGlite's short-lived initdb). */
function processTree(pid: number): { pid: number; command: string; rssKb: number }[] {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const command = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8")
      .split(/\s+/)
      .filter(Boolean)
      .flatMap((child) => processTree(Number(child)));
    return [{ pid, command, rssKb }, ...children];
  } catch {
    return []; // The process ended meanwhile.
  }
}

const mb = (kb: number) => kb / 1024;

interface StartedTree {
  healthyMs: number;
  /** Every process `npm start` runs, npm itself included. */
  treeMb: number;
  /** The app's own process (`node dist/main.js`) and its children. */
  appMb: number;
  stop: () => Promise<void>;
}

/**
 * `npm start` exactly as a user runs it (its prestart compiles `src/` if stale), on an empty
 * DATA_DIR; healthy, then ten seconds idle (start-up garbage collected, the delivery loop and
 * scheduler ticking), then the resident memory of its whole process tree.
 */
async function npmStart(env: NodeJS.ProcessEnv): Promise<StartedTree> {
  const dataDir = mkdtempSync(join(tmpdir(), "zhtj-bench-start-"));
  const port = await freePort();
  const started = performance.now();
  const npm = spawn("npm", ["start", "--silent"], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PORT: String(port),
      HOST: "127.0.0.1",
      DATA_DIR: dataDir,
      LOG_LEVEL: "warn",
      ...env,
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const exited = new Promise((r) => npm.once("exit", r));
  const stop = async () => {
    // npm does not always pass a signal on: stop the app itself, npm ends with it.
    for (const p of processTree(npm.pid!).reverse()) {
      try {
        process.kill(p.pid, "SIGTERM");
      } catch {
        // Already gone.
      }
    }
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await waitHealthy(port, 120_000);
    const healthyMs = performance.now() - started;
    await new Promise((r) => setTimeout(r, 10_000));
    const tree = processTree(npm.pid!);
    const app = tree.findIndex((p) => p.command.includes("dist/main.js"));
    const appKb = app < 0 ? 0 : tree.slice(app).reduce((sum, p) => sum + p.rssKb, 0);
    for (const p of tree) {
      process.stdout.write(`  pid ${p.pid} ${mb(p.rssKb).toFixed(0)} MB: ${p.command}\n`);
    }
    return {
      healthyMs,
      treeMb: mb(tree.reduce((sum, p) => sum + p.rssKb, 0)),
      appMb: mb(appKb),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

const memoryRow = (db: string, run: StartedTree, targetMb: number): OperationRow => ({
  what: `idle RSS of \`npm start\` on ${db}, whole process tree (npm, sh, app, children)`,
  measured: `${run.treeMb.toFixed(0)} MB (the app's process ${run.appMb.toFixed(0)} MB, npm's own wrapper the rest)`,
  target: `≤ ${targetMb} MB`,
  met: run.treeMb <= targetMb,
});

/** Idle RSS on PostgreSQL, which tells PGlite's share of the memory apart. */
async function idleOnPostgres(): Promise<OperationRow> {
  return withScratchDatabase(BENCH_DB, async (url) => {
    const run = await npmStart({ DATABASE_URL: url, SECRET_KEY: TEST_SECRET_KEY });
    await run.stop();
    return memoryRow("PostgreSQL", run, RSS_POSTGRES_TARGET_MB);
  });
}

async function startUp(): Promise<OperationRow[]> {
  // A fresh clone has built on install; an edited tree is built by prestart, counted here.
  const run = await npmStart({});
  await run.stop();
  process.stdout.write(`start-up: healthy after ${run.healthyMs.toFixed(0)} ms\n`);
  return [
    {
      what: "first `npm start`, empty DATA_DIR (PGlite + demo data) → healthy",
      measured: `${(run.healthyMs / 1000).toFixed(1)} s`,
      target: "≤ 15 s",
      met: run.healthyMs <= START_TARGET_MS,
    },
    memoryRow("PGlite (embedded)", run, RSS_PGLITE_TARGET_MB),
  ];
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
    const only = process.env.BENCH_OPERATIONS?.split(",");
    const rows: OperationRow[] = [];
    if (!only || only.includes("sweep")) rows.push(await sweep());
    if (!only || only.includes("start")) rows.push(...(await startUp()));
    if (!only || only.includes("idle")) rows.push(await idleOnPostgres());
    printOperationRows(rows);
  },
};
