/**
 * Telegram as an outbox channel. A failure throws, so the delivery stays in the outbox and is
 * retried with backoff: an outage loses nothing. A request that timed out after Telegram had
 * accepted it can still be sent twice by that retry; the Bot API has no idempotency key.
 */
import type { Api } from "grammy";
import { renderWithTokens } from "../../dialogs/actions.ts";
import { translate } from "../../dialogs/render.ts";
import type { Locale } from "../../i18n.ts";
import type { ChannelSender } from "../../outbox/deliver.ts";
import { editReply, inChat, sendReply, TELEGRAM_CHANNEL } from "./send.ts";

export function telegramSender(api: Api, defaultLocale: Locale): ChannelSender {
  return {
    channel: TELEGRAM_CHANNEL,
    async send(tx, target, message, previousMessageId) {
      const messageId = await inChat(tx, target.chatId, async (chatId) => {
        // Pushed messages carry global actions only: anyone in the chat may press them.
        const [rendered] = await renderWithTokens(
          tx,
          { channel: TELEGRAM_CHANNEL, chatId, userId: null, stateVersion: null },
          translate(target.locale ?? defaultLocale),
          [message],
        );
        if (!rendered) return null;
        return message.edit && previousMessageId
          ? editReply(api, chatId, Number(previousMessageId), rendered)
          : sendReply(api, chatId, rendered);
      });
      return { messageId: messageId === null ? null : String(messageId) };
    },
  };
}
