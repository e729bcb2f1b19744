/**
 * The web chat's JSON API (issues 5.5, 14.10, 15.1), through the hono app as the server runs it:
 * sessions, messages as the session's person, and the chat log read by cursor.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { deliverToWebChat } from "../../../src/channels/web/log.ts";
import { loadDemoData } from "../../../src/db/demo/loadDemoData.ts";
import { chatBindings } from "../../../src/db/schema.ts";
import { birthDateOf } from "../../../src/db/sealing.ts";
import { button, raw, reply } from "../../../src/dialogs/replies.ts";
import { ageOn } from "../../../src/domain/idNumber.ts";
import { createHttpApp, type Readiness } from "../../../src/http/app.ts";
import { DB_KINDS, useTestDatabase } from "../../helpers/db.ts";
import { testEngine } from "../../helpers/engine.ts";
import { cookieFrom, type Rendered } from "../../helpers/webchat.ts";

const YEAR = 2026;

type DemoUser = { user: string; name: string; role: string; org: string };

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
  const json = { "content-type": "application/json" };
  const post = (app: ReturnType<typeof appWith>, body: unknown, cookie = "") =>
    app.request("/api/webchat/messages", {
      method: "POST",
      headers: { ...json, cookie },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
  const demoUsers = async (app: ReturnType<typeof appWith>) =>
    ((await (await app.request("/api/webchat/demo-users")).json()) as { users: DemoUser[] }).users;
  /** Picks a demo person on the page: a session and its cookie. */
  const pick = async (app: ReturnType<typeof appWith>, user: string) => {
    const res = await app.request("/api/webchat/session", {
      method: "POST",
      headers: json,
      body: JSON.stringify({ demo: user }),
    });
    expect(res.status).toBe(200);
    return { cookie: cookieFrom(res), body: (await res.json()) as Record<string, string> };
  };

  it("answers 503 while starting, and serves the page", async () => {
    const starting = appWith(true, false);
    expect((await starting.request("/healthz")).status).toBe(503);
    expect((await post(starting, { text: "hi" })).status).toBe(503);
    const page = await appWith(true).request("/");
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<html lang="zh-CN">');
    expect(html).toContain("学社衔接助手");
    expect((await appWith(true).request("/webchat.js")).status).toBe(200);
    expect((await appWith(true).request("/webchat.css")).status).toBe(200);
  });

  it("lists demo graduates of every kind of school, one under 16, and every admin", async () => {
    const users = await demoUsers(appWith(true));
    for (const u of users) expect(Object.keys(u).sort()).toEqual(["name", "org", "role", "user"]);
    const members = users.filter((u) => u.role === "member");
    expect(members.length).toBeGreaterThanOrEqual(4);
    expect(members.some((m) => m.org.includes("大学"))).toBe(true);
    expect(members.some((m) => m.org.includes("中学") && m.org.includes("高三"))).toBe(true);
    const ids = members.map((m) => Number(m.user.replace("m-", "")));
    const sealed = await database.current.query<{ s: string }>(
      `select id_sealed as s from members where id in (${ids.join(",")})`,
    );
    expect(sealed.some((r) => ageOn(birthDateOf(r.s), `${YEAR}-09-01`) < 16)).toBe(true);
    const [admins] = await database.current.query<{ n: number }>(
      "select count(*)::int n from admins",
    );
    expect(users.filter((u) => u.role === "admin")).toHaveLength(admins!.n);
    expect((await appWith(false).request("/api/webchat/demo-users")).status).toBe(404);
  });

  it("opens a session for a picked demo person: HttpOnly, SameSite=Strict; GET says who; DELETE ends it", async () => {
    const app = appWith(true);
    const [first] = (await demoUsers(app)).filter((u) => u.role === "member");
    const res = await app.request("/api/webchat/session", {
      method: "POST",
      headers: json,
      body: JSON.stringify({ demo: first!.user }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      user: first!.user,
      name: first!.name,
      role: "member",
      locale: "zh-CN",
    });
    const setCookie = res.headers.get("set-cookie") ?? "";
    expect(setCookie).toMatch(/^zhtj_session=[A-Za-z0-9_-]{43};/);
    expect(setCookie).toContain("HttpOnly");
    expect(setCookie).toContain("SameSite=Strict");
    const cookie = cookieFrom(res);
    // Only a hash of the token is stored.
    const rows = await database.current.query<{ token_hash: string }>(
      "select token_hash from webchat_sessions",
    );
    expect(JSON.stringify(rows)).not.toContain(cookie.split("=")[1]);

    const who = await app.request("/api/webchat/session", { headers: { cookie } });
    expect(await who.json()).toMatchObject({ user: first!.user, role: "member" });
    expect((await app.request("/api/webchat/session")).status).toBe(401);
    const ended = await app.request("/api/webchat/session", {
      method: "DELETE",
      headers: { cookie },
    });
    expect(ended.status).toBe(200);
    expect((await app.request("/api/webchat/session", { headers: { cookie } })).status).toBe(401);
    expect((await post(app, { text: "/menu" }, cookie)).status).toBe(401);

    // Outside demo mode nobody can be picked.
    const off = await appWith(false).request("/api/webchat/session", {
      method: "POST",
      headers: json,
      body: JSON.stringify({ demo: first!.user }),
    });
    expect(off.status).toBe(404);
  });

  it("rejects bad JSON, unknown fields (a `user` above all), and anything but exactly one of text or action", async () => {
    const app = appWith(true);
    const [first] = await demoUsers(app);
    const { cookie } = await pick(app, first!.user);
    const cases: [unknown, string][] = [
      ["{not json", "JSON"],
      [{ user: "a-1", text: "hi" }, "user"],
      [{ text: "hi", extra: 1 }, "extra"],
      [{}, "text"],
      [{ text: "hi", action: "x" }, "text"],
      [{ chat: "", text: "hi" }, "chat"],
      [{ text: 5 }, "text"],
      [{ text: "团".repeat(4097) }, "4096"],
      [[1, 2], ""],
    ];
    for (const [body, mention] of cases) {
      const res = await post(app, body, cookie);
      expect(res.status, JSON.stringify(body)).toBe(400);
      const { error } = (await res.json()) as { error: string };
      expect(error).toContain(mention);
    }
    expect((await post(app, { text: "hi" })).status).toBe(401);
  });

  it("acts as the session's person, with replies of text and rows of buttons", async () => {
    const app = appWith(true);
    const [first] = (await demoUsers(app)).filter((u) => u.role === "member");
    const { cookie } = await pick(app, first!.user);
    const res = await post(app, { text: "/menu" }, cookie);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { replies: Rendered[] };
    expect(Object.keys(body.replies[0]!).sort()).toEqual(["buttons", "id", "text"]);
    expect(body.replies[0]!.text).toMatch(/^你好，\S+！/);
    const hotline = body.replies[0]!.buttons.flat().find((b) => b.label === "咨询电话")!;
    const pressed = (await (await post(app, { action: hotline.action }, cookie)).json()) as {
      replies: { text: string }[];
    };
    // The first demo graduate studies at a university directly under the province.
    expect(pressed.replies[0]!.text).toContain("0351-12355");
  });

  it("keeps a person out of groups they may not see; on the web a code is redeemed on the page", async () => {
    const app = appWith(true);
    const users = await demoUsers(app);
    const member = await pick(app, users.find((u) => u.role === "member")!.user);
    const forbidden = await post(app, { chat: "group-7", text: "/bind" }, member.cookie);
    expect(forbidden.status).toBe(403);
    const admin = await pick(app, users.find((u) => u.role === "admin")!.user);
    // An unbound group takes an admin's /bind only.
    expect((await post(app, { chat: "group-7", text: "/menu" }, admin.cookie)).status).toBe(403);
    const started = (await (
      await post(app, { text: "/start ABCD-2345-EFGH" }, admin.cookie)
    ).json()) as {
      replies: Rendered[];
    };
    expect(started.replies[0]!.text).toContain("退出登录");
  });

  it("keeps what the bot sent to a chat: the latest again without a cursor, only newer ones after it", async () => {
    const app = appWith(true);
    const admin = (await demoUsers(app)).find((u) => u.role === "admin")!;
    const adminId = Number(admin.user.slice(2));
    const [{ orgId }] = (await database.current.query<{ orgId: number }>(
      `select org_id as "orgId" from admins where id = ${adminId}`,
    )) as [{ orgId: number }];
    await database.current.db.insert(chatBindings).values({
      channel: "web",
      chatId: "group-9",
      orgId,
      boundByAdminId: adminId,
    });
    const { cookie } = await pick(app, admin.user);
    await database.current.db.transaction(async (tx) => {
      await deliverToWebChat(
        tx,
        "group-9",
        reply(raw("card 17"), [[button("chat:menu.help", { type: "global", name: "noop" })]]),
        "zh-CN",
      );
      await deliverToWebChat(tx, "group-9", reply(raw("digest")), "zh-CN");
    });
    await expect(
      database.current.db.transaction((tx) =>
        deliverToWebChat(
          tx,
          "group-9",
          reply(raw("x"), [[button("chat:nav.back", { type: "back" })]]),
          "zh-CN",
        ),
      ),
    ).rejects.toThrow(/global/);
    const read = async (query: string) => {
      const res = await app.request(`/api/webchat/inbox?chat=group-9${query}`, {
        headers: { cookie },
      });
      expect(res.status).toBe(200);
      return ((await res.json()) as { messages: Rendered[] }).messages;
    };
    const first = await read("");
    expect(first).toEqual([
      {
        id: 1,
        text: "card 17",
        buttons: [[{ label: "帮助", action: expect.stringMatching(/^[\w-]{16}$/) }]],
      },
      { id: 2, text: "digest", buttons: [] },
    ]);
    // Reading takes nothing away: a reload shows the same again.
    expect(await read("")).toEqual(first);
    expect(await read("&after=1")).toEqual([first[1]]);
    expect(await read("&after=2")).toEqual([]);
    for (const bad of [
      "chat=group-9&after=x",
      "chat=group-9&after=-1",
      "chat=%00",
      "chat=%E0%A4%A",
      "extra=1",
    ]) {
      const res = await app.request(`/api/webchat/inbox?${bad}`, { headers: { cookie } });
      expect(res.status, bad).toBe(400);
    }
    expect((await app.request("/api/webchat/inbox?chat=group-9")).status).toBe(401);
  });
});
