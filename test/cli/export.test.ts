/**
 * `npm run export` (issue 18): the command line checked with localized refusals, the file
 * streamed where asked, masked ID numbers unless `--full-ids` for a leading organ (R4),
 * binding codes refused (private chat only), a refused export leaving no file.
 */
import { PassThrough } from "node:stream";
import { beforeEach, describe, expect, it } from "vitest";
import { parseExportArgs, runExport } from "../../src/cli/exportCommand.ts";
import { maskIdNumber } from "../../src/domain/idNumber.ts";
import { approve } from "../../src/services/decisions/index.ts";
import { fileApplication } from "../../src/services/transfers.ts";
import { DB_KINDS, useTestDatabase } from "../helpers/db.ts";
import { TEST_SEASON } from "../helpers/season.ts";
import { buildWorld, furtherStudy, type World } from "../helpers/world.ts";

const now = new Date("2026-09-10T02:00:00Z");

describe("export command line", () => {
  it("refuses unknown kinds, a missing --org, bad formats and rates; codes are the chat's", () => {
    const wrong = (argv: string[]) => {
      const parsed = parseExportArgs(argv, "en");
      return parsed.ok ? "" : parsed.message.split("\n")[0];
    };
    expect(wrong(["bogus", "--org", "1"])).toBe("Unknown export kind: bogus");
    expect(wrong(["to-enter"])).toBe("Name the organization with --org.");
    expect(wrong(["pending", "--org", "1", "--format", "pdf"])).toBe("--format is xlsx or csv.");
    expect(wrong(["ranking", "--org", "1", "--by", "zz"])).toBe("--by is one of fq, sx, xs, dw.");
    expect(wrong(["codes", "--org", "1"])).toBe(
      "Binding codes are exported in a private chat with the bot only (/export).",
    );
    expect(wrong(["pending", "--org", "1", "--nope"])).toBe("Unknown option: --nope");
    expect(parseExportArgs(["history", "--org", "团山西省委", "--out", "h.csv"], "en")).toEqual({
      ok: true,
      options: {
        kind: "history",
        org: "团山西省委",
        out: "h.csv",
        format: "csv",
        by: "xs",
        fullIds: false,
      },
    });
  });
});

describe.each(DB_KINDS)("npm run export on %s", (kind) => {
  const database = useTestDatabase(kind);
  const db = () => database.current.db;
  let w: World;

  /** Runs the command; the files it writes are collected by name. */
  async function run(argv: string[]) {
    const parsed = parseExportArgs(argv, "en");
    if (!parsed.ok) throw new Error(parsed.message);
    const out: string[] = [];
    const err: string[] = [];
    const files = new Map<string, Buffer>();
    const code = await runExport(db(), parsed.options, {
      season: TEST_SEASON,
      locale: "en",
      now,
      output: {
        out: (t) => out.push(t),
        err: (t) => err.push(t),
        open: (path) => {
          const sink = new PassThrough();
          const chunks: Buffer[] = [];
          sink.on("data", (c: Buffer) => chunks.push(c));
          sink.on("end", () => files.set(path, Buffer.concat(chunks)));
          return sink;
        },
      },
    });
    await new Promise((resolve) => setImmediate(resolve));
    return { code, out, err, files };
  }

  beforeEach(async () => {
    w = await buildWorld(db());
    const filed = await fileApplication(
      db(),
      furtherStudy(w.member.m1, w.org.VB),
      now,
      TEST_SEASON,
    );
    if (!filed.ok) throw new Error(filed.reason);
    await approve(db(), { adminId: w.admin.VB, applicationId: filed.applicationId }, now);
  });

  it("streams the to-enter list as CSV, masked; in full only for a leading organ with --full-ids (R4)", async () => {
    const masked = await run(["to-enter", "--org", String(w.org.P), "--out", "p.csv"]);
    expect(masked.code).toBe(0);
    expect(masked.out).toEqual(["Wrote p.csv: 1 row."]);
    const text = masked.files.get("p.csv")!.toString("utf8");
    expect(text.charCodeAt(0)).toBe(0xfeff);
    expect(text).toContain(maskIdNumber(w.idNumber.m1));
    expect(text).not.toContain(w.idNumber.m1);

    const full = await run(["to-enter", "--org", String(w.org.P), "--out", "p.csv", "--full-ids"]);
    expect(full.files.get("p.csv")!.toString("utf8")).toContain(w.idNumber.m1);

    const school = await run([
      "to-enter",
      "--org",
      String(w.org.U),
      "--out",
      "u.csv",
      "--full-ids",
    ]);
    expect(school.err[0]).toContain("--full-ids applies to a leading organ's exports only");
    expect(school.files.get("u.csv")!.toString("utf8")).toContain(maskIdNumber(w.idNumber.m1));
  });

  it("names the file itself when no --out is given, and refuses a school's ranking with no file", async () => {
    const named = await run(["pending", "--org", "山西示范大学团委"]);
    expect(named.code).toBe(0);
    expect([...named.files.keys()]).toEqual(["Pending_list-山西示范大学团委-2026-09-10.xlsx"]);
    const ranking = await run(["ranking", "--org", String(w.org.U)]);
    expect(ranking.code).toBe(1);
    expect(ranking.err).toEqual([
      "Only a leading organ (a committee at county level or above) can export the ranking.",
    ]);
    expect(ranking.files.size).toBe(0);
  });
});
