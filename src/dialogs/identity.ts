/** Who is talking: the chat identity bound to a channel account, and its chosen language. */
import { sql } from "drizzle-orm";
import { type Db, query } from "../db/client.ts";
import { chatIdentities } from "../db/schema.ts";
import { isLocale, type Locale } from "../i18n.ts";
import type { Identity } from "./types.ts";

export interface ChatUser {
  identity: Identity;
  locale: Locale | null;
}

export async function loadChatUser(db: Db, channel: string, userId: string): Promise<ChatUser> {
  const [row] = await query<{ memberId: number | null; adminId: number | null; locale: string }>(
    db,
    sql`select member_id as "memberId", admin_id as "adminId", locale from chat_identities
        where channel = ${channel} and external_user_id = ${userId}`,
  );
  return {
    identity: { memberId: row?.memberId ?? null, adminId: row?.adminId ?? null },
    locale: isLocale(row?.locale) ? row.locale : null,
  };
}

/** Remembers a language even for someone not yet bound (the row then has no member or admin). */
export async function saveLocale(db: Db, channel: string, userId: string, locale: Locale) {
  await db
    .insert(chatIdentities)
    .values({ channel, externalUserId: userId, locale })
    .onConflictDoUpdate({
      target: [chatIdentities.channel, chatIdentities.externalUserId],
      set: { locale },
    });
}

export const isBound = (identity: Identity) =>
  identity.memberId !== null || identity.adminId !== null;
