/**
 * Issue 15, attacks on the web chat (SPEC §8): a person is whoever holds a session, so naming
 * someone in a body, forging or replaying a cookie, reading another's chat, cross-site requests
 * and rebound host names are all refused, and each refusal changes nothing.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { webUserOf } from "../../src/channels/web/sessions.ts";
import { chatBindings } from "../../src/db/schema.ts";
import { fileApplication } from "../../src/services/transfers.ts";
import { DB_KINDS, useTestDatabase } from "../helpers/db.ts";
import { TEST_SEASON } from "../helpers/season.ts";
import { cookieFrom, sessionCookie } from "../helpers/webchat.ts";
import { buildWorld, furtherStudy, type World } from "../helpers/world.ts";
import { changedTables, json, type SecurityApp, securityApp, tableDigests } from "./helpers.ts";

const NOW = new Date("2026-08-10T02:00:00Z");
const HOUR = 3600_000;

describe.each(DB_KINDS)("web chat attacks on %s", (kind) => {
  const database = useTestDatabase(kind);
  let w: World;
  let s: SecurityApp;
  const db = () => database.current.db;
  const post = (body: unknown, cookie = "", headers: Record<string, string> = {}) =>
    s.app.request("/api/webchat/messages", json(body, { cookie, ...headers }));

  beforeEach(async () => {
    w = await buildWorld(db());
    s = securityApp(database.current, { now: NOW });
  });

  it("a user named in the body is a 400, and without a session nothing acts at all", async () => {
    const admin = webUserOf("admin", w.admin.VB);
    await sessionCookie(db(), { adminId: w.admin.VB }, NOW);
    const { cookie } = await sessionCookie(db(), { memberId: w.member.m2 }, NOW);
    const filed = await fileApplication(
      db(),
      furtherStudy(w.member.m1, w.org.VB),
      NOW,
      TEST_SEASON,
    );
    expect(filed.ok).toBe(true);
    const before = await tableDigests(database.current);
    // The attack of the issue: naming an admin's user id approved a transfer.
    const named = await post({ user: admin, text: "/pending" });
    expect(named.status).toBe(401);
    const stillNamed = await post({ user: admin, text: "/pending" }, cookie);
    expect(stillNamed.status).toBe(400);
    expect(((await stillNamed.json()) as { error: string }).error).toContain("user");
    for (const res of [
      await post({ text: "/codes" }),
      await post({ action: "x".repeat(16) }),
      await s.app.request(`/api/webchat/inbox?chat=${admin}`),
      await s.app.request("/api/webchat/session"),
    ]) {
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ error: "请先登录（输入绑定码）" });
    }
    // Nothing but the request budgets moved: no decision, no outbox row, no session.
    expect(await changedTables(database.current, before, ["rate_limits"])).toEqual([]);
  });

  it("a forged, ended, idle or too old session is nobody", async () => {
    const { cookie } = await sessionCookie(db(), { adminId: w.admin.VB }, NOW);
    const asked = (c: string) => s.app.request("/api/webchat/session", { headers: { cookie: c } });
    expect((await asked(cookie)).status).toBe(200);
    const token = cookie.split("=")[1]!;
    const forged = `zhtj_session=${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`;
    expect((await asked(forged)).status).toBe(401);
    expect((await asked("zhtj_session=../../etc")).status).toBe(401);

    // Idle: 12 hours without a request end it.
    s.at(new Date(NOW.getTime() + 12 * HOUR));
    expect((await asked(cookie)).status).toBe(401);
    expect(await database.current.query("select 1 from webchat_sessions")).toEqual([]);

    // Absolute: 7 days, however busy. (The clock only moves on: budgets are by time.)
    const t0 = new Date(NOW.getTime() + 13 * HOUR);
    s.at(t0);
    const busy = await sessionCookie(db(), { adminId: w.admin.VB }, t0);
    for (let h = 11; h < 7 * 24; h += 11) {
      s.at(new Date(t0.getTime() + h * HOUR));
      expect((await asked(busy.cookie)).status, `hour ${h}`).toBe(200);
    }
    const t1 = new Date(t0.getTime() + 7 * 24 * HOUR);
    s.at(t1);
    expect((await asked(busy.cookie)).status).toBe(401);

    // Logout (DELETE or /logout in the chat) ends it on the server, not only in the browser.
    const a = await sessionCookie(db(), { adminId: w.admin.VB }, t1);
    const deleted = await s.app.request("/api/webchat/session", {
      method: "DELETE",
      headers: { cookie: a.cookie },
    });
    expect(deleted.status).toBe(200);
    expect((await asked(a.cookie)).status).toBe(401);
    const b = await sessionCookie(db(), { adminId: w.admin.VB }, t1);
    const out = await post({ text: "/logout" }, b.cookie);
    expect(await out.json()).toMatchObject({
      loggedOut: true,
      replies: [{ text: "你已退出登录。" }],
    });
    expect(out.headers.get("set-cookie")).toMatch(/zhtj_session=;.*Max-Age=0/);
    expect((await asked(b.cookie)).status).toBe(401);
  });

  it("nobody reads or writes a chat that is not theirs: another's private chat, another organization's group", async () => {
    await db()
      .insert(chatBindings)
      .values({ channel: "web", chatId: "gV", orgId: w.org.V, boundByAdminId: w.admin.V });
    const mine = await sessionCookie(db(), { adminId: w.admin.V }, NOW);
    expect((await post({ chat: "gV", text: "/pending" }, mine.cookie)).status).toBe(200);
    const other = await sessionCookie(db(), { adminId: w.admin.E }, NOW);
    const member = await sessionCookie(db(), { memberId: w.member.m1 }, NOW);
    const before = await tableDigests(database.current);
    for (const [cookie, chat] of [
      [other.cookie, "gV"],
      [member.cookie, "gV"],
      [other.cookie, mine.user],
      [member.cookie, other.user],
      [member.cookie, "not-bound-yet"],
    ] as const) {
      expect((await post({ chat, text: "/pending" }, cookie)).status, `${chat}`).toBe(403);
      const read = await s.app.request(`/api/webchat/inbox?chat=${chat}`, { headers: { cookie } });
      expect(read.status, `${chat}`).toBe(403);
      expect(JSON.stringify(await read.json())).not.toContain("待审批");
    }
    // A member cannot open a group by binding it; an admin's group takes only /bind first.
    expect((await post({ chat: "new-group", text: "/bind" }, member.cookie)).status).toBe(403);
    expect((await post({ chat: "new-group", text: "/codes" }, other.cookie)).status).toBe(403);
    expect(await changedTables(database.current, before, ["rate_limits"])).toEqual([]);
    // Reading takes nothing away: the owner still sees the conversation.
    const again = await s.app.request("/api/webchat/inbox?chat=gV", {
      headers: { cookie: mine.cookie },
    });
    expect(((await again.json()) as { messages: unknown[] }).messages.length).toBeGreaterThan(1);
  });

  it("a state-changing request from another site is a 403 (CSRF), and changes nothing", async () => {
    const { cookie } = await sessionCookie(db(), { adminId: w.admin.V }, NOW);
    const before = await tableDigests(database.current);
    const sites: Record<string, string>[] = [
      { origin: "https://evil.example" },
      { origin: "null" },
      { "sec-fetch-site": "cross-site" },
      { "sec-fetch-site": "same-site" },
      { origin: "http://localhost.evil.example", "sec-fetch-site": "same-origin" },
    ];
    for (const headers of sites) {
      const res = await post({ text: "/codes" }, cookie, headers);
      expect(res.status, JSON.stringify(headers)).toBe(403);
      expect(await res.json()).toEqual({ error: "拒绝来自其他网站的请求" });
      const logout = await s.app.request("/api/webchat/session", {
        method: "DELETE",
        headers: { cookie, ...headers },
      });
      expect(logout.status).toBe(403);
      const login = await s.app.request(
        "/api/webchat/session",
        json({ code: "ABCD-EFGH-JKMN" }, headers),
      );
      expect(login.status).toBe(403);
    }
    expect(await changedTables(database.current, before, ["rate_limits"])).toEqual([]);
    // The page's own requests pass.
    const own = await post({ text: "/menu" }, cookie, {
      origin: "http://localhost",
      "sec-fetch-site": "same-origin",
    });
    expect(own.status).toBe(200);
  });

  it("answers only to PUBLIC_HOSTS (DNS rebinding), and the page carries its security headers", async () => {
    const before = await tableDigests(database.current);
    for (const path of ["/", "/webchat.js", "/api/webchat/demo-users", "/api/webchat/session"]) {
      const res = await s.app.request(`http://rebound.evil.example:3000${path}`);
      expect(res.status, path).toBe(403);
    }
    const login = await s.app.request(
      "http://rebound.evil.example/api/webchat/session",
      json({ demo: webUserOf("admin", w.admin.V) }),
    );
    expect(login.status).toBe(403);
    expect(login.headers.get("set-cookie")).toBeNull();
    expect(await changedTables(database.current, before)).toEqual([]);
    for (const host of ["localhost", "127.0.0.1:3000", "[::1]:3000"])
      expect((await s.app.request(`http://${host}/`)).status, host).toBe(200);
    const published = securityApp(database.current, {
      settings: { publicHosts: ["zhtj.example.org"] },
    });
    expect((await published.app.request("https://zhtj.example.org/")).status).toBe(200);
    expect((await published.app.request("http://localhost/")).status).toBe(403);

    const page = await s.app.request("/");
    const csp = page.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain("unsafe-inline");
    expect(page.headers.get("x-content-type-options")).toBe("nosniff");
    expect(page.headers.get("referrer-policy")).toBe("no-referrer");
    expect(page.headers.get("x-frame-options")).toBe("DENY");
  });

  it("a session cookie is HttpOnly, SameSite=Strict, and Secure behind an HTTPS proxy it trusts", async () => {
    const login = (app: SecurityApp, peer: string, headers: Record<string, string> = {}) =>
      app.from(
        peer,
        "/api/webchat/session",
        json({ demo: webUserOf("admin", w.admin.V) }, headers),
      );
    const plain = await login(s, "127.0.0.1", { "x-forwarded-proto": "https" });
    expect(plain.headers.get("set-cookie")).toMatch(/HttpOnly/);
    expect(plain.headers.get("set-cookie")).toMatch(/SameSite=Strict/);
    // An untrusted peer cannot claim HTTPS for itself.
    expect(plain.headers.get("set-cookie")).not.toMatch(/Secure/);
    const proxied = securityApp(database.current, { settings: { trustedProxies: ["10.0.0.0/8"] } });
    const behind = await login(proxied, "10.1.2.3", { "x-forwarded-proto": "https" });
    expect(behind.headers.get("set-cookie")).toMatch(/Secure/);
    expect(cookieFrom(behind)).toMatch(/^zhtj_session=/);
  });

  it("a malformed request is a 400 and an internal failure a plain 500: never SQL, parameters or a stack", async () => {
    const { cookie } = await sessionCookie(db(), { adminId: w.admin.V }, NOW);
    for (const query of [
      "chat=%00",
      "chat=%zz",
      "chat=a%00b&after=1",
      "after=1e9",
      `chat=${"x".repeat(65)}`,
    ]) {
      const res = await s.app.request(`/api/webchat/inbox?${query}`, { headers: { cookie } });
      expect(res.status, query).toBe(400);
    }
    // A database that fails mid-request (here: every statement) says only that it failed.
    const broken = {
      _: { session: {} },
      execute: () => {
        throw new Error('insert into "rate_limits" ("key") values ($1) -- params: ["secret"]');
      },
    };
    const failing = securityApp({ ...database.current, db: broken as never });
    const res = await failing.app.request("/api/webchat/session");
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).toBe(JSON.stringify({ error: "服务器出错了，请稍后再试" }));
  });

  it("WEBCHAT=off serves no page and no API", async () => {
    const { createHttpApp } = await import("../../src/http/app.ts");
    const off = createHttpApp({ db: kind }, "zh-CN", { webchat: null });
    for (const path of ["/", "/webchat.js", "/api/webchat/session", "/api/webchat/demo-users"])
      expect((await off.request(path)).status, path).toBe(404);
    expect((await off.request("/healthz")).status).toBe(200);
  });
});
