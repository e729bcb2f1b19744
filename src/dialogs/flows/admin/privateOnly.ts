/**
 * Flows that ask for an ID number run in private chats only (R5): a number typed into a group
 * is read by everyone in it. Dialog state is per chat, so checking the start is enough.
 */
import { menuButtonRow, reply } from "../../replies.ts";
import type { Flow, Json } from "../../types.ts";
import { A } from "./common.ts";

export function privateOnly<S extends Json, Args extends Json>(flow: Flow<S, Args>): Flow<S, Args> {
  return {
    ...flow,
    start: (ctx, args) =>
      ctx.isGroup
        ? { state: null, replies: [reply(A("locate.privateOnly"), [menuButtonRow()])] }
        : flow.start(ctx, args),
  };
}
