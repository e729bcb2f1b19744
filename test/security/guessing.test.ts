/**
 * Issue 15, guessing attacks: binding codes tried per client address and overall, codes minted
 * without end, ID numbers recovered behind a mask by repeated lookups, and requests flooded
 * from one person or one address. Each is refused with its limit and changes nothing.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { chatBindings } from "../../src/db/schema.ts";
import { maskIdNumber } from "../../src/domain/idNumber.ts";
import {
  CODE_LENGTH,
  CODE_TTL_MS,
  issueBranchCodes,
  issueMemberCode,
  MAX_LIVE_CODES,
  MAX_LIVE_CODES_PER_ORG,
  redeemCode,
} from "../../src/services/bindings.ts";
import { LOOKUPS_PER_HOUR } from "../../src/services/memberLookups.ts";
import { LIMITS } from "../../src/services/rateLimits.ts";
import { fileApplication } from "../../src/services/transfers.ts";
import { DB_KINDS, useTestDatabase } from "../helpers/db.ts";
import { testEngine } from "../helpers/engine.ts";
import { TEST_SEASON } from "../helpers/season.ts";
import { sessionCookie } from "../helpers/webchat.ts";
import { buildWorld, idFor, type World } from "../helpers/world.ts";
import { changedTables, json, type SecurityApp, securityApp, tableDigests } from "./helpers.ts";

const NOW = new Date("2026-08-10T02:00:00Z");

describe.each(DB_KINDS)("guessing attacks on %s", (kind) => {
  const database = useTestDatabase(kind);
  let w: World;
  let s: SecurityApp;
  const db = () => database.current.db;
  const login = (address: string, code: string) =>
    s.from(address, "/api/webchat/session", json({ code }));

  beforeEach(async () => {
    w = await buildWorld(db());
    s = securityApp(database.current, { now: NOW, demo: false });
  });

  it("the arithmetic of bindings.ts holds: a guess in a code's whole life hits with ≤ 1e-6", () => {
    const space = 31 ** CODE_LENGTH;
    const triesInALife = (LIMITS.bindGlobal.events * CODE_TTL_MS) / LIMITS.bindGlobal.windowMs;
    expect(triesInALife * (MAX_LIVE_CODES / space)).toBeLessThan(1e-6);
    expect(MAX_LIVE_CODES_PER_ORG).toBeLessThanOrEqual(MAX_LIVE_CODES);
  });

  it("ten wrong codes from one address pause its logins (429, Retry-After); nothing else changes", async () => {
    const issued = await issueMemberCode(db(), {
      adminId: w.admin.UB1,
      memberId: w.member.m1,
      now: NOW,
    });
    if (!issued.ok) throw new Error(issued.reason);
    const before = await tableDigests(database.current);
    for (let i = 0; i < 10; i++) {
      const res = await login("203.0.113.7", `WRONG-CODE-${String(i).padStart(2, "2")}`);
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ error: "绑定码不正确，请核对后重新输入。" });
    }
    const paused = await login("203.0.113.7", issued.code);
    expect(paused.status).toBe(429);
    expect(paused.headers.get("retry-after")).toBe("360");
    expect(((await paused.json()) as { error: string }).error).toContain("6 分钟后再试");
    expect(paused.headers.get("set-cookie")).toBeNull();
    // The code is still unused, nobody is bound, no session began.
    expect(await changedTables(database.current, before, ["rate_limits"])).toEqual([]);
    // Another address may still log in with it.
    const other = await login("198.51.100.9", issued.code);
    expect(other.status).toBe(200);
  });

  it("a forwarded address counts only behind a trusted proxy: a client cannot pick a new one per try", async () => {
    const spoof = (i: number) =>
      s.from(
        "203.0.113.7",
        "/api/webchat/session",
        json({ code: "WRONGWRONGWR" }, { "x-forwarded-for": `10.9.9.${i}` }),
      );
    for (let i = 0; i < 10; i++) expect((await spoof(i)).status).toBe(400);
    expect((await spoof(99)).status).toBe(429);
    // Behind a trusted proxy, its clients are told apart by the header it sets.
    const proxied = securityApp(database.current, {
      now: NOW,
      settings: { trustedProxies: ["127.0.0.1"] },
    });
    const via = (client: string) =>
      proxied.from(
        "127.0.0.1",
        "/api/webchat/session",
        json({ code: "WRONGWRONGWR" }, { "x-forwarded-for": `6.6.6.6, ${client}` }),
      );
    for (let i = 0; i < 10; i++) expect((await via("192.0.2.1")).status).toBe(400);
    expect((await via("192.0.2.1")).status).toBe(429);
    expect((await via("192.0.2.2")).status).toBe(400);
  });

  it(`all sources together get ${LIMITS.bindGlobal.events} wrong codes an hour: then nobody binds for a while`, async () => {
    const issued = await issueMemberCode(db(), {
      adminId: w.admin.UB1,
      memberId: w.member.m1,
      now: NOW,
    });
    if (!issued.ok) throw new Error(issued.reason);
    // The budget as 990 wrong tries from as many sources within the hour would leave it (the
    // rest are made for real, each from a new source).
    const { events, windowMs } = LIMITS.bindGlobal;
    const step = windowMs / events;
    await database.current.query(
      "insert into rate_limits (key, tat) values ('bind:global', $1::timestamptz)",
      [new Date(NOW.getTime() + (events - 10) * step).toISOString()],
    );
    for (let i = 0; i < 10; i++) {
      const tried = await redeemCode(db(), {
        channel: "telegram",
        userId: String(10_000 + i),
        code: "WRONGWRONGWR",
        sources: [{ channel: "telegram", userId: String(10_000 + i) }],
        now: NOW,
      });
      expect(tried).toEqual({ ok: false, reason: "code_invalid" });
    }
    const before = await tableDigests(database.current);
    const res = await login("192.0.2.200", issued.code);
    expect(res.status).toBe(429);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await changedTables(database.current, before, ["rate_limits"])).toEqual([]);
  });

  it("codes are capped per organization: a flood of issues is refused, and nothing is written", async () => {
    await database.current.query(
      `insert into binding_codes (code_hash, kind, member_id, issued_by_org_id, expires_at)
       select 'filler' || g, 'member', null, $1, $2::timestamptz from generate_series(1, $3) g`,
      [w.org.UB1, new Date(NOW.getTime() + 86_400_000).toISOString(), MAX_LIVE_CODES_PER_ORG],
    );
    const before = await tableDigests(database.current);
    expect(
      await issueMemberCode(db(), { adminId: w.admin.UB1, memberId: w.member.m1, now: NOW }),
    ).toEqual({
      ok: false,
      reason: "too_many_codes",
    });
    expect(
      await issueBranchCodes(db(), { adminId: w.admin.UB1, branchId: w.org.UB1, now: NOW }),
    ).toEqual({
      ok: false,
      reason: "too_many_codes",
    });
    expect(await changedTables(database.current, before)).toEqual([]);
    // Another organization's admins are not held up by it.
    expect(
      await issueMemberCode(db(), { adminId: w.admin.UC, memberId: w.member.m4, now: NOW }),
    ).toMatchObject({ ok: true });
  });

  it(`R5 /locate: private chats only, ${LOOKUPS_PER_HOUR} numbers an hour per admin, each on record`, async () => {
    await db()
      .insert(chatBindings)
      .values({ channel: "web", chatId: "gV", orgId: w.org.V, boundByAdminId: w.admin.V });
    const { cookie } = await sessionCookie(db(), { adminId: w.admin.V }, NOW);
    const say = async (text: string, chat?: string) => {
      const res = await s.app.request(
        "/api/webchat/messages",
        json({ text, ...(chat ? { chat } : {}) }, { cookie }),
      );
      expect(res.status).toBe(200);
      return ((await res.json()) as { replies: { text: string }[] }).replies
        .map((r) => r.text)
        .join("\n");
    };
    const inGroup = await say("/locate", "gV");
    expect(inGroup).toContain("请在与本助手的私聊中办理");
    const lookups = () =>
      database.current.query<{
        admin_id: number;
        matched: boolean;
        performed: boolean;
        purpose: string;
      }>("select admin_id, matched, performed, purpose from member_lookups order by id");
    expect(await lookups()).toEqual([]);
    // The attack: one masked number, its birth date guessed (a few hundred tries would do).
    const masked = maskIdNumber(w.idNumber.m1);
    const locate = async (idNumber: string) => {
      await say("/locate");
      await say(w.memberName.m1);
      return say(idNumber);
    };
    for (let day = 1; day <= LOOKUPS_PER_HOUR; day++) {
      const guess = idFor(`2004-03-${String(day).padStart(2, "0")}`, 1);
      expect(maskIdNumber(guess).slice(0, 6)).toBe(masked.slice(0, 6));
      expect(await locate(guess)).toContain("没有找到");
    }
    // Repeating a number already asked costs nothing more; a new one is refused, right or not.
    expect(await locate(idFor("2004-03-01", 1))).toContain("没有找到");
    const before = await tableDigests(database.current);
    const refused = await locate(w.idNumber.m1);
    expect(refused).toContain(`每小时最多查询 ${LOOKUPS_PER_HOUR} 个不同的身份证号`);
    expect(refused).not.toContain("现在所在组织");
    // Only the record of the refused try (and budgets, dialog state) was written.
    expect(
      await changedTables(database.current, before, [
        "member_lookups",
        "rate_limits",
        "dialog_states",
        "dialog_actions",
        "webchat_messages",
        "webchat_chats",
      ]),
    ).toEqual([]);
    const rows = await lookups();
    expect(rows).toHaveLength(LOOKUPS_PER_HOUR + 2);
    expect(rows.filter((r) => r.matched)).toEqual([]);
    expect(rows.every((r) => r.admin_id === w.admin.V && r.purpose === "locate")).toBe(true);
    expect(rows.at(-1)).toMatchObject({ performed: false, matched: false });
    // The in-organization start (M1.4.3, R11) finds its member the same way: same budget.
    const inAdmin = await fileApplication(
      db(),
      {
        actor: { kind: "admin", adminId: w.admin.V },
        as: "in_admin",
        memberName: w.memberName.m3,
        memberIdNumber: w.idNumber.m3,
        reason: "further_study",
        studyType: "university",
        schoolName: "太原工学院",
        schoolAddress: "太原市",
        external: false,
      },
      NOW,
      TEST_SEASON,
    );
    expect(inAdmin).toMatchObject({ ok: false, reason: "lookup_limit", max: LOOKUPS_PER_HOUR });
    expect((await lookups()).at(-1)).toMatchObject({ purpose: "in_admin_start", performed: false });
    // An hour later the budget is back.
    s.at(new Date(NOW.getTime() + 3600_000 + 60_000));
    expect(await locate(w.idNumber.m1)).toContain("现在所在组织");
    expect((await lookups()).at(-1)).toMatchObject({ performed: true, matched: true });
  });

  it("one person gets 60 chat inputs a minute: the web answers 429 + Retry-After, a chat says slow down", async () => {
    const { cookie } = await sessionCookie(db(), { memberId: w.member.m1 }, NOW);
    for (let i = 0; i < 60; i++) {
      const res = await s.app.request("/api/webchat/messages", json({ text: "/help" }, { cookie }));
      expect(res.status, `message ${i}`).toBe(200);
    }
    const before = await tableDigests(database.current);
    const res = await s.app.request("/api/webchat/messages", json({ text: "/menu" }, { cookie }));
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("1");
    expect(await res.json()).toEqual({ error: "操作太频繁了，请等 1 秒后再试。" });
    expect(await changedTables(database.current, before, ["rate_limits"])).toEqual([]);

    // Telegram / WeCom: the same engine answers with the message instead.
    const engine = testEngine(db(), "en");
    let last: string[] = [];
    for (let i = 0; i < 61; i++) {
      const out = await engine.handle({
        channel: "telegram",
        chatId: "42",
        userId: "42",
        isGroup: false,
        now: NOW,
        updateKey: `u${i}`,
        input: { type: "text", text: "/help" },
      });
      last = out.replies.map((r) => r.text);
    }
    expect(last).toEqual([
      "You are sending messages too fast. Please wait 1 seconds and try again.",
    ]);
  });

  it("a person with the chat open in several tabs keeps reading it while they type", async () => {
    const { cookie } = await sessionCookie(db(), { memberId: w.member.m1 }, NOW);
    const chat = `m-${w.member.m1}`;
    // Three tabs polling every 3 s and after each of 30 inputs, all in one minute.
    for (let i = 0; i < 30; i++) {
      const sent = await s.app.request(
        "/api/webchat/messages",
        json({ text: "/help" }, { cookie }),
      );
      expect(sent.status, `message ${i}`).toBe(200);
      for (let tab = 0; tab < 3; tab++) {
        const read = await s.app.request(`/api/webchat/inbox?chat=${chat}`, {
          headers: { cookie },
        });
        expect(read.status, `message ${i}, tab ${tab}`).toBe(200);
      }
    }
    for (let poll = 0; poll < 60; poll++) {
      const read = await s.app.request(`/api/webchat/inbox?chat=${chat}`, { headers: { cookie } });
      expect(read.status, `poll ${poll}`).toBe(200);
    }
    // Reads have a budget of their own (RATE_LIMIT_READS_PER_MINUTE), far above what tabs need.
    const later = new Date(NOW.getTime() + 120_000);
    const tight = securityApp(database.current, {
      now: later,
      limits: { readsPerPersonPerMinute: 3 },
    });
    const reads = [];
    for (let i = 0; i < 4; i++)
      reads.push(
        (await tight.app.request(`/api/webchat/inbox?chat=${chat}`, { headers: { cookie } }))
          .status,
      );
    expect(reads).toEqual([200, 200, 200, 429]);
  });

  it("one address gets its request budget (RATE_LIMIT_ADDRESS_PER_MINUTE), whoever it claims to be", async () => {
    const tight = securityApp(database.current, { now: NOW, limits: { perAddressPerMinute: 5 } });
    for (let i = 0; i < 5; i++) expect((await tight.from("203.0.113.50", "/")).status).toBe(200);
    const res = await tight.from("203.0.113.50", "/api/webchat/session", {
      headers: { "x-forwarded-for": "1.2.3.4" },
    });
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("12");
    expect(await res.json()).toEqual({ error: "请求太频繁，请稍后再试" });
    expect((await tight.from("203.0.113.51", "/")).status).toBe(200);
  });
});
