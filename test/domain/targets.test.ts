/** §5 targets: the inheritance rule and how a rate stands against its targets (issue 21). */
import { describe, expect, it } from "vitest";
import { seasonFor } from "../../src/domain/calendar.ts";
import {
  effectiveTargets,
  isStricter,
  shortfall,
  standing,
  type Target,
  weakerThanInherited,
} from "../../src/domain/targets.ts";

const t = (indicator: Target["indicator"], percent: number, due: string): Target => ({
  indicator,
  percent,
  due,
});
const defaults = seasonFor(2026, "Asia/Shanghai").targets;

describe("§5 targets: a child inherits its parent's unless it sets stricter ones", () => {
  it("stricter means a higher value, or the same value by an earlier date", () => {
    expect(isStricter(t("xs", 98, "2026-10-31"), t("xs", 95, "2026-10-31"))).toBe(true);
    expect(isStricter(t("xs", 95, "2026-10-15"), t("xs", 95, "2026-10-31"))).toBe(true);
    expect(isStricter(t("xs", 95, "2026-10-31"), t("xs", 95, "2026-10-31"))).toBe(false);
    expect(isStricter(t("xs", 90, "2026-10-15"), t("xs", 95, "2026-10-31"))).toBe(false);
    expect(isStricter(t("sx", 99, "2026-10-31"), t("xs", 95, "2026-10-31"))).toBe(false);
  });

  it("the defaults apply where nobody set anything: FQ 100% by 31 Aug, SX and XS 95% by 31 Oct", () => {
    expect(effectiveTargets([defaults, [], []])).toEqual([
      t("fq", 100, "2026-08-31"),
      t("sx", 95, "2026-10-31"),
      t("xs", 95, "2026-10-31"),
    ]);
  });

  it("a stricter child target replaces the parent's; a weaker one is refused and never lowers it", () => {
    const city = [t("xs", 97, "2026-10-31")];
    const county = [t("xs", 96, "2026-10-31"), t("sx", 95, "2026-10-20")];
    expect(effectiveTargets([defaults, city, county])).toEqual([
      t("fq", 100, "2026-08-31"),
      t("sx", 95, "2026-10-20"),
      t("xs", 97, "2026-10-31"),
    ]);
    const inherited = effectiveTargets([defaults, city]);
    expect(weakerThanInherited(t("xs", 96, "2026-10-31"), inherited)).toEqual(
      t("xs", 97, "2026-10-31"),
    );
    expect(weakerThanInherited(t("xs", 97, "2026-11-15"), inherited)).toEqual(
      t("xs", 97, "2026-10-31"),
    );
    expect(weakerThanInherited(t("xs", 99, "2026-10-31"), inherited)).toBeNull();
    // A lower value earlier is a milestone on the way, kept beside the parent's.
    expect(weakerThanInherited(t("xs", 60, "2026-09-30"), inherited)).toBeNull();
    expect(effectiveTargets([defaults, city, [t("xs", 60, "2026-09-30")]])).toContainEqual(
      t("xs", 60, "2026-09-30"),
    );
  });
});

describe("§5 a rate against the target due next", () => {
  const targets = [t("xs", 60, "2026-09-30"), t("xs", 95, "2026-10-31")];

  it("the next target with the days left; a passed date unmet is flagged", () => {
    expect(standing("xs", { value: 0.5 }, targets, "2026-09-20")).toEqual({
      indicator: "xs",
      rate: { value: 0.5 },
      next: { ...t("xs", 60, "2026-09-30"), daysLeft: 10, met: false },
      overdue: [],
    });
    expect(standing("xs", { value: 0.5 }, targets, "2026-10-01")).toEqual({
      indicator: "xs",
      rate: { value: 0.5 },
      next: { ...t("xs", 95, "2026-10-31"), daysLeft: 30, met: false },
      overdue: [t("xs", 60, "2026-09-30")],
    });
    // Met later: no longer flagged.
    expect(standing("xs", { value: 0.7 }, targets, "2026-10-01")?.overdue).toEqual([]);
    // Due today still counts as due; after the last date only the flag remains.
    expect(standing("xs", { value: 0.7 }, targets, "2026-10-31")?.next?.daysLeft).toBe(0);
    expect(standing("xs", { value: 0.7 }, targets, "2026-11-01")).toMatchObject({
      next: null,
      overdue: [t("xs", 95, "2026-10-31")],
    });
  });

  it("94.99% does not meet 95%; an empty denominator neither meets nor misses; no target, no standing", () => {
    expect(standing("xs", { value: 0.9499 }, targets, "2026-10-05")?.next?.met).toBe(false);
    const empty = standing("xs", { value: null }, targets, "2026-11-01");
    expect(empty).toMatchObject({ next: null, overdue: [] });
    expect(standing("dw", { value: 0.1 }, targets, "2026-10-01")).toBeNull();
  });

  it("the shortfall ranks children worst first and is null once met", () => {
    const worse = standing("xs", { value: 0.3 }, targets, "2026-09-01")!;
    const better = standing("xs", { value: 0.5 }, targets, "2026-09-01")!;
    expect(shortfall(worse)! > shortfall(better)!).toBe(true);
    expect(shortfall(standing("xs", { value: 0.61 }, targets, "2026-09-01")!)).toBeNull();
  });
});
