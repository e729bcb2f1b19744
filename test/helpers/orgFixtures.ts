/**
 * Plain OrgNode fixtures for the pure domain tests: no database. Paths follow the stored
 * format, ids from the root with a trailing slash ("/1/2/3/").
 */
import type { OrgNode } from "../../src/domain/tree.ts";

/** One organization below `parent` (or a root); every field may be overridden. */
export function org(id: number, parent: OrgNode | null, fields: Partial<OrgNode> = {}): OrgNode {
  return {
    id,
    parentId: parent ? parent.id : null,
    path: `${parent ? parent.path : "/"}${id}/`,
    name: `org ${id}`,
    kind: "branch",
    level: "none",
    domain: "other",
    category: "normal",
    institutionCode: null,
    provinceId: parent ? parent.provinceId : null,
    isSystemCommittee: false,
    isExternalProvince: false,
    graduationMonth: null,
    graduationUnsetReason: null,
    ...fields,
  };
}

/**
 * A small tree covering every kind of organization the rules distinguish:
 *
 * 1 团中央 (central)
 * ├─ 2 团山西省委 (provincial)
 * │  ├─ 3 团太原市委 (city)
 * │  │  ├─ 4 团小店区委 (county)
 * │  │  │  ├─ 5 坞城街道团工委 (township committee)
 * │  │  │  │  ├─ 6 community branch
 * │  │  │  │  ├─ 8 township flow branch (not a county's)
 * │  │  │  │  └─ 40 某中学团支部 (a school that is only a branch, graduate org)
 * │  │  │  └─ 7 county flow branch
 * │  │  └─ 50 enterprise committee
 * │  │     └─ 51 enterprise branch
 * │  ├─ 10 山西大学团委 (school committee with institution code)
 * │  │  ├─ 11 school flow branch
 * │  │  ├─ 12 overseas branch
 * │  │  ├─ 13 delayed-graduation org
 * │  │  └─ 14 college general branch
 * │  │     ├─ 15 graduating class (graduate org, 2026-06)
 * │  │     └─ 16 class branch (normal)
 * │  ├─ 60 school committee without institution code
 * │  └─ 20 special-unit library
 * ├─ 30 团北京市委 (external province)
 * └─ 70 全国铁道团委 (system committee)
 */
export function demoTree() {
  const central = org(1, null, { name: "团中央", kind: "committee", level: "central" });
  const province = org(2, central, {
    name: "团山西省委",
    kind: "committee",
    level: "provincial",
    provinceId: 2,
  });
  const city = org(3, province, { name: "团太原市委", kind: "committee", level: "city" });
  const county = org(4, city, {
    name: "团小店区委",
    kind: "committee",
    level: "county",
    domain: "government",
  });
  const township = org(5, county, {
    name: "坞城街道团工委",
    kind: "committee",
    level: "township",
    domain: "community",
  });
  const communityBranch = org(6, township, { name: "某社区团支部", domain: "community" });
  const countyFlowBranch = org(7, county, {
    name: "小店区流动团员团支部",
    category: "flow_branch",
  });
  const townshipFlowBranch = org(8, township, {
    name: "坞城街道流动团员团支部",
    category: "flow_branch",
  });
  const schoolOnlyBranch = org(40, township, {
    name: "某中学团支部",
    domain: "school",
    category: "graduate",
    graduationMonth: "2026-07",
  });
  const enterprise = org(50, city, { name: "某公司团委", kind: "committee", domain: "enterprise" });
  const enterpriseBranch = org(51, enterprise, { name: "某车间团支部", domain: "enterprise" });
  const university = org(10, province, {
    name: "山西大学团委",
    kind: "committee",
    domain: "school",
    institutionCode: "4114010108",
  });
  const schoolFlowBranch = org(11, university, {
    name: "山西大学流动团员团支部",
    domain: "school",
    category: "flow_branch",
  });
  const overseasBranch = org(12, university, {
    name: "山西大学出国(境)学习研究团员团支部",
    domain: "school",
    category: "overseas_branch",
  });
  const delayedOrg = org(13, university, {
    name: "山西大学延迟毕业团支部",
    domain: "school",
    category: "delayed_graduation",
  });
  const college = org(14, university, {
    name: "文学院团总支",
    kind: "general_branch",
    domain: "school",
  });
  const graduateClass = org(15, college, {
    name: "2022级1班团支部",
    domain: "school",
    category: "graduate",
    graduationMonth: "2026-06",
  });
  const classBranch = org(16, college, {
    name: "2024级1班团支部",
    domain: "school",
    graduationMonth: "2028-06",
  });
  const uncodedSchool = org(60, province, {
    name: "某学院团委",
    kind: "committee",
    domain: "school",
  });
  const specialUnitLibrary = org(20, province, {
    name: "团山西省委特殊单位专属库",
    category: "special_unit_library",
  });
  const beijing = org(30, central, {
    name: "团北京市委",
    kind: "committee",
    level: "provincial",
    provinceId: 30,
    isExternalProvince: true,
  });
  const railway = org(70, central, {
    name: "全国铁道团委",
    kind: "committee",
    level: "provincial",
    provinceId: 70,
    isSystemCommittee: true,
  });
  const all = [
    central,
    province,
    city,
    county,
    township,
    communityBranch,
    countyFlowBranch,
    townshipFlowBranch,
    schoolOnlyBranch,
    enterprise,
    enterpriseBranch,
    university,
    schoolFlowBranch,
    overseasBranch,
    delayedOrg,
    college,
    graduateClass,
    classBranch,
    uncodedSchool,
    specialUnitLibrary,
    beijing,
    railway,
  ];
  const byId = new Map(all.map((o) => [o.id, o]));
  /** The organization's ancestors, root first, ending with the organization itself. */
  const chainOf = (node: OrgNode): OrgNode[] => {
    const chain: OrgNode[] = [];
    for (let o: OrgNode | undefined = node; o; o = o.parentId ? byId.get(o.parentId) : undefined) {
      chain.unshift(o);
    }
    return chain;
  };
  const parentOf = (node: OrgNode): OrgNode | undefined =>
    node.parentId ? byId.get(node.parentId) : undefined;
  /** The organization's ancestors, root first, without the organization itself. */
  const aboveOf = (node: OrgNode): OrgNode[] => chainOf(node).slice(0, -1);
  return {
    central,
    province,
    city,
    county,
    township,
    communityBranch,
    countyFlowBranch,
    townshipFlowBranch,
    schoolOnlyBranch,
    enterprise,
    enterpriseBranch,
    university,
    schoolFlowBranch,
    overseasBranch,
    delayedOrg,
    college,
    graduateClass,
    classBranch,
    uncodedSchool,
    specialUnitLibrary,
    beijing,
    railway,
    all,
    chainOf,
    parentOf,
    aboveOf,
  };
}

/** An admin bound to `org` (permissions take the acting admin's organization). */
export function adminOf(node: OrgNode, adminId = 900 + node.id) {
  return { adminId, org: node };
}
