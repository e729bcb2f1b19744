/**
 * Issue 20.5: `/digest` — today's digest on demand, with its chart, as the morning's would be
 * now. In a bound chat it is that chat's organization's, for an admin of it or of one above
 * it; in an admin's private chat, their own organization's.
 */
import { dayIn } from "../../../domain/calendar.ts";
import { canManageGroupChat } from "../../../domain/permissions.ts";
import { boundOrganization } from "../../../services/chatBindings.ts";
import { digestFor } from "../../../services/digests.ts";
import { loadAdmin } from "../../../services/orgStore.ts";
import { digestWithChart } from "../../digest.ts";
import { raw, reply, text } from "../../replies.ts";
import type { CommandHandler, Text } from "../../types.ts";

const D = (key: string, params?: Text["params"]) => text(`digestNow:${key}`, params);

export const digestCommand: CommandHandler = async (ctx) => {
  const admin =
    ctx.identity.adminId === null ? null : await loadAdmin(ctx.db, ctx.identity.adminId);
  if (!admin) return { replies: [reply(text("chat:errors.only.admin"))] };
  const bound = await boundOrganization(ctx.db, ctx.channel, ctx.chatId);
  if (ctx.isGroup && !bound) return { replies: [reply(D("notBound"))] };
  const org = bound ?? admin.org;
  if (!canManageGroupChat(admin, org)) {
    return { replies: [reply(D("notYours", { org: raw(org.name) }))] };
  }
  const digest = await digestFor(
    ctx.db,
    org.id,
    dayIn(ctx.now, ctx.season.timezone),
    ctx.now,
    ctx.season,
  );
  if (!digest) return { replies: [reply(D("notBound"))] };
  return { replies: [await digestWithChart(digest, ctx.season, ctx.locale)] };
};
