/**
 * Telegram as an outbox channel. The message and its button tokens are made in the delivery's
 * first transaction; the Bot API is called after it, through an API client of its own without
 * the automatic retry (the outbox honours a 429's retry_after itself, without holding anything
 * while it waits). Failures are typed for the outbox: 429 waits as told; 400 and 403 (chat not
 * found, bot blocked or kicked, a message Telegram will never take) are permanent; a network
 * failure, a timeout, 5xx and anything else passing. A request that timed out after Telegram
 * had accepted it can still be sent twice by a retry: the Bot API has no idempotency key.
 */
import { type Api, GrammyError } from "grammy";
import type { Db } from "../../db/client.ts";
import { renderWithTokens } from "../../dialogs/actions.ts";
import { translate } from "../../dialogs/render.ts";
import type { Locale } from "../../i18n.ts";
import {
  type ChannelSender,
  PermanentFailure,
  pacedAfterFirst,
  RetryLater,
} from "../../outbox/deliver.ts";
import { editReply, inChat, sendReply, TELEGRAM_CHANNEL } from "./send.ts";

/** The outbox's type for a failed Bot API call. */
export function deliveryFailure(error: unknown): unknown {
  if (!(error instanceof GrammyError)) return error;
  if (error.error_code === 429) {
    return new RetryLater(error.description, (error.parameters.retry_after ?? 1) * 1000);
  }
  if (error.error_code === 400 || error.error_code === 403) {
    return new PermanentFailure(error.description, { cause: error });
  }
  return error;
}

export function telegramSender(api: Api, db: Db, defaultLocale: Locale): ChannelSender {
  return {
    channel: TELEGRAM_CHANNEL,
    async prepare(tx, target, message, previousMessageId) {
      // Pushed messages carry global actions only: anyone in the chat may press them.
      const [rendered] = await renderWithTokens(
        tx,
        { channel: TELEGRAM_CHANNEL, chatId: target.chatId, userId: null, stateVersion: null },
        translate(target.locale ?? defaultLocale),
        [message],
      );
      return {
        async transmit(pace) {
          const step = pacedAfterFirst(pace);
          let to = target.chatId;
          try {
            // A group that became a supergroup moves with its tokens and this delivery.
            const messageId = await inChat(db, target.chatId, (chatId) => {
              to = chatId;
              return message.edit && previousMessageId
                ? editReply(api, chatId, Number(previousMessageId), rendered!, step)
                : sendReply(api, chatId, rendered!, undefined, step);
            });
            return { messageId: String(messageId), chatId: to };
          } catch (error) {
            throw deliveryFailure(error);
          }
        },
      };
    },
  };
}
