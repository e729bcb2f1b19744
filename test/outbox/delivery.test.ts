/**
 * Outbox delivery (issue 8.1, 16.3): every event reaches every chat exactly once, across copies
 * of the app, flaky platforms and a copy killed mid-send; a passing failure is tried again for
 * as long as the message matters, a permanent refusal is a dead letter at once.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { type Database, type Db, openDatabase, rowsOf } from "../../src/db/client.ts";
import { chatBindings, outbox } from "../../src/db/schema.ts";
import {
  type ChannelSender,
  deliverDue,
  PermanentFailure,
  type Renderer,
  RetryLater,
} from "../../src/outbox/deliver.ts";
import { fanOut } from "../../src/outbox/fanOut.ts";
import { deadDeliveries } from "../../src/services/deliveryHealth.ts";
import { DB_KINDS, useTestDatabase } from "../helpers/db.ts";
import { buildWorld } from "../helpers/world.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const T0 = new Date("2026-10-05T02:00:00Z");
const LEASE_MS = 60_000;

/** Each message names its event, so the test can count deliveries per (event, chat). */
const render: Renderer = async (_db, event) => ({
  text: { key: "chat:raw", params: { value: event.id } },
});

/** A sender whose platform call is `platform` (by default: it takes everything). */
function recorder(
  channel = "rec",
  platform: () => Promise<void> = async () => {},
  sent: string[] = [],
) {
  const sender: ChannelSender = {
    channel,
    async prepare(_tx, target, message) {
      return {
        async transmit() {
          await platform();
          const params = (message.text as unknown as { params: { value: number } }).params;
          sent.push(`${params.value}@${target.chatId}`);
          return { messageId: null };
        },
      };
    },
  };
  return { sent, sender };
}

async function queueChatEvents(db: Db, count: number, chats = 10) {
  await db.insert(outbox).values(
    Array.from({ length: count }, (_, i) => ({
      event: "test",
      recipientType: "chat" as const,
      recipientId: `rec:c${i % chats}`,
      payload: {},
      dedupeKey: `test:${i}`,
      status: "queued" as const,
    })),
  );
}

/** What one copy's delivery loop does, with small batches so two copies interleave. */
async function drain(db: Db, sender: ChannelSender, now: Date) {
  let sent = 0;
  for (;;) {
    await fanOut(db, now, 50);
    const report = await deliverDue(db, { senders: [sender], render, now, limit: 5 });
    sent += report.sent;
    const [open] = rowsOf<{ n: number }>(
      await db.execute(sql`select (select count(*)::int from outbox where status = 'queued')
        + (select count(*)::int from deliveries where status <> 'sent') as n`),
    );
    if (open?.n === 0) return sent;
  }
}

async function statusOf(db: Db) {
  return rowsOf<{ status: string; attempts: number; last_error: string | null }>(
    await db.execute(sql`select status, attempts, last_error from deliveries order by id`),
  );
}

