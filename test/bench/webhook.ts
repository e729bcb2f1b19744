/**
 * Webhook path benchmark (issues 10.1 and 22.1): autocannon at 200 connections on loopback
 * against our POST /telegram/webhook (PostgreSQL behind it, the fake Bot API answering the bot's
 * calls), replaying approve presses of distinct pending applications with distinct update ids,
 * pressed by 500 distinct admins under the real per-person limit. Against it, the same-work
 * floor: a handler on the same hono route that runs the statements of one decision — the update
 * claim, the rate limit, the lookups, the decision's write and the outcome refresh — as one raw
 * postgres.js transaction (no grammY, no engine, no drizzle). As context, grammY's own
 * `webhookCallback(bot, "hono")` whose handler does `select 1`. Then the latency people feel: a
 * steady 100 presses a second offered, arriving at random as from independent people; and the server's RSS before and after its presses.
 * Sizes: BENCH_WEBHOOK_UPDATES (10,000), BENCH_WEBHOOK_STEADY (3,000 presses, 30 s).
 */
import { fork } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { serve } from "@hono/node-server";
import { Bot, webhookCallback } from "grammy";
import type { Update } from "grammy/types";
import { Hono } from "hono";
import postgres from "postgres";
import { type Database, openDatabase } from "../../src/db/client.ts";
import { runMigrations } from "../../src/db/migrate.ts";
import { BOT } from "../channels/telegram/fakeBotApi.ts";
import { freePort } from "../helpers/spawnApp.ts";
import {
  buildScene,
  callbackUpdate,
  NOW,
  type Scene,
  SECRET,
  TOKEN,
} from "../reliability/telegramScene.ts";
import type { Load, LoadResult } from "./loadGenerator.ts";
import { withScratchDatabase } from "./scratchDatabase.ts";
import { settledRssMb } from "./settledRss.ts";

const BENCH_DB = "zhtj_bench_webhook";
const CONNECTIONS = 200;
const UPDATES = Number(process.env.BENCH_WEBHOOK_UPDATES ?? 10_000);
const STEADY = Number(process.env.BENCH_WEBHOOK_STEADY ?? 3_000);
const STEADY_RATE = 100;
const WARM_UP = 1_000;
/** 20 presses each at 10,000: well inside the per-person limit of 60 a minute. */
const PRESSERS = 500;

interface Result extends LoadResult {
  name: string;
  /** CPU time of this process (the server; the load generator runs apart) per request. */
  cpuMs: number;
  /** CPU time of the local PostgreSQL per request. */
  dbCpuMs: number;
}

/**
 * CPU time of the local PostgreSQL's processes so far (Linux /proc; clock ticks of 10 ms),
 * counting backends that ended into their parent's total. 0 where there is no /proc.
 */
function postgresCpuMs(): number {
  let ticks = 0;
  for (const pid of existsSync("/proc") ? readdirSync("/proc") : []) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      if (stat.slice(stat.indexOf("(") + 1, close) !== "postgres") continue;
      const fields = stat.slice(close + 2).split(" ");
      // utime, stime, cutime, cstime are fields 14-17 of stat; here 11-14 after the name.
      for (const i of [11, 12, 13, 14]) ticks += Number(fields[i]);
    } catch {
      // The process ended meanwhile.
    }
  }
  return ticks * 10;
}

/** Posts every body once to our webhook route from a load generator in another process. */
async function fire(
  name: string,
  port: number,
  bodies: string[],
  options: { connections?: number; overallRate?: number } = {},
): Promise<Result> {
  const child = fork(fileURLToPath(new URL("./loadGenerator.ts", import.meta.url)), {
    execArgv: ["--import", "tsx"],
  });
  const load: Load = {
    url: `http://127.0.0.1:${port}/telegram/webhook`,
    headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": SECRET },
    bodies,
    connections: options.connections ?? CONNECTIONS,
    ...(options.overallRate ? { overallRate: options.overallRate } : {}),
  };
  const cpu = process.cpuUsage();
  const dbCpu = postgresCpuMs();
  const result = await new Promise<LoadResult>((resolve, reject) => {
    child.once("message", (m) => resolve(m as LoadResult));
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`the load generator exited with ${code}`)));
    child.send(load);
  });
  const used = process.cpuUsage(cpu);
  const row = {
    name,
    ...result,
    cpuMs: (used.user + used.system) / 1000 / result.requests,
    dbCpuMs: (postgresCpuMs() - dbCpu) / result.requests,
  };
  process.stdout.write(`${name}: ${JSON.stringify(row)}\n`);
  return row;
}

