/**
 * Issue 20.1: runs confirmed batch approvals in the background, so the dialog turn that
 * confirmed one ends at once and each approval gets its own transaction. Any copy may run a
 * batch (a claimed row); a copy that dies mid-run leaves it to another after the lease.
 */
import type { Db } from "../db/client.ts";
import { runQueuedBatches } from "../services/batchApprovals.ts";

export interface BatchRunner {
  stop(): Promise<void>;
}

export function startBatchRunner(options: {
  db: Db;
  intervalMs: number;
  now?: () => Date;
  onError?: (error: unknown) => void;
}): BatchRunner {
  const now = options.now ?? (() => new Date());
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const tick = () => {
    running = runQueuedBatches(options.db, now)
      .then(() => undefined)
      .catch((error) => options.onError?.(error))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, options.intervalMs);
      });
  };
  timer = setTimeout(tick, options.intervalMs);
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
