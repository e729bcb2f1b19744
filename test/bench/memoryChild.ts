/**
 * One memory measurement of issue 22.3 on the embedded database, in a process of its own (so
 * nothing of another suite stays resident), with the app's own V8 flag: a digest morning
 * (`digest`) or an import of BENCH_MEMORY_IMPORT_ROWS members (`import`). It answers its RSS
 * settled after the work, with the database still open as the running app keeps it, the peak
 * and the RSS once the database was open, by IPC.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Database, openDatabase } from "../../src/db/client.ts";
import "../helpers/secretKey.ts";
import { type ScratchDatabase, telegramMorning } from "./delivery.ts";
import { importOn, peakRss, writeCsv } from "./imports.ts";
import { settledRssMb } from "./settledRss.ts";

export interface MemoryResult {
  openMb: number;
  peakMb: number;
  afterMb: number;
}

const IMPORT_ROWS = Number(process.env.BENCH_MEMORY_IMPORT_ROWS ?? 1_000_000);

async function measure(
  work: (scratch: ScratchDatabase) => Promise<unknown>,
): Promise<MemoryResult> {
  const dir = mkdtempSync(join(tmpdir(), "zhtj-bench-memory-"));
  const peak = peakRss();
  const result: MemoryResult = { openMb: 0, peakMb: 0, afterMb: 0 };
  const scratch: ScratchDatabase = async (run) => {
    const database = await openDatabase({ kind: "pglite", dataDir: join(dir, "data") });
    result.openMb = Math.round(await settledRssMb());
    // The work closes the database when done: its RSS is read first, as the app stays open.
    const close = database.close;
    const measured: Database = {
      ...database,
      close: async () => {
        result.afterMb = Math.round(await settledRssMb());
        await close();
      },
    };
    return run(measured);
  };
  try {
    await work(scratch);
  } finally {
    result.peakMb = peak.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return result;
}

process.once("message", async (what: "digest" | "import") => {
  const result =
    what === "digest"
      ? await measure((scratch) => telegramMorning(scratch))
      : await measure(async (scratch) => {
          const csv = join(mkdtempSync(join(tmpdir(), "zhtj-bench-memory-csv-")), "members.csv");
          await writeCsv(csv, IMPORT_ROWS);
          try {
            const row = await scratch((database) =>
              importOn(
                database,
                undefined,
                csv,
                `CSV, ${IMPORT_ROWS} members, PGlite`,
                IMPORT_ROWS,
              ),
            );
            process.stdout.write(
              `memory: ${row.what} imported in ${row.seconds.toFixed(1)} s ` +
                `(${Math.round(row.rows / row.seconds)} rows/s)\n`,
            );
          } finally {
            rmSync(csv, { force: true });
          }
        });
  process.send?.(result, () => process.exit(0));
});
