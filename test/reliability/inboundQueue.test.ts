/**
 * Issue 16.2: acknowledge only what is stored. A WeCom callback is answered 200 only once its
 * message is in the inbound queue (with its dedupe key, in one statement); the queue's workers
 * handle it later, so a copy that dies before handling, a resend, a database gone mid-message
 * or a second copy change nothing: each message is handled once, each chat's in order.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createInboundQueue, type InboundQueue } from "../../src/channels/inbound.ts";
import { WecomCrypto } from "../../src/channels/wecom/crypto.ts";
import { createWecomChannel } from "../../src/channels/wecom/index.ts";
import { type Database, DatabaseUnavailableError, openDatabase } from "../../src/db/client.ts";
import { createHttpApp } from "../../src/http/app.ts";
import { FakeWecom } from "../channels/wecom/fakeWecom.ts";
import { envelope, messageXml, signedPath } from "../channels/wecom/wire.ts";
import { DB_KINDS, useTestDatabase } from "../helpers/db.ts";
import { testEngine } from "../helpers/engine.ts";

const NOW = new Date("2026-08-10T02:00:00Z");
const SETTINGS = {
  corpId: "ww-test-corp",
  agentId: 1000002,
  secret: "test-secret",
  token: "callbackToken",
  encodingAesKey: "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
};

describe.each(DB_KINDS)("the inbound queue on %s", (kind) => {
  const database = useTestDatabase(kind);
  const db = () => database.current.db;
  let fake: FakeWecom | undefined;
  afterEach(async () => {
    await fake?.stop();
    fake = undefined;
  });

  /** One app copy's WeCom channel behind its HTTP app; its queue's worker is not running. */
  const copy = async () => {
    fake ??= await new FakeWecom().start();
    const channel = createWecomChannel({
      settings: { ...SETTINGS, apiRoot: fake.url },
      db: db(),
      engine: testEngine(db(), "zh-CN"),
      defaultLocale: "zh-CN",
      now: () => NOW,
      onError: (error) => {
        throw error;
      },
    });
    const app = createHttpApp({ db: kind, wecomCallback: () => channel.callback }, "zh-CN");
    return { channel, app };
  };
  const crypto = new WecomCrypto(SETTINGS);
  const callback = (app: ReturnType<typeof createHttpApp>, user: string, msgId: string) => {
    const encrypted = crypto.encrypt(
      messageXml({
        ToUserName: SETTINGS.corpId,
        FromUserName: user,
        CreateTime: 1_786_000_000,
        MsgType: "text",
        Content: "/help",
        MsgId: msgId,
        AgentID: 1000002,
      }),
    );
    // Signed now: a callback older than five minutes is refused as a replay.
    const timestamp = String(Math.floor(NOW.getTime() / 1000));
    return app.request(signedPath(crypto, encrypted, {}, { timestamp }), {
      method: "POST",
      headers: { "content-type": "text/xml" },
      body: envelope(encrypted),
    });
  };
  const queued = () =>
    database.current.query<{ update_key: string; status: string }>(
      "select update_key, status from inbound_messages order by id",
    );
  const repliesTo = (user: string) =>
    fake!.sent("message/send").filter((c) => c.body.touser === user).length;

  it("answers 200 only once the message is stored; a copy that dies before handling it loses nothing", async () => {
    const first = await copy();
    const res = await callback(first.app, "zhangsan", "7001");
    expect(res.status).toBe(200);
    // Acknowledged and stored; this copy "dies" before its worker gets to it.
    expect(await queued()).toEqual([{ update_key: "msg:7001", status: "queued" }]);
    // What waits is sealed: neither who wrote nor what they wrote is readable in a copy.
    const [stored] = await database.current.query<{ payload: Record<string, unknown> }>(
      "select payload from inbound_messages",
    );
    expect(Object.keys(stored!.payload)).toEqual(["sealed"]);
    expect(JSON.stringify(stored!.payload)).not.toMatch(/zhangsan|\/help/);
    expect(repliesTo("zhangsan")).toBe(0);
    const second = await copy();
    await second.channel.idle();
    expect(repliesTo("zhangsan")).toBeGreaterThan(0);
    expect(await queued()).toEqual([]);
    const handled = await database.current.query<{ update_key: string }>(
      "select update_key from processed_updates where channel = 'wecom'",
    );
    expect(handled).toEqual([{ update_key: "msg:7001" }]);
  });

  it("a resent callback, before or after it was handled, is handled once", async () => {
    const { app, channel } = await copy();
    expect((await callback(app, "lisi", "7002")).status).toBe(200);
    expect((await callback(app, "lisi", "7002")).status).toBe(200);
    expect(await queued()).toHaveLength(1);
    await channel.idle();
    const once = repliesTo("lisi");
    expect(once).toBeGreaterThan(0);
    expect((await callback(app, "lisi", "7002")).status).toBe(200);
    await channel.idle();
    expect(await queued()).toEqual([]);
    expect(repliesTo("lisi")).toBe(once);
  });

  it("a database gone mid-message leaves it queued; a failing one is set aside and its chat moves on", async () => {
    const seen: string[] = [];
    let down = true;
    const queue = createInboundQueue({ db: db(), onError: () => {}, maxAttempts: 2 });
    queue.handle("test", async (payload) => {
      if (payload.n === 1 && down) throw new DatabaseUnavailableError(new Error("gone"));
      if (payload.n === 2) throw new Error("a bug");
      seen.push(String(payload.n));
    });
    for (const n of [1, 2, 3]) {
      await queue.store({ channel: "test", updateKey: `k${n}`, chatKey: "c", payload: { n } }, NOW);
    }
    await expect(queue.drain()).rejects.toBeInstanceOf(DatabaseUnavailableError);
    expect(seen).toEqual([]);
    down = false;
    await queue.drain();
    // 1 handled; 2 failed and waits its backoff; 3 behind it.
    expect(seen).toEqual(["1"]);
    await database.current.query(
      "update inbound_messages set available_at = now() - interval '1 hour'",
    );
    await queue.drain();
    expect(seen).toEqual(["1", "3"]);
    expect(await queued()).toEqual([{ update_key: "k2", status: "failed" }]);
  });

  it("a claim left by a copy that died expires and another copy handles the message", async () => {
    const seen: number[] = [];
    const queue = createInboundQueue({ db: db(), onError: () => {}, leaseMs: 60_000 });
    queue.handle("test", async (payload) => {
      seen.push(Number(payload.n));
    });
    await queue.store({ channel: "test", updateKey: "k1", chatKey: "c", payload: { n: 1 } }, NOW);
    await queue.store({ channel: "test", updateKey: "k2", chatKey: "c", payload: { n: 2 } }, NOW);
    // The dead copy had claimed the first a minute ago: its chat waits until the lease ends.
    await database.current.query(
      "update inbound_messages set status = 'working', attempts = 1, claimed_at = now() where update_key = 'k1'",
    );
    await queue.drain();
    expect(seen).toEqual([]);
    await database.current.query(
      "update inbound_messages set claimed_at = now() - interval '2 minutes' where update_key = 'k1'",
    );
    await queue.drain();
    expect(seen).toEqual([1, 2]);
  });
});