describe.each(DB_KINDS)("outbox delivery on %s", (kind) => {
  const database = useTestDatabase(kind);
  const db = () => database.current.db;

  it("a sender that fails 3 times then succeeds delivers once, after exponential backoff", async () => {
    await queueChatEvents(db(), 1, 1);
    let calls = 0;
    const { sent, sender: flaky } = recorder("rec", async () => {
      calls++;
      if (calls <= 3) throw new Error(`platform down (${calls})`);
    });
    const options = { senders: [flaky], render, backoffMs: 1_000 };
    await fanOut(db(), T0);
    let now = T0;
    const waits: number[] = [];
    for (let round = 0; round < 4; round++) {
      const report = await deliverDue(db(), { ...options, now });
      expect(report.sent + report.retried).toBe(1);
      if (report.sent) break;
      // Not due again before the backoff has passed…
      const [row] = rowsOf<{ available_at: string | Date }>(
        await db().execute(sql`select available_at from deliveries`),
      );
      const due = new Date(row!.available_at);
      waits.push(due.getTime() - now.getTime());
      const early = await deliverDue(db(), { ...options, now: new Date(due.getTime() - 1) });
      expect(early.sent + early.retried).toBe(0);
      now = due;
    }
    expect(waits).toEqual([1_000, 2_000, 4_000]);
    expect(calls).toBe(4);
    expect(sent).toEqual(["1@c0"]);
    expect(await statusOf(db())).toEqual([{ status: "sent", attempts: 4, last_error: null }]);
    // …and once sent, never again.
    expect(
      (await deliverDue(db(), { ...options, now: new Date(now.getTime() + 86_400_000) })).sent,
    ).toBe(0);
  });

  it("a platform's rate limit waits as long as it says and never makes a dead letter", async () => {
    await queueChatEvents(db(), 1, 1);
    let limited = 10;
    const { sent, sender: busy } = recorder("rec", async () => {
      if (limited-- > 0) throw new RetryLater("limit reached", 60_000);
    });
    await fanOut(db(), T0);
    let now = T0;
    for (let i = 0; i < 10; i++) {
      const report = await deliverDue(db(), { senders: [busy], render, now });
      expect(report).toEqual({ sent: 0, retried: 1, dead: 0, expired: 0 });
      const early = await deliverDue(db(), {
        senders: [busy],
        render,
        now: new Date(now.getTime() + 59_999),
      });
      expect(early.retried).toBe(0);
      now = new Date(now.getTime() + 60_000);
    }
    expect(await statusOf(db())).toEqual([
      { status: "queued", attempts: 0, last_error: "limit reached" },
    ]);
    expect((await deliverDue(db(), { senders: [busy], render, now })).sent).toBe(1);
    expect(sent).toEqual(["1@c0"]);
  });

  it("a permanent refusal is a dead letter at once, and the admins of the bound organization can see it", async () => {
    const w = await buildWorld(db());
    await db().insert(chatBindings).values({ channel: "rec", chatId: "gU", orgId: w.org.U });
    await db()
      .insert(outbox)
      .values({
        event: "test",
        recipientType: "org",
        recipientId: String(w.org.U),
        payload: {},
        dedupeKey: "dead:1",
        status: "queued",
      });
    const { sender: broken } = recorder("rec", async () => {
      throw new PermanentFailure("Bad Request: chat not found");
    });
    await fanOut(db(), T0);
    expect(await deliverDue(db(), { senders: [broken], render, now: T0 })).toMatchObject({
      dead: 1,
    });
    expect(await statusOf(db())).toEqual([
      { status: "dead", attempts: 1, last_error: "Bad Request: chat not found" },
    ]);
    const later = await deliverDue(db(), {
      senders: [broken],
      render,
      now: new Date(T0.getTime() + 86_400_000),
    });
    expect(later).toEqual({ sent: 0, retried: 0, dead: 0, expired: 0 });
    expect(await deadDeliveries(db(), w.org.U)).toBe(1);
    expect(await deadDeliveries(db(), w.org.V)).toBe(0);
  });

  it("a passing failure is retried, backoff capped at 5 minutes, while the message matters, then expires", async () => {
    await queueChatEvents(db(), 1, 1);
    const { sender: down } = recorder("rec", async () => {
      throw new Error("connect ETIMEDOUT");
    });
    let matters = true;
    const options = {
      senders: [down],
      render,
      relevance: async () => matters,
      backoffMs: 5_000,
    };
    await fanOut(db(), T0);
    let now = T0;
    const waits: number[] = [];
    // Eleven minutes of outage and more: nothing is dead, every try comes after its wait.
    for (let i = 0; i < 12; i++) {
      expect(await deliverDue(db(), { ...options, now })).toMatchObject({ retried: 1, dead: 0 });
      const [row] = rowsOf<{ available_at: string | Date }>(
        await db().execute(sql`select available_at from deliveries`),
      );
      const due = new Date(row!.available_at);
      waits.push(due.getTime() - now.getTime());
      now = due;
    }
    expect(waits).toEqual([
      5_000, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000, 300_000, 300_000,
      300_000,
    ]);
    // The message stops mattering (its application was decided): given up, not dead.
    matters = false;
    expect(await deliverDue(db(), { ...options, now })).toMatchObject({ expired: 1 });
    expect(await statusOf(db())).toMatchObject([{ status: "expired" }]);
  });

  it("a send that outlasts its lease records nothing: the copy that took over records its own", async () => {
    await db().insert(outbox).values({
      event: "test",
      recipientType: "chat",
      recipientId: "telegram:-1001",
      payload: {},
      dedupeKey: "test:slow",
      status: "queued",
    });
    await fanOut(db(), T0);
    const withRef: Renderer = async (_db, event) => ({
      text: { key: "chat:raw", params: { value: event.id } },
      ref: `card:${event.id}`,
    });
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let calls = 0;
    const sender: ChannelSender = {
      channel: "telegram",
      async prepare() {
        const call = ++calls;
        return {
          async transmit() {
            if (call === 1) await held;
            return { messageId: `m${call}` };
          },
        };
      },
    };
    const slow = deliverDue(db(), { senders: [sender], render: withRef, now: T0 });
    for (let i = 0; i < 200 && calls === 0; i++) await new Promise((r) => setTimeout(r, 10));
    const later = new Date(T0.getTime() + LEASE_MS + 1_000);
    const taken = await deliverDue(db(), {
      senders: [sender],
      render: withRef,
      now: later,
      leaseMs: LEASE_MS,
    });
    expect(taken.sent).toBe(1);
    release();
    await slow;
    const rows = async (statement: ReturnType<typeof sql>) => rowsOf(await db().execute(statement));
    expect(
      await rows(sql`select status, attempts, platform_message_id as id from deliveries`),
    ).toEqual([{ status: "sent", attempts: 2, id: "m2" }]);
    // The edit of this card goes to the message the chat shows, and the chat's budget counts
    // one message: the late copy's outcome left no trace.
    expect(await rows(sql`select platform_message_id as id from sent_messages`)).toEqual([
      { id: "m2" },
    ]);
    expect(
      await rows(sql`select count(*)::int as n from send_log where key = 'telegram:-1001'`),
    ).toEqual([{ n: 1 }]);
  });
});

