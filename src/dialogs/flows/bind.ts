/**
 * Binding a chat account to a member or admin with a one-time code (issue 5.2): asked for by
 * the `bind` flow, or given directly as `/start CODE` or a bare code.
 */
import { type RedeemRefusal, redeemCode } from "../../services/bindings.ts";
import { menuReply } from "../menu.ts";
import { reply, text } from "../replies.ts";
import type { DialogContext, Flow, Identity, Reply, Text } from "../types.ts";

export type BindOutcome =
  | { ok: true; identity: Identity; replies: Reply[] }
  | { ok: false; why: Text; locked: boolean };

function refusal(reason: RedeemRefusal, now: Date, lockedUntil?: Date): Text {
  if (reason !== "locked") return text(`chat:bind.refused.${reason}`);
  const minutes = Math.max(1, Math.ceil(((lockedUntil?.getTime() ?? 0) - now.getTime()) / 60_000));
  return text("chat:bind.refused.locked", { minutes });
}

export async function bindWithCode(ctx: DialogContext, code: string): Promise<BindOutcome> {
  if (ctx.isGroup) return { ok: false, why: text("chat:bind.privateOnly"), locked: false };
  const result = await redeemCode(ctx.db, {
    channel: ctx.channel,
    userId: ctx.userId,
    code,
    // The platform's signed user, whatever chat the try comes from.
    sources: [{ channel: ctx.channel, userId: ctx.userId }],
    now: ctx.now,
  });
  if (!result.ok) {
    return {
      ok: false,
      why: refusal(result.reason, ctx.now, result.lockedUntil),
      locked: result.reason === "locked",
    };
  }
  const identity = { memberId: result.memberId, adminId: result.adminId };
  const welcome = reply(text(`chat:bind.done.${result.kind}`));
  return { ok: true, identity, replies: [welcome, await menuReply({ ...ctx, identity })] };
}

const askCode = () =>
  reply(text("chat:bind.askCode"), [
    [{ label: text("chat:nav.cancel"), action: { type: "cancel" } }],
  ]);

/** Asks for the code until it works, the chat is locked out, or the user cancels. */
export const bindFlow: Flow<Record<string, never>> = {
  name: "bind",
  start: () => ({ state: {}, replies: [reply(text("chat:bind.prompt")), askCode()] }),
  async handle(ctx, state, input) {
    if (input.type !== "text") return { state, replies: [askCode()] };
    const outcome = await bindWithCode(ctx, input.text);
    if (outcome.ok) return { state: null, replies: outcome.replies };
    if (outcome.locked) return { state: null, replies: [reply(outcome.why)] };
    return { state, replies: [reply(outcome.why), askCode()] };
  },
};
