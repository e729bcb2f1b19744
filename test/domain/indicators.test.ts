import { describe, expect, it } from "vitest";
import {
  countIndicators,
  dwRate,
  fqRate,
  hasGraduates,
  type IndicatorCounts,
  indicatorValue,
  isBreakdownRegion,
  isDeadState,
  type OutcomeGroup,
  ratio,
  sxRate,
  xsRate,
  ZERO_COUNTS,
} from "../../src/domain/indicators.ts";

const group = (values: Partial<OutcomeGroup<string>>): OutcomeGroup<string> => ({
  origin: null,
  destination: null,
  reason: null,
  state: null,
  retainAtSchool: false,
  count: 1,
  ...values,
});

const inRegion = (key: string) => key === "in";
const counts = (values: Partial<IndicatorCounts>): IndicatorCounts => ({
  ...ZERO_COUNTS,
  ...values,
});

describe("§5 indicator population rules", () => {
  it("withdrawn, rejected and auto-returned applications are dead; the rest are live", () => {
    expect(isDeadState("withdrawn")).toBe(true);
    expect(isDeadState("rejected")).toBe(true);
    expect(isDeadState("auto_returned")).toBe(true);
    expect(isDeadState("pending")).toBe(false);
    expect(isDeadState("completed")).toBe(false);
  });

  it("further study from inside is B, from outside into the region is C, completed is A", () => {
    const counts = countIndicators(
      [
        group({ origin: "in", reason: "further_study", state: "completed", count: 3 }),
        group({ origin: "in", destination: "out", reason: "further_study", state: "pending" }),
        group({ origin: "out", destination: "in", reason: "further_study", state: "completed" }),
        group({ origin: "out", destination: "out", reason: "further_study", state: "completed" }),
      ],
      inRegion,
    );
    expect(counts).toEqual({ a: 4, b: 4, c: 1, d: 0, e: 0, f: 0, g: 0, initiated: 4 });
  });

  it("everything else from inside, with or without an application, is E; from outside F", () => {
    const counts = countIndicators(
      [
        group({ origin: "in", count: 2 }),
        group({ origin: "in", destination: "out", reason: "overseas", state: "completed" }),
        group({ origin: "out", destination: "in", reason: "not_placed", state: "pending" }),
        group({ origin: "out", reason: "special_unit", state: "completed" }),
      ],
      inRegion,
    );
    expect(counts).toEqual({ a: 0, b: 0, c: 0, d: 1, e: 3, f: 1, g: 0, initiated: 1 });
  });

  it("R15 retained at school is in E and never completed", () => {
    const counts = countIndicators(
      [group({ origin: "in", reason: "not_placed", state: "completed", retainAtSchool: true })],
      inRegion,
    );
    // The retention is a completed application: the member has started (FQ), not transferred.
    expect(counts).toEqual({ a: 0, b: 0, c: 0, d: 0, e: 1, f: 0, g: 0, initiated: 1 });
  });

  it("an empty denominator is not applicable, never 0% or 100%", () => {
    expect(ratio(0, 0)).toEqual({ value: null });
    expect(ratio(0, 4)).toEqual({ value: 0 });
    expect(ratio(4, 4)).toEqual({ value: 1 });
    expect(sxRate(counts({ a: 1, b: 1, c: 1 }))).toEqual({ value: 0.5 });
    expect(xsRate(counts({ a: 1, b: 1, c: 1 }))).toEqual({ value: null });
    expect(xsRate(counts({ d: 1, e: 2, f: 2 }))).toEqual({ value: 0.25 });
    expect(dwRate(counts({ a: 1, b: 1 }))).toEqual({ value: null });
    expect(fqRate(counts({ c: 3, f: 2 }))).toEqual({ value: null });
  });

  it("§5 DW: G is those of E and F whose completed transfer went to their employer's league organization", () => {
    const result = countIndicators(
      [
        group({ origin: "in", reason: "employed_with_org", state: "completed", count: 2 }),
        group({ origin: "in", reason: "employed_with_org", state: "awaiting_assignment" }),
        group({ origin: "in", reason: "employed_without_org", state: "completed" }),
        group({
          origin: "out",
          destination: "in",
          reason: "employed_with_org",
          state: "completed",
        }),
        group({
          origin: "out",
          destination: "out",
          reason: "employed_with_org",
          state: "completed",
        }),
        group({ origin: "in", count: 3 }),
      ],
      inRegion,
    );
    // E = 2 + 1 + 1 + 3 = 7, F = 1; D = 2 + 1 + 1 = 4; G = 2 (inside) + 1 (coming in) = 3.
    expect(result).toMatchObject({ d: 4, e: 7, f: 1, g: 3 });
    expect(dwRate(result)).toEqual({ value: 3 / 8 });
    expect(indicatorValue("dw", result)).toEqual({
      numerator: 3,
      denominator: 8,
      rate: { value: 3 / 8 },
    });
  });

  it("§5 FQ: of the region's own graduates (B + E), those with an open or completed application", () => {
    const result = countIndicators(
      [
        group({ origin: "in", reason: "further_study", state: "pending", count: 2 }),
        group({ origin: "in", reason: "special_unit", state: "awaiting_province" }),
        group({ origin: "in", reason: "not_placed", state: "awaiting_leader" }),
        group({ origin: "in", reason: "overseas", state: "completed" }),
        group({ origin: "in", count: 4 }),
        // Defensive: a dead state never speaks for the member, even if a caller passes one.
        group({ origin: "in", reason: "further_study", state: "withdrawn" }),
        // People coming in are not the region's graduates: in no part of FQ.
        group({ origin: "out", destination: "in", reason: "further_study", state: "pending" }),
      ],
      inRegion,
    );
    expect(result).toMatchObject({ b: 3, e: 7, c: 1, initiated: 5 });
    expect(indicatorValue("fq", result)).toEqual({
      numerator: 5,
      denominator: 10,
      rate: { value: 0.5 },
    });
  });

  it("§5 special-unit libraries and overseas branches are not regions of a breakdown", () => {
    expect(isBreakdownRegion({ category: "special_unit_library" })).toBe(false);
    expect(isBreakdownRegion({ category: "overseas_branch" })).toBe(false);
    for (const category of ["normal", "graduate", "flow_branch", "delayed_graduation"] as const)
      expect(isBreakdownRegion({ category })).toBe(true);
  });

  it("a region has graduates when anyone is in a denominator, own or coming in", () => {
    expect(hasGraduates(ZERO_COUNTS)).toBe(false);
    expect(hasGraduates(counts({ f: 1 }))).toBe(true);
    expect(hasGraduates(counts({ c: 1 }))).toBe(true);
    expect(hasGraduates(counts({ e: 1 }))).toBe(true);
  });
});
