import { describe, expect, it } from "vitest";
import type { Database } from "../../src/db/client.ts";
import { createOrganization, type NewOrganization } from "../../src/db/orgTree.ts";
import { applications, members } from "../../src/db/schema.ts";
import { sealIdNumber } from "../../src/db/sealing.ts";
import type { ApplicationState, TransferReason } from "../../src/domain/application.ts";
import type { MemberIdentity } from "../../src/domain/member.ts";
import { refreshOutcomes } from "../../src/services/outcomes.ts";
import { rates, snapshotFor, takeSnapshots } from "../../src/services/rates.ts";
import { DB_KINDS, useTestDatabase } from "../helpers/db.ts";

const YEAR = 2026;
const NOW = new Date("2026-10-08T00:30:00Z");

/**
 * A city with two counties. The region under test is county R with three children: schools S1
 * (graduate branch G1 and an ordinary branch S1B) and S2 (graduate branch G2), and township T
 * (branch TB). County O outside R has a school SO with graduate branch GO.
 */
async function buildTree(database: Database) {
  return database.db.transaction(async (tx) => {
    const add = (values: NewOrganization) => createOrganization(tx, values);
    const province = await add({
      parentId: null,
      name: "province",
      kind: "committee",
      level: "provincial",
    });
    const city = await add({
      parentId: province.id,
      name: "city",
      kind: "committee",
      level: "city",
    });
    const r = await add({
      parentId: city.id,
      name: "county R",
      kind: "committee",
      level: "county",
    });
    const o = await add({
      parentId: city.id,
      name: "county O",
      kind: "committee",
      level: "county",
    });
    const school = (parentId: number, name: string) =>
      add({ parentId, name, kind: "committee", domain: "school" });
    const branch = (parentId: number, name: string, graduate = false) =>
      add({ parentId, name, kind: "branch", category: graduate ? "graduate" : "normal" });
    const s1 = await school(r.id, "S1");
    const s2 = await school(r.id, "S2");
    const t = await add({ parentId: r.id, name: "T", kind: "committee", level: "township" });
    const so = await school(o.id, "SO");
    return {
      province,
      city,
      r,
      o,
      s1,
      s2,
      t,
      so,
      g1: await branch(s1.id, "G1", true),
      s1b: await branch(s1.id, "S1B"),
      g2: await branch(s2.id, "G2", true),
      tb: await branch(t.id, "TB"),
      go: await branch(so.id, "GO", true),
    };
  });
}

type Tree = Awaited<ReturnType<typeof buildTree>>;

let serial = 0;
async function member(
  database: Database,
  graduationBranchId: number,
  options: { identity?: MemberIdentity; year?: number } = {},
) {
  serial++;
  const [row] = await database.db
    .insert(members)
    .values({
      name: `person ${serial}`,
      ...sealIdNumber(`T${String(serial).padStart(17, "0")}`),
      branchId: graduationBranchId,
      identity: options.identity ?? "graduate",
      graduationBranchId,
      graduationYear: options.year ?? YEAR,
      graduationMonth: `${options.year ?? YEAR}-06`,
    })
    .returning({ id: members.id });
  return row!.id;
}

async function apply(
  database: Database,
  memberId: number,
  fromOrgId: number,
  values: {
    reason: TransferReason;
    state: ApplicationState;
    to?: number | null;
    assigned?: number | null;
    retain?: boolean;
  },
) {
  await database.db.insert(applications).values({
    memberId,
    state: values.state,
    stageSince: NOW,
    initiatorKind: "member",
    reason: values.reason,
    fromOrgId,
    toOrgId: values.to ?? null,
    assignedBranchId: values.assigned ?? null,
    retainAtSchool: values.retain ?? false,
  });
  // Written around the services to reach every state directly, so it keeps the outcome itself.
  await refreshOutcomes(database.db, [memberId]);
}

