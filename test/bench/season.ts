/**
 * A season replayed (issue 22.5), on PostgreSQL and one virtual clock: a city-sized season —
 * graduates of the colleges of 团太原市委 going to the real counties of Taiyuan (the reference
 * tree), to universities of the province, to employers and townships — filed from June,
 * decided through September (card presses on the Telegram webhook, the web chat's services,
 * townships by batch), rejections refiled in October, the wrap-up's auto-returns, and every
 * scheduled job at its cron time. Two app copies share the database, each in a process of its
 * own (seasonCopy.ts) with its pool, Telegram runtime and webhook, delivery loop and batch
 * runner; every job period is raced by both (the `job_runs` claim lets one run it). This
 * process drives them and holds one fake Bot API, Telegram's limits enforced on the one
 * virtual clock the copies live on (seasonIpc.ts). Time stands still while anything works and
 * moves on once everyone sleeps (test/helpers/clock.ts), so a day's deliveries take the
 * virtual time the limits allow.
 * `npm run bench -- season [--graduates N]` (100,000 by default).
 */
import { eq } from "drizzle-orm";
import cron from "node-cron";
import { loadConfig } from "../../src/config.ts";
import { type Database, openDatabase } from "../../src/db/client.ts";
import { loadReferenceData } from "../../src/db/demo/referenceData.ts";
import { runMigrations } from "../../src/db/migrate.ts";
import { createOrganization } from "../../src/db/orgTree.ts";
import {
  admins,
  chatBindings,
  chatIdentities,
  members,
  organizations,
} from "../../src/db/schema.ts";
import { sealIdNumber } from "../../src/db/sealing.ts";
import type {
  ApplicationState,
  HistoryAction,
  TransferReason,
} from "../../src/domain/application.ts";
import { autoReturnAt, startOfDay } from "../../src/domain/calendar.ts";
import { outcomeOf, sxRate, xsRate } from "../../src/domain/indicators.ts";
import { isOpen, type LifecycleAction, nextState } from "../../src/domain/lifecycle.ts";
import { appJobs } from "../../src/jobs/jobs.ts";
import type { Job } from "../../src/jobs/runner.ts";
import { rates } from "../../src/services/rates.ts";
import type { FileInput } from "../../src/services/transfers.ts";
import { type Call, startFakeBotApi } from "../channels/telegram/fakeBotApi.ts";
import { sharedClock } from "../helpers/clock.ts";
import { TEST_SEASON } from "../helpers/season.ts";
import { YEAR } from "../helpers/world.ts";
import { callbackUpdate, idNumberOf, SECRET } from "../reliability/telegramScene.ts";
import { platformMinimumMs } from "./delivery.ts";
import { seededRandom } from "./random.ts";
import { withScratchDatabase } from "./scratchDatabase.ts";
import { type CopyProcess, startCopy } from "./seasonIpc.ts";

