/**
 * The web chat channel: the page at `/` and its JSON API (issues 5.5, 14.10, 15). A person is
 * whoever holds a session (sessions.ts); nothing in a request body names anyone. Other tools rely
 * on the API's shape (README, Web chat): keep it stable.
 */
import { readFileSync } from "node:fs";
import { sql } from "drizzle-orm";
import { type Context, Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { z } from "zod";
import { trustedProxyList, type WebChatSettings } from "../../config.ts";
import { type Db, query } from "../../db/client.ts";
import type { DialogEngine } from "../../dialogs/engine.ts";
import { MAX_IMPORT_BYTES, MAX_IMPORT_MB } from "../../dialogs/flows/import.ts";
import { saveLocale } from "../../dialogs/identity.ts";
import type { RenderedReply } from "../../dialogs/types.ts";
import {
  clientAddress,
  hostCheck,
  isHttps,
  KB,
  limitBody,
  overLimit,
  pageHeaders,
  type Refuse,
  sameOriginCheck,
} from "../../http/guards.ts";
import { i18n, isLocale, LOCALES, type Locale, translator } from "../../i18n.ts";
import { escapeMarkup } from "../../messages/escape.ts";
import { bindIdentity, type Redeemed, redeemCode } from "../../services/bindings.ts";
import { perMinute } from "../../services/rateLimits.ts";
import { chatAccess, GROUP_ID } from "./access.ts";
import { demoUsers } from "./demo.ts";
import { contentDisposition, FILE_ROUTE, fileFor, keepFiles, type WebReply } from "./files.ts";
import { appendToLog, readLog, turnEntries, WEB_CHANNEL } from "./log.ts";
import {
  endSession,
  isWebUserId,
  sessionHashOf,
  sessionPerson,
  startSession,
  type WebPerson,
  webPerson,
  webUserOf,
} from "./sessions.ts";

export interface WebChatDeps {
  db: Db;
  engine: DialogEngine;
  demo: boolean;
  defaultLocale: Locale;
  graduationYear: number;
  /** The clock, a parameter so tests can move it. */
  now(): Date;
}

export interface WebChatOptions {
  settings: WebChatSettings;
  /** Reads of one person a minute (polls and the rest; messages count in the engine). */
  readsPerPersonPerMinute: number;
  /** Requests from one client address a minute, whoever sends them. */
  perAddressPerMinute: number;
}

/** What a chat message may be: the limit Telegram has, said when exceeded. */
export const MAX_TEXT = 4096;
const API_BODY_LIMIT = 64 * KB;
/** A file to import (issue 18): multipart, the file and the form's own bytes. */
export const UPLOAD_ROUTE = "/api/webchat/upload";
const UPLOAD_BODY_LIMIT = MAX_IMPORT_BYTES + 64 * KB;
const COOKIE = "zhtj_session";

const chatId = z.string().refine((v) => GROUP_ID.test(v) || isWebUserId(v));
const messageBody = z
  .object({
    chat: chatId.optional(),
    text: z.string().max(MAX_TEXT, { message: "textTooLong" }).optional(),
    action: z.string().min(1).max(64).optional(),
  })
  .strict()
  .refine((b) => (b.text === undefined) !== (b.action === undefined), {
    message: "textOrAction",
  });
/** `locale`: the page's language, kept for a person who has not chosen one yet. */
const pageLocale = z.string().refine(isLocale).optional();
const sessionBody = z.union([
  z.object({ code: z.string().trim().min(1).max(64), locale: pageLocale }).strict(),
  z.object({ demo: z.string().min(1).max(32), locale: pageLocale }).strict(),
]);
const localeBody = z.object({ locale: z.string().refine(isLocale) }).strict();
const inboxQuery = z
  .object({
    chat: chatId.optional(),
    after: z
      .string()
      .regex(/^\d{1,15}$/)
      .optional(),
  })
  .strict();

/**
 * The shape the API promises: text and rows of buttons. Optional extras, present only when set:
 * `popup` (a short notice for the pressed button), `ref` + `edit` (this message replaces the
 * earlier one with the same ref: a decided card), `expectsReply` (the bot waits for your text),
 * `image` (a chart), `author` (a message a person typed, in the chat's log), `file` (an export:
 * its name and a download link that works for this session only).
 */
const wire = (r: WebReply & { id?: number; author?: { user: string; name: string } }) => ({
  ...(r.id !== undefined ? { id: r.id } : {}),
  text: r.text,
  buttons: r.buttons,
  ...(r.popup ? { popup: r.popup } : {}),
  ...(r.ref ? { ref: r.ref } : {}),
  ...(r.edit ? { edit: true } : {}),
  ...(r.expectsReply ? { expectsReply: true } : {}),
  ...(r.image ? { image: r.image } : {}),
  ...(r.author ? { author: r.author } : {}),
  ...(r.file ? { file: r.file } : {}),
});

const asset = (name: string) => readFileSync(new URL(`./public/${name}`, import.meta.url), "utf8");
const page = asset("index.html");
const script = asset("webchat.js");
const style = asset("webchat.css");

/** The page in the default language, so it reads right before its script runs. */
function renderPage(locale: Locale): string {
  const t = translator(locale);
  return page
    .replace('lang="zh-CN"', `lang="${locale}"`)
    .replace(/\{\{t:([\w.]+)\}\}/g, (_, key: string) => escapeMarkup(t(`webchat:${key}`)));
}

/** The UI strings of every language and the mode, for the page's language switch. */
function bootScript(deps: WebChatDeps | null, locale: Locale): string {
  const strings = Object.fromEntries(LOCALES.map((l) => [l, i18n.getResourceBundle(l, "webchat")]));
  const boot = { strings, locale, demo: deps?.demo ?? false, maxText: MAX_TEXT };
  return `window.webchatBoot = ${JSON.stringify(boot).replaceAll("<", "\\u003c")};\n`;
}

const personBody = (p: WebPerson, defaultLocale: Locale) => ({
  user: p.user,
  name: p.name,
  role: p.role,
  locale: p.locale ?? defaultLocale,
});

type Env = { Variables: { address: string } };

type SessionStart =
  | { refused: "notDemo" | "unknownDemo" }
  | { redeem: Extract<Redeemed, { ok: false }> }
  | { token: string; user: string };

/** Routes of the web chat; `deps` is null until the database is ready (503 meanwhile). */
export function webChatRoutes(
  getDeps: () => WebChatDeps | null,
  defaultLocale: Locale,
  options: WebChatOptions,
) {
  const app = new Hono<Env>();
  const { settings } = options;
  const proxies = trustedProxyList(settings.trustedProxies);
  const sessions = { idleMs: settings.sessionIdleMs, maxMs: settings.sessionMaxMs };
  const t = translator(defaultLocale);
  const refuse: Refuse = (c, status, key) => c.json({ error: t(`webchat:errors.${key}`) }, status);
  const fail = (c: Context, status: 400 | 401 | 403 | 404 | 413 | 503, key: string, params = {}) =>
    c.json({ error: t(`webchat:errors.${key}`, params) }, status);

  const web = ["/", "/webchat.js", "/webchat.css", "/webchat-boot.js", "/api/webchat/*"];
  for (const path of web) {
    app.use(path, hostCheck(settings.publicHosts, refuse), pageHeaders());
    app.use(path, async (c, next) => {
      c.set("address", clientAddress(c, proxies));
      const deps = getDeps();
      if (deps) {
        const limited = await overLimit(
          c,
          deps.db,
          `http:addr:${c.get("address")}`,
          perMinute(options.perAddressPerMinute),
          deps.now(),
          refuse,
        );
        if (limited) return limited;
      }
      await next();
    });
  }

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
  app.get("/webchat.css", (c) => c.body(style, 200, { "content-type": "text/css; charset=utf-8" }));

  const apiLimit = limitBody(API_BODY_LIMIT, refuse);
  app.use(
    "/api/webchat/*",
    (c, next) => (c.req.path === UPLOAD_ROUTE ? next() : apiLimit(c, next)),
    sameOriginCheck(refuse),
  );
  app.use("/api/webchat/*", async (c, next) => {
    if (!getDeps()) return fail(c, 503, "starting");
    await next();
  });

  /** The body as JSON, or a 400 answer. */
  const jsonBody = async (c: Context): Promise<{ ok: true; body: unknown } | Response> => {
    try {
      return { ok: true, body: await c.req.json() };
    } catch {
      return fail(c, 400, "json");
    }
  };

  /** A zod failure as the API says it: unknown fields by name, else the first bad field. */
  const invalid = (c: Context, error: z.ZodError) => {
    const issue = error.issues[0];
    if (issue?.code === "unrecognized_keys")
      return fail(c, 400, "unknownFields", { fields: issue.keys.join(", ") });
    if (issue?.message === "textOrAction") return fail(c, 400, "textOrAction");
    if (issue?.message === "textTooLong") return fail(c, 400, "textTooLong", { max: MAX_TEXT });
    return fail(c, 400, "field", { field: issue?.path.join(".") ?? "" });
  };

  const setSessionCookie = (c: Context, token: string) =>
    setCookie(c, COOKIE, token, {
      httpOnly: true,
      sameSite: "Strict",
      path: "/",
      secure: isHttps(c, proxies),
      maxAge: Math.floor(settings.sessionMaxMs / 1000),
    });

  /** The session's person, within their own request budget; or the refusal to answer. */
  const person = async (c: Context, deps: WebChatDeps): Promise<WebPerson | Response> => {
    const who = await sessionPerson(deps.db, getCookie(c, COOKIE), deps.now(), sessions);
    if (!who) return fail(c, 401, "noSession");
    return who;
  };
  const budgeted = async (c: Context, deps: WebChatDeps): Promise<WebPerson | Response> => {
    const who = await person(c, deps);
    if (who instanceof Response) return who;
    const budget = perMinute(options.readsPerPersonPerMinute);
    const limited = await overLimit(c, deps.db, `http:web:${who.user}`, budget, deps.now(), refuse);
    return limited ?? who;
  };

  app.get("/api/webchat/demo-users", async (c) => {
    const deps = getDeps()!;
    if (!deps.demo) return fail(c, 404, "notDemo");
    return c.json({ users: await demoUsers(deps.db, deps.graduationYear, defaultLocale) });
  });

  app.post("/api/webchat/session", async (c) => {
    const deps = getDeps()!;
    const read = await jsonBody(c);
    if (read instanceof Response) return read;
    const parsed = sessionBody.safeParse(read.body);
    if (!parsed.success) return invalid(c, parsed.error);
    const now = deps.now();
    const started = await deps.db.transaction(async (tx): Promise<SessionStart> => {
      if ("demo" in parsed.data) {
        if (!deps.demo) return { refused: "notDemo" };
        const demo = parsed.data.demo;
        const known = (await demoUsers(tx, deps.graduationYear)).some((u) => u.user === demo);
        const who = known ? await webPerson(tx, demo) : null;
        if (!who) return { refused: "unknownDemo" };
        await bindIdentity(
          tx,
          WEB_CHANNEL,
          who.user,
          who.role === "member" ? { memberId: who.memberId } : { adminId: who.adminId },
        );
        return { token: await startSession(tx, who.user, now, sessions), user: who.user };
      }
      let user = "";
      const redeemed = await redeemCode(tx, {
        channel: WEB_CHANNEL,
        userId: (code) => {
          user = webUserOf(code.kind, (code.kind === "member" ? code.memberId : code.adminId)!);
          return user;
        },
        code: parsed.data.code,
        sources: [{ address: c.get("address") }],
        now,
      });
      if (!redeemed.ok) return { redeem: redeemed };
      return { token: await startSession(tx, user, now, sessions), user };
    });
    if ("refused" in started)
      return fail(c, started.refused === "notDemo" ? 404 : 400, started.refused);
    if ("token" in started && parsed.data.locale) {
      await query(
        deps.db,
        sql`update chat_identities set locale = ${parsed.data.locale}
            where channel = ${WEB_CHANNEL} and external_user_id = ${started.user} and locale is null`,
      );
    }
    if ("redeem" in started) {
      const { reason, lockedUntil } = started.redeem;
      if (reason === "locked") {
        const seconds = Math.ceil(((lockedUntil?.getTime() ?? 0) - now.getTime()) / 1000);
        c.header("Retry-After", String(Math.max(1, seconds)));
        return c.json(
          {
            error: t("chat:bind.refused.locked", { minutes: Math.max(1, Math.ceil(seconds / 60)) }),
          },
          429,
        );
      }
      return c.json({ error: t(`chat:bind.refused.${reason}`) }, 400);
    }
    setSessionCookie(c, started.token);
    const who = (await webPerson(deps.db, started.user))!;
    return c.json(personBody(who, deps.defaultLocale));
  });

  app.get("/api/webchat/session", async (c) => {
    const deps = getDeps()!;
    const who = await budgeted(c, deps);
    if (who instanceof Response) return who;
    return c.json(personBody(who, deps.defaultLocale));
  });

  /** The page's language is the bot's: one setting, the same as /lang. */
  app.patch("/api/webchat/session", async (c) => {
    const deps = getDeps()!;
    const who = await budgeted(c, deps);
    if (who instanceof Response) return who;
    const read = await jsonBody(c);
    if (read instanceof Response) return read;
    const parsed = localeBody.safeParse(read.body);
    if (!parsed.success) return invalid(c, parsed.error);
    await saveLocale(deps.db, WEB_CHANNEL, who.user, parsed.data.locale as Locale);
    return c.json(personBody({ ...who, locale: parsed.data.locale as Locale }, deps.defaultLocale));
  });

  const logout = async (c: Context, deps: WebChatDeps) => {
    await endSession(deps.db, getCookie(c, COOKIE));
    deleteCookie(c, COOKIE, { path: "/" });
  };

  app.delete("/api/webchat/session", async (c) => {
    await logout(c, getDeps()!);
    return c.json({ ok: true });
  });

  app.post("/api/webchat/messages", async (c) => {
    const deps = getDeps()!;
    const who = await person(c, deps);
    if (who instanceof Response) return who;
    const read = await jsonBody(c);
    if (read instanceof Response) return read;
    const parsed = messageBody.safeParse(read.body);
    if (!parsed.success) return invalid(c, parsed.error);
    const { chat, text, action } = parsed.data;
    const tr = translator(who.locale ?? deps.defaultLocale);
    const say = (key: string) => ({ text: tr(`webchat:${key}`), buttons: [] });
    if (text?.trim() === "/logout") {
      await logout(c, deps);
      return c.json({ replies: [say("loggedOut")], loggedOut: true });
    }
    // On the web the session is the identity: another person's code is redeemed on the page.
    if (text !== undefined && /^\/start(@\S+)?\s+\S/i.test(text.trim()))
      return c.json({ replies: [say("codeOnPage")] });
    const access = await chatAccess(deps.db, who, chat, text ?? null);
    if (!access.ok) return fail(c, 403, access.why);
    let ids: number[] = [];
    let shown: WebReply[] = [];
    const typed = text ?? null;
    const out = await deps.engine.handle(
      {
        channel: WEB_CHANNEL,
        chatId: access.chatId,
        userId: who.user,
        isGroup: access.isGroup,
        now: deps.now(),
        input:
          action !== undefined
            ? { type: "action", token: action }
            : { type: "text", text: typed ?? "" },
      },
      async (tx, replies) => {
        const author = { user: who.user, name: who.name };
        shown = await keepFiles(tx, sessionHashOf(getCookie(c, COOKIE)), replies, deps.now());
        ids = await appendToLog(tx, access.chatId, turnEntries(author, typed, shown));
      },
    );
    if (out.limited) {
      c.header("Retry-After", String(Math.ceil(out.limited.retryAfterMs / 1000)));
      return c.json({ error: out.replies[0]?.text ?? tr("webchat:errors.slowDown") }, 429);
    }
    const firstReply = ids.length - out.replies.length;
    const locale = (await webPerson(deps.db, who.user))?.locale ?? deps.defaultLocale;
    return c.json({
      replies: (shown.length === out.replies.length ? shown : out.replies).map((r, i) =>
        wire({ ...r, ...(ids.length ? { id: ids[firstReply + i] } : {}) }),
      ),
      locale,
    });
  });

  /**
   * A sheet to import, into the person's own private chat (importFile.ts): the session says
   * who imports, nothing in the form does. Answers when the preview is there; meanwhile the
   * progress message is in the chat's log, edited in place (ref + edit), for the page's polls.
   */
  app.post(
    UPLOAD_ROUTE,
    limitBody(UPLOAD_BODY_LIMIT, (c) => fail(c, 413, "uploadTooLarge", { max: MAX_IMPORT_MB })),
    async (c) => {
      const deps = getDeps()!;
      const who = await person(c, deps);
      if (who instanceof Response) return who;
      let file: unknown;
      try {
        file = (await c.req.formData()).get("file");
      } catch {
        return fail(c, 400, "uploadForm");
      }
      if (!(file instanceof File)) return fail(c, 400, "uploadForm");
      const access = await chatAccess(deps.db, who, undefined, null);
      if (!access.ok) return fail(c, 403, access.why);
      const sessionHash = sessionHashOf(getCookie(c, COOKIE));
      const tr = translator(who.locale ?? deps.defaultLocale);
      const author = { user: who.user, name: who.name };
      let mine = [
        { author, reply: { text: tr("webchat:uploaded", { file: file.name }), buttons: [] } },
      ];
      const answered: ReturnType<typeof wire>[] = [];
      const log = async (replies: RenderedReply[]) => {
        await deps.db.transaction(async (tx) => {
          const kept = await keepFiles(tx, sessionHash, replies, deps.now());
          const ids = await appendToLog(tx, access.chatId, [
            ...mine,
            ...turnEntries(author, null, kept),
          ]);
          const own = ids.length - kept.length;
          answered.push(...kept.map((r, i) => wire({ ...r, id: ids[own + i]! })));
        });
        mine = [];
      };
      await deps.engine.receiveFile(
        {
          channel: WEB_CHANNEL,
          chatId: access.chatId,
          userId: who.user,
          isGroup: false,
          now: deps.now(),
          file: {
            name: file.name,
            size: file.size,
            download: async () => ({ data: Buffer.from(await file.arrayBuffer()) }),
          },
        },
        { send: log, edit: (reply) => log([reply]) },
      );
      return c.json({ replies: answered });
    },
  );

  /** An export, for the session that asked for it only (files.ts). */
  app.get(`${FILE_ROUTE}:id`, async (c) => {
    const deps = getDeps()!;
    const who = await budgeted(c, deps);
    if (who instanceof Response) return who;
    const file = await fileFor(
      deps.db,
      c.req.param("id"),
      sessionHashOf(getCookie(c, COOKIE)),
      deps.now(),
    );
    if (!file) return fail(c, 404, "noFile");
    return c.body(new Uint8Array(file.data), 200, {
      "content-type": file.mime,
      "content-disposition": contentDisposition(file.name),
      "cache-control": "no-store",
    });
  });

  app.get("/api/webchat/inbox", async (c) => {
    const deps = getDeps()!;
    const parsed = inboxQuery.safeParse(c.req.query());
    if (!parsed.success) return invalid(c, parsed.error);
    const who = await budgeted(c, deps);
    if (who instanceof Response) return who;
    const access = await chatAccess(deps.db, who, parsed.data.chat, null);
    if (!access.ok) return fail(c, 403, access.why);
    const after = parsed.data.after === undefined ? null : Number(parsed.data.after);
    const messages = await readLog(deps.db, access.chatId, after);
    return c.json({ messages: messages.map(wire) });
  });

  return app;
}
