/**
 * The dialog engine: one input in, replies out, in ONE transaction — claim the update key, load
 * who is talking and their dialog state, run the command / button / flow, save the state with
 * an optimistic version check and store the new buttons' tokens. Channels only translate.
 */

import { RATE_DEFAULTS } from "../config.ts";
import { type Db, databaseUnavailable } from "../db/client.ts";
import type { Season } from "../domain/calendar.ts";
import { isLocale, type Locale } from "../i18n.ts";
import { looksLikeCode } from "../services/bindings.ts";
import { groupLocale, setGroupLocale } from "../services/chatBindings.ts";
import { perMinute, spend } from "../services/rateLimits.ts";
import { type Resolved, renderWithTokens, resolveToken } from "./actions.ts";
import { claimUpdate } from "./claims.ts";
import { parseCommand } from "./commands.ts";
import { isBound, loadChatUser, saveLocale } from "./identity.ts";
import { type FileInput, type FileOutlet, receiveImportFile } from "./importFile.ts";
import { helpReply, languageReply, menuReply } from "./menu.ts";
import type { DialogRegistry } from "./registry.ts";
import { translate } from "./render.ts";
import { reply, text } from "./replies.ts";
import { type DialogState, loadState, StaleStateError, saveState } from "./state.ts";
import {
  type ButtonAction,
  COMMANDS,
  type CommandName,
  type DialogContext,
  type DialogInput,
  type DialogOutput,
  type FlowInput,
  type GlobalActionResult,
  type Json,
  type RenderedReply,
  type Reply,
} from "./types.ts";

export interface EngineOptions {
  registry: DialogRegistry;
  defaultLocale: Locale;
  /** The graduation season the bot works on (calendar of SPEC §4). */
  season: Season;
  /** Told about unexpected errors; the user gets a localized "something went wrong". */
  onError?: (error: unknown) => void;
  /** Inputs one person may send a minute, on every channel (RATE_LIMIT_PER_MINUTE). */
  perPersonPerMinute?: number;
  /** How often an import's progress message may change (tests: 0). */
  progressEveryMs?: number;
}

/** Runs in the input's transaction once its replies are rendered (the web chat's log). */
export type RecordTurn = (tx: Db, replies: RenderedReply[]) => Promise<void>;

/** The result of one step of dispatch: the next dialog state and what to say. */
interface Outcome {
  state: DialogState;
  replies: Reply[];
  /** Set when the input changed the language, so the answer is already in the new one. */
  locale?: Locale;
}

export class DialogEngine {
  readonly #db: Db;
  readonly #options: EngineOptions;

  constructor(db: Db, options: EngineOptions) {
    this.#db = db;
    this.#options = options;
  }

