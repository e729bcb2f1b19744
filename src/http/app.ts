import { Hono } from "hono";

export interface Readiness {
  /** Set once migrations and demo data are done; null while starting or stopping. */
  db: "pglite" | "postgres" | null;
}

/** The hono app. Channel routes are mounted by main as they come. */
export function createHttpApp(readiness: Readiness) {
  const app = new Hono();
  app.get("/healthz", (c) =>
    readiness.db ? c.json({ ok: true, db: readiness.db }) : c.json({ ok: false }, 503),
  );
  return app;
}
