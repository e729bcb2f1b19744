/**
 * Issue 20.4: "refile from this one" on a rejection (or an automatic return): the wizard opens
 * at its summary with every answer of the old application, so the member changes only what
 * was wrong; the new application names the old one in its history.
 */
import { z } from "zod";
import { loadOwnClosed } from "../../services/transfers.ts";
import { defineAction } from "../defineAction.ts";
import { reply, text } from "../replies.ts";
import type { Button, GlobalActionResult } from "../types.ts";

export const refileAction = defineAction(
  "refile",
  z.object({ id: z.number().int() }),
  async (ctx, { id }): Promise<GlobalActionResult> => {
    const memberId = ctx.identity.memberId;
    if (memberId === null || !(await loadOwnClosed(ctx.db, id, memberId))) {
      return { replies: [reply(text("refile:notYours", { id }))] };
    }
    return {
      replies: [reply(text("refile:opened", { id }))],
      begin: { flow: "transfer", args: { refileFrom: id } },
    };
  },
);

export const refileButton = (id: number): Button =>
  refileAction.button(text("refile:button", { id }), { id });
