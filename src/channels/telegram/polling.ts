/**
 * Long polling: fetch updates, hand each to the bot in order, advance the offset. Our own loop
 * rather than `bot.start()`, so a stop waits for the update in hand and another app copy polling
 * the same bot (Telegram answers 409) only makes this one wait its turn.
 */
import { type Api, type Bot, BotError, GrammyError } from "grammy";
import type { Update } from "grammy/types";
import { DatabaseUnavailableError } from "../../db/client.ts";

/** grammY's Node typings name the `abort-controller` shim's signal; a native one works alike. */
export const forGrammy = (signal: AbortSignal) => signal as Parameters<Api["getUpdates"]>[1];

export const ALLOWED_UPDATES = ["message", "callback_query"] as const;

export interface PollingOptions {
  /** Seconds Telegram holds a getUpdates open when there is nothing. */
  timeoutSeconds: number;
  /** Wait after a failed getUpdates (Telegram unreachable, another copy polling). */
  retryMs: number;
  signal: AbortSignal;
  onError(error: unknown): void;
}

export async function poll(bot: Bot, options: PollingOptions): Promise<void> {
  const { signal } = options;
  let offset = 0;
  while (!signal.aborted) {
    let updates: Update[];
    try {
      updates = await bot.api.getUpdates(
        { offset, timeout: options.timeoutSeconds, allowed_updates: [...ALLOWED_UPDATES] },
        forGrammy(signal),
      );
    } catch (error) {
      if (signal.aborted) break;
      if (!(error instanceof GrammyError && error.error_code === 409)) options.onError(error);
      await sleep(options.retryMs, signal);
      continue;
    }
    for (const update of updates) {
      try {
        await bot.handleUpdate(update);
      } catch (error) {
        // Nothing of it was stored: leave the offset, so Telegram hands it over again.
        if (error instanceof BotError && error.error instanceof DatabaseUnavailableError) {
          options.onError(error.error);
          await sleep(options.retryMs, signal);
          break;
        }
        options.onError(error);
      }
      offset = update.update_id + 1;
    }
  }
  // Confirm what was handled, so a restart is not handed it again (it would be a no-op anyway).
  if (offset > 0) await bot.api.getUpdates({ offset, limit: 1, timeout: 0 }).catch(() => {});
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}
