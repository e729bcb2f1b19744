/**
 * The exports of issue 18 on both databases: who may have which (R4 full ID numbers for a
 * leading organ in a private chat only), the to-enter list and its ticking off, the 通报
 * ranking worst first, the pending list, the history (R25) and the binding-code sheet.
 */
import { eq } from "drizzle-orm";
import ExcelJS from "exceljs";
import { beforeEach, describe, expect, it } from "vitest";
import { bindingCodes } from "../../../src/db/schema.ts";
import { maskIdNumber } from "../../../src/domain/idNumber.ts";
import { approve } from "../../../src/services/decisions/index.ts";
import {
  adminViewer,
  allowedKinds,
  buildExport,
  countToEnter,
  type ExportViewer,
  markEntered,
  operatorViewer,
} from "../../../src/services/exports/index.ts";
import { loadOrg } from "../../../src/services/orgStore.ts";
import { setTarget } from "../../../src/services/targets.ts";
import { fileApplication } from "../../../src/services/transfers.ts";
import { DB_KINDS, useTestDatabase } from "../../helpers/db.ts";
import { TEST_SEASON } from "../../helpers/season.ts";
import { buildWorld, furtherStudy, shanghai, type World, YEAR } from "../../helpers/world.ts";

const SEP = shanghai(`${YEAR}-09-03T09:00:00`);
const LATER = shanghai(`${YEAR}-09-05T10:00:00`);

async function sheetOf(data: Buffer): Promise<ExcelJS.Worksheet> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(data as unknown as ArrayBuffer);
  return workbook.worksheets[0]!;
}

/** The rows under the header as arrays of cell values. */
function body(sheet: ExcelJS.Worksheet, headerRow = 1): unknown[][] {
  const rows: unknown[][] = [];
  sheet.eachRow((row, n) => {
    if (n > headerRow) rows.push((row.values as unknown[]).slice(1));
  });
  return rows;
}

