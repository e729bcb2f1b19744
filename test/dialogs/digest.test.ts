/**
 * The daily digest's content (SPEC §6): the pending queue with its oldest item and what R27
 * returns within 2 days; for leading organs SX / XS with counts, the change since yesterday
 * ("—" without yesterday's snapshot), children worst first, and the R18 "not placed" signal.
 */
import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { readLog } from "../../src/channels/web/log.ts";
import { webSender } from "../../src/channels/web/sender.ts";
import type { Db } from "../../src/db/client.ts";
import {
  applications,
  chatBindings,
  dialogActions,
  indicatorSnapshots,
  members,
} from "../../src/db/schema.ts";
import { sealIdNumber } from "../../src/db/sealing.ts";
import { notificationRenderer } from "../../src/dialogs/cards.ts";
import { digestReply } from "../../src/dialogs/digest.ts";
import { renderMessage, translate } from "../../src/dialogs/render.ts";
import type { TransferReason } from "../../src/domain/application.ts";
import { deliverDue } from "../../src/outbox/deliver.ts";
import { fanOut } from "../../src/outbox/fanOut.ts";
import { digestFor, queueDigests } from "../../src/services/digests.ts";
import { refreshOutcomes } from "../../src/services/outcomes.ts";
import { DB_KINDS, useTestDatabase } from "../helpers/db.ts";
import { TEST_SEASON } from "../helpers/season.ts";
import { buildWorld, idFor, shanghai, type World } from "../helpers/world.ts";

const NOW = shanghai("2026-09-29T08:30:00");
const DAY = "2026-09-29";
const zh = translate("zh-CN");

async function render(db: Db, orgId: number, at = NOW, day = DAY) {
  const digest = await digestFor(db, orgId, day, at, TEST_SEASON);
  return renderMessage(zh, digestReply(digest!, TEST_SEASON).text);
}

/** The digest as the outbox renders it for a chat: a leading organ's carries the chart. */
async function delivered(db: Db, orgId: number) {
  const event = { id: 1, event: "digest", recipientType: "org", recipientId: String(orgId) };
  return notificationRenderer(TEST_SEASON)(
    db,
    { ...event, payload: { orgId, day: DAY } } as never,
    { chatId: "g", locale: null },
    NOW,
  );
}

let seq = 100;
async function graduate(db: Db, branchId: number) {
  const [row] = await db
    .insert(members)
    .values({
      name: `学生${seq}`,
      ...sealIdNumber(idFor("2004-02-02", seq++)),
      branchId,
      graduationBranchId: branchId,
      graduationMonth: "2026-06",
      graduationYear: 2026,
    })
    .returning({ id: members.id });
  return row!.id;
}

async function file(
  db: Db,
  memberId: number,
  fromOrgId: number,
  reason: TransferReason,
  opts: { state?: "pending" | "completed"; to?: number; since?: Date } = {},
) {
  const [row] = await db
    .insert(applications)
    .values({
      memberId,
      state: opts.state ?? "pending",
      stageSince: opts.since ?? shanghai("2026-09-20T10:00:00"),
      initiatorKind: "member",
      reason,
      fromOrgId,
      toOrgId: opts.to ?? null,
      decidingOrgId: opts.state === "completed" ? null : (opts.to ?? null),
      graduationYear: 2026,
    })
    .returning({ id: applications.id });
  return row!.id;
}

