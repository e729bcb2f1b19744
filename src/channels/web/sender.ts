/**
 * The web chat as an outbox channel: a message is a row in the chat's inbox, written in the
 * transaction that records the delivery, so it is there exactly when the delivery is sent.
 */
import type { ChannelSender } from "../../outbox/deliver.ts";
import { deliverToWebChat, WEB_CHANNEL } from "./inbox.ts";

export const webSender: ChannelSender = {
  channel: WEB_CHANNEL,
  async prepare(_tx, target, message) {
    return {
      transmit: async () => ({
        // The page finds an edited card by its ref, so the ref is this platform's message id.
        messageId: message.ref ?? null,
        record: (tx) => deliverToWebChat(tx, target.chatId, message),
      }),
    };
  },
};
