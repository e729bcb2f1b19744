/** The rules issue 14 added or changed, as plain functions: R6, R22, R28, R30, R31. */
import { describe, expect, it } from "vitest";
import type { ApplicationState } from "../../src/domain/application.ts";
import { filingObstacle, LEAGUE_AGE_LIMIT, leavesLeagueByAge } from "../../src/domain/filing.ts";
import { graduationMonthProblem, parseMonth } from "../../src/domain/graduation.ts";
import { outcomeOf } from "../../src/domain/indicators.ts";
import { canDecideAtStage } from "../../src/domain/permissions.ts";
import {
  MIN_REASON_LENGTH,
  REJECT_PRESETS,
  rejectReasonProblem,
  writtenReasonProblem,
} from "../../src/domain/rejection.ts";
import { adminOf, demoTree } from "../helpers/orgFixtures.ts";

const t = demoTree();

describe("R31 28 or older in the graduation month leaves the league", () => {
  const person = (birthDate: string, graduationMonth: string | null, today = "2026-07-01") => ({
    identity: "graduate" as const,
    birthDate,
    graduationMonth,
    today,
  });

  it("R31 the limit is 28", () => {
    expect(LEAGUE_AGE_LIMIT).toBe(28);
  });

  it("R31 a birthday within the graduation month counts: 28 on its last day", () => {
    expect(leavesLeagueByAge(person("1998-06-30", "2026-06"))).toBe(true);
    expect(leavesLeagueByAge(person("1998-07-01", "2026-06"))).toBe(false);
    expect(leavesLeagueByAge(person("1990-01-01", "2026-06"))).toBe(true);
  });

  it("R31 without a graduation month the filing day decides; teachers are no graduates", () => {
    expect(leavesLeagueByAge(person("1998-06-30", null, "2026-06-29"))).toBe(false);
    expect(leavesLeagueByAge(person("1998-06-30", null, "2026-06-30"))).toBe(true);
    expect(leavesLeagueByAge({ ...person("1980-01-01", "2026-06"), identity: "teacher" })).toBe(
      false,
    );
  });
});

describe("R28 R31 who may have a transfer filed at all", () => {
  const base = {
    earlier: [] as { id: number; state: ApplicationState; retainAtSchool: boolean }[],
    initiator: "member" as const,
    currentBranch: t.classBranch,
    identity: "graduate" as const,
    birthDate: "2004-01-01",
    graduationMonth: "2026-06",
    today: "2026-08-01",
  };
  const completed = { id: 1, state: "completed" as const, retainAtSchool: false };

  it("one open application at a time", () => {
    expect(
      filingObstacle({ ...base, earlier: [{ id: 7, state: "pending", retainAtSchool: false }] }),
    ).toEqual({ reason: "already_open", applicationId: 7 });
    expect(
      filingObstacle({ ...base, earlier: [{ id: 7, state: "rejected", retainAtSchool: false }] }),
    ).toBeNull();
  });

  it("R31 a member 28 or older in the graduation month", () => {
    expect(filingObstacle({ ...base, birthDate: "1998-06-01" })).toEqual({
      reason: "leaves_league_by_age",
      limit: 28,
    });
  });

  it("R28 after a completed transfer the member or their organization start a follow-up", () => {
    expect(filingObstacle({ ...base, earlier: [completed] })).toBeNull();
    expect(filingObstacle({ ...base, earlier: [completed], initiator: "out_admin" })).toBeNull();
  });

  it("R28 an in-organization cannot receive someone already transferred; a retention is no transfer", () => {
    expect(filingObstacle({ ...base, earlier: [completed], initiator: "in_admin" })).toEqual({
      reason: "already_transferred",
    });
    expect(
      filingObstacle({
        ...base,
        earlier: [{ ...completed, retainAtSchool: true }],
        initiator: "in_admin",
      }),
    ).toBeNull();
  });

  it("R17 R28 members of the special-unit library file nothing here", () => {
    expect(
      filingObstacle({ ...base, earlier: [completed], currentBranch: t.specialUnitLibrary }),
    ).toEqual({ reason: "special_unit_member" });
  });
});

