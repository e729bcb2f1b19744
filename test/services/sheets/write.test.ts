/** The sheet writer (issue 18): ID columns as text, frozen header, widths, CSV with BOM. */
import { PassThrough } from "node:stream";
import ExcelJS from "exceljs";
import QRCode from "qrcode";
import { describe, expect, it } from "vitest";
import {
  displayWidth,
  type SheetSpec,
  sheetBuffer,
  writeSheet,
} from "../../../src/services/sheets/write.ts";

interface Person {
  name: string;
  id: string;
  at: Date;
  rate: number | null;
}

const spec: SheetSpec<Person> = {
  name: "成员",
  columns: [
    { header: "姓名", kind: "text", value: (p) => p.name },
    { header: "身份证号", kind: "text", value: (p) => p.id },
    { header: "时间", kind: "datetime", value: (p) => p.at },
    { header: "转接率", kind: "percent", value: (p) => p.rate },
  ],
  timeZone: "Asia/Shanghai",
};

const people: Person[] = [
  { name: "张三", id: "11010519491231002X", at: new Date("2026-09-30T16:30:00Z"), rate: 0.955 },
  { name: '=HYPERLINK("http://x")', id: "140105200401011234", at: new Date(0), rate: null },
];

async function readBack(buffer: Buffer): Promise<ExcelJS.Worksheet> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(buffer as unknown as ArrayBuffer);
  return workbook.worksheets[0]!;
}

describe("sheet writer (issue 18)", () => {
  it("writes ID numbers as text cells with the text format, under a frozen header (R4)", async () => {
    const sheet = await readBack(await sheetBuffer("xlsx", spec, people));
    expect(sheet.name).toBe("成员");
    expect(sheet.getRow(1).values).toEqual([undefined, "姓名", "身份证号", "时间", "转接率"]);
    const id = sheet.getCell("B2");
    expect(id.type).toBe(ExcelJS.ValueType.String);
    expect(id.value).toBe("11010519491231002X");
    expect(id.numFmt).toBe("@");
    expect(sheet.getCell("B3").value).toBe("140105200401011234");
    expect(sheet.views[0]).toMatchObject({ state: "frozen", ySplit: 1 });
    // The formula-looking name stays a plain string cell in .xlsx.
    expect(sheet.getCell("A3").type).toBe(ExcelJS.ValueType.String);
    expect(sheet.getCell("A3").value).toBe('=HYPERLINK("http://x")');
  });

  it("shows times as Asia/Shanghai wall clock and rates as percentages; empty stays empty", async () => {
    const sheet = await readBack(await sheetBuffer("xlsx", spec, people));
    const at = sheet.getCell("C2").value as Date;
    expect(at.toISOString()).toBe("2026-10-01T00:30:00.000Z");
    expect(sheet.getCell("C2").numFmt).toBe("yyyy-mm-dd hh:mm");
    expect(sheet.getCell("D2").value).toBe(0.955);
    expect(sheet.getCell("D2").numFmt).toBe("0.0%");
    expect(sheet.getCell("D3").value).toBeNull();
  });

  it("measures widths from the header and the rows (a CJK character counts 2)", async () => {
    const sheet = await readBack(await sheetBuffer("xlsx", spec, people));
    expect(sheet.getColumn(2).width).toBe(18 + 2);
    expect(sheet.getColumn(1).width).toBeGreaterThanOrEqual(displayWidth(people[1]!.name));
    expect(displayWidth("团支部ab")).toBe(8);
  });

  it("streams many rows from an async iterable and puts a title line above the header", async () => {
    async function* rows(): AsyncGenerator<Person> {
      for (let i = 0; i < 1000; i++) {
        yield { name: `成员${i}`, id: "11010519491231002X", at: new Date(0), rate: i / 1000 };
      }
    }
    const sheet = await readBack(await sheetBuffer("xlsx", { ...spec, title: "名单" }, rows()));
    expect(sheet.getCell("A1").value).toBe("名单");
    expect(sheet.getCell("A2").value).toBe("姓名");
    expect(sheet.views[0]).toMatchObject({ state: "frozen", ySplit: 2 });
    expect(sheet.rowCount).toBe(1002);
    expect(sheet.getCell("A1002").value).toBe("成员999");
  });

  it("writes CSV with a BOM, CRLF, wall-clock times and formula-looking text defused", async () => {
    const text = (await sheetBuffer("csv", spec, people)).toString("utf8");
    expect(text.charCodeAt(0)).toBe(0xfeff);
    const lines = text.slice(1).split("\r\n");
    expect(lines[0]).toBe("姓名,身份证号,时间,转接率");
    expect(lines[1]).toBe("张三,11010519491231002X,2026-10-01 00:30,95.5%");
    expect(lines[2]).toBe(`"'=HYPERLINK(""http://x"")",140105200401011234,1970-01-01 08:00,`);
  });

  it("anchors PNG images in their cells and leaves image columns out of CSV", async () => {
    const qr = await QRCode.toBuffer("https://example.org/?code=ABC", { width: 120 });
    const withImage: SheetSpec<{ code: string }> = {
      name: "codes",
      printable: true,
      timeZone: "Asia/Shanghai",
      columns: [
        { header: "code", kind: "text", value: (r) => r.code },
        { header: "QR", kind: "image", value: () => qr },
      ],
    };
    const rows = [{ code: "ABC" }, { code: "DEF" }];
    const sheet = await readBack(await sheetBuffer("xlsx", withImage, rows));
    expect(sheet.getImages()).toHaveLength(2);
    expect(sheet.pageSetup.orientation).toBe("landscape");
    const csv = (await sheetBuffer("csv", withImage, rows)).toString("utf8");
    expect(csv.slice(1).split("\r\n")[0]).toBe("code");
  });

  it("ends the stream it is given", async () => {
    const out = new PassThrough();
    out.resume();
    let ended = false;
    out.on("finish", () => {
      ended = true;
    });
    await writeSheet("xlsx", spec, [], out);
    expect(ended).toBe(true);
  });
});
