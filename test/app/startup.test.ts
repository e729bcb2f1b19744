import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";
import { freshDatabase } from "../helpers/db.ts";
import { freePort, spawnApp, waitHealthy } from "../helpers/spawnApp.ts";

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "zhtj-start-"));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function countsOf(url: string | undefined, dataDir: string) {
  if (url) {
    const sql = postgres(url, { max: 1 });
    const [row] =
      await sql`select (select count(*)::int from organizations) o, (select count(*)::int from members) m`;
    await sql.end();
    return row;
  }
  const { openDatabase } = await import("../../src/db/client.ts");
  const db = await openDatabase({ kind: "pglite", dataDir: join(dataDir, "pglite") });
  const [row] = await db.query(
    "select (select count(*)::int from organizations) o, (select count(*)::int from members) m",
  );
  await db.close();
  return row;
}

describe("npm start", () => {
  it("starts on an empty DATA_DIR with demo data, stops on SIGTERM, and a restart adds nothing", async () => {
    const dataDir = tempDir();
    const port = await freePort();
    const first = spawnApp({ DATA_DIR: dataDir }, port);
    const health = await waitHealthy(port);
    expect(health.body).toEqual({ ok: true, db: "pglite", deliveries: { dead: 0, late: 0 } });
    expect(first.output()).toContain("已载入演示数据");

    // A second copy on the same directory is refused with a clear message (PGlite loses data).
    const intruder = spawnApp({ DATA_DIR: dataDir }, await freePort());
    expect(await intruder.exited).toBe(1);
    expect(intruder.output()).toContain("正被另一个进程");

    first.child.kill("SIGTERM");
    expect(await first.exited).toBe(0);
    const before = await countsOf(undefined, dataDir);

    const second = spawnApp({ DATA_DIR: dataDir }, port);
    await waitHealthy(port);
    expect(second.output()).toContain("演示数据已存在");
    second.child.kill("SIGINT");
    expect(await second.exited).toBe(0);
    expect(await countsOf(undefined, dataDir)).toEqual(before);
    // Nothing printed holds a full ID number.
    expect(first.output() + second.output()).not.toMatch(/\d{17}[\dX]/);
  });

  it.runIf(process.env.TEST_DATABASE_URL)("works the same on PostgreSQL", async () => {
    const database = await freshDatabase("postgres");
    await database.close();
    try {
      const port = await freePort();
      const app = spawnApp(
        { DATABASE_URL: database.url, DEMO_DATA: "true", DATA_DIR: tempDir() },
        port,
      );
      expect((await waitHealthy(port)).body).toMatchObject({ ok: true, db: "postgres" });
      app.child.kill("SIGTERM");
      expect(await app.exited).toBe(0);
      const counts = await countsOf(database.url, "");
      expect(counts?.o).toBeGreaterThan(150);
    } finally {
      await database.drop();
    }
  });

  it("exits 2 naming PORT when PORT=abc", () => {
    const result = spawnSync(process.execPath, ["--import", "tsx", "src/main.ts"], {
      env: { PATH: process.env.PATH, PORT: "abc", DATA_DIR: tempDir() },
      encoding: "utf8",
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("PORT");
    expect(result.stderr).toContain("须为 1–65535 之间的整数");
  });
});
