import { describe, expect, it } from "vitest";
import { isLeadingOrgan } from "../../src/domain/organization.ts";
import {
  canAssign,
  canDecideAsApprover,
  canDecideAsReceiver,
  canDecideAtStage,
  canIssueMemberCodes,
  canManageAdmin,
  canManageGroupChat,
  canMarkGraduation,
  canMarkIdentity,
  canRequestGraduationChange,
  canStartAsInAdmin,
  canStartAsOutAdmin,
  checkFlowBranchCreation,
  leadingOrganAbove,
  seesFullIdNumbers,
} from "../../src/domain/permissions.ts";
import { adminOf, demoTree, org } from "../helpers/orgFixtures.ts";

const t = demoTree();

describe("R22 who decides as the receiver", () => {
  it("R22 a branch receiver: its own admin", () => {
    expect(canDecideAsReceiver(adminOf(t.communityBranch), t.communityBranch)).toBe(true);
  });

  it("R22 a branch receiver: its direct superior's admin", () => {
    expect(canDecideAsReceiver(adminOf(t.township), t.communityBranch)).toBe(true);
    expect(canDecideAsReceiver(adminOf(t.college), t.graduateClass)).toBe(true);
  });

  it("R22 a branch receiver: not an admin two levels up, nor a sibling branch", () => {
    expect(canDecideAsReceiver(adminOf(t.county), t.communityBranch)).toBe(false);
    expect(canDecideAsReceiver(adminOf(t.university), t.graduateClass)).toBe(false);
    expect(canDecideAsReceiver(adminOf(t.classBranch), t.graduateClass)).toBe(false);
  });

  it("R22 a committee receiver: its own admin only, not its superior's", () => {
    expect(canDecideAsReceiver(adminOf(t.township), t.township)).toBe(true);
    expect(canDecideAsReceiver(adminOf(t.county), t.township)).toBe(false);
    expect(canDecideAsReceiver(adminOf(t.communityBranch), t.township)).toBe(false);
  });

  it("R22 a general branch receiver: its own admin only", () => {
    expect(canDecideAsReceiver(adminOf(t.college), t.college)).toBe(true);
    expect(canDecideAsReceiver(adminOf(t.university), t.college)).toBe(false);
  });

  it("R22 only the receiving committee's own admin assigns", () => {
    expect(canAssign(adminOf(t.township), t.township)).toBe(true);
    expect(canAssign(adminOf(t.county), t.township)).toBe(false);
    expect(canAssign(adminOf(t.communityBranch), t.township)).toBe(false);
  });
});

describe("R17 R19 the approver decides by its own admins", () => {
  it("R17 the provincial committee's admin approves a special-unit transfer, nobody else", () => {
    expect(canDecideAsApprover(adminOf(t.province), t.province)).toBe(true);
    expect(canDecideAsApprover(adminOf(t.central), t.province)).toBe(false);
    expect(canDecideAsApprover(adminOf(t.city), t.province)).toBe(false);
  });

  it("R19 the leading organ's admin approves, not one above or below it", () => {
    expect(canDecideAsApprover(adminOf(t.county), t.county)).toBe(true);
    expect(canDecideAsApprover(adminOf(t.city), t.county)).toBe(false);
    expect(canDecideAsApprover(adminOf(t.township), t.county)).toBe(false);
  });
});

describe("R6 graduation marking: admins of any organization except a branch", () => {
  it("R6 a branch's admin cannot mark, not even their own branch", () => {
    expect(canMarkGraduation(adminOf(t.graduateClass), t.graduateClass)).toBe(false);
    expect(canMarkGraduation(adminOf(t.communityBranch), t.communityBranch)).toBe(false);
  });

  it("R6 the general branch, school committee and leading organs above may mark", () => {
    expect(canMarkGraduation(adminOf(t.college), t.classBranch)).toBe(true);
    expect(canMarkGraduation(adminOf(t.university), t.classBranch)).toBe(true);
    expect(canMarkGraduation(adminOf(t.province), t.classBranch)).toBe(true);
    expect(canMarkGraduation(adminOf(t.central), t.classBranch)).toBe(true);
    expect(canMarkGraduation(adminOf(t.township), t.schoolOnlyBranch)).toBe(true);
  });

  it("R6 not outside the admin's subtree", () => {
    expect(canMarkGraduation(adminOf(t.city), t.classBranch)).toBe(false);
    expect(canMarkGraduation(adminOf(t.uncodedSchool), t.classBranch)).toBe(false);
    expect(canMarkGraduation(adminOf(t.enterprise), t.communityBranch)).toBe(false);
  });

  it("R6 only branches are marked, never a committee or general branch", () => {
    expect(canMarkGraduation(adminOf(t.university), t.college)).toBe(false);
    expect(canMarkGraduation(adminOf(t.province), t.university)).toBe(false);
  });
});

