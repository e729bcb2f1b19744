/** The organization tree as the rules see it: plain records, paths of ids root first. */
import type {
  GraduationUnsetReason,
  OrgCategory,
  OrgDomain,
  OrgKind,
  OrgLevel,
} from "./organization.ts";

export interface OrgNode {
  id: number;
  parentId: number | null;
  path: string;
  name: string;
  kind: OrgKind;
  level: OrgLevel;
  domain: OrgDomain;
  category: OrgCategory;
  institutionCode: string | null;
  provinceId: number | null;
  isSystemCommittee: boolean;
  isExternalProvince: boolean;
  graduationMonth: string | null;
  /** Why a branch has no graduation month (R6): a teachers' branch receives no students. */
  graduationUnsetReason: GraduationUnsetReason | null;
}

/** Ids on the path, root first, the organization itself last. */
export function pathIds(path: string): number[] {
  return path
    .split("/")
    .filter((s) => s !== "")
    .map(Number);
}

/** True when `org` is `ancestor` or lies below it. */
export function isWithin(org: { path: string }, ancestor: { path: string }): boolean {
  return org.path.startsWith(ancestor.path);
}

export function isStrictlyBelow(org: { path: string }, ancestor: { path: string }): boolean {
  return org.path !== ancestor.path && isWithin(org, ancestor);
}

/**
 * The nearest organization above `chain`'s last element matching `test`; `chain` is the
 * ancestors root first, ending with the organization itself.
 */
export function nearestAbove<T>(chain: T[], test: (org: T) => boolean): T | undefined {
  for (let i = chain.length - 2; i >= 0; i--) {
    const org = chain[i] as T;
    if (test(org)) return org;
  }
  return undefined;
}

/**
 * The school a branch belongs to: the top-most school-domain committee on its chain, so a
 * college committee (学院团委) inside a university resolves to the university.
 */
export function schoolOf(chain: OrgNode[]): OrgNode | undefined {
  return chain.find((o) => o.domain === "school" && o.kind === "committee");
}
