import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";
import { freshDatabase } from "../helpers/db.ts";
import { TEST_SECRET_KEY } from "../helpers/secretKey.ts";
import { freePort, spawnApp, waitHealthy } from "../helpers/spawnApp.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
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
    // R4: the embedded database's key is made on first start, readable by this user only.
    const keyFile = join(dataDir, "secret.key");
    expect(readFileSync(keyFile, "utf8")).toMatch(/^[0-9a-f]{64}\n$/);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);

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

    // Started with another key than the one the data was sealed with: refused, by name.
    const wrongKey = spawnApp({ DATA_DIR: dataDir, SECRET_KEY: "cd".repeat(32) }, port);
    expect(await wrongKey.exited).toBe(1);
    expect(wrongKey.output()).toContain("SECRET_KEY");
  }, 180_000); // Three starts of the app, on a shared 2-core box.

  it("with DEMO_DATA=off logs no binding code, and WEBCHAT=off serves no web chat", async () => {
    const port = await freePort();
    const app = spawnApp({ DATA_DIR: tempDir(), DEMO_DATA: "off", WEBCHAT: "off" }, port);
    await waitHealthy(port);
    expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${port}/api/webchat/session`)).status).toBe(404);
    app.child.kill("SIGTERM");
    expect(await app.exited).toBe(0);
    expect(app.output()).not.toContain("绑定码");
  });

  it.runIf(process.env.TEST_DATABASE_URL)("works the same on PostgreSQL", async () => {
    const database = await freshDatabase("postgres");
    await database.close();
    try {
      const port = await freePort();
      const app = spawnApp(
        {
          DATABASE_URL: database.url,
          SECRET_KEY: TEST_SECRET_KEY,
          DEMO_DATA: "true",
          DATA_DIR: tempDir(),
        },
        port,
      );
      expect((await waitHealthy(port)).body).toMatchObject({ ok: true, db: "postgres" });
      app.child.kill("SIGTERM");
      expect(await app.exited).toBe(0);
      // With demo data on, the log offers its people's binding codes.
      expect(app.output()).toContain("演示绑定码");
      const counts = await countsOf(database.url, "");
      expect(counts?.o).toBeGreaterThan(150);
    } finally {
      await database.drop();
    }
  });

  it("exits 2 naming SECRET_KEY when PostgreSQL is given without one", () => {
    const result = spawnSync("node_modules/.bin/tsx", ["src/main.ts"], {
      env: {
        PATH: process.env.PATH,
        DATABASE_URL: "postgres://postgres@127.0.0.1:5432/none",
        DATA_DIR: tempDir(),
      },
      encoding: "utf8",
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("SECRET_KEY");
    expect(result.stderr).toContain("openssl rand -hex 32");
  });

  it("`npm start` runs the compiled JavaScript in dist/, built before it starts", () => {
    // PORT=abc stops it in its configuration, after every module of the app has loaded.
    const result = spawnSync("npm", ["start", "--silent"], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: "abc", DATA_DIR: tempDir() },
      encoding: "utf8",
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("须为 1–65535 之间的整数");
    const built = readFileSync(join(ROOT, "dist", "main.js"), "utf8");
    expect(built).toContain('from "./app.js"');
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
