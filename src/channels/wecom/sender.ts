/**
 * WeCom as an outbox channel. Approval cards become template cards whose task id is the
 * message id, so the card's outcome later replaces it with `update_template_card`; without a
 * valid update code (none left, or older than 72 h) the outcome comes as a text message.
 * A reply's image (the digest's chart) is not sent: WeCom gets the text only. WeCom's
 * per-member limits are kept by the outbox's scheduler (outbox/budgets.ts).
 */
import { renderWithTokens } from "../../dialogs/actions.ts";
import { loadChatUser } from "../../dialogs/identity.ts";
import { renderMessage, translate } from "../../dialogs/render.ts";
import { type Locale, translator } from "../../i18n.ts";
import {
  type ChannelSender,
  PermanentFailure,
  pacedAfterFirst,
  RetryLater,
  type Transmission,
} from "../../outbox/deliver.ts";
import {
  PERMANENT_ERRCODES,
  RATE_LIMITED_ERRCODE,
  WecomApiError,
  type WecomClient,
} from "./client.ts";
import { cardContent, MAX_CARD_BUTTONS, newTaskId, numberedText, templateCard } from "./render.ts";
import {
  peekResponseCode,
  saveCard,
  saveChoices,
  spendResponseCode,
  WECOM_CHANNEL,
} from "./store.ts";

export interface WecomSenderOptions {
  client: WecomClient;
  defaultLocale: Locale;
  now(): Date;
}

/** The outbox's type for a failed WeCom call. */
export function deliveryFailure(error: unknown): unknown {
  if (!(error instanceof WecomApiError)) return error;
  if (error.errcode === RATE_LIMITED_ERRCODE) return new RetryLater(error.message, 60_000);
  if (PERMANENT_ERRCODES.has(error.errcode))
    return new PermanentFailure(error.message, { cause: error });
  return error;
}

/** The chat of a delivery is one WeCom user id (a member's, or an admin's bound app chat). */
export function wecomSender(options: WecomSenderOptions): ChannelSender {
  const { client } = options;
  return {
    channel: WECOM_CHANNEL,
    async prepare(tx, target, message, previousMessageId) {
      const now = options.now();
      const user = target.chatId;
      const { locale: chosen } = await loadChatUser(tx, WECOM_CHANNEL, user);
      const locale = chosen ?? target.locale ?? options.defaultLocale;
      const t = translator(locale);
      const taskId = message.edit && !message.buttons?.length ? previousMessageId : null;
      const card = taskId ? await peekResponseCode(tx, taskId, now) : null;
      const [rendered] = await renderWithTokens(
        tx,
        { channel: WECOM_CHANNEL, chatId: user, userId: null, stateVersion: null },
        translate(locale),
        [message],
      );
      const buttons = rendered!.buttons.flat();
      return {
        async transmit(pace): Promise<Transmission> {
          const step = pacedAfterFirst(pace);
          let spent: string | null = null;
          try {
            if (taskId && card) {
              spent = card.code;
              try {
                await step();
                await client.updateCard(card.code, {
                  card_type: "button_interaction",
                  ...cardContent(renderMessage(translate(locale), message.text)),
                  task_id: taskId,
                  button_list: card.buttons,
                  replace_text: t("wecom:decided"),
                });
                return {
                  messageId: taskId,
                  record: (db) => spendResponseCode(db, taskId, card.code),
                };
              } catch (error) {
                // A refused code (used, expired) must not keep the outcome from the admin: it
                // comes as text.
                if (!(error instanceof WecomApiError)) throw error;
              }
            }
            if (buttons.length > 0 && buttons.length <= MAX_CARD_BUTTONS) {
              const sent = templateCard(rendered!, newTaskId(message.ref));
              await step();
              const { responseCode } = await client.sendCard(user, sent);
              return {
                messageId: sent.task_id,
                record: (db) =>
                  saveCard(
                    db,
                    { taskId: sent.task_id, buttons: sent.button_list, responseCode },
                    now,
                  ),
              };
            }
            const { messages, tokens } = numberedText([rendered!], t);
            let messageId: string | null = null;
            for (const text of messages) {
              await step();
              ({ msgid: messageId } = await client.sendText(user, text));
            }
            return {
              messageId,
              async record(db) {
                if (spent && taskId) await spendResponseCode(db, taskId, spent);
                if (tokens.length > 0) await saveChoices(db, user, tokens, now);
              },
            };
          } catch (error) {
            throw deliveryFailure(error);
          }
        },
      };
    },
  };
}
