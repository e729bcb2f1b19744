/**
 * The web chat channel: the page at `/` and its JSON API (issue 5.5). Other tools rely on the
 * API's shape: keep it stable.
 */
import { readFileSync } from "node:fs";
import { Hono } from "hono";
import { z } from "zod";
import type { Db } from "../../db/client.ts";
import type { DialogEngine } from "../../dialogs/engine.ts";
import type { RenderedReply } from "../../dialogs/types.ts";
import { i18n, LOCALES, type Locale, translator } from "../../i18n.ts";
import { demoUsers, ensureDemoIdentity } from "./demo.ts";
import { takeInbox, WEB_CHANNEL } from "./inbox.ts";

export interface WebChatDeps {
  db: Db;
  engine: DialogEngine;
  demo: boolean;
  defaultLocale: Locale;
  graduationYear: number;
  /** The clock, a parameter so tests can move it. */
  now(): Date;
}

// No control characters: PostgreSQL stores no NUL, and no id of ours needs one.
const id = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .refine((v) => !/\p{Cc}/u.test(v));
const messageBody = z
  .object({
    user: id,
    chat: id.optional(),
    text: z.string().max(4096).optional(),
    action: z.string().min(1).max(64).optional(),
  })
  .strict()
  .refine((b) => (b.text === undefined) !== (b.action === undefined), {
    message: "textOrAction",
  });

/**
 * The shape the API promises: text and rows of buttons. Optional extras, present only when set:
 * `popup` (a short notice for the pressed button), `ref` + `edit` (this message replaces the
 * earlier one with the same ref: a decided card), `expectsReply` (the bot waits for your text).
 */
const wire = (r: RenderedReply) => ({
  text: r.text,
  buttons: r.buttons,
  ...(r.popup ? { popup: r.popup } : {}),
  ...(r.ref ? { ref: r.ref } : {}),
  ...(r.edit ? { edit: true } : {}),
  ...(r.expectsReply ? { expectsReply: true } : {}),
  ...(r.image ? { image: r.image } : {}),
});

const page = readFileSync(new URL("./public/index.html", import.meta.url), "utf8");
const script = readFileSync(new URL("./public/webchat.js", import.meta.url), "utf8");

const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The page in the default language, so it reads right before its script runs. */
function renderPage(locale: Locale): string {
  const t = translator(locale);
  return page
    .replace('lang="zh-CN"', `lang="${locale}"`)
    .replace(/\{\{t:([\w.]+)\}\}/g, (_, key: string) => escapeHtml(t(`webchat:${key}`)));
}

/** The UI strings of every language and the mode, for the page's language switch. */
function bootScript(deps: WebChatDeps | null, locale: Locale): string {
  const strings = Object.fromEntries(LOCALES.map((l) => [l, i18n.getResourceBundle(l, "webchat")]));
  const boot = { strings, locale, demo: deps?.demo ?? false };
  return `window.webchatBoot = ${JSON.stringify(boot).replaceAll("<", "\\u003c")};\n`;
}

/** Routes of the web chat; `deps` is null until the database is ready (503 meanwhile). */
export function webChatRoutes(getDeps: () => WebChatDeps | null, defaultLocale: Locale) {
  const app = new Hono();
  const t = translator(defaultLocale);
  const bad = (reason: string) => ({ error: t(`webchat:errors.${reason}`) });

  app.get("/", (c) => c.html(renderPage(defaultLocale)));
  app.get("/webchat-boot.js", (c) =>
    c.body(bootScript(getDeps(), defaultLocale), 200, {
      "content-type": "text/javascript; charset=utf-8",
      "cache-control": "no-store",
    }),
  );
  app.get("/webchat.js", (c) =>
    c.body(script, 200, { "content-type": "text/javascript; charset=utf-8" }),
  );

  app.use("/api/webchat/*", async (c, next) => {
    if (!getDeps()) return c.json(bad("starting"), 503);
    await next();
  });

  app.get("/api/webchat/demo-users", async (c) => {
    const deps = getDeps()!;
    if (!deps.demo) return c.json(bad("notDemo"), 404);
    return c.json({ users: await demoUsers(deps.db, deps.graduationYear) });
  });

  app.post("/api/webchat/messages", async (c) => {
    const deps = getDeps()!;
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return c.json(bad("json"), 400);
    }
    const parsed = messageBody.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      if (issue?.code === "unrecognized_keys")
        return c.json(
          { error: t("webchat:errors.unknownFields", { fields: issue.keys.join(", ") }) },
          400,
        );
      if (issue?.message === "textOrAction") return c.json(bad("textOrAction"), 400);
      return c.json(
        { error: t("webchat:errors.field", { field: issue?.path.join(".") ?? "" }) },
        400,
      );
    }
    const { user, text, action } = parsed.data;
    const chat = parsed.data.chat ?? user;
    if (deps.demo) await ensureDemoIdentity(deps.db, user);
    const out = await deps.engine.handle({
      channel: WEB_CHANNEL,
      chatId: chat,
      userId: user,
      isGroup: chat !== user,
      now: deps.now(),
      input:
        action !== undefined
          ? { type: "action", token: action }
          : { type: "text", text: text ?? "" },
    });
    return c.json({ replies: out.replies.map(wire) });
  });

  app.get("/api/webchat/inbox", async (c) => {
    const deps = getDeps()!;
    const chat = id.safeParse(c.req.query("chat") ?? "");
    if (!chat.success) return c.json({ error: t("webchat:errors.field", { field: "chat" }) }, 400);
    const messages = await takeInbox(deps.db, chat.data, deps.defaultLocale, deps.now());
    return c.json({ messages: messages.map(wire) });
  });

  return app;
}
