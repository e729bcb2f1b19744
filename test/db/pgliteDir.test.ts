/**
 * The embedded database's directory: made in a child process (initdb's memory stays out of the
 * app), beside its place and moved in when complete, so a crashed first start leaves nothing
 * half made; opened with small shared buffers.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../src/db/client.ts";

const root = mkdtempSync(join(tmpdir(), "zhtj-pglite-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("PGlite data directory", () => {
  it("is made anew over a crashed first start's leftovers and an empty directory, then reopened as it is", async () => {
    const dataDir = join(root, "pglite");
    mkdirSync(dataDir);
    mkdirSync(`${dataDir}.init`);
    writeFileSync(join(`${dataDir}.init`, "PG_VERSION"), "half made");

    const first = await openDatabase({ kind: "pglite", dataDir });
    expect(await first.query("show shared_buffers")).toEqual([{ shared_buffers: "16MB" }]);
    await first.query("create table kept (v text)");
    await first.query("insert into kept values ('still here')");
    await first.close();
    expect(existsSync(join(dataDir, "PG_VERSION"))).toBe(true);
    expect(existsSync(`${dataDir}.init`)).toBe(false);

    const again = await openDatabase({ kind: "pglite", dataDir });
    expect(await again.query("select v from kept")).toEqual([{ v: "still here" }]);
    await again.close();
  });
});
