import { Hono } from "hono";
import type { WebhookHandler } from "../channels/telegram/runtime.ts";
import { telegramWebhookRoutes } from "../channels/telegram/webhook.ts";
import { type WebChatDeps, webChatRoutes } from "../channels/web/routes.ts";
import { type WecomCallback, wecomRoutes } from "../channels/wecom/routes.ts";
import type { Locale } from "../i18n.ts";

export interface Readiness {
  /** Set once migrations and demo data are done; null while starting or stopping. */
  db: "pglite" | "postgres" | null;
  /** What the web chat needs, set together with `db`. */
  web?: WebChatDeps | null;
  /** Set from the start in Telegram webhook mode (else 404); its handler is null until ready. */
  telegramWebhook?: () => WebhookHandler | null;
  /** Set from the start when WeCom is configured (else 404); null until ready. */
  wecomCallback?: () => WecomCallback | null;
}

/**
 * The hono app. Every route exists from the start (hono cannot add routes once serving); the
 * ones that need the database answer 503 until `readiness` says it is there.
 */
export function createHttpApp(readiness: Readiness, defaultLocale: Locale) {
  const app = new Hono();
  app.get("/healthz", (c) =>
    readiness.db ? c.json({ ok: true, db: readiness.db }) : c.json({ ok: false }, 503),
  );
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
