/**
 * Admins in chat (issue 6) through the web chat JSON API: cards in bound group chats, approve →
 * assign → completed, reject with a reason, not authorized, already decided, leader approval
 * (R19) before the receiver sees anything, province approval (R17), /pending.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { webSender } from "../../../src/channels/web/sender.ts";
import { admins } from "../../../src/db/schema.ts";
import { notificationRenderer } from "../../../src/dialogs/cards.ts";
import { createHttpApp, type Readiness } from "../../../src/http/app.ts";
import { deliverDue } from "../../../src/outbox/deliver.ts";
import { fanOut } from "../../../src/outbox/fanOut.ts";
import { fileApplication } from "../../../src/services/transfers.ts";
import { DB_KINDS, useTestDatabase } from "../../helpers/db.ts";
import { testEngine } from "../../helpers/engine.ts";
import { TEST_SEASON } from "../../helpers/season.ts";
import { type Rendered, webChatClient } from "../../helpers/webchat.ts";
import { buildWorld, furtherStudy, type World } from "../../helpers/world.ts";

describe.each(DB_KINDS)("admins in the web chat on %s", (kind) => {
  const database = useTestDatabase(kind);
  let w: World;
  let now = new Date("2026-08-10T02:00:00Z");
  const db = () => database.current.db;
  const app = () => {
    const readiness: Readiness = { db: kind };
    readiness.web = {
      db: db(),
      engine: testEngine(db(), "zh-CN"),
      demo: false,
      defaultLocale: "zh-CN",
      graduationYear: 2026,
      now: () => now,
    };
    return createHttpApp(readiness, "zh-CN");
  };
  const last = new Map<string, Rendered[]>();
  let client = webChatClient(app, db, () => now);
  const send = async (user: string, chat: string, input: { text: string } | { action: string }) => {
    const res = await client.post(user, chat, input);
    expect(res.status).toBe(200);
    const replies = ((await res.json()) as { replies: Rendered[] }).replies;
    last.set(`${user}@${chat}`, replies);
    return replies;
  };
  const say = (user: string, text: string, chat = user) => send(user, chat, { text });
  const buttonIn = (replies: Rendered[], label: string) => {
    const b = replies.flatMap((r) => r.buttons.flat()).find((x) => x.label === label);
    expect(b, `button ${label} in ${JSON.stringify(replies)}`).toBeDefined();
    return b!.action;
  };
  const press = (user: string, label: string, chat = user) =>
    send(user, chat, { action: buttonIn(last.get(`${user}@${chat}`) ?? [], label) });
  const pressIn = (user: string, replies: Rendered[], label: string, chat: string) =>
    send(user, chat, { action: buttonIn(replies, label) });
  /** What a chat got that the test has not seen; a group is read by the admin it is named for. */
  const inbox = (chat: string) =>
    client.fresh(chat.startsWith("g") ? `a${chat.slice(1).replace(/2$/, "")}` : chat, chat);
  /** What the delivery worker does every second in the running app. */
  const deliver = async () => {
    await fanOut(db(), now);
    await deliverDue(db(), {
      senders: [webSender("zh-CN")],
      render: notificationRenderer(TEST_SEASON),
      now,
    });
  };
  const bindWeb = (alias: string, who: { memberId: number } | { adminId: number }) =>
    client.login(alias, who);
  const joined = (replies: Rendered[]) => replies.map((r) => r.text).join("\n---\n");

  beforeEach(async () => {
    w = await buildWorld(db());
    now = new Date("2026-08-10T02:00:00Z");
    last.clear();
    client = webChatClient(app, db, () => now);
    await bindWeb("m1", { memberId: w.member.m1 });
    await bindWeb("m2", { memberId: w.member.m2 });
    for (const a of ["V", "VB", "E", "Y", "P"] as const)
      await bindWeb(`a${a}`, { adminId: w.admin[a] });
  });

  it("a member files; the card reaches the bound group; approve, assign, completed; the card is replaced everywhere", async () => {
    expect(joined(await say("aV", "/bind"))).toContain("请在要接收审批消息的群聊中发送 /bind");
    expect(joined(await say("aV", "/bind", "gV"))).toContain("本群已绑定 太原工学院团委");
    await say("aV", "/bind", "gV2");
    // Only an admin opens a web group, by binding it.
    expect((await client.post("m1", "gX", { text: "/bind" })).status).toBe(403);

    // The member files through the same API.
    await say("m1", "/menu");
    await press("m1", "办理组织关系转接");
    await press("m1", "否");
    await press("m1", "升学");
    await press("m1", "普通高校");
    await say("m1", "太原工学院");
    await say("m1", "太原市迎泽西大街79号");
    await press("m1", "团山西省委");
    await say("m1", "工学院");
    await press("m1", "太原工学院团委（团山西省委）");
    expect(joined(await press("m1", "确认提交"))).toContain("申请已提交");

    await deliver();
    const cards = await inbox("gV");
    expect(cards).toHaveLength(1);
    const card = cards[0]!;
    expect(card.text).toContain("【新的转接申请");
    expect(card.text).toContain("申请人：张小明");
    // R4: masked in a group chat.
    expect(card.text).toContain(`${w.idNumber.m1.slice(0, 6)}********${w.idNumber.m1.slice(-4)}`);
    expect(card.text).not.toContain(w.idNumber.m1);
    expect(card.text).toContain("转入学校：太原工学院");
    expect(card.buttons.flat().map((b) => b.label)).toEqual(["同意", "不同意", "详情"]);
    expect(await inbox("gV")).toEqual([]);
    expect(await inbox("gV2")).toHaveLength(1);

    // Nobody outside the group's organization reaches it; without a session nobody at all.
    const approve = buttonIn(cards, "同意");
    expect((await client.post("aE", "gV", { action: approve })).status).toBe(403);
    expect((await client.post("nobody", "gV", { action: approve })).status).toBe(401);
    expect(await inbox("gV")).toEqual([]);

    const details = await pressIn("aV", cards, "详情", "gV");
    expect(joined(details)).toContain("审批记录：");

    const approved = await pressIn("aV", cards, "同意", "gV");
    expect(joined(approved)).toContain("已同意申请");
    expect(approved.flatMap((r) => r.buttons.flat()).map((b) => b.label)).toContain(
      "研究生2026级1班团支部",
    );
    const done = await press("aV", "研究生2026级1班团支部", "gV");
    expect(joined(done)).toContain("已完成：团员已分配到 研究生2026级1班团支部");

    await deliver();
    for (const chat of ["gV", "gV2"]) {
      const [edited] = await inbox(chat);
      expect(edited).toMatchObject({ ref: card.ref, edit: true, buttons: [] });
      expect(edited!.text).toContain("结果：已完成转接（管理员V");
    }
    const told = await inbox("m1");
    expect(joined(told)).toContain("已完成，转入 研究生2026级1班团支部");
    expect(joined(told)).toContain("团员档案");

    // A press on the decided card: who decided what.
    const late = await pressIn("aV", cards, "同意", "gV");
    expect(joined(late)).toContain("这份申请已经有结果：已完成转接（管理员V）");
  });

  it("R23 reject asks the same admin for a reason; the member is told why", async () => {
    await say("aVB", "/bind", "gVB");
    const filed = await fileApplication(
      db(),
      furtherStudy(w.member.m2, w.org.VB),
      now,
      TEST_SEASON,
    );
    expect(filed.ok).toBe(true);
    await deliver();
    const cards = await inbox("gVB");
    // R30: the preset reasons first; "other" asks the same admin to write one.
    const presets = await pressIn("aVB", cards, "不同意", "gVB");
    expect(presets.flatMap((r) => r.buttons.flat()).map((b) => b.label)).toEqual(
      expect.arrayContaining([
        "信息错误",
        "未按要求报到",
        "人员不符合要求",
        "其他原因（自行填写）",
      ]),
    );
    const asked = await press("aVB", "其他原因（自行填写）", "gVB");
    expect(asked.at(-1)).toMatchObject({ expectsReply: true });
    expect(joined(asked)).toContain("请写明不同意申请");
    // Another admin's text in the group is not taken as the reason.
    const [other] = await db()
      .insert(admins)
      .values({ orgId: w.org.VB, name: "另一位管理员" })
      .returning({ id: admins.id });
    await bindWeb("aVB2", { adminId: other!.id });
    expect(joined(await say("aVB2", "随便说说", "gVB"))).not.toContain("已退回");
    expect(joined(await say("aVB", "   ", "gVB"))).toContain("请写明原因");
    expect(joined(await say("aVB", "名额已满", "gVB"))).toContain("已退回申请");
    await deliver();
    expect(joined(await inbox("m2"))).toContain("被退回。原因：名额已满");
    const [edited] = await inbox("gVB");
    expect(edited!.text).toContain("结果：已退回（不同意）（管理员VB");
  });

  it("R19 the leading organ approves an under-16 transfer before the receiver sees it; R17 the province approves special units", async () => {
    await say("aY", "/bind", "gY");
    await say("aE", "/bind", "gE");
    await say("aP", "/bind", "gP");
    const under16 = await fileApplication(
      db(),
      {
        actor: { kind: "member", memberId: w.member.j1 },
        as: "member",
        reason: "employed_with_org",
        employerName: "能源集团",
        employerAddress: "太原市",
        under16Explanation: "随父母务工",
        external: false,
        destinationOrgId: w.org.E,
      },
      now,
      TEST_SEASON,
    );
    expect(under16).toMatchObject({ ok: true, state: "awaiting_leader" });
    await deliver();
    expect(await inbox("gE")).toEqual([]);
    const leaderCards = await inbox("gY");
    expect(leaderCards[0]!.text).toContain("【需领导机关审批");
    expect(leaderCards[0]!.text).toContain("情况说明：随父母务工");
    expect(joined(await pressIn("aY", leaderCards, "同意", "gY"))).toContain("已同意");
    await deliver();
    expect((await inbox("gY"))[0]!.text).toContain("结果：待接收方审批（管理员Y");
    const receiverCards = await inbox("gE");
    expect(receiverCards[0]!.text).toContain("【新的转接申请");

    await bindWeb("m3", { memberId: w.member.m3 });
    await fileApplication(
      db(),
      {
        actor: { kind: "member", memberId: w.member.m3 },
        as: "member",
        reason: "special_unit",
        external: false,
      },
      now,
      TEST_SEASON,
    );
    await deliver();
    const provinceCards = await inbox("gP");
    // R4: a leading organ sees the full ID number in a private chat, never in a group.
    expect(joined(await say("aP", "/pending"))).toContain(w.idNumber.m3);
    const inGroup = joined(await say("aP", "/pending", "gP"));
    expect(inGroup).not.toContain(w.idNumber.m3);
    expect(inGroup).toContain(`${w.idNumber.m3.slice(0, 6)}********${w.idNumber.m3.slice(-4)}`);
    expect(provinceCards[0]!.text).toContain("【需省级团委审批");
    expect(
      (await client.post("aE", "gP", { action: buttonIn(provinceCards, "同意") })).status,
    ).toBe(403);
    expect(joined(await pressIn("aP", provinceCards, "同意", "gP"))).toContain("已同意");
    await deliver();
    expect(joined(await inbox("m3"))).toContain("已完成，转入 团山西省委特殊单位专属库");
  });

  it("/pending lists what the admin's organization must decide, oldest first, with the card buttons", async () => {
    expect(joined(await say("aV", "/pending"))).toContain("太原工学院团委 目前没有待审批的申请");
    for (const [m, days] of [
      ["m1", 3],
      ["m2", 9],
    ] as const) {
      await fileApplication(
        db(),
        furtherStudy(w.member[m], w.org.V),
        new Date(now.getTime() - days * 86_400_000),
        TEST_SEASON,
      );
    }
    const queue = await say("aV", "/pending");
    expect(queue[0]!.text).toBe("太原工学院团委 待审批的申请：2 份（按等待时间，最早的在前）");
    expect(queue[1]!.text).toContain("申请人：李小红");
    expect(queue[1]!.text).toContain("已等待 9 天");
    expect(queue[2]!.text).toContain("申请人：张小明");
    expect(queue[1]!.buttons.flat().map((b) => b.label)).toEqual(["同意", "不同意", "详情"]);
    expect(joined(await say("m1", "/pending"))).toContain("只对已绑定的团组织管理员开放");
    // A group nobody bound is not there to unbind: nothing but /bind reaches it.
    expect((await client.post("aV", "gV", { text: "/unbind" })).status).toBe(403);
  });
});