/** Every case of the "Checked by", named p1…p14 in the expectations below. */
async function buildPeople(database: Database, tree: Tree) {
  const { g1, g2, go, s1, s1b, s2, t, tb, so } = tree;
  const p1 = await member(database, g1.id);
  await apply(database, p1, g1.id, { reason: "further_study", state: "completed", to: so.id });
  const p2 = await member(database, g1.id);
  await apply(database, p2, g1.id, { reason: "further_study", state: "pending", to: s2.id });
  const p3 = await member(database, g1.id);
  await apply(database, p3, g1.id, { reason: "not_placed", state: "withdrawn", to: t.id });
  await apply(database, p3, g1.id, {
    reason: "employed_without_org",
    state: "completed",
    to: t.id,
    assigned: tb.id,
  });
  const p4 = await member(database, g1.id);
  await apply(database, p4, g1.id, {
    reason: "not_placed",
    state: "completed",
    to: g1.id,
    retain: true,
  });
  const p5 = await member(database, g1.id, { identity: "teacher" });
  await apply(database, p5, g1.id, { reason: "further_study", state: "completed", to: s2.id });
  const p6 = await member(database, g1.id, { identity: "delayed", year: YEAR + 1 });
  await apply(database, p6, g1.id, { reason: "employed_with_org", state: "completed", to: t.id });
  await member(database, g1.id); // p7: no application at all
  const p8 = await member(database, g2.id);
  await apply(database, p8, g2.id, { reason: "employed_with_org", state: "rejected", to: t.id });
  const p9 = await member(database, go.id);
  await apply(database, p9, go.id, {
    reason: "further_study",
    state: "completed",
    to: s1.id,
    assigned: s1b.id,
  });
  const p10 = await member(database, go.id);
  await apply(database, p10, go.id, { reason: "not_placed", state: "pending", to: t.id });
  const p11 = await member(database, go.id);
  await apply(database, p11, go.id, { reason: "employed_with_org", state: "completed", to: so.id });
  const p12 = await member(database, g1.id, { year: YEAR - 1 });
  await apply(database, p12, g1.id, { reason: "further_study", state: "completed", to: s2.id });
  const p13 = await member(database, g2.id);
  await apply(database, p13, g2.id, { reason: "employed_with_org", state: "completed", to: t.id });
  await apply(database, p13, g2.id, {
    reason: "further_study",
    state: "awaiting_assignment",
    to: so.id,
  });
  const p14 = await member(database, g2.id);
  await apply(database, p14, g2.id, { reason: "further_study", state: "withdrawn", to: so.id });
}

