/**
 * Issue 14 item 7 through the dialogs, on the demo data: city committees and the provincial
 * line found by name, lists paged (never cut without the way to the rest), no dangling "call:"
 * where no number is known, and every number of the seed's Shanxi table reachable by /hotline.
 */
import { readFileSync } from "node:fs";
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { loadDemoData } from "../../src/db/demo/loadDemoData.ts";
import { organizations } from "../../src/db/schema.ts";
import type { RenderedReply } from "../../src/dialogs/types.ts";
import { DB_KINDS, useTestDatabase } from "../helpers/db.ts";
import { testEngine } from "../helpers/engine.ts";
import { chat, labels, texts, tokenOf } from "./fixtures.ts";

interface Table {
  province: { name: string; hotline: string };
  cities: {
    name: string;
    committee: string;
    hotline: string | null;
    counties: { committee: string; hotline: string }[];
  }[];
}

const TABLE = JSON.parse(
  readFileSync(new URL("../../src/db/demo/shanxi-hotlines.json", import.meta.url), "utf8"),
) as Table;

describe.each(DB_KINDS)("the hotline on %s", (kind) => {
  const database = useTestDatabase(kind, { truncate: false });
  beforeAll(async () => {
    await loadDemoData(database.current.db, 2026);
  });
  const engine = () => testEngine(database.current.db);
  let seq = 0;
  const stranger = () => chat(engine, `stranger-${++seq}`);

  /** Every page of a lookup's answer, following "Next »" to the end. */
  async function allPages(u: ReturnType<typeof chat>, query: string): Promise<string> {
    let replies: RenderedReply[] = await u.say(`/hotline ${query}`);
    const pages = [texts(replies)];
    while (labels(replies).includes("Next »")) {
      replies = await u.pressToken(tokenOf(replies, "Next »"));
      pages.push(texts(replies));
    }
    return pages.join("\n");
  }

  it("finds a city committee by its place's name, with its counties a page at a time", async () => {
    const u = stranger();
    const first = await u.say("/hotline 忻州");
    expect(texts(first)).toMatch(
      /^Committees found: 15 \(page 1 of 2\)\n团忻州市委: 0350-3039471\n/,
    );
    expect(texts(first).split("\n")).toHaveLength(11);
    const second = await u.pressToken(tokenOf(first, "Next »"));
    expect(texts(second)).toContain("(page 2 of 2)");
    expect(texts(second)).toContain("团忻州市原平市委: 0350-8222781");
    expect(labels(second)).toContain("« Previous");
    expect(labels(second)).not.toContain("Next »");
  });

  it("finds a committee by its full name, and the provincial line by the province's", async () => {
    const u = stranger();
    // A city found comes first, its counties after it.
    expect(texts(await u.say("/hotline 团大同市委"))).toMatch(
      /^Committees found: 11 \(page 1 of 2\)\n团大同市委: 0352-2526508\n团大同市平城区委: 0352-5209126\n/,
    );
    expect(texts(await u.say("/hotline 山西"))).toBe("Committees found: 1\n团山西省委: 0351-12355");
  });

  it("a committee with no number gives the number above it; nothing found never ends in a dangling call", async () => {
    const u = stranger();
    // 运城 city has no number in the seed: the province's answers for it.
    expect(texts(await u.say("/hotline 运城"))).toContain(
      "团运城市委: 0351-12355 (the number of 团山西省委)",
    );
    const db = database.current.db;
    await db
      .update(organizations)
      .set({ hotline: null })
      .where(eq(organizations.name, "团山西省委"));
    try {
      const none = texts(await u.say("/hotline 不存在的地方"));
      expect(none).toBe(
        'No committee\'s name contains "不存在的地方". Check the name.\nTry another name.',
      );
      expect(none.trimEnd().endsWith(":")).toBe(false);
      expect(texts(await u.say("/hotline 运城"))).toContain("团运城市委: no hotline yet");
    } finally {
      await db
        .update(organizations)
        .set({ hotline: TABLE.province.hotline })
        .where(eq(organizations.name, TABLE.province.name));
    }
  });

  it("reaches every number of the seed's Shanxi table", async () => {
    const u = stranger();
    expect(await allPages(u, TABLE.province.name)).toContain(
      `${TABLE.province.name}: ${TABLE.province.hotline}`,
    );
    for (const city of TABLE.cities) {
      const answer = await allPages(u, city.name);
      if (city.hotline) expect(answer).toContain(`${city.committee}: ${city.hotline}`);
      for (const county of city.counties) {
        expect(answer, city.name).toContain(`${county.committee}: ${county.hotline}`);
      }
    }
  });
});
