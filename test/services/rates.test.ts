import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import type { Database } from "../../src/db/client.ts";
import { createOrganization, type NewOrganization } from "../../src/db/orgTree.ts";
import { applications, indicatorSnapshots, members } from "../../src/db/schema.ts";
import { sealIdNumber } from "../../src/db/sealing.ts";
import type { ApplicationState, TransferReason } from "../../src/domain/application.ts";
import { ZERO_COUNTS } from "../../src/domain/indicators.ts";
import type { MemberIdentity } from "../../src/domain/member.ts";
import { refreshOutcomes } from "../../src/services/outcomes.ts";
import {
  rates,
  recordedRates,
  recordedRegionRates,
  snapshotFor,
  takeSnapshots,
} from "../../src/services/rates.ts";
import { DB_KINDS, useTestDatabase } from "../helpers/db.ts";

const YEAR = 2026;
const NOW = new Date("2026-10-08T00:30:00Z");

/**
 * A city with two counties under a province that has its special-unit library. The region under
 * test is county R with five children: schools S1 (graduate branch G1, an ordinary branch S1B
 * and its overseas branch OV) and S2 (graduate branch G2), township T (branch TB), enterprise
 * committee EN (branch ENB) and a school EMPTY nobody graduates from. County O outside R has a
 * school SO with graduate branch GO and an enterprise OE.
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
    const en = await add({ parentId: r.id, name: "EN", kind: "committee", domain: "enterprise" });
    const empty = await school(r.id, "EMPTY");
    const so = await school(o.id, "SO");
    return {
      province,
      lib: await add({
        parentId: province.id,
        name: "LIB",
        kind: "branch",
        category: "special_unit_library",
      }),
      city,
      r,
      o,
      s1,
      s2,
      t,
      en,
      empty,
      so,
      g1: await branch(s1.id, "G1", true),
      s1b: await branch(s1.id, "S1B"),
      ov: await add({
        parentId: s1.id,
        name: "OV",
        kind: "branch",
        domain: "school",
        category: "overseas_branch",
        schoolId: s1.id,
      }),
      g2: await branch(s2.id, "G2", true),
      tb: await branch(t.id, "TB"),
      enb: await branch(en.id, "ENB"),
      go: await branch(so.id, "GO", true),
      oe: await add({ parentId: o.id, name: "OE", kind: "branch", domain: "enterprise" }),
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

/**
 * The DW / FQ fixture, q1…q15, computed by hand below. Nobody has a completed application
 * followed by another one, so it holds whichever way R28 keeps outcomes.
 */
async function buildWorkers(database: Database, tree: Tree) {
  const { g1, g2, go, s1, s1b, t, tb, en, enb, oe, lib, ov } = tree;
  const q = async (
    branch: number,
    values?: Parameters<typeof apply>[3],
    options?: Parameters<typeof member>[2],
  ) => {
    const id = await member(database, branch, options);
    if (values) await apply(database, id, branch, values);
    return id;
  };
  const employed = "employed_with_org" as const;
  await q(g1.id, { reason: employed, state: "completed", to: en.id, assigned: enb.id }); // q1
  await q(g1.id, { reason: employed, state: "pending", to: en.id }); // q2
  await q(g2.id, { reason: employed, state: "completed", to: oe.id }); // q3
  await q(go.id, { reason: employed, state: "completed", to: en.id, assigned: enb.id }); // q4
  await q(go.id, { reason: employed, state: "rejected", to: en.id }); // q5
  await q(g1.id, {
    reason: "employed_without_org",
    state: "completed",
    to: t.id,
    assigned: tb.id,
  }); // q6
  await q(g1.id, { reason: "special_unit", state: "awaiting_province" }); // q7
  await q(g1.id, { reason: "special_unit", state: "completed", to: lib.id }); // q8
  await q(g2.id, { reason: "further_study", state: "awaiting_leader", to: s1.id }); // q9
  await q(g2.id, { reason: "further_study", state: "withdrawn", to: s1.id }); // q10
  await q(g1.id); // q11: no application
  await q(g1.id, { reason: employed, state: "completed", to: en.id }, { identity: "teacher" }); // q12
  await q(g1.id, { reason: "not_placed", state: "completed", to: g1.id, retain: true }); // q13
  await q(go.id, { reason: "further_study", state: "completed", to: s1.id, assigned: s1b.id }); // q14
  await q(g1.id, { reason: "overseas", state: "completed", to: ov.id }); // q15
}

