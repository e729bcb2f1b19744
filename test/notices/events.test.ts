import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { rowsOf } from "../../src/db/client.ts";
import { dedupeKey, dedupeKeySql } from "../../src/notices/events.ts";
import { DB_KINDS, useTestDatabase } from "../helpers/db.ts";

describe.each(DB_KINDS)("the notification catalog's dedupe keys on %s", (kind) => {
  const database = useTestDatabase(kind);
  const evaluate = async (expr: ReturnType<typeof dedupeKeySql>) =>
    rowsOf<{ key: string }>(await database.current.db.execute(sql`select ${expr} as key`))[0]!.key;

  it("R27 the auto-return sweep's keys in SQL equal the keys services build in TypeScript", async () => {
    const outcome = dedupeKey({
      event: "outcome",
      to: { member: 7 },
      payload: { applicationId: 42, state: "auto_returned" },
      key: { applicationId: 42, state: "auto_returned" },
    });
    expect(outcome).toBe("app:42:outcome:auto_returned:member:7");
    expect(
      await evaluate(
        dedupeKeySql(
          "outcome",
          { applicationId: sql`42`, state: "auto_returned" },
          { type: "member", id: sql`7` },
        ),
      ),
    ).toBe(outcome);

    const card = dedupeKey({
      event: "card_outcome",
      to: { org: 3 },
      payload: { applicationId: 42, state: "auto_returned" },
      key: { applicationId: 42, fromState: "awaiting_leader" },
    });
    expect(card).toBe("app:42:card:awaiting_leader:org:3");
    expect(
      await evaluate(
        dedupeKeySql(
          "card_outcome",
          { applicationId: sql`42`, fromState: sql`'awaiting_leader'` },
          { type: "org", id: sql`3` },
        ),
      ),
    ).toBe(card);
  });

  it("a digest's key is its chat and day, in SQL as in TypeScript", async () => {
    const key = dedupeKey({
      event: "digest",
      to: { chat: "telegram:-100" },
      payload: { orgId: 1, day: "2026-09-01" },
      key: { day: "2026-09-01" },
    });
    expect(key).toBe("digest:telegram:-100:2026-09-01");
    expect(
      await evaluate(
        dedupeKeySql(
          "digest",
          { day: "2026-09-01" },
          { type: "chat", id: sql`'telegram:' || '-100'` },
        ),
      ),
    ).toBe(key);
  });
});
