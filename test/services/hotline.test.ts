/** Hotlines of the seed's Shanxi table (issue 5.3): own county, lookup by name, fallbacks. */
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { loadDemoData } from "../../src/db/demo/loadDemoData.ts";
import { members, organizations } from "../../src/db/schema.ts";
import { findHotlines, memberHotline } from "../../src/services/hotline.ts";
import { DB_KINDS, useTestDatabase } from "../helpers/db.ts";

describe.each(DB_KINDS)("hotlines on %s", (kind) => {
  const database = useTestDatabase(kind, { truncate: false });
  beforeAll(async () => {
    await loadDemoData(database.current.db, 2026);
  });
  const db = () => database.current.db;
  const memberUnder = async (orgName: string) => {
    const [row] = await db()
      .select({ id: members.id })
      .from(members)
      .innerJoin(organizations, eq(organizations.id, members.branchId))
      .where(eq(organizations.name, orgName))
      .limit(1);
    return row!.id;
  };

  it("finds a county by its name with the seed's number", async () => {
    expect((await findHotlines(db(), "迎泽区")).matches).toEqual([
      { orgName: "团太原市迎泽区委", hotline: "0351-4033631", hotlineOf: "团太原市迎泽区委" },
    ]);
    expect((await findHotlines(db(), "夏县")).matches).toEqual([
      { orgName: "团运城市夏县委", hotline: "17634017430", hotlineOf: "团运城市夏县委" },
    ]);
  });

  it("lists both counties named 城区 rather than every name containing it", async () => {
    const found = await findHotlines(db(), "城区");
    expect(found.matches.map((m) => m.orgName).sort()).toEqual(
      ["团晋城市城区委", "团阳泉市城区委"].sort(),
    );
    // A part of a name still finds it.
    expect((await findHotlines(db(), "平城")).matches.map((m) => m.orgName)).toEqual([
      "团大同市平城区委",
    ]);
  });

  it("gives the province's number when nothing matches", async () => {
    expect(await findHotlines(db(), "不存在县")).toEqual({
      matches: [],
      province: { orgName: "团山西省委", hotline: "0351-12355", hotlineOf: "团山西省委" },
    });
  });

  it("finds the county above a member's branch", async () => {
    expect(await memberHotline(db(), await memberUnder("高三(1)班团支部"))).toEqual({
      orgName: "团太原市迎泽区委",
      hotline: "0351-4033631",
      hotlineOf: "团太原市迎泽区委",
    });
  });

  it("falls back to the city and then the province where a level has no number", async () => {
    const tx = db();
    // 运城 city has no number in the seed: a county without one falls through to the province.
    await tx
      .update(organizations)
      .set({ hotline: null })
      .where(eq(organizations.name, "团运城市夏县委"));
    expect((await findHotlines(tx, "夏县")).matches).toEqual([
      { orgName: "团运城市夏县委", hotline: "0351-12355", hotlineOf: "团山西省委" },
    ]);
    await tx
      .update(organizations)
      .set({ hotline: null })
      .where(eq(organizations.name, "团太原市迎泽区委"));
    expect(await memberHotline(tx, await memberUnder("高三(1)班团支部"))).toEqual({
      orgName: "团太原市迎泽区委",
      hotline: "0351-3093467",
      hotlineOf: "团太原市委",
    });
    // A university directly under the province has no county: the province answers.
    expect(await memberHotline(tx, await memberUnder("计算机2022级1班团支部"))).toEqual({
      orgName: "团山西省委",
      hotline: "0351-12355",
      hotlineOf: "团山西省委",
    });
  });
});