describe("§5 R28 a person's outcome", () => {
  const app = (id: number, state: ApplicationState, retainAtSchool = false) => ({
    id,
    state,
    retainAtSchool,
  });

  it("§5 the latest live application, none when all are dead", () => {
    expect(outcomeOf([app(1, "withdrawn"), app(2, "pending")])?.id).toBe(2);
    expect(outcomeOf([app(1, "rejected"), app(2, "auto_returned")])).toBeUndefined();
  });

  it("R28 a completed transfer stays the outcome whatever follows, the first if a follow-up completed", () => {
    expect(outcomeOf([app(1, "completed"), app(2, "pending")])?.id).toBe(1);
    expect(outcomeOf([app(1, "completed"), app(2, "completed")])?.id).toBe(1);
    expect(outcomeOf([app(2, "pending"), app(1, "completed")])?.id).toBe(1);
  });

  it("R28 R15 a retention at school stays until its follow-up completes", () => {
    expect(outcomeOf([app(1, "completed", true), app(2, "pending")])?.id).toBe(1);
    expect(outcomeOf([app(1, "completed", true), app(2, "rejected")])?.id).toBe(1);
    expect(outcomeOf([app(1, "completed", true), app(2, "completed")])?.id).toBe(2);
  });
});

describe("R23 R30 reasons", () => {
  it("R30 the presets are information wrong, not reported, person does not match", () => {
    expect([...REJECT_PRESETS]).toEqual(["information_wrong", "not_reported", "person_mismatch"]);
  });

  it("R23 a reason is written out: not empty, not a single character", () => {
    expect(MIN_REASON_LENGTH).toBe(2);
    expect(writtenReasonProblem("  ")).toBe("reason_required");
    expect(writtenReasonProblem(" 无 ")).toBe("reason_too_short");
    expect(writtenReasonProblem("名额已满")).toBeNull();
  });

  it("R30 a reason resting on household registration is refused, in Chinese or English", () => {
    expect(rejectReasonProblem("非本地户籍")).toBe("reason_household");
    expect(rejectReasonProblem("户口不在本街道")).toBe("reason_household");
    expect(rejectReasonProblem("No local Hukou")).toBe("reason_household");
    expect(rejectReasonProblem("信息错误")).toBeNull();
    expect(rejectReasonProblem("x")).toBe("reason_too_short");
  });
});

describe("R6 graduation months as people type them", () => {
  it("R6 2028-06, 2028-6, 2028/06, 2028.6 and 2028年6月 are one month", () => {
    for (const typed of ["2028-06", "2028-6", " 2028/06 ", "2028.6", "2028年6月", "2028 年 6 月"]) {
      expect(parseMonth(typed), typed).toBe("2028-06");
    }
  });

  it("R6 anything else is no month", () => {
    for (const typed of ["2028", "2028-13", "2028年", "六月", "2028-06-01", "20286", "2028年6日"]) {
      expect(parseMonth(typed), typed).toBeNull();
    }
  });

  it("R6 a month before the season's year is refused", () => {
    expect(graduationMonthProblem("2025-12", 2026)).toBe("month_before_season");
    expect(graduationMonthProblem("2026-01", 2026)).toBeNull();
    expect(graduationMonthProblem("2026-13", 2026)).toBe("invalid_month");
  });
});

describe("R22 the out-organization's release", () => {
  it("R22 the member's branch's admin or its direct superior's decides; not the in-organization", () => {
    expect(canDecideAtStage(adminOf(t.classBranch), "awaiting_out_org", t.classBranch)).toBe(true);
    expect(canDecideAtStage(adminOf(t.college), "awaiting_out_org", t.classBranch)).toBe(true);
    expect(canDecideAtStage(adminOf(t.university), "awaiting_out_org", t.classBranch)).toBe(false);
    expect(canDecideAtStage(adminOf(t.enterprise), "awaiting_out_org", t.classBranch)).toBe(false);
  });
});
