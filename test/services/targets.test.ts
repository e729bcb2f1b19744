/**
 * §5 targets (issue 21): a leading organ sets its region's in chat (`/targets`), a child inherits
 * its parent's unless it sets stricter ones, and `/rates` and the digest show each rate against
 * the target due next, the days left, the children below it worst first, and the dates passed
 * unmet flagged.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { digestReply } from "../../src/dialogs/digest.ts";
import { renderMessage, translate } from "../../src/dialogs/render.ts";
import { approve } from "../../src/services/decisions/index.ts";
import { digestFor } from "../../src/services/digests.ts";
import { rates } from "../../src/services/rates.ts";
import { setTarget, targetReport } from "../../src/services/targets.ts";
import { fileApplication } from "../../src/services/transfers.ts";
import { bindAs, chat, texts } from "../dialogs/fixtures.ts";
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

describe.each(DB_KINDS)("§5 targets on %s", (kind) => {
  const database = useTestDatabase(kind);
  const db = () => database.current.db;
  let w: World;
  const engine = () => testEngine(db());
  const admin = async (a: AdminName) => {
    await bindAs(db(), `admin-${a}`, { adminId: w.admin[a] });
    const u = chat(engine, `admin-${a}`);
    // The chat's clock starts on 1 July; move it to 1 September.
    u.advance(SEP_1.getTime() - new Date("2026-07-01T02:00:00Z").getTime());
    return u;
  };

  beforeEach(async () => {
    w = await buildWorld(db());
  });

  it("/targets lists the defaults; a city sets a stricter XS; a county under it may not set a weaker one, only a stricter one", async () => {
    const city = await admin("T");
    expect(texts(await city.say("/targets"))).toContain(
      "Targets of 团太原市委, class of 2026:\n· FQ 100% by 2026-08-31 (default)\n· SX 95% by 2026-10-31 (default)\n· XS 95% by 2026-10-31 (default)",
    );
    expect(texts(await city.say("/targets xs 97 10-31"))).toContain(
      "Target saved.\nTargets of 团太原市委, class of 2026:\n· FQ 100% by 2026-08-31 (default)\n· SX 95% by 2026-10-31 (default)\n· XS 97% by 2026-10-31 (set by 团太原市委)",
    );
    const county = await admin("Y");
    // Inherited: the city's 97%, not the default.
    expect(texts(await county.say("/targets"))).toContain(
      "· XS 97% by 2026-10-31 (set by 团太原市委)",
    );
    expect(texts(await county.say("/targets xs 96 2026-10-31"))).toContain(
      "This target is not stricter than the one inherited from above (97% by 2026-10-31)",
    );
    expect(texts(await county.say("/targets xs 97 11-15"))).toContain("not stricter");
    // The same value by an earlier date is stricter.
    expect(texts(await county.say("/targets xs 97 10-20"))).toContain(
      "· XS 97% by 2026-10-20 (set by 团太原市迎泽区委)",
    );
    // The city's own list is unchanged by its child's stricter target.
    expect(texts(await city.say("/targets"))).toContain(
      "· XS 97% by 2026-10-31 (set by 团太原市委)",
    );
    expect(texts(await county.say("/targets xs off 10-20"))).toContain("Target removed.");
    expect(texts(await county.say("/targets"))).toContain(
      "· XS 97% by 2026-10-31 (set by 团太原市委)",
    );
  });

  it("/targets refuses bad input and non-leading organs with the way forward", async () => {
    const city = await admin("T");
    expect(texts(await city.say("/targets xs lots"))).toContain(
      "Not understood. Format: /targets indicator value day",
    );
    expect(texts(await city.say("/targets xs 120 10-31"))).toContain(
      "The target must be a whole percent from 1 to 100.",
    );
    expect(texts(await city.say("/targets xs 97 2027-10-31"))).toContain(
      "The target's day must be in 2026",
    );
    expect(texts(await city.say("/targets xs 97 02-30"))).toContain("must be in 2026");
    // Not a date at all: refused the same way, never an internal error.
    expect(texts(await city.say("/targets xs 97 2026-13-45"))).toContain("must be in 2026");
    const school = await admin("U");
    const said = texts(await school.say("/targets xs 99 10-31"));
    expect(said).toContain("Only county committees and above (leading organs) set targets.");
    expect(said).toContain("your organization follows those above it");
  });

  it("/rates: each rate against the target due next with the days left, a passed date unmet flagged, the children below worst first", async () => {
    // 山西示范大学: one of five has filed and completed further study; 团太原市委: nobody.
    const filed = await fileApplication(
      db(),
      furtherStudy(w.member.m1, w.org.V),
      shanghai("2026-07-10T10:00:00"),
      TEST_SEASON,
    );
    if (!filed.ok) throw new Error(filed.reason);
    await approve(
      db(),
      { adminId: w.admin.V, applicationId: filed.applicationId },
      shanghai("2026-07-11T10:00:00"),
    );
    const province = await admin("P");
    const said = texts(await province.say("/rates"));
    expect(said).toContain("Against targets (2026-09-01):");
    expect(said).toContain("FQ 14.2%: every target date has passed");
    expect(said).toContain("⚠ Passed unmet: FQ 100% by 2026-08-31, now 14.2%");
    expect(said).toContain("XS 0.0%, target XS 95% by 2026-10-31: days left: 60");
    // Children below target, furthest first: 团太原市委 (0%) before 山西示范大学 (20%).
    expect(said).toContain(
      "FQ below target, furthest first:\n  ⚠ 团太原市委 0.0%, target FQ 100% by 2026-08-31 (a target date passed unmet)\n  ⚠ 山西示范大学团委 20.0%, target FQ 100% by 2026-08-31 (a target date passed unmet)",
    );
  });

  it("the digest shows the targets and the overdue flags; a child's stricter target judges the child", async () => {
    expect(
      await setTarget(
        db(),
        { adminId: w.admin.T, target: { indicator: "xs", percent: 99, due: "2026-09-15" } },
        SEP_1,
        TEST_SEASON,
      ),
    ).toEqual({ ok: true });
    const digest = await digestFor(db(), w.org.P, "2026-09-01", SEP_1, TEST_SEASON);
    const zh = renderMessage(translate("zh-CN"), digestReply(digest!, TEST_SEASON).text);
    expect(zh).toContain("目标完成情况（2026-09-01）：");
    expect(zh).toContain("⚠ 逾期未达成：发起率 FQ 100%（2026-08-31 前），目前 0.0%");
    expect(zh).toContain("学社衔接率 XS 0.0%，目标 学社衔接率 XS 95%（2026-10-31 前）：还剩 60 天");
    const report = await targetReport(
      db(),
      (await rates(db(), w.org.P, 2026, SEP_1)) as never,
      SEP_1,
      TEST_SEASON,
    );
    const xs = report.indicators.find((i) => i.indicator === "xs")!;
    // The province's XS target is the default; 团太原市委 is judged by its own 99% by 15 Sep.
    expect(xs.next).toMatchObject({ percent: 95, due: "2026-10-31", daysLeft: 60 });
    expect(xs.childrenBelow.map((c) => [c.org.name, c.standing.next?.percent])).toEqual([
      ["团太原市委", 99],
      ["山西示范大学团委", 95],
    ]);
  });
});