describe("R9 identity marking by school-domain admins", () => {
  it("R9 school-domain admins mark in their subtree (committee, general branch, the branch itself)", () => {
    const chain = t.chainOf(t.graduateClass);
    expect(canMarkIdentity(adminOf(t.university), chain)).toBe(true);
    expect(canMarkIdentity(adminOf(t.college), chain)).toBe(true);
    expect(canMarkIdentity(adminOf(t.graduateClass), chain)).toBe(true);
  });

  it("R9 a school-domain admin outside the subtree cannot", () => {
    expect(canMarkIdentity(adminOf(t.uncodedSchool), t.chainOf(t.graduateClass))).toBe(false);
    expect(canMarkIdentity(adminOf(t.classBranch), t.chainOf(t.graduateClass))).toBe(false);
  });

  it("R9 a non-school admin above a school cannot (province, city, county)", () => {
    const chain = t.chainOf(t.graduateClass);
    expect(canMarkIdentity(adminOf(t.province), chain)).toBe(false);
    expect(canMarkIdentity(adminOf(t.central), chain)).toBe(false);
    expect(canMarkIdentity(adminOf(t.county), t.chainOf(t.schoolOnlyBranch))).toBe(false);
  });

  it("R9 a school that is only a branch: its direct superior's admin can, though not school-domain", () => {
    expect(t.township.domain).toBe("community");
    expect(canMarkIdentity(adminOf(t.township), t.chainOf(t.schoolOnlyBranch))).toBe(true);
  });

  it("R9 the superior of a non-school branch cannot", () => {
    expect(canMarkIdentity(adminOf(t.township), t.chainOf(t.communityBranch))).toBe(false);
    expect(canMarkIdentity(adminOf(t.enterprise), t.chainOf(t.enterpriseBranch))).toBe(false);
  });

  it("R9 an empty chain allows nobody", () => {
    expect(canMarkIdentity(adminOf(t.university), [])).toBe(false);
  });
});

describe("R11 who starts an application as an admin", () => {
  it("R11 the out-organization's admin: the member's branch or any organization above it", () => {
    expect(canStartAsOutAdmin(adminOf(t.graduateClass), t.graduateClass)).toBe(true);
    expect(canStartAsOutAdmin(adminOf(t.college), t.graduateClass)).toBe(true);
    expect(canStartAsOutAdmin(adminOf(t.university), t.graduateClass)).toBe(true);
    expect(canStartAsOutAdmin(adminOf(t.province), t.graduateClass)).toBe(true);
  });

  it("R11 not an admin beside or outside the member's branch", () => {
    expect(canStartAsOutAdmin(adminOf(t.classBranch), t.graduateClass)).toBe(false);
    expect(canStartAsOutAdmin(adminOf(t.city), t.graduateClass)).toBe(false);
    expect(canStartAsOutAdmin(adminOf(t.beijing), t.graduateClass)).toBe(false);
  });

  it("R11 the in-organization's admin receives into their own subtree only", () => {
    expect(canStartAsInAdmin(adminOf(t.university), t.university)).toBe(true);
    expect(canStartAsInAdmin(adminOf(t.university), t.classBranch)).toBe(true);
    expect(canStartAsInAdmin(adminOf(t.college), t.university)).toBe(false);
    expect(canStartAsInAdmin(adminOf(t.township), t.countyFlowBranch)).toBe(false);
  });
});

describe("R8 graduation change requested by the direct superior's admin", () => {
  it("R8 the direct superior's admin may request", () => {
    expect(canRequestGraduationChange(adminOf(t.college), t.graduateClass)).toBe(true);
    expect(canRequestGraduationChange(adminOf(t.township), t.schoolOnlyBranch)).toBe(true);
  });

  it("R8 not the branch's own admin, nor an admin further up", () => {
    expect(canRequestGraduationChange(adminOf(t.graduateClass), t.graduateClass)).toBe(false);
    expect(canRequestGraduationChange(adminOf(t.university), t.graduateClass)).toBe(false);
    expect(canRequestGraduationChange(adminOf(t.county), t.schoolOnlyBranch)).toBe(false);
  });
});

