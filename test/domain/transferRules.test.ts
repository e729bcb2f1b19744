import { describe, expect, it } from "vitest";
import { TRANSFER_REASONS, type TransferReason } from "../../src/domain/application.ts";
import {
  checkDestination,
  checkFields,
  destinationProblem,
  destinationSource,
  firstStage,
  isTownshipLevelReceiver,
  needsLeaderApproval,
  STAGE_STATE,
  TEXT_FIELD_MAX,
  type TransferRequest,
  UNDER16_AGE,
} from "../../src/domain/transferRules.ts";
import type { OrgNode } from "../../src/domain/tree.ts";
import { demoTree, org } from "../helpers/orgFixtures.ts";

const t = demoTree();

/** A complete request for each reason; tests take one and break exactly one thing. */
const VALID: Record<TransferReason, TransferRequest> = {
  further_study: {
    reason: "further_study",
    external: false,
    studyType: "university",
    schoolName: "太原理工大学",
    schoolAddress: "太原市迎泽西大街79号",
  },
  employed_with_org: {
    reason: "employed_with_org",
    external: false,
    employerName: "某公司",
    employerAddress: "太原市小店区",
  },
  employed_without_org: {
    reason: "employed_without_org",
    external: false,
    employerName: "某小店",
    employerAddress: "太原市小店区坞城路",
  },
  overseas: { reason: "overseas", external: false },
  not_placed: {
    reason: "not_placed",
    external: false,
    address: "太原市小店区坞城路1号",
    addressKind: "residence",
  },
  special_unit: { reason: "special_unit", external: false },
};

const EXTERNAL_TEXT = {
  externalOrgName: "北京某大学团委",
  externalOrgAddress: "北京市海淀区",
  externalOrgDetails: "联系人 某老师",
};

const req = (reason: TransferReason, extra: Partial<TransferRequest> = {}): TransferRequest => ({
  ...VALID[reason],
  ...extra,
});

describe("R12 checkFields: each reason's fields (M1.4.6)", () => {
  it.each(TRANSFER_REASONS)("R12 a complete %s request from the member passes", (reason) => {
    expect(checkFields(req(reason), "member")).toBeNull();
  });

  it.each(TRANSFER_REASONS)("R12 a complete %s request from the out-admin passes", (reason) => {
    expect(checkFields(req(reason), "out_admin")).toBeNull();
  });

  it("R12 further study needs one of the four study types", () => {
    expect(checkFields(req("further_study", { studyType: null }), "member")).toEqual({
      reason: "missing_field",
      field: "studyType",
    });
    expect(
      checkFields(req("further_study", { studyType: "kindergarten" as never }), "member"),
    ).toEqual({ reason: "missing_field", field: "studyType" });
    for (const studyType of [
      "general_high_school",
      "secondary_vocational",
      "university",
      "higher_vocational",
    ] as const) {
      expect(checkFields(req("further_study", { studyType }), "member")).toBeNull();
    }
  });

  it("R12 further study needs the school name and address (blank counts as missing)", () => {
    expect(checkFields(req("further_study", { schoolName: null }), "member")).toEqual({
      reason: "missing_field",
      field: "schoolName",
    });
    expect(checkFields(req("further_study", { schoolName: "   " }), "member")).toEqual({
      reason: "missing_field",
      field: "schoolName",
    });
    expect(checkFields(req("further_study", { schoolAddress: undefined }), "member")).toEqual({
      reason: "missing_field",
      field: "schoolAddress",
    });
  });

  it.each(["employed_with_org", "employed_without_org"] as const)(
    "R12 %s needs the employer name and address",
    (reason) => {
      expect(checkFields(req(reason, { employerName: "" }), "member")).toEqual({
        reason: "missing_field",
        field: "employerName",
      });
      expect(checkFields(req(reason, { employerAddress: " " }), "member")).toEqual({
        reason: "missing_field",
        field: "employerAddress",
      });
    },
  );

  it("R12 overseas and special unit need no fields at all", () => {
    expect(checkFields({ reason: "overseas", external: false }, "member")).toBeNull();
    expect(checkFields({ reason: "special_unit", external: false }, "member")).toBeNull();
  });

  it("R12 not placed needs an address and which kind of address it is", () => {
    expect(checkFields(req("not_placed", { address: "" }), "member")).toEqual({
      reason: "missing_field",
      field: "address",
    });
    expect(checkFields(req("not_placed", { addressKind: null }), "member")).toEqual({
      reason: "missing_field",
      field: "addressKind",
    });
    expect(checkFields(req("not_placed", { addressKind: "office" as never }), "member")).toEqual({
      reason: "missing_field",
      field: "addressKind",
    });
    expect(checkFields(req("not_placed", { addressKind: "household" }), "member")).toBeNull();
  });

  it("R12 a missing field is reported before a too-long one", () => {
    expect(
      checkFields(
        req("further_study", { schoolName: "x".repeat(300), schoolAddress: "" }),
        "member",
      ),
    ).toEqual({ reason: "missing_field", field: "schoolAddress" });
  });
});