async function serveOn(fetch: (req: Request) => Response | Promise<Response>) {
  const port = await freePort();
  const server = serve({ fetch, port, hostname: "127.0.0.1" });
  await new Promise((r) => server.once("listening", r));
  return {
    port,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

interface Ours {
  burst: Result;
  steady: Result;
  rssBeforeMb: number;
  rssAfterMb: number;
}

async function ours(database: Database, scene: Scene): Promise<Ours> {
  const server = await serveOn(scene.app.fetch);
  try {
    const bodies = scene.approvals.map((u) => JSON.stringify(u));
    // A server that has run a while is what people press against: the first presses compile
    // code, open the pool and prepare statements, so they are sent first and not counted.
    await fire(
      "ours, warm-up (not counted)",
      server.port,
      bodies.slice(2 * UPDATES, 2 * UPDATES + WARM_UP),
      {
        connections: 20,
      },
    );
    const steady = await fire("ours, steady", server.port, bodies.slice(2 * UPDATES + WARM_UP), {
      connections: 20,
      overallRate: STEADY_RATE,
    });
    const rssBeforeMb = await settledRssMb();
    const burst = await fire("ours", server.port, bodies.slice(0, UPDATES));
    const rssAfterMb = await settledRssMb();
    const [done] = await database.query<{ n: number }>(
      "select count(*)::int as n from applications where state = 'completed'",
    );
    process.stdout.write(
      `webhook: ${done?.n} of ${UPDATES + WARM_UP + steady.requests} pressed applications completed; ` +
        `server RSS ${rssBeforeMb.toFixed(0)} MB before the burst, ${rssAfterMb.toFixed(0)} MB after\n`,
    );
    return { burst, steady, rssBeforeMb, rssAfterMb };
  } finally {
    await server.close();
  }
}

/**
 * The same work as one decision of ours, written by hand: the statements our press runs (read
 * from PostgreSQL's statement log), with the same texts where we select wide rows, as one
 * postgres.js transaction pipelined as far as the data allows (three round trips, ours five).
 * It keeps what a decision must: the update claimed once, the per-person limit, the admin's
 * right to decide, the state checked in the write, both notices in the outbox.
 */
/** Our outcome refresh for one member (src/services/outcomes.ts), as PostgreSQL received it. */
const REFRESH_OUTCOME = `update members m
  set outcome_application_id = o.id, outcome_reason = o.reason, outcome_state = o.state,
    outcome_retained = coalesce(o.retain_at_school, false), outcome_destination_id = o.destination
  from (
    select t.member_id, a.id, a.reason, a.state, a.retain_at_school,
      coalesce(a.assigned_branch_id, a.to_org_id) as destination
    from (select distinct member_id from (select $1::int) ids(member_id)) t
    left join (
      select distinct on (a.member_id) a.member_id, a.id, a.reason, a.state,
        a.retain_at_school, a.assigned_branch_id, a.to_org_id
      from applications a
      where a.member_id in (select $2::int) and a.state not in ('rejected', 'withdrawn', 'auto_returned')
      order by a.member_id,
        case when a.state = 'completed' and not a.retain_at_school then 0 when a.state = 'completed' then 1 else 2 end,
        case when a.state = 'completed' and not a.retain_at_school then a.id else -a.id end
    ) a on a.member_id = t.member_id
  ) o
  where m.id = o.member_id
    and (m.outcome_application_id, m.outcome_reason, m.outcome_state, m.outcome_retained,
         m.outcome_destination_id)
      is distinct from
        (o.id, o.reason, o.state, coalesce(o.retain_at_school, false), o.destination)`;

function sameWorkHandler(sql: postgres.Sql) {
  const step = 60_000 / 60;
  const at = NOW.getTime();
  const orgJson = `json_build_object('id', o.id, 'parentId', o.parent_id, 'path', o.path,
    'name', o.name, 'kind', o.kind, 'level', o.level, 'domain', o.domain, 'category', o.category,
    'institutionCode', o.institution_code, 'provinceId', o.province_id,
    'isSystemCommittee', o.is_system_committee, 'isExternalProvince', o.is_external_province,
    'graduationMonth', o.graduation_month, 'graduationUnsetReason', o.graduation_unset_reason)`;
  const decide = async (update: Update): Promise<string> => {
    const q = update.callback_query;
    if (!q?.data || !q.message) return "";
    const chatId = String(q.message.chat.id);
    const userId = String(q.from.id);
    const key = `chat:telegram:${userId}`;
    const token = q.data;
    return sql.begin(async (tx) => {
      const [claimed, [user], , [action], [spent]] = await Promise.all([
        tx`insert into processed_updates (channel, update_key, processed_at)
           values ('telegram', ${`${BOT.id}:${update.update_id}`}, ${NOW}::timestamptz)
           on conflict do nothing returning 1 as claimed`,
        tx`select member_id, admin_id, locale from chat_identities
           where channel = 'telegram' and external_user_id = ${userId}`,
        tx`select state, version from dialog_states
           where channel = 'telegram' and chat_id = ${chatId} and user_id = ${userId}`,
        tx`select user_id, state_version, payload from dialog_actions
           where token = ${token} and channel = 'telegram' and chat_id = ${chatId}`,
        tx`with before as (select tat from rate_limits where key = ${key}),
           spent as (
             insert into rate_limits (key, tat) values (${key}, to_timestamp(${(at + step) / 1000}::float8))
             on conflict (key) do update
               set tat = greatest(rate_limits.tat, to_timestamp(${at / 1000}::float8)) + ${step}::float8 * interval '1 millisecond'
               where greatest(rate_limits.tat, to_timestamp(${at / 1000}::float8)) + ${step}::float8 * interval '1 millisecond'
                 <= to_timestamp(${(at + 60_000) / 1000}::float8)
             returning tat)
           select exists (select 1 from spent) as granted,
             (extract(epoch from (select tat from before)) * 1000)::float8 as tat`,
      ]);
      if (claimed.length === 0) return "duplicate";
      if (!spent?.granted) return "slow down";
      const id = (action?.payload as { args?: { id?: number } } | undefined)?.args?.id;
      if (!user?.admin_id || id === undefined) return "not yours";
      const [[admin], [app]] = await Promise.all([
        tx.unsafe(
          `select a.id, a.name, a.phone, ${orgJson} as org
           from admins a join organizations o on o.id = a.org_id where a.id = $1`,
          [user.admin_id],
          { prepare: true },
        ),
        tx.unsafe(
          `select a.id, a.member_id, a.state, a.initiator_kind, a.initiator_member_id,
             a.initiator_admin_id, a.external, a.to_org_id, a.deciding_org_id,
             (select ${orgJson} from organizations o where o.id = a.deciding_org_id) as deciding
           from applications a where a.id = $1`,
          [id],
          { prepare: true },
        ),
      ]);
      if (!admin || !app || app.state !== "pending") return "not pending";
      if ((admin.org as { id: number }).id !== app.deciding_org_id) return "not yours";
      const payload = JSON.stringify({ state: "completed", applicationId: id });
      const [[moved]] = await Promise.all([
        tx`with moved as (
             update applications set decided_by_admin_id = ${admin.id}, decided_at = ${NOW},
               state = 'completed', updated_at = ${NOW}
             where id = ${id} and state = 'pending' returning id),
           recorded as (
             insert into application_history (application_id, action, actor_kind, actor_admin_id,
               from_state, to_state, at)
             select id, 'approve', 'admin', ${admin.id}, 'pending', 'completed', ${NOW}::timestamptz
             from moved),
           relocated as (
             update members set branch_id = ${app.to_org_id}, retained_since = null
             where id = ${app.member_id} and exists (select 1 from moved)),
           noticed as (
             insert into outbox (event, recipient_type, recipient_id, payload, dedupe_key, status)
             select * from (values
               ('card_outcome', 'org', ${app.deciding_org_id}::int, ${payload}::jsonb,
                 ${`app:${id}:card:pending:org:${app.deciding_org_id}`}, 'queued'),
               ('outcome', 'member', ${app.member_id}::int, ${payload}::jsonb,
                 ${`app:${id}:outcome:completed:member:${app.member_id}`}, 'queued')) v
             where exists (select 1 from moved)
             on conflict do nothing)
           select id from moved`,
        tx.unsafe(REFRESH_OUTCOME, [app.member_id, app.member_id], { prepare: true }),
      ]);
      return moved ? `已同意申请 #${id}，转接已完成。` : "not pending";
    });
  };
  const app = new Hono();
  app.post("/telegram/webhook", async (c) => {
    if (c.req.header("x-telegram-bot-api-secret-token") !== SECRET) return c.body(null, 401);
    const update = await c.req.json<Update>();
    const text = await decide(update);
    return c.json({
      method: "answerCallbackQuery",
      callback_query_id: update.callback_query?.id,
      text,
    });
  });
  return app;
}

async function sameWork(database: Database, url: string, scene: Scene): Promise<Result> {
  const sql = postgres(url, { max: Number(process.env.POOL ?? 10), onnotice: () => {} });
  const server = await serveOn(sameWorkHandler(sql).fetch);
  try {
    const before = await completed(database);
    const result = await fire(
      "same-work floor",
      server.port,
      scene.approvals.slice(UPDATES, 2 * UPDATES).map((u) => JSON.stringify(u)),
    );
    const done = (await completed(database)) - before;
    process.stdout.write(`same-work floor: ${done} of ${UPDATES} applications completed\n`);
    if (done !== UPDATES) throw new Error("bench: the same-work floor did not decide every press");
    return result;
  } finally {
    await server.close();
    await sql.end();
  }
}

const completed = async (database: Database) =>
  (
    await database.query<{ n: number }>(
      "select count(*)::int as n from applications where state = 'completed'",
    )
  )[0]?.n ?? 0;

async function floor(url: string, updates: Update[]): Promise<Result> {
  const sql = postgres(url, { max: 10, onnotice: () => {} });
  const bot = new Bot(TOKEN, { botInfo: BOT as never });
  bot.on("callback_query", async () => {
    await sql`select 1`;
  });
  const app = new Hono();
  app.post("/telegram/webhook", webhookCallback(bot, "hono", { secretToken: SECRET }));
  const server = await serveOn(app.fetch);
  try {
    return await fire(
      "grammY, select 1 (context)",
      server.port,
      updates.map((u) => JSON.stringify(u)),
    );
  } finally {
    await server.close();
    await sql.end();
  }
}

export const webhookBench = {
  key: "webhook",
  name: `Telegram webhook: ${CONNECTIONS} connections, approve presses by ${PRESSERS} admins, PostgreSQL`,
  async run(): Promise<void> {
    await withScratchDatabase(BENCH_DB, async (url) => {
      const database = await openDatabase({
        kind: "postgres",
        url,
        max: Number(process.env.POOL ?? 10),
      });
      let mine: Ours;
      let same: Result;
      try {
        await runMigrations(database, url);
        const started = performance.now();
        // Ours gets the first UPDATES applications, the same-work floor the next, the steady
        // run the rest: every press decides a pending application.
        const scene = await buildScene(database, {
          count: 2 * UPDATES + WARM_UP + STEADY,
          delivered: 1,
          firstUpdateId: 1,
          pressers: PRESSERS,
        });
        process.stdout.write(
          `webhook: ${2 * UPDATES + WARM_UP + STEADY} pending applications and presses ready in ` +
            `${((performance.now() - started) / 1000).toFixed(1)} s\n`,
        );
        try {
          mine = await ours(database, scene);
          same = await sameWork(database, url, scene);
        } finally {
          await scene.stop();
        }
      } finally {
        await database.close();
      }
      const updates = Array.from({ length: UPDATES }, (_, i) => callbackUpdate(i + 1, `t${i}`, 1));
      const grammy = await floor(url, updates);
      const throughput = mine.burst.rps / same.rps;
      const tail = mine.burst.p99 / same.p99;
      const leak = mine.rssAfterMb / mine.rssBeforeMb - 1;
      process.stdout.write(
        "| handler | requests | req/s | p50 | p99 | server CPU / request | PostgreSQL CPU / request | non-2xx | errors |\n" +
          "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
      );
      for (const r of [mine.burst, same, grammy, mine.steady]) {
        process.stdout.write(
          `| ${r.name} | ${r.requests} | ${r.rps.toFixed(0)} | ${r.p50} ms | ${r.p99} ms | ` +
            `${r.cpuMs.toFixed(2)} ms | ${r.dbCpuMs.toFixed(2)} ms | ` +
            `${r.non2xx} | ${r.errors} |\n`,
        );
      }
      const verdict = (ok: boolean) => (ok ? "met" : "NOT met");
      process.stdout.write(
        `\nours / same-work floor: throughput ${mine.burst.rps.toFixed(0)} / ${same.rps.toFixed(0)} req/s = ` +
          `${(throughput * 100).toFixed(0)}% (target ≥ 70%), p99 ${mine.burst.p99} / ${same.p99} ms = ` +
          `${tail.toFixed(2)}× (target ≤ 1.5×): ${verdict(throughput >= 0.7 && tail <= 1.5)}\n` +
          `ours / grammY select-1 (context): throughput ${((mine.burst.rps / grammy.rps) * 100).toFixed(0)}%, ` +
          `p99 ${(mine.burst.p99 / grammy.p99).toFixed(1)}×\n` +
          `steady ${STEADY_RATE} presses/s offered (${mine.steady.rps.toFixed(0)} answered/s): ` +
          `p99 ${mine.steady.p99} ms (target ≤ 50 ms): ${verdict(mine.steady.p99 <= 50)}\n` +
          `server RSS before / after ${UPDATES} presses: ${mine.rssBeforeMb.toFixed(0)} / ` +
          `${mine.rssAfterMb.toFixed(0)} MB = ${leak >= 0 ? "+" : ""}${(leak * 100).toFixed(1)}% ` +
          `(target within 10%): ${verdict(Math.abs(leak) <= 0.1)}\n`,
      );
    });
  },
};
