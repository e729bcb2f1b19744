import { describe, expect, it } from "vitest";
import { isNotPlacedOutlier, notPlacedSignal } from "../../src/domain/notPlaced.ts";
import type { OrgNode } from "../../src/domain/tree.ts";
import { org } from "../helpers/orgFixtures.ts";

describe("R18 signal threshold", () => {
  it("flags a school at twice the region's share of not placed, over at least 5 applications", () => {
    const region = { notPlaced: 10, total: 100 };
    expect(isNotPlacedOutlier({ notPlaced: 2, total: 10 }, region)).toBe(true);
    expect(isNotPlacedOutlier({ notPlaced: 1, total: 10 }, region)).toBe(false);
    expect(isNotPlacedOutlier({ notPlaced: 4, total: 4 }, region)).toBe(false);
  });
});

describe("R18 the digest's not-placed signal, per school of the region", () => {
  const province = org(1, null, { kind: "committee", domain: "other" });
  const university = org(2, province, { kind: "committee", domain: "school", name: "U" });
  const college = org(3, university, { kind: "committee", domain: "school", name: "U college" });
  const collegeClass = org(4, college, { domain: "school" });
  const uClass = org(5, university, { domain: "school" });
  const school = org(6, province, { kind: "committee", domain: "school", name: "S" });
  const sClass = org(7, school, { domain: "school" });
  const other = org(8, province);
  const schools = new Map<number, OrgNode>([university, college, school].map((o) => [o.id, o]));

  it("R18 a college counts for its university, and the region counts everyone", () => {
    const signal = notPlacedSignal(
      [
        { path: collegeClass.path, notPlaced: 3, total: 4 },
        { path: uClass.path, notPlaced: 1, total: 4 },
        { path: sClass.path, notPlaced: 0, total: 10 },
        { path: other.path, notPlaced: 1, total: 22 },
      ],
      schools,
    );
    expect(signal.region).toEqual({ notPlaced: 5, total: 40 });
    expect(signal.flagged).toEqual([{ org: { id: 2, name: "U" }, notPlaced: 4, total: 8 }]);
  });

  it("R18 flagged schools come worst first; none without enough applications", () => {
    const signal = notPlacedSignal(
      [
        { path: uClass.path, notPlaced: 3, total: 6 },
        { path: sClass.path, notPlaced: 4, total: 5 },
        { path: other.path, notPlaced: 0, total: 89 },
      ],
      schools,
    );
    expect(signal.flagged.map((s) => s.org.name)).toEqual(["S", "U"]);
    const few = notPlacedSignal([{ path: sClass.path, notPlaced: 4, total: 4 }], schools);
    expect(few.flagged).toEqual([]);
  });
});
