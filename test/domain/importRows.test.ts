import { describe, expect, it } from "vitest";
import {
  columnsOf,
  IMPORT_KINDS,
  idNumberOfCell,
  matchHeader,
  monthOfCell,
  parsePath,
} from "../../src/domain/importRows.ts";
import { translator } from "../../src/i18n.ts";

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
