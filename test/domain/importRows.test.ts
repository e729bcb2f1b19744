import { describe, expect, it } from "vitest";
import {
  columnsOf,
  IMPORT_KINDS,
  idNumberOfCell,
  type MemberRow,
  matchHeader,
  monthOfCell,
  parsePath,
  placeMember,
} from "../../src/domain/importRows.ts";
import type { OrgNode } from "../../src/domain/tree.ts";
import { translator } from "../../src/i18n.ts";
import { org } from "../helpers/orgFixtures.ts";

describe("import rows", () => {
  it("months as people and Excel write them", () => {
    expect(monthOfCell("2026-06")).toBe("2026-06");
    expect(monthOfCell("2026年6月")).toBe("2026-06");
    expect(monthOfCell("2026年6月30日")).toBe("2026-06");
    expect(monthOfCell("2026/6/30")).toBe("2026-06");
    expect(monthOfCell("202606")).toBe("2026-06");
    expect(monthOfCell(202606)).toBe("2026-06");
    // An Excel date cell: 2026-06-30 is day 46203 of Excel's calendar.
    expect(monthOfCell(46203)).toBe("2026-06");
    expect(monthOfCell("June")).toBe("invalid");
    expect(monthOfCell(null)).toBeNull();
  });

  it("R4: an ID number in a numeric cell is refused: Excel kept only 15 digits", () => {
    expect(idNumberOfCell(110105194912310000)).toEqual({ ok: false, problem: "id_numeric" });
    expect(idNumberOfCell("11010519491231002x")).toMatchObject({
      ok: true,
      idNumber: "11010519491231002X",
    });
    expect(idNumberOfCell("110105194912310021")).toEqual({ ok: false, problem: "id_checksum" });
  });

  it("paths split on / and its full-width form", () => {
    expect(parsePath(" 团山西省委／团太原市委 / 某团支部 ")).toEqual([
      "团山西省委",
      "团太原市委",
      "某团支部",
    ]);
    expect(parsePath("")).toBeNull();
  });

  it("every template header, in both languages and marked required, is recognized", () => {
    for (const locale of ["zh-CN", "en"] as const) {
      const t = translator(locale);
      for (const kind of IMPORT_KINDS) {
        const headers = columnsOf(kind).map((k) => {
          const key: string = `import:column.${kind}.${k}`;
          return `${t(key)}*`;
        });
        const match = matchHeader(headers);
        expect(match?.kind).toBe(kind);
        expect(Object.keys(match!.columns)).toHaveLength(headers.length);
      }
    }
  });
});

describe("placing an imported member in their branch", () => {
  const branch = (fields: Partial<OrgNode> = {}) =>
    org(7, null, { kind: "branch", graduationMonth: "2026-06", ...fields });
  const row = (fields: Partial<MemberRow> = {}): MemberRow => ({
    name: "甲",
    idNumber: "x",
    birthDate: "2004-01-15",
    branchPath: ["a"],
    identity: "graduate",
    graduationMonth: null,
    delayedReason: null,
    ...fields,
  });
  const place = (r: MemberRow, b: OrgNode, alreadyThere = false) =>
    placeMember({ row: r, branch: b, alreadyThere, seasonYear: 2026, today: "2026-03-01" });

  it("R6: a member's own month only in a mixed branch; graduates take the branch's", () => {
    expect(place(row(), branch())).toMatchObject({
      ok: true,
      value: { graduationMonth: "2026-06", graduationBranchId: 7 },
    });
    expect(place(row({ graduationMonth: "2027-06" }), branch())).toMatchObject({
      ok: false,
      problem: "month_not_mixed",
    });
    expect(
      place(
        row({ graduationMonth: "2027-06" }),
        branch({ graduationMonth: null, graduationUnsetReason: "mixed_branch" }),
      ),
    ).toMatchObject({ ok: true, value: { graduationMonth: "2027-06", graduationYear: 2027 } });
  });

  it("R9: a delayed graduate needs a later month and a reason", () => {
    expect(place(row({ identity: "delayed" }), branch())).toMatchObject({
      problem: "delayed_needs_month",
    });
    expect(place(row({ identity: "delayed", graduationMonth: "2027-06" }), branch())).toMatchObject(
      {
        problem: "delayed_reason_required",
      },
    );
    expect(
      place(
        row({ identity: "delayed", graduationMonth: "2026-06", delayedReason: "病休" }),
        branch(),
      ),
    ).toMatchObject({ problem: "delayed_not_later", detail: { branchMonth: "2026-06" } });
  });

  it("R31 refuses 28 or older in the graduation month; R2 no one new in a graduate organization", () => {
    expect(place(row({ birthDate: "1998-06-30" }), branch())).toMatchObject({
      problem: "ages_out",
    });
    expect(place(row({ birthDate: "1998-07-01" }), branch())).toMatchObject({ ok: true });
    expect(place(row({ birthDate: "1960-01-01", identity: "teacher" }), branch())).toMatchObject({
      ok: true,
    });
    expect(place(row(), branch({ category: "graduate" }))).toMatchObject({
      problem: "graduate_branch",
    });
    expect(place(row(), branch({ category: "graduate" }), true)).toMatchObject({ ok: true });
    expect(place(row(), branch({ kind: "general_branch" }))).toMatchObject({
      problem: "not_a_branch",
    });
  });
});
