/**
 * A PostgreSQL cluster of a test's own, to stop and start at will (outages): initdb and pg_ctl
 * into a temporary directory, on a free port, removed afterwards. initdb refuses to run as
 * root, so as root the cluster belongs to the `postgres` user.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./spawnApp.ts";

const BIN = process.env.PG_BIN ?? "/usr/lib/postgresql/15/bin";

export interface Cluster {
  /** postgres://… of database `name` (default: postgres). */
  url(name?: string): string;
  /** A fast shutdown: every connection is cut at once. */
  stop(): void;
  start(): void;
  remove(): void;
}

export const clusterAvailable = () => existsSync(join(BIN, "initdb"));

function owner(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
  const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
  return { uid, gid };
}

export async function startCluster(): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), "zhtj-pg-"));
  const data = join(dir, "data");
  const port = await freePort();
  const user = owner();
  if (user) chownSync(dir, user.uid, user.gid);
  const run = (tool: string, args: string[]) => {
    const result = spawnSync(join(BIN, tool), args, {
      ...(user ?? {}),
      encoding: "utf8",
      timeout: 60_000,
    });
    if (result.status !== 0) {
      throw new Error(`${tool} failed: ${result.stderr || result.stdout || result.error}`);
    }
  };
  run("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"]);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
  const cluster: Cluster = {
    url: (name = "postgres") => `postgres://postgres@127.0.0.1:${port}/${name}`,
    stop: () => run("pg_ctl", ["-D", data, "-m", "fast", "-w", "stop"]),
    start: () => run("pg_ctl", ["-D", data, "-o", options, "-l", join(dir, "log"), "-w", "start"]),
    remove: () => {
      spawnSync(join(BIN, "pg_ctl"), ["-D", data, "-m", "immediate", "stop"], user ?? {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
  cluster.start();
  return cluster;
}