  /**
   * Processes one input. Failures become a localized apology, except a database that cannot be
   * reached: that throws `DatabaseUnavailableError`, nothing of the input was stored, and the
   * channel must not acknowledge it (the platform sends it again, the web chat answers 503).
   */
  async handle(raw: DialogInput, record?: RecordTurn): Promise<DialogOutput> {
    for (let attempt = 0; ; attempt++) {
      try {
        const input = storable(raw);
        return await this.#db.transaction((tx) => this.#process(tx, input, record));
      } catch (error) {
        const down = databaseUnavailable(error);
        if (down) throw down;
        if (error instanceof DuplicateUpdate) return { duplicate: true, replies: [] };
        // Another copy saved this dialog between our load and save: everything was rolled
        // back (the update key too), so running again is safe.
        if (error instanceof StaleStateError && attempt === 0) continue;
        if (!(error instanceof StaleStateError)) this.#options.onError?.(error);
        const key = error instanceof StaleStateError ? "chat:errors.busy" : "chat:errors.internal";
        const tr = translate(this.#options.defaultLocale);
        return { duplicate: false, replies: [{ text: tr(text(key)), buttons: [] }] };
      }
    }
  }

  /**
   * A file someone sent (an import, issue 18): read outside any one transaction, since a big
   * one takes a while, its progress and preview said through `outlet` (importFile.ts).
   */
  receiveFile(input: FileInput, outlet: FileOutlet): Promise<void> {
    const { defaultLocale, season, perPersonPerMinute, onError, progressEveryMs } = this.#options;
    return receiveImportFile(
      {
        db: this.#db,
        defaultLocale,
        season,
        ...(perPersonPerMinute !== undefined ? { perPersonPerMinute } : {}),
        ...(onError ? { onError } : {}),
        ...(progressEveryMs !== undefined ? { progressEveryMs } : {}),
      },
      input,
      outlet,
    );
  }

  async #process(tx: Db, input: DialogInput, record?: RecordTurn): Promise<DialogOutput> {
    const { channel, chatId, userId, now } = input;
    const key = { channel, chatId, userId };
    const budget = perMinute(this.#options.perPersonPerMinute ?? RATE_DEFAULTS.perPersonPerMinute);
    // Issued together, these reach the database in one round trip (the driver pipelines them);
    // a duplicate's reads are simply dropped (its budget too, with the transaction).
    const [claimed, user, loaded, pressed, spent, chosen] = await Promise.all([
      input.updateKey === undefined || claimUpdate(tx, channel, input.updateKey, now),
      loadChatUser(tx, channel, userId),
      loadState(tx, key),
      input.input.type === "action" ? resolveToken(tx, input.input.token, key) : undefined,
      spend(tx, `chat:${channel}:${userId}`, budget, now),
      // A group speaks its own language once its admin chose one (cards and digests too).
      input.isGroup ? groupLocale(tx, channel, chatId) : null,
    ]);
    if (!claimed) throw new DuplicateUpdate();
    if (!spent.ok) {
      // Too fast: said in their language, and nothing else happens (the update stays claimed).
      const seconds = Math.ceil(spent.retryAfterMs / 1000);
      const tr = translate(user.locale ?? this.#options.defaultLocale);
      return {
        duplicate: false,
        limited: { retryAfterMs: spent.retryAfterMs },
        replies: [{ text: tr(text("chat:errors.slowDown", { seconds })), buttons: [] }],
      };
    }
    const registry = this.#options.registry;
    const ctx: DialogContext = {
      channel,
      chatId,
      userId,
      isGroup: input.isGroup,
      now,
      locale: (isLocale(chosen) ? chosen : null) ?? user.locale ?? this.#options.defaultLocale,
      identity: user.identity,
      db: tx,
      hasFlow: (name) => registry.hasFlow(name),
      season: this.#options.season,
    };
    const outcome =
      input.input.type === "text"
        ? await this.#onText(ctx, loaded.state, input.input.text)
        : await this.#onButton(ctx, loaded.state, loaded.version, pressed ?? { ok: false });
    const changed = JSON.stringify(outcome.state) !== JSON.stringify(loaded.state);
    const version = changed ? await saveState(tx, key, loaded, outcome.state, now) : loaded.version;
    const replies = await renderWithTokens(
      tx,
      { channel, chatId, userId, stateVersion: version },
      translate(outcome.locale ?? ctx.locale),
      outcome.replies,
    );
    await record?.(tx, replies);
    return { duplicate: false, replies };
  }

  async #onText(ctx: DialogContext, state: DialogState, input: string): Promise<Outcome> {
    const registry = this.#options.registry;
    const command = parseCommand(
      input,
      (name) => (COMMANDS as readonly string[]).includes(name) || !!registry.getCommand(name),
    );
    if (command) return this.#command(ctx, state, command.name, command.arg);
    if (state.flow) return this.#continue(ctx, state, { type: "text", text: input });
    // In a group, someone not bound who replies to the bot is not asked for a binding code
    // there for everyone to read: binding happens in a private chat (/start CODE).
    if (!isBound(ctx.identity) && ctx.isGroup) return { state, replies: [] };
    if (!isBound(ctx.identity)) {
      if (looksLikeCode(input)) return this.#bind(ctx, state, input);
      return this.#askToBind(ctx);
    }
    return { state, replies: [reply(text("chat:unknownInput")), await menuReply(ctx)] };
  }

  async #onButton(
    ctx: DialogContext,
    state: DialogState,
    version: number,
    resolved: Resolved,
  ): Promise<Outcome> {
    if (!resolved.ok && resolved.notYours) {
      return {
        state,
        replies: [{ text: text("chat:notYours"), popup: text("chat:notYoursPopup") }],
      };
    }
    if (!resolved.ok || (!resolved.global && resolved.stateVersion !== version)) {
      return { state, replies: [{ text: text("chat:stale"), popup: text("chat:stalePopup") }] };
    }
    return this.#action(ctx, state, resolved.action);
  }