const BENCH_DB = "bench_season";
const argAfter = (flag: string) => {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const CHATS = Number(argAfter("--chats") ?? 300);
const TARGET_MINUTES = 15;
/** People acting at once (filing, deciding) within an hour's actions. */
const PEOPLE = Number(argAfter("--people") ?? 16);
/** Delivery loops per copy. */
const LOOPS = Number(argAfter("--loops") ?? 1);
/** A city-sized season: what the target is for. */
const CITY = 100_000;
const GRADUATES = Number(argAfter("--graduates") ?? process.env.BENCH_SEASON_GRADUATES ?? CITY);
const season = TEST_SEASON;
const TZ = season.timezone;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const FIRST_DAY = startOfDay(`${YEAR}-06-01`, TZ).getTime();
const LAST_DAY = startOfDay(`${YEAR}-11-01`, TZ).getTime();
const SENDS = new Set(["sendMessage", "sendPhoto", "editMessageText"]);

const rnd = seededRandom(22_5);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
/** An instant of a day (index from 1 June) within working hours, on the hour. */
const workHour = (day: number, from = 9, to = 18) =>
  FIRST_DAY + day * DAY + (from + Math.floor(rnd() * (to - from))) * HOUR;

interface Receiver {
  orgId: number;
  adminId: number;
  /** Bound group (cards are pressed there), or null: decided in the web chat (services). */
  chat: number | null;
  /** Telegram users who press this receiver's cards, taking turns. */
  pressers: number[];
  /** A committee: it approves by batch, placing everyone in this branch. */
  batchBranch: number | null;
  reason: TransferReason;
}

interface Person {
  memberId: number;
  receiver: Receiver;
  fileAt: number;
  /** What the receiver does, and when (null: nothing, so the wrap-up returns it). */
  fate: "approve" | "reject" | "withdraw" | "ignore";
  decideAt: number;
  refile: boolean;
  applicationId?: number;
  refiledId?: number;
}

async function buildCity(db: Database["db"]) {
  await loadReferenceData(db);
  const byName = async (name: string) =>
    (await db.select().from(organizations).where(eq(organizations.name, name)))[0]!;
  const province = await byName("团山西省委");
  const city = await byName("团太原市委");
  const counties = await db.select().from(organizations).where(eq(organizations.parentId, city.id));
  return db.transaction(async (tx) => {
    const make = (values: Parameters<typeof createOrganization>[1]) =>
      createOrganization(tx, values).then((o) => o.id);
    const classes: number[] = [];
    const colleges: number[] = [];
    for (let c = 0; c < 8; c++) {
      const college = await make({
        parentId: city.id,
        name: `太原第${c + 1}职业技术学院团委`,
        kind: "committee",
        domain: "school",
        institutionCode: `93${String(c).padStart(3, "0")}`,
      });
      colleges.push(college);
      for (let k = 0; k < 25; k++) {
        classes.push(
          await make({
            parentId: college,
            name: `2023级${k + 1}班团支部`,
            kind: "branch",
            domain: "school",
            graduationMonth: `${YEAR}-06`,
          }),
        );
      }
    }
    const receivers: Omit<Receiver, "adminId" | "chat" | "pressers">[] = [];
    for (let u = 0; u < 20; u++) {
      const university = await make({
        parentId: province.id,
        name: `山西第${u + 1}大学团委`,
        kind: "committee",
        domain: "school",
        institutionCode: `94${String(u).padStart(3, "0")}`,
      });
      const branch = await make({
        parentId: university,
        name: `${YEAR}级新生团支部`,
        kind: "branch",
        domain: "school",
      });
      receivers.push({ orgId: branch, batchBranch: null, reason: "further_study" });
    }
    const community: number[] = [];
    for (const county of counties) {
      for (let e = 0; e < 4; e++) {
        const employer = await make({
          parentId: county.id,
          name: `${county.name.replace(/^团|委$/g, "")}第${e + 1}企业团委`,
          kind: "committee",
          domain: "enterprise",
        });
        const branch = await make({
          parentId: employer,
          name: "机关团支部",
          kind: "branch",
          domain: "enterprise",
        });
        receivers.push({ orgId: branch, batchBranch: null, reason: "employed_with_org" });
      }
      for (let s = 0; s < 6; s++) {
        const township = await make({
          parentId: county.id,
          name: `${county.name.replace(/^团|委$/g, "")}第${s + 1}街道团工委`,
          kind: "committee",
          level: "township",
          domain: "community",
        });
        const branches: number[] = [];
        for (let b = 0; b < 3; b++) {
          branches.push(
            await make({
              parentId: township,
              name: `第${b + 1}社区团支部`,
              kind: "branch",
              domain: "community",
            }),
          );
        }
        community.push(...branches);
        receivers.push({
          orgId: township,
          batchBranch: branches[0]!,
          reason: "employed_without_org",
        });
      }
    }
    return { city, counties: counties.map((c) => c.id), colleges, classes, receivers, community };
  });
}

/**
 * The instants in [from, from + 1 h) a job fires. node-cron's `match` builds date formatters on
 * every call (slow, and native memory), so an expression that fires at the same local minutes
 * every day — day, month and weekday `*`, as every default schedule — is matched over one
 * day only; the replay's zone keeps no daylight saving time.
 */
function firesIn(expression: string, from: number): number[] {
  const minutes = (start: number, span: number) => {
    const task = cron.createTask(expression, () => {}, { timezone: TZ });
    const at: number[] = [];
    for (let t = start; t < start + span; t += 60_000) if (task.match(new Date(t))) at.push(t);
    task.destroy();
    return at;
  };
  if (!/^\S+ \S+ \* \* \*$/.test(expression.trim())) return minutes(from, HOUR);
  let day = daily.get(expression);
  if (!day) {
    day = minutes(FIRST_DAY, DAY).map((t) => t - FIRST_DAY);
    daily.set(expression, day);
  }
  const offset = (from - FIRST_DAY) % DAY;
  return day.filter((o) => o >= offset && o < offset + HOUR).map((o) => from + o - offset);
}
const daily = new Map<string, number[]>();

function requestFor(reason: TransferReason, memberId: number, destinationOrgId: number): FileInput {
  const base = {
    actor: { kind: "member" as const, memberId },
    as: "member" as const,
    external: false,
    destinationOrgId,
  };
  if (reason === "further_study")
    return {
      ...base,
      reason,
      studyType: "university",
      schoolName: "山西大学",
      schoolAddress: "太原市",
    };
  return { ...base, reason, employerName: "太原某公司", employerAddress: "太原市" };
}

export const seasonBench = {
  key: "season",
  name: `a season replayed: ${GRADUATES.toLocaleString("en")} graduates of Taiyuan, ${CHATS} bound chats, two app copies, PostgreSQL, virtual clock`,
  async run(): Promise<void> {
    await withScratchDatabase(BENCH_DB, async (url) => {
      const violations: string[] = [];
      const violation = (what: string) => {
        if (violations.length < 50) process.stdout.write(`VIOLATION: ${what}\n`);
        violations.push(what);
      };
      // Participants: the driver and each copy (asleep once all in it sleeps: seasonIpc.ts).
      const copies: CopyProcess[] = [];
      const clock = sharedClock(FIRST_DAY, 3, 2_000);
      const fake = await startFakeBotApi({ limits: true, clock });
      const setupStarted = performance.now();
      // The driver's own connection: it sets the city up, reads what people see, and checks.
      const database = await openDatabase({ kind: "postgres", url });
      if (process.env.BENCH_SEASON_ASYNC_COMMIT)
        await database.query(`alter database ${BENCH_DB} set synchronous_commit = off`);
      await runMigrations(database, url);
      for (const name of ["A", "B"])
        copies.push(
          await startCopy({
            name,
            url,
            fakeUrl: fake.url,
            loops: LOOPS,
            clock,
            onViolation: violation,
          }),
        );
      const db = database.db;
      let peakRss = 0;
      const rssTimer = setInterval(() => {
        peakRss = Math.max(peakRss, process.memoryUsage().rss);
      }, 1_000);
      try {
        const city = await buildCity(db);
        // Bound chats: universities, townships and every other employer taking turns (so a
        // smaller --chats still has groups of each kind), then the counties, the city, the
        // colleges and community branches up to CHATS.
        const withChat = new Set<number>();
        const receivers: Receiver[] = [];
        let nextUser = 100_000;
        const kinds = (["further_study", "employed_without_org", "employed_with_org"] as const).map(
          (reason) =>
            city.receivers.filter(
              (r, i) => r.reason === reason && (reason !== "employed_with_org" || i % 2 === 0),
            ),
        );
        const bindOrder = Array.from({ length: Math.max(...kinds.map((k) => k.length)) }, (_, i) =>
          kinds.map((k) => k[i]),
        )
          .flat()
          .filter((r) => r !== undefined)
          .slice(0, CHATS)
          .map((r) => r.orgId);
        const bound = new Set(bindOrder);
        for (const [i, r] of city.receivers.entries()) {
          const [admin] = await db
            .insert(admins)
            .values({
              orgId: r.orgId,
              name: `管理员${i}`,
              phone: `0351-1${String(i).padStart(6, "0")}`,
            })
            .returning({ id: admins.id });
          const chat = bound.has(r.orgId) ? -(1_000_000 + i) : null;
          if (chat !== null) withChat.add(r.orgId);
          const pressers =
            chat === null || r.batchBranch !== null
              ? []
              : Array.from({ length: 5 }, () => nextUser++);
          receivers.push({ ...r, adminId: admin!.id, chat, pressers });
        }
        const extra = [city.city.id, ...city.counties, ...city.colleges, ...city.community].filter(
          (id) => !withChat.has(id),
        );
        const bindings = [
          ...receivers
            .filter((r) => r.chat !== null)
            .map((r) => ({ chatId: String(r.chat), orgId: r.orgId })),
          ...extra
            .slice(0, Math.max(0, CHATS - withChat.size))
            .map((orgId, i) => ({ chatId: String(-(2_000_000 + i)), orgId })),
        ];
        await db.insert(chatBindings).values(bindings.map((b) => ({ channel: "telegram", ...b })));
        const identities = receivers.flatMap((r) =>
          r.pressers.map((user) => ({
            channel: "telegram",
            externalUserId: String(user),
            adminId: r.adminId,
          })),
        );
        if (identities.length > 0) await db.insert(chatIdentities).values(identities);

        // Graduates and their season: a receiver by reason (40% further study, 35% employers,
        // 20% townships, 5% file nothing), a filing day in June–August, a fate and its day.
        const byReason = (reason: TransferReason) => receivers.filter((r) => r.reason === reason);
        const study = byReason("further_study");
        const employers = byReason("employed_with_org");
        const townships = byReason("employed_without_org");
        const people: Person[] = [];
        for (let from = 0; from < GRADUATES; from += 5_000) {
          const n = Math.min(5_000, GRADUATES - from);
          const rows = await db
            .insert(members)
            .values(
              Array.from({ length: n }, (_, k) => ({
                name: `毕业生${from + k}`,
                ...sealIdNumber(idNumberOf(from + k)),
                branchId: city.classes[(from + k) % city.classes.length]!,
                graduationBranchId: city.classes[(from + k) % city.classes.length]!,
                graduationMonth: `${YEAR}-06`,
                graduationYear: YEAR,
              })),
            )
            .returning({ id: members.id });
          for (const { id } of rows) {
            const x = rnd();
            if (x >= 0.95) continue;
            const receiver = pick(x < 0.4 ? study : x < 0.75 ? employers : townships);
            const fileDay = Math.floor(rnd() * 92);
            const fileAt = workHour(fileDay, 8, 22);
            const y = rnd();
            const fate =
              y < 0.04 ? "reject" : y < 0.06 ? "withdraw" : y < 0.12 ? "ignore" : "approve";
            // Decided 2–40 days after filing, by 30 September.
            const decideDay = Math.min(121, fileDay + 2 + Math.floor(rnd() * 38));
            people.push({
              memberId: id,
              receiver,
              fileAt,
              fate,
              decideAt: workHour(decideDay),
              refile: fate === "reject" && rnd() < 0.6,
            });
          }
        }
        process.stdout.write(
          `season: ${GRADUATES.toLocaleString("en")} graduates, ${people.length.toLocaleString("en")} filing, ` +
            `${bindings.length} bound chats, ${receivers.length} receivers; set up in ` +
            `${((performance.now() - setupStarted) / 1000).toFixed(0)} s\n`,
        );

        // The calendar: people's actions by the hour they happen in.
        type Action = () => Promise<void>;
        const plan = new Map<number, Action[]>();
        const at = (t: number, action: Action) => {
          const hour = Math.floor((t - FIRST_DAY) / HOUR);
          const list = plan.get(hour) ?? [];
          list.push(action);
          plan.set(hour, list);
        };
        let decisions = 0;
        let presses = 0;
        let turn = 0;
        const copy = () => copies[turn++ % 2]!;
        const must = (what: string, result: { ok: boolean; reason?: string }) => {
          if (!result.ok) violation(`${what}: ${result.reason}`);
        };
        /** The approve buttons the fake delivered: callback data → message id. */
        const buttons = new Map<string, number>();
        let scanned = 0;
        const scanButtons = () => {
          for (; scanned < fake.calls.length; scanned++) {
            const call = fake.calls[scanned]!;
            if (!call.result || !call.params.reply_markup) continue;
            for (const b of (call.params.reply_markup.inline_keyboard ?? []).flat()) {
              if (b.callback_data)
                buttons.set(b.callback_data as string, Number(call.result.message_id));
            }
          }
        };
        let updateId = 1;
        /** The approve tokens of the cards, by chat and application, read as they are made. */
        const approveTokens = new Map<string, string>();
        let tokensSince = new Date(0);
        const readTokens = async () => {
          // Rows commit out of their creation order: read a little behind the last one seen.
          const rows = await database.query<{
            token: string;
            chat: string;
            id: number;
            at: Date;
          }>(
            `select token, chat_id as chat, (payload->'args'->>'id')::int as id, created_at as at
             from dialog_actions where created_at >= $1::timestamptz - interval '1 minute'
               and channel = 'telegram' and payload->>'name' = 'approve'`,
            [tokensSince.toISOString()],
          );
          for (const row of rows) {
            approveTokens.set(`${row.chat}:${row.id}`, row.token);
            if (new Date(row.at) > tokensSince) tokensSince = new Date(row.at);
          }
        };
        const press = async (p: Person, applicationId: number) => {
          const r = p.receiver;
          const key = `${r.chat}:${applicationId}`;
          if (!approveTokens.has(key)) await readTokens();
          const token = approveTokens.get(key);
          approveTokens.delete(key);
          scanButtons();
          const messageId = token ? buttons.get(token) : undefined;
          if (!token || messageId === undefined) {
            violation(`no card to press for application ${applicationId} in ${r.chat}`);
            return;
          }
          const user = r.pressers[presses++ % r.pressers.length]!;
          const c = copy();
          // The webhook comes over another socket than the clock: the copy has the time first.
          await c.call("sync", null);
          const res = await fetch(`http://127.0.0.1:${c.port}/telegram/webhook`, {
            method: "POST",
            headers: {
              "content-type": "application/json",
              "x-telegram-bot-api-secret-token": SECRET,
            },
            body: JSON.stringify(callbackUpdate(updateId++, token, messageId, user, r.chat!)),
          });
          await res.arrayBuffer();
          if (res.status !== 200) violation(`webhook answered ${res.status}`);
        };
        const decide = async (p: Person, applicationId: number) => {
          const c = copy();
          if (p.fate === "withdraw") {
            must("withdraw", await c.call("withdraw", { memberId: p.memberId, applicationId }));
            return;
          }
          decisions++;
          const input = { adminId: p.receiver.adminId, applicationId };
          if (p.fate === "reject")
            must("reject", await c.call("reject", { ...input, reason: "信息错误" }));
          else if (p.receiver.chat !== null) await press(p, applicationId);
          else must("approve", await c.call("approve", input));
        };
        for (const p of people) {
          at(p.fileAt, async () => {
            const filed = await copy().call(
              "file",
              requestFor(p.receiver.reason, p.memberId, p.receiver.orgId),
            );
            if (!filed.ok) return violation(`filing: ${filed.reason}`);
            p.applicationId = filed.applicationId;
          });
          if (p.fate === "ignore" || (p.receiver.batchBranch !== null && p.fate === "approve"))
            continue;
          at(p.decideAt, async () => {
            if (p.applicationId !== undefined) await decide(p, p.applicationId);
          });
          if (!p.refile) continue;
          // Refiled early in October; half of those are approved, the rest wait to be returned.
          at(workHour(122 + Math.floor(rnd() * 5)), async () => {
            const filed = await copy().call("file", {
              ...requestFor(p.receiver.reason, p.memberId, p.receiver.orgId),
              refiledFromId: p.applicationId!,
            });
            if (!filed.ok) return violation(`refiling: ${filed.reason}`);
            p.refiledId = filed.applicationId;
          });
          if (rnd() < 0.5) {
            at(workHour(128 + Math.floor(rnd() * 4)), async () => {
              if (p.refiledId === undefined) return;
              decisions++;
              must(
                "approve",
                await copy().call("approve", {
                  adminId: p.receiver.adminId,
                  applicationId: p.refiledId,
                }),
              );
            });
          }
        }
        // Townships approve by batch every Monday and Thursday from July to September, each
        // placing everyone in its first community branch; those it means to leave stay out.
        const leftOut = new Set(people.filter((p) => p.fate !== "approve").map((p) => p.memberId));
        for (let day = 30; day <= 121; day++) {
          const weekday = new Date(FIRST_DAY + day * DAY + 12 * HOUR).getUTCDay();
          if (weekday !== 1 && weekday !== 4) continue;
          for (const r of townships) {
            at(FIRST_DAY + day * DAY + 10 * HOUR, async () => {
              const c = copy();
              const found = await c.call("candidates", { adminId: r.adminId });
              if (!found.ok) return violation(`batch candidates: ${found.reason}`);
              const ids = found.ids.filter((a) => !leftOut.has(a.memberId)).map((a) => a.id);
              if (ids.length === 0) return;
              decisions += ids.length;
              must(
                "batch",
                await c.call("queueBatch", {
                  adminId: r.adminId,
                  chatId: String(r.chat),
                  applicationIds: ids,
                  branchId: r.batchBranch!,
                }),
              );
            });
          }
        }

        // The replay.
        const jobs = appJobs(season, loadConfig({}).schedules);

        const ranBy = { A: 0, B: 0 };
        let jobRuns = 0;
        const bursts: { from: number; to: number }[] = [];
        const busy = async () => {
          const [row] = await database.query<{ n: number }>(
            `select (select count(*)::int from outbox where status = 'queued')
                  + (select count(*)::int from deliveries where status in ('queued', 'sending')
                       and available_at <= $1::timestamptz + interval '10 minutes')
                  + (select count(*)::int from batch_runs where status <> 'done') as n`,
            [new Date(clock.now()).toISOString()],
          );
          return (row?.n ?? 0) > 0;
        };
        let drainSteps = 0;
        let trimmed = 0;
        let jobWallMs = 0;
        const drain = async () => {
          const from = clock.now();
          let waited = false;
          while (await busy()) {
            waited = true;
            drainSteps++;
            await clock.sleep(1_000);
          }
          if (waited) bursts.push({ from, to: clock.now() });
          // The fake keeps every picture it received; the checks need only chats and ids, so
          // the pictures' bytes go (else the fake's record, not the copies, fills the RSS).
          for (; trimmed < fake.calls.length; trimmed++) {
            for (const value of Object.values(fake.calls[trimmed]!.params)) {
              if (value && typeof value === "object" && Buffer.isBuffer(value.data))
                value.data = null;
            }
          }
        };
        const race = async (job: Job, fire: number) => {
          const t0 = performance.now();
          const ran = await Promise.all(
            copies.map((c) => c.call("runSlot", { job: job.name, fire })),
          );
          if (ran.filter(Boolean).length !== 1)
            violation(
              `job ${job.name} at ${new Date(fire).toISOString()} ran ${ran.filter(Boolean).length} times`,
            );
          if (ran[0]) ranBy.A++;
          if (ran[1]) ranBy.B++;
          jobRuns++;
          jobWallMs += performance.now() - t0;
        };
        const wallStart = performance.now();
        let decideWallMs = 0;
        const hours = Math.min(
          Number(argAfter("--days") ?? 1e9) * 24,
          (LAST_DAY - FIRST_DAY) / HOUR,
        );
        for (let h = 0; h < hours; h++) {
          const start = FIRST_DAY + h * HOUR;
          const events: { t: number; run: () => Promise<void> }[] = [];
          for (const job of jobs)
            for (const t of firesIn(job.cron, start)) events.push({ t, run: () => race(job, t) });
          const actions = plan.get(h) ?? [];
          if (actions.length > 0) {
            events.push({
              t: start + 15 * 60_000,
              run: async () => {
                const t0 = performance.now();
                // People act side by side, through both copies: PEOPLE at a time, the next
                // one as soon as anyone is done.
                let next = 0;
                const person = async () => {
                  while (next < actions.length) await actions[next++]!();
                };
                await Promise.all(Array.from({ length: PEOPLE }, person));
                decideWallMs += performance.now() - t0;
              },
            });
          }
          events.sort((x, y) => x.t - y.t);
          for (const e of events) {
            clock.jumpTo(e.t);
            await e.run();
            await drain();
          }
          if (h % 24 === 0) {
            const rss = await Promise.all(copies.map((c) => c.call("rss", null)));
            process.stdout.write(
              `season: ${new Date(start).toISOString().slice(0, 10)} after ${((performance.now() - wallStart) / 1000).toFixed(0)} s, ` +
                `${fake.calls.length} Bot API calls, ${drainSteps} drain steps, ${clock.forced()} forced, jobs ${(jobWallMs / 1000).toFixed(0)} s, people ${(decideWallMs / 1000).toFixed(0)} s, RSS ${rss.map((r) => (r.rss / 2 ** 20).toFixed(0)).join(" / ")} MB (copies), ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB (driver and fake)\n`,
            );
          }
        }
        const wallMs = performance.now() - wallStart;
        const end = new Date(clock.now());

        // Checks. 1: every application in one state its history leads to (lifecycle.ts), no
        // open one left past its auto-return, each member's outcome the one outcomeOf picks.
        const apps = await database.query<{
          id: number;
          memberId: number;
          state: ApplicationState;
          stageSince: string;
          retain: boolean;
          reason: TransferReason;
        }>(
          `select id, member_id as "memberId", state, stage_since as "stageSince",
             retain_at_school as retain, reason from applications order by id`,
        );
        const history = await database.query<{
          id: number;
          action: HistoryAction;
          from: ApplicationState | null;
          to: ApplicationState;
        }>(
          `select h.application_id as id, h.action, h.from_state as from, h.to_state as to
           from application_history h order by h.application_id, h.id`,
        );
        const steps = new Map<number, typeof history>();
        for (const h of history) steps.set(h.id, [...(steps.get(h.id) ?? []), h]);
        for (const app of apps) {
          const chain = steps.get(app.id) ?? [];
          let state: ApplicationState | null = null;
          for (const [i, h] of chain.entries()) {
            if (i === 0) {
              if (h.action !== "create") violation(`application ${app.id} starts with ${h.action}`);
            } else {
              const allowed = [true, false].map((b) =>
                nextState(state!, h.action as LifecycleAction, { receiverIsBranch: b }),
              );
              if (h.from !== state || !allowed.includes(h.to))
                violation(
                  `application ${app.id}: ${h.action} from ${h.from} (was ${state}) to ${h.to}`,
                );
            }
            state = h.to;
          }
          if (state !== app.state)
            violation(`application ${app.id} is ${app.state}, its history says ${state}`);
          if (isOpen(app.state) && autoReturnAt(season, new Date(app.stageSince)) <= end)
            violation(`application ${app.id} still ${app.state} after its auto-return`);
        }
        const outcomes = await database.query<{
          id: number;
          outcome: number | null;
          state: ApplicationState | null;
        }>(
          `select id, outcome_application_id as outcome, outcome_state as state from members where graduation_year = $1`,
          [YEAR],
        );
        const appsOf = new Map<number, typeof apps>();
        for (const a of apps) appsOf.set(a.memberId, [...(appsOf.get(a.memberId) ?? []), a]);
        for (const m of outcomes) {
          const chosen = outcomeOf(
            (appsOf.get(m.id) ?? []).map((a) => ({
              id: a.id,
              state: a.state,
              retainAtSchool: a.retain,
            })),
          );
          if ((chosen?.id ?? null) !== m.outcome || (chosen?.state ?? null) !== m.state)
            violation(
              `member ${m.id}: outcome ${m.outcome}/${m.state}, outcomeOf says ${chosen?.id}/${chosen?.state}`,
            );
        }
        const states = new Map<string, number>();
        for (const a of apps) states.set(a.state, (states.get(a.state) ?? 0) + 1);

        // 2: every notification delivered once: no delivery left or given up, every sent one
        // a message the fake accepted in that chat, no message the fake accepted twice.
        const [open] = await database.query<{ queued: number; left: number }>(
          `select (select count(*)::int from outbox where status = 'queued') as queued,
                  (select count(*)::int from deliveries where status <> 'sent') as left`,
        );
        if (open!.queued + open!.left > 0)
          violation(`${open!.queued} events not fanned out, ${open!.left} deliveries not sent`);
        const sent = await database.query<{ chat: string; message: string | null }>(
          `select chat_id as chat, platform_message_id as message from deliveries where status = 'sent'`,
        );
        const accepted = fake.calls.filter((c) => SENDS.has(c.method) && c.result !== undefined);
        const messages = new Set(
          accepted
            .filter((c) => c.method !== "editMessageText")
            .map((c) => `${c.params.chat_id}:${c.result!.message_id}`),
        );
        // A delivery the renderer had nothing for (a reminder whose applications were decided
        // meanwhile) is settled as sent without a message.
        const unknown = sent.filter(
          (d) => d.message !== null && !messages.has(`${d.chat}:${d.message}`),
        );
        if (unknown.length > 0)
          violation(`${unknown.length} sent deliveries the fake never received`);
        const silent = sent.filter((d) => d.message === null).length;
        const seen = new Map<string, number>();
        // Pictures without a caption (a digest's chart) carry nothing to tell them apart.
        for (const c of accepted.filter(
          (c) => c.method !== "editMessageText" && (c.params.text ?? c.params.caption),
        )) {
          // Within one hour: a daily reminder may well read the same on two days.
          const key = `${c.params.chat_id}:${Math.floor(c.at / HOUR)}:${c.params.text ?? c.params.caption}`;
          seen.set(key, (seen.get(key) ?? 0) + 1);
        }
        const twice = [...seen.entries()].filter(([, n]) => n > 1);
        if (twice.length > 0)
          violation(
            `${twice.length} messages the fake received more than once, e.g. ${twice[0]![0].slice(0, 160)}`,
          );
        if (fake.tooMany.length > 0) {
          violation(`${fake.tooMany.length} answers 429 from the fake`);
          // What was sent to that chat, and by the bot, just before the first of them.
          const first = fake.tooMany[0]!;
          const before = accepted.filter((c) => c.at <= first.at && c.at > first.at - 60_000);
          const toChat = before.filter((c) => c.params.chat_id === first.params.chat_id);
          process.stdout.write(
            `season: the first 429: ${first.method} to ${first.params.chat_id} at ${new Date(first.at).toISOString()}; ` +
              `that chat's sends in the minute before at ${toChat.map((c) => c.at - first.at).join(", ")} ms; ` +
              `the bot's in the second before: ${before.filter((c) => c.at > first.at - 1_000).length}\n`,
          );
        }

        // 3: the city's SX and XS from the rates service against a plain count of applications.
        const result = await rates(db, city.city.id, YEAR, end);
        if (!result.ok) throw new Error("no rates for the city");
        const [count] = await database.query<{
          graduates: number;
          b: number;
          a: number;
          d: number;
        }>(
          `with live as (
             select a.member_id, a.reason, a.state, a.retain_at_school from applications a
             join members m on m.id = a.member_id
             where m.graduation_year = $1 and a.state not in ('rejected', 'withdrawn', 'auto_returned'))
           select (select count(*)::int from members where graduation_year = $1) as graduates,
             (select count(distinct member_id)::int from live where reason = 'further_study') as b,
             (select count(distinct member_id)::int from live where reason = 'further_study' and state = 'completed') as a,
             (select count(distinct member_id)::int from live where reason <> 'further_study'
                and state = 'completed' and not retain_at_school) as d`,
          [YEAR],
        );
        const direct = {
          ...result.counts,
          a: count!.a,
          b: count!.b,
          c: 0,
          d: count!.d,
          e: count!.graduates - count!.b,
          f: 0,
        };
        const sx = sxRate(result.counts).value;
        const xs = xsRate(result.counts).value;
        if (sx !== sxRate(direct).value || xs !== xsRate(direct).value)
          violation(
            `SX ${sx} / XS ${xs} from the rates service, ${sxRate(direct).value} / ${xsRate(direct).value} recounted`,
          );

        // Deliveries against the platform's minimum, over the bursts it takes more than 5 s for.
        const sends = accepted.filter((c) => c.at >= FIRST_DAY);
        let took = 0;
        let minimum = 0;
        let worst = 0;
        let measured = 0;
        let cursor = 0;
        for (const b of bursts) {
          const inBurst: Call[] = [];
          while (cursor < sends.length && sends[cursor]!.at < b.from) cursor++;
          for (let i = cursor; i < sends.length && sends[i]!.at <= b.to; i++)
            inBurst.push(sends[i]!);
          const min = inBurst.length > 1 ? platformMinimumMs(inBurst) : 0;
          if (min < 5_000) continue;
          const span = Math.max(...inBurst.map((c) => c.at)) - b.from;
          took += span;
          minimum += min;
          worst = Math.max(worst, span / min);
          measured++;
        }
        // Sends that shared an instant (the pool's sends side by side: budgets.ts, deliver.ts).
        const instants = new Set(sends.map((c) => c.at)).size;
        const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
        const rss = await Promise.all(copies.map((c) => c.call("rss", null)));
        const rssOf = [
          ...copies.map((c, i) => `copy ${c.name} ${mb(rss[i]!.rss)} (peak ${mb(rss[i]!.peak)})`),
          `driver and fake ${mb(process.memoryUsage().rss)} (peak ${mb(peakRss)})`,
        ].join("; ");
        const byKind = new Map<string, number>();
        for (const v of violations) {
          const kind = v.replace(/-?\d+/g, "N").slice(0, 100);
          byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
        }
        for (const [kind, n] of byKind) process.stdout.write(`violations: ${n} × ${kind}\n`);
        process.stdout.write(
          `season: states ${JSON.stringify(Object.fromEntries(states))}; jobs ${jobRuns} periods (copy A ran ${ranBy.A}, B ${ranBy.B}); ` +
            `${presses} presses on the webhooks; ${silent} deliveries rendered to nothing; clock moved on ${clock.forced()} times with a participant stuck\n` +
            `season: SX ${sx?.toFixed(4)} XS ${xs?.toFixed(4)} (service) vs ${sxRate(direct).value?.toFixed(4)} / ${xsRate(direct).value?.toFixed(4)} (recount)\n` +
            "| measure | graduates | wall time | decisions/s | deliveries vs platform minimum | RSS of each process | violations | target | met |\n" +
            "|---|---:|---:|---:|---|---:|---:|---|---|\n" +
            `| a season replayed, two copies | ${GRADUATES.toLocaleString("en")} | ${(wallMs / 60_000).toFixed(1)} min | ` +
            `${((decisions / wallMs) * 1000).toFixed(0)} (${((decisions / decideWallMs) * 1000).toFixed(0)} while people act) | ` +
            `${sends.length.toLocaleString("en")} messages at ${instants.toLocaleString("en")} instants; ${measured} bursts over 5 s: ${(took / 1000).toFixed(0)} s vs ${(minimum / 1000).toFixed(0)} s, ${(took / Math.max(1, minimum)).toFixed(2)}× (worst ${worst.toFixed(2)}×), ${fake.tooMany.length} × 429 | ` +
            `${rssOf} | ${violations.length} | ≤ ${TARGET_MINUTES} min, 0 violations | ` +
            `${hours < (LAST_DAY - FIRST_DAY) / HOUR ? `partial (${hours / 24} days)` : GRADUATES < CITY ? `reduced size (the target is for ${CITY.toLocaleString("en")})` : wallMs <= TARGET_MINUTES * 60_000 && violations.length === 0 ? "met" : "NOT met"} |\n`,
        );
      } finally {
        clearInterval(rssTimer);
        for (const c of copies) await c.stop();
        await database.close();
        await fake.close();
      }
    });
  },
};
