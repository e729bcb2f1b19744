/**
 * Issue 10, reliability: 10,000 fuzzed inputs to every HTTP route, in-process through the hono
 * app on PostgreSQL: random and huge text, unicode, commands with odd arguments, forged, stale and
 * other people's button tokens, malformed JSON and garbage for Telegram and WeCom. No input may
 * get a 5xx or an internal error, and afterwards every table must still be consistent.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WecomCrypto } from "../../src/channels/wecom/crypto.ts";
import { createWecomChannel, type WecomChannel } from "../../src/channels/wecom/index.ts";
import { WEBCHAT_DEFAULTS } from "../../src/config.ts";
import { createHttpApp, type Readiness } from "../../src/http/app.ts";
import { useTestDatabase } from "../helpers/db.ts";
import { testEngine } from "../helpers/engine.ts";
import { cookieFrom } from "../helpers/webchat.ts";
import { brokenInvariants, rowCounts } from "./invariants.ts";
import { ADMIN_USER, buildScene, GROUP, NOW, type Scene, SECRET } from "./telegramScene.ts";

const TOTAL = 10_000;
const PARALLEL = 16;

/** A small seeded generator (mulberry32), so a failure can be replayed. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** encodeURIComponent throws on lone surrogates; a client could not send those in a URL. */
const uri = (s: string) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, "?"));

const SEED = Number(process.env.FUZZ_SEED ?? 20261127);