describe.each(DB_KINDS)("the daily digest on %s", (kind) => {
  const database = useTestDatabase(kind);
  const db = () => database.current.db;
  let w: World;

  it("tells a receiver its pending queue: count, oldest, and what R27 returns within 2 days", async () => {
    w = await buildWorld(db());
    await file(db(), w.member.m1, w.org.UB1, "further_study", {
      to: w.org.V,
      since: shanghai("2026-09-10T09:00:00"),
    });
    await file(db(), w.member.m2, w.org.UB1, "further_study", {
      to: w.org.V,
      since: shanghai("2026-10-05T09:00:00"),
    });
    // R27: the wait counts from 1 Oct for the first, from 5 Oct for the second.
    const oct9 = shanghai("2026-10-09T08:30:00");
    const text = await render(db(), w.org.V, oct9, "2026-10-09");
    expect(text).toContain("【每日简报】太原工学院团委　2026-10-09");
    expect(text).toContain("待审批：2 件");
    expect(text).toContain("最早一件：#1 张小明，2026-09-10 09:00 起已等待 28 天");
    expect(text).toContain("2 天内将被自动退回：1 件");
    expect(text).toContain("#1 张小明：2026-10-11 00:00 自动退回");
    expect(text).not.toContain("李小红：");
    // In September nothing is returned within 2 days: the wrap-up has not started.
    expect(await render(db(), w.org.V)).not.toContain("2 天内将被自动退回");
    // Not a leading organ: no rates.
    expect(text).not.toContain("SX");
    expect(await render(db(), w.org.E)).toContain("待审批：无。");
    expect((await delivered(db(), w.org.V))?.image).toBeUndefined();
  });

  it("R27 a long queue: the five returned first are listed, the rest counted; what entered its stage after the digest's moment is not counted", async () => {
    w = await buildWorld(db());
    const ids: number[] = [];
    for (let i = 0; i < 7; i++) {
      ids.push(
        await file(db(), await graduate(db(), w.org.UB1), w.org.UB1, "further_study", {
          to: w.org.V,
          since: shanghai(`2026-09-${String(10 + i).padStart(2, "0")}T09:00:00`),
        }),
      );
    }
    // Returned only on 15 Oct: waiting, not returning soon.
    await file(db(), await graduate(db(), w.org.UB1), w.org.UB1, "further_study", {
      to: w.org.V,
      since: shanghai("2026-10-05T09:00:00"),
    });
    // Entered its stage after the digest's moment.
    await file(db(), await graduate(db(), w.org.UB1), w.org.UB1, "further_study", {
      to: w.org.V,
      since: shanghai("2026-10-09T10:00:00"),
    });
    const text = await render(db(), w.org.V, shanghai("2026-10-09T08:30:00"), "2026-10-09");
    expect(text).toContain("待审批：8 件");
    expect(text).toContain(`最早一件：#${ids[0]} `);
    expect(text).toContain("2 天内将被自动退回：7 件");
    for (const id of ids.slice(0, 5)) expect(text).toContain(`#${id} `);
    expect(text).not.toContain(`#${ids[5]} `);
    expect(text).toContain("另有 2 件，请打开待审批队列查看。");
  });

  it("§5 gives a leading organ FQ, SX, XS and DW with counts, the change since yesterday of each, child regions worst first, and the R18 signal", async () => {
    w = await buildWorld(db());
    // University U: all five of its graduates "not placed"; institute V: ten further study,
    // five of them completed; one graduate of V employed by the energy group, completed, and
    // one on its way to the special-unit library.
    for (const m of ["m1", "m2", "m3", "m4", "m5"] as const) {
      await file(db(), w.member[m], w.org.UB1, "not_placed", { to: w.org.TS });
    }
    for (let i = 0; i < 10; i++) {
      const id = await graduate(db(), w.org.VB);
      await file(db(), id, w.org.VB, "further_study", {
        to: w.org.U,
        state: i < 5 ? "completed" : "pending",
      });
    }
    const employed = await graduate(db(), w.org.VB);
    await file(db(), employed, w.org.VB, "employed_with_org", { to: w.org.EB, state: "completed" });
    const soldier = await graduate(db(), w.org.VB);
    await file(db(), soldier, w.org.VB, "special_unit", { to: w.org.LIB, state: "completed" });
    await refreshOutcomes(db(), sql`select id from members`);
    const before = await render(db(), w.org.P);
    expect(before).toContain("2026 届学社衔接：");
    // The province region: B = 10 further study, A = 5 completed; E = 5 U + 2 Y-schools + the
    // employed + the soldier; D = G = 1 + 1 … G counts only the employer: 1. Started: 10 + 5 + 2.
    expect(before).toContain("发起率 FQ 89.4% = 已发起 17 / (B 10 + E 9)，较昨日 —");
    expect(before).toContain("升学衔接率 SX 50.0% = A 5 / (B 10 + C 0)，较昨日 —");
    expect(before).toContain("社会衔接率 XS 22.2% = D 2 / (E 9 + F 0)，较昨日 —");
    expect(before).toContain("单位团组织转接率 DW 11.1% = G 1 / (E 9 + F 0)，较昨日 —");
    const children = before.split("\n").filter((l) => l.startsWith("　") && l.includes("SX"));
    // Worst XS first; on equal XS the worse SX; "—" last. The special-unit library received
    // someone but is a destination, not a region (§5): never listed.
    expect(children.map((l) => l.trim())).toEqual([
      "山西示范大学团委：FQ 100.0%（5/0+5），SX 50.0%（5/0+10），XS 0.0%（0/5+0），DW 0.0%（0/5+0）",
      "团太原市委：FQ 0.0%（0/0+2），SX —（0/0+0），XS 0.0%（0/2+5），DW 0.0%（0/2+5）",
      "太原工学院团委：FQ 100.0%（12/10+2），SX 50.0%（5/10+0），XS 100.0%（2/2+0），DW 50.0%（1/2+0）",
      "山西示范能源集团团委：FQ —（0/0+0），SX —（0/0+0），XS 100.0%（1/0+1），DW 100.0%（1/0+1）",
    ]);
    expect(before).not.toContain("特殊单位专属库");
    expect(before).toContain(
      "请关注：以下学校“未升学或未落实就业去向”的申请占比达到本地区（29.4%）的 2 倍以上",
    );
    expect(before).toContain("　山西示范大学团委：100.0%（5/5）");
    expect(before).not.toContain("　太原工学院团委：0.0%");
    const chart = (await delivered(db(), w.org.P))?.image;
    expect(Buffer.from(chart!.png, "base64").subarray(1, 4).toString()).toBe("PNG");
    expect(renderMessage(zh, chart!.alt)).toBe("团山西省委 2026 届各下级组织 SX / XS 条形图");

    // Yesterday's snapshot: FQ was 14 / 19, SX 4 / 10, XS 2 / 9 and DW 0 / 9.
    await db()
      .insert(indicatorSnapshots)
      .values({
        orgId: w.org.P,
        graduationYear: 2026,
        day: "2026-09-28",
        ...{ a: 4, b: 10, c: 0, d: 2, e: 9, f: 0, g: 0, initiated: 14 },
      });
    const after = await render(db(), w.org.P);
    expect(after).toContain("FQ 89.4% = 已发起 17 / (B 10 + E 9)，较昨日 上升 15.8 个百分点");
    expect(after).toContain("SX 50.0% = A 5 / (B 10 + C 0)，较昨日 上升 10.0 个百分点");
    expect(after).toContain("XS 22.2% = D 2 / (E 9 + F 0)，较昨日 持平");
    expect(after).toContain("DW 11.1% = G 1 / (E 9 + F 0)，较昨日 上升 11.1 个百分点");
  });

  it("§5 a child region without graduates is one line, not listed; yesterday's snapshot from before DW and FQ gives no change for them", async () => {
    w = await buildWorld(db());
    const id = await graduate(db(), w.org.VB);
    await file(db(), id, w.org.VB, "further_study", { to: w.org.U, state: "completed" });
    await refreshOutcomes(db(), sql`select id from members`);
    // As the migration leaves earlier rows: no G, no initiated count.
    await db()
      .insert(indicatorSnapshots)
      .values({
        orgId: w.org.P,
        graduationYear: 2026,
        day: "2026-09-28",
        ...{ a: 0, b: 1, c: 0, d: 0, e: 7, f: 0 },
      });
    const text = await render(db(), w.org.P);
    expect(text).toContain("FQ 12.5% = 已发起 1 / (B 1 + E 7)，较昨日 —");
    expect(text).toContain("SX 100.0% = A 1 / (B 1 + C 0)，较昨日 上升 100.0 个百分点");
    expect(text).toContain("XS 0.0% = D 0 / (E 7 + F 0)，较昨日 持平");
    expect(text).toContain("DW 0.0% = G 0 / (E 7 + F 0)，较昨日 —");
    expect(text).toContain("　另有 1 个下级组织暂无 2026 届毕业生，未列出：山西示范能源集团团委");
    expect(text).not.toContain("山西示范能源集团团委：");
  });

  it("is delivered to each bound chat once, with a button that opens the pending queue", async () => {
    w = await buildWorld(db());
    await db().insert(chatBindings).values({ channel: "web", chatId: "gV", orgId: w.org.V });
    await db().transaction(async (tx) => {
      await queueDigests(tx, DAY);
      await queueDigests(tx, DAY);
    });
    await fanOut(db(), NOW);
    const report = await deliverDue(db(), {
      senders: [webSender("zh-CN")],
      render: notificationRenderer(TEST_SEASON),
      now: NOW,
    });
    expect(report.sent).toBe(1);
    const [digest, ...more] = await readLog(db(), "gV", null);
    expect(more).toEqual([]);
    const token = digest!.buttons[0]?.[0]?.action ?? "";
    const [pressed] = await db().select().from(dialogActions).where(eq(dialogActions.token, token));
    expect(pressed?.payload).toEqual({ type: "global", name: "openPending" });
  });

  it("R27 warning and R14/R15 reminder texts; a warning says nothing once the application moved on", async () => {
    w = await buildWorld(db());
    const id = await file(db(), w.member.m1, w.org.UB1, "further_study", {
      to: w.org.V,
      since: shanghai("2026-09-10T09:00:00"),
    });
    const renderEvent = notificationRenderer(TEST_SEASON);
    const event = (e: string, recipientId: string, payload: Record<string, unknown>) =>
      ({ id: 1, event: e, recipientType: "org", recipientId, payload }) as never;
    // R27: more than 10 days after 1 Oct 00:00, the later of stage entry and the wrap-up.
    const returnAt = new Date(shanghai("2026-10-11T00:00:00").getTime() + 1).toISOString();
    const warning = await renderEvent(
      db(),
      event("auto_return_warning", String(w.org.V), { applicationId: id, returnAt }),
      { chatId: "gV", locale: null },
      NOW,
    );
    expect(renderMessage(zh, warning!.text)).toBe(
      `提醒：第 ${id} 号申请（张小明）已在本环节等待 18 天，如未处理，将于 2026-10-11 00:00 自动退回。`,
    );
    expect(warning!.buttons?.[0]?.map((b) => b.action)).toContainEqual({
      type: "global",
      name: "approve",
      args: { id },
    });
    // Approved since: the stage changed, the warning is void.
    await db().update(applications).set({ state: "completed", decidingOrgId: null });
    expect(
      await renderEvent(
        db(),
        event("auto_return_warning", String(w.org.V), { applicationId: id, returnAt }),
        { chatId: "gV", locale: null },
        NOW,
      ),
    ).toBeNull();
    const reminder = await renderEvent(
      db(),
      event("retention_reminder", String(w.org.U), { memberId: w.member.m1, months: 5 }),
      { chatId: "gU", locale: null },
      NOW,
    );
    expect(renderMessage(zh, reminder!.text)).toContain(
      "提醒：张小明 的组织关系在 计算机2022级1班团支部 已满 5 个月",
    );
  });
});
