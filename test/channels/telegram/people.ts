/**
 * People writing to the bot through the fake Bot API: their messages, documents and button
 * presses as Telegram's updates, each waited for until the bot handled it. Positive ids are
 * private chats, negative ones groups.
 */
import { BOT, type FakeBotApi, type Params } from "./fakeBotApi.ts";

let seq = 1;
const user = (id: number) => ({
  id,
  is_bot: false as const,
  first_name: `u${id}`,
  username: `u${id}`,
});
const chatOf = (id: number) =>
  id > 0
    ? { id, type: "private" as const, first_name: `u${id}` }
    : { id, type: "group" as const, title: `g${id}` };

export function telegramPeople(fake: () => FakeBotApi, handledTimeoutMs?: number) {
  const handle = (update: Params) => fake().handled(fake().push(update as never), handledTimeoutMs);
  const message = (from: number, chat: number, content: Params) =>
    handle({
      message: {
        message_id: seq++,
        date: 1_786_000_000,
        chat: chatOf(chat),
        from: user(from),
        ...content,
      },
    });
  return {
    say: (from: number, text: string, chat = from) => message(from, chat, { text }),
    sendDocument: (from: number, name: string, data: Buffer, size = data.length) =>
      message(from, from, {
        document: {
          file_id: fake().addFile(data),
          file_unique_id: `u${seq}`,
          file_name: name,
          file_size: size,
        },
      }),
    /** Presses the button with this label in the latest message (of any kind) that has it. */
    press: (from: number, label: string, chat = from) => {
      const sent = fake()
        .calls.filter((c) => c.result && Number(c.params.chat_id) === chat && c.params.reply_markup)
        .reverse()
        .find((c) =>
          (c.params.reply_markup.inline_keyboard ?? [])
            .flat()
            .some((b: Params) => b.text === label),
        );
      if (!sent) throw new Error(`no button ${label}`);
      const button = sent.params.reply_markup.inline_keyboard
        .flat()
        .find((b: Params) => b.text === label);
      return handle({
        callback_query: {
          id: `q${seq++}`,
          from: user(from),
          chat_instance: "ci",
          data: button.callback_data,
          message: {
            message_id: Number(sent.result?.message_id),
            date: 1_786_000_000,
            chat: chatOf(chat),
            from: BOT,
          },
        },
      });
    },
  };
}
