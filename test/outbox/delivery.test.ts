/**
 * Outbox delivery (issue 8.1): every event reaches every chat exactly once, across copies of the
 * app, flaky platforms and a copy killed mid-send; what never gets through ends as a dead letter.
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

function recorder(channel = "rec") {
  const sent: string[] = [];
  const sender: ChannelSender = {
    channel,
    async send(_tx, target, message) {
      const params = (message.text as unknown as { params: { value: number } }).params;
      sent.push(`${params.value}@${target.chatId}`);
      return { messageId: null };
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
    const fanned = await fanOut(db, now, 50);
    const report = await deliverDue(db, { senders: [sender], render, now, limit: 20 });
    sent += report.sent;
    if (fanned === 0 && report.sent + report.retried + report.dead === 0) return sent;
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
    const { sent, sender: ok } = recorder();
    const flaky: ChannelSender = {
      channel: "rec",
      async send(tx, target, message, previous) {
        calls++;
        if (calls <= 3) throw new Error(`platform down (${calls})`);
        return ok.send(tx, target, message, previous);
      },
    };
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
    const { sent, sender: ok } = recorder();
    const busy: ChannelSender = {
      channel: "rec",
      async send(tx, target, message, previous) {
        if (limited-- > 0) throw new RetryLater("limit reached", 60_000);
        return ok.send(tx, target, message, previous);
      },
    };
    await fanOut(db(), T0);
    let now = T0;
    for (let i = 0; i < 10; i++) {
      const report = await deliverDue(db(), { senders: [busy], render, now, maxAttempts: 3 });
      expect(report).toEqual({ sent: 0, retried: 1, dead: 0 });
      const early = await deliverDue(db(), {
        senders: [busy],
        render,
        now: new Date(now.getTime() + 59_999),
        maxAttempts: 3,
      });
      expect(early.retried).toBe(0);
      now = new Date(now.getTime() + 60_000);
    }
    expect(await statusOf(db())).toEqual([
      { status: "queued", attempts: 0, last_error: "limit reached" },
    ]);
    expect((await deliverDue(db(), { senders: [busy], render, now, maxAttempts: 3 })).sent).toBe(1);
    expect(sent).toEqual(["1@c0"]);
  });

  it("after N failed tries a delivery is dead, and the admins of the bound organization can see it", async () => {
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
    const broken: ChannelSender = {
      channel: "rec",
      async send() {
        throw new Error("chat not found");
      },
    };
    await fanOut(db(), T0);
    let now = T0;
    for (let i = 0; i < 3; i++) {
      await deliverDue(db(), { senders: [broken], render, now, maxAttempts: 3, backoffMs: 10 });
      now = new Date(now.getTime() + 60_000);
    }
    expect(await statusOf(db())).toEqual([
      { status: "dead", attempts: 3, last_error: "chat not found" },
    ]);
    const later = await deliverDue(db(), { senders: [broken], render, now, maxAttempts: 3 });
    expect(later).toEqual({ sent: 0, retried: 0, dead: 0 });
    expect(await deadDeliveries(db(), w.org.U)).toBe(1);
    expect(await deadDeliveries(db(), w.org.V)).toBe(0);
  });
});

describe.runIf(process.env.TEST_DATABASE_URL)(
  "outbox delivery across processes on PostgreSQL",
  () => {
    const database = useTestDatabase("postgres");
    const db = () => database.current.db;

    it("two copies over 1,000 events deliver each exactly once", async () => {
      await queueChatEvents(db(), 1_000);
      const second: Database = await openDatabase({ kind: "postgres", url: database.current.url! });
      try {
        const a = recorder();
        const b = recorder();
        const [sentA, sentB] = await Promise.all([
          drain(db(), a.sender, T0),
          drain(second.db, b.sender, T0),
        ]);
        const all = [...a.sent, ...b.sent];
        expect(all).toHaveLength(1_000);
        expect(new Set(all).size).toBe(1_000);
        expect(sentA + sentB).toBe(1_000);
        // Both copies took part: the rows were split, not serialized through one copy.
        expect(Math.min(a.sent.length, b.sent.length)).toBeGreaterThan(0);
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
