import { eq, sql } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { query } from "../../../src/db/client.ts";
import { DEMO_DATA_KEY } from "../../../src/db/demo/loadDemoData.ts";
import {
  admins,
  chatIdentities,
  jobRuns,
  memberLookups,
  members,
  organizations,
} from "../../../src/db/schema.ts";
import { sealIdNumber } from "../../../src/db/sealing.ts";
import { seasonFor } from "../../../src/domain/calendar.ts";
import {
  applyImport,
  type ImportActor,
  listRows,
  previewImport,
  undoImport,
} from "../../../src/services/imports/index.ts";
import { DB_KINDS, useTestDatabase } from "../../helpers/db.ts";
import {
  badChecksum,
  type Cell,
  type FileFormat,
  idNumber,
  sheetFile,
} from "../../helpers/sheetFiles.ts";
import { buildWorld, shanghai, type World, YEAR } from "../../helpers/world.ts";

const season = seasonFor(YEAR, "Asia/Shanghai");
const NOW = shanghai(`${YEAR}-03-10T10:00:00`);
const UB1 = "团山西省委/山西示范大学团委/计算机学院团总支/计算机2022级1班团支部";
const UB2 = "山西示范大学团委/计算机学院团总支/计算机2022级2班团支部";

describe.each(DB_KINDS)("imports on %s", (kind) => {
  const database = useTestDatabase(kind);
  const db = () => database.current.db;
  let w: World;
  let outsider: string;

  beforeEach(async () => {
    w = await buildWorld(db());
    outsider = idNumber("20040202", 77);
    await db()
      .insert(members)
      .values({ name: "外校生", ...sealIdNumber(outsider), branchId: w.org.VB });
  });

  const admin = (): ImportActor => ({ kind: "admin", adminId: w.admin.U });

  function memberFile(format: FileFormat): { path: string; ids: Record<string, string> } {
    const ids = {
      a: idNumber("20040115", 1),
      b: idNumber("20040216", 2),
      dup: idNumber("20040317", 3),
      old: idNumber("19970101", 4),
    };
    const rows: Cell[][] = [
      ["山西示范大学2026届团员名单"],
      ["姓名", "所在团支部", "身份证号", "身份标记"],
      ["新同学甲", UB1, ids.a, ""],
      ["新同学乙", UB2, ids.b, "毕业生"],
      ["数字号", UB1, 140105200401150000, ""],
      ["错校验", UB1, badChecksum(idNumber("20040418", 5)), ""],
      ["重复一", UB1, ids.dup, ""],
      ["重复二", UB2, ids.dup, ""],
      ["无此支部", "山西示范大学团委/不存在的团支部", idNumber("20040519", 6), ""],
      ["超龄生", UB1, ids.old, ""],
      [w.memberName.m1, UB1, w.idNumber.m1, ""],
      ["李小红改名", UB1, w.idNumber.m2, ""],
      [w.memberName.m4, UB1, w.idNumber.m4, ""],
      ["外校生", UB1, outsider, ""],
    ];
    return { path: sheetFile(rows, format), ids };
  }

  it.each<FileFormat>(
    kind === "pglite" ? ["xlsx", "xls", "csv-bom", "csv-gbk"] : ["xlsx", "csv-gbk"],
  )(
    "members from %s: preview with every refused row; apply; re-import changes nothing; undo (R4, R5, R31)",
    async (format) => {
      const { path, ids } = memberFile(format);
      const preview = await previewImport(db(), {
        source: { name: path, path },
        actor: admin(),
        season,
        now: NOW,
      });
      if (!preview.ok) throw new Error(preview.reason);
      expect(preview.kind).toBe("members");
      expect(preview.counts).toMatchObject({
        rows: 12,
        add: 2,
        change: 1,
        move: 1,
        same: 1,
        refused: 7,
      });
      const refused = await listRows(db(), preview.importId, { actions: ["refused"], limit: 50 });
      expect(refused.map((r) => [r.rowNo, r.column, r.problem, r.detail])).toEqual([
        [5, "idNumber", "id_numeric", null],
        [6, "idNumber", "id_checksum", null],
        [7, "idNumber", "duplicate_in_file", { rows: "7, 8" }],
        [8, "idNumber", "duplicate_in_file", { rows: "7, 8" }],
        [9, "branch", "unknown_path", null],
        [10, "idNumber", "ages_out", null],
        // Outside the admin's subtree: no where (R5), and the match counts as a lookup.
        [14, "idNumber", "exists_elsewhere", null],
      ]);
      const lookups = await db().select().from(memberLookups);
      expect(lookups).toMatchObject([{ adminId: w.admin.U, purpose: "import", performed: true }]);
      const [moved] = await listRows(db(), preview.importId, { actions: ["move"], limit: 5 });
      expect(moved).toMatchObject({
        rowNo: 13,
        target: "计算机2022级1班团支部",
        from: "计算机2022级2班团支部",
      });
      expect(moved!.maskedId).toBe(
        `${w.idNumber.m4.slice(0, 6)}********${w.idNumber.m4.slice(-4)}`,
      );

      // Nothing changed before the confirmation.
      expect(await db().select().from(members)).toHaveLength(9);
      const applied = await applyImport(db(), {
        importId: preview.importId,
        actor: admin(),
        now: NOW,
      });
      expect(applied).toMatchObject({ ok: true });
      const all = await db().select().from(members);
      expect(all).toHaveLength(11);
      const added = all.find((m) => m.name === "新同学甲")!;
      expect(added).toMatchObject({
        branchId: w.org.UB1,
        identity: "graduate",
        graduationMonth: `${YEAR}-06`,
        graduationYear: YEAR,
        importId: preview.importId,
      });
      expect(JSON.stringify(all)).not.toContain(ids.a);
      expect(all.find((m) => m.id === w.member.m2)!.name).toBe("李小红改名");
      expect(all.find((m) => m.id === w.member.m4)!.branchId).toBe(w.org.UB1);
      // A second apply of the same preview is refused; a second import of the file adds nothing.
      expect(
        await applyImport(db(), { importId: preview.importId, actor: admin(), now: NOW }),
      ).toEqual({
        ok: false,
        reason: "wrong_state",
        state: "applied",
      });
      const again = await previewImport(db(), {
        source: { name: path, path },
        actor: admin(),
        season,
        now: NOW,
      });
      if (!again.ok) throw new Error(again.reason);
      expect(again.counts).toMatchObject({ add: 0, change: 0, move: 0, same: 5, refused: 7 });
      await applyImport(db(), { importId: again.importId, actor: admin(), now: NOW });
      expect(await db().select().from(members)).toHaveLength(11);

      // Undo: the added members go, the changed and moved ones are as they were.
      expect(
        await undoImport(db(), { importId: preview.importId, actor: admin(), now: NOW }),
      ).toMatchObject({ ok: true });
      const after = await db().select().from(members);
      expect(after).toHaveLength(9);
      expect(after.find((m) => m.id === w.member.m2)!.name).toBe(w.memberName.m2);
      expect(after.find((m) => m.id === w.member.m4)!.branchId).toBe(w.org.UB2);
    },
  );

  it("undo is refused once an added member did something; another admin cannot apply", async () => {
    const path = sheetFile(
      [
        ["姓名", "身份证号", "所在团支部"],
        ["新人", idNumber("20040115", 9), UB1],
      ],
      "csv-utf8",
    );
    const preview = await previewImport(db(), {
      source: { name: path, path },
      actor: admin(),
      season,
      now: NOW,
    });
    if (!preview.ok) throw new Error(preview.reason);
    expect(
      await applyImport(db(), {
        importId: preview.importId,
        actor: { kind: "admin", adminId: w.admin.V },
        now: NOW,
      }),
    ).toEqual({ ok: false, reason: "not_your_import" });
    await applyImport(db(), { importId: preview.importId, actor: admin(), now: NOW });
    const [m] = await db().select().from(members).where(eq(members.name, "新人"));
    await db()
      .insert(chatIdentities)
      .values({ channel: "web", externalUserId: "m-x", memberId: m!.id });
    expect(
      await undoImport(db(), { importId: preview.importId, actor: admin(), now: NOW }),
    ).toEqual({
      ok: false,
      reason: "undo_blocked",
      count: 1,
    });
  });

  it("an admin imports only into their own subtree; a graduate organization takes no new member (R2)", async () => {
    await db()
      .update(organizations)
      .set({ category: "graduate" })
      .where(eq(organizations.id, w.org.UB2));
    const path = sheetFile(
      [
        ["姓名", "身份证号", "所在团支部"],
        ["别校", idNumber("20040115", 11), "团山西省委/太原工学院团委/研究生2026级1班团支部"],
        ["进毕业生组织", idNumber("20040115", 12), UB2],
        [w.memberName.m4, w.idNumber.m4, UB2],
      ],
      "xlsx",
    );
    const preview = await previewImport(db(), {
      source: { name: path, path },
      actor: admin(),
      season,
      now: NOW,
    });
    if (!preview.ok) throw new Error(preview.reason);
    const refused = await listRows(db(), preview.importId, { actions: ["refused"], limit: 10 });
    expect(refused.map((r) => [r.rowNo, r.problem])).toEqual([
      [2, "unknown_path"],
      [3, "graduate_branch"],
    ]);
    expect(preview.counts).toMatchObject({ same: 1 });
  });

  it("R5: matches elsewhere beyond the hourly lookup budget refuse the whole preview", async () => {
    const rows: Cell[][] = [["姓名", "身份证号", "所在团支部"]];
    for (let i = 0; i < 6; i++) {
      const id = idNumber("20040601", 30 + i);
      await db()
        .insert(members)
        .values({ name: `外${i}`, ...sealIdNumber(id), branchId: w.org.VB });
      rows.push([`外${i}`, id, UB1]);
    }
    const path = sheetFile(rows, "csv-bom");
    expect(
      await previewImport(db(), { source: { name: path, path }, actor: admin(), season, now: NOW }),
    ).toMatchObject({
      ok: false,
      reason: "lookup_limit",
      max: 5,
    });
  });

  it("imports are refused while demo data is on", async () => {
    await db().insert(jobRuns).values({ key: DEMO_DATA_KEY });
    const path = sheetFile(
      [
        ["姓名", "身份证号", "所在团支部"],
        ["x", idNumber("20040115", 1), UB1],
      ],
      "csv-utf8",
    );
    expect(
      await previewImport(db(), { source: { name: path, path }, actor: admin(), season, now: NOW }),
    ).toEqual({
      ok: false,
      reason: "demo_data_on",
    });
  });

  it("organizations: one row each with its full path, parents before children; admins with their phone", async () => {
    const orgs = sheetFile(
      [
        [
          "团组织全称",
          "组织类型",
          "级别",
          "领域",
          "类别",
          "学校机构编号",
          "咨询电话",
          "毕业时间",
          "无毕业时间原因",
        ],
        ["团山西省委/山西示范大学团委/数学学院团总支", "团总支", "", "学校", "", "", "", "", ""],
        [
          "团山西省委/山西示范大学团委/数学学院团总支/数学2022级团支部",
          "团支部",
          "",
          "学校",
          "",
          "",
          "",
          "2026-06",
          "",
        ],
        [
          "团山西省委/山西示范大学团委/数学学院团总支/混合团支部",
          "团支部",
          "",
          "学校",
          "",
          "",
          "",
          "",
          "混合团支部",
        ],
        ["团山西省委/山西示范大学团委/假省委", "团委", "省级", "学校", "", "", "", "", ""],
        [
          "团山西省委/山西示范大学团委/某某团支部",
          "团支部",
          "",
          "学校",
          "流动团员团支部",
          "",
          "",
          "",
          "",
        ],
        [
          "团山西省委/山西示范大学团委/计算机学院团总支/计算机2022级1班团支部",
          "团支部",
          "",
          "学校",
          "",
          "",
          "",
          "2026-07",
          "",
        ],
        ["团山西省委/团太原市委", "团委", "市级", "", "", "", "0351-1234567", "", ""],
      ],
      "xlsx",
    );
    const preview = await previewImport(db(), {
      source: { name: orgs, path: orgs },
      actor: admin(),
      season,
      now: NOW,
    });
    if (!preview.ok) throw new Error(preview.reason);
    expect(preview).toMatchObject({
      kind: "organizations",
      counts: { add: 3, change: 1, refused: 3 },
    });
    const refused = await listRows(db(), preview.importId, { actions: ["refused"], limit: 10 });
    expect(refused.map((r) => [r.rowNo, r.column, r.problem])).toEqual([
      [5, "level", "level_not_below_parent"],
      [6, "category", "flow_branch_name"],
      // Its parent is outside the admin's subtree.
      [8, "path", "outside_scope"],
    ]);
    expect(
      await applyImport(db(), { importId: preview.importId, actor: admin(), now: NOW }),
    ).toMatchObject({ ok: true });
    const [maths] = await db()
      .select()
      .from(organizations)
      .where(eq(organizations.name, "数学2022级团支部"));
    expect(maths).toMatchObject({ kind: "branch", graduationMonth: "2026-06", domain: "school" });
    const [ub1] = await db().select().from(members).where(eq(members.id, w.member.m1));
    expect(ub1!.graduationMonth).toBe("2026-07");

    const adminsFile = sheetFile(
      [
        ["团组织全称", "管理员", "手机号"],
        ["团山西省委/山西示范大学团委/数学学院团总支/数学2022级团支部", "钱书记", "13800001111"],
        [
          "团山西省委/山西示范大学团委/计算机学院团总支/计算机2022级1班团支部",
          "管理员UB1",
          "13900002222",
        ],
        ["团山西省委/山西示范大学团委", "坏号码", "abc"],
      ],
      "csv-gbk",
    );
    const ap = await previewImport(db(), {
      source: { name: adminsFile, path: adminsFile },
      actor: admin(),
      season,
      now: NOW,
    });
    if (!ap.ok) throw new Error(ap.reason);
    expect(ap).toMatchObject({ kind: "admins", counts: { add: 1, change: 1, refused: 1 } });
    await applyImport(db(), { importId: ap.importId, actor: admin(), now: NOW });
    const [qian] = await db().select().from(admins).where(eq(admins.name, "钱书记"));
    expect(qian).toMatchObject({ orgId: maths!.id, phone: "13800001111" });

    // The organizations import is undone only after the admin import that uses it.
    expect(
      await undoImport(db(), { importId: preview.importId, actor: admin(), now: NOW }),
    ).toMatchObject({
      ok: false,
      reason: "undo_blocked",
    });
    expect(
      await undoImport(db(), { importId: ap.importId, actor: admin(), now: NOW }),
    ).toMatchObject({ ok: true });
    expect(
      await undoImport(db(), { importId: preview.importId, actor: admin(), now: NOW }),
    ).toMatchObject({ ok: true });
    const left = await query<{ n: number }>(
      db(),
      sql`select count(*)::int as n from organizations where name like '数学%'`,
    );
    expect(left[0]!.n).toBe(0);
    const [back] = await db().select().from(members).where(eq(members.id, w.member.m1));
    expect(back!.graduationMonth).toBe("2026-06");
  });
});
