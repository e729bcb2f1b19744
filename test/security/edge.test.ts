/**
 * Issue 15, attacks on the edge: oversized bodies (refused while they stream in, before any
 * secret check parses them), webhook calls without the secret, replayed or post-dated WeCom
 * callbacks. Each is refused before anything is handled, and no table changes.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { envelope, messageXml, signedPath } from "../channels/wecom/wire.ts";
import { DB_KINDS, useTestDatabase } from "../helpers/db.ts";
import { sessionCookie } from "../helpers/webchat.ts";
import { buildWorld, type World } from "../helpers/world.ts";
import {
  changedTables,
  json,
  type SecurityApp,
  securityApp,
  tableDigests,
  WEBHOOK_SECRET,
} from "./helpers.ts";

const NOW = new Date("2026-08-10T02:00:00Z");
const unix = (d: Date) => String(Math.floor(d.getTime() / 1000));

/** A body that arrives in chunks with no Content-Length, as a streaming client sends it. */
function streamed(bytes: number): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= bytes) return controller.close();
      const chunk = new Uint8Array(Math.min(64 * 1024, bytes - sent)).fill(0x61);
      sent += chunk.length;
      controller.enqueue(chunk);
    },
  });
}

describe.each(DB_KINDS)("edge attacks on %s", (kind) => {
  const database = useTestDatabase(kind);
  let w: World;
  let s: SecurityApp;

  beforeEach(async () => {
    w = await buildWorld(database.current.db);
    s = securityApp(database.current, { now: NOW });
  });

  it("a body over the limit is a 413 on every route, before a secret is checked or JSON parsed", async () => {
    const { cookie } = await sessionCookie(database.current.db, { memberId: w.member.m1 }, NOW);
    const before = await tableDigests(database.current);
    const big = `{"text":"${"团".repeat(30_000)}"}`; // ~90 KB: over the web chat API's 64 KB
    const huge = "x".repeat(1024 * 1024 + 1);
    const cases: [string, RequestInit][] = [
      ["/api/webchat/messages", json(JSON.parse(big), { cookie })],
      ["/api/webchat/session", { method: "POST", body: huge }],
      [
        "/telegram/webhook",
        {
          method: "POST",
          body: huge,
          headers: { "x-telegram-bot-api-secret-token": WEBHOOK_SECRET },
        },
      ],
      ["/telegram/webhook", { method: "POST", body: huge }],
      // Declared as a client over a socket declares it: refused from the header alone.
      [
        "/telegram/webhook",
        {
          method: "POST",
          body: "{}",
          headers: {
            "content-length": String(2 * 1024 * 1024),
            "x-telegram-bot-api-secret-token": WEBHOOK_SECRET,
          },
        },
      ],
      [
        signedPath(s.wecomCrypto, "x", {}, { timestamp: unix(NOW) }),
        { method: "POST", body: "x".repeat(70_000) },
      ],
      ["/no/such/route", { method: "POST", body: huge }],
    ];
    for (const [path, init] of cases) {
      const res = await s.app.request(path, init);
      expect(res.status, path).toBe(413);
    }
    // Streamed without a length: cut off at the limit, not read to the end.
    const res = await s.app.request("/telegram/webhook", {
      method: "POST",
      body: streamed(50 * 1024 * 1024),
      headers: { "x-telegram-bot-api-secret-token": WEBHOOK_SECRET },
      duplex: "half",
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(s.handled).toEqual({ telegram: 0, wecom: [] });
    expect(await changedTables(database.current, before, ["rate_limits"])).toEqual([]);
  });

  it("a webhook call without the secret is a 401 before its body is parsed", async () => {
    const before = await tableDigests(database.current);
    for (const secret of [undefined, "", WEBHOOK_SECRET.slice(1), `${WEBHOOK_SECRET}x`]) {
      const res = await s.app.request("/telegram/webhook", {
        method: "POST",
        body: "{not even json",
        headers: secret === undefined ? {} : { "x-telegram-bot-api-secret-token": secret },
      });
      expect(res.status, String(secret)).toBe(401);
    }
    expect(s.handled.telegram).toBe(0);
    const good = await s.app.request("/telegram/webhook", {
      method: "POST",
      body: JSON.stringify({ update_id: 1 }),
      headers: { "x-telegram-bot-api-secret-token": WEBHOOK_SECRET },
    });
    expect(good.status).toBe(200);
    expect(s.handled.telegram).toBe(1);
    expect(await changedTables(database.current, before)).toEqual([]);
  });

  it("a WeCom callback older than 5 minutes or from the future is refused, however well signed", async () => {
    const before = await tableDigests(database.current);
    const message = messageXml({
      ToUserName: "ww-test-corp",
      FromUserName: "zhangsan",
      CreateTime: Number(unix(NOW)),
      MsgType: "text",
      Content: "/menu",
      MsgId: "7300000000000000001",
      AgentID: 1000002,
    });
    const encrypted = s.wecomCrypto.encrypt(message);
    const at = (offsetS: number) => unix(new Date(NOW.getTime() + offsetS * 1000));
    for (const offset of [-301, -3600, 31, 3600]) {
      const res = await s.app.request(
        signedPath(s.wecomCrypto, encrypted, {}, { timestamp: at(offset) }),
        {
          method: "POST",
          body: envelope(encrypted),
        },
      );
      expect(res.status, `offset ${offset}`).toBe(403);
      const echo = s.wecomCrypto.encrypt("echo");
      const get = await s.app.request(
        signedPath(s.wecomCrypto, echo, { echostr: echo }, { timestamp: at(offset) }),
      );
      expect(get.status, `GET offset ${offset}`).toBe(403);
    }
    expect(s.handled.wecom).toEqual([]);
    expect(await changedTables(database.current, before)).toEqual([]);
    const fresh = await s.app.request(
      signedPath(s.wecomCrypto, encrypted, {}, { timestamp: at(-299) }),
      {
        method: "POST",
        body: envelope(encrypted),
      },
    );
    expect(fresh.status).toBe(200);
    expect(s.handled.wecom).toHaveLength(1);
  });
});
