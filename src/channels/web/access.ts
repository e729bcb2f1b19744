/**
 * Which web chats a person may read and write (SPEC §8: a chat id in a URL identifies nobody).
 * Their private chat is theirs alone. A group is reachable by the admins of the organization it
 * is bound to and by the admin who bound it; an admin opens a new group by sending /bind in it,
 * which is the only thing a group accepts before it is bound.
 */
import { sql } from "drizzle-orm";
import { type Db, query } from "../../db/client.ts";
import { isWebUserId, type WebPerson } from "./sessions.ts";

/** What a group chat id may look like (and never like a person's private chat). */
export const GROUP_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;

export type ChatAccess =
  | { ok: true; chatId: string; isGroup: boolean }
  | { ok: false; why: "forbidden" | "bindFirst" };

const BIND = /^\/bind(@\S+)?(\s|$)/i;

/**
 * `text` is what the person sends (null for a read or a button): in a group not yet bound,
 * only an admin's /bind goes through.
 */
export async function chatAccess(
  db: Db,
  person: WebPerson,
  chat: string | undefined,
  text: string | null,
): Promise<ChatAccess> {
  if (chat === undefined || chat === person.user) {
    return { ok: true, chatId: person.user, isGroup: false };
  }
  if (isWebUserId(chat) || !GROUP_ID.test(chat)) return { ok: false, why: "forbidden" };
  const [binding] = await query<{ orgId: number; boundBy: number | null; member: boolean }>(
    db,
    sql`select b.org_id as "orgId", b.bound_by_admin_id as "boundBy",
               exists (select 1 from admins a where a.id = ${person.adminId ?? 0}
                       and a.org_id = b.org_id) as member
        from chat_bindings b where b.channel = 'web' and b.chat_id = ${chat}`,
  );
  if (binding) {
    const mayEnter =
      binding.member || (person.adminId !== null && binding.boundBy === person.adminId);
    return mayEnter ? { ok: true, chatId: chat, isGroup: true } : { ok: false, why: "forbidden" };
  }
  if (person.adminId === null) return { ok: false, why: "forbidden" };
  if (text !== null && BIND.test(text.trim())) return { ok: true, chatId: chat, isGroup: true };
  return { ok: false, why: "bindFirst" };
}