describe.runIf(process.env.TEST_DATABASE_URL)("fuzz: 10,000 hostile inputs", () => {
  const database = useTestDatabase("postgres", { truncate: false });
  let scene: Scene;
  let wecom: WecomChannel;
  let app: ReturnType<typeof createHttpApp>;
  const errors: unknown[] = [];
  const wecomSettings = {
    corpId: "ww-test-corp",
    agentId: 1000002,
    secret: "test-secret",
    token: "callback-token",
    encodingAesKey: "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
    // Nothing listens there: whatever the fuzz makes the app send fails and stays queued.
    apiRoot: "http://127.0.0.1:9",
  };

  beforeAll(async () => {
    scene = await buildScene(database.current, { count: 30, firstUpdateId: 1 });
    // A load test: people here send far more than a person could (limits: test/security).
    const engine = testEngine(database.current.db, "zh-CN", (e) => errors.push(e), {
      perPersonPerMinute: 1_000_000,
    });
    wecom = createWecomChannel({
      settings: wecomSettings,
      db: database.current.db,
      engine,
      defaultLocale: "zh-CN",
      now: () => NOW,
      onError: (e) => errors.push(e),
    });
    const readiness: Readiness = {
      db: "postgres",
      web: {
        db: database.current.db,
        engine,
        demo: true,
        defaultLocale: "zh-CN",
        graduationYear: 2026,
        now: () => NOW,
      },
      telegramWebhook: scene.runtime.webhook,
      telegramSecret: SECRET,
      wecomCallback: () => wecom.callback,
    };
    app = createHttpApp(readiness, "zh-CN", {
      webchat: {
        settings: WEBCHAT_DEFAULTS,
        readsPerPersonPerMinute: 1_000_000,
        perAddressPerMinute: 1_000_000,
      },
    });
  });
  afterAll(async () => {
    await wecom?.idle();
    await scene?.stop();
  });

  it("no 5xx, no internal error, no partial write", async () => {
    const random = rng(SEED);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const int = (n: number) => Math.floor(random() * n);
    const people = await database.current.query<{ id: number; kind: string }>(
      "select id, 'm' as kind from members union all select id, 'a' from admins",
    );
    // Sessions of every person (as a demo pick opens them), and cookies that are none.
    const users = people.map((p) => `${p.kind}-${p.id}`);
    const cookies = ["", "zhtj_session=", "zhtj_session=forged", `zhtj_session=${"A".repeat(43)}`];
    for (const user of users) {
      const res = await app.request("/api/webchat/session", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ demo: user }),
      });
      if (res.status === 200) cookies.push(cookieFrom(res));
    }
    expect(cookies.length).toBeGreaterThan(20);
    const chats = [...users, "m-999999", "a-0", "group", "", " ", "x".repeat(65), "用户", "g%00"];
    const unicode = [
      "张小明",
      "🙂🎓",
      "\u200b\u200f\u202e",
      "\u0000",
      "\ud800",
      "𠀀𠀁",
      "ﷺ",
      "<b>*_`",
      "../../etc/passwd",
      "'; drop table members; --",
      "11010519491231002X",
      "1234567:AAHfakeTokenForTestsOnly_0123456789",
    ];
    const words = ["/start", "/menu", "/help", "/hotline", "/lang", "/cancel", "/back", "/pending"];
    const randomText = (): string => {
      switch (int(6)) {
        case 0:
          return Array.from({ length: 1 + int(40) }, () => String.fromCharCode(32 + int(95))).join(
            "",
          );
        case 1:
          return Array.from({ length: 1 + int(8) }, () => pick(unicode)).join(pick(["", " "]));
        case 2:
          return `${pick(words)} ${pick([...unicode, String(int(1e6)), "zh-CN", "en", "xx"])}`;
        case 3:
          return pick(["a", "团", "🙂"]).repeat(pick([4096, 4097, 20_000, 100_000]));
        case 4:
          return String(int(10 ** 9));
        default:
          return Array.from({ length: 1 + int(30) }, () => String.fromCodePoint(int(0x2ffff))).join(
            "",
          );
      }
    };
    // Tokens the app really issued, to press as their owner, as someone else, or later (stale).
    const issued: { user: string; token: string }[] = [];
    const randomToken = (user: string) => {
      const roll = random();
      if (roll < 0.4 && issued.length > 0) {
        const real = pick(issued);
        return random() < 0.5 ? real.token : `${real.token}${pick(["x", "", "=="])}`;
      }
      if (roll < 0.5) return "bench1";
      return (
        Array.from({ length: 1 + int(70) }, () => String.fromCharCode(33 + int(94))).join("") ||
        user
      );
    };

    const webchat = async (): Promise<Response> => {
      const cookie = pick(cookies);
      const user = cookie;
      const roll = random();
      let body: string;
      if (roll < 0.15) {
        body = pick([
          "",
          "{",
          "null",
          "[]",
          '"text"',
          '{"user":',
          '{"user":"m-1","text":"hi"}',
          '{"text":1}',
          '{"text":"a","action":"b"}',
          "{}",
          '{"text":"a","extra":true}',
          '{"chat":{"$gt":""},"text":"a"}',
          `{"text":"${"\\ud800"}"}`,
          "\u0000\u0001",
        ]);
      } else if (roll < 0.55) {
        body = JSON.stringify({
          text: randomText(),
          ...(random() < 0.2 ? { chat: pick(chats) } : {}),
        });
      } else {
        body = JSON.stringify({ action: randomToken(user) });
      }
      const res = await app.request("/api/webchat/messages", {
        method: "POST",
        headers: { "content-type": pick(["application/json", "text/plain", ""]), cookie },
        body,
      });
      if (res.status === 200) {
        const { replies } = (await res.json()) as {
          replies: { buttons: { action: string }[][] }[];
        };
        for (const r of replies) {
          for (const b of r.buttons.flat())
            if (issued.length < 5000) issued.push({ user, token: b.action });
        }
      }
      return res;
    };

    let updateId = 100_000;
    const telegram = async (): Promise<Response> => {
      const from = pick([ADMIN_USER, 1001, 424242, 0, -1]);
      const chat = pick([GROUP, from, -999, 7]);
      const roll = random();
      let body: string;
      if (roll < 0.2) {
        body = pick([
          "",
          "{",
          "[]",
          "null",
          '{"update_id":"x"}',
          '{"update_id":1e400}',
          randomText(),
        ]);
      } else if (roll < 0.6) {
        body = JSON.stringify({
          update_id: updateId++,
          message: {
            message_id: int(1e6),
            date: 1_786_000_000,
            chat: { id: chat, type: chat < 0 ? "group" : "private", title: "g" },
            from: { id: from, is_bot: false, first_name: randomText().slice(0, 64) },
            ...(random() < 0.9 ? { text: randomText() } : { sticker: {} }),
          },
        });
      } else {
        body = JSON.stringify({
          update_id: updateId++,
          callback_query: {
            id: `f${updateId}`,
            from: { id: from, is_bot: false, first_name: "x" },
            chat_instance: "ci",
            ...(random() < 0.95 ? { data: randomToken(String(from)) } : {}),
            ...(random() < 0.95
              ? {
                  message: {
                    message_id: int(1e6),
                    date: 1_786_000_000,
                    chat: { id: chat, type: chat < 0 ? "group" : "private", title: "g" },
                    text: "card",
                  },
                }
              : {}),
          },
        });
      }
      return app.request("/telegram/webhook", {
        method: "POST",
        headers: {
          "content-type": "application/json",
          // Header values are bytes: a client cannot even send other characters.
          "x-telegram-bot-api-secret-token":
            random() < 0.9 ? SECRET : `${SECRET.slice(1)}${int(10)}`,
        },
        body,
      });
    };

    const crypto = new WecomCrypto(wecomSettings);
    const wecomRequest = async (): Promise<Response> => {
      const encrypted = pick([
        randomText(),
        Buffer.from(randomText()).toString("base64"),
        "A".repeat(64),
        "",
      ]);
      const signature = random() < 0.5 ? crypto.signature("1786000000", "1", encrypted) : "bad";
      const query = `msg_signature=${uri(signature)}&timestamp=1786000000&nonce=1`;
      if (random() < 0.3) {
        return app.request(`/wecom/callback?${query}&echostr=${uri(encrypted)}`);
      }
      const body = pick([
        `<xml><ToUserName><![CDATA[ww-test-corp]]></ToUserName><Encrypt><![CDATA[${encrypted}]]></Encrypt><AgentID>1000002</AgentID></xml>`,
        '<!DOCTYPE x [<!ENTITY a "aaaa">]><xml>&a;</xml>',
        "<xml><Encrypt>",
        randomText(),
        "x".repeat(70_000),
      ]);
      return app.request(`/wecom/callback?${random() < 0.9 ? query : "%zz=1"}`, {
        method: "POST",
        headers: { "content-type": "text/xml" },
        body,
      });
    };

    const other = async (): Promise<Response> =>
      pick([
        () =>
          app.request(`/api/webchat/inbox?chat=${uri(pick(chats))}&after=${int(50)}`, {
            headers: { cookie: pick(cookies) },
          }),
        () => app.request("/api/webchat/inbox", { headers: { cookie: pick(cookies) } }),
        () => app.request(`/api/webchat/inbox?chat=${pick(["%00", "%zz", "%E0%A4%A"])}`),
        () => app.request("/api/webchat/demo-users"),
        () => app.request("/healthz"),
        () => app.request(`/${uri(randomText().slice(0, 100))}`),
        () => app.request("/api/webchat/messages", { method: pick(["GET", "PUT", "DELETE"]) }),
        () => app.request("/telegram/webhook", { method: "GET" }),
      ])();

    const before = await rowCounts(database.current);
    const statuses = new Map<number, number>();
    const failures: string[] = [];
    const generators = [
      ...Array(50).fill(webchat),
      ...Array(25).fill(telegram),
      ...Array(15).fill(wecomRequest),
      ...Array(10).fill(other),
    ] as (() => Promise<Response>)[];
    for (let done = 0; done < TOTAL; done += PARALLEL) {
      const batch = Array.from({ length: Math.min(PARALLEL, TOTAL - done) }, () =>
        pick(generators),
      );
      const results = await Promise.all(
        batch.map(async (make) => {
          try {
            const res = await make();
            if (res.bodyUsed === false) await res.arrayBuffer();
            return res.status;
          } catch (error) {
            failures.push(String(error));
            return 0;
          }
        }),
      );
      for (const s of results) statuses.set(s, (statuses.get(s) ?? 0) + 1);
    }
    await wecom.idle();
    const after = await rowCounts(database.current);

    console.log(
      `fuzz statuses: ${JSON.stringify(Object.fromEntries(statuses))}, tokens ${issued.length}`,
    );
    expect(failures).toEqual([]);
    expect([...statuses.keys()].filter((s) => s >= 500 || s === 0)).toEqual([]);
    expect(errors.map(String)).toEqual([]);
    // Nothing a chat can say creates organizations, people or admins.
    for (const table of ["organizations", "members", "admins"]) {
      expect(after[table], table).toBe(before[table]);
    }
    expect(await brokenInvariants(database.current)).toEqual({});
    // The fuzz reached the paths that write: dialogs were saved and buttons issued.
    expect(after.dialog_states).toBeGreaterThan(0);
    expect(issued.length).toBeGreaterThan(100);
  }, 300_000); // Under a loaded 2-core box (two test files at once) it has taken 100–150 s.
});
