/**
 * The outbox as the running app delivers it, to the dialogs' `test` channel: every message a
 * chat would receive, rendered in its language with real button tokens, so a test presses a
 * card's buttons through the engine in the chat that got it. No platform is faked: a sent
 * message is simply kept, per chat, in the order it arrived.
 */
import type { Db } from "../../src/db/client.ts";
import { chatBindings } from "../../src/db/schema.ts";
import { renderWithTokens } from "../../src/dialogs/actions.ts";
import { notificationRenderer } from "../../src/dialogs/cards.ts";
import { translate } from "../../src/dialogs/render.ts";
import type { RenderedReply } from "../../src/dialogs/types.ts";
import { type ChannelSender, deliverDue } from "../../src/outbox/deliver.ts";
import { fanOut } from "../../src/outbox/fanOut.ts";
import { TEST_SEASON } from "./season.ts";

export function testDeliveries(db: () => Db) {
  const received = new Map<string, RenderedReply[]>();
  const sender: ChannelSender = {
    channel: "test",
    async prepare(tx, target, message) {
      const [rendered] = await renderWithTokens(
        tx,
        { channel: "test", chatId: target.chatId, userId: null, stateVersion: null },
        translate(target.locale ?? "en"),
        [message],
      );
      return {
        transmit: async () => {
          received.set(target.chatId, [...(received.get(target.chatId) ?? []), rendered!]);
          return { messageId: message.ref ?? null };
        },
      };
    },
  };
  return {
    /** One round of the delivery worker at `now`. */
    async deliver(now: Date) {
      await fanOut(db(), now);
      await deliverDue(db(), { senders: [sender], render: notificationRenderer(TEST_SEASON), now });
    },
    /** Everything `chatId` received so far, oldest first. */
    to(chatId: string): RenderedReply[] {
      return received.get(chatId) ?? [];
    },
    /** The latest version of the message with this ref in `chatId` (a card and its edits). */
    latest(chatId: string, ref: string): RenderedReply | undefined {
      return this.to(chatId)
        .filter((m) => m.ref === ref)
        .at(-1);
    },
    clear() {
      received.clear();
    },
    /** A group chat bound to an organization, as /bind leaves it. */
    async bind(chatId: string, orgId: number) {
      await db().insert(chatBindings).values({ channel: "test", chatId, orgId });
    },
  };
}
