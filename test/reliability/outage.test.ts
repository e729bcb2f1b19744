/**
 * Issue 16.1: the process survives losing its database at any moment. The real app (a child
 * process: PostgreSQL, Telegram webhook, WeCom, web chat) runs on a cluster of the test's own.
 * Its backends are terminated twice during 50 concurrent requests; then the cluster stops
 * (fast shutdown) and starts again. The app never exits; during the outage the webhook and the
 * WeCom callback answer non-2xx (the platform sends again), the web chat 503 with a localized
 * message, /healthz 503 with db "down"; afterwards everything acknowledged is there and every
 * notification has gone out once.
 */

import type { Update } from "grammy/types";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WecomCrypto } from "../../src/channels/wecom/crypto.ts";
import { openDatabase } from "../../src/db/client.ts";
import { runMigrations } from "../../src/db/migrate.ts";
import { members } from "../../src/db/schema.ts";
import { sealIdNumber } from "../../src/db/sealing.ts";
import { type FakeBotApi, startFakeBotApi } from "../channels/telegram/fakeBotApi.ts";
import { FakeWecom } from "../channels/wecom/fakeWecom.ts";
import { envelope, messageXml, signedPath } from "../channels/wecom/wire.ts";
import { type Cluster, clusterAvailable, startCluster } from "../helpers/cluster.ts";
import { TEST_SECRET_KEY } from "../helpers/secretKey.ts";
import { freePort, type SpawnedApp, spawnApp, waitHealthy } from "../helpers/spawnApp.ts";
import { sessionCookie } from "../helpers/webchat.ts";
import { brokenInvariants } from "./invariants.ts";
import { buildScene, GROUP, idNumberOf, SECRET, TOKEN } from "./telegramScene.ts";

const PRESSES = 16; // 12 during the burst, 4 during the outage: one minute of a group's limit
const WEB_PEOPLE = 20; // 19 during the burst, one during the outage
const WECOM = {
  WECOM_CORP_ID: "ww-test-corp",
  WECOM_AGENT_ID: "1000002",
  WECOM_SECRET: "test-secret",
  WECOM_TOKEN: "callbackToken",
  WECOM_ENCODING_AES_KEY: "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
};

type Request = () => Promise<{ status: number; body: string }>;

