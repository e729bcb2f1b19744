/**
 * Issue 20.4: "refile from this one" on a rejection (or an automatic return): the wizard opens
 * at its summary with every answer of the old application, so the member changes only what
 * was wrong; the new application names the old one in its history.
 */
import { loadOwnClosed } from "../../services/transfers.ts";
import { globalButton, reply, text } from "../replies.ts";
import type { Button, GlobalAction, Json } from "../types.ts";

export const refileButton = (id: number): Button =>
  globalButton(text("refile:button", { id }), "refile", { id });

const idOf = (args: Json | undefined) =>
  typeof args === "object" && args !== null && !Array.isArray(args) ? args.id : null;

export const refileAction: GlobalAction = async (ctx, args) => {
  const id = idOf(args);
  const memberId = ctx.identity.memberId;
  if (typeof id !== "number" || memberId === null) return { replies: [reply(text("chat:stale"))] };
  if (!(await loadOwnClosed(ctx.db, id, memberId))) {
    return { replies: [reply(text("refile:notYours", { id }))] };
  }
  return {
    replies: [reply(text("refile:opened", { id }))],
    begin: { flow: "transfer", args: { refileFrom: id } },
  };
};
