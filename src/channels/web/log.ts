/**
 * The web chat's conversations (issue 14.10): what people typed and everything the bot said,
 * kept per chat so a reload, another tab or another device shows them again, and read by
 * cursor (`after`), never taken away by reading. Messages are sealed at rest (they may hold
 * names and, for a leading organ, full ID numbers: R4).
 */
import { sql } from "drizzle-orm";
import { type Db, query } from "../../db/client.ts";
import { webchatMessages } from "../../db/schema.ts";
import { open, seal } from "../../db/sealing.ts";
import { renderWithTokens } from "../../dialogs/actions.ts";
import { translate } from "../../dialogs/render.ts";
import type { Reply } from "../../dialogs/types.ts";
import type { Locale } from "../../i18n.ts";
import type { WebReply } from "./files.ts";

export const WEB_CHANNEL = "web";

/** Who typed a message; bot messages have no author. */
export interface Author {
  user: string;
  name: string;
}

export interface LoggedMessage extends WebReply {
  /** The message's number in its chat: the cursor (`after`) of the inbox. */
  id: number;
  author?: Author;
}

/** A reply's file is kept apart (files.ts): the log holds its link, never its bytes. */
type Stored = { author?: Author; reply: WebReply };

/** The latest messages a chat shows when opened; the page then reads on by cursor. */
export const LATEST = 50;
/** At most this many after a cursor in one read; the page asks again for the rest. */
const PAGE = 200;

/**
 * Appends messages in the caller's transaction. Their numbers come from the chat's counter row,
 * locked until the transaction ends, so numbers are visible in the order they were given: a
 * reader at `after = n` never misses a message numbered below a later one.
 */
export async function appendToLog(tx: Db, chatId: string, entries: Stored[]): Promise<number[]> {
  if (entries.length === 0) return [];
  const [row] = await query<{ last: number | string }>(
    tx,
    sql`insert into webchat_chats (chat_id, last_seq) values (${chatId}, ${entries.length})
        on conflict (chat_id) do update set last_seq = webchat_chats.last_seq + ${entries.length}
        returning last_seq as last`,
  );
  const first = Number(row!.last) - entries.length + 1;
  await tx.insert(webchatMessages).values(
    entries.map((e, i) => ({
      chatId,
      seq: first + i,
      sealed: seal(JSON.stringify(e), "chat-log"),
    })),
  );
  return entries.map((_, i) => first + i);
}

/** Messages after the cursor, or (no cursor) the latest ones; oldest first either way. */
export async function readLog(
  db: Db,
  chatId: string,
  after: number | null,
): Promise<LoggedMessage[]> {
  const rows = await query<{ seq: number | string; sealed: string }>(
    db,
    after === null
      ? sql`select seq, sealed from (select seq, sealed from webchat_messages
              where chat_id = ${chatId} order by seq desc limit ${LATEST}) latest order by seq`
      : sql`select seq, sealed from webchat_messages where chat_id = ${chatId} and seq > ${after}
            order by seq limit ${PAGE}`,
  );
  return rows.map((r) => {
    const { author, reply } = JSON.parse(open(r.sealed, "chat-log")) as Stored;
    return { id: Number(r.seq), ...reply, ...(author ? { author } : {}) };
  });
}

/** One turn of a chat: what the person typed (if text) and the bot's answers. */
export function turnEntries(author: Author, typed: string | null, replies: WebReply[]) {
  const mine: Stored[] = typed === null ? [] : [{ author, reply: { text: typed, buttons: [] } }];
  return [...mine, ...replies.map((reply) => ({ reply }))];
}

/**
 * A message the bot sends on its own (notifications, digests), rendered once in `locale` and
 * logged in the caller's transaction. Its buttons must be `global` actions (nobody's dialog
 * step waits for them): anyone in that chat may press them, and the handler re-checks all.
 */
export async function deliverToWebChat(
  tx: Db,
  chatId: string,
  message: Reply,
  locale: Locale,
): Promise<void> {
  const buttons = (message.buttons ?? []).flat();
  if (buttons.some((b) => b.action.type !== "global"))
    throw new Error("deliverToWebChat: pushed messages may carry global actions only");
  const [reply] = await renderWithTokens(
    tx,
    { channel: WEB_CHANNEL, chatId, userId: null, stateVersion: null },
    translate(locale),
    [message],
  );
  await appendToLog(tx, chatId, [{ reply: reply! }]);
}
