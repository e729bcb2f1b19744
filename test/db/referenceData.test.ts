import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { query } from "../../src/db/client.ts";
import { loadDemoData } from "../../src/db/demo/loadDemoData.ts";
import { loadReferenceData } from "../../src/db/demo/referenceData.ts";
import { DB_KINDS, useTestDatabase } from "../helpers/db.ts";

describe.each(DB_KINDS)("reference data on %s", (kind) => {
  const database = useTestDatabase(kind);

  it("the Shanxi hotline table is there without demo data, once; demo data adds no second copy", async () => {
    const db = database.current.db;
    expect(await loadReferenceData(db)).toBe(true);
    expect(await loadReferenceData(db)).toBe(false);
    const [county] = await query<{ hotline: string | null; n: number }>(
      db,
      sql`select hotline, (select count(*)::int from members) as n from organizations
          where name = '团太原市迎泽区委'`,
    );
    expect(county).toEqual({ hotline: expect.stringMatching(/^0351-/), n: 0 });
    const before = await query<{ n: number }>(
      db,
      sql`select count(*)::int as n from organizations`,
    );
    await loadDemoData(db, 2026);
    const twice = await query<{ name: string }>(
      db,
      sql`select name from organizations group by parent_id, name having count(*) > 1`,
    );
    expect(twice).toEqual([]);
    const after = await query<{ n: number }>(db, sql`select count(*)::int as n from organizations`);
    expect(after[0]!.n).toBeGreaterThan(before[0]!.n);
  });
});