describe.each(DB_KINDS)("indicator rates on %s", (kind) => {
  const database = useTestDatabase(kind);

  async function fixture() {
    const tree = await buildTree(database.current);
    await buildPeople(database.current, tree);
    return tree;
  }

  it("§5 counts A…F and both rates of a region, exactly", async () => {
    const tree = await fixture();
    const result = await rates(database.current.db, tree.r.id, YEAR, NOW);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.org).toEqual({ id: tree.r.id, name: "county R" });
    expect(result.year).toBe(YEAR);
    // B: p1 p2 p13; C: p9; A: p1 p9. E: p3 p4 p7 p8 p14; F: p10; D: p3.
    expect(result.counts).toEqual({ a: 2, b: 3, c: 1, d: 1, e: 5, f: 1 });
    expect(result.sx).toEqual({ value: 2 / 4 });
    expect(result.xs).toEqual({ value: 1 / 6 });
  });

  it("§5 each direct child is its own region: a move between siblings counts for the receiver", async () => {
    const tree = await fixture();
    const result = await rates(database.current.db, tree.r.id, YEAR, NOW);
    if (!result.ok) throw new Error("expected rates");
    expect(result.children.map((c) => c.org)).toEqual([
      { id: tree.s1.id, name: "S1" },
      { id: tree.s2.id, name: "S2" },
      { id: tree.t.id, name: "T" },
    ]);
    const [s1, s2, t] = result.children;
    expect(s1?.counts).toEqual({ a: 2, b: 2, c: 1, d: 1, e: 3, f: 0 });
    expect(s1?.sx).toEqual({ value: 2 / 3 });
    expect(s1?.xs).toEqual({ value: 1 / 3 });
    // p2 (further study from sibling S1, pending) is in S2's C but only in R's B.
    expect(s2?.counts).toEqual({ a: 0, b: 1, c: 1, d: 0, e: 2, f: 0 });
    expect(s2?.sx).toEqual({ value: 0 });
    expect(s2?.xs).toEqual({ value: 0 });
    // p3 from sibling S1 and p10 from outside both land in township T.
    expect(t?.counts).toEqual({ a: 0, b: 0, c: 0, d: 1, e: 0, f: 2 });
    expect(t?.sx).toEqual({ value: null });
    expect(t?.xs).toEqual({ value: 1 / 2 });
  });

  it("R9 teachers and delayed graduates are excluded", async () => {
    const tree = await fixture();
    const before = await rates(database.current.db, tree.r.id, YEAR, NOW);
    const teacher = await member(database.current, tree.g1.id, { identity: "teacher" });
    const delayed = await member(database.current, tree.g1.id, { identity: "delayed" });
    for (const id of [teacher, delayed])
      await apply(database.current, id, tree.g1.id, {
        reason: "further_study",
        state: "completed",
        to: tree.s2.id,
      });
    const after = await rates(database.current.db, tree.r.id, YEAR, NOW);
    if (!before.ok || !after.ok) throw new Error("expected rates");
    expect(after.counts).toEqual(before.counts);
    const graduate = await member(database.current, tree.g1.id);
    await apply(database.current, graduate, tree.g1.id, {
      reason: "further_study",
      state: "completed",
      to: tree.s2.id,
    });
    const withGraduate = await rates(database.current.db, tree.r.id, YEAR, NOW);
    if (!withGraduate.ok) throw new Error("expected rates");
    expect(withGraduate.counts).toEqual({ ...before.counts, a: 3, b: 4 });
  });

  it("R15 a retained member is in E but never completed, whatever the state", async () => {
    const tree = await buildTree(database.current);
    const retained = await member(database.current, tree.g1.id);
    await apply(database.current, retained, tree.g1.id, {
      reason: "not_placed",
      state: "completed",
      to: tree.g1.id,
      retain: true,
    });
    const result = await rates(database.current.db, tree.r.id, YEAR, NOW);
    if (!result.ok) throw new Error("expected rates");
    expect(result.counts).toEqual({ a: 0, b: 0, c: 0, d: 0, e: 1, f: 0 });
    expect(result.xs).toEqual({ value: 0 });
  });

  it("a withdrawn application is replaced by the refiled one; a dead latest one leaves none", async () => {
    const tree = await buildTree(database.current);
    const refiled = await member(database.current, tree.g1.id);
    await apply(database.current, refiled, tree.g1.id, {
      reason: "employed_with_org",
      state: "withdrawn",
      to: tree.t.id,
    });
    await apply(database.current, refiled, tree.g1.id, {
      reason: "further_study",
      state: "completed",
      to: tree.s2.id,
    });
    const returned = await member(database.current, tree.g1.id);
    await apply(database.current, returned, tree.g1.id, {
      reason: "further_study",
      state: "auto_returned",
      to: tree.s2.id,
    });
    const result = await rates(database.current.db, tree.r.id, YEAR, NOW);
    if (!result.ok) throw new Error("expected rates");
    expect(result.counts).toEqual({ a: 1, b: 1, c: 0, d: 0, e: 1, f: 0 });
  });

  it("a destination at the region's own committee is inside it, but in none of its children", async () => {
    const tree = await buildTree(database.current);
    const incoming = await member(database.current, tree.go.id);
    await apply(database.current, incoming, tree.go.id, {
      reason: "employed_without_org",
      state: "awaiting_assignment",
      to: tree.r.id,
    });
    const result = await rates(database.current.db, tree.r.id, YEAR, NOW);
    if (!result.ok) throw new Error("expected rates");
    expect(result.counts).toEqual({ a: 0, b: 0, c: 0, d: 0, e: 0, f: 1 });
    for (const child of result.children) expect(child.counts.f).toBe(0);
  });

  it("an empty region's rates are not applicable, never 0% or 100%", async () => {
    const tree = await buildTree(database.current);
    const result = await rates(database.current.db, tree.r.id, YEAR, NOW);
    if (!result.ok) throw new Error("expected rates");
    expect(result.counts).toEqual({ a: 0, b: 0, c: 0, d: 0, e: 0, f: 0 });
    expect(result.sx).toEqual({ value: null });
    expect(result.xs).toEqual({ value: null });
  });

  it("refuses an unknown organization", async () => {
    expect(await rates(database.current.db, 987654, YEAR, NOW)).toEqual({
      ok: false,
      reason: "unknown_org",
    });
  });

  it("snapshots every leading organ with the counts rates gives, one row per day", async () => {
    const tree = await fixture();
    const taken = await takeSnapshots(database.current.db, YEAR, "2026-10-08", NOW);
    // province, city and the two counties; schools and the township are not leading organs.
    expect(taken).toBe(4);
    for (const org of [tree.province, tree.city, tree.r, tree.o]) {
      const live = await rates(database.current.db, org.id, YEAR, NOW);
      if (!live.ok) throw new Error("expected rates");
      expect(await snapshotFor(database.current.db, org.id, YEAR, "2026-10-08")).toEqual(
        live.counts,
      );
    }
    expect(await snapshotFor(database.current.db, tree.city.id, YEAR, "2026-10-08")).toEqual({
      a: 2,
      b: 4,
      c: 0,
      d: 2,
      e: 7,
      f: 0,
    });
    expect(await snapshotFor(database.current.db, tree.s1.id, YEAR, "2026-10-08")).toBeNull();
    expect(await snapshotFor(database.current.db, tree.r.id, YEAR, "2026-10-07")).toBeNull();

    const p7 = await member(database.current, tree.g1.id);
    await apply(database.current, p7, tree.g1.id, {
      reason: "further_study",
      state: "completed",
      to: tree.so.id,
    });
    await takeSnapshots(database.current.db, YEAR, "2026-10-08", new Date("2026-10-08T09:00:00Z"));
    const rows = await database.current.query<{ n: number }>(
      "select count(*)::int as n from indicator_snapshots where org_id = $1 and day = '2026-10-08'",
      [tree.r.id],
    );
    expect(rows[0]?.n).toBe(1);
    expect(await snapshotFor(database.current.db, tree.r.id, YEAR, "2026-10-08")).toEqual({
      a: 3,
      b: 4,
      c: 1,
      d: 1,
      e: 5,
      f: 1,
    });
  });
});
