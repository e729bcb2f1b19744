import { Hono } from "hono";
import type { WebhookHandler } from "../channels/telegram/runtime.ts";
import { telegramWebhookRoutes } from "../channels/telegram/webhook.ts";
import { type WebChatDeps, webChatRoutes } from "../channels/web/routes.ts";
import { type WecomCallback, wecomRoutes } from "../channels/wecom/routes.ts";
import { databaseUnavailable } from "../db/client.ts";
import { type Locale, translator } from "../i18n.ts";
import type { DeliveryCounts } from "../services/deliveryHealth.ts";

export interface Readiness {
  /** Set once migrations and demo data are done; null while starting or stopping. */
  db: "pglite" | "postgres" | null;
  /**
   * Counts the deliveries that need a look (/healthz); it fails when the database cannot be
   * reached. Set together with `db`.
   */
  deliveries?: () => Promise<DeliveryCounts>;
  /** What the web chat needs, set together with `db`. */
  web?: WebChatDeps | null;
  /** Set from the start in Telegram webhook mode (else 404); its handler is null until ready. */
  telegramWebhook?: () => WebhookHandler | null;
  /** Set from the start when WeCom is configured (else 404); null until ready. */
  wecomCallback?: () => WecomCallback | null;
}

/** How long /healthz waits for the database before it calls it down. */
const HEALTH_PROBE_MS = 2_000;
const RETRY_AFTER_SECONDS = 5;
const PROBE_TIMEOUT = Symbol("probe timeout");

function withinMs<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(PROBE_TIMEOUT), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/**
 * The hono app. Every route exists from the start (hono cannot add routes once serving); the
 * ones that need the database answer 503 until `readiness` says it is there.
 */
export function createHttpApp(readiness: Readiness, defaultLocale: Locale) {
  const app = new Hono();
  const t = translator(defaultLocale);
  // Whatever the route, work that found the database gone stored nothing: 503, so a platform
  // sends it again and a person is told to try again, in their words.
  app.use("*", async (c, next) => {
    await next();
    if (c.error && databaseUnavailable(c.error)) {
      c.res = c.json({ error: t("reliability:unavailable") }, 503, {
        "retry-after": String(RETRY_AFTER_SECONDS),
      });
    }
  });
  app.get("/healthz", async (c) => {
    if (!readiness.db) return c.json({ ok: false }, 503);
    try {
      const deliveries = await withinMs(
        readiness.deliveries?.() ?? Promise.resolve(undefined),
        HEALTH_PROBE_MS,
      );
      return c.json({ ok: true, db: readiness.db, ...(deliveries ? { deliveries } : {}) });
    } catch (error) {
      if (error !== PROBE_TIMEOUT && !databaseUnavailable(error)) throw error;
      return c.json({ ok: false, db: "down" }, 503);
    }
  });
  app.route(
    "/",
    webChatRoutes(() => (readiness.db ? (readiness.web ?? null) : null), defaultLocale),
  );
  app.route(
    "/",
    telegramWebhookRoutes(() => {
      const webhook = readiness.telegramWebhook;
      if (!webhook) return undefined;
      return readiness.db ? webhook() : null;
    }),
  );
  app.route(
    "/",
    wecomRoutes(() => {
      const callback = readiness.wecomCallback;
      if (!callback) return undefined;
      return readiness.db ? callback() : null;
    }),
  );
  return app;
}