describe.runIf(process.env.TEST_DATABASE_URL)(
  "the inbound queue across copies on PostgreSQL",
  () => {
    const database = useTestDatabase("postgres");
    const others: Database[] = [];
    afterEach(async () => {
      for (const other of others.splice(0)) await other.close();
    });

    it("two copies split the messages, each handled once, each chat's in order", async () => {
      const second = await openDatabase({ kind: "postgres", url: database.current.url! });
      others.push(second);
      const handledBy: string[][] = [[], []];
      const order = new Map<string, number[]>();
      const queues: InboundQueue[] = [database.current, second].map((handle, i) => {
        const queue = createInboundQueue({ db: handle.db, onError: () => {}, concurrency: 4 });
        queue.handle("test", async (payload) => {
          const chat = String(payload.chat);
          order.set(chat, [...(order.get(chat) ?? []), Number(payload.n)]);
          handledBy[i]!.push(`${chat}:${payload.n}`);
          await new Promise((r) => setTimeout(r, Math.random() * 5));
        });
        return queue;
      });
      for (let n = 0; n < 10; n++) {
        for (let chat = 0; chat < 20; chat++) {
          await queues[n % 2]!.store(
            {
              channel: "test",
              updateKey: `m${chat}-${n}`,
              chatKey: `c${chat}`,
              payload: { chat, n },
            },
            NOW,
          );
        }
      }
      await Promise.all(queues.map((q) => q.drain()));
      await Promise.all(queues.map((q) => q.drain()));
      const all = [...handledBy[0]!, ...handledBy[1]!];
      expect(all).toHaveLength(200);
      expect(new Set(all).size).toBe(200);
      expect(Math.min(handledBy[0]!.length, handledBy[1]!.length)).toBeGreaterThan(0);
      for (const [chat, seq] of order) expect(seq, chat).toEqual([...Array(10).keys()]);
    });
  },
);
