/**
 * A fake Telegram Bot API server for tests: the methods the bot uses, long-polling getUpdates,
 * a record of every call, and failures on demand (429 with retry_after, a migrated group, an
 * outage). Edits of identical content answer 400 "message is not modified", as Telegram does.
 * With `limits`, it enforces Telegram's rate limits on its clock as a sliding window — 30
 * messages a second per bot, one a second per chat, 20 a minute per group, edits included — and
 * answers 429 with retry_after to whatever exceeds them, counting each. Files people send are
 * offered by `addFile`: getFile names their path and `/file/bot<token>/<path>` serves them.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Update } from "grammy/types";
import type { Clock } from "../../../src/outbox/clock.ts";

export const BOT = {
  id: 7000001,
  is_bot: true as const,
  first_name: "Transfer bot",
  username: "zhtj_test_bot",
  can_join_groups: true,
  can_read_all_group_messages: false,
  supports_inline_queries: false,
  can_connect_to_business: false,
  has_main_web_app: false,
  has_topics_enabled: false,
  allows_users_to_create_topics: false,
  can_manage_bots: false,
};

// biome-ignore lint/suspicious/noExplicitAny: the Bot API's parameters are free-form JSON here
export type Params = Record<string, any>;
export interface Call {
  method: string;
  params: Params;
  /** What the fake answered, when it succeeded. */
  result?: Params;
  /** On the fake's clock, when it arrived. */
  at: number;
}
interface Failure {
  status: number;
  body: Params;
}
interface Stored {
  chatId: number;
  text: string;
  markup: string;
}

export interface FakeBotApi {
  url: string;
  calls: Call[];
  /** Queues an update; returns its update_id. */
  push(update: Omit<Update, "update_id">): number;
  /** The next call of `method` fails with this answer instead. */
  failNext(method: string, status: number, body: Params): void;
  /** While true, every call's connection is dropped (Telegram unreachable). */
  down: boolean;
  /** Resolves once the bot has asked for updates past `updateId` (it handled that one). */
  handled(updateId: number, timeoutMs?: number): Promise<void>;
  /** Messages sent (successfully), oldest first, with their message_id. */
  sent(chatId?: number): Params[];
  /** 429s the fake answered because a call exceeded a limit (with `limits`). */
  tooMany: Call[];
  /** A file someone sent, for getFile and its download; returns its file_id. */
  addFile(data: Buffer): string;
  /** Downloads of files, by path, in order. */
  downloads: string[];
  close(): Promise<void>;
}

export interface FakeOptions {
  /** Enforce Telegram's rate limits. */
  limits?: boolean;
  /** The fake's time (default: the system clock). */
  clock?: Pick<Clock, "now">;
}

/** Methods that put a message into a chat. */
const COUNTED = new Set(["sendMessage", "sendPhoto", "sendDocument", "editMessageText"]);
const LIMITS = {
  bot: { limit: 30, windowMs: 1_000 },
  chat: { limit: 1, windowMs: 1_000 },
  group: { limit: 20, windowMs: 60_000 },
};

