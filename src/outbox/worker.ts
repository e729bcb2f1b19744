/**
 * The delivery loop of one app copy: fan out new events, then deliver what is due, every
 * interval, never two rounds at once. Copies share the work through row claims.
 */
import type { Db } from "../db/client.ts";
import { type ChannelSender, deliverDue, type Renderer } from "./deliver.ts";
import { fanOut } from "./fanOut.ts";

export interface DeliveryLoop {
  /** Runs one round now (tests, and right after a change that should be seen at once). */
  runOnce(): Promise<void>;
  stop(): Promise<void>;
}

export function startDeliveryLoop(options: {
  db: Db;
  senders: ChannelSender[];
  render: Renderer;
  intervalMs: number;
  now?: () => Date;
  onError?: (error: unknown) => void;
}): DeliveryLoop {
  const now = options.now ?? (() => new Date());
  let running: Promise<void> | null = null;
  let stopped = false;
  const round = async () => {
    // Drain: keep going while rounds find work, so a burst is not spread over many ticks.
    for (let i = 0; i < 20; i++) {
      const fanned = await fanOut(options.db, now());
      const report = await deliverDue(options.db, {
        senders: options.senders,
        render: options.render,
        now: now(),
      });
      if (fanned === 0 && report.sent + report.retried + report.dead === 0) return;
    }
  };
  const tick = () => {
    if (running || stopped) return running ?? Promise.resolve();
    running = round()
      .catch((error) => options.onError?.(error))
      .finally(() => {
        running = null;
      });
    return running;
  };
  const timer = setInterval(tick, options.intervalMs);
  timer.unref();
  return {
    runOnce: () => tick(),
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