describe("R12 text fields are at most 200 characters", () => {
  it("R12 the limit is 200", () => {
    expect(TEXT_FIELD_MAX).toBe(200);
  });

  it("R12 200 characters pass, 201 are refused with the field and the limit", () => {
    expect(checkFields(req("further_study", { schoolName: "x".repeat(200) }), "member")).toBeNull();
    expect(checkFields(req("further_study", { schoolName: "x".repeat(201) }), "member")).toEqual({
      reason: "field_too_long",
      field: "schoolName",
      max: 200,
    });
    expect(checkFields(req("not_placed", { address: "地".repeat(201) }), "member")).toEqual({
      reason: "field_too_long",
      field: "address",
      max: 200,
    });
  });

  it("R12 surrounding spaces do not count", () => {
    expect(
      checkFields(req("employed_with_org", { employerName: `  ${"x".repeat(200)}  ` }), "member"),
    ).toBeNull();
  });

  it("R19 the under-16 explanation is length-checked whatever the reason", () => {
    expect(
      checkFields(req("employed_with_org", { under16Explanation: "x".repeat(201) }), "member"),
    ).toEqual({ reason: "field_too_long", field: "under16Explanation", max: 200 });
    expect(
      checkFields(req("overseas", { under16Explanation: "x".repeat(200) }), "member"),
    ).toBeNull();
  });

  it("R12 a field the reason does not use is not checked", () => {
    expect(
      checkFields(req("further_study", { employerName: "x".repeat(500) }), "member"),
    ).toBeNull();
  });
});

describe("R20 external transfers need the destination as text", () => {
  it("R20 an external further-study request needs name, address and details", () => {
    const ext = req("further_study", { external: true, ...EXTERNAL_TEXT });
    expect(checkFields(ext, "member")).toBeNull();
    expect(checkFields({ ...ext, externalOrgName: "" }, "member")).toEqual({
      reason: "missing_field",
      field: "externalOrgName",
    });
    expect(checkFields({ ...ext, externalOrgAddress: null }, "member")).toEqual({
      reason: "missing_field",
      field: "externalOrgAddress",
    });
    expect(checkFields({ ...ext, externalOrgDetails: "  " }, "member")).toEqual({
      reason: "missing_field",
      field: "externalOrgDetails",
    });
  });

  it("R20 the reason's own fields are still required on an external request", () => {
    expect(
      checkFields(
        req("employed_with_org", { external: true, ...EXTERNAL_TEXT, employerName: "" }),
        "member",
      ),
    ).toEqual({ reason: "missing_field", field: "employerName" });
  });

  it("R20 external text fields are length-checked", () => {
    expect(
      checkFields(
        req("not_placed", {
          external: true,
          ...EXTERNAL_TEXT,
          externalOrgDetails: "x".repeat(201),
        }),
        "member",
      ),
    ).toEqual({ reason: "field_too_long", field: "externalOrgDetails", max: 200 });
  });

  it("R20 no external text where no destination is chosen (overseas, special unit, retain)", () => {
    expect(checkFields(req("overseas", { external: true }), "member")).toBeNull();
    expect(checkFields(req("special_unit", { external: true }), "member")).toBeNull();
    expect(
      checkFields(req("not_placed", { external: true, retainAtSchool: true }), "member"),
    ).toBeNull();
  });

  it("R20 a non-external request needs no external text", () => {
    expect(checkFields(req("further_study", { external: false }), "member")).toBeNull();
  });
});

