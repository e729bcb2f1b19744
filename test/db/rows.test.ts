/**
 * Hand-written statements give timestamps as text on postgres.js and as dates on PGlite: the
 * columns a caller names come back as the same `Date` on both, so no caller converts.
 */
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { query, rowsOf } from "../../src/db/client.ts";
import { DB_KINDS, useTestDatabase } from "../helpers/db.ts";

const statement = sql`select ${"2026-09-03T10:00:00.123Z"}::timestamptz as at,
  null::timestamptz as never_at, 1 as n`;

describe.each(DB_KINDS)("timestamps of hand-written statements on %s", (kind) => {
  const database = useTestDatabase(kind, { truncate: false });

  it("query: a named timestamp column is a Date, a null one stays null", async () => {
    const [row] = await query<{ at: Date; never_at: Date | null; n: number }>(
      database.current.db,
      statement,
      { at: "date", never_at: "date" },
    );
    expect(row?.at).toBeInstanceOf(Date);
    expect(row?.at.toISOString()).toBe("2026-09-03T10:00:00.123Z");
    expect(row?.never_at).toBeNull();
    expect(row?.n).toBe(1);
  });

  it("rowsOf: the same for a db.execute() result", async () => {
    const [row] = rowsOf<{ at: Date }>(await database.current.db.execute(statement), {
      at: "date",
    });
    expect(row?.at).toBeInstanceOf(Date);
    expect(row?.at.toISOString()).toBe("2026-09-03T10:00:00.123Z");
  });
});
