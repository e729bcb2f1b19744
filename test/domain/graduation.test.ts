import { describe, expect, it } from "vitest";
import { isStrictlyLaterMonth, isValidMonth, yearOfMonth } from "../../src/domain/graduation.ts";

describe("R6 graduation months are YYYY-MM", () => {
  it.each(["2026-06", "2026-01", "2026-12", "1999-07", "2100-09"])("R6 accepts %s", (m) => {
    expect(isValidMonth(m)).toBe(true);
  });

  it.each([
    "2026-00",
    "2026-13",
    "2026-6",
    "26-06",
    "2026/06",
    "2026-06-01",
    " 2026-06",
    "2026-06 ",
    "1899-12",
    "2200-01",
    "",
    "abcd-ef",
  ])("R6 refuses %j", (m) => {
    expect(isValidMonth(m)).toBe(false);
  });

  it("R7 yearOfMonth reads the graduation year", () => {
    expect(yearOfMonth("2026-06")).toBe(2026);
    expect(yearOfMonth("2021-12")).toBe(2021);
    expect(yearOfMonth("2000-01")).toBe(2000);
  });
});

describe("R9 a delayed graduate's date is strictly later than the branch's", () => {
  it('R9 "2026-07" is not later than "2026-07"', () => {
    expect(isStrictlyLaterMonth("2026-07", "2026-07")).toBe(false);
  });

  it("R9 an earlier month is not later", () => {
    expect(isStrictlyLaterMonth("2026-06", "2026-07")).toBe(false);
    expect(isStrictlyLaterMonth("2025-12", "2026-01")).toBe(false);
  });

  it("R9 a later month, also across the year, is later", () => {
    expect(isStrictlyLaterMonth("2026-08", "2026-07")).toBe(true);
    expect(isStrictlyLaterMonth("2027-01", "2026-12")).toBe(true);
    expect(isStrictlyLaterMonth("2026-10", "2026-09")).toBe(true);
  });
});
