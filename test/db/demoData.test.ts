import { describe, expect, it } from "vitest";
import { loadDemoData } from "../../src/db/demo/loadDemoData.ts";
import { birthDateOf, openIdNumber } from "../../src/db/sealing.ts";
import { ageOn, parseIdNumber } from "../../src/domain/idNumber.ts";
import { DB_KINDS, useTestDatabase } from "../helpers/db.ts";

const YEAR = 2026;

const countOf = async (
  database: { query: <T>(q: string, p?: unknown[]) => Promise<T[]> },
  sql: string,
) => (await database.query<{ n: number }>(`select count(*)::int as n from ${sql}`))[0]?.n;

describe.each(DB_KINDS)("demo data on %s", (kind) => {
  const database = useTestDatabase(kind, { truncate: false });

  it("loads the seed's Shanxi committees with their hotlines", async () => {
    const first = await loadDemoData(database.current.db, YEAR);
    expect(first.loaded).toBe(true);
    const db = database.current;
    expect(await countOf(db, "organizations where level = 'county' and hotline is not null")).toBe(
      117,
    );
    expect(await countOf(db, "organizations where level = 'city'")).toBe(11);
    const [yingze] = await db.query<{ hotline: string; path: string }>(
      "select hotline, path from organizations where name = '团太原市迎泽区委'",
    );
    expect(yingze?.hotline).toBe("0351-4033631");
    const [xiaxian] = await db.query<{ hotline: string }>(
      "select hotline from organizations where name = '团运城市夏县委'",
    );
    expect(xiaxian?.hotline).toBe("17634017430");
    const [province] = await db.query<{ hotline: string; id: number }>(
      "select id, hotline from organizations where name = '团山西省委'",
    );
    expect(province?.hotline).toBe("0351-12355");
    // The whole Shanxi tree hangs under the provincial committee's path.
    expect(yingze?.path.startsWith(`/1/${province?.id}/`)).toBe(true);
  });

  it("has the five system committees and the three external provinces", async () => {
    const db = database.current;
    expect(
      await countOf(db, "organizations where is_system_committee and level = 'provincial'"),
    ).toBe(5);
    const external = await db.query<{ name: string }>(
      "select name from organizations where is_external_province order by name",
    );
    expect(external.map((e) => e.name).sort()).toEqual(
      ["团北京市委", "团广东省委", "团福建省委"].sort(),
    );
  });

  it("has schools with institution codes, flow and overseas branches, townships", async () => {
    const db = database.current;
    expect(
      await countOf(
        db,
        "organizations where domain = 'school' and kind = 'committee' and institution_code is not null and province_id = (select id from organizations where name = '团山西省委')",
      ),
    ).toBeGreaterThanOrEqual(5);
    expect(
      await countOf(db, "organizations where category = 'flow_branch' and name like '%流动团员%'"),
    ).toBeGreaterThanOrEqual(3);
    expect(await countOf(db, "organizations where level = 'township'")).toBeGreaterThanOrEqual(2);
    expect(await countOf(db, "organizations where category = 'special_unit_library'")).toBe(1);
  });

  it("has ~300 graduates with valid ID numbers, some under 16, teachers and delayed", async () => {
    const db = database.current;
    const rows = await db.query<{ id_sealed: string; plain: number; identity: string }>(
      "select id_sealed, num_nonnulls(id_number, birth_date) as plain, identity from members",
    );
    expect(rows.length).toBeGreaterThanOrEqual(250);
    // R4: sealed, with no plain copy.
    expect(rows.every((r) => r.plain === 0)).toBe(true);
    const people = rows.map((r) => ({ ...r, birth_date: birthDateOf(r.id_sealed) }));
    for (const p of people) {
      expect(parseIdNumber(openIdNumber(p.id_sealed))).toMatchObject({
        ok: true,
        birthDate: p.birth_date,
      });
    }
    const under16 = people.filter((p) => ageOn(p.birth_date, `${YEAR}-09-01`) < 16);
    expect(under16.length).toBeGreaterThan(0);
    expect(people.some((p) => p.identity === "teacher")).toBe(true);
    expect(people.some((p) => p.identity === "delayed")).toBe(true);
    expect(
      await countOf(db, `organizations where graduation_month = '${YEAR}-06' and kind = 'branch'`),
    ).toBeGreaterThanOrEqual(8);
  });

  it("has demo admins for a school, a county and the province", async () => {
    const rows = await database.current.query<{ level: string; domain: string }>(
      "select o.level, o.domain from admins a join organizations o on o.id = a.org_id",
    );
    expect(rows.some((r) => r.level === "provincial")).toBe(true);
    expect(rows.some((r) => r.level === "county")).toBe(true);
    expect(rows.some((r) => r.domain === "school")).toBe(true);
  });

  it("adds nothing when loaded a second time", async () => {
    const db = database.current;
    const before = await db.query<{ o: number; m: number; a: number }>(
      "select (select count(*)::int from organizations) o, (select count(*)::int from members) m, (select count(*)::int from admins) a",
    );
    const again = await loadDemoData(db.db, YEAR);
    expect(again.loaded).toBe(false);
    const after = await db.query(
      "select (select count(*)::int from organizations) o, (select count(*)::int from members) m, (select count(*)::int from admins) a",
    );
    expect(after).toEqual(before);
  });
});