describe.runIf(process.env.TEST_DATABASE_URL && clusterAvailable())(
  "the database drops, under load and for a while",
  () => {
    let cluster: Cluster;
    let fake: FakeBotApi;
    let wecom: FakeWecom;
    let app: SpawnedApp;
    let approvals: Update[];
    let applications: number[];
    let admin: postgres.Sql;
    /** Each web chat person's session cookie, opened before the app starts. */
    const cookies: string[] = [];

    beforeAll(async () => {
      cluster = await startCluster();
      const bootstrap = postgres(cluster.url(), { max: 1, onnotice: () => {} });
      await bootstrap.unsafe("create database zhtj");
      await bootstrap.end();
      const url = cluster.url("zhtj");
      const database = await openDatabase({ kind: "postgres", url });
      await runMigrations(database, url);
      const scene = await buildScene(database, { count: PRESSES, delivered: 1 });
      approvals = scene.approvals;
      applications = scene.applications;
      await scene.stop();
      await database.query("update applications set stage_since = now()");
      const [scenePerson] = await database.query<{ branch: number }>(
        "select branch_id as branch from members limit 1",
      );
      const webPeople = await database.db
        .insert(members)
        .values(
          Array.from({ length: WEB_PEOPLE }, (_, i) => ({
            name: `网聊${i}`,
            ...sealIdNumber(idNumberOf(2_000 + i)),
            branchId: scenePerson!.branch,
          })),
        )
        .returning({ id: members.id });
      for (const p of webPeople) {
        cookies.push((await sessionCookie(database.db, { memberId: p.id })).cookie);
      }
      await database.close();
      admin = postgres(url, {
        max: 1,
        onnotice: () => {},
        connection: { application_name: "outage-test" },
      });
      fake = await startFakeBotApi({ limits: true });
      wecom = await new FakeWecom().start();
      const port = await freePort();
      app = spawnApp(
        {
          DATABASE_URL: url,
          SECRET_KEY: TEST_SECRET_KEY,
          TELEGRAM_BOT_TOKEN: TOKEN,
          TELEGRAM_API_ROOT: fake.url,
          TELEGRAM_WEBHOOK_URL: "https://bot.example.org/telegram/webhook",
          TELEGRAM_WEBHOOK_SECRET: SECRET,
          ...WECOM,
          WECOM_API_ROOT: wecom.url,
          LOG_LEVEL: "warn",
        },
        port,
      );
      await waitHealthy(port, 60_000);
    }, 120_000);
    afterAll(async () => {
      if (app && app.child.exitCode === null) {
        app.child.kill("SIGTERM");
        await app.exited;
      }
      await admin?.end({ timeout: 1 });
      await fake?.close();
      await wecom?.stop();
      cluster?.remove();
    });

    const base = () => `http://127.0.0.1:${app.port}`;
    const call = async (path: string, init: RequestInit) => {
      try {
        const res = await fetch(`${base()}${path}`, init);
        return { status: res.status, body: await res.text() };
      } catch {
        return { status: 0, body: "" };
      }
    };
    const press =
      (update: Update): Request =>
      () =>
        call("/telegram/webhook", {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "x-telegram-bot-api-secret-token": SECRET,
          },
          body: JSON.stringify(update),
        });
    const crypto = new WecomCrypto({
      token: WECOM.WECOM_TOKEN,
      encodingAesKey: WECOM.WECOM_ENCODING_AES_KEY,
      corpId: WECOM.WECOM_CORP_ID,
    });
    const wecomText = (user: string, msgId: string): Request => {
      const encrypted = crypto.encrypt(
        messageXml({
          ToUserName: WECOM.WECOM_CORP_ID,
          FromUserName: user,
          CreateTime: 1_786_000_000,
          MsgType: "text",
          Content: "/help",
          MsgId: msgId,
          AgentID: 1000002,
        }),
      );
      // Signed when sent (a resend too): WeCom's timestamp is checked against the clock.
      return () =>
        call(
          signedPath(crypto, encrypted, {}, { timestamp: String(Math.floor(Date.now() / 1000)) }),
          {
            method: "POST",
            headers: { "content-type": "text/xml" },
            body: envelope(encrypted),
          },
        );
    };
    /** The page of person `i` sends /help: their session's cookie, from the app's own origin. */
    const web =
      (i: number): Request =>
      () =>
        call("/api/webchat/messages", {
          method: "POST",
          headers: { "content-type": "application/json", cookie: cookies[i]!, origin: base() },
          body: JSON.stringify({ text: "/help" }),
        });
    const health = async () => {
      const res = await call("/healthz", {});
      return { status: res.status, body: res.body ? JSON.parse(res.body) : null };
    };
    const alive = () => expect(app.child.exitCode, app.output().slice(-3000)).toBeNull();
    const terminate = () =>
      admin`select pg_terminate_backend(pid) from pg_stat_activity
            where application_name = 'zhtj-bot' and pid <> pg_backend_pid()`;

    it("survives terminated backends and a stopped cluster; acknowledged work is kept, notifications go once", async () => {
      // Platforms resend whatever was not acknowledged: the test does so at the end.
      const unanswered: Request[] = [];
      const wecomUsers: string[] = [];
      const run = async (requests: Request[]) =>
        Promise.all(
          requests.map(async (request) => {
            const res = await request();
            if (res.status !== 200) unanswered.push(request);
            return res;
          }),
        );

      // 1. Backends terminated twice during 50 requests at once.
      const burst: Request[] = [
        ...approvals.slice(0, 12).map(press),
        ...Array.from({ length: 19 }, (_, i) => {
          wecomUsers.push(`w${i}`);
          return wecomText(`w${i}`, `9100${i}`);
        }),
        ...Array.from({ length: WEB_PEOPLE - 1 }, (_, i) => web(i)),
      ];
      const burstDone = run(burst);
      await new Promise((r) => setTimeout(r, 30));
      await terminate();
      await new Promise((r) => setTimeout(r, 60));
      await terminate();
      const burstResults = await burstDone;
      alive();
      expect(burstResults.filter((r) => r.status !== 200 && r.status !== 503)).toEqual([]);
      expect((await waitHealthy(app.port, 30_000)).body).toMatchObject({ ok: true });

      // 2. The cluster stops: nothing is acknowledged that is not stored.
      cluster.stop();
      let down = await health();
      for (let i = 0; i < 50 && down.status !== 503; i++) {
        await new Promise((r) => setTimeout(r, 100));
        down = await health();
      }
      alive();
      expect(down).toEqual({ status: 503, body: { ok: false, db: "down" } });
      const during = await run([
        ...approvals.slice(12).map(press),
        ...Array.from({ length: 3 }, (_, i) => {
          wecomUsers.push(`x${i}`);
          return wecomText(`x${i}`, `9200${i}`);
        }),
      ]);
      expect(during.map((r) => r.status)).toEqual(during.map(() => 503));
      const webDuring = await web(WEB_PEOPLE - 1)();
      expect(webDuring.status).toBe(503);
      expect(JSON.parse(webDuring.body)).toEqual({
        error: "暂时无法连接数据库，这条消息没有被处理，请稍后再试。",
      });
      await new Promise((r) => setTimeout(r, 1_500));
      alive();

      // 3. It comes back: the platforms send again what was not acknowledged.
      cluster.start();
      await waitHealthy(app.port, 30_000);
      for (let round = 0; round < 20 && unanswered.length > 0; round++) {
        const again = unanswered.splice(0);
        for (const [i, res] of (await Promise.all(again.map((r) => r()))).entries()) {
          if (res.status !== 200) unanswered.push(again[i]!);
        }
        if (unanswered.length > 0) await new Promise((r) => setTimeout(r, 500));
      }
      expect(unanswered).toHaveLength(0);
      alive();

      // Every press took effect once; every WeCom message was handled once and answered.
      const states = await admin<{ state: string; n: number }[]>`
        select state, count(*)::int as n from applications
        where id = any(${applications}::int[]) group by state`;
      expect([...states]).toEqual([{ state: "completed", n: PRESSES }]);
      const deadline = Date.now() + 40_000;
      let open = -1;
      while (Date.now() < deadline) {
        const [row] = await admin<{ n: number }[]>`
          select (select count(*)::int from outbox where status <> 'sent')
               + (select count(*)::int from deliveries where status <> 'sent')
               + (select count(*)::int from inbound_messages) as n`;
        open = row!.n;
        const answered = new Set(wecom.sent("message/send").map((c) => c.body.touser));
        if (open === 0 && wecomUsers.every((u) => answered.has(u))) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      expect(open).toBe(0);
      const handled = await admin<{ key: string }[]>`
        select update_key as key from processed_updates where channel = 'wecom'`;
      expect(handled.map((r) => r.key).sort()).toEqual(
        [...wecomUsers.keys()].map((i) => (i < 19 ? `msg:9100${i}` : `msg:9200${i - 19}`)).sort(),
      );
      const textsPer = new Map<string, number>();
      for (const c of wecom.sent("message/send")) {
        const to = String(c.body.touser);
        textsPer.set(to, (textsPer.get(to) ?? 0) + 1);
      }
      // The same answer to each: none of them handled twice.
      expect(
        new Set(wecomUsers.map((u) => textsPer.get(u))).size,
        JSON.stringify([...textsPer]),
      ).toBe(1);

      // Each decided card went to the group once, within Telegram's limits. Started after
      // 08:30 in Shanghai, the catch-up also sends the group its day's digest: not a card.
      const digests = await admin<{ id: string }[]>`
        select d.platform_message_id as id from deliveries d join outbox o on o.id = d.outbox_id
        where o.event = 'digest' and d.status = 'sent'`;
      const digestIds = new Set(digests.map((d) => Number(d.id)));
      const toGroup = fake.calls.filter(
        (c) =>
          ["sendMessage", "editMessageText"].includes(c.method) &&
          Number(c.params.chat_id) === GROUP &&
          c.result &&
          !(c.method === "sendMessage" && digestIds.has(Number(c.result.message_id))),
      );
      const [cards] = await admin<{ n: number }[]>`
        select count(*)::int as n from deliveries d join outbox o on o.id = d.outbox_id
        where o.event = 'card_outcome' and d.status = 'sent'`;
      expect(cards!.n).toBe(PRESSES);
      expect(toGroup).toHaveLength(PRESSES);
      expect(fake.tooMany).toEqual([]);
      const database = await openDatabase({ kind: "postgres", url: cluster.url("zhtj"), max: 1 });
      try {
        expect(await brokenInvariants(database)).toEqual({});
      } finally {
        await database.close();
      }
      expect(app.output()).not.toContain("Cannot read properties of null");
      alive();
    }, 180_000);
  },
);