/**
 * A tree of its own beside the province, with 120 branches nobody graduates from or goes to:
 * the counties and the city then hold a small share of all organizations, so their rates read
 * their people by index (rates.ts `listedGroupsSql`) rather than every graduate of the year.
 */
async function addElsewhere(database: Database) {
  await database.db.transaction(async (tx) => {
    const root = await createOrganization(tx, {
      parentId: null,
      name: "elsewhere",
      kind: "committee",
      domain: "enterprise",
    });
    await tx.execute(sql`
      with made as (
        insert into organizations (parent_id, path, name, kind)
        select ${root.id}, '', 'elsewhere ' || g, 'branch' from generate_series(1, 120) g
        returning id)
      update organizations o set path = ${root.path} || o.id || '/'
      from made where o.id = made.id`);
  });
}

describe.each(
  DB_KINDS.flatMap((kind) => [
    { kind, larger: false },
    { kind, larger: true },
  ]),
)("indicator rates on $kind (within a larger tree: $larger)", ({ kind, larger }) => {
  const database = useTestDatabase(kind);

  async function buildTreeHere() {
    const tree = await buildTree(database.current);
    if (larger) await addElsewhere(database.current);
    return tree;
  }

  async function fixture() {
    const tree = await buildTreeHere();
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
    // B: p1 p2; C: p9; A: p1 p9. E: p3 p4 p7 p8 p13 p14; F: p10; D: p3 p13. (G and FQ: below.)
    // R28: p13's completed transfer stays the outcome though a further-study one follows.
    expect(result.counts).toMatchObject({ a: 2, b: 2, c: 1, d: 2, e: 6, f: 1 });
    expect(result.sx).toEqual({ value: 2 / 3 });
    expect(result.xs).toEqual({ value: 2 / 7 });
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
    // Nobody graduates from or goes to EN or EMPTY here: summarised, not listed.
    expect(result.childrenWithoutGraduates).toEqual([
      { id: tree.en.id, name: "EN" },
      { id: tree.empty.id, name: "EMPTY" },
    ]);
    const [s1, s2, t] = result.children;
    expect(s1?.counts).toMatchObject({ a: 2, b: 2, c: 1, d: 1, e: 3, f: 0 });
    expect(s1?.sx).toEqual({ value: 2 / 3 });
    expect(s1?.xs).toEqual({ value: 1 / 3 });
    // p2 (further study from sibling S1, pending) is in S2's C but only in R's B; p13 (R28:
    // completed into T) is in S2's E and D.
    expect(s2?.counts).toMatchObject({ a: 0, b: 0, c: 1, d: 1, e: 3, f: 0 });
    expect(s2?.sx).toEqual({ value: 0 });
    expect(s2?.xs).toEqual({ value: 1 / 3 });
    // p3 and p13 from siblings and p10 from outside all land in township T.
    expect(t?.counts).toMatchObject({ a: 0, b: 0, c: 0, d: 2, e: 0, f: 3 });
    expect(t?.sx).toEqual({ value: null });
    expect(t?.xs).toEqual({ value: 2 / 3 });
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
    expect(withGraduate.counts).toEqual({
      ...before.counts,
      a: 3,
      b: 3,
      initiated: before.counts.initiated + 1,
    });
  });

  it("R15 a retained member is in E but never completed, whatever the state", async () => {
    const tree = await buildTreeHere();
    const retained = await member(database.current, tree.g1.id);
    await apply(database.current, retained, tree.g1.id, {
      reason: "not_placed",
      state: "completed",
      to: tree.g1.id,
      retain: true,
    });
    const result = await rates(database.current.db, tree.r.id, YEAR, NOW);
    if (!result.ok) throw new Error("expected rates");
    expect(result.counts).toEqual({ ...ZERO_COUNTS, e: 1, initiated: 1 });
    expect(result.xs).toEqual({ value: 0 });
    expect(result.fq).toEqual({ value: 1 });
  });

  it("a withdrawn application is replaced by the refiled one; a dead latest one leaves none", async () => {
    const tree = await buildTreeHere();
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
    expect(result.counts).toEqual({ ...ZERO_COUNTS, a: 1, b: 1, e: 1, initiated: 1 });
  });

  it("a destination at the region's own committee is inside it, but in none of its children", async () => {
    const tree = await buildTreeHere();
    const incoming = await member(database.current, tree.go.id);
    await apply(database.current, incoming, tree.go.id, {
      reason: "employed_without_org",
      state: "awaiting_assignment",
      to: tree.r.id,
    });
    const result = await rates(database.current.db, tree.r.id, YEAR, NOW);
    if (!result.ok) throw new Error("expected rates");
    expect(result.counts).toEqual({ ...ZERO_COUNTS, f: 1 });
    expect(result.children).toEqual([]);
  });

  it("an empty region's rates are not applicable, never 0% or 100%; its children are summarised", async () => {
    const tree = await buildTreeHere();
    const result = await rates(database.current.db, tree.r.id, YEAR, NOW);
    if (!result.ok) throw new Error("expected rates");
    expect(result.counts).toEqual(ZERO_COUNTS);
    for (const rate of [result.fq, result.sx, result.xs, result.dw])
      expect(rate).toEqual({ value: null });
    expect(result.children).toEqual([]);
    expect(result.childrenWithoutGraduates.map((c) => c.name)).toEqual([
      "S1",
      "S2",
      "T",
      "EN",
      "EMPTY",
    ]);
  });

  it("§5 DW = G / (E + F) and FQ = initiated / (B + E) of a region, exactly (R9 teachers out, R15 a retention started but not transferred)", async () => {
    const tree = await buildTreeHere();
    await buildWorkers(database.current, tree);
    const result = await rates(database.current.db, tree.r.id, YEAR, NOW);
    if (!result.ok) throw new Error("expected rates");
    // B: q9. C: q14. A: q14. E: q1 q2 q3 q6 q7 q8 q10 q11 q13 q15 (q10's only application was
    // withdrawn: none; q12 is a teacher, R9). F: q4 (q5 was rejected: no outcome, outside).
    // D: q1 q3 q6 q8 q15 and q4. G: employed with a league organization and completed: q1, q3
    // (into an employer outside R: still R's graduate), q4 (into R's EN). Initiated, of B and E:
    // q1 q2 q3 q6 q7 q8 q9 q13 (the retention is an application) q15.
    expect(result.counts).toEqual({ a: 1, b: 1, c: 1, d: 6, e: 10, f: 1, g: 3, initiated: 9 });
    expect(result.dw).toEqual({ value: 3 / 11 });
    expect(result.fq).toEqual({ value: 9 / 11 });
    expect(result.sx).toEqual({ value: 1 / 2 });
    expect(result.xs).toEqual({ value: 6 / 11 });
  });

  it("§5 DW and FQ of each child region; the empty one is summarised, not listed", async () => {
    const tree = await buildTreeHere();
    await buildWorkers(database.current, tree);
    const result = await rates(database.current.db, tree.r.id, YEAR, NOW);
    if (!result.ok) throw new Error("expected rates");
    const byName = Object.fromEntries(result.children.map((c) => [c.org.name, c]));
    expect(Object.keys(byName)).toEqual(["S1", "S2", "T", "EN"]);
    expect(result.childrenWithoutGraduates).toEqual([{ id: tree.empty.id, name: "EMPTY" }]);
    expect(byName.S1?.counts).toEqual({ a: 1, b: 0, c: 2, d: 4, e: 8, f: 0, g: 1, initiated: 7 });
    expect(byName.S1?.fq).toEqual({ value: 7 / 8 });
    expect(byName.S2?.counts).toEqual({ a: 0, b: 1, c: 0, d: 1, e: 2, f: 0, g: 1, initiated: 2 });
    expect(byName.S2?.dw).toEqual({ value: 1 / 2 });
    // q6 from sibling S1 completed into T; not T's graduate, so not in T's FQ.
    expect(byName.T?.counts).toEqual({ ...ZERO_COUNTS, d: 1, f: 1 });
    expect(byName.T?.fq).toEqual({ value: null });
    // The employer receives q1 and q2 from S1 and q4 from outside; two of them completed.
    expect(byName.EN?.counts).toEqual({ ...ZERO_COUNTS, d: 2, f: 3, g: 2 });
    expect(byName.EN?.dw).toEqual({ value: 2 / 3 });
    expect(byName.EN?.fq).toEqual({ value: null });
  });

  it("§5 a special-unit library and an overseas branch are destinations, never child regions", async () => {
    const tree = await buildTreeHere();
    await buildWorkers(database.current, tree);
    // The province: q8 is in the special-unit library, which is a child of the province; it
    // counts in the province (and the city it graduated from), in no child region of its own.
    const province = await rates(database.current.db, tree.province.id, YEAR, NOW);
    if (!province.ok) throw new Error("expected rates");
    expect(province.children.map((c) => c.org.name)).toEqual(["city"]);
    expect(province.childrenWithoutGraduates).toEqual([]);
    // County O's q4 and q5 are the province's own graduates now: E 10 + 2, F 0.
    expect(province.counts).toMatchObject({ e: 12, f: 0, d: 6, g: 3 });
    expect(province.children[0]?.counts).toEqual(province.counts);
    // The school S1: q15 went to its overseas branch; its graduate branch and S1B remain.
    const school = await rates(database.current.db, tree.s1.id, YEAR, NOW);
    if (!school.ok) throw new Error("expected rates");
    expect(school.children.map((c) => c.org.name)).toEqual(["G1", "S1B"]);
    expect(school.childrenWithoutGraduates).toEqual([]);
    expect(school.children[0]?.counts).toEqual({
      ...ZERO_COUNTS,
      d: 4,
      e: 8,
      g: 1,
      initiated: 7,
    });
    expect(school.children[1]?.counts).toEqual({ ...ZERO_COUNTS, a: 1, c: 1 });
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
      expect((await snapshotFor(database.current.db, org.id, YEAR, "2026-10-08"))?.counts).toEqual(
        live.counts,
      );
    }
    expect(
      (await snapshotFor(database.current.db, tree.city.id, YEAR, "2026-10-08"))?.counts,
    ).toMatchObject({ a: 2, b: 3, c: 0, d: 3, e: 8, f: 0 });
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
    const retaken = await snapshotFor(database.current.db, tree.r.id, YEAR, "2026-10-08");
    expect(retaken?.counts).toMatchObject({ a: 3, b: 3, c: 1, d: 2, e: 6, f: 1 });
    expect(retaken?.takenAt).toEqual(new Date("2026-10-08T09:00:00Z"));
  });
});

