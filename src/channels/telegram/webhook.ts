/** POST /telegram/webhook. The route exists from the start, as hono cannot add routes later. */
import { BotError } from "grammy";
import { Hono } from "hono";
import { databaseUnavailable } from "../../db/client.ts";
import type { WebhookHandler } from "./runtime.ts";

export const WEBHOOK_PATH = "/telegram/webhook";

/**
 * `handler` is undefined when Telegram is not set up in webhook mode (404), null while the app
 * or the bot is starting (503: Telegram sends the update again later).
 */
export function telegramWebhookRoutes(handler: () => WebhookHandler | null | undefined) {
  const app = new Hono();
  app.post(WEBHOOK_PATH, async (c) => {
    const handle = handler();
    if (handle === undefined) return c.body(null, 404);
    if (handle === null) return c.body(null, 503);
    // grammY throws on a body that is not an update, which would answer 500; hono keeps the
    // parsed body, so grammY reads it again for free.
    const update: unknown = await c.req.json().catch(() => null);
    if (typeof (update as { update_id?: unknown } | null)?.update_id !== "number") {
      return c.body(null, 400);
    }
    try {
      return await handle(c);
    } catch (error) {
      // The database was gone: the HTTP app answers 503 and Telegram sends the update again.
      throw databaseUnavailable(error instanceof BotError ? error.error : error) ?? error;
    }
  });
  return app;
}