  async #action(ctx: DialogContext, state: DialogState, action: ButtonAction): Promise<Outcome> {
    switch (action.type) {
      case "step":
        return this.#continue(ctx, state, { type: "action", value: action.value });
      case "back":
        return this.#command(ctx, state, "back", "");
      case "cancel":
        return this.#command(ctx, state, "cancel", "");
      case "flow":
        return this.#leavingFor(ctx, state, await this.#start(ctx, action.flow, action.args));
      case "command":
        return this.#command(ctx, state, action.command, action.arg ?? "");
      case "global": {
        const handler = this.#options.registry.getAction(action.name);
        if (!handler)
          return { state, replies: [{ text: text("chat:stale"), popup: text("chat:stalePopup") }] };
        return this.#result(ctx, state, await handler(ctx, action.args));
      }
    }
  }

  async #command(
    ctx: DialogContext,
    state: DialogState,
    name: CommandName | string,
    arg: string,
  ): Promise<Outcome> {
    switch (name) {
      case "start":
        if (arg) return this.#bind(ctx, state, arg);
        return { state: {}, replies: [...(await this.#leaving(ctx, state)), await menuReply(ctx)] };
      case "menu":
        return { state: {}, replies: [...(await this.#leaving(ctx, state)), await menuReply(ctx)] };
      case "help":
        return { state, replies: [helpReply(ctx)] };
      case "lang": {
        if (!arg) return { state, replies: [languageReply()] };
        if (!isLocale(arg))
          return { state, replies: [reply(text("chat:lang.unknown")), languageReply()] };
        if (ctx.isGroup) return groupLanguage(ctx, state, arg);
        await saveLocale(ctx.db, ctx.channel, ctx.userId, arg);
        const next = { ...ctx, locale: arg };
        return {
          state,
          locale: arg,
          replies: [reply(text("chat:lang.set")), await menuReply(next)],
        };
      }
      case "cancel": {
        const left = await this.#leaving(ctx, state);
        const said =
          left.length > 0
            ? left
            : [reply(text(state.flow ? "chat:nav.cancelled" : "chat:nav.nothingToCancel"))];
        return { state: {}, replies: [...said, await menuReply(ctx)] };
      }
      case "back":
        if (state.flow) return this.#continue(ctx, state, { type: "back" });
        return { state, replies: [reply(text("chat:nav.nothingToGoBack")), await menuReply(ctx)] };
      default: {
        const handler = this.#options.registry.getCommand(name);
        if (!handler) return { state, replies: [reply(text("chat:unknownInput"))] };
        return this.#result(ctx, state, await handler(ctx, arg));
      }
    }
  }

  /** A global action's or feature command's result: replies, and maybe a flow to open. */
  async #result(
    ctx: DialogContext,
    state: DialogState,
    result: GlobalActionResult,
  ): Promise<Outcome> {
    if (!result.begin) return { state, replies: result.replies };
    const begun = await this.#start(ctx, result.begin.flow, result.begin.args);
    return this.#leavingFor(ctx, state, {
      ...begun,
      replies: [...result.replies, ...begun.replies],
    });
  }

  /** What the flow of `state`, left unfinished, has to say (nothing when there is none). */
  async #leaving(ctx: DialogContext, state: DialogState): Promise<Reply[]> {
    const flow = state.flow ? this.#options.registry.getFlow(state.flow) : undefined;
    if (!flow?.leave || state.data === undefined) return [];
    const said = await flow.leave(ctx, state.data);
    return said ? [reply(said)] : [];
  }

  /** `next` replaces the flow of `state`: what the left flow has to say comes first. */
  async #leavingFor(ctx: DialogContext, state: DialogState, next: Outcome): Promise<Outcome> {
    if (!state.flow || JSON.stringify(next.state) === JSON.stringify(state)) return next;
    return { ...next, replies: [...(await this.#leaving(ctx, state)), ...next.replies] };
  }

  async #bind(ctx: DialogContext, state: DialogState, code: string): Promise<Outcome> {
    const binding = this.#options.registry.getBinding();
    if (!binding) return this.#askToBind(ctx);
    const outcome = await binding.redeem(ctx, code);
    if (outcome.ok) return { state: {}, replies: outcome.replies };
    return { state, replies: [reply(outcome.why)] };
  }

  /** The binding flow; without one registered, the engine's "no such flow" answer. */
  #askToBind(ctx: DialogContext): Promise<Outcome> {
    const flow = this.#options.registry.getBinding()?.flow;
    return this.#start(ctx, flow ?? "", undefined);
  }

  async #start(ctx: DialogContext, name: string, args: Json | undefined): Promise<Outcome> {
    const flow = this.#options.registry.getFlow(name);
    if (!flow)
      return { state: {}, replies: [reply(text("chat:errors.flowGone")), await menuReply(ctx)] };
    if (flow.requires && !isBound(ctx.identity)) return this.#askToBind(ctx);
    if (
      (flow.requires === "member" && ctx.identity.memberId === null) ||
      (flow.requires === "admin" && ctx.identity.adminId === null)
    ) {
      return {
        state: {},
        replies: [reply(text(`chat:errors.only.${flow.requires}`)), await menuReply(ctx)],
      };
    }
    const result = await flow.start(ctx, args);
    return {
      state: result.state === null ? {} : { flow: name, data: result.state },
      replies: result.replies,
    };
  }

  async #continue(ctx: DialogContext, state: DialogState, input: FlowInput): Promise<Outcome> {
    const flow = state.flow ? this.#options.registry.getFlow(state.flow) : undefined;
    if (!flow || state.data === undefined) {
      // A button of a finished flow, or a flow removed by an upgrade: say so, go home.
      const key = input.type === "action" ? "chat:stale" : "chat:errors.flowGone";
      return { state: {}, replies: [reply(text(key)), await menuReply(ctx)] };
    }
    const result = await flow.handle(ctx, state.data, input);
    return {
      state: result.state === null ? {} : { flow: flow.name, data: result.state },
      replies: result.replies,
    };
  }
}

