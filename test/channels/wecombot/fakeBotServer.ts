/**
 * A fake of the WeCom AI bot's long-connection endpoint (wss://openws.work.weixin.qq.com), a
 * local `ws` server speaking the documented frames. Where each shape comes from:
 * - subscribe `{cmd:"aibot_subscribe", headers:{req_id}, body:{bot_id, secret}}` and its answer
 *   `{headers:{req_id}, errcode, errmsg}`: SDK 1.0.7 `src/ws.ts` sendAuth / handleFrame; doc
 *   101463 订阅请求. A wrong secret answers errcode 853000 and leaves the socket open
 *   (FIELD-NOTES, as implementers report the real platform).
 * - heartbeat `{cmd:"ping", headers:{req_id}}`, answered like subscribe: SDK `src/ws.ts`
 *   sendHeartbeat; doc 保持心跳.
 * - message callback `{cmd:"aibot_msg_callback", headers:{req_id}, body:{msgid, aibotid,
 *   chatid?, chattype, from:{userid}, msgtype:"text", text:{content}}}`: SDK
 *   `src/types/message.ts` BaseMessage / TextMessage; doc 消息推送格式.
 * - event callback `{cmd:"aibot_event_callback", ..., body:{msgid, create_time, aibotid,
 *   chatid?, chattype, from:{userid}, msgtype:"event", event:{eventtype, ...}}}`: SDK
 *   `src/types/event.ts` EventMessage. A card click's fields sit under
 *   `event.template_card_event.{card_type, event_key, task_id}` (FIELD-NOTES: the platform, not
 *   the SDK's types, which put them under `event`).
 * - `disconnected_event` to the older connection when a newer one subscribes, then closed: SDK
 *   `src/ws.ts` handleFrame; doc 连接断开事件格式示例.
 * - push `{cmd:"aibot_send_msg", headers:{req_id}, body:{chatid, msgtype, markdown |
 *   template_card | image}}`: SDK `src/client.ts` sendMessage / sendMediaMessage; doc 主动推送消息.
 *   Only to a chat that has spoken to the bot (FIELD-NOTES).
 * - card update `{cmd:"aibot_respond_update_msg", headers:{req_id: the click's}, body:
 *   {response_type:"update_template_card", template_card}}`: SDK `src/client.ts`
 *   updateTemplateCard; within 5 s of the click, keeping its task_id (doc 更新模板卡片,
 *   FIELD-NOTES); another req_id answers 846605.
 * - media upload `aibot_upload_media_init {type, filename, total_size, total_chunks, md5}` →
 *   `body.upload_id`; `_chunk {upload_id, chunk_index (from 0), base64_data}`; `_finish
 *   {upload_id}` → `body.media_id`: SDK `src/client.ts` uploadMedia; doc 上传临时素材.
 */
