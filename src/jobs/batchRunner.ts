/**
 * Issue 20.1: runs confirmed batch approvals in the background, so the dialog turn that
 * confirmed one ends at once and each approval gets its own transaction. Any copy may run a
 * batch (a claimed row); a copy that dies mid-run leaves it to another after the lease.
 */
import type { Db } from "../db/client.ts";
import { type Clock, systemClock } from "../outbox/clock.ts";
import { runQueuedBatches } from "../services/batchApprovals.ts";

export interface BatchRunner {
  stop(): Promise<void>;
}

export function startBatchRunner(options: {
  db: Db;
  intervalMs: number;
  /** Its time and its waits (a replay on a virtual clock injects its own). */
  clock?: Clock;
  onError?: (error: unknown) => void;
}): BatchRunner {
  const clock = options.clock ?? systemClock;
  const now = () => new Date(clock.now());
  const stopping = new AbortController();
  const loop = (async () => {
    while (!stopping.signal.aborted) {
      await clock.sleep(options.intervalMs, stopping.signal);
      if (stopping.signal.aborted) return;
      await runQueuedBatches(options.db, now).catch((error) => options.onError?.(error));
    }
  })();
  return {
    async stop() {
      stopping.abort();
      await loop;
    },
  };
}
