/** The main menu, help and language replies: the way home from anywhere. */
import { LOCALES } from "../i18n.ts";
import { nameOf } from "../services/people.ts";
import { adminMenuRows } from "./flows/admin/index.ts";
import { isBound } from "./identity.ts";
import { button, raw, reply, text } from "./replies.ts";
import type { Button, DialogContext, Reply } from "./types.ts";

/** Flow names the lead's member features register under; shown once they exist. */
export const MEMBER_FLOWS = ["transfer", "myApplications"] as const;

export async function menuReply(ctx: DialogContext): Promise<Reply> {
  const rows: Button[][] = [];
  if (ctx.identity.memberId !== null) {
    const features = MEMBER_FLOWS.filter((f) => ctx.hasFlow(f)).map((f) =>
      button(`chat:menu.${f}`, { type: "flow", flow: f }),
    );
    if (features.length > 0) rows.push(features);
    rows.push([button("chat:menu.hotline", { type: "command", command: "hotline" })]);
  }
  rows.push(...(await adminMenuRows(ctx)));
  rows.push([
    button("chat:menu.help", { type: "command", command: "help" }),
    button("chat:menu.language", { type: "command", command: "lang" }),
  ]);
  const name = await nameOf(ctx.db, ctx.identity);
  const greeting = name
    ? text("chat:menu.hello", { name: raw(name) })
    : text("chat:menu.helloStranger");
  const hint = isBound(ctx.identity) ? text("chat:menu.choose") : text("chat:bind.prompt");
  return reply([greeting, hint], rows);
}

export function helpReply(ctx: DialogContext): Reply {
  const parts = [text("chat:help.intro"), text("chat:help.commands")];
  if (ctx.identity.memberId !== null) parts.push(text("chat:help.member"));
  if (ctx.identity.adminId !== null) parts.push(text("chat:help.admin"));
  if (!isBound(ctx.identity)) parts.push(text("chat:bind.prompt"));
  return reply(parts, [[button("chat:nav.menu", { type: "command", command: "menu" })]]);
}

export function languageReply(): Reply {
  return reply(text("chat:lang.choose"), [
    LOCALES.map((l) => button(`chat:lang.name.${l}`, { type: "command", command: "lang", arg: l })),
  ]);
}
