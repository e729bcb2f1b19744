/**
 * WeCom as an outbox channel. Approval cards become template cards whose task id is the
 * message id, so the card's outcome later replaces it with `update_template_card`; without a
 * valid update code (none left, or older than 72 h) the outcome comes as a text message.
 * A reply's image (the digest's chart) is not sent: WeCom gets the text only.
 */

import type { Db } from "../../db/client.ts";
import { renderWithTokens } from "../../dialogs/actions.ts";
import { loadChatUser } from "../../dialogs/identity.ts";
import { renderMessage, translate } from "../../dialogs/render.ts";
import type { Reply } from "../../dialogs/types.ts";
import { type Locale, translator } from "../../i18n.ts";
import type { ChannelSender } from "../../outbox/deliver.ts";
import { WecomApiError, type WecomClient } from "./client.ts";
import { cardContent, MAX_CARD_BUTTONS, newTaskId, numberedText, templateCard } from "./render.ts";
import {
  assertWithinLimits,
  recordSend,
  saveCard,
  saveChoices,
  takeResponseCode,
  WECOM_CHANNEL,
} from "./store.ts";

export interface WecomSenderOptions {
  client: WecomClient;
  defaultLocale: Locale;
  now(): Date;
}

/**
 * The chat of a delivery is one WeCom user id (a member's, or an admin's bound app chat).
 * Over WeCom's per-member limits it throws `WecomRateLimited`, and the outbox retries later.
 */
export function wecomSender(options: WecomSenderOptions): ChannelSender {
  const { client } = options;
  return {
    channel: WECOM_CHANNEL,
    async send(tx, target, message, previousMessageId) {
      const now = options.now();
      const user = target.chatId;
      const { locale: chosen } = await loadChatUser(tx, WECOM_CHANNEL, user);
      const locale = chosen ?? target.locale ?? options.defaultLocale;
      if (message.edit && previousMessageId && !message.buttons?.length) {
        if (await updateCard(tx, client, previousMessageId, message, locale, now)) {
          return { messageId: previousMessageId };
        }
      }
      await assertWithinLimits(tx, user, now);
      const [rendered] = await renderWithTokens(
        tx,
        { channel: WECOM_CHANNEL, chatId: user, userId: null, stateVersion: null },
        translate(locale),
        [message],
      );
      const buttons = rendered!.buttons.flat();
      if (buttons.length > 0 && buttons.length <= MAX_CARD_BUTTONS) {
        const card = templateCard(rendered!, newTaskId(message.ref));
        const { responseCode } = await client.sendCard(user, card);
        await saveCard(tx, { taskId: card.task_id, buttons: card.button_list, responseCode }, now);
        await recordSend(tx, user, now);
        return { messageId: card.task_id };
      }
      const { messages, tokens } = numberedText([rendered!], translator(locale));
      if (tokens.length > 0) await saveChoices(tx, user, tokens, now);
      let messageId: string | null = null;
      for (const text of messages) {
        ({ msgid: messageId } = await client.sendText(user, text));
        await recordSend(tx, user, now);
      }
      return { messageId };
    },
  };
}

/** Replaces a sent card with `message`, its buttons greyed out; false when it cannot. */
async function updateCard(
  tx: Db,
  client: WecomClient,
  taskId: string,
  message: Reply,
  locale: Locale,
  now: Date,
): Promise<boolean> {
  const card = await takeResponseCode(tx, taskId, now);
  if (!card) return false;
  try {
    await client.updateCard(card.code, {
      card_type: "button_interaction",
      ...cardContent(renderMessage(translate(locale), message.text)),
      task_id: taskId,
      button_list: card.buttons,
      replace_text: translator(locale)("wecom:decided"),
    });
    return true;
  } catch (error) {
    // A refused code (used, expired) must not keep the outcome from the admin: say it as text.
    if (error instanceof WecomApiError) return false;
    throw error;
  }
}
