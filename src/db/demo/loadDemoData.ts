/**
 * Demo data: the Shanxi committees of the seed's hotline table, a second province, sample
 * schools, townships with community branches, employers, fictional graduates and an admin at
 * every stage their journeys reach. Loaded once, in one transaction, guarded by a job-run key
 * so that a second start (or a second copy starting at the same time) adds nothing.
 */
import { readFileSync } from "node:fs";
import { idCheckChar } from "../../domain/idNumber.ts";
import type { MemberIdentity } from "../../domain/member.ts";
import type { OrgDomain, OrgKind } from "../../domain/organization.ts";
import type { Db, Tx } from "../client.ts";
import { createOrganization, type NewOrganization } from "../orgTree.ts";
import { admins, jobRuns, members } from "../schema.ts";
import { sealIdNumber } from "../sealing.ts";
import { ensureReferenceTree, hotlineTable } from "./referenceData.ts";

type ClassKind = "graduating" | "graduating_junior" | "later" | "teacher";
type ClassSpec = [name: string, kind: ClassKind, size: number];

interface DemoOrganizations {
  central: string;
  /** Provinces besides Shanxi: their cities and counties, no hotlines. */
  otherProvinces: { name: string; cities: { committee: string; counties: string[] }[] }[];
  /** Township / street organizations: a 团委 (committee) or a 团工委 (working committee). */
  townships: {
    county: string;
    name: string;
    kind?: OrgKind;
    domain: OrgDomain;
    branches: string[];
  }[];
  countyFlowBranches: string[];
  universities: {
    name: string;
    code: string;
    /** The provincial committee above it (default Shanxi's) and its graduates' ID area code. */
    parent?: string;
    area?: string;
    colleges: { name: string; kind?: OrgKind; classes: ClassSpec[] }[];
  }[];
  highSchools: { county: string; name: string; code: string; classes: ClassSpec[] }[];
  enterprises: { parent: string; name: string; domain: OrgDomain; branches: string[] }[];
  externalSchools: { province: string; name: string; code: string }[];
  admins: { org: string; name: string; phone?: string }[];
  names: {
    surnames: string;
    givenNames: string[];
    delayedReasons: string[];
    flowBranchSuffix: string;
    overseasBranchSuffix: string;
    specialUnitLibrarySuffix: string;
  };
}

const readJson = <T>(file: string): T =>
  JSON.parse(readFileSync(new URL(file, import.meta.url), "utf8")) as T;

export const DEMO_DATA_KEY = "demo-data:v1";

export interface DemoSummary {
  loaded: boolean;
  orgs: number;
  members: number;
  admins: number;
}

