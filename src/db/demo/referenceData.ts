/**
 * Reference data, loaded with or without demo data: the organizations of the seed's Shanxi
 * hotline table (团中央, 团山西省委 and its special-unit library, its cities and counties with
 * their hotlines), the five system committees and the three provinces that run systems of
 * their own. An empty installation starts from this tree: imports and `npm run admin -- create`
 * hang real organizations below it. Found or created by name under their parent, so loading
 * it beside an older demo load (which made the same organizations) adds nothing.
 */
import { readFileSync } from "node:fs";
import { and, eq, isNull } from "drizzle-orm";
import naming from "../../domain/naming.json" with { type: "json" };
import type { Db, Tx } from "../client.ts";
import { createOrganization, type NewOrganization } from "../orgTree.ts";
import { jobRuns, organizations } from "../schema.ts";

export interface HotlineTable {
  central: string;
  province: { name: string; hotline: string; areaCode: string };
  cities: {
    name: string;
    committee: string;
    hotline: string | null;
    areaCode: string;
    counties: { name: string; committee: string; hotline: string }[];
  }[];
  systemCommittees: string[];
  externalProvinces: string[];
}

export const hotlineTable = (): HotlineTable =>
  JSON.parse(readFileSync(new URL("./shanxi-hotlines.json", import.meta.url), "utf8"));

export const REFERENCE_DATA_KEY = "reference-data:v1";

/** The reference organizations, found or created: their ids by name. */
export async function ensureReferenceTree(tx: Tx): Promise<Map<string, number>> {
  const table = hotlineTable();
  const ids = new Map<string, number>();
  const ensure = async (values: NewOrganization) => {
    const [found] = await tx
      .select({ id: organizations.id })
      .from(organizations)
      .where(
        and(
          values.parentId === null
            ? isNull(organizations.parentId)
            : eq(organizations.parentId, values.parentId),
          eq(organizations.name, values.name),
        ),
      );
    const id = found?.id ?? (await createOrganization(tx, values)).id;
    ids.set(values.name, id);
    return id;
  };
  const central = await ensure({
    parentId: null,
    name: table.central,
    kind: "committee",
    level: "central",
  });
  const province = await ensure({
    parentId: central,
    name: table.province.name,
    kind: "committee",
    level: "provincial",
    hotline: table.province.hotline,
  });
  await ensure({
    parentId: province,
    name: `${table.province.name}${naming.specialUnitLibrarySuffix}`,
    kind: "branch",
    category: "special_unit_library",
  });
  for (const city of table.cities) {
    const cityId = await ensure({
      parentId: province,
      name: city.committee,
      kind: "committee",
      level: "city",
      hotline: city.hotline,
    });
    for (const county of city.counties) {
      await ensure({
        parentId: cityId,
        name: county.committee,
        kind: "committee",
        level: "county",
        hotline: county.hotline,
      });
    }
  }
  for (const name of table.systemCommittees) {
    await ensure({
      parentId: central,
      name,
      kind: "committee",
      level: "provincial",
      isSystemCommittee: true,
    });
  }
  for (const name of table.externalProvinces) {
    await ensure({
      parentId: central,
      name,
      kind: "committee",
      level: "provincial",
      isExternalProvince: true,
    });
  }
  return ids;
}

/** Loads the reference tree once per installation; false when it was there already. */
export async function loadReferenceData(db: Db): Promise<boolean> {
  return db.transaction(async (tx) => {
    const claimed = await tx
      .insert(jobRuns)
      .values({ key: REFERENCE_DATA_KEY, finishedAt: new Date() })
      .onConflictDoNothing()
      .returning();
    if (claimed.length === 0) return false;
    await ensureReferenceTree(tx);
    return true;
  });
}
