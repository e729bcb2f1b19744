/**
 * Sending one rendered reply over the connection: its cards (stored beforehand, so a quick
 * click finds them), else its text; and its picture (the digest's chart), uploaded through the
 * connection's media upload first. Shared by the answers to a person and the outbox's sender.
 */
import type { Db } from "../../db/client.ts";
import type { RenderedReply } from "../../dialogs/types.ts";
import type { BotConnection } from "./connection.ts";
import { CMD, type TemplateCard } from "./frames.ts";
import { buttonCards, markdown, type PushBody } from "./render.ts";
import { platformChatId, saveCard } from "./store.ts";

export interface PlannedReply {
  cards: TemplateCard[];
  text: PushBody | null;
  image: RenderedReply["image"] | null;
}

/** What a reply becomes; its cards are stored in `db` (the transaction that rendered it). */
export async function planReply(
  db: Db,
  chatId: string,
  rendered: RenderedReply,
  mention?: string,
): Promise<PlannedReply> {
  const cards = rendered.buttons.flat().length > 0 ? buttonCards(rendered, rendered.ref) : [];
  for (const card of cards) await saveCard(db, chatId, card);
  // A popup stands in for the text only when there is none: the platform has no popups.
  const said = rendered.text || rendered.popup || "";
  return {
    cards,
    text: cards.length === 0 && said !== "" ? markdown(said, mention) : null,
    image: rendered.image ?? null,
  };
}

/** Pushes the planned messages, `step()` before each; the id of the first (a card's task id). */
export async function transmitReply(
  connection: BotConnection,
  chatId: string,
  planned: PlannedReply,
  step: () => Promise<void>,
): Promise<string | null> {
  const chatid = platformChatId(chatId);
  const push = async (body: PushBody) => {
    await step();
    await connection.request(CMD.send, { chatid, ...body });
  };
  for (const card of planned.cards) await push({ msgtype: "template_card", template_card: card });
  if (planned.text) await push(planned.text);
  if (planned.image) {
    const mediaId = await connection.uploadMedia(
      Buffer.from(planned.image.png, "base64"),
      "image",
      "chart.png",
    );
    await push({ msgtype: "image", image: { media_id: mediaId } });
  }
  return planned.cards[0]?.task_id ?? null;
}
