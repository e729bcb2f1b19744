/**
 * /export through the dialog engine (issue 18): what each admin is offered, the file sent as a
 * document, full ID numbers for a leading organ in a private chat only (R4), ticking off what
 * was entered in 智慧团建, the 通报 with its chart, binding codes in private only.
 */
import ExcelJS from "exceljs";
import { beforeEach, describe, expect, it } from "vitest";
import { digestReply } from "../../src/dialogs/digest.ts";
import { renderMessage, translate } from "../../src/dialogs/render.ts";
import type { RenderedReply } from "../../src/dialogs/types.ts";
import { maskIdNumber } from "../../src/domain/idNumber.ts";
import { approve } from "../../src/services/decisions/index.ts";
import { digestFor } from "../../src/services/digests.ts";
import { markEntered } from "../../src/services/exports/index.ts";
import { fileApplication } from "../../src/services/transfers.ts";
import { DB_KINDS, useTestDatabase } from "../helpers/db.ts";
import { testEngine } from "../helpers/engine.ts";
import { TEST_SEASON } from "../helpers/season.ts";
import {
  type AdminName,
  buildWorld,
  furtherStudy,
  type MemberName,
  shanghai,
  type World,
  YEAR,
} from "../helpers/world.ts";
import { bindAs, chat, labels, texts } from "./fixtures.ts";

const SEP = shanghai(`${YEAR}-09-03T09:00:00`);

async function sheetOf(reply: RenderedReply | undefined): Promise<ExcelJS.Worksheet> {
  expect(reply?.document, "a document").toBeDefined();
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(
    Buffer.from(reply!.document!.base64, "base64") as unknown as ArrayBuffer,
  );
  return workbook.worksheets[0]!;
}

const withFile = (replies: RenderedReply[]) => replies.find((r) => r.document);