import { createHash, randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import { type WebSocket, WebSocketServer } from "ws";

export const BOT_ID = "aibtest0001";
export const BOT_SECRET = "bot-secret-for-tests";

interface Frame {
  cmd?: string;
  headers: { req_id: string };
  body?: Record<string, unknown>;
}

export interface Received {
  cmd: string;
  reqId: string;
  body: Record<string, unknown>;
  errcode: number;
  /** On the fake's clock, when it arrived. */
  at: number;
}

/**
 * The AI bot's quotas per chat (doc 101463): 30 messages a minute and 1,000 an hour, replies and
 * pushes together. What exceeds them is refused with 45009 (api freq out of limit).
 */
const QUOTAS = [
  { limit: 30, windowMs: 60_000 },
  { limit: 1_000, windowMs: 3_600_000 },
];
export const OVER_QUOTA = 45009;
const COUNTED = new Set(["aibot_send_msg", "aibot_respond_update_msg", "aibot_respond_msg"]);

export interface FakeBotOptions {
  /** Enforce the per-chat quotas. */
  quotas?: boolean;
  /** The fake's time (default: the system clock). */
  clock?: { now(): number };
}

export class FakeBotServer {
  #server: WebSocketServer | null = null;
  url = "";
  /** Every frame a client sent (after subscribe), with the errcode we answered. */
  received: Received[] = [];
  /** Subscribed sockets now, and the most there ever were at once. */
  #live = new Set<WebSocket>();
  maxLive = 0;
  subscribes = 0;
  /** Connections pushed out by a newer one (disconnected_event). */
  replaced = 0;
  #spoken = new Set<string>();
  #clicks = new Map<string, { at: number; used: boolean }>();
  #enters = new Map<string, number>();
  #uploads = new Map<string, { chunks: Map<number, Buffer>; total: number; md5: string }>();
  #seq = 0;
  /** The chat each callback came from: an answer on its req_id counts against that chat. */
  #chatOfCallback = new Map<string, string>();
  /** Heartbeats go unanswered (a connection dead somewhere on the way). */
  silent = false;
  /** Frames refused for exceeding a quota (with `quotas`). */
  overQuota: Received[] = [];
  #sent = new Map<string, number[]>();
  #options: FakeBotOptions;

  constructor(options: FakeBotOptions = {}) {
    this.#options = options;
  }

  #now(): number {
    return this.#options.clock?.now() ?? Date.now();
  }

  /** A chat that has spoken to the bot before (pushes reach only those). */
  markSpoken(chatid: string): void {
    this.#spoken.add(chatid);
  }

  /** Whether one more message to `chat` now stays within every quota; counts it if so. */
  #withinQuota(chat: string, at: number): boolean {
    const times = this.#sent.get(chat) ?? [];
    const over = QUOTAS.some(
      ({ limit, windowMs }) => times.filter((t) => t > at - windowMs).length >= limit,
    );
    if (over) return false;
    times.push(at);
    // Older than the longest window: never counted again.
    while (times.length > 0 && times[0]! <= at - 3_600_000) times.shift();
    this.#sent.set(chat, times);
    return true;
  }

  async start(): Promise<void> {
    this.#server = new WebSocketServer({ port: 0, host: "127.0.0.1" });
    await new Promise<void>((resolve) => this.#server!.once("listening", () => resolve()));
    this.url = `ws://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    this.#server.on("connection", (socket) => this.#accept(socket));
  }

  async stop(): Promise<void> {
    for (const s of this.#server?.clients ?? []) s.terminate();
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()));
  }

  reset(): void {
    this.received = [];
    this.overQuota = [];
    this.#sent.clear();
    this.maxLive = this.#live.size;
    this.subscribes = 0;
    this.replaced = 0;
    this.silent = false;
  }

  get live(): number {
    return this.#live.size;
  }

  /** Cuts every connection, as a network failure would. */
  dropAll(): void {
    for (const s of this.#live) s.terminate();
    this.#live.clear();
  }

  /** A member (or, with `chatid`, someone in a group who @-mentions the bot) writes. */
  say(userid: string, content: string, chatid?: string, msgid = this.#msgid()): string {
    this.#callback("aibot_msg_callback", {
      msgid,
      aibotid: BOT_ID,
      ...(chatid ? { chatid, chattype: "group" } : { chattype: "single" }),
      from: { userid },
      msgtype: "text",
      text: { content: chatid ? `@审批助手 ${content}` : content },
    });
    return msgid;
  }

  /** Someone opens the private chat with the bot (doc: 进入会话事件, the SDK's enter_chat). */
  enter(userid: string): string {
    const reqId = this.#callback("aibot_event_callback", {
      msgid: this.#msgid(),
      create_time: Math.floor(Date.now() / 1000),
      aibotid: BOT_ID,
      chattype: "single",
      from: { userid },
      msgtype: "event",
      event: { eventtype: "enter_chat" },
    });
    this.#enters.set(reqId, Date.now());
    return reqId;
  }

  /** A button of a template card is pressed; `msgid` again resends the same callback. */
  click(userid: string, taskId: string, key: string, chatid?: string, msgid = this.#msgid()) {
    const reqId = this.#callback("aibot_event_callback", {
      msgid,
      create_time: Math.floor(Date.now() / 1000),
      aibotid: BOT_ID,
      ...(chatid ? { chatid, chattype: "group" } : { chattype: "single" }),
      from: { userid },
      msgtype: "event",
      event: {
        eventtype: "template_card_event",
        template_card_event: { card_type: "button_interaction", event_key: key, task_id: taskId },
      },
    });
    this.#clicks.set(reqId, { at: Date.now(), used: false });
    return msgid;
  }

  /** What was pushed to a chat (a userid, or a group's chatid), oldest first. */
  pushesTo(chatid: string): Record<string, unknown>[] {
    return this.received
      .filter((r) => r.cmd === "aibot_send_msg" && r.errcode === 0 && r.body.chatid === chatid)
      .map((r) => r.body);
  }

  /** The markdown texts pushed to a chat. */
  textsTo(chatid: string): string[] {
    return this.pushesTo(chatid)
      .filter((b) => b.msgtype === "markdown")
      .map((b) => (b.markdown as { content: string }).content);
  }

  /** Everything a chat was shown as text: markdown, and each card's title and body. */
  shownTo(chatid: string): string {
    return this.pushesTo(chatid)
      .map((b) =>
        b.msgtype === "markdown"
          ? (b.markdown as { content: string }).content
          : b.msgtype === "template_card"
            ? [
                (b.template_card as FakeCard).main_title.title,
                (b.template_card as FakeCard).sub_title_text ?? "",
              ].join("\n")
            : "",
      )
      .join("\n---\n");
  }

  /** The template cards pushed to a chat. */
  cardsTo(chatid: string): FakeCard[] {
    return this.pushesTo(chatid)
      .filter((b) => b.msgtype === "template_card")
      .map((b) => b.template_card as FakeCard);
  }

  updates(): Received[] {
    return this.received.filter((r) => r.cmd === "aibot_respond_update_msg");
  }

  #msgid(): string {
    return `msg${Date.now()}${++this.#seq}`;
  }

  /** Sends a callback on the one subscribed connection; its req_id. */
  #callback(cmd: string, body: Record<string, unknown>): string {
    const [socket] = [...this.#live];
    if (!socket) throw new Error("no subscribed connection to call back on");
    const chat = (body.chatid as string | undefined) ?? (body.from as { userid: string }).userid;
    this.#spoken.add(chat);
    const reqId = `cb_${randomBytes(6).toString("hex")}`;
    this.#chatOfCallback.set(reqId, chat);
    socket.send(JSON.stringify({ cmd, headers: { req_id: reqId }, body }));
    return reqId;
  }

  #accept(socket: WebSocket): void {
    let subscribed = false;
    socket.on("close", () => this.#live.delete(socket));
    socket.on("message", (data) => {
      const frame = JSON.parse(String(data)) as Frame;
      const reqId = frame.headers?.req_id;
      const answer = (errcode: number, body?: Record<string, unknown>) =>
        socket.send(
          JSON.stringify({
            headers: { req_id: reqId },
            errcode,
            errmsg: errcode === 0 ? "ok" : "error",
            ...(body ? { body } : {}),
          }),
        );
      if (frame.cmd === "aibot_subscribe") {
        this.subscribes++;
        if (frame.body?.bot_id !== BOT_ID || frame.body?.secret !== BOT_SECRET) {
          answer(853000);
          return;
        }
        for (const older of this.#live) {
          older.send(
            JSON.stringify({
              cmd: "aibot_event_callback",
              headers: { req_id: `cb_${randomBytes(6).toString("hex")}` },
              body: {
                msgid: this.#msgid(),
                create_time: Math.floor(Date.now() / 1000),
                aibotid: BOT_ID,
                msgtype: "event",
                event: { eventtype: "disconnected_event" },
              },
            }),
          );
          older.close();
          this.#live.delete(older);
          this.replaced++;
        }
        subscribed = true;
        this.#live.add(socket);
        this.maxLive = Math.max(this.maxLive, this.#live.size);
        answer(0);
        return;
      }
      if (!subscribed) {
        answer(846609);
        return;
      }
      const body = frame.body ?? {};
      const cmd = frame.cmd ?? "";
      const at = this.#now();
      if (this.#options.quotas && COUNTED.has(cmd)) {
        const chat = String(body.chatid ?? this.#chatOfCallback.get(reqId) ?? "");
        if (!this.#withinQuota(chat, at)) {
          const refused = { cmd, reqId, body, errcode: OVER_QUOTA, at };
          this.overQuota.push(refused);
          this.received.push(refused);
          answer(OVER_QUOTA);
          return;
        }
      }
      const errcode = this.#handle(cmd, reqId, body, answer);
      if (errcode === null) return;
      this.received.push({ cmd, reqId, body, errcode, at });
      answer(errcode);
    });
  }

  /** The errcode for one frame, or null when it answered itself (with a body). */
  #handle(
    cmd: string,
    reqId: string,
    body: Record<string, unknown>,
    answer: (errcode: number, body?: Record<string, unknown>) => void,
  ): number | null {
    switch (cmd) {
      case "ping":
        if (!this.silent) answer(0);
        return null;
      case "aibot_send_msg":
        return this.#spoken.has(String(body.chatid)) ? 0 : 40008;
      case "aibot_respond_update_msg": {
        const click = this.#clicks.get(reqId);
        if (!click || click.used || Date.now() - click.at > 5_000) return 846605;
        click.used = true;
        return 0;
      }
      case "aibot_respond_welcome_msg": {
        // With the enter_chat event's req_id, within 5 s (SDK replyWelcome; doc 回复欢迎语).
        const at = this.#enters.get(reqId);
        return at !== undefined && Date.now() - at <= 5_000 ? 0 : 846605;
      }
      case "aibot_upload_media_init": {
        const uploadId = `up_${randomBytes(4).toString("hex")}`;
        this.#uploads.set(uploadId, {
          chunks: new Map(),
          total: Number(body.total_chunks),
          md5: String(body.md5),
        });
        this.received.push({ cmd, reqId, body, errcode: 0, at: this.#now() });
        answer(0, { upload_id: uploadId });
        return null;
      }
      case "aibot_upload_media_chunk": {
        const upload = this.#uploads.get(String(body.upload_id));
        const index = Number(body.chunk_index);
        if (!upload || index < 0 || index >= upload.total) return 40058;
        upload.chunks.set(index, Buffer.from(String(body.base64_data), "base64"));
        return 0;
      }
      case "aibot_upload_media_finish": {
        const upload = this.#uploads.get(String(body.upload_id));
        if (!upload || upload.chunks.size !== upload.total) return 40058;
        const data = Buffer.concat(
          [...upload.chunks.entries()].sort(([a], [b]) => a - b).map(([, c]) => c),
        );
        if (createHash("md5").update(data).digest("hex") !== upload.md5) return 40058;
        this.received.push({
          cmd,
          reqId,
          body: { ...body, bytes: data.length },
          errcode: 0,
          at: this.#now(),
        });
        answer(0, { type: "image", media_id: `media_${body.upload_id}`, created_at: "1700000000" });
        return null;
      }
      default:
        return 40008;
    }
  }
}

export interface FakeCard {
  card_type: string;
  task_id: string;
  main_title: { title: string };
  sub_title_text?: string;
  button_list?: { text: string; key: string }[];
}
