/**
 * The AI bot as an outbox channel. Cards go out as template cards pushed to the chat (the
 * SDK's `sendMessage`: a userid or a group's chatid, markdown or template_card; doc 101463,
 * 主动推送消息). A card's outcome replaces the card through the req_id of the click that decided
 * it (`aibot_respond_update_msg`, within seconds of the click); with no such click (a decision
 * made elsewhere, or too late) or when the platform refuses the update, the outcome comes as a
 * new message. Only the copy holding the connection sends; another gives the delivery back.
 */
import { renderWithTokens } from "../../dialogs/actions.ts";
import { translate } from "../../dialogs/render.ts";
import type { Locale } from "../../i18n.ts";
import {
  type ChannelSender,
  pacedAfterFirst,
  RetryLater,
  type Transmission,
} from "../../outbox/deliver.ts";
import { BotApiError, type BotConnection, NotConnectedError } from "./connection.ts";
import { CMD } from "./frames.ts";
import { updatedCard } from "./render.ts";
import { planReply, transmitReply } from "./send.ts";
import { freshClick, saveCard, spendClick, WECOMBOT_CHANNEL } from "./store.ts";

/** A copy without the connection leaves the delivery to the one that has it. */
const NOT_CONNECTED_RETRY_MS = 2_000;

export interface BotSenderOptions {
  connection: BotConnection;
  defaultLocale: Locale;
  now(): Date;
}

export function botSender(options: BotSenderOptions): ChannelSender {
  const { connection } = options;
  return {
    channel: WECOMBOT_CHANNEL,
    async prepare(tx, target, message, previousMessageId) {
      const chatId = target.chatId;
      const locale = target.locale ?? options.defaultLocale;
      const [rendered] = await renderWithTokens(
        tx,
        { channel: WECOMBOT_CHANNEL, chatId, userId: null, stateVersion: null },
        translate(locale),
        [message],
      );
      const taskId = message.edit ? previousMessageId : null;
      const click = taskId ? await freshClick(tx, taskId, options.now()) : null;
      const update = taskId && click ? updatedCard(rendered!, taskId) : null;
      if (update) await saveCard(tx, chatId, update);
      const planned = await planReply(tx, chatId, rendered!);
      return {
        async transmit(pace): Promise<Transmission> {
          if (!connection.ready) {
            throw new RetryLater("WeCom AI bot not connected here", NOT_CONNECTED_RETRY_MS);
          }
          const step = pacedAfterFirst(pace);
          try {
            if (update && click && taskId) {
              try {
                await step();
                await connection.request(
                  CMD.updateCard,
                  { response_type: "update_template_card", template_card: update },
                  click,
                );
                return { messageId: taskId, record: (db) => spendClick(db, taskId, click) };
              } catch (error) {
                // Refused (too late, used): the outcome must still reach the chat, as a message.
                if (!(error instanceof BotApiError)) throw error;
              }
            }
            const messageId = await transmitReply(connection, chatId, planned, step);
            return {
              messageId: messageId ?? taskId,
              ...(click && taskId ? { record: (db) => spendClick(db, taskId, click) } : {}),
            };
          } catch (error) {
            if (error instanceof NotConnectedError) {
              throw new RetryLater(error.message, NOT_CONNECTED_RETRY_MS);
            }
            throw error;
          }
        },
      };
    },
  };
}