describe("R11 the in-organization's admin may only give further study", () => {
  it("R11 in_admin with further study passes", () => {
    expect(checkFields(req("further_study"), "in_admin")).toBeNull();
  });

  it.each(TRANSFER_REASONS.filter((r) => r !== "further_study"))(
    "R11 in_admin with %s is refused",
    (reason) => {
      expect(checkFields(req(reason), "in_admin")).toEqual({
        reason: "in_admin_further_study_only",
      });
    },
  );

  it("R11 the initiator refusal comes before any field check", () => {
    expect(checkFields({ reason: "not_placed", external: false }, "in_admin")).toEqual({
      reason: "in_admin_further_study_only",
    });
  });
});

describe("R18 a school filing 'not placed' must give the residence address", () => {
  it("R18 out_admin with a household address is refused", () => {
    expect(checkFields(req("not_placed", { addressKind: "household" }), "out_admin")).toEqual({
      reason: "residence_required",
    });
  });

  it("R18 out_admin with a residence address passes", () => {
    expect(checkFields(req("not_placed", { addressKind: "residence" }), "out_admin")).toBeNull();
  });

  it("R18 R15 the member may give the household address", () => {
    expect(checkFields(req("not_placed", { addressKind: "household" }), "member")).toBeNull();
  });

  it("R18 the address itself is still required of the out_admin", () => {
    expect(checkFields(req("not_placed", { address: null }), "out_admin")).toEqual({
      reason: "missing_field",
      field: "address",
    });
  });
});

describe("R15 retaining at school is only for 'not placed'", () => {
  it("R15 not placed with retain passes", () => {
    expect(checkFields(req("not_placed", { retainAtSchool: true }), "member")).toBeNull();
  });

  it.each(TRANSFER_REASONS.filter((r) => r !== "not_placed"))(
    "R15 %s with retain is refused",
    (reason) => {
      expect(checkFields(req(reason, { retainAtSchool: true }), "member")).toEqual({
        reason: "retain_not_for_reason",
      });
    },
  );
});

describe("R15 R16 R17 destinationSource", () => {
  it("R17 special unit has none", () => {
    expect(destinationSource(req("special_unit"))).toBe("none");
  });
  it("R16 overseas goes to the school's overseas branch", () => {
    expect(destinationSource(req("overseas"))).toBe("overseas_branch");
  });
  it("R15 not placed + retain goes to the school's flow branch", () => {
    expect(destinationSource(req("not_placed", { retainAtSchool: true }))).toBe(
      "school_flow_branch",
    );
  });
  it("R13 R14 R15 the others are chosen by the applicant", () => {
    expect(destinationSource(req("not_placed"))).toBe("chosen");
    expect(destinationSource(req("not_placed", { retainAtSchool: false }))).toBe("chosen");
    expect(destinationSource(req("further_study"))).toBe("chosen");
    expect(destinationSource(req("employed_with_org"))).toBe("chosen");
    expect(destinationSource(req("employed_without_org"))).toBe("chosen");
  });
});

const problem = (reason: TransferReason, dest: OrgNode, external = false) =>
  destinationProblem({ reason, external }, dest, t.aboveOf(dest));

describe("R2 a graduate organization is never a destination", () => {
  it.each(TRANSFER_REASONS)("R2 %s to a graduate organization is refused", (reason) => {
    expect(problem(reason, t.graduateClass)).toEqual({ reason: "destination_graduate_org" });
    expect(problem(reason, t.schoolOnlyBranch)).toEqual({ reason: "destination_graduate_org" });
  });

  it("R2 also on an external request", () => {
    const extGraduate = org(31, t.beijing, { category: "graduate", isExternalProvince: true });
    expect(problem("further_study", extGraduate, true)).toEqual({
      reason: "destination_graduate_org",
    });
  });
});

describe("R16 R17 R9 system-made organizations are never chosen", () => {
  it.each([
    ["special-unit library", t.specialUnitLibrary],
    ["overseas branch", t.overseasBranch],
    ["delayed-graduation org", t.delayedOrg],
  ])("R17 R16 R9 %s is refused for every reason", (_label, dest) => {
    for (const reason of TRANSFER_REASONS) {
      expect(problem(reason, dest)).toEqual({ reason: "destination_not_allowed" });
    }
  });
});

