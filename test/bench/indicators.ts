/**
 * Indicator benchmark: province-wide SX / XS with the per-city breakdown on a Shanxi-shaped tree
 * (1,000,000 graduates on PostgreSQL, 100,000 on PGlite), against a bare count(*) over the same
 * graduates as the floor. Targets on PostgreSQL: ≤ 1 s and ≤ 5× the floor.
 */
import { sql } from "drizzle-orm";
import { type Database, openDatabase } from "../../src/db/client.ts";
import { runMigrations } from "../../src/db/migrate.ts";
import { refreshOutcomes } from "../../src/services/outcomes.ts";
import { rates } from "../../src/services/rates.ts";
import { withScratchDatabase } from "./scratchDatabase.ts";

const YEAR = 2026;
const PROVINCE_ID = 2;
const BENCH_DB = "zhtj_bench_indicators";
const RUNS = 5;

/**
 * Organizations with fixed ids so the members' generator can address them arithmetically:
 * 1 central, 2 Shanxi, 3 Hebei (outside the region); cities 11–21 in Shanxi and 22 in Hebei;
 * counties 101–217 in Shanxi (117, as in the seed) and 218–227 in Hebei; ten units per county
 * (four school committees, six townships) from 1000; three universities per city from 3000.
 * Branches get serial ids from 10000: twenty graduate branches per school, 200 per university,
 * five ordinary branches per township.
 */
const TREE_SQL = [
  `insert into organizations (id, parent_id, path, name, kind, level, domain)
   values (1, null, '/1/', 'central', 'committee', 'central', 'other'),
          (2, 1, '', 'shanxi', 'committee', 'provincial', 'other'),
          (3, 1, '', 'hebei', 'committee', 'provincial', 'other')`,
  `insert into organizations (id, parent_id, path, name, kind, level, domain)
   select c, case when c = 22 then 3 else 2 end, '', 'city ' || c, 'committee', 'city', 'other'
   from generate_series(11, 22) c`,
  `insert into organizations (id, parent_id, path, name, kind, level, domain)
   select c, case when c <= 217 then 11 + (c - 101) % 11 else 22 end, '', 'county ' || c,
     'committee', 'county', 'other'
   from generate_series(101, 227) c`,
  `insert into organizations (id, parent_id, path, name, kind, level, domain, institution_code)
   select 1000 + (c - 101) * 10 + k, c, '',
     case when k < 4 then 'school ' else 'township ' end || c || '-' || k, 'committee',
     case when k < 4 then 'none' else 'township' end,
     case when k < 4 then 'school' else 'rural' end,
     case when k < 4 then 'S' || c || k end
   from generate_series(101, 227) c, generate_series(0, 9) k`,
  `insert into organizations (id, parent_id, path, name, kind, level, domain, institution_code)
   select 3000 + (c - 11) * 3 + k, c, '', 'university ' || c || '-' || k, 'committee', 'none',
     'school', 'U' || c || k
   from generate_series(11, 22) c, generate_series(0, 2) k`,
  "select setval('organizations_id_seq', 9999)",
  `insert into organizations (parent_id, path, name, kind, domain, category, graduation_month)
   select u.id, '', 'class ' || u.id || '-' || b, 'branch', u.domain, 'graduate', '${YEAR}-06'
   from organizations u,
     generate_series(1, case when u.id >= 3000 then 200 else 20 end) b
   where u.domain = 'school' and u.kind = 'committee'`,
  `insert into organizations (parent_id, path, name, kind, domain)
   select u.id, '', 'village ' || u.id || '-' || b, 'branch', 'rural'
   from organizations u, generate_series(1, 5) b
   where u.level = 'township'`,
];

/** Fills `path` top-down, one tree level per statement. */
const PATHS_SQL = `update organizations o set path = p.path || o.id || '/'
   from organizations p where p.id = o.parent_id and o.path = '' and p.path <> ''`;

/**
 * People and applications. `h(id)` is a cheap deterministic hash that spreads the mix:
 * 8% no application; reasons ~48% further study, 15% employed with an org, 12% without,
 * 3% overseas, 18% not placed (half of them retained at school), 4% special unit; states 60%
 * completed, 30% still in flight, 10% dead (rejected, withdrawn, auto-returned, not refiled);
 * 10% withdrew an earlier application and refiled; 3% of Shanxi graduates leave the province
 * and 10% of Hebei's graduates come to Shanxi. Teachers, delayed graduates and last year's
 * graduates are there to be excluded.
 */
