/** POST /telegram/webhook. The route exists from the start, as hono cannot add routes later. */
import { timingSafeEqual } from "node:crypto";
import { Hono } from "hono";
import { databaseUnavailable } from "../../db/client.ts";
import type { WebhookHandler } from "./runtime.ts";

export const WEBHOOK_PATH = "/telegram/webhook";

/** Constant time, so a guesser learns nothing from how long a wrong secret took. */
function sameSecret(given: string | undefined, secret: string): boolean {
  const a = Buffer.from(given ?? "", "utf8");
  const b = Buffer.from(secret, "utf8");
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * `handler` is undefined when Telegram is not set up in webhook mode (404), null while the app
 * or the bot is starting (503: Telegram sends the update again later). The secret Telegram sends
 * in X-Telegram-Bot-Api-Secret-Token is checked before the body is parsed (the app's body
 * limit has already refused anything too big): a stranger's request costs no JSON parsing.
 */
export function telegramWebhookRoutes(
  handler: () => WebhookHandler | null | undefined,
  secret: string | undefined,
) {
  const app = new Hono();
  app.post(WEBHOOK_PATH, async (c) => {
    const handle = handler();
    if (handle === undefined) return c.body(null, 404);
    if (!secret || !sameSecret(c.req.header("x-telegram-bot-api-secret-token"), secret))
      return c.body(null, 401);
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
      throw databaseUnavailable(error) ?? error;
    }
  });
  return app;
}