describe("R13 further study goes to a school-domain organization", () => {
  it("R13 a school committee, a college general branch, a class branch are accepted", () => {
    expect(problem("further_study", t.university)).toBeNull();
    expect(problem("further_study", t.college)).toBeNull();
    expect(problem("further_study", t.classBranch)).toBeNull();
    expect(problem("further_study", t.uncodedSchool)).toBeNull();
  });

  it("R13 a township (residence) committee is refused", () => {
    expect(problem("further_study", t.township)).toEqual({ reason: "destination_not_school" });
  });

  it("R13 a county flow branch, an enterprise or a county committee is refused", () => {
    expect(problem("further_study", t.countyFlowBranch)).toEqual({
      reason: "destination_not_school",
    });
    expect(problem("further_study", t.enterprise)).toEqual({ reason: "destination_not_school" });
    expect(problem("further_study", t.county)).toEqual({ reason: "destination_not_school" });
  });

  it("R13 R15 a school's flow branch is not choosable (reached only by retaining)", () => {
    expect(problem("further_study", t.schoolFlowBranch)).toEqual({
      reason: "destination_not_allowed",
    });
  });
});

describe("R14 R15 employed without an org / not placed: township or county flow branch", () => {
  it.each(["employed_without_org", "not_placed"] as const)(
    "R14 R15 %s: a township committee or a county committee's flow branch is accepted",
    (reason) => {
      expect(problem(reason, t.township)).toBeNull();
      expect(problem(reason, t.countyFlowBranch)).toBeNull();
    },
  );

  it.each(["employed_without_org", "not_placed"] as const)(
    "R14 R15 %s: a county committee, a branch outside a township, an enterprise or a school is refused",
    (reason) => {
      const refused = { reason: "destination_not_township" };
      expect(problem(reason, t.county)).toEqual(refused);
      expect(problem(reason, t.city)).toEqual(refused);
      expect(problem(reason, t.enterpriseBranch)).toEqual(refused);
      expect(problem(reason, t.enterprise)).toEqual(refused);
      expect(problem(reason, t.university)).toEqual(refused);
    },
  );

  it.each(["employed_without_org", "not_placed"] as const)(
    "R14 R15 %s: a township's own community branch and flow branch receive (its subtree)",
    (reason) => {
      expect(problem(reason, t.communityBranch)).toBeNull();
      expect(problem(reason, t.townshipFlowBranch)).toBeNull();
    },
  );

  it.each(["employed_without_org", "not_placed"] as const)(
    "R14 R15 %s: a school flow branch is not choosable",
    (reason) => {
      expect(problem(reason, t.schoolFlowBranch)).toEqual({ reason: "destination_not_allowed" });
    },
  );

  it("R14 a county flow branch whose parent is unknown is not choosable", () => {
    expect(
      destinationProblem({ reason: "not_placed", external: false }, t.countyFlowBranch, []),
    ).toEqual({ reason: "destination_not_allowed" });
  });

  it("R14 isTownshipLevelReceiver: a township-level organization or one in its subtree, or a county committee's flow branch", () => {
    expect(isTownshipLevelReceiver(t.township, t.aboveOf(t.township))).toBe(true);
    expect(isTownshipLevelReceiver(t.countyFlowBranch, t.aboveOf(t.countyFlowBranch))).toBe(true);
    expect(isTownshipLevelReceiver(t.countyFlowBranch, [])).toBe(false);
    expect(isTownshipLevelReceiver(t.townshipFlowBranch, t.aboveOf(t.townshipFlowBranch))).toBe(
      true,
    );
    expect(isTownshipLevelReceiver(t.schoolFlowBranch, t.aboveOf(t.schoolFlowBranch))).toBe(false);
    expect(isTownshipLevelReceiver(t.county, t.aboveOf(t.county))).toBe(false);
    expect(isTownshipLevelReceiver(t.communityBranch, t.aboveOf(t.communityBranch))).toBe(true);
  });

  it("R14 a street's 团工委 (a working committee at township level) receives like a 团委", () => {
    const gongwei = org(80, t.county, {
      name: "某街道团工委",
      kind: "working_committee",
      level: "township",
      domain: "community",
    });
    const branch = org(81, gongwei, { name: "某社区团支部", domain: "community" });
    for (const reason of ["employed_without_org", "not_placed"] as const) {
      expect(
        destinationProblem({ reason, external: false }, gongwei, t.aboveOf(gongwei)),
      ).toBeNull();
      expect(
        destinationProblem({ reason, external: false }, branch, [...t.aboveOf(gongwei), gongwei]),
      ).toBeNull();
    }
  });
});