function peopleSql(graduates: number): string[] {
  const hebei = Math.round(graduates * 0.05);
  const others = Math.round(graduates * 0.03);
  const lastYear = Math.round(graduates * 0.2);
  const h = (x: string) => `((${x})::bigint * 2654435761 % 1000003)`;
  const scaled = (x: string, div: number, mod: number) => `(${h(x)} / ${div} % ${mod})`;
  return [
    `create temporary table gb as
       select b.id,
         (row_number() over (partition by p.path like '/1/2/%' order by b.id) - 1)::int as rn,
         (p.path like '/1/2/%') as shanxi
       from organizations b join organizations p on p.id = b.parent_id
       where b.category = 'graduate'`,
    `create temporary table dest as
       select u.id as unit, (row_number() over (partition by u.domain = 'school',
           u.path like '/1/2/%' order by u.id) - 1)::int as rn,
         u.domain = 'school' as school, u.path like '/1/2/%' as shanxi,
         (select min(b.id) from organizations b where b.parent_id = u.id) as branch
       from organizations u where u.kind = 'committee' and (u.domain = 'school' or u.level = 'township')`,
    `create temporary table dest_size as
       select school, shanxi, count(*)::int as size from dest group by school, shanxi`,
    `create temporary table people (n int, shanxi boolean, identity text, year int)`,
    `insert into people select g, true, 'graduate', ${YEAR} from generate_series(1, ${graduates}) g`,
    `insert into people select ${graduates} + g, false, 'graduate', ${YEAR} from generate_series(1, ${hebei}) g`,
    `insert into people select ${graduates + hebei} + g, true,
       case when g % 3 = 0 then 'teacher' else 'delayed' end, ${YEAR}
     from generate_series(1, ${others}) g`,
    `insert into people select ${graduates + hebei + others} + g, true, 'graduate', ${YEAR - 1}
     from generate_series(1, ${lastYear}) g`,
    `insert into members (id, name, id_number, birth_date, branch_id, identity,
       graduation_branch_id, graduation_month, graduation_year)
     select p.n, 'member ' || p.n, 'B' || lpad(p.n::text, 17, '0'), date '2004-01-01' + p.n % 3000,
       gb.id, p.identity, gb.id, p.year || '-06', p.year
     from people p
     join (select shanxi, count(*)::int as size from gb group by shanxi) s on s.shanxi = p.shanxi
     join gb on gb.shanxi = p.shanxi and gb.rn = ${h("p.n")} % s.size`,
    "select setval('members_id_seq', (select max(id) from members))",
    `create temporary table plan as
     select m.id as member, m.graduation_branch_id as origin, m.shanxi,
       case when r < 48 then 'further_study' when r < 63 then 'employed_with_org'
            when r < 75 then 'employed_without_org' when r < 78 then 'overseas'
            when r < 96 then 'not_placed' else 'special_unit' end as reason,
       case when s < 60 then 'completed' when s < 80 then 'pending'
            when s < 88 then 'awaiting_assignment' when s < 90 then 'awaiting_leader'
            when s < 93 then 'rejected' when s < 97 then 'withdrawn' else 'auto_returned' end
         as state,
       ${scaled("m.id", 13, 2)} = 0 as coin,
       case when m.shanxi then ${scaled("m.id", 29, 100)} >= 3
            else ${scaled("m.id", 29, 100)} < 10 end as to_shanxi,
       ${scaled("m.id", 31, 1000000)} as pick,
       ${scaled("m.id", 19, 10)} = 0 as refiled
     from (select m.*, gb.shanxi,
             ${scaled("m.id", 7, 100)} as r, ${scaled("m.id", 17, 100)} as s
           from members m join gb on gb.id = m.graduation_branch_id
           where ${h("m.id")} >= 80000) m`,
    `update plan set state = 'awaiting_province' where reason = 'special_unit' and state = 'awaiting_leader'`,
    // Withdrawn first attempts (ids lower than the refiled ones, so the refiling is the outcome).
    `insert into applications (member_id, state, stage_since, initiator_kind, reason, from_org_id,
       to_org_id)
     select p.member, 'withdrawn', now(), 'member', 'not_placed', p.origin, d.unit
     from plan p join dest_size s on not s.school and s.shanxi = p.to_shanxi
     join dest d on d.school = s.school and d.shanxi = s.shanxi and d.rn = p.pick % s.size
     where p.refiled`,
    `insert into applications (member_id, state, stage_since, initiator_kind, reason, from_org_id,
       to_org_id, assigned_branch_id, retain_at_school)
     select p.member, p.state, now(), 'member', p.reason, p.origin,
       case when p.reason = 'special_unit' then null
            when p.reason = 'not_placed' and p.coin then p.origin else d.unit end,
       case when p.state = 'completed' and p.reason not in ('special_unit', 'overseas')
              and not (p.reason = 'not_placed' and p.coin) then d.branch end,
       p.reason = 'not_placed' and p.coin
     from plan p
     join dest_size s on s.school = (p.reason = 'further_study') and s.shanxi = p.to_shanxi
     join dest d on d.school = s.school and d.shanxi = s.shanxi and d.rn = p.pick % s.size`,
  ];
}