describe("R8 R19 the leading organ above an organization (county committees and up)", () => {
  it("R19 above a township branch: the county committee", () => {
    expect(leadingOrganAbove(t.chainOf(t.communityBranch))?.id).toBe(t.county.id);
    expect(leadingOrganAbove(t.chainOf(t.township))?.id).toBe(t.county.id);
  });

  it("R19 a county committee's leading organ above is the city committee", () => {
    expect(leadingOrganAbove(t.chainOf(t.county))?.id).toBe(t.city.id);
  });

  it("R8 a university committee is not a leading organ: above a class it is the province", () => {
    expect(leadingOrganAbove(t.chainOf(t.graduateClass))?.id).toBe(t.province.id);
    expect(leadingOrganAbove(t.chainOf(t.university))?.id).toBe(t.province.id);
  });

  it("R8 an enterprise committee is skipped: above its branch is the city", () => {
    expect(leadingOrganAbove(t.chainOf(t.enterpriseBranch))?.id).toBe(t.city.id);
  });

  it("R8 the root has none above", () => {
    expect(leadingOrganAbove(t.chainOf(t.central))).toBeUndefined();
  });

  it("G4.3 leading organs: committees at county level and above only", () => {
    expect(isLeadingOrgan(t.central)).toBe(true);
    expect(isLeadingOrgan(t.province)).toBe(true);
    expect(isLeadingOrgan(t.city)).toBe(true);
    expect(isLeadingOrgan(t.county)).toBe(true);
    expect(isLeadingOrgan(t.township)).toBe(false);
    expect(isLeadingOrgan(t.university)).toBe(false);
    expect(isLeadingOrgan(t.college)).toBe(false);
    expect(isLeadingOrgan({ kind: "working_committee", level: "none" })).toBe(false);
  });
});

describe("R4 full ID numbers only for leading-organ admins", () => {
  it("R4 county, city, provincial and central admins see full numbers", () => {
    expect(seesFullIdNumbers(adminOf(t.county))).toBe(true);
    expect(seesFullIdNumbers(adminOf(t.city))).toBe(true);
    expect(seesFullIdNumbers(adminOf(t.province))).toBe(true);
    expect(seesFullIdNumbers(adminOf(t.central))).toBe(true);
  });

  it("R4 township, school, general-branch and branch admins, and no admin at all, see masked numbers", () => {
    expect(seesFullIdNumbers(adminOf(t.township))).toBe(false);
    expect(seesFullIdNumbers(adminOf(t.university))).toBe(false);
    expect(seesFullIdNumbers(adminOf(t.college))).toBe(false);
    expect(seesFullIdNumbers(adminOf(t.graduateClass))).toBe(false);
    expect(seesFullIdNumbers(null)).toBe(false);
  });
});

describe("R1 creating a flow branch", () => {
  it("R1 a school committee with an institution code, name containing 流动团员", () => {
    expect(checkFlowBranchCreation(t.university, "山西大学流动团员团支部")).toEqual({ ok: true });
  });

  it("R1 a school committee without an institution code is refused", () => {
    expect(checkFlowBranchCreation(t.uncodedSchool, "某学院流动团员团支部")).toEqual({
      ok: false,
      reason: "flow_branch_creator",
    });
    const emptyCode = org(61, t.province, {
      kind: "committee",
      domain: "school",
      institutionCode: "",
    });
    expect(checkFlowBranchCreation(emptyCode, "某学院流动团员团支部")).toEqual({
      ok: false,
      reason: "flow_branch_creator",
    });
  });

  it("R1 a county committee may create one (G2.2 note 2)", () => {
    expect(checkFlowBranchCreation(t.county, "小店区流动团员团支部")).toEqual({ ok: true });
  });

  it("R1 a branch, a township committee, a general branch or a city committee is refused", () => {
    const refused = { ok: false, reason: "flow_branch_creator" };
    expect(checkFlowBranchCreation(t.graduateClass, "流动团员团支部")).toEqual(refused);
    expect(checkFlowBranchCreation(t.township, "坞城街道流动团员团支部")).toEqual(refused);
    expect(checkFlowBranchCreation(t.college, "文学院流动团员团支部")).toEqual(refused);
    expect(checkFlowBranchCreation(t.city, "太原市流动团员团支部")).toEqual(refused);
    expect(checkFlowBranchCreation(t.enterprise, "某公司流动团员团支部")).toEqual(refused);
  });

  it("R1 a school general branch carrying a code is still not a committee", () => {
    const gb = org(62, t.university, {
      kind: "general_branch",
      domain: "school",
      institutionCode: "4114010108",
    });
    expect(checkFlowBranchCreation(gb, "流动团员团支部")).toEqual({
      ok: false,
      reason: "flow_branch_creator",
    });
  });

  it("R1 a name without 流动团员 is refused, for a school and for a county", () => {
    const refused = { ok: false, reason: "flow_branch_name" };
    expect(checkFlowBranchCreation(t.university, "山西大学流动团支部")).toEqual(refused);
    expect(checkFlowBranchCreation(t.university, "山西大学团支部")).toEqual(refused);
    expect(checkFlowBranchCreation(t.county, "小店区团员团支部")).toEqual(refused);
  });

  it("R1 the keyword may stand anywhere in the name", () => {
    expect(checkFlowBranchCreation(t.university, "流动团员第二团支部")).toEqual({ ok: true });
  });
});

