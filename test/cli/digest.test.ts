/**
 * `npm run digest` (issue 14 item 11): --org by name or id, with the matches listed when a name
 * is ambiguous or unknown; --date checked and computed as of that day's end (queue ages, R27
 * due dates, rates from the snapshot of then); --chart writes the PNG; localized errors, never
 * a stack trace.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import {
  type CliOutput,
  type DigestOptions,
  parseDigestArgs,
  runDigest,
} from "../../src/cli/digestCommand.ts";
import type { Db } from "../../src/db/client.ts";
import { createOrganization } from "../../src/db/orgTree.ts";
import { applications, members } from "../../src/db/schema.ts";
import { sealIdNumber } from "../../src/db/sealing.ts";
import type { TransferReason } from "../../src/domain/application.ts";
import { refreshOutcomes } from "../../src/services/outcomes.ts";
import { takeSnapshots } from "../../src/services/rates.ts";
import { DB_KINDS, useTestDatabase } from "../helpers/db.ts";
import { TEST_SEASON } from "../helpers/season.ts";
import { TEST_SECRET_KEY } from "../helpers/secretKey.ts";
import { buildWorld, idFor, shanghai, type World } from "../helpers/world.ts";

const TZ = "Asia/Shanghai";
const NOW = shanghai("2026-10-08T10:00:00");
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), "zhtj-digest-cli-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const parse = (...argv: string[]) => parseDigestArgs(argv, NOW, TZ, "zh-CN");
const options = (...argv: string[]): DigestOptions => {
  const parsed = parse(...argv);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.options;
};

describe("the digest command line (no database needed)", () => {
  it("refuses what it cannot read, with the reason and the usage, in the default language", () => {
    const cases: [string[], string][] = [
      [[], "请用 --org 指明组织"],
      [["--org", "  "], "请用 --org 指明组织"],
      [["--org", "1", "--orgg", "2"], "不认识的选项：--orgg"],
      [["--org"], "选项 --org 后面缺少取值"],
      [["--org", "1", "extra"], "多余的参数：extra"],
      [["--org", "1", "--date", "2026-9-3"], "日期 2026-9-3 无效"],
      [["--org", "1", "--date", "2026-02-30"], "日期 2026-02-30 无效"],
      [["--org", "1", "--date", "yesterday"], "日期 yesterday 无效"],
      [["--org", "1", "--date", "2026-10-09"], "日期 2026-10-09 晚于今天（2026-10-08）"],
      [["--org", "1", "--chart", "out.jpg"], "图表文件须以 .png 结尾：out.jpg"],
    ];
    for (const [argv, reason] of cases) {
      const parsed = parse(...argv);
      expect(parsed.ok, argv.join(" ")).toBe(false);
      if (parsed.ok) continue;
      expect(parsed.message).toContain(reason);
      expect(parsed.message).toContain("用法：npm run digest -- --org <组织名称或编号>");
    }
    expect(parseDigestArgs(["--org", "1", "--date", "x"], NOW, TZ, "en")).toMatchObject({
      ok: false,
      message: expect.stringContaining("The date x is not valid"),
    });
    expect(parse("--help")).toMatchObject({ ok: false, help: true });
  });

  it("computes today as of now, and a past day as of its last moment in the season's time zone", () => {
    expect(options("--org", "团山西省委")).toEqual({
      org: "团山西省委",
      day: "2026-10-08",
      asOf: NOW,
      past: false,
      chart: null,
    });
    expect(options("--org", "12", "--date", "2026-09-15", "--chart", "c.PNG")).toEqual({
      org: "12",
      day: "2026-09-15",
      asOf: new Date(shanghai("2026-09-16T00:00:00").getTime() - 1),
      past: true,
      chart: "c.PNG",
    });
  });

  it("says every failure in one localized line, never with a stack trace", async () => {
    const run = (argv: string[], env: Record<string, string>) =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        let out = "";
        const child = spawn(`${ROOT}node_modules/.bin/tsx`, ["src/cli/digest.ts", ...argv], {
          cwd: ROOT,
          env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
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
    const badDate = await run(["--org", "1", "--date", "2026-13-01"], {});
    expect(badDate.code).toBe(2);
    expect(badDate.out).toContain("日期 2026-13-01 无效");
    const noDatabase = await run(["--org", "1"], {
      DATABASE_URL: "postgres://postgres@127.0.0.1:1/nothing",
      SECRET_KEY: TEST_SECRET_KEY,
    });
    expect(noDatabase.code).toBe(1);
    expect(noDatabase.out).toContain("无法打开数据库（ECONNREFUSED");
    for (const { out } of [badDate, noDatabase]) {
      expect(out).not.toMatch(/\n\s+at /);
      expect(out.trim().split("\n").length).toBeLessThan(8);
    }
  });
});

let seq = 500;
async function application(
  db: Db,
  w: World,
  reason: TransferReason,
  values: { state?: "pending" | "completed"; to: number; since: Date },
) {
  const [m] = await db
    .insert(members)
    .values({
      name: `毕业生${seq}`,
      ...sealIdNumber(idFor("2004-02-02", seq++)),
      branchId: w.org.VB,
      graduationBranchId: w.org.VB,
      graduationMonth: "2026-06",
      graduationYear: 2026,
    })
    .returning({ id: members.id });
  const state = values.state ?? "pending";
  const [a] = await db
    .insert(applications)
    .values({
      memberId: m!.id,
      state,
      stageSince: values.since,
      initiatorKind: "member",
      reason,
      fromOrgId: w.org.VB,
      toOrgId: values.to,
      decidingOrgId: state === "pending" ? values.to : null,
      graduationYear: 2026,
    })
    .returning({ id: applications.id });
  await refreshOutcomes(db, [m!.id]);
  return a!.id;
}

describe.each(DB_KINDS)("npm run digest on %s", (kind) => {
  const database = useTestDatabase(kind);
  const db = () => database.current.db;

  async function run(...argv: string[]) {
    const printed = { out: "", err: "" };
    const files = new Map<string, Uint8Array>();
    const output: CliOutput = {
      out: (text) => {
        printed.out += `${text}\n`;
      },
      err: (text) => {
        printed.err += `${text}\n`;
      },
      writeFile: (path, data) => {
        if (path.includes("missing-folder")) {
          throw Object.assign(new Error("ENOENT: no such file or directory"), { code: "ENOENT" });
        }
        files.set(path, data);
      },
    };
    const code = await runDigest(db(), options(...argv), {
      season: TEST_SEASON,
      locale: "zh-CN",
      output,
    });
    return { code, ...printed, files };
  }

  it("takes an organization by id, by its exact name or by the only name containing the words", async () => {
    const w = await buildWorld(db());
    for (const org of [String(w.org.V), "太原工学院团委", "工学院"]) {
      const { code, out, err } = await run("--org", org);
      expect(code, org).toBe(0);
      expect(out).toContain("【每日简报】太原工学院团委　2026-10-08");
      expect(out).toContain("[打开待审批队列]");
      expect(err).toBe("");
    }
  });

  it("lists the matches with their ids and parents when a name is ambiguous", async () => {
    const w = await buildWorld(db());
    const { code, out, err } = await run("--org", "太原");
    expect(code).toBe(1);
    expect(out).toBe("");
    // Shortest names first: the one meant is usually the shortest.
    expect(err.split("\n").slice(0, 4)).toEqual([
      "有 7 个组织的名称包含“太原”：",
      `  ${w.org.T}　团太原市委（上级：团山西省委）`,
      `  ${w.org.V}　太原工学院团委（上级：团山西省委）`,
      `  ${w.org.RC}　铁路太原局团委（上级：全国铁道团委）`,
    ]);
    expect(err).toContain(`  ${w.org.Y}　团太原市迎泽区委（上级：团太原市委）`);
    expect(err).toContain("请用编号重新查询，如 --org 12。");

    // A long list is cut with the count of the rest and how to narrow it.
    await db().transaction(async (tx) => {
      for (let i = 0; i < 25; i++)
        await createOrganization(tx, {
          parentId: w.org.V,
          name: `测试${i}班团支部`,
          kind: "branch",
        });
    });
    const many = await run("--org", "测试");
    expect(many.err).toContain("有 25 个组织的名称包含“测试”：");
    expect(many.err.match(/（上级：太原工学院团委）/g)).toHaveLength(20);
    expect(many.err).toContain("  另有 5 个，请多写几个字缩小范围。");
  });

  it("offers near names when a name is not found, and says how to find one when nothing is near", async () => {
    const w = await buildWorld(db());
    const near = await run("--org", "迎泽团委");
    expect(near.code).toBe(1);
    expect(near.err).toContain("没有找到组织“迎泽团委”。");
    expect(near.err).toContain("名称相近的组织：");
    expect(near.err).toContain(`  ${w.org.Y}　团太原市迎泽区委（上级：团太原市委）`);
    const none = await run("--org", "不存在的组织");
    expect(none.code).toBe(1);
    expect(none.err).toContain("没有找到组织“不存在的组织”。");
    expect(none.err).toContain("可只写名称中的几个字（如 --org 太原）列出匹配的组织及其编号");
    const unknownId = await run("--org", "987654");
    expect(unknownId.err).toContain("没有找到组织“987654”。");
    // LIKE's wildcards are the user's text, not patterns.
    expect((await run("--org", "%")).err).toContain("没有找到组织“%”。");
  });

  it("as of a past day's end: the queue then, waiting days and R27 dates as of then, rates from that night's snapshot", async () => {
    const w = await buildWorld(db());
    const older = await application(db(), w, "further_study", {
      to: w.org.V,
      since: shanghai("2026-09-10T09:00:00"),
    });
    // Filed after the day asked about: it was not waiting then.
    await application(db(), w, "further_study", {
      to: w.org.V,
      since: shanghai("2026-09-30T09:00:00"),
    });
    const past = await run("--org", String(w.org.V), "--date", "2026-09-29");
    expect(past.code).toBe(0);
    expect(past.out).toContain("【每日简报】太原工学院团委　2026-09-29");
    expect(past.out).toContain("待审批：1 件");
    expect(past.out).toContain(`最早一件：#${older} `);
    expect(past.out).toContain("2026-09-10 09:00 起已等待 19 天");
    // As of the end of 29 Sep nothing is due within 2 days: R27 counts ten days from the
    // wrap-up's start (1 Oct), so nothing is returned before 11 Oct.
    expect(past.out).not.toContain("2 天内将被自动退回");
    expect(past.out).toContain("注：按 2026-09-29 日终（2026-09-29 23:59）计算");
    // Today: both wait, the older one 27 days.
    const today = await run("--org", String(w.org.V));
    expect(today.out).toContain("待审批：2 件");
    expect(today.out).toContain("2026-09-10 09:00 起已等待 28 天");
    expect(today.out).not.toContain("注：");

    // The province on a day without a snapshot, then with the 00:30 one of the next day.
    const unrecorded = await run("--org", "团山西省委", "--date", "2026-09-29");
    expect(unrecorded.out).toContain("衔接率：当日没有留存每日快照，无法给出当时的衔接率。");
    await takeSnapshots(db(), 2026, "2026-09-30", shanghai("2026-09-30T00:30:00"));
    const recorded = await run("--org", "团山西省委", "--date", "2026-09-29");
    expect(recorded.out).toContain("2026 届学社衔接（2026-09-30 00:30 的每日快照）：");
    // The two further-study graduates of V, none completed; E: the world's five at U and two.
    expect(recorded.out).toContain("升学衔接率 SX 0.0% = A 0 / (B 2 + C 0)，较昨日 —");
    expect(recorded.out).toContain("发起率 FQ 22.2% = 已发起 2 / (B 2 + E 7)，较昨日 —");
    // Only leading organs are recorded: the province's cities are, its schools are not.
    expect(recorded.out).toContain("　团太原市委：FQ");
    expect(recorded.out).toContain(
      "　另有 3 个下级组织当日没有快照（每日快照只保存县级及以上团委）：山西示范大学团委、太原工学院团委、山西示范能源集团团委",
    );
    expect(recorded.out).not.toContain("特殊单位专属库");
  });

  it("--chart writes the PNG of a leading organ's digest, and says why when there is none", async () => {
    const w = await buildWorld(db());
    await application(db(), w, "further_study", {
      to: w.org.U,
      since: shanghai("2026-09-10T09:00:00"),
      state: "completed",
    });
    const file = join(tmp, "province.png");
    const drawn = await run("--org", "团山西省委", "--chart", file);
    expect(drawn.code).toBe(0);
    expect(drawn.err).toContain(`图表已写入 ${file}`);
    expect(Buffer.from(drawn.files.get(file)!).subarray(0, 8)).toEqual(PNG);

    const school = await run("--org", String(w.org.V), "--chart", file);
    expect(school.code).toBe(1);
    expect(school.out).toContain("【每日简报】太原工学院团委");
    expect(school.err).toContain("未生成图表：该组织不是县级及以上团委");
    const county = await run("--org", "团太原市小店区委", "--chart", file);
    expect(county.err).toContain("未生成图表：该组织没有有毕业生的下级组织。");
    const unwritable = await run("--org", "团山西省委", "--chart", "/missing-folder/x.png");
    expect(unwritable.code).toBe(1);
    expect(unwritable.err).toContain(
      "无法写入图表文件 /missing-folder/x.png（ENOENT），请检查目录是否存在",
    );
  });

  it.runIf(kind === "postgres")(
    "runs as `npm run digest` on PostgreSQL and writes the chart file",
    async () => {
      await buildWorld(db());
      const file = join(tmp, "real.png");
      const result = await new Promise<{ code: number | null; out: string }>((resolve) => {
        let out = "";
        const child = spawn(
          `${ROOT}node_modules/.bin/tsx`,
          ["src/cli/digest.ts", "--org", "团山西省委", "--chart", file],
          {
            cwd: ROOT,
            env: {
              PATH: process.env.PATH,
              HOME: process.env.HOME,
              DATABASE_URL: database.current.url!,
              SECRET_KEY: TEST_SECRET_KEY,
              GRADUATION_YEAR: "2026",
            },
            stdio: ["ignore", "pipe", "pipe"],
          },
        );
        child.stdout.on("data", (d) => {
          out += String(d);
        });
        child.stderr.on("data", (d) => {
          out += String(d);
        });
        child.on("exit", (code) => resolve({ code, out }));
      });
      expect(result.out).toContain("【每日简报】团山西省委");
      expect(result.code).toBe(0);
      expect(existsSync(file)).toBe(true);
      expect(readFileSync(file).subarray(0, 8)).toEqual(PNG);
    },
  );
});
