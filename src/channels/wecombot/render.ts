/**
 * Rendered replies as AI bot messages (doc 101463, 主动推送消息 / 模板卡片消息): text as
 * markdown, buttons as `button_interaction` template cards (at most 6 buttons each, so a longer
 * menu becomes several cards), a decided card with no buttons left as a `text_notice`.
 */
import type { RenderedReply } from "../../dialogs/types.ts";
import { cardContent, MAX_CARD_BUTTONS, newTaskId } from "../wecom/render.ts";
import type { TemplateCard } from "./frames.ts";

/** A markdown message holds at most 4096 bytes (the doc's 主动推送 markdown.content). */
const MAX_MARKDOWN_BYTES = 4096;

export type PushBody =
  | { msgtype: "markdown"; markdown: { content: string } }
  | { msgtype: "template_card"; template_card: TemplateCard }
  | { msgtype: "image"; image: { media_id: string } };

/** Markdown's own characters in our text (names, reasons typed by people) shown as typed. */
const escapeMarkdown = (text: string) => text.replace(/([\\`*_[\]<>#])/g, "\\$1");

export function markdown(text: string, mention?: string): PushBody {
  let content = escapeMarkdown(text);
  if (mention) content = `<@${mention}> ${content}`;
  while (Buffer.byteLength(content, "utf8") > MAX_MARKDOWN_BYTES) content = content.slice(0, -1);
  return { msgtype: "markdown", markdown: { content } };
}

/** The cards that show a reply with buttons, each with a fresh task id. */
export function buttonCards(rendered: RenderedReply, ref: string | undefined): TemplateCard[] {
  const buttons = rendered.buttons.flat();
  const cards: TemplateCard[] = [];
  const content = cardContent(rendered.text);
  for (let i = 0; i < buttons.length; i += MAX_CARD_BUTTONS) {
    cards.push({
      card_type: "button_interaction",
      ...(i === 0 ? content : { main_title: content.main_title }),
      button_list: buttons
        .slice(i, i + MAX_CARD_BUTTONS)
        .map((b) => ({ text: b.label, key: b.action, style: 1 })),
      task_id: newTaskId(ref),
    });
  }
  return cards;
}

/** A card's new face for an update: its buttons, or none (the decision, as a notice). */
export function updatedCard(rendered: RenderedReply, taskId: string): TemplateCard {
  const buttons = rendered.buttons.flat().slice(0, MAX_CARD_BUTTONS);
  if (buttons.length === 0) {
    return {
      card_type: "text_notice",
      ...cardContent(rendered.text),
      card_action: { type: 0 },
      task_id: taskId,
    };
  }
  return {
    card_type: "button_interaction",
    ...cardContent(rendered.text),
    button_list: buttons.map((b) => ({ text: b.label, key: b.action, style: 1 })),
    task_id: taskId,
  };
}
