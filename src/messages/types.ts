/**
 * The vocabulary of what the bot says, below both the dialogs (which answer with it) and the
 * outbox (which delivers it): text keys, buttons, pictures. Nothing here knows a chat platform.
 */
import type { Locale } from "../i18n.ts";

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** A localized text: an i18next key ("chat:menu.title") and its parameters. */
export interface Text {
  key: string;
  /** A parameter that is itself a `Text` is translated first (e.g. a reason's name). */
  params?: Record<string, string | number | Text>;
}

/** One message's text: a single text, or several parts joined by line breaks. */
export type Message = Text | Text[];

/**
 * What a button does when pressed. The payload is stored on the server and only a short opaque
 * token travels through the platform (Telegram allows 64 bytes).
 * - `step`: delivered to the current flow as `{ type: "action", value }`; stale once the dialog
 *   moves on.
 * - `back` / `cancel`: the generic step navigation.
 * - `flow`: starts a registered flow (menu entries).
 * - `command`: runs a text command as if typed (`lang` with `arg: "en"` switches language).
 * - `global`: routed to a registered global action whatever the dialog step (a "withdraw" in a
 *   list, Approve on a group card). The handler must re-check everything in the database.
 */
export type ButtonAction =
  | { type: "step"; value: Json }
  | { type: "back" }
  | { type: "cancel" }
  | { type: "flow"; flow: string; args?: Json }
  | { type: "command"; command: string; arg?: string }
  | { type: "global"; name: string; args?: Json };

export interface Button {
  label: Text;
  action: ButtonAction;
}

/** One message from the bot. */
export interface Reply {
  text: Message;
  /** Rows of buttons. */
  buttons?: Button[][];
  /** A short popup (Telegram answers the callback query with it). */
  popup?: Text;
  /**
   * A stable reference of this message (e.g. `card:app:17`), so a channel can remember the
   * platform's message id and a later reply with `edit: true` and the same ref edits it.
   */
  ref?: string;
  /** Replace the earlier message with the same `ref` instead of sending a new one. */
  edit?: boolean;
  /** The bot waits for this user's next text (Telegram: a selective force-reply). */
  expectsReply?: boolean;
  /** A picture shown with the text where the channel can (the digest's chart); base64 PNG. */
  image?: { png: string; alt: Text };
}

/** A reply rendered for one locale, with button payloads replaced by tokens. */
export interface RenderedReply {
  text: string;
  buttons: { label: string; action: string }[][];
  popup?: string;
  ref?: string;
  edit?: boolean;
  expectsReply?: boolean;
  image?: { png: string; alt: string };
}

/** The chat a message goes to, and its language when one was chosen there. */
export interface ChannelTarget {
  chatId: string;
  locale: Locale | null;
}
