import { describe, expect, it } from "vitest";
import {
  countIndicators,
  isDeadState,
  type OutcomeGroup,
  ratio,
  sxRate,
  xsRate,
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
    expect(counts).toEqual({ a: 4, b: 4, c: 1, d: 0, e: 0, f: 0 });
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
    expect(counts).toEqual({ a: 0, b: 0, c: 0, d: 1, e: 3, f: 1 });
  });

  it("R15 retained at school is in E and never completed", () => {
    const counts = countIndicators(
      [group({ origin: "in", reason: "not_placed", state: "completed", retainAtSchool: true })],
      inRegion,
    );
    expect(counts).toEqual({ a: 0, b: 0, c: 0, d: 0, e: 1, f: 0 });
  });

  it("an empty denominator is not applicable, never 0% or 100%", () => {
    expect(ratio(0, 0)).toEqual({ value: null });
    expect(ratio(0, 4)).toEqual({ value: 0 });
    expect(ratio(4, 4)).toEqual({ value: 1 });
    expect(sxRate({ a: 1, b: 1, c: 1, d: 0, e: 0, f: 0 })).toEqual({ value: 0.5 });
    expect(xsRate({ a: 1, b: 1, c: 1, d: 0, e: 0, f: 0 })).toEqual({ value: null });
    expect(xsRate({ a: 0, b: 0, c: 0, d: 1, e: 2, f: 2 })).toEqual({ value: 0.25 });
  });
});
