/**
 * Last season's leftovers (issue 21, R14, R15): members retained in a flow branch past their
 * 6-month point are listed for their organization and the leading organs above, in `/pending`
 * and the digest, with the 12-month limit; 失联 marks with a reason show there and change no
 * count. Seasons kept apart: an earlier season's open application stays visible and decidable.
 */
import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { applications, members } from "../../src/db/schema.ts";
import { digestReply } from "../../src/dialogs/digest.ts";
import { renderMessage, translate } from "../../src/dialogs/render.ts";
import { seasonFor } from "../../src/domain/calendar.ts";
import { approve } from "../../src/services/decisions/index.ts";
import { digestFor } from "../../src/services/digests.ts";
import { leftoversUnder, markLostContact } from "../../src/services/leftovers.ts";
import { loadOrg } from "../../src/services/orgStore.ts";
import { rates } from "../../src/services/rates.ts";
import { fileApplication } from "../../src/services/transfers.ts";
import { bindAs, chat, labels, texts } from "../dialogs/fixtures.ts";
import { DB_KINDS, useTestDatabase } from "../helpers/db.ts";
import { testEngine } from "../helpers/engine.ts";
import { TEST_SEASON } from "../helpers/season.ts";
import {
  type AdminName,
  buildWorld,
  furtherStudy,
  shanghai,
  type World,
} from "../helpers/world.ts";

const SEP_1 = shanghai("2026-09-01T09:00:00");

describe.each(DB_KINDS)("last season's leftovers on %s", (kind) => {
  const database = useTestDatabase(kind);
  const db = () => database.current.db;
  let w: World;
  const admin = async (a: AdminName) => {
    await bindAs(db(), `admin-${a}`, { adminId: w.admin[a] });
    const u = chat(() => testEngine(db()), `admin-${a}`);
    u.advance(SEP_1.getTime() - new Date("2026-07-01T02:00:00Z").getTime());
    return u;
  };
  const stay = (m: keyof World["member"], branch: number, since: string) =>
    db()
      .update(members)
      .set({ branchId: branch, retainedSince: shanghai(since) })
      .where(eq(members.id, w.member[m]));

  beforeEach(async () => {
    w = await buildWorld(db());
    // R15: retained at the university since last November; R14: in the county's flow branch
    // since August 2025 (its year is over); R15 since June: not yet 6 months.
    await stay("m3", w.org.UF, "2025-11-10T10:00:00");
    await stay("m5", w.org.YF, "2025-08-01T10:00:00");
    await stay("m4", w.org.UF, "2026-06-01T10:00:00");
  });

  it("R15 R14 past 6 months: listed for the organization and the leading organs above, with the 12-month limit", async () => {
    const school = await admin("U");
    const said = texts(await school.say("/pending"));
    expect(said).toContain(
      "Retained or in a flow branch past 6 months (must move on, 12 months at most): 1\n· 王小刚, 山西示范大学流动团员团支部, since 2025-11-10; limit 2026-11-10",
    );
    expect(said).not.toContain("赵小丽");
    const county = await admin("Y");
    expect(texts(await county.say("/pending"))).toContain(
      "⚠ 孙小军, 团迎泽区委流动团员团支部, since 2025-08-01: the 12-month limit 2026-08-01 has passed",
    );
    const digest = await digestFor(db(), w.org.P, "2026-09-01", SEP_1, TEST_SEASON);
    const zh = renderMessage(translate("zh-CN"), digestReply(digest!, TEST_SEASON).text);
    expect(zh).toContain("在流动团员团支部保留已超过 6 个月（须转出，最长 1 年）的团员：2 人");
    expect(zh).toContain(
      "⚠ 孙小军，团迎泽区委流动团员团支部，自 2025-08-01 起：已超过 1 年期限（2026-08-01）",
    );
    expect(zh).toContain("· 王小刚，山西示范大学流动团员团支部，自 2025-11-10 起；最迟 2026-11-10");
    // A sibling region sees none of them.
    expect(await leftoversUnder(db(), (await loadOrg(db(), w.org.X))!, SEP_1, TEST_SEASON)).toEqual(
      [],
    );
  });

  it("失联: the organization's admin marks it with a reason in chat; it shows in the lists and changes no count", async () => {
    const before = await rates(db(), w.org.U, 2026, SEP_1);
    const school = await admin("U");
    await school.say("/lost");
    await school.say("流动团员");
    await school.press("山西示范大学流动团员团支部");
    await school.press(labels(school.last).find((l) => l.startsWith("王小刚"))!);
    expect(texts(await school.say("x"))).toContain("at least");
    expect(texts(await school.say("电话停机，多次联系无果"))).toContain(
      "marked lost contact. They still count as not transferred.",
    );
    expect(texts(await school.say("/pending"))).toContain(
      "· 王小刚, 山西示范大学流动团员团支部, since 2025-11-10; limit 2026-11-10\n  失联 (lost contact): 电话停机，多次联系无果",
    );
    expect(await rates(db(), w.org.U, 2026, SEP_1)).toEqual(before);
    // Only the member's organization or one above it may mark; clearing is the same right.
    expect(
      await markLostContact(
        db(),
        { adminId: w.admin.Y, memberId: w.member.m3, reason: "联系不上了" },
        SEP_1,
      ),
    ).toEqual({ ok: false, reason: "not_permitted" });
    expect(
      await markLostContact(
        db(),
        { adminId: w.admin.U, memberId: w.member.m3, reason: null },
        SEP_1,
      ),
    ).toEqual({ ok: true });
    expect(texts(await school.say("/pending"))).not.toContain("失联");
  });

  it("seasons kept apart: an application of the 2025 season stays visible and decidable in the 2026 season", async () => {
    const season2025 = seasonFor(2025, "Asia/Shanghai");
    await db()
      .update(members)
      .set({ graduationYear: 2025, graduationMonth: "2025-06" })
      .where(eq(members.id, w.member.m1));
    const filed = await fileApplication(
      db(),
      furtherStudy(w.member.m1, w.org.VB),
      shanghai("2025-08-20T10:00:00"),
      season2025,
    );
    if (!filed.ok) throw new Error(filed.reason);
    const receiver = await admin("VB");
    expect(texts(await receiver.say("/pending"))).toContain("张小明");
    expect(
      await approve(db(), { adminId: w.admin.VB, applicationId: filed.applicationId }, SEP_1),
    ).toMatchObject({ ok: true, state: "completed" });
    const [app] = await db()
      .select()
      .from(applications)
      .where(eq(applications.id, filed.applicationId));
    expect(app).toMatchObject({ graduationYear: 2025, state: "completed" });
    // It counts in its own season, not in the working one.
    const v2026 = await rates(db(), w.org.V, 2026, SEP_1);
    const v2025 = await rates(db(), w.org.V, 2025, SEP_1);
    expect(v2026.ok && v2026.counts.c).toBe(0);
    expect(v2025.ok && v2025.counts).toMatchObject({ a: 1, c: 1 });
  });
});
