/**
 * Issue 16.5: the data directory's lock holds only while the process that took it runs. A pid
 * reused by an unrelated process after a crash, or a holder killed with SIGKILL, does not block
 * the next start; a live holder does.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { DataDirLockedError, lockDataDir } from "../../src/db/pidLock.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const dirs: string[] = [];
const children: ChildProcess[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "zhtj-lock-"));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const child of children) child.kill("SIGKILL");
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A process that takes the lock and holds it until killed. */
async function holder(dir: string): Promise<ChildProcess> {
  const script = `const { lockDataDir } = await import(${JSON.stringify(`${ROOT}src/db/pidLock.ts`)});
    lockDataDir(process.argv[1]); process.stdout.write("LOCKED\\n"); setInterval(() => {}, 1000);`;
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "--input-type=module", "-e", script, dir],
    {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (d) => String(d).includes("LOCKED") && resolve());
    child.once("exit", () => reject(new Error("the holder exited")));
  });
  return child;
}

describe("data directory lock", () => {
  it("refuses a second holder while the first runs, and is free once it is killed", async () => {
    const dir = tempDir();
    const first = await holder(dir);
    expect(() => lockDataDir(dir)).toThrow(DataDirLockedError);
    first.kill("SIGKILL");
    await new Promise((resolve) => first.once("exit", resolve));
    // The file is still there (SIGKILL runs no clean-up), yet it no longer holds.
    expect(existsSync(join(dir, "zhtj-bot.pid"))).toBe(true);
    const release = lockDataDir(dir);
    release();
    expect(existsSync(join(dir, "zhtj-bot.pid"))).toBe(false);
  });

  it("is not held by an unrelated process that got the crashed holder's pid", () => {
    const dir = tempDir();
    // Our parent is alive and is not the process that wrote this file: same pid, other start.
    const file = join(dir, "zhtj-bot.pid");
    const written = { pid: process.ppid, startTime: "1", bootId: "x", dataDir: dir };
    writeFileSync(file, JSON.stringify(written));
    const release = lockDataDir(dir);
    expect(JSON.parse(readFileSync(file, "utf8")).pid).toBe(process.pid);
    release();
    // A file of an older version (a bare pid) naming a live process that is not the app.
    writeFileSync(file, String(process.ppid));
    lockDataDir(dir)();
  });

  it("takes a garbled lock file as free", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "zhtj-bot.pid"), "{not json");
    lockDataDir(dir)();
  });
});
