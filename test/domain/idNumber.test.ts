import { describe, expect, it } from "vitest";
import { ageOn, idCheckChar, maskIdNumber, parseIdNumber } from "../../src/domain/idNumber.ts";

describe("R4 ID numbers (GB 11643)", () => {
  it("accepts the standard's own example and reads the birth date", () => {
    expect(parseIdNumber("11010519491231002X")).toEqual({
      ok: true,
      idNumber: "11010519491231002X",
      birthDate: "1949-12-31",
    });
  });

  it("accepts a lowercase x as X and trims spaces", () => {
    expect(parseIdNumber(" 11010519491231002x ")).toMatchObject({
      ok: true,
      idNumber: "11010519491231002X",
    });
  });

  it("refuses a bad check character", () => {
    expect(parseIdNumber("110105194912310021")).toEqual({ ok: false, error: "id_checksum" });
  });

  it("refuses a date that does not exist (2001-02-29)", () => {
    const first17 = "14010520010229001";
    expect(parseIdNumber(first17 + idCheckChar(first17))).toEqual({
      ok: false,
      error: "id_birth_date",
    });
  });

  it("accepts 29 February of a leap year", () => {
    const first17 = "14010520000229001";
    expect(parseIdNumber(first17 + idCheckChar(first17))).toMatchObject({
      ok: true,
      birthDate: "2000-02-29",
    });
  });

  it("refuses the wrong length and letters in the digits", () => {
    expect(parseIdNumber("11010519491231002")).toEqual({ ok: false, error: "id_length" });
    expect(parseIdNumber("11010519491231002X1")).toEqual({ ok: false, error: "id_length" });
    expect(parseIdNumber("1101051949123A002X")).toEqual({ ok: false, error: "id_format" });
    expect(parseIdNumber("")).toEqual({ ok: false, error: "id_length" });
  });

  it("masks all but the first 6 and last 4 characters", () => {
    expect(maskIdNumber("11010519491231002X")).toBe("110105********002X");
  });

  it("computes completed years of age on a date (the day before and on the birthday)", () => {
    expect(ageOn("2010-09-01", "2026-08-31")).toBe(15);
    expect(ageOn("2010-09-01", "2026-09-01")).toBe(16);
    expect(ageOn("2008-02-29", "2024-02-28")).toBe(15);
    expect(ageOn("2008-02-29", "2024-02-29")).toBe(16);
  });
});
