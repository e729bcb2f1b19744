/**
 * Two processes opening one PGlite directory silently lose data, so the embedded database is
 * guarded by a lock file: a second copy refuses to start while the first is alive.
 *
 * A pid alone does not say who holds the lock: after a crash the pid is reused by some other
 * process, and a lock that trusted it would refuse every start. The file therefore names the
 * process as the kernel knows it (pid, its start time since boot, the boot), and the lock holds
 * only while a process with exactly that identity runs.
 */
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

export class DataDirLockedError extends Error {
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super(`data directory ${dir} is locked by pid ${pid}`);
    this.name = "DataDirLockedError";
  }
}

interface Holder {
  pid: number;
  /** Clock ticks after boot at which the process started (/proc/<pid>/stat, field 22). */
  startTime: string | null;
  bootId: string | null;
  dataDir: string;
}

const LOCK_FILE = "zhtj-bot.pid";

function readOr<T>(path: string, fallback: T, parse: (text: string) => T): T {
  try {
    return parse(readFileSync(path, "utf8"));
  } catch {
    return fallback;
  }
}

/** The start time of a process, or null when it does not exist (or there is no /proc). */
function startTimeOf(pid: number): string | null {
  return readOr(`/proc/${pid}/stat`, null, (stat) => {
    // The command name (field 2) is in parentheses and may hold spaces: count after the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[19] ?? null;
  });
}

const bootId = () => readOr("/proc/sys/kernel/random/boot_id", null, (id) => id.trim());

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Whether the process the file names still runs. */
function holds(holder: Holder): boolean {
  if (!Number.isInteger(holder.pid) || holder.pid <= 0) return false;
  if (holder.startTime === null || holder.bootId === null) {
    // No /proc where it was written: a live pid is all there is to go by.
    return isAlive(holder.pid);
  }
  return bootId() === holder.bootId && startTimeOf(holder.pid) === holder.startTime;
}

function parseHolder(text: string, dataDir: string): Holder {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) {
    // Written by an older version: only a pid. It is ours if that process runs our entry point.
    const pid = Number(trimmed);
    const ours = readOr(`/proc/${pid}/cmdline`, "", (c) => c).includes("main.ts");
    return { pid, startTime: ours ? startTimeOf(pid) : "gone", bootId: bootId(), dataDir };
  }
  const parsed = JSON.parse(trimmed) as Partial<Holder>;
  return {
    pid: Number(parsed.pid),
    startTime: typeof parsed.startTime === "string" ? parsed.startTime : null,
    bootId: typeof parsed.bootId === "string" ? parsed.bootId : null,
    dataDir: typeof parsed.dataDir === "string" ? parsed.dataDir : dataDir,
  };
}

/** Takes the lock or throws DataDirLockedError; returns the release function. */
export function lockDataDir(dir: string): () => void {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, LOCK_FILE);
  const me: Holder = {
    pid: process.pid,
    startTime: startTimeOf(process.pid),
    bootId: bootId(),
    dataDir: resolve(dir),
  };
  // Written aside and linked into place: the lock file appears whole or not at all, so a copy
  // starting at the same moment never reads a half-written one as stale.
  const draft = `${file}.${process.pid}`;
  writeFileSync(draft, JSON.stringify(me));
  try {
    return takeLock(file, draft, me, dir);
  } finally {
    rmSync(draft, { force: true });
  }
}

function takeLock(file: string, draft: string, me: Holder, dir: string): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      linkSync(draft, file);
      return () => {
        // Only our own file: a copy that found ours stale may have written its own since.
        const current = readOr(file, null, (text) => parseHolder(text, dir));
        if (current?.pid === me.pid && current.startTime === me.startTime) rmSync(file);
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      // Unreadable (garbled by hand or a disk fault): nobody holds it.
      const holder = readOr(file, null, (text) => parseHolder(text, dir));
      if (holder && holds(holder)) throw new DataDirLockedError(dir, holder.pid);
      rmSync(file, { force: true });
    }
  }
  throw new DataDirLockedError(dir, -1);
}
