import { Hono } from "hono";
import { type WebChatDeps, webChatRoutes } from "../channels/web/routes.ts";
import type { Locale } from "../i18n.ts";

export interface Readiness {
  /** Set once migrations and demo data are done; null while starting or stopping. */
  db: "pglite" | "postgres" | null;
  /** What the web chat needs, set together with `db`. */
  web?: WebChatDeps | null;
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
  return app;
}
