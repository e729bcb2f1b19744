/**
 * Rendered replies as WeCom messages. Text messages have no buttons, so a reply's buttons
 * become a numbered list the user answers with a number; notifications with buttons (approval
 * cards) become `button_interaction` template cards whose button keys are our tokens.
 */
import { randomBytes } from "node:crypto";
import type { TFunction } from "i18next";
import type { RenderedReply } from "../../dialogs/types.ts";
import type { TemplateCard } from "./client.ts";

/** WeCom truncates a text message beyond this many bytes. */
const MAX_TEXT_BYTES = 2048;
/** A template card holds at most this many buttons. */
export const MAX_CARD_BUTTONS = 6;
const MAX_TITLE_CHARS = 36;

const byteLength = (text: string) => Buffer.byteLength(text, "utf8");

export interface NumberedText {
  /** The text messages to send, in order, each within WeCom's size limit. */
  messages: string[];
  /** The button tokens, so that answer `n` is `tokens[n - 1]`. */
  tokens: string[];
}

/** Replies as text, their buttons numbered across all of them, then a hint how to choose. */
export function numberedText(replies: RenderedReply[], t: TFunction): NumberedText {
  const tokens: string[] = [];
  const parts: string[] = [];
  for (const r of replies) {
    // A popup stands in for the text only when there is none: WeCom has no popups.
    const lines = [r.text || r.popup || ""].filter((line) => line !== "");
    for (const b of r.buttons.flat()) {
      tokens.push(b.action);
      lines.push(t("wecom:option", { n: tokens.length, label: b.label }));
    }
    if (lines.length > 0) parts.push(lines.join("\n"));
  }
  if (tokens.length > 0) parts.push(t("wecom:choose"));
  return { messages: pack(parts, MAX_TEXT_BYTES), tokens };
}

/** Joins parts into as few messages of at most `max` bytes as it can, cutting only if it must. */
function pack(parts: string[], max: number): string[] {
  const messages: string[] = [];
  let current = "";
  for (const piece of parts.flatMap((p) => (byteLength(p) <= max ? [p] : cut(p, max)))) {
    const joined = current ? `${current}\n\n${piece}` : piece;
    if (byteLength(joined) <= max) {
      current = joined;
    } else {
      messages.push(current);
      current = piece;
    }
  }
  if (current) messages.push(current);
  return messages;
}

/** Splits at line ends where possible, else between characters (never inside one). */
function cut(text: string, max: number): string[] {
  const out: string[] = [];
  let current = "";
  for (const line of text.split("\n")) {
    const joined = current ? `${current}\n${line}` : line;
    if (byteLength(joined) <= max) {
      current = joined;
      continue;
    }
    if (current) out.push(current);
    current = "";
    for (const char of line) {
      if (byteLength(current + char) > max) {
        out.push(current);
        current = "";
      }
      current += char;
    }
  }
  if (current) out.push(current);
  return out;
}

/**
 * A fresh task id: ≤ 128 bytes of [0-9A-Za-z_-@], unique per card (WeCom refuses a reused
 * one), readable in logs because it starts with the card's ref.
 */
export function newTaskId(ref: string | undefined): string {
  const base = (ref ?? "card").replace(/[^0-9A-Za-z_\-@]/g, "_").slice(0, 100);
  return `${base}-${randomBytes(9).toString("base64url")}`;
}

/** The first line is the title; the rest is the card's body. */
export function cardContent(text: string): Pick<TemplateCard, "main_title" | "sub_title_text"> {
  const [first = "", ...rest] = text.split("\n");
  const title = [...first].slice(0, MAX_TITLE_CHARS).join("");
  const body = rest.join("\n");
  return { main_title: { title }, ...(body ? { sub_title_text: body } : {}) };
}

export function templateCard(rendered: RenderedReply, taskId: string): TemplateCard {
  return {
    card_type: "button_interaction",
    ...cardContent(rendered.text),
    task_id: taskId,
    button_list: rendered.buttons.flat().map((b) => ({ text: b.label, key: b.action, style: 1 })),
  };
}
