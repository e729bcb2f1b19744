/**
 * The web chat as an outbox channel: a message is an entry in the chat's log, written in the
 * transaction that records the delivery, so it is there exactly when the delivery is sent.
 */
import { loadChatUser } from "../../dialogs/identity.ts";
import type { Locale } from "../../i18n.ts";
import type { ChannelSender } from "../../outbox/deliver.ts";
import { deliverToWebChat, WEB_CHANNEL } from "./log.ts";

export function webSender(defaultLocale: Locale): ChannelSender {
  return {
    channel: WEB_CHANNEL,
    async prepare(tx, target, message) {
      // A private chat's id is its person's: their language, else the installation's.
      const locale =
        target.locale ??
        (await loadChatUser(tx, WEB_CHANNEL, target.chatId)).locale ??
        defaultLocale;
      return {
        transmit: async () => ({
          // The page finds an edited card by its ref, so the ref is this platform's message id.
          messageId: message.ref ?? null,
          record: (tx) => deliverToWebChat(tx, target.chatId, message, locale),
        }),
      };
    },
  };
}