describe.runIf(process.env.TEST_DATABASE_URL)(
  "outbox delivery across processes on PostgreSQL",
  () => {
    const database = useTestDatabase("postgres");
    const db = () => database.current.db;

    it("two copies over 1,000 events deliver each exactly once, each chat's in order", async () => {
      await queueChatEvents(db(), 1_000, 100);
      // Fanned out first: two copies fanning out at once may create a chat's deliveries out of
      // order (the outbox's fan-out); this test is about delivering them.
      while ((await fanOut(db(), T0)) > 0);
      const second: Database = await openDatabase({ kind: "postgres", url: database.current.url! });
      try {
        // Each copy's record, and both in the order the platform saw them.
        const both: string[] = [];
        const a = recorder();
        const b = recorder();
        const seenBy = (r: ReturnType<typeof recorder>): ChannelSender => ({
          channel: "rec",
          async prepare(tx, target, message, previous) {
            const ready = await r.sender.prepare(tx, target, message, previous);
            const params = (message.text as unknown as { params: { value: number } }).params;
            return {
              async transmit(pace) {
                const sent = await ready.transmit(pace);
                both.push(`${params.value}@${target.chatId}`);
                return sent;
              },
            };
          },
        });
        const [sentA, sentB] = await Promise.all([
          drain(db(), seenBy(a), T0),
          drain(second.db, seenBy(b), T0),
        ]);
        const all = [...a.sent, ...b.sent];
        expect(all).toHaveLength(1_000);
        expect(new Set(all).size).toBe(1_000);
        expect(sentA + sentB).toBe(1_000);
        // Both copies took part: the rows were split, not serialized through one copy.
        expect(Math.min(a.sent.length, b.sent.length)).toBeGreaterThan(0);
        // A chat's messages went out in the order they were queued, whichever copy sent them.
        const lastOf = new Map<string, number>();
        for (const entry of both) {
          const [event, chat] = entry.split("@") as [string, string];
          expect(Number(event)).toBeGreaterThan(lastOf.get(chat) ?? 0);
          lastOf.set(chat, Number(event));
        }
        const [left] = rowsOf<{ n: number }>(
          await db().execute(sql`select count(*)::int as n from deliveries where status <> 'sent'`),
        );
        expect(left?.n).toBe(0);
      } finally {
        await second.close();
      }
    });

    it("a copy killed (SIGKILL) between claim and send loses nothing: delivered once after the lease", async () => {
      await queueChatEvents(db(), 1, 1);
      await fanOut(db(), new Date());
      // Node itself, not the tsx launcher: SIGKILL must hit the process that holds the claim.
      const child = spawn(process.execPath, ["--import", "tsx", "test/outbox/crashChild.ts"], {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          CRASH_DATABASE_URL: database.current.url,
        },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let output = "";
      const exited = new Promise((resolve) => child.on("exit", resolve));
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`child never sent: ${output}`)), 30_000);
        const onData = (d: Buffer) => {
          output += String(d);
          if (output.includes("SENDING")) {
            clearTimeout(timer);
            resolve();
          }
        };
        child.stdout.on("data", onData);
        child.stderr.on("data", onData);
      });
      child.kill("SIGKILL");
      await exited;
      expect(await statusOf(db())).toMatchObject([{ status: "sending", attempts: 1 }]);

      const { sent, sender } = recorder();
      // Within the lease the claim still stands: nobody else sends it.
      expect((await deliverDue(db(), { senders: [sender], render, now: new Date() })).sent).toBe(0);
      // After it, the next copy delivers it (the dead backend's row lock may take a moment to go).
      const afterLease = () => new Date(Date.now() + LEASE_MS + 1_000);
      for (let i = 0; i < 50 && sent.length === 0; i++) {
        await deliverDue(db(), { senders: [sender], render, now: afterLease(), leaseMs: LEASE_MS });
        if (sent.length === 0) await new Promise((r) => setTimeout(r, 100));
      }
      expect(sent).toEqual(["1@c0"]);
      expect(await statusOf(db())).toMatchObject([{ status: "sent", attempts: 2 }]);
      await deliverDue(db(), {
        senders: [sender],
        render,
        now: new Date(Date.now() + 10 * LEASE_MS),
      });
      expect(sent).toHaveLength(1);
    });
  },
);