describe.each(DB_KINDS)("exports on %s", (kind) => {
  const database = useTestDatabase(kind);
  const db = () => database.current.db;
  let w: World;
  const request = (k: Parameters<typeof buildExport>[2]["kind"], extra = {}) => ({
    kind: k,
    format: "xlsx" as const,
    locale: "zh-CN" as const,
    now: LATER,
    season: TEST_SEASON,
    ...extra,
  });
  const viewer = async (admin: keyof World["admin"], privateChat = true) =>
    (await adminViewer(db(), w.admin[admin], privateChat))!;

  /** m1 → VB (completed on approval), m2 → V (pending at the school committee). */
  async function transfers() {
    const done = await fileApplication(db(), furtherStudy(w.member.m1, w.org.VB), SEP, TEST_SEASON);
    if (!done.ok) throw new Error("filing failed");
    await approve(db(), { adminId: w.admin.VB, applicationId: done.applicationId }, SEP);
    const open = await fileApplication(db(), furtherStudy(w.member.m2, w.org.V), SEP, TEST_SEASON);
    if (!open.ok) throw new Error("filing failed");
    return { done: done.applicationId, open: open.applicationId };
  }

  beforeEach(async () => {
    w = await buildWorld(db());
  });

  it("offers the ranking to leading organs only and binding codes in private chats only", async () => {
    expect(allowedKinds(await viewer("U"), true)).toEqual([
      "toEnter",
      "pending",
      "history",
      "codes",
    ]);
    expect(allowedKinds(await viewer("T"), true)).toEqual([
      "toEnter",
      "ranking",
      "pending",
      "history",
      "codes",
    ]);
    expect(allowedKinds(await viewer("T", false), false)).toEqual([
      "toEnter",
      "ranking",
      "pending",
      "history",
    ]);
    const refused = await buildExport(db(), await viewer("U"), request("ranking"), true);
    expect(refused).toEqual({ ok: false, reason: "leading_organ_only" });
  });

  it("lists completed transfers not yet entered, masked for a school, full for a province in private only (R4)", async () => {
    const { done } = await transfers();
    const school = await buildExport(db(), await viewer("U"), request("toEnter"), true);
    if (!school.ok) throw new Error(school.reason);
    expect(school.file.name).toBe(`待录入智慧团建-山西示范大学团委-${YEAR}-09-05.xlsx`);
    expect(school.applicationIds).toEqual([done]);
    const sheet = await sheetOf(school.file.data);
    expect((sheet.getRow(1).values as unknown[]).slice(1)).toEqual([
      "申请编号",
      "姓名",
      "身份证号",
      "转出团组织全称",
      "转入团组织全称",
      "转接原因",
      "审批日期",
      "审批人",
    ]);
    const [row] = body(sheet);
    expect(row?.slice(0, 6)).toEqual([
      done,
      "张小明",
      maskIdNumber(w.idNumber.m1),
      "计算机2022级1班团支部",
      "研究生2026级1班团支部",
      "升学",
    ]);
    expect(row?.[7]).toBe("管理员VB");
    expect(sheet.getCell("C2").numFmt).toBe("@");

    const provincePrivate = await buildExport(db(), await viewer("P"), request("toEnter"), true);
    if (!provincePrivate.ok) throw new Error(provincePrivate.reason);
    expect(body(await sheetOf(provincePrivate.file.data))[0]?.[2]).toBe(w.idNumber.m1);
    const provinceGroup = await buildExport(
      db(),
      await viewer("P", false),
      request("toEnter"),
      false,
    );
    if (!provinceGroup.ok) throw new Error(provinceGroup.reason);
    expect(body(await sheetOf(provinceGroup.file.data))[0]?.[2]).toBe(maskIdNumber(w.idNumber.m1));
    // An organization the transfer neither leaves nor enters does not see it.
    const other = await buildExport(db(), await viewer("E"), request("toEnter"), true);
    expect(other.ok && other.file.rows).toBe(0);
  });

  it("ticked transfers leave every list; a tick outside one's list changes nothing", async () => {
    const { done, open } = await transfers();
    const u = await loadOrg(db(), w.org.U);
    expect(await countToEnter(db(), u!.path)).toBe(1);
    const outsider = await markEntered(db(), {
      adminId: w.admin.E,
      applicationIds: [done],
      now: LATER,
    });
    expect(outsider).toEqual({ ok: true, entered: 0, skipped: 1 });
    const notCompleted = await markEntered(db(), {
      adminId: w.admin.U,
      applicationIds: [open],
      now: LATER,
    });
    expect(notCompleted).toEqual({ ok: true, entered: 0, skipped: 1 });
    const ticked = await markEntered(db(), {
      adminId: w.admin.VB,
      applicationIds: [done],
      now: LATER,
    });
    expect(ticked).toEqual({ ok: true, entered: 1, skipped: 0 });
    expect(await countToEnter(db(), u!.path)).toBe(0);
    const again = await markEntered(db(), {
      adminId: w.admin.U,
      applicationIds: [done],
      now: LATER,
    });
    expect(again).toEqual({ ok: true, entered: 0, skipped: 1 });
    const school = await buildExport(db(), await viewer("U"), request("toEnter"), true);
    expect(school.ok && school.file.rows).toBe(0);
  });

  it("writes the pending list oldest first and the history of every action (R25)", async () => {
    const { done, open } = await transfers();
    const pending = await buildExport(db(), await viewer("U"), request("pending"), true);
    if (!pending.ok) throw new Error(pending.reason);
    const rows = body(await sheetOf(pending.file.data));
    expect(rows).toHaveLength(1);
    expect(rows[0]?.slice(0, 5)).toEqual([
      open,
      "李小红",
      maskIdNumber(w.idNumber.m2),
      "待接收方审批",
      "太原工学院团委",
    ]);
    expect(rows[0]?.[9]).toBe(2);

    const history = await buildExport(db(), await viewer("U"), request("history"), true);
    if (!history.ok) throw new Error(history.reason);
    const lines = body(await sheetOf(history.file.data));
    expect(lines.map((l) => [l[0], l[4], l[7]])).toEqual([
      [done, "发起申请", "张小明"],
      [done, "接收方同意", "管理员VB"],
      [open, "发起申请", "李小红"],
    ]);
  });

  it("ranks child organizations worst first by the chosen rate, with counts, the region last", async () => {
    await transfers();
    const province = await viewer("P");
    const byFq = await buildExport(db(), province, request("ranking", { by: "fq" }), true);
    if (!byFq.ok) throw new Error(byFq.reason);
    const sheet = await sheetOf(byFq.file.data);
    expect(String(sheet.getCell("A1").value)).toContain("发起率");
    const rows = body(sheet, 2);
    const names = rows.map((r) => r[1]);
    expect(names.at(-1)).toBe("团山西省委");
    expect(rows.at(-1)?.[0]).toBe("合计");
    // U's own graduates: m1..m5 (5), of whom m1 and m2 filed: FQ 40%, its counts beside it.
    const u = rows.find((r) => r[1] === "山西示范大学团委")!;
    expect(u.slice(2, 5)).toEqual([0.4, 2, 5]);
    const ranked = rows.slice(0, -1).map((r) => (typeof r[2] === "number" ? r[2] : Infinity));
    expect(ranked).toEqual([...ranked].sort((x, y) => x - y));
    expect(byFq.ranking?.map((r) => r.org.name)).toEqual(names.slice(0, -1));
  });

  it("shows each child's target (its own where it set one) and whether it is met (§5)", async () => {
    await transfers();
    // T, a city committee, holds its region to a stricter XS target than the season's default.
    const set = await setTarget(
      db(),
      { adminId: w.admin.T, target: { indicator: "xs", percent: 98, due: `${YEAR}-10-15` } },
      SEP,
      TEST_SEASON,
    );
    if (!set.ok) throw new Error(set.reason);
    const ranking = await buildExport(db(), await viewer("P"), request("ranking"), true);
    if (!ranking.ok) throw new Error(ranking.reason);
    const sheet = await sheetOf(ranking.file.data);
    const header = (sheet.getRow(2).values as unknown[]).slice(1);
    const rows = body(sheet, 2);
    const cell = (org: string, column: string) =>
      rows.find((r) => r[1] === org)?.[header.indexOf(column)];
    // FQ's one default date (31 August) has passed: the target stays, 40% did not reach it.
    expect(cell("山西示范大学团委", "发起率")).toBe(0.4);
    expect(cell("山西示范大学团委", "发起率目标")).toBe(`100%（${YEAR}-08-31 前）`);
    expect(cell("山西示范大学团委", "发起率达标")).toBe("未达成");
    expect(cell("团山西省委", "发起率目标")).toBe(`100%（${YEAR}-08-31 前）`);
    expect(cell("团山西省委", "发起率达标")).toBe("未达成");
    expect(cell("山西示范大学团委", "社会化转接率目标")).toBe(`95%（${YEAR}-10-31 前）`);
    expect(cell("团太原市委", "社会化转接率目标")).toBe(`98%（${YEAR}-10-15 前）`);
    for (const r of rows) {
      const rate = r[header.indexOf("社会化转接率")];
      const met = r[header.indexOf("社会化转接率达标")];
      expect(met).toBe(typeof rate === "number" ? (rate >= 0.95 ? "已达成" : "未达成") : "—");
    }
  });

  it("prints fresh binding codes with login links and QR codes, stored only as HMACs", async () => {
    const url = "https://chat.example.org/";
    const printed = await buildExport(
      db(),
      await viewer("UC"),
      request("codes", { branchId: w.org.UB1, webChatUrl: url }),
      true,
    );
    if (!printed.ok) throw new Error(printed.reason);
    const sheet = await sheetOf(printed.file.data);
    const rows = body(sheet, 2);
    expect(rows.map((r) => r[0])).toEqual(["张小明", "李小红", "王小刚", "郑老师"]);
    expect(rows[0]?.[1]).toBe(maskIdNumber(w.idNumber.m1));
    const code = String(rows[0]?.[2]);
    expect(code).toMatch(/^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/);
    expect(rows[0]?.[3]).toBe(`${url}?code=${code.replaceAll("-", "")}`);
    expect(sheet.getImages()).toHaveLength(4);
    const stored = await db()
      .select()
      .from(bindingCodes)
      .where(eq(bindingCodes.memberId, w.member.m1));
    expect(stored).toHaveLength(1);
    expect(stored[0]!.codeHash).not.toContain(code.replaceAll("-", ""));
    // In a group, or for a branch outside the subtree: refused, nothing issued.
    const group = await buildExport(
      db(),
      await viewer("UC", false),
      request("codes", { branchId: w.org.UB1, webChatUrl: url }),
      false,
    );
    expect(group).toEqual({ ok: false, reason: "private_only" });
    const outside = await buildExport(
      db(),
      await viewer("UC"),
      request("codes", { branchId: w.org.VB, webChatUrl: url }),
      true,
    );
    expect(outside).toEqual({ ok: false, reason: "not_permitted" });
    expect(await db().select().from(bindingCodes)).toHaveLength(4);
  });

  it("writes CSV with a BOM for the CLI, masked unless a leading organ asks for full numbers", async () => {
    await transfers();
    const u = (await loadOrg(db(), w.org.U))!;
    const p = (await loadOrg(db(), w.org.P))!;
    const masked: ExportViewer = operatorViewer(u, true);
    expect(masked.fullIds).toBe(false);
    const csv = await buildExport(db(), masked, { ...request("toEnter"), format: "csv" }, false);
    if (!csv.ok) throw new Error(csv.reason);
    const text = csv.file.data.toString("utf8");
    expect(text.charCodeAt(0)).toBe(0xfeff);
    expect(text).toContain(maskIdNumber(w.idNumber.m1));
    expect(operatorViewer(p, true).fullIds).toBe(true);
  });
});
