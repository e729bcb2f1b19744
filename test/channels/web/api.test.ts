/** The web chat's JSON API (issue 5.5), through the hono app as the server runs it. */
import { beforeAll, describe, expect, it } from "vitest";
import { deliverToWebChat } from "../../../src/channels/web/inbox.ts";
import { loadDemoData } from "../../../src/db/demo/loadDemoData.ts";
import { button, globalButton, raw, reply } from "../../../src/dialogs/replies.ts";
import { ageOn } from "../../../src/domain/idNumber.ts";
import { createHttpApp, type Readiness } from "../../../src/http/app.ts";
import { DB_KINDS, useTestDatabase } from "../../helpers/db.ts";
import { testEngine } from "../../helpers/engine.ts";

const YEAR = 2026;

describe.each(DB_KINDS)("web chat API on %s", (kind) => {
  const database = useTestDatabase(kind, { truncate: false });
  beforeAll(async () => {
    await loadDemoData(database.current.db, YEAR);
  });

  const appWith = (demo: boolean, ready = true) => {
    const readiness: Readiness = { db: null };
    if (ready) {
      readiness.db = kind;
      readiness.web = {
        db: database.current.db,
        engine: testEngine(database.current.db, "zh-CN"),
        demo,
        defaultLocale: "zh-CN",
        graduationYear: YEAR,
        now: () => new Date("2026-07-01T02:00:00Z"),
      };
    }
    return createHttpApp(readiness, "zh-CN");
  };
  const post = (app: ReturnType<typeof appWith>, body: unknown) =>
    app.request("/api/webchat/messages", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });

  it("answers 503 while starting, and serves the page", async () => {
    const starting = appWith(true, false);
    expect((await starting.request("/healthz")).status).toBe(503);
    expect((await post(starting, { user: "u", text: "hi" })).status).toBe(503);
    const page = await appWith(true).request("/");
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<html lang="zh-CN">');
    expect(html).toContain("学社衔接助手");
    expect((await appWith(true).request("/webchat.js")).status).toBe(200);
  });

  it("lists demo graduates of every kind of school, one under 16, and every admin", async () => {
    const res = await appWith(true).request("/api/webchat/demo-users");
    expect(res.status).toBe(200);
    const { users } = (await res.json()) as {
      users: { user: string; name: string; role: string; org: string }[];
    };
    for (const u of users) expect(Object.keys(u).sort()).toEqual(["name", "org", "role", "user"]);
    const members = users.filter((u) => u.role === "member");
    expect(members.length).toBeGreaterThanOrEqual(4);
    expect(members.some((m) => m.org.includes("大学"))).toBe(true);
    expect(members.some((m) => m.org.includes("中学") && m.org.includes("高三"))).toBe(true);
    const ids = members.map((m) => Number(m.user.replace("demo-m-", "")));
    const births = await database.current.query<{ b: string }>(
      `select birth_date::text as b from members where id in (${ids.join(",")})`,
    );
    expect(births.some((r) => ageOn(r.b, `${YEAR}-09-01`) < 16)).toBe(true);
    const [admins] = await database.current.query<{ n: number }>(
      "select count(*)::int n from admins",
    );
    expect(users.filter((u) => u.role === "admin")).toHaveLength(admins!.n);
    expect((await appWith(false).request("/api/webchat/demo-users")).status).toBe(404);
  });

  it("rejects bad JSON, unknown fields, and anything but exactly one of text or action", async () => {
    const app = appWith(true);
    const cases: [unknown, string][] = [
      ["{not json", "JSON"],
      [{ user: "u", text: "hi", extra: 1 }, "extra"],
      [{ user: "u" }, "text"],
      [{ user: "u", text: "hi", action: "x" }, "text"],
      [{ user: "", text: "hi" }, "user"],
      [{ user: "u", text: 5 }, "text"],
      [[1, 2], ""],
    ];
    for (const [body, mention] of cases) {
      const res = await post(app, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      const { error } = (await res.json()) as { error: string };
      expect(error).toContain(mention);
    }
  });

  it("acts as a demo person, with replies of text and rows of buttons", async () => {
    const app = appWith(true);
    const res = await post(app, { user: "demo-m-1", text: "/menu" });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      replies: { text: string; buttons: { label: string; action: string }[][] }[];
    };
    expect(Object.keys(body.replies[0]!).sort()).toEqual(["buttons", "text"]);
    expect(body.replies[0]!.text).toMatch(/^你好，\S+！/);
    const hotline = body.replies[0]!.buttons.flat().find((b) => b.label === "咨询电话")!;
    const pressed = (await (
      await post(app, { user: "demo-m-1", action: hotline.action })
    ).json()) as {
      replies: { text: string }[];
    };
    // The first demo graduate studies at a university directly under the province.
    expect(pressed.replies[0]!.text).toContain("0351-12355");
  });

  it("asks an unknown user to bind outside demo mode, and a demo id is nobody there", async () => {
    const app = appWith(false);
    for (const user of ["someone", "demo-m-2"]) {
      const body = (await (await post(app, { user, text: "/menu" })).json()) as {
        replies: { text: string }[];
      };
      expect(body.replies.map((r) => r.text).join()).toContain("使用前请先绑定身份");
    }
  });

  it("treats another chat id as a group chat", async () => {
    const body = (await (
      await post(appWith(true), { user: "someone", chat: "group-7", text: "/start ABCD2345" })
    ).json()) as { replies: { text: string }[] };
    expect(body.replies[0]!.text).toContain("请在与本助手的私聊中发送绑定码");
  });

  it("hands out what the bot sent to a chat on its own, each message once", async () => {
    const app = appWith(true);
    await database.current.db.transaction(async (tx) => {
      await deliverToWebChat(
        tx,
        "group-9",
        reply(raw("card 17"), [[globalButton("chat:menu.help", "noop")]]),
      );
      await deliverToWebChat(tx, "group-9", reply(raw("digest")));
    });
    await expect(
      database.current.db.transaction((tx) =>
        deliverToWebChat(
          tx,
          "group-9",
          reply(raw("x"), [[button("chat:nav.back", { type: "back" })]]),
        ),
      ),
    ).rejects.toThrow(/global/);
    const first = await (await app.request("/api/webchat/inbox?chat=group-9")).json();
    expect(first).toEqual({
      messages: [
        {
          text: "card 17",
          buttons: [[{ label: "帮助", action: expect.stringMatching(/^[\w-]{16}$/) }]],
        },
        { text: "digest", buttons: [] },
      ],
    });
    expect(await (await app.request("/api/webchat/inbox?chat=group-9")).json()).toEqual({
      messages: [],
    });
    expect((await app.request("/api/webchat/inbox")).status).toBe(400);
  });
});
