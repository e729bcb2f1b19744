/**
 * `npm run import` and `npm run admin -- create` as an operator runs them on an empty
 * installation (SPEC §7): templates, preview, --apply, the refused-rows file, a second import
 * that changes nothing, --undo, and the first admin's one-time code, which binds.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { members } from "../../src/db/schema.ts";
import { templateSheet } from "../../src/dialogs/importText.ts";
import { translator } from "../../src/i18n.ts";
import { redeemCode } from "../../src/services/bindings.ts";
import { openSheet } from "../../src/services/sheets/read.ts";
import { readTable } from "../../src/services/sheets/table.ts";
import { useTestDatabase } from "../helpers/db.ts";
import { TEST_SECRET_KEY } from "../helpers/secretKey.ts";
import { badChecksum, idNumber, sheetFile } from "../helpers/sheetFiles.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), "zhtj-import-cli-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function run(script: string, argv: string[], env: Record<string, string>) {
  return new Promise<{ code: number | null; out: string }>((resolve) => {
    let out = "";
    const child = spawn(`${ROOT}node_modules/.bin/tsx`, [script, ...argv], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, SECRET_KEY: TEST_SECRET_KEY, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.on("data", (d) => {
      out += String(d);
    });
    child.stderr.on("data", (d) => {
      out += String(d);
    });
    child.on("exit", (code) => resolve({ code, out }));
  });
}

describe("the import command line (no database needed)", () => {
  it("writes templates that read back as their kind; refuses a wrong command line in one line", async () => {
    const file = join(tmp, "members.xlsx");
    expect(await run("src/cli/import.ts", ["--template", file], {})).toMatchObject({ code: 0 });
    expect((await readTable(await openSheet({ name: file, path: file })))?.kind).toBe("members");
    for (const kind of ["members", "organizations", "admins"] as const) {
      for (const format of ["xlsx", "csv"] as const) {
        const buffer = await templateSheet(translator("zh-CN"), kind, format);
        const table = await readTable(await openSheet({ name: `${kind}.${format}`, buffer }));
        expect(table?.kind).toBe(kind);
      }
    }
    const bad = await run("src/cli/import.ts", ["--template", join(tmp, "x.xlsx")], {});
    expect(bad.code).toBe(2);
    expect(bad.out).toContain("模板文件名须为");
    expect(bad.out).not.toMatch(/\n\s+at /);
  });
});

describe.runIf(process.env.TEST_DATABASE_URL)("import and admin CLIs on postgres", () => {
  const database = useTestDatabase("postgres", { truncate: false });

  it("an empty installation: organizations, members, a second import, undo, the first admin", async () => {
    const env = () => ({
      DATABASE_URL: database.current.url!,
      DEMO_DATA: "off",
      GRADUATION_YEAR: "2026",
    });
    const U = "团山西省委/山西示范大学团委";
    const orgs = sheetFile(
      [
        ["团组织全称", "组织类型", "领域", "学校机构编号", "毕业时间"],
        [U, "团委", "学校", "90108", ""],
        [`${U}/计算机2022级1班团支部`, "团支部", "学校", "", "2026-06"],
      ],
      "csv-gbk",
      "orgs",
    );
    const first = await run("src/cli/import.ts", [orgs, "--apply"], env());
    expect(first.out).toContain("共 2 行：新增 2");
    expect(first.out).toContain("已应用导入 #1");
    const people = sheetFile(
      [
        ["2026届名单"],
        ["姓名", "身份证号", "所在团支部"],
        ["张三", idNumber("20040115", 1), `${U}/计算机2022级1班团支部`],
        ["李四", badChecksum(idNumber("20040115", 2)), `${U}/计算机2022级1班团支部`],
      ],
      "xlsx",
      "people",
    );
    const preview = await run("src/cli/import.ts", [people], env());
    expect(preview.out).toContain("共 2 行：新增 1，修改 0，调动 0，不变 0，拒绝 1");
    expect(preview.out).toContain("第 4 行 [身份证号] 身份证号校验位不对");
    expect(preview.out).toContain("这只是预览");
    expect(existsSync(people.replace(/\.xlsx$/, ".refused.xlsx"))).toBe(true);
    expect(await database.current.db.select().from(members)).toHaveLength(0);
    const applied = await run("src/cli/import.ts", [people, "--apply"], env());
    expect(applied.out).toContain("已应用导入 #3");
    const again = await run("src/cli/import.ts", [people, "--apply"], env());
    expect(again.out).toContain("新增 0，修改 0，调动 0，不变 1，拒绝 1");
    expect(await database.current.db.select().from(members)).toHaveLength(1);
    expect((await run("src/cli/import.ts", ["--undo", "3"], env())).out).toContain("已撤销导入 #3");
    expect(await database.current.db.select().from(members)).toHaveLength(0);

    const admin = await run("src/cli/admin.ts", ["create", "--org", U, "--name", "王老师"], env());
    expect(admin.code).toBe(0);
    const code = /一次性绑定码：(\S+)（/.exec(admin.out)?.[1];
    expect(code).toBeDefined();
    const bound = await redeemCode(database.current.db, {
      channel: "web",
      userId: "a-1",
      code: code!,
      sources: [{ address: "127.0.0.1" }],
      now: new Date(),
    });
    expect(bound).toMatchObject({ ok: true });
    const unknown = await run(
      "src/cli/admin.ts",
      ["create", "--org", "团山西省委/没有", "--name", "x"],
      env(),
    );
    expect(unknown).toMatchObject({ code: 1 });
    expect(unknown.out).toContain("找不到组织");
  });
});
