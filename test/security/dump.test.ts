/**
 * R4, issue 15.3: a copy of the database alone reveals no ID number and no birth date. The demo
 * data is loaded and used the way people use it (a member files, a leading organ reads its
 * queue with full numbers in a private chat, an admin locates a member, codes are issued), then
 * every table is dumped in full and searched for every demo member's number and birth date.
 */
import { describe, expect, it } from "vitest";
import { loadDemoData } from "../../src/db/demo/loadDemoData.ts";
import { openIdNumber } from "../../src/db/sealing.ts";
import { parseIdNumber } from "../../src/domain/idNumber.ts";
import { fileApplication } from "../../src/services/transfers.ts";
import { DB_KINDS, useTestDatabase } from "../helpers/db.ts";
import { TEST_SEASON } from "../helpers/season.ts";
import { cookieFrom } from "../helpers/webchat.ts";
import { json, securityApp } from "./helpers.ts";

const NOW = new Date("2026-08-10T02:00:00Z");

describe.each(DB_KINDS)("a dump of every table on %s", (kind) => {
  const database = useTestDatabase(kind, { truncate: false });

  it("holds no ID number and no birth date of the demo members", async () => {
    await loadDemoData(database.current.db, 2026);
    const s = securityApp(database.current, { now: NOW, demo: true });
    const people = await database.current.query<{ id: number; name: string; sealed: string }>(
      "select id, name, id_sealed as sealed from members order by id",
    );
    const numbers = people.map((p) => openIdNumber(p.sealed));
    const births = numbers.map((n) => {
      const parsed = parseIdNumber(n);
      if (!parsed.ok) throw new Error("demo number does not parse");
      return parsed.birthDate;
    });

    // Use it: a transfer waits at the province, whose admin reads it in full in private.
    const [special] = await database.current.query<{ id: number }>(
      "select id from members where identity = 'graduate' and graduation_year = 2026 order by id limit 1",
    );
    const filed = await fileApplication(
      database.current.db,
      {
        actor: { kind: "member", memberId: special!.id },
        as: "member",
        reason: "special_unit",
        external: false,
      },
      NOW,
      TEST_SEASON,
    );
    expect(filed.ok).toBe(true);
    const [province] = await database.current.query<{ id: number }>(
      "select a.id from admins a join organizations o on o.id = a.org_id where o.level = 'provincial' limit 1",
    );
    const picked = await s.app.request("/api/webchat/session", json({ demo: `a-${province!.id}` }));
    const cookie = cookieFrom(picked);
    const say = async (text: string) => {
      const res = await s.app.request("/api/webchat/messages", json({ text }, { cookie }));
      expect(res.status).toBe(200);
      return ((await res.json()) as { replies: { text: string }[] }).replies
        .map((r) => r.text)
        .join("\n");
    };
    const queue = await say("/pending");
    const shown = numbers[people.findIndex((p) => p.id === special!.id)]!;
    // The control: the conversation really held a full number (kept sealed in the chat log).
    expect(queue).toContain(shown);
    await say("/locate");
    await say(people[1]!.name);
    expect(await say(numbers[1]!)).toContain("现在所在组织");
    await say("/codes");

    const tables = await database.current.query<{ tablename: string }>(
      "select tablename from pg_tables where schemaname = 'public' order by tablename",
    );
    let dump = "";
    for (const { tablename } of tables) {
      const rows = await database.current.query<{ row: string }>(
        `select row_to_json(t)::text as row from "${tablename}" t`,
      );
      dump += rows.map((r) => r.row).join("\n");
    }
    expect(dump.length).toBeGreaterThan(10_000);
    const found: string[] = [];
    for (const n of numbers)
      if (dump.includes(n) || dump.includes(n.toLowerCase())) found.push("number");
    for (const b of births) {
      if (dump.includes(b) || dump.includes(b.replaceAll("-", ""))) found.push(`birth ${b}`);
    }
    expect(found).toEqual([]);
  });
});
