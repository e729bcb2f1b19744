/**
 * A small, hand-made organization tree with admins and members, for service tests. Every
 * organization and admin is reachable by a short name: `world.org.U`, `world.admin.U`.
 */

import type { Db } from "../../src/db/client.ts";
import { createOrganization, type NewOrganization } from "../../src/db/orgTree.ts";
import { admins, members } from "../../src/db/schema.ts";
import { sealIdNumber } from "../../src/db/sealing.ts";
import { idCheckChar } from "../../src/domain/idNumber.ts";
import type { MemberIdentity } from "../../src/domain/member.ts";
import type { FileInput } from "../../src/services/transfers.ts";

export const YEAR = 2026;

/** A valid ID number for a birth date and a sequence (area 140105: Taiyuan Xiaodian). */
export function idFor(birthDate: string, seq: number): string {
  const first17 = `140105${birthDate.replaceAll("-", "")}${String(seq).padStart(3, "0")}`;
  return first17 + idCheckChar(first17);
}

type OrgSpec = Omit<NewOrganization, "parentId"> & { parent: string | null };

const ORGS = {
  C: { parent: null, name: "共青团中央", kind: "committee", level: "central" },
  P: { parent: "C", name: "团山西省委", kind: "committee", level: "provincial" },
  LIB: {
    parent: "P",
    name: "团山西省委特殊单位专属库",
    kind: "branch",
    category: "special_unit_library",
  },
  T: { parent: "P", name: "团太原市委", kind: "committee", level: "city" },
  Y: { parent: "T", name: "团太原市迎泽区委", kind: "committee", level: "county" },
  YF: { parent: "Y", name: "团迎泽区委流动团员团支部", kind: "branch", category: "flow_branch" },
  TS: {
    parent: "Y",
    name: "柳巷街道团工委",
    kind: "committee",
    level: "township",
    domain: "community",
  },
  TSB: { parent: "TS", name: "青年路社区团支部", kind: "branch", domain: "community" },
  HS: {
    parent: "Y",
    name: "太原第五中学团委",
    kind: "committee",
    domain: "school",
    institutionCode: "91005",
  },
  HJ: {
    parent: "HS",
    name: "初三(2)班团支部",
    kind: "branch",
    domain: "school",
    graduationMonth: `${YEAR}-06`,
  },
  PS: {
    parent: "Y",
    name: "迎泽小学团支部",
    kind: "branch",
    domain: "school",
    graduationMonth: `${YEAR}-06`,
  },
  X: { parent: "T", name: "团太原市小店区委", kind: "committee", level: "county" },
  U: {
    parent: "P",
    name: "山西示范大学团委",
    kind: "committee",
    domain: "school",
    institutionCode: "90108",
  },
  UF: {
    parent: "U",
    name: "山西示范大学流动团员团支部",
    kind: "branch",
    domain: "school",
    category: "flow_branch",
  },
  UC: { parent: "U", name: "计算机学院团总支", kind: "general_branch", domain: "school" },
  UB1: {
    parent: "UC",
    name: "计算机2022级1班团支部",
    kind: "branch",
    domain: "school",
    graduationMonth: `${YEAR}-06`,
  },
  UB2: {
    parent: "UC",
    name: "计算机2022级2班团支部",
    kind: "branch",
    domain: "school",
    graduationMonth: `${YEAR}-06`,
  },
  V: {
    parent: "P",
    name: "太原工学院团委",
    kind: "committee",
    domain: "school",
    institutionCode: "90112",
  },
  VB: { parent: "V", name: "研究生2026级1班团支部", kind: "branch", domain: "school" },
  E: { parent: "P", name: "山西示范能源集团团委", kind: "committee", domain: "enterprise" },
  EB: { parent: "E", name: "集团机关团支部", kind: "branch", domain: "enterprise" },
  R: {
    parent: "C",
    name: "全国铁道团委",
    kind: "committee",
    level: "provincial",
    isSystemCommittee: true,
  },
  RC: { parent: "R", name: "铁路太原局团委", kind: "committee", domain: "enterprise" },
  RB: { parent: "RC", name: "太原车务段团支部", kind: "branch", domain: "enterprise" },
  BJ: {
    parent: "C",
    name: "团北京市委",
    kind: "committee",
    level: "provincial",
    isExternalProvince: true,
  },
};

