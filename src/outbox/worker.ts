/**
 * The delivery loop of one app copy: fan out new events, then deliver what is due, again and
 * again, never two rounds at once, and keep its tables clear of dead rows (vacuum.ts). Copies
 * share the work through row claims and share the platforms' limits through the send log.
 * Writes the database refused while it was away are kept and made first once it is back.
 */
import type { Db } from "../db/client.ts";
import { type Clock, systemClock } from "./clock.ts";
import {
  type ChannelSender,
  type DeliveryOptions,
  deliverDue,
  type PendingWrite,
  type Renderer,
} from "./deliver.ts";
import { fanOut } from "./fanOut.ts";
import type { Relevance } from "./relevance.ts";
import { pruneLog } from "./sendLog.ts";
import { VACUUM_EVERY_MS, vacuumQueues, vacuumSendLog } from "./vacuum.ts";

export interface DeliveryLoop {
  /** Runs one round now (tests, and right after a change that should be seen at once). */
  runOnce(): Promise<void>;
  stop(): Promise<void>;
}

export function startDeliveryLoop(options: {
  db: Db;
  senders: ChannelSender[];
  render: Renderer;
  relevance?: Relevance;
  intervalMs: number;
  clock?: Clock;
  onError?: (error: unknown) => void;
  /** Passed on to every round (tests tune pacing and leases). */
  tuning?: Partial<Pick<DeliveryOptions, "concurrency" | "horizonMs" | "leaseMs" | "backoffMs">>;
}): DeliveryLoop {
  const clock = options.clock ?? systemClock;
  const stopping = new AbortController();
  const pending: PendingWrite[] = [];
  let running: Promise<void> | null = null;
  let lastPrune = 0;
  let lastVacuum = 0;
  /** The earliest moment a chat held back by its limits may go: the loop wakes then. */
  let wakeAt = Number.POSITIVE_INFINITY;
  const round = async () => {
    const now = new Date(clock.now());
    await deliverDue(options.db, {
      senders: options.senders,
      render: options.render,
      relevance: options.relevance,
      now,
      clock,
      pending,
      signal: stopping.signal,
      // Events queued while a long round of sends goes on join the next round, not the next tick.
      beforeRound: async (at) => {
        while ((await fanOut(options.db, at)) > 0);
      },
      onDeferred: (at) => {
        wakeAt = Math.min(wakeAt, at);
      },
      ...options.tuning,
    });
    if (clock.now() - lastPrune > VACUUM_EVERY_MS.sendLog) {
      await pruneLog(options.db, clock.now());
      await vacuumSendLog(options.db);
      lastPrune = clock.now();
    }
    if (clock.now() - lastVacuum > VACUUM_EVERY_MS.queues) {
      await vacuumQueues(options.db);
      lastVacuum = clock.now();
    }
  };
  const tick = () => {
    if (running || stopping.signal.aborted) return running ?? Promise.resolve();
    running = round()
      .catch((error) => options.onError?.(error))
      .finally(() => {
        running = null;
      });
    return running;
  };
  const loop = (async () => {
    while (!stopping.signal.aborted) {
      if (wakeAt <= clock.now()) wakeAt = Number.POSITIVE_INFINITY;
      await tick();
      const wait = Math.min(options.intervalMs, wakeAt - clock.now());
      await clock.sleep(Math.max(0, wait), stopping.signal);
    }
  })();
  return {
    runOnce: () => tick(),
    async stop() {
      stopping.abort();
      await loop;
      await running;
    },
  };
}
