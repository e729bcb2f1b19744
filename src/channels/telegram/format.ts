/**
 * A rendered reply as Telegram messages: plain text (never a parse mode, so user data such as a
 * name `<b>_*` is shown as typed), split to Telegram's length limit, inline keyboard on the last
 * part.
 */
import type { InlineKeyboardMarkup } from "grammy/types";
import type { RenderedReply } from "../../dialogs/types.ts";

/** Telegram's limit on a message's text, in UTF-16 code units. */
export const MAX_TEXT = 4096;
/** Telegram's limit on a photo's caption. */
export const MAX_CAPTION = 1024;
/** Telegram's limit on a callback query's popup text. */
export const MAX_POPUP = 200;

/**
 * Cuts `text` into parts of at most `limit`, at a line break when one falls in the second half
 * of a part, never inside a surrogate pair.
 */
export function splitText(text: string, limit = MAX_TEXT): string[] {
  const parts: string[] = [];
  let rest = text;
  while (rest.length > limit) {
    let cut = rest.lastIndexOf("\n", limit);
    if (cut < limit / 2) {
      cut = limit;
      const code = rest.charCodeAt(cut - 1);
      if (code >= 0xd800 && code <= 0xdbff) cut--;
    }
    parts.push(rest.slice(0, cut));
    rest = rest.slice(rest[cut] === "\n" ? cut + 1 : cut);
  }
  if (rest.length > 0 || parts.length === 0) parts.push(rest);
  return parts;
}

export function inlineKeyboard(reply: RenderedReply): InlineKeyboardMarkup {
  return {
    inline_keyboard: reply.buttons.map((row) =>
      row.map((b) => ({ text: b.label, callback_data: b.action })),
    ),
  };
}

export function clip(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}