describe("M1.4.6 employed with a league org: the employer's organization", () => {
  it("M1.4.6 an enterprise committee or branch, a township, a system committee are accepted", () => {
    expect(problem("employed_with_org", t.enterprise)).toBeNull();
    expect(problem("employed_with_org", t.enterpriseBranch)).toBeNull();
    expect(problem("employed_with_org", t.township)).toBeNull();
    expect(problem("employed_with_org", t.railway)).toBeNull();
  });
});

describe("R20 external destinations", () => {
  it("R20 an external request needs an external-province destination", () => {
    expect(problem("further_study", t.beijing, true)).toBeNull();
    expect(problem("employed_without_org", t.beijing, true)).toBeNull();
    expect(problem("further_study", t.university, true)).toEqual({
      reason: "destination_not_external",
    });
    expect(problem("not_placed", t.township, true)).toEqual({
      reason: "destination_not_external",
    });
  });

  it("R20 a non-external request refuses an external-province destination", () => {
    for (const reason of TRANSFER_REASONS) {
      expect(problem(reason, t.beijing)).toEqual({ reason: "destination_not_allowed" });
    }
  });
});

describe("checkDestination: the whole destination check of a request", () => {
  const check = (
    request: TransferRequest,
    dest: OrgNode | undefined,
    memberBranch: OrgNode = t.graduateClass,
  ) => checkDestination(request, dest, dest ? t.aboveOf(dest) : [], memberBranch);

  it("R16 R17 R15 overseas, special unit and retain must not carry a chosen destination", () => {
    const refused = { reason: "no_destination_for_reason" };
    expect(check(req("overseas", { destinationOrgId: 12 }), t.overseasBranch)).toEqual(refused);
    expect(check(req("special_unit", { destinationOrgId: 2 }), t.province)).toEqual(refused);
    expect(
      check(req("not_placed", { retainAtSchool: true, destinationOrgId: 5 }), t.township),
    ).toEqual(refused);
  });

  it("R16 R17 R15 without a destination they pass", () => {
    expect(check(req("overseas"), undefined)).toBeNull();
    expect(check(req("special_unit", { destinationOrgId: null }), undefined)).toBeNull();
    expect(check(req("not_placed", { retainAtSchool: true }), undefined)).toBeNull();
  });

  it("R12 a chosen destination is required", () => {
    for (const reason of [
      "further_study",
      "employed_with_org",
      "employed_without_org",
      "not_placed",
    ] as const) {
      expect(check(req(reason), undefined)).toEqual({
        reason: "missing_field",
        field: "destination",
      });
    }
  });

  it("R2 R13 R14 the destination rules apply", () => {
    expect(check(req("further_study", { destinationOrgId: 15 }), t.graduateClass)).toEqual({
      reason: "destination_graduate_org",
    });
    expect(check(req("further_study", { destinationOrgId: 5 }), t.township)).toEqual({
      reason: "destination_not_school",
    });
    expect(check(req("employed_without_org", { destinationOrgId: 4 }), t.county)).toEqual({
      reason: "destination_not_township",
    });
  });

  it("R13 R14 R15 valid destinations pass", () => {
    expect(check(req("further_study", { destinationOrgId: 60 }), t.uncodedSchool)).toBeNull();
    expect(check(req("not_placed", { destinationOrgId: 5 }), t.township)).toBeNull();
    expect(check(req("employed_without_org", { destinationOrgId: 7 }), t.countyFlowBranch)).toBe(
      null,
    );
    expect(check(req("employed_with_org", { destinationOrgId: 51 }), t.enterpriseBranch)).toBe(
      null,
    );
  });

  it("R24 the member's own branch is refused; a committee above it may receive them", () => {
    expect(
      check(req("further_study", { destinationOrgId: 16 }), t.classBranch, t.classBranch),
    ).toEqual({ reason: "destination_is_current" });
    // A graduate student staying at their own university.
    expect(check(req("further_study", { destinationOrgId: 10 }), t.university)).toBeNull();
    expect(check(req("further_study", { destinationOrgId: 14 }), t.college)).toBeNull();
  });

  it("R24 a sibling branch of the member's branch is not 'current'", () => {
    expect(check(req("further_study", { destinationOrgId: 16 }), t.classBranch)).toBeNull();
  });

  it("R20 an external request to an external province passes; its text fields are checked elsewhere", () => {
    expect(
      check(req("further_study", { external: true, destinationOrgId: 30 }), t.beijing),
    ).toBeNull();
    expect(
      check(req("further_study", { external: true, destinationOrgId: 10 }), t.university),
    ).toEqual({ reason: "destination_not_external" });
  });
});