export async function startFakeBotApi(options: FakeOptions = {}): Promise<FakeBotApi> {
  const clock = options.clock ?? { now: () => Date.now() };
  const windows = new Map<string, number[]>();
  /** Milliseconds until the call fits every window, or 0 (then it is counted). */
  const admit = (chatId: number): number => {
    const now = clock.now();
    const keys: [string, { limit: number; windowMs: number }][] = [
      ["bot", LIMITS.bot],
      [`chat:${chatId}`, LIMITS.chat],
      ...(chatId < 0 ? [[`group:${chatId}`, LIMITS.group] as [string, typeof LIMITS.group]] : []),
    ];
    let wait = 0;
    for (const [key, w] of keys) {
      const times = (windows.get(key) ?? []).filter((t) => t > now - w.windowMs);
      windows.set(key, times);
      if (times.length >= w.limit)
        wait = Math.max(wait, times[times.length - w.limit]! + w.windowMs - now);
    }
    if (wait > 0) return wait;
    for (const [key] of keys) windows.get(key)!.push(now);
    return 0;
  };
  const tooMany: Call[] = [];
  const calls: Call[] = [];
  const queue: Update[] = [];
  const failures = new Map<string, Failure[]>();
  const messages = new Map<string, Stored>();
  const waiting = new Set<() => void>();
  let nextUpdateId = 100;
  let nextMessageId = 500;
  let offsetSeen = 0;
  const files = new Map<string, Buffer>();
  const downloads: string[] = [];

  const wake = () => {
    for (const w of [...waiting]) w();
  };
  const chatOf = (id: number) => ({
    id,
    type: id > 0 ? "private" : id < -1_000_000_000_000 ? "supergroup" : "group",
    ...(id > 0 ? { first_name: `user${id}` } : { title: `group${id}` }),
  });

  async function answer(method: string, params: Params, req: IncomingMessage): Promise<unknown> {
    switch (method) {
      case "getMe":
        return BOT;
      case "setWebhook":
      case "deleteWebhook":
      case "answerCallbackQuery":
        return true;
      case "getFile": {
        const data = files.get(String(params.file_id));
        if (!data) throw badRequest("Bad Request: invalid file_id");
        return {
          file_id: params.file_id,
          file_unique_id: `u${params.file_id}`,
          file_size: data.length,
          file_path: `documents/${params.file_id}.bin`,
        };
      }
      case "getUpdates": {
        const offset = Number(params.offset ?? 0);
        offsetSeen = Math.max(offsetSeen, offset);
        wake();
        const due = () => queue.filter((u) => u.update_id >= offset);
        const deadline = Date.now() + Number(params.timeout ?? 0) * 1000;
        while (due().length === 0 && Date.now() < deadline && !req.destroyed) {
          await new Promise<void>((resolve) => {
            const done = () => {
              waiting.delete(done);
              clearTimeout(timer);
              resolve();
            };
            const timer = setTimeout(done, Math.max(0, deadline - Date.now()));
            waiting.add(done);
          });
        }
        return due().slice(0, Number(params.limit ?? 100));
      }
      case "sendPhoto":
      case "sendDocument":
      case "sendMessage": {
        const chatId = Number(params.chat_id);
        const messageId = nextMessageId++;
        messages.set(`${chatId}:${messageId}`, {
          chatId,
          text: params.text ?? params.caption,
          markup: JSON.stringify(params.reply_markup ?? null),
        });
        return {
          message_id: messageId,
          date: Math.floor(Date.now() / 1000),
          chat: chatOf(chatId),
          from: BOT,
          text: params.text,
          ...(params.reply_markup ? { reply_markup: params.reply_markup } : {}),
        };
      }
      case "editMessageText": {
        const key = `${Number(params.chat_id)}:${Number(params.message_id)}`;
        const stored = messages.get(key);
        if (!stored) throw badRequest("Bad Request: message to edit not found");
        const markup = JSON.stringify(params.reply_markup ?? null);
        if (stored.text === params.text && stored.markup === markup)
          throw badRequest(
            "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message",
          );
        messages.set(key, { ...stored, text: params.text, markup });
        return {
          message_id: Number(params.message_id),
          date: Math.floor(Date.now() / 1000),
          edit_date: Math.floor(Date.now() / 1000),
          chat: chatOf(stored.chatId),
          from: BOT,
          text: params.text,
        };
      }
      default:
        throw { status: 404, body: { ok: false, error_code: 404, description: "Not Found" } };
    }
  }

  const badRequest = (description: string): Failure => ({
    status: 400,
    body: { ok: false, error_code: 400, description },
  });

  const server: Server = createServer((req, res) => {
    if (fake.down) {
      req.socket.destroy();
      return;
    }
    const download = /^\/file\/bot[^/]+\/documents\/([^/.]+)\.bin$/.exec(req.url ?? "");
    if (download) {
      const data = files.get(download[1]!);
      downloads.push(req.url!.replace(/bot[^/]+/, "bot<token>"));
      res.writeHead(data ? 200 : 404, { "content-type": "application/octet-stream" });
      res.end(data ?? "");
      return;
    }
    const chunks: Buffer[] = [];
    req.on("data", (d: Buffer) => {
      chunks.push(d);
    });
    req.on("end", async () => {
      const method = (req.url ?? "").split("/").pop() ?? "";
      const params = parseBody(Buffer.concat(chunks), String(req.headers["content-type"] ?? ""));
      const call: Call = { method, params, at: clock.now() };
      calls.push(call);
      const reply = (status: number, json: unknown) => {
        if (res.destroyed) return;
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(json));
      };
      const failure = failures.get(method)?.shift();
      if (failure) return reply(failure.status, failure.body);
      if (options.limits && COUNTED.has(method)) {
        const wait = admit(Number(params.chat_id));
        if (wait > 0) {
          tooMany.push(call);
          const retryAfter = Math.ceil(wait / 1000);
          return reply(429, {
            ok: false,
            error_code: 429,
            description: `Too Many Requests: retry after ${retryAfter}`,
            parameters: { retry_after: retryAfter },
          });
        }
      }
      try {
        call.result = (await answer(method, params, req)) as Params;
        reply(200, { ok: true, result: call.result });
      } catch (error) {
        const f = error as Failure;
        reply(f.status, f.body);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  const fake: FakeBotApi = {
    url: `http://127.0.0.1:${port}`,
    calls,
    tooMany,
    downloads,
    down: false,
    addFile(data) {
      const id = `f${files.size + 1}`;
      files.set(id, data);
      return id;
    },
    push(update) {
      const full = { ...update, update_id: nextUpdateId++ } as Update;
      queue.push(full);
      wake();
      return full.update_id;
    },
    failNext(method, status, body) {
      failures.set(method, [...(failures.get(method) ?? []), { status, body }]);
    },
    handled(updateId, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const deadline = setTimeout(() => {
          waiting.delete(check);
          reject(new Error(`update ${updateId} not handled in time`));
        }, timeoutMs);
        function check() {
          if (offsetSeen <= updateId) return;
          waiting.delete(check);
          clearTimeout(deadline);
          resolve();
        }
        waiting.add(check);
        check();
      });
    },
    sent(chatId) {
      return calls
        .filter((c) => c.method === "sendMessage" && c.result)
        .map((c): Params => ({ ...c.params, message_id: Number(c.result?.message_id) }))
        .filter((p) => chatId === undefined || Number(p.chat_id) === chatId);
    },
    close() {
      wake();
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  return fake;
}

/** An uploaded file of a multipart call (a photo, a document). */
export interface UploadedFile {
  filename: string;
  data: Buffer;
}

/**
 * JSON, or the fields of a multipart form (grammY uploads a photo or a document that way):
 * text fields as strings (reply_markup parsed), file parts as `UploadedFile`.
 */
function parseBody(body: Buffer, contentType: string): Params {
  if (body.length === 0) return {};
  if (!contentType.startsWith("multipart/form-data")) return JSON.parse(String(body)) as Params;
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(contentType);
  const marker = Buffer.from(`--${boundary?.[1] ?? boundary?.[2] ?? ""}`);
  const fields: Params = {};
  let at = body.indexOf(marker);
  while (at !== -1) {
    const next = body.indexOf(marker, at + marker.length);
    if (next === -1) break;
    const part = body.subarray(at + marker.length + 2, next - 2);
    const split = part.indexOf("\r\n\r\n");
    const head = String(part.subarray(0, split));
    const content = part.subarray(split + 4);
    const name = /name="([^"]+)"/.exec(head)?.[1];
    // grammY writes the file name unquoted.
    const named = /filename=(?:"([^"]*)"|([^;\r\n]*))/.exec(head);
    const filename = named ? (named[1] ?? named[2] ?? "") : undefined;
    if (name && filename !== undefined) fields[name] = { filename, data: Buffer.from(content) };
    else if (name) fields[name] = String(content);
    at = next;
  }
  if (typeof fields.reply_markup === "string")
    fields.reply_markup = JSON.parse(fields.reply_markup);
  // grammY names a file field `attach://<part>` and sends the file as that part.
  for (const [key, value] of Object.entries(fields)) {
    if (typeof value === "string" && value.startsWith("attach://")) {
      const part = value.slice("attach://".length);
      fields[key] = fields[part];
      delete fields[part];
    }
  }
  return fields;
}

/**
 * The button answer a webhook response carries (Telegram runs a method given as the webhook's
 * reply body), or null.
 */
export async function webhookAnswer(res: Response): Promise<Record<string, unknown> | null> {
  const body = await res.text();
  if (body === "") return null;
  const call = JSON.parse(body) as Record<string, unknown>;
  return call.method === "answerCallbackQuery" ? call : null;
}
