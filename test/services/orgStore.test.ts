/**
 * Reading organizations as the domain sees them: an organization with its ancestors in one
 * statement, root first, the same nodes the query builder reads.
 */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createOrganization } from "../../src/db/orgTree.ts";
import { orgColumns } from "../../src/db/queries/organizations.ts";
import { organizations } from "../../src/db/schema.ts";
import { loadChain, loadOrg, loadWithChain } from "../../src/services/orgStore.ts";
import { DB_KINDS, useTestDatabase } from "../helpers/db.ts";

describe.each(DB_KINDS)("organizations as the domain reads them on %s", (kind) => {
  const database = useTestDatabase(kind);

  const tree = () =>
    database.current.db.transaction(async (tx) => {
      const province = await createOrganization(tx, {
        parentId: null,
        name: "团山西省委",
        kind: "committee",
        level: "provincial",
      });
      const school = await createOrganization(tx, {
        parentId: province.id,
        name: "太原学院团委",
        kind: "committee",
        domain: "school",
        institutionCode: "4114010001",
      });
      const branch = await createOrganization(tx, {
        parentId: school.id,
        name: "2026届毕业生团支部",
        kind: "branch",
        domain: "school",
        graduationMonth: "2026-06",
      });
      return { province, school, branch };
    });

  it("reads a branch with its ancestors in one statement, root first, as the builder does", async () => {
    const { province, school, branch } = await tree();
    const { db } = database.current;
    const chain = await loadWithChain(db, branch.id);
    expect(chain.map((o) => o.name)).toEqual(["团山西省委", "太原学院团委", "2026届毕业生团支部"]);
    const built = await db
      .select(orgColumns)
      .from(organizations)
      .where(eq(organizations.id, school.id));
    expect(chain[1]).toEqual(built[0]);
    expect(chain[2]).toMatchObject({
      id: branch.id,
      parentId: school.id,
      provinceId: province.id,
      graduationMonth: "2026-06",
      isSystemCommittee: false,
      institutionCode: null,
    });
    expect(await loadChain(db, chain[2]!)).toEqual(chain);
    expect(await loadOrg(db, branch.id)).toEqual(chain[2]);
    expect(await loadWithChain(db, province.id)).toEqual([chain[0]]);
  });

  it("reads nothing for an organization that does not exist or an id that is not one", async () => {
    const { db } = database.current;
    expect(await loadWithChain(db, 987_654)).toEqual([]);
    expect(await loadWithChain(db, null)).toEqual([]);
    expect(await loadWithChain(db, 1.5)).toEqual([]);
    expect(await loadOrg(db, 987_654)).toBeUndefined();
  });
});
