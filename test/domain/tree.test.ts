import { describe, expect, it } from "vitest";
import { isWithin, nearestAbove, pathIds, schoolOf } from "../../src/domain/tree.ts";
import { demoTree, org } from "../helpers/orgFixtures.ts";

const t = demoTree();

describe("tree: materialized paths (subtrees for R6, R9, R11, §5 regions)", () => {
  it("pathIds lists the ids root first, the organization last", () => {
    expect(pathIds("/1/12/345/")).toEqual([1, 12, 345]);
    expect(pathIds("/7/")).toEqual([7]);
    expect(pathIds("/")).toEqual([]);
    expect(pathIds("")).toEqual([]);
    expect(pathIds(t.graduateClass.path)).toEqual([1, 2, 10, 14, 15]);
  });

  it("the fixture paths follow the stored format", () => {
    expect(t.graduateClass.path).toBe("/1/2/10/14/15/");
    expect(t.township.path).toBe("/1/2/3/4/5/");
  });

  it("isWithin: itself and everything below, nothing beside or above", () => {
    expect(isWithin(t.graduateClass, t.graduateClass)).toBe(true);
    expect(isWithin(t.graduateClass, t.college)).toBe(true);
    expect(isWithin(t.graduateClass, t.university)).toBe(true);
    expect(isWithin(t.graduateClass, t.central)).toBe(true);
    expect(isWithin(t.university, t.graduateClass)).toBe(false);
    expect(isWithin(t.classBranch, t.graduateClass)).toBe(false);
    expect(isWithin(t.graduateClass, t.city)).toBe(false);
  });

  it("isWithin does not confuse an id with a longer id sharing its digits (/1/2/ vs /1/23/)", () => {
    const a = org(2, org(1, null));
    const b = org(23, org(1, null));
    expect(isWithin(b, a)).toBe(false);
  });
});

describe("tree: searching the ancestor chain (R8, R19 leading organ; R16 school)", () => {
  const chain = t.chainOf(t.communityBranch); // central, province, city, county, township, branch

  it("the chain runs root first and ends with the organization", () => {
    expect(chain.map((o) => o.id)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("nearestAbove skips the organization itself and returns the nearest match", () => {
    expect(nearestAbove(chain, (o) => o.kind === "committee")?.id).toBe(5);
    expect(nearestAbove(chain, (o) => o.kind === "branch")).toBeUndefined();
    expect(nearestAbove(chain, (o) => o.level === "city")?.id).toBe(3);
    expect(nearestAbove(chain, () => true)?.id).toBe(5);
  });

  it("nearestAbove returns undefined on an empty chain and on a chain of one", () => {
    expect(nearestAbove([], () => true)).toBeUndefined();
    expect(nearestAbove([t.central], () => true)).toBeUndefined();
  });

  it("R16 schoolOf a class branch is its university committee, past the general branch", () => {
    expect(schoolOf(t.chainOf(t.graduateClass))?.id).toBe(t.university.id);
    expect(schoolOf(t.chainOf(t.college))?.id).toBe(t.university.id);
  });

  it("R16 schoolOf a school committee is itself", () => {
    expect(schoolOf(t.chainOf(t.university))?.id).toBe(t.university.id);
  });

  it("R16 a school that is only a branch, and a non-school branch, have no school committee", () => {
    expect(schoolOf(t.chainOf(t.schoolOnlyBranch))).toBeUndefined();
    expect(schoolOf(t.chainOf(t.enterpriseBranch))).toBeUndefined();
  });
});