describe.each(DB_KINDS)("export dialogs on %s", (kind) => {
  const database = useTestDatabase(kind);
  let w: World;
  const engine = () => testEngine(database.current.db);
  const db = () => database.current.db;
  const admin = async (a: AdminName, group?: string) => {
    await bindAs(db(), `admin-${a}`, { adminId: w.admin[a] }).catch(() => {});
    return chat(engine, `admin-${a}`, group);
  };
  /** `m` files further study to 研究生2026级1班团支部, whose admin approves: completed. */
  const completed = async (m: MemberName) => {
    const filed = await fileApplication(
      db(),
      furtherStudy(w.member[m], w.org.VB),
      SEP,
      TEST_SEASON,
    );
    if (!filed.ok) throw new Error(filed.reason);
    await approve(db(), { adminId: w.admin.VB, applicationId: filed.applicationId }, SEP);
    return filed.applicationId;
  };

  beforeEach(async () => {
    w = await buildWorld(db());
  });

  it("offers each admin what they may have: the ranking to leading organs, codes in private chats", async () => {
    const u = await admin("U");
    await u.say("/menu");
    expect(labels(u.last)).toContain("Export a sheet");
    await u.say("/export");
    expect(labels(u.last)).toEqual([
      "To enter in ZHTJ (0)",
      "Pending list",
      "Application history",
      "Members' binding codes (printable)",
      "Cancel",
    ]);
    const inGroup = await admin("P", "group-P");
    await inGroup.say("/export");
    expect(labels(inGroup.last)).toEqual([
      "To enter in ZHTJ (0)",
      "Ranking of child organizations",
      "Pending list",
      "Application history",
      "Cancel",
    ]);
  });

  it("sends the to-enter list as a file: masked for a school, full for the province only in private (R4)", async () => {
    await completed("m1");
    const u = await admin("U");
    await u.say("/export");
    const sent = await u.press("To enter in ZHTJ (1)");
    const file = withFile(sent)!;
    expect(file.document?.name).toBe(`To_enter_in_ZHTJ-山西示范大学团委-2026-07-01.xlsx`);
    expect(file.document?.mime).toBe(
      "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    );
    expect(file.text).toContain("ID numbers are masked");
    expect(labels(sent)).toEqual(["Whole file done in ZHTJ (1)", "Mark one by one", "Menu"]);
    expect((await sheetOf(file)).getCell("C2").value).toBe(maskIdNumber(w.idNumber.m1));

    const p = await admin("P");
    await p.say("/export");
    const full = withFile(await p.press("To enter in ZHTJ (1)"));
    expect(full?.text).toContain("shown in full");
    expect((await sheetOf(full)).getCell("C2").value).toBe(w.idNumber.m1);

    const group = await admin("P", "group-P");
    await group.say("/export");
    const masked = withFile(await group.press("To enter in ZHTJ (1)"));
    expect((await sheetOf(masked)).getCell("C2").value).toBe(maskIdNumber(w.idNumber.m1));
  });

  it("ticks transfers off one by one and by the whole file; ticked ones leave the list", async () => {
    const first = await completed("m1");
    await completed("m2");
    const u = await admin("U");
    await u.say("/export");
    await u.press("To enter in ZHTJ (2)");
    await u.press("Mark one by one");
    expect(texts(u.last)).toContain("page 1/1, 2 in all");
    await u.press(`✓ #${first} 张小明`);
    expect(texts(u.last)).toContain("Marked 1 as done in ZHTJ. 1 left to enter.");
    expect(labels(u.last)).not.toContain(`✓ #${first} 张小明`);

    await completed("m3");
    await u.say("/export");
    await u.press("To enter in ZHTJ (2)");
    await u.press("Whole file done in ZHTJ (2)");
    expect(texts(u.last)).toBe("Mark all 2 transfers of this file as done in ZHTJ?");
    await u.press("Yes, all done");
    expect(texts(u.last)).toBe("Marked 2 as done in ZHTJ. 0 left to enter.");
    await u.say("/export");
    expect(texts(await u.press("To enter in ZHTJ (0)"))).toBe(
      "No completed transfers are waiting to be entered in ZHTJ.",
    );
  });

  it("the digest counts what is left to enter in 智慧团建", async () => {
    const first = await completed("m1");
    await completed("m2");
    const digestText = async () => {
      const digest = await digestFor(db(), w.org.U, "2026-09-04", SEP, TEST_SEASON);
      return renderMessage(translate("en"), digestReply(digest!, TEST_SEASON).text);
    };
    expect(await digestText()).toContain(
      "To enter in ZHTJ: 2 completed transfers (/export to export and mark them)",
    );
    await markEntered(db(), { adminId: w.admin.U, applicationIds: [first], now: SEP });
    expect(await digestText()).toContain(
      "To enter in ZHTJ: 1 completed transfer (/export to export and mark it)",
    );
  });

  it("a member pressing an admin's tick button is refused", async () => {
    await completed("m1");
    const u = await admin("U");
    await u.say("/export");
    await u.press("To enter in ZHTJ (1)");
    const token = u.last
      .flatMap((r) => r.buttons.flat())
      .find((b) => b.label === "Mark one by one")!;
    await bindAs(db(), "member-m4", { memberId: w.member.m4 });
    const outsider = chat(engine, "member-m4", "admin-U");
    expect(texts(await outsider.pressToken(token.action))).toBe(
      "Only admins can mark transfers as done in ZHTJ.",
    );
  });

  it("sends the 通报 by the chosen rate with the digest's chart", async () => {
    await completed("m1");
    const p = await admin("P");
    await p.say("/export");
    await p.press("Ranking of child organizations");
    expect(labels(p.last)).toEqual(["FQ", "SX", "XS", "DW", "« Back", "Cancel"]);
    const sent = await p.press("FQ");
    const chart = sent.find((r) => r.image);
    expect(chart?.text).toBe("团山西省委: child organizations by FQ (lowest first)");
    expect(Buffer.from(chart!.image!.png, "base64").subarray(1, 4).toString()).toBe("PNG");
    const sheet = await sheetOf(withFile(sent));
    expect(String(sheet.getCell("A1").value)).toContain("by FQ");
  });

  it("prints a branch's binding codes in a private chat, never in a group", async () => {
    const uc = await admin("UC");
    await uc.say("/export");
    await uc.press("Members' binding codes (printable)");
    await uc.say("1班");
    const sent = await uc.press("计算机2022级1班团支部");
    const file = withFile(sent)!;
    expect(file.text).toContain("New codes were issued for 4 members");
    const sheet = await sheetOf(file);
    expect(sheet.getImages()).toHaveLength(4);
    expect(String(sheet.getCell("D3").value)).toMatch(
      /^http:\/\/localhost:3000\/\?code=[A-Z2-9]{12}$/,
    );
    const group = await admin("UC", "group-UC");
    await group.say("/export");
    expect(labels(group.last)).not.toContain("Members' binding codes (printable)");
  });
});