export async function generateIndicatorData(database: Database, graduates: number): Promise<void> {
  for (const statement of TREE_SQL) await database.query(statement);
  for (let depth = 0; depth < 6; depth++) await database.query(PATHS_SQL);
  for (const statement of peopleSql(graduates)) await database.query(statement);
  await database.query("analyze");
  // The applications bypass the services, so the members' outcomes are filled in one go.
  await refreshOutcomes(database.db, sql`select id from members`);
  // The refresh rewrote most members rows: compact the table so the count(*) floor is not
  // measured over dead rows.
  await database.query("vacuum full analyze members");
}

const median = (values: number[]) => {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)] as number;
};

async function timeMs(work: () => Promise<unknown>): Promise<number> {
  await work();
  const runs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    await work();
    runs.push(performance.now() - started);
  }
  return median(runs);
}

interface Row {
  db: string;
  graduates: number;
  rates: number;
  floor: number;
  targets?: string;
}

async function measure(database: Database, graduates: number): Promise<Row> {
  const started = performance.now();
  await generateIndicatorData(database, graduates);
  const generated = performance.now() - started;
  const result = await rates(database.db, PROVINCE_ID, YEAR, new Date());
  if (!result.ok) throw new Error("bench: the province is missing");
  const counted = result.counts.b + result.counts.e;
  const [floorRow] = await database.query<{ n: number }>(
    "select count(*)::int as n from members where graduation_year = $1 and identity = 'graduate'",
    [YEAR],
  );
  process.stdout.write(
    `${database.kind}: generated in ${(generated / 1000).toFixed(1)} s; ` +
      `province counts ${JSON.stringify(result.counts)}, ` +
      `SX ${fmt(result.sx.value)}, XS ${fmt(result.xs.value)}, ${result.children.length} cities; ` +
      `${floorRow?.n} graduates of ${YEAR} (B + E = ${counted} from inside)\n`,
  );
  const ratesMs = await timeMs(() => rates(database.db, PROVINCE_ID, YEAR, new Date()));
  const floorMs = await timeMs(() =>
    database.query(
      "select count(*) from members where graduation_year = $1 and identity = 'graduate'",
      [YEAR],
    ),
  );
  return { db: database.kind, graduates, rates: ratesMs, floor: floorMs };
}

const fmt = (value: number | null) => (value === null ? "—" : `${(value * 100).toFixed(1)}%`);

async function onPostgres(): Promise<Row> {
  return withScratchDatabase(BENCH_DB, async (url) => {
    const database = await openDatabase({ kind: "postgres", url });
    try {
      await runMigrations(database, url);
      return await measure(database, 1_000_000);
    } finally {
      await database.close();
    }
  });
}

async function onPglite(): Promise<Row> {
  const database = await openDatabase({ kind: "pglite" });
  try {
    await runMigrations(database);
    return await measure(database, 100_000);
  } finally {
    await database.close();
  }
}

export const indicatorsBench = {
  name: "indicators: province-wide SX / XS with per-city breakdown",
  async run(): Promise<void> {
    const rows = [await onPostgres(), await onPglite()];
    for (const row of rows) {
      if (row.db === "postgres") {
        const met = row.rates <= 1000 && row.rates <= 5 * row.floor;
        row.targets = met ? "met (≤ 1 s, ≤ 5×)" : "NOT met (≤ 1 s, ≤ 5×)";
      }
    }
    process.stdout.write(
      "| db | graduates | rates (median) | count(*) floor | ratio | targets |\n" +
        "|---|---:|---:|---:|---:|---|\n",
    );
    for (const row of rows) {
      process.stdout.write(
        `| ${row.db} | ${row.graduates.toLocaleString("en")} | ${row.rates.toFixed(0)} ms | ` +
          `${row.floor.toFixed(0)} ms | ${(row.rates / row.floor).toFixed(1)}× | ${row.targets ?? "—"} |\n`,
      );
    }
  },
};