describe("R17 R19 R22 who decides at each stage", () => {
  it("a waiting application is decided by the receiver's rule, the approver's, or the assigner's", () => {
    expect(canDecideAtStage(adminOf(t.college), "pending", t.graduateClass)).toBe(true);
    expect(canDecideAtStage(adminOf(t.university), "pending", t.graduateClass)).toBe(false);
    expect(canDecideAtStage(adminOf(t.county), "awaiting_leader", t.county)).toBe(true);
    expect(canDecideAtStage(adminOf(t.township), "awaiting_leader", t.county)).toBe(false);
    expect(canDecideAtStage(adminOf(t.township), "awaiting_assignment", t.township)).toBe(true);
    // A branch's direct superior approves for it, but assignment is the receiver's own.
    expect(canDecideAtStage(adminOf(t.college), "awaiting_assignment", t.graduateClass)).toBe(
      false,
    );
  });

  it("nothing is decided once the application is final", () => {
    for (const state of ["completed", "rejected", "withdrawn", "auto_returned"] as const) {
      expect(canDecideAtStage(adminOf(t.township), state, t.township)).toBe(false);
    }
  });
});

describe("issue 6.1 who manages a bound group chat", () => {
  it("an admin of the bound organization or of one above it", () => {
    expect(canManageGroupChat(adminOf(t.township), t.township)).toBe(true);
    expect(canManageGroupChat(adminOf(t.county), t.township)).toBe(true);
    expect(canManageGroupChat(adminOf(t.central), t.communityBranch)).toBe(true);
  });

  it("not an admin below it or beside it", () => {
    expect(canManageGroupChat(adminOf(t.communityBranch), t.township)).toBe(false);
    expect(canManageGroupChat(adminOf(t.university), t.township)).toBe(false);
  });

  it("a path sharing digits is not a subtree (/1/2/ does not hold /1/23/)", () => {
    const a = org(2, null, { kind: "committee" });
    const b = org(23, null, { kind: "committee" });
    expect(canManageGroupChat(adminOf(a), b)).toBe(false);
  });
});

describe("§8 who issues binding codes and manages admins", () => {
  it("member codes: an admin whose subtree holds the member's branch, its own included", () => {
    expect(canIssueMemberCodes(adminOf(t.communityBranch), t.communityBranch)).toBe(true);
    expect(canIssueMemberCodes(adminOf(t.county), t.communityBranch)).toBe(true);
    expect(canIssueMemberCodes(adminOf(t.university), t.communityBranch)).toBe(false);
    expect(canIssueMemberCodes(adminOf(t.townshipFlowBranch), t.communityBranch)).toBe(false);
  });

  it("admin codes and removal: only from an organization above the target's", () => {
    expect(canManageAdmin(adminOf(t.county), adminOf(t.township))).toBe(true);
    expect(canManageAdmin(adminOf(t.province), adminOf(t.graduateClass))).toBe(true);
  });

  it("admin codes and removal: never a peer of the same organization, nor one below or beside", () => {
    expect(canManageAdmin(adminOf(t.township), adminOf(t.township))).toBe(false);
    expect(canManageAdmin(adminOf(t.township), adminOf(t.county))).toBe(false);
    expect(canManageAdmin(adminOf(t.university), adminOf(t.township))).toBe(false);
  });
});