/** Thrown to roll back the turn of an update already handled (its budget spent for nothing). */
class DuplicateUpdate extends Error {}

/**
 * PostgreSQL stores no NUL character in text or jsonb, nor half of a UTF-16 surrogate pair in
 * jsonb: one typed by a user (the web chat and WeCom let them through; JSON can escape them)
 * would fail the whole input with an internal error once it reached the dialog state. NULs
 * go, lone surrogates become U+FFFD.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the NUL is what must go.
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function storable(input: DialogInput): DialogInput {
  const inner = input.input;
  const value = inner.type === "text" ? inner.text : inner.token;
  const clean = value.replace(UNSTORABLE, (c) => (c === "\u0000" ? "" : "\ufffd"));
  if (clean === value) return input;
  return {
    ...input,
    input: inner.type === "text" ? { type: "text", text: clean } : { type: "action", token: clean },
  };
}

/** `/lang` in a group sets the group's language, for its admin only. */
async function groupLanguage(ctx: DialogContext, state: DialogState, locale: Locale) {
  const set =
    ctx.identity.adminId === null
      ? ({ ok: false, reason: "not_permitted" } as const)
      : await setGroupLocale(
          ctx.db,
          { channel: ctx.channel, chatId: ctx.chatId, adminId: ctx.identity.adminId },
          locale,
        );
  if (!set.ok) return { state, replies: [reply(text(`chat:lang.group.${set.reason}`))] };
  return { state, locale, replies: [reply(text("chat:lang.group.set"))] };
}
