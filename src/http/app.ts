import { Hono } from "hono";
import type { WebhookHandler } from "../channels/telegram/runtime.ts";
import { telegramWebhookRoutes } from "../channels/telegram/webhook.ts";
import {
  UPLOAD_ROUTE,
  type WebChatDeps,
  type WebChatOptions,
  webChatRoutes,
} from "../channels/web/routes.ts";
import { type WecomCallback, wecomRoutes } from "../channels/wecom/routes.ts";
import { RATE_DEFAULTS, WEBCHAT_DEFAULTS } from "../config.ts";
import { databaseUnavailable } from "../db/client.ts";
import { type Locale, translator } from "../i18n.ts";
import type { DeliveryCounts } from "../services/deliveryHealth.ts";
import { errorHandler } from "./errors.ts";
import { limitBody, MB } from "./guards.ts";

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
  /** The webhook's secret token, checked before the body is read. */
  telegramSecret?: string;
  /** Set from the start when WeCom is configured (else 404); null until ready. */
  wecomCallback?: () => WecomCallback | null;
}

export interface HttpOptions {
  /** The web chat's settings; null when it is off (WEBCHAT=off: no page, no API). */
  webchat?: WebChatOptions | null;
  /** Told about errors that became a 500 (the log). */
  onError?: (error: unknown) => void;
}

/** No route takes more (a file upload route of its own may allow more). */
const BODY_LIMIT = 1 * MB;

const DEFAULT_WEBCHAT: WebChatOptions = { settings: WEBCHAT_DEFAULTS, ...RATE_DEFAULTS };

/** How long /healthz waits for the database before it calls it down. */
const HEALTH_PROBE_MS = 2_000;
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
export function createHttpApp(
  readiness: Readiness,
  defaultLocale: Locale,
  options: HttpOptions = {},
) {
  const t = translator(defaultLocale);
  const app = new Hono();
  app.onError(errorHandler(defaultLocale, options.onError));
  app.notFound((c) => c.json({ error: t("webchat:errors.notFound") }, 404));
  const bodyLimit = limitBody(BODY_LIMIT, (c, status, key) =>
    c.json({ error: t(`webchat:errors.${key}`) }, status),
  );
  // The web chat's upload has a limit of its own, checked on that route.
  app.use("*", (c, next) => (c.req.path === UPLOAD_ROUTE ? next() : bodyLimit(c, next)));
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
  const webchat = options.webchat === undefined ? DEFAULT_WEBCHAT : options.webchat;
  if (webchat) {
    app.route(
      "/",
      webChatRoutes(() => (readiness.db ? (readiness.web ?? null) : null), defaultLocale, webchat),
    );
  }
  app.route(
    "/",
    telegramWebhookRoutes(() => {
      const webhook = readiness.telegramWebhook;
      if (!webhook) return undefined;
      return readiness.db ? webhook() : null;
    }, readiness.telegramSecret),
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
