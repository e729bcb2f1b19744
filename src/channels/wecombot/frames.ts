/**
 * The frames of the WeCom AI bot's long connection (developer.work.weixin.qq.com document path
 * 101463, "智能机器人长连接"; field by field as the official SDK `@wecom/aibot-node-sdk` 1.0.7
 * builds and reads them in `src/ws.ts`, `src/client.ts` and `src/types/*.ts`). Every frame is
 * `{ cmd, headers: { req_id }, body }`; an answer to one of ours has no `cmd` and carries our
 * `req_id` back with `errcode` / `errmsg`. Callbacks from the platform are parsed here, with
 * zod, into the few shapes we act on; anything else is ignored.
 */
import { randomBytes } from "node:crypto";
import { z } from "zod";

export const CMD = {
  subscribe: "aibot_subscribe",
  heartbeat: "ping",
  updateCard: "aibot_respond_update_msg",
  welcome: "aibot_respond_welcome_msg",
  send: "aibot_send_msg",
  uploadInit: "aibot_upload_media_init",
  uploadChunk: "aibot_upload_media_chunk",
  uploadFinish: "aibot_upload_media_finish",
  messageCallback: "aibot_msg_callback",
  eventCallback: "aibot_event_callback",
} as const;

export interface Frame {
  cmd?: string;
  headers: { req_id: string };
  body?: unknown;
  errcode?: number;
  errmsg?: string;
}

/** The SDK's `generateReqId`: the command, the time and a random tail. */
export const newReqId = (cmd: string) => `${cmd}_${Date.now()}_${randomBytes(6).toString("hex")}`;

const ack = z.object({
  headers: z.object({ req_id: z.string() }),
  errcode: z.number().optional(),
  errmsg: z.string().optional(),
  body: z.unknown().optional(),
});
export type Ack = z.infer<typeof ack>;

const CALLBACKS: readonly string[] = [CMD.messageCallback, CMD.eventCallback];

/**
 * An answer to one of our frames, if `frame` is one: anything but a callback, matched by its
 * req_id (the SDK's handleFrame does the same; an answer may repeat our `cmd` or have none).
 */
export function parseAck(frame: unknown): Ack | null {
  const parsed = ack.safeParse(frame);
  if (!parsed.success || CALLBACKS.includes((frame as Frame).cmd ?? "")) return null;
  return parsed.data;
}

const from = z.object({ userid: z.string().min(1).max(128) });
const common = {
  msgid: z.string().min(1).max(256),
  chatid: z.string().min(1).max(256).optional(),
  chattype: z.string().max(16).optional(),
  from,
};

const textMessage = z.object({
  ...common,
  msgtype: z.literal("text"),
  text: z.object({ content: z.string().max(20_000) }),
});

/** The fields of a click: the SDK's types put them under `event`; the platform, as its
 * implementers report, under `event.template_card_event`. Both are read. */
const clickFields = z.object({
  event_key: z.string().min(1).max(1024),
  task_id: z.string().min(1).max(128),
});
const event = z.object({
  ...common,
  msgtype: z.literal("event"),
  event: z
    .object({
      eventtype: z.string(),
      template_card_event: clickFields.partial().optional(),
      event_key: z.string().optional(),
      task_id: z.string().optional(),
    })
    .passthrough(),
});

/** What we act on, from a message or event callback. */
export type Callback =
  | {
      kind: "text";
      reqId: string;
      msgId: string;
      userId: string;
      groupId: string | null;
      text: string;
    }
  | {
      kind: "click";
      reqId: string;
      msgId: string;
      userId: string;
      groupId: string | null;
      key: string;
      taskId: string;
    }
  | { kind: "replaced" }
  /** Someone opened the private chat (today's first time): a welcome may answer, within 5 s. */
  | { kind: "enter"; reqId: string; userId: string };

/** A group's chatid: sent only for group chats (the SDK: "会话 id，仅群聊类型时返回"). */
const groupOf = (m: { chattype?: string; chatid?: string }) =>
  m.chattype !== "single" ? (m.chatid ?? null) : null;

/** A callback frame as one of ours, or null (another message type, a stranger's event). */
export function parseCallback(frame: Frame): Callback | null {
  const reqId = frame.headers?.req_id;
  if (typeof reqId !== "string" || reqId === "") return null;
  if (frame.cmd === CMD.messageCallback) {
    const m = textMessage.safeParse(frame.body);
    if (!m.success) return null;
    return {
      kind: "text",
      reqId,
      msgId: m.data.msgid,
      userId: m.data.from.userid,
      groupId: groupOf(m.data),
      text: m.data.text.content,
    };
  }
  if (frame.cmd === CMD.eventCallback) {
    const e = event.safeParse(frame.body);
    if (!e.success) return null;
    const { eventtype } = e.data.event;
    // A newer connection of this bot took over (doc: 连接断开事件).
    if (eventtype === "disconnected_event") return { kind: "replaced" };
    if (eventtype === "enter_chat") return { kind: "enter", reqId, userId: e.data.from.userid };
    if (eventtype !== "template_card_event") return null;
    const click = clickFields.safeParse({
      event_key: e.data.event.template_card_event?.event_key ?? e.data.event.event_key,
      task_id: e.data.event.template_card_event?.task_id ?? e.data.event.task_id,
    });
    if (!click.success) return null;
    return {
      kind: "click",
      reqId,
      msgId: e.data.msgid,
      userId: e.data.from.userid,
      groupId: groupOf(e.data),
      key: click.data.event_key,
      taskId: click.data.task_id,
    };
  }
  return null;
}

/** A template card as the SDK's `TemplateCard` (only the parts we fill). */
export interface TemplateCard {
  card_type: "button_interaction" | "text_notice";
  main_title: { title: string; desc?: string };
  sub_title_text?: string;
  button_list?: { text: string; style: number; key: string }[];
  card_action?: { type: 0 };
  task_id: string;
}
