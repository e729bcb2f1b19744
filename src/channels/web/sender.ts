/** The web chat as an outbox channel: a message is a row in the chat's inbox. */
import type { ChannelSender } from "../../outbox/deliver.ts";
import { deliverToWebChat, WEB_CHANNEL } from "./inbox.ts";

export const webSender: ChannelSender = {
  channel: WEB_CHANNEL,
  async send(tx, target, message) {
    await deliverToWebChat(tx, target.chatId, message);
    // The page finds an edited card by its ref, so the ref is this platform's message id.
    return { messageId: message.ref ?? null };
  },
};
