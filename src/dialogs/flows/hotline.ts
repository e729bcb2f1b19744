/** The hotline: the member's own county, or any county looked up by name. */
import { findCountyHotlines, type Hotline, memberHotline } from "../../services/hotline.ts";
import { button, menuButtonRow, raw, reply, text } from "../replies.ts";
import { stepFlow } from "../steps.ts";
import type { DialogContext, Reply, Text } from "../types.ts";

/** Enough to tell the namesakes apart without flooding the chat. */
const MAX_LISTED = 10;

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

export async function lookupReplies(ctx: DialogContext, query: string): Promise<Reply[]> {
  const { matches, province } = await findCountyHotlines(ctx.db, query);
  const rows = [[lookupButton()], menuButtonRow()];
  if (matches.length === 0) {
    const parts = [text("chat:hotline.noMatch", { query: raw(query) })];
    if (province) parts.push(line(province));
    return [reply(parts, rows)];
  }
  const shown = matches.slice(0, MAX_LISTED);
  const parts = [text("chat:hotline.matches", { count: matches.length }), ...shown.map(line)];
  if (matches.length > shown.length)
    parts.push(text("chat:hotline.more", { count: matches.length - shown.length }));
  return [reply(parts, rows)];
}

/** Asks for a county's name and answers with its hotline. */
export const hotlineFlow = stepFlow<Record<string, never>>({
  name: "hotline",
  first: "askCounty",
  initial: () => ({}),
  steps: {
    askCounty: {
      ask: () => reply(text("chat:hotline.askCounty")),
      async text(ctx, _data, input) {
        const query = input.trim();
        if (query.length === 0 || query.length > 30)
          return { invalid: text("chat:hotline.badQuery") };
        return { done: await lookupReplies(ctx, query) };
      },
    },
  },
});
