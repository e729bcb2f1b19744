/**
 * The vocabulary of the platform-neutral dialogs: what a flow receives, what it answers, and
 * what a channel renders. Nothing here knows Telegram, WeCom or the web page.
 */
import type { Db } from "../db/client.ts";
import type { Season } from "../domain/calendar.ts";
import type { Locale } from "../i18n.ts";
import type { Json, Message, RenderedReply, Reply, Text } from "../messages/types.ts";

export type {
  Button,
  ButtonAction,
  DocumentFile,
  Json,
  Message,
  RenderedReply,
  Reply,
  Text,
} from "../messages/types.ts";

/** What a flow gets as input: typed text, a pressed `step` button, or "back". */
export type FlowInput =
  | { type: "text"; text: string }
  | { type: "action"; value: Json }
  | { type: "back" };

export interface Identity {
  memberId: number | null;
  adminId: number | null;
}

export interface DialogContext {
  channel: string;
  chatId: string;
  userId: string;
  isGroup: boolean;
  /** The time of this input; flows never read the clock. */
  now: Date;
  locale: Locale;
  identity: Identity;
  /** The transaction this input is processed in: call services with it, never another handle. */
  db: Db;
  /** Whether a flow of that name is registered (menus show only what exists). */
  hasFlow(name: string): boolean;
  /** The graduation season (calendar of SPEC §4) services need for dates. */
  season: Season;
}

export interface FlowResult<S extends Json = Json> {
  /** The flow's next state, or null when it is finished. */
  state: S | null;
  replies: Reply[];
}

/**
 * A named conversation. `start` opens it, `handle` takes each later input. A finished flow
 * returns `state: null`. Cancel is generic (the engine clears the state); "back" arrives as an
 * input, which the `steps` helper answers for step-list flows.
 */
export interface Flow<S extends Json = Json, A extends Json = Json> {
  name: string;
  /** Who may start it; the engine answers others with a localized refusal. */
  requires?: "member" | "admin";
  start(ctx: DialogContext, args: A | undefined): Promise<FlowResult<S>> | FlowResult<S>;
  handle(ctx: DialogContext, state: S, input: FlowInput): Promise<FlowResult<S>> | FlowResult<S>;
  /**
   * Said when the flow is left unfinished (Cancel, /menu, another flow begun) instead of
   * "nothing was saved": what it already changed, what still waits and how to come back.
   */
  leave?(ctx: DialogContext, state: S): Promise<Message | null> | Message | null;
}

export interface GlobalActionResult {
  replies: Reply[];
  /** Open a flow after the replies (e.g. "reject" asks for the reason). */
  begin?: { flow: string; args?: Json };
}

/** A handler for `global` buttons: it re-checks permissions and state in the database. */
export type GlobalAction = (
  ctx: DialogContext,
  args: Json | undefined,
) => Promise<GlobalActionResult> | GlobalActionResult;

/** The engine's own commands; features add theirs with `registry.command(name, handler)`. */
export const COMMANDS = ["start", "menu", "help", "lang", "cancel", "back"] as const;
export type CommandName = (typeof COMMANDS)[number];

/** A feature's text command (`/pending`, `/bind`): the argument is the text after the name. */
/**
 * How a person binds their chat account, registered like any feature (`registry.binding`): a
 * code redeemed (`/start CODE`, or a bare code from someone not bound yet), and the flow that
 * asks for one when a bound person's flow is started by someone unknown.
 */
export interface Binding {
  flow: string;
  redeem(
    ctx: DialogContext,
    code: string,
  ): Promise<{ ok: true; replies: Reply[] } | { ok: false; why: Text }>;
}

export type CommandHandler = (
  ctx: DialogContext,
  arg: string,
) => Promise<GlobalActionResult> | GlobalActionResult;

/** One input to the engine, as a channel adapter builds it. */
export interface DialogInput {
  channel: string;
  chatId: string;
  userId: string;
  isGroup: boolean;
  now: Date;
  /** The platform's id of this update; a second delivery of the same key has no effect. */
  updateKey?: string;
  input: { type: "text"; text: string } | { type: "action"; token: string };
}

export interface DialogOutput {
  replies: RenderedReply[];
  /** True when the update key was already processed: nothing happened. */
  duplicate: boolean;
  /** Set when the person is over their rate limit: the replies say "slow down", nothing else. */
  limited?: { retryAfterMs: number };
}