export type OrgName = keyof typeof ORGS;

/** Each admin is named after the organization they administer. */
const ADMINS = [
  "P",
  "T",
  "Y",
  "X",
  "TS",
  "TSB",
  "HS",
  "U",
  "UC",
  "UB1",
  "V",
  "VB",
  "E",
  "EB",
  "RC",
  "BJ",
] as const;
export type AdminName = (typeof ADMINS)[number];

type MemberSpec = {
  name: string;
  branch: OrgName;
  birthDate: string;
  identity?: MemberIdentity;
};

const MEMBERS = {
  m1: { name: "张小明", branch: "UB1", birthDate: "2004-03-12" },
  m2: { name: "李小红", branch: "UB1", birthDate: "2004-07-01" },
  m3: { name: "王小刚", branch: "UB1", birthDate: "2003-11-30" },
  m4: { name: "赵小丽", branch: "UB2", birthDate: "2004-01-05" },
  m5: { name: "孙小军", branch: "UB2", birthDate: "2004-05-20" },
  j1: { name: "周小宇", branch: "HJ", birthDate: "2011-03-15" },
  p1: { name: "吴小萌", branch: "PS", birthDate: "2011-05-02" },
  t1: { name: "郑老师", branch: "UB1", birthDate: "1985-02-02", identity: "teacher" },
} satisfies Record<string, MemberSpec>;

export type MemberName = keyof typeof MEMBERS;

export interface World {
  org: Record<OrgName, number>;
  admin: Record<AdminName, number>;
  member: Record<MemberName, number>;
  idNumber: Record<MemberName, string>;
  memberName: Record<MemberName, string>;
}

export async function buildWorld(db: Db): Promise<World> {
  return db.transaction(async (tx) => {
    const org = {} as Record<OrgName, number>;
    for (const [key, spec] of Object.entries(ORGS) as [OrgName, OrgSpec][]) {
      const { parent, ...values } = spec;
      const created = await createOrganization(tx, {
        ...values,
        parentId: parent ? org[parent as OrgName] : null,
      });
      org[key as OrgName] = created.id;
    }
    const admin = {} as Record<AdminName, number>;
    for (const key of ADMINS) {
      const [row] = await tx
        .insert(admins)
        .values({ orgId: org[key], name: `管理员${key}`, phone: `0351-000${key}` })
        .returning({ id: admins.id });
      admin[key] = row!.id;
    }
    const member = {} as Record<MemberName, number>;
    const idNumber = {} as Record<MemberName, string>;
    const memberName = {} as Record<MemberName, string>;
    let seq = 1;
    for (const [key, spec] of Object.entries(MEMBERS) as [MemberName, MemberSpec][]) {
      const id = idFor(spec.birthDate, seq++);
      const graduating = (ORGS[spec.branch] as OrgSpec).graduationMonth ?? null;
      const [row] = await tx
        .insert(members)
        .values({
          name: spec.name,
          ...sealIdNumber(id),
          branchId: org[spec.branch],
          identity: spec.identity ?? "graduate",
          graduationBranchId: org[spec.branch],
          graduationMonth: graduating,
          graduationYear: graduating ? YEAR : null,
        })
        .returning({ id: members.id });
      member[key as MemberName] = row!.id;
      idNumber[key as MemberName] = id;
      memberName[key as MemberName] = spec.name;
    }
    return { org, admin, member, idNumber, memberName };
  });
}

/** Instants in Asia/Shanghai, written as local wall-clock time. */
export function shanghai(local: string): Date {
  return new Date(`${local}+08:00`);
}

/** A member's own further-study filing (university, 太原工学院) to a destination organization. */
export function furtherStudy(memberId: number, destinationOrgId: number): FileInput {
  return {
    actor: { kind: "member", memberId },
    as: "member",
    reason: "further_study",
    studyType: "university",
    schoolName: "太原工学院",
    schoolAddress: "太原市",
    external: false,
    destinationOrgId,
  };
}
