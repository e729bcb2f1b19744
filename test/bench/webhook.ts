/**
 * Webhook path benchmark (issue 10.1): autocannon at 200 connections on loopback against our
 * POST /telegram/webhook (PostgreSQL behind it, the fake Bot API answering the bot's calls),
 * replaying approve presses of distinct pending applications with distinct update ids; and, as
 * the floor, grammY's own `webhookCallback(bot, "hono")` on a bare bot whose handler does one
 * PostgreSQL query.
 */
import { fork } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { serve } from "@hono/node-server";
import { Bot, webhookCallback } from "grammy";
import type { Update } from "grammy/types";
import { Hono } from "hono";
import postgres from "postgres";
import { openDatabase } from "../../src/db/client.ts";
import { runMigrations } from "../../src/db/migrate.ts";
import { BOT } from "../channels/telegram/fakeBotApi.ts";
import { freePort } from "../helpers/spawnApp.ts";
import { buildScene, SECRET, TOKEN } from "../reliability/telegramScene.ts";
import type { Load, LoadResult } from "./loadGenerator.ts";
import { withScratchDatabase } from "./scratchDatabase.ts";

const BENCH_DB = "zhtj_bench_webhook";
const CONNECTIONS = 200;
const UPDATES = Number(process.env.BENCH_WEBHOOK_UPDATES ?? 10_000);

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
async function fire(name: string, port: number, bodies: string[]): Promise<Result> {
  const child = fork(fileURLToPath(new URL("./loadGenerator.ts", import.meta.url)), {
    execArgv: ["--import", "tsx"],
  });
  const load: Load = {
    url: `http://127.0.0.1:${port}/telegram/webhook`,
    headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": SECRET },
    bodies,
    connections: CONNECTIONS,
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

async function ours(url: string): Promise<Result> {
  const database = await openDatabase({
    kind: "postgres",
    url,
    max: Number(process.env.POOL ?? 10),
  });
  try {
    await runMigrations(database, url);
    const started = performance.now();
    const scene = await buildScene(database, { count: UPDATES, delivered: 1, firstUpdateId: 1 });
    process.stdout.write(
      `webhook: ${UPDATES} pending applications and presses ready in ` +
        `${((performance.now() - started) / 1000).toFixed(1)} s\n`,
    );
    const server = await serveOn(scene.app.fetch);
    try {
      const result = await fire(
        "ours",
        server.port,
        scene.approvals.map((u) => JSON.stringify(u)),
      );
      const [done] = await database.query<{ n: number }>(
        "select count(*)::int as n from applications where state = 'completed'",
      );
      process.stdout.write(`webhook: ${done?.n} of ${UPDATES} applications completed\n`);
      return result;
    } finally {
      await server.close();
      await scene.stop();
    }
  } finally {
    await database.close();
  }
}

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
      "grammY floor",
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
  name: `Telegram webhook: ${CONNECTIONS} connections, approve presses, PostgreSQL`,
  async run(): Promise<void> {
    await withScratchDatabase(BENCH_DB, async (url) => {
      const mine = await ours(url);
      // The same bodies: distinct update ids, the floor's handler ignores what they press.
      const { callbackUpdate } = await import("../reliability/telegramScene.ts");
      const updates = Array.from({ length: UPDATES }, (_, i) => callbackUpdate(i + 1, `t${i}`, 1));
      const base2 = await floor(url, updates);
      const throughput = mine.rps / base2.rps;
      const tail = mine.p99 / base2.p99;
      const met = throughput >= 0.25 && tail <= 3;
      process.stdout.write(
        "| handler | requests | req/s | p50 | p99 | server CPU / request | PostgreSQL CPU / request | non-2xx | errors |\n" +
          "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
      );
      for (const r of [mine, base2]) {
        process.stdout.write(
          `| ${r.name} | ${r.requests} | ${r.rps.toFixed(0)} | ${r.p50} ms | ${r.p99} ms | ` +
            `${r.cpuMs.toFixed(2)} ms | ${r.dbCpuMs.toFixed(2)} ms | ` +
            `${r.non2xx} | ${r.errors} |\n`,
        );
      }
      process.stdout.write(
        `\nours / floor: throughput ${(throughput * 100).toFixed(0)}% (target ≥ 25%), ` +
          `p99 ${tail.toFixed(1)}× (target ≤ 3×): ${met ? "met" : "NOT met"}\n`,
      );
    });
  },
};
