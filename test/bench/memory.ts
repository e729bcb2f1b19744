/**
 * Memory after the heavy work (issue 22.3) on the embedded database, where PGlite's WebAssembly
 * memory never shrinks: the RSS after a digest morning (the delivery suite's, on PGlite) and
 * after an import of 1,000,000 members (BENCH_MEMORY_IMPORT_ROWS), each in a fresh process with
 * the app's V8 flag (memoryChild.ts). The process runs the tsx loader besides, which the app
 * started by `npm start` does not (compiled JavaScript, about 47 MB less).
 */
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { MemoryResult } from "./memoryChild.ts";

const TARGET_MB = 400;

function inChild(what: "digest" | "import"): Promise<MemoryResult> {
  const child = fork(fileURLToPath(new URL("./memoryChild.ts", import.meta.url)), {
    execArgv: ["--import", "tsx", "--max-semi-space-size=1"],
  });
  return new Promise((resolve, reject) => {
    child.once("message", (m) => resolve(m as MemoryResult));
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`the memory child exited with ${code}`)));
    child.send(what);
  });
}

export const memoryBench = {
  key: "memory",
  name: "memory on the embedded database (PGlite): RSS after a digest morning and after a 1M import",
  async run(): Promise<void> {
    const rows: [string, MemoryResult][] = [
      ["after a digest morning (the delivery suite's, Telegram)", await inChild("digest")],
      ["after an import of members (the imports suite's CSV)", await inChild("import")],
    ];
    process.stdout.write(
      "| measure | RSS with the database open | peak | settled after | target | met |\n" +
        "|---|---:|---:|---:|---|---|\n",
    );
    for (const [what, r] of rows) {
      process.stdout.write(
        `| ${what} | ${r.openMb} MB | ${r.peakMb} MB | ${r.afterMb} MB | ≤ ${TARGET_MB} MB | ` +
          `${r.afterMb <= TARGET_MB ? "met" : "NOT met"} |\n`,
      );
    }
  },
};