describe("R19 under 16 and outside the school domain needs the leading organ's approval", () => {
  it("R19 the threshold is 16", () => {
    expect(UNDER16_AGE).toBe(16);
  });

  it("R19 15 on the filing day, non-school destination → needed", () => {
    expect(needsLeaderApproval("2010-09-01", "2026-08-31", "employed_with_org", "rural")).toBe(
      true,
    );
    expect(needsLeaderApproval("2010-09-01", "2026-08-31", "employed_with_org", "community")).toBe(
      true,
    );
    expect(needsLeaderApproval("2010-09-01", "2026-08-31", "employed_with_org", "enterprise")).toBe(
      true,
    );
  });

  it("R19 on the 16th birthday itself → not needed", () => {
    expect(needsLeaderApproval("2010-09-01", "2026-09-01", "employed_with_org", "rural")).toBe(
      false,
    );
  });

  it("R19 16 and older → not needed", () => {
    expect(needsLeaderApproval("2010-09-01", "2026-09-02", "employed_with_org", "rural")).toBe(
      false,
    );
    expect(needsLeaderApproval("2004-05-20", "2026-07-01", "employed_with_org", "enterprise")).toBe(
      false,
    );
  });

  it("R19 a school-domain destination never needs it, however young", () => {
    expect(needsLeaderApproval("2010-09-01", "2026-08-31", "employed_with_org", "school")).toBe(
      false,
    );
    expect(needsLeaderApproval("2012-01-01", "2026-07-01", "employed_with_org", "school")).toBe(
      false,
    );
  });

  it("R19 further study never needs it, an external one included (its destination is a school)", () => {
    expect(needsLeaderApproval("2012-01-01", "2026-07-01", "further_study", "other")).toBe(false);
    expect(needsLeaderApproval("2012-01-01", "2026-07-01", "employed_with_org", "other")).toBe(
      true,
    );
  });

  it("R19 R17 no destination (special unit) never needs it", () => {
    expect(needsLeaderApproval("2010-09-01", "2026-08-31", "employed_with_org", null)).toBe(false);
  });
});

describe("R17 R19 R22 the first approval stage", () => {
  it("R22 an in-organization's start waits for the out-organization's release", () => {
    expect(firstStage(req("further_study"), false, "in_admin")).toBe("out");
    expect(STAGE_STATE.out).toBe("awaiting_out_org");
    expect(firstStage(req("further_study"), false, "out_admin")).toBe("receiver");
  });

  it("R17 special unit always starts at the province, even under 16", () => {
    expect(firstStage(req("special_unit"), false, "member")).toBe("province");
    expect(firstStage(req("special_unit"), true, "member")).toBe("province");
  });

  it("R19 leader approval needed → leader, else the receiver", () => {
    expect(firstStage(req("employed_without_org"), true, "member")).toBe("leader");
    expect(firstStage(req("employed_without_org"), false, "member")).toBe("receiver");
    expect(firstStage(req("further_study"), false, "member")).toBe("receiver");
    expect(firstStage(req("overseas"), false, "member")).toBe("receiver");
  });

  it("R17 R19 R22 stages map to awaiting_province, awaiting_leader, awaiting_out_org, pending", () => {
    expect(STAGE_STATE).toEqual({
      leader: "awaiting_leader",
      province: "awaiting_province",
      out: "awaiting_out_org",
      receiver: "pending",
    });
  });
});