/** Small deterministic PRNG (mulberry32), so every demo load produces the same people. */
function prng(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function loadDemoData(db: Db, graduationYear: number): Promise<DemoSummary> {
  return db.transaction(async (tx) => {
    const claimed = await tx
      .insert(jobRuns)
      .values({ key: DEMO_DATA_KEY, finishedAt: new Date() })
      .onConflictDoNothing()
      .returning();
    if (claimed.length === 0) return { loaded: false, orgs: 0, members: 0, admins: 0 };
    return insertDemo(tx, graduationYear);
  });
}

async function insertDemo(tx: Tx, year: number): Promise<DemoSummary> {
  const table = hotlineTable();
  const demo = readJson<DemoOrganizations>("./demo-organizations.json");
  const byName = new Map<string, number>();
  let orgCount = 0;
  const add = async (values: NewOrganization) => {
    const org = await createOrganization(tx, values);
    byName.set(org.name, org.id);
    orgCount++;
    return org.id;
  };
  const idOf = (name: string) => {
    const id = byName.get(name);
    if (id === undefined) throw new Error(`demo data: unknown organization ${name}`);
    return id;
  };

  // The hotline table's organizations are reference data, there with or without the demo.
  const reference = await ensureReferenceTree(tx);
  for (const [name, id] of reference) byName.set(name, id);
  orgCount += reference.size;
  const central = idOf(table.central);
  const province = idOf(table.province.name);
  for (const other of demo.otherProvinces) {
    const id = await add({
      parentId: central,
      name: other.name,
      kind: "committee",
      level: "provincial",
    });
    await add({
      parentId: id,
      name: `${other.name}${demo.names.specialUnitLibrarySuffix}`,
      kind: "branch",
      category: "special_unit_library",
    });
    for (const city of other.cities) {
      const cityId = await add({
        parentId: id,
        name: city.committee,
        kind: "committee",
        level: "city",
      });
      for (const county of city.counties)
        await add({ parentId: cityId, name: county, kind: "committee", level: "county" });
    }
  }
  for (const county of demo.countyFlowBranches) {
    await add({
      parentId: idOf(county),
      name: `${county}${demo.names.flowBranchSuffix}`,
      kind: "branch",
      category: "flow_branch",
    });
  }
  for (const t of demo.townships) {
    const id = await add({
      parentId: idOf(t.county),
      name: t.name,
      kind: t.kind ?? "committee",
      level: "township",
      domain: t.domain,
    });
    for (const b of t.branches)
      await add({ parentId: id, name: b, kind: "branch", domain: t.domain });
  }

  const classes: {
    branchId: number;
    kind: ClassKind;
    size: number;
    birthYear: number;
    area: string;
  }[] = [];
  const taiyuanArea = table.cities[0]!.areaCode;
  const addClasses = async (
    parentId: number,
    specs: ClassSpec[],
    ageAtGraduation: (kind: ClassKind) => number,
    area: string,
  ) => {
    for (const [name, kind, size] of specs) {
      const graduating = kind === "graduating" || kind === "graduating_junior";
      const branchId = await add({
        parentId,
        name,
        kind: "branch",
        domain: "school",
        graduationMonth: graduating ? `${year}-06` : kind === "later" ? `${year + 2}-06` : null,
        graduationUnsetReason: kind === "teacher" ? "teacher_branch" : null,
      });
      classes.push({ branchId, kind, size, birthYear: year - ageAtGraduation(kind), area });
    }
  };
  for (const u of demo.universities) {
    const uid = await add({
      parentId: u.parent ? idOf(u.parent) : province,
      name: u.name,
      kind: "committee",
      domain: "school",
      institutionCode: u.code,
    });
    await add({
      parentId: uid,
      name: `${u.name}${demo.names.flowBranchSuffix}`,
      kind: "branch",
      domain: "school",
      category: "flow_branch",
      schoolId: uid,
    });
    await add({
      parentId: uid,
      name: `${u.name}${demo.names.overseasBranchSuffix}`,
      kind: "branch",
      domain: "school",
      category: "overseas_branch",
      schoolId: uid,
    });
    for (const c of u.colleges) {
      const cid = await add({
        parentId: uid,
        name: c.name,
        kind: c.kind ?? "general_branch",
        domain: "school",
      });
      await addClasses(cid, c.classes, (k) => (k === "teacher" ? 40 : 22), u.area ?? taiyuanArea);
    }
  }
  for (const s of demo.highSchools) {
    const sid = await add({
      parentId: idOf(s.county),
      name: s.name,
      kind: "committee",
      domain: "school",
      institutionCode: s.code,
    });
    const area = s.county.includes(table.cities[1]!.name) ? table.cities[1]!.areaCode : taiyuanArea;
    await addClasses(sid, s.classes, (k) => (k === "graduating_junior" ? 15 : 18), area);
  }
  for (const e of demo.enterprises) {
    const kind: OrgKind = e.branches.length === 0 ? "branch" : "committee";
    const eid = await add({ parentId: idOf(e.parent), name: e.name, kind, domain: e.domain });
    for (const b of e.branches)
      await add({ parentId: eid, name: b, kind: "branch", domain: e.domain });
  }
  for (const s of demo.externalSchools) {
    await add({
      parentId: idOf(s.province),
      name: s.name,
      kind: "committee",
      domain: "school",
      institutionCode: s.code,
    });
  }

  const random = prng(year);
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)] as T;
  const surnames = [...demo.names.surnames];
  const usedIds = new Set<string>();
  const people: (typeof members.$inferInsert)[] = [];
  for (const c of classes) {
    for (let i = 0; i < c.size; i++) {
      // Born September or later: a school year older. Junior classes thus straddle the 16th
      // birthday, so some of their graduates are under 16 (R19).
      const month = 1 + Math.floor(random() * 12);
      const day = 1 + Math.floor(random() * 28);
      const birthYear = c.birthYear - (month >= 9 ? 1 : 0);
      const birth = `${birthYear}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
      let idNumber = "";
      do {
        const seq = String(1 + Math.floor(random() * 998)).padStart(3, "0");
        const first17 = `${c.area}${birth.replaceAll("-", "")}${seq}`;
        idNumber = first17 + idCheckChar(first17);
      } while (usedIds.has(idNumber));
      usedIds.add(idNumber);
      let identity: MemberIdentity = c.kind === "teacher" ? "teacher" : "graduate";
      const graduating = c.kind === "graduating" || c.kind === "graduating_junior";
      // A few marks inside graduating classes, as schools really have them (M1.2).
      if (graduating && i === c.size - 1) identity = "teacher";
      if (graduating && c.kind === "graduating" && i === c.size - 2) identity = "delayed";
      people.push({
        name: pick(surnames) + pick(demo.names.givenNames),
        ...sealIdNumber(idNumber),
        branchId: c.branchId,
        identity,
        graduationBranchId: graduating ? c.branchId : null,
        graduationMonth:
          identity === "delayed" ? `${year + 1}-06` : graduating ? `${year}-06` : null,
        graduationYear: identity === "delayed" ? year + 1 : graduating ? year : null,
        delayedReason: identity === "delayed" ? pick(demo.names.delayedReasons) : null,
      });
    }
  }
  if (people.length > 0) await tx.insert(members).values(people);
  const adminRows = demo.admins.map((a) => ({
    orgId: idOf(a.org),
    name: a.name,
    phone: a.phone ?? null,
  }));
  await tx.insert(admins).values(adminRows);
  return { loaded: true, orgs: orgCount, members: people.length, admins: adminRows.length };
}
