import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { openSheet } from "../../../src/services/sheets/read.ts";
import type { SheetRow } from "../../../src/services/sheets/rows.ts";
import { readTable } from "../../../src/services/sheets/table.ts";
import {
  type Cell,
  type FileFormat,
  idNumber,
  sheetFile,
  workbookBuffer,
} from "../../helpers/sheetFiles.ts";

async function all(rows: AsyncIterable<SheetRow>): Promise<SheetRow[]> {
  const out: SheetRow[] = [];
  for await (const r of rows) out.push(r);
  return out;
}

const ID = idNumber("20030512", 21);
const TABLE: Cell[][] = [
  ["2026届毕业生团员名单（团太原工学院委员会）"],
  [],
  ["身份证号", "姓名", "所在团支部", "毕业时间"],
  [ID, "张三丰", "团山西省委/太原工学院团委/计算机学院团总支/计算机2201团支部", "2026-06"],
  [110105194912310000, "李四", "团山西省委/太原工学院团委/计算机学院团总支/计算机2201团支部", ""],
];

describe("sheet readers", () => {
  it.each<FileFormat>(["xlsx", "xls", "csv-bom", "csv-utf8", "csv-gbk"])(
    "%s: the header row below a title, columns in any order, ID numbers as text, numeric cells as numbers",
    async (format) => {
      const path = sheetFile(TABLE, format);
      const table = await readTable(await openSheet({ name: path, path }));
      expect(table).toMatchObject({
        kind: "members",
        headerRow: 3,
        columns: { idNumber: 0, name: 1, branch: 2, graduationMonth: 3 },
      });
      const rows = await all(table!.rows);
      expect(rows.map((r) => r.row)).toEqual([4, 5]);
      expect(rows[0]!.cells.slice(0, 2)).toEqual([ID, "张三丰"]);
      expect(rows[0]!.cells[2]).toContain("计算机2201团支部");
      // Excel writes a numeric cell to CSV as 1.10105E+17: still a number when read.
      expect(typeof rows[1]!.cells[0]).toBe("number");
    },
  );

  it("xlsx: CJK text split across stream chunks arrives whole (exceljs issue #2063)", async () => {
    const names = Array.from(
      { length: 6000 },
      (_, i) => `测试团员${"甲乙丙丁戊己庚辛壬癸"[i % 10]}${i}号`,
    );
    const rows: Cell[][] = [["姓名", "身份证号", "所在团支部"]];
    for (const [i, n] of names.entries())
      rows.push([n, idNumber("20030101", i), `团组织${i % 7}/支部`]);
    for (const shared of [true, false]) {
      const buffer = workbookBuffer(rows, "xlsx", shared);
      const table = await readTable(await openSheet({ name: "big.xlsx", buffer }));
      const read = await all(table!.rows);
      expect(read.map((r) => r.cells[0])).toEqual(names);
      expect(read.some((r) => String(r.cells[2]).includes("\uFFFD"))).toBe(false);
      expect(table!.progress()).toBe(1);
    }
  });

  it("a CSV that Excel wrote from a numeric cell keeps it a number (1.10105E+17)", async () => {
    const path = sheetFile(
      [
        ["姓名", "身份证号", "所在团支部"],
        ["王五", "1.10105E+17", "a/b"],
      ],
      "csv-bom",
    );
    const table = await readTable(await openSheet({ name: path, path }));
    const [row] = await all(table!.rows);
    expect(row!.cells[1]).toBe(110105000000000000);
    expect(readFileSync(path).subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
  });

  it("English headers; admins and organizations told apart by their columns", async () => {
    const admins = sheetFile(
      [
        ["Organization", "Name", "Phone"],
        ["a/b", "Li", "13800000000"],
      ],
      "csv-utf8",
    );
    expect(await readTable(await openSheet({ name: admins, path: admins }))).toMatchObject({
      kind: "admins",
      columns: { org: 0, name: 1, phone: 2 },
    });
    const orgs = sheetFile(
      [
        ["团组织全称", "组织类型", "级别"],
        ["a/b", "团委", "县级"],
      ],
      "xlsx",
    );
    expect(await readTable(await openSheet({ name: orgs, path: orgs }))).toMatchObject({
      kind: "organizations",
    });
    const none = sheetFile(
      [
        ["foo", "bar"],
        ["1", "2"],
      ],
      "csv-utf8",
    );
    expect(await readTable(await openSheet({ name: none, path: none }))).toBeNull();
  });
});
