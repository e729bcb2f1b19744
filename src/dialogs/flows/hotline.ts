/** The hotline: the member's own county, or any province, city or county looked up by name. */
import { z } from "zod";
import { findHotlines, type Hotline, memberHotline } from "../../services/hotline.ts";
import { defineAction } from "../defineAction.ts";
import type { DialogRegistry } from "../registry.ts";
import { button, menuButtonRow, raw, reply, text } from "../replies.ts";
import { stepFlow } from "../steps.ts";
import type {
  Button,
  CommandHandler,
  DialogContext,
  GlobalActionResult,
  Json,
  Reply,
  Text,
} from "../types.ts";

/** Lines per message: enough to tell the namesakes apart without flooding the chat. */
const PAGE = 10;

/** The longest name a lookup takes. */
const MAX_QUERY = 30;

const lookupButton = () => button("chat:hotline.lookupOther", { type: "flow", flow: "hotline" });

function line(h: Hotline): Text {
  if (!h.hotline) return text("chat:hotline.lineNone", { org: raw(h.orgName) });
  if (h.hotlineOf && h.hotlineOf !== h.orgName)
    return text("chat:hotline.lineFallback", {
      org: raw(h.orgName),
      number: raw(h.hotline),
      of: raw(h.hotlineOf),
    });
  return text("chat:hotline.line", { org: raw(h.orgName), number: raw(h.hotline) });
}

export async function ownHotlineReply(ctx: DialogContext, memberId: number): Promise<Reply> {
  const found = await memberHotline(ctx.db, memberId);
  const body = found
    ? [text("chat:hotline.yours"), line(found)]
    : [text("chat:hotline.unknownOwn")];
  return reply(body, [[lookupButton()], menuButtonRow()]);
}

/** One page of what a name finds; the rest a button away, never cut off. */
export async function lookupReplies(ctx: DialogContext, query: string, page = 0): Promise<Reply[]> {
  const rows = [[lookupButton()], menuButtonRow()];
  if (query.trim().length > MAX_QUERY) return [reply(text("chat:hotline.badQuery"), rows)];
  const { matches, province } = await findHotlines(ctx.db, query);
  if (matches.length === 0) {
    const parts = [text("chat:hotline.noMatch", { query: raw(query) })];
    parts.push(
      province?.hotline
        ? text("chat:hotline.province", {
            org: raw(province.orgName),
            number: raw(province.hotline),
          })
        : text("chat:hotline.tryAgain"),
    );
    return [reply(parts, rows)];
  }
  const pages = Math.ceil(matches.length / PAGE);
  const p = Math.min(Math.max(0, page), pages - 1);
  const shown = matches.slice(p * PAGE, (p + 1) * PAGE);
  const parts = [
    text(pages > 1 ? "chat:hotline.matchesPage" : "chat:hotline.matches", {
      count: matches.length,
      page: p + 1,
      pages,
    }),
    ...shown.map(line),
  ];
  const paging: Button[] = [];
  const args = (to: number) => ({ query, page: to });
  if (p > 0) paging.push(hotlinePageAction.button("chat:picker.previous", args(p - 1)));
  if (p < pages - 1) paging.push(hotlinePageAction.button("chat:picker.next", args(p + 1)));
  return [reply(parts, paging.length > 0 ? [paging, ...rows] : rows)];
}

/** The paging buttons of a lookup: the same lookup again, another page. */
const hotlinePageAction = defineAction(
  "hotlinePage",
  z.object({ query: z.string(), page: z.number() }),
  async (ctx, { query, page }): Promise<GlobalActionResult> => ({
    replies: await lookupReplies(ctx, query, page),
  }),
);

/**
 * `/hotline`: a member's own county at once; `/hotline NAME` looks the name up; anyone else
 * is asked for a name.
 */
const hotlineCommand: CommandHandler = async (ctx, arg) => {
  if (arg) return { replies: await lookupReplies(ctx, arg) };
  if (ctx.identity.memberId !== null)
    return { replies: [await ownHotlineReply(ctx, ctx.identity.memberId)] };
  return { replies: [], begin: { flow: hotlineFlow.name } };
};

export function registerHotline(registry: DialogRegistry): DialogRegistry {
  return registry.flow(hotlineFlow).action(hotlinePageAction).command("hotline", hotlineCommand);
}

/** Asks for a county's name and answers with its hotline. */
export const hotlineFlow = stepFlow<Record<string, never>, Json, "askCounty">({
  name: "hotline",
  first: "askCounty",
  initial: () => ({}),
  steps: {
    askCounty: {
      ask: () => reply(text("chat:hotline.askCounty")),
      async text(ctx, _data, input) {
        const query = input.trim();
        if (query.length === 0 || query.length > MAX_QUERY)
          return { invalid: text("chat:hotline.badQuery") };
        return { done: await lookupReplies(ctx, query) };
      },
    },
  },
});