describe.each(DB_KINDS)("recorded rates on %s", (kind) => {
  const database = useTestDatabase(kind);
  const shanghaiAt = (local: string) => new Date(`${local}+08:00`);

  it("§5 snapshots keep DW's and FQ's counts; one from before they were recorded leaves them unknown", async () => {
    const tree = await buildTree(database.current);
    await buildWorkers(database.current, tree);
    await takeSnapshots(database.current.db, YEAR, "2026-10-08", NOW);
    const live = await rates(database.current.db, tree.r.id, YEAR, NOW);
    if (!live.ok) throw new Error("expected rates");
    const kept = await snapshotFor(database.current.db, tree.r.id, YEAR, "2026-10-08");
    expect(kept?.counts).toEqual(live.counts);
    expect(kept?.counts).toMatchObject({ g: 3, initiated: 9 });
    expect(recordedRates(kept!.counts)).toEqual({
      fq: live.fq,
      sx: live.sx,
      xs: live.xs,
      dw: live.dw,
    });
    // A row as the migration leaves those of earlier days: no G, no initiated count.
    await database.current.db.insert(indicatorSnapshots).values({
      orgId: tree.r.id,
      graduationYear: YEAR,
      day: "2026-10-01",
      ...{ a: 1, b: 2, c: 0, d: 1, e: 4, f: 0 },
    });
    const old = await snapshotFor(database.current.db, tree.r.id, YEAR, "2026-10-01");
    expect(old?.counts).toMatchObject({ g: null, initiated: null });
    expect(recordedRates(old!.counts)).toEqual({
      fq: { value: null },
      sx: { value: 0.5 },
      xs: { value: 0.25 },
      dw: { value: null },
    });
  });

  it("rates as of a past day's end come from the snapshot taken nearest to it, with the day before's", async () => {
    const tree = await buildTree(database.current);
    await buildWorkers(database.current, tree);
    const endOf7th = shanghaiAt("2026-10-07T23:59:59.999");
    // Snapshots as the 00:30 job takes them: the one of the 8th shows the end of the 7th.
    await takeSnapshots(database.current.db, YEAR, "2026-10-06", shanghaiAt("2026-10-06T00:30:00"));
    const extra = await member(database.current, tree.g1.id);
    await apply(database.current, extra, tree.g1.id, {
      reason: "further_study",
      state: "completed",
      to: tree.so.id,
    });
    await takeSnapshots(database.current.db, YEAR, "2026-10-07", shanghaiAt("2026-10-07T00:30:00"));
    await takeSnapshots(database.current.db, YEAR, "2026-10-08", shanghaiAt("2026-10-08T00:30:00"));

    const city = await recordedRegionRates(
      database.current.db,
      tree.city.id,
      YEAR,
      "2026-10-07",
      endOf7th,
    );
    if (!city.ok) throw new Error("expected recorded rates");
    expect(city.day).toBe("2026-10-08");
    expect(city.asOf).toEqual(shanghaiAt("2026-10-08T00:30:00"));
    // The day before (the 7th's snapshot) already had the extra graduate: no change in SX.
    expect(city.previous?.sx).toEqual(city.sx);
    // Both counties are leading organs with their own snapshots.
    expect(city.children.map((c) => c.org.name)).toEqual(["county R", "county O"]);
    expect(city.childrenNotRecorded).toEqual([]);
    const liveR = await rates(database.current.db, tree.r.id, YEAR, NOW);
    if (!liveR.ok) throw new Error("expected rates");
    expect(city.children[0]?.counts).toEqual(liveR.counts);

    // The 6th, before the extra graduate: its end is nearest the 7th's snapshot.
    const county = await recordedRegionRates(
      database.current.db,
      tree.r.id,
      YEAR,
      "2026-10-06",
      shanghaiAt("2026-10-06T23:59:59.999"),
    );
    if (!county.ok) throw new Error("expected recorded rates");
    expect(county.day).toBe("2026-10-07");
    expect(county.counts).toMatchObject({ a: 2, b: 2 });
    expect(county.previous?.sx).toEqual({ value: 1 / 2 });
    expect(county.sx).toEqual({ value: 2 / 3 });
    // Schools, townships and enterprises are not recorded daily: said so, not guessed.
    expect(county.children).toEqual([]);
    expect(county.childrenNotRecorded.map((c) => c.name)).toEqual(["S1", "S2", "T", "EN", "EMPTY"]);

    expect(
      await recordedRegionRates(database.current.db, tree.r.id, YEAR, "2026-09-01", endOf7th),
    ).toEqual({ ok: false, reason: "not_recorded" });
    expect(
      await recordedRegionRates(database.current.db, 987654, YEAR, "2026-10-07", endOf7th),
    ).toEqual({ ok: false, reason: "unknown_org" });
  });
});
