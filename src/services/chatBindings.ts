/** Group chats bound to organizations: where cards and digests go (issue 6.1). */
import { and, eq, sql } from "drizzle-orm";
import { type Db, query } from "../db/client.ts";
import { chatBindings, organizations } from "../db/schema.ts";
import { canManageGroupChat } from "../domain/permissions.ts";
import { loadAdmin } from "./orgStore.ts";
import { type Refusal, refuse } from "./result.ts";

export async function bindChat(
  db: Db,
  input: { channel: string; chatId: string; adminId: number },
  now: Date,
): Promise<{ ok: true; orgName: string; previousOrgName: string | null } | Refusal> {
  return db.transaction(async (tx) => {
    const admin = await loadAdmin(tx, input.adminId);
    if (!admin) return refuse({ reason: "unknown_admin" });
    const previous = await boundOrganization(tx, input.channel, input.chatId);
    await tx
      .insert(chatBindings)
      .values({
        channel: input.channel,
        chatId: input.chatId,
        orgId: admin.org.id,
        boundByAdminId: admin.adminId,
        createdAt: now,
      })
      .onConflictDoUpdate({
        target: [chatBindings.channel, chatBindings.chatId],
        set: { orgId: admin.org.id, boundByAdminId: admin.adminId, createdAt: now },
      });
    return {
      ok: true,
      orgName: admin.org.name,
      previousOrgName: previous && previous.id !== admin.org.id ? previous.name : null,
    };
  });
}

/** Only an admin of the bound organization (or of one above it) may unbind. */
export async function unbindChat(
  db: Db,
  input: { channel: string; chatId: string; adminId: number },
): Promise<{ ok: true; orgName: string | null } | Refusal> {
  return db.transaction(async (tx) => {
    const admin = await loadAdmin(tx, input.adminId);
    if (!admin) return refuse({ reason: "unknown_admin" });
    const bound = await boundOrganization(tx, input.channel, input.chatId);
    if (!bound) return { ok: true, orgName: null };
    if (!canManageGroupChat(admin, bound)) {
      return refuse({ reason: "unbind_not_permitted", orgName: bound.name });
    }
    await tx
      .delete(chatBindings)
      .where(and(eq(chatBindings.channel, input.channel), eq(chatBindings.chatId, input.chatId)));
    return { ok: true, orgName: bound.name };
  });
}

export async function boundOrganization(db: Db, channel: string, chatId: string) {
  const [row] = await db
    .select({ id: organizations.id, name: organizations.name, path: organizations.path })
    .from(chatBindings)
    .innerJoin(organizations, eq(organizations.id, chatBindings.orgId))
    .where(and(eq(chatBindings.channel, channel), eq(chatBindings.chatId, chatId)));
  return row;
}

/**
 * A bound group's own language, if its admin chose one. Read on every group input, so written
 * by hand (the query builder's composing cost more than the lookup).
 */
export async function groupLocale(db: Db, channel: string, chatId: string): Promise<string | null> {
  const [row] = await query<{ locale: string | null }>(
    db,
    sql`select locale from chat_bindings where channel = ${channel} and chat_id = ${chatId}`,
  );
  return row?.locale ?? null;
}

/**
 * Sets a group's language. Only a bound group has one (its binding names who may set it): an
 * admin of the bound organization or of one above it, as for /unbind.
 */
export async function setGroupLocale(
  db: Db,
  input: { channel: string; chatId: string; adminId: number },
  locale: string,
): Promise<{ ok: true } | { ok: false; reason: "unbound" | "not_permitted" }> {
  const admin = await loadAdmin(db, input.adminId);
  if (!admin) return { ok: false, reason: "not_permitted" };
  const bound = await boundOrganization(db, input.channel, input.chatId);
  if (!bound) return { ok: false, reason: "unbound" };
  if (!canManageGroupChat(admin, bound)) return { ok: false, reason: "not_permitted" };
  await db
    .update(chatBindings)
    .set({ locale })
    .where(and(eq(chatBindings.channel, input.channel), eq(chatBindings.chatId, input.chatId)));
  return { ok: true };
}

/**
 * Tables that name a chat: the key that must stay unique besides (channel, chat id), and which
 * rows move (sent deliveries stay where they were sent).
 */
const CHAT_TABLES = [
  { table: "chat_bindings", sameRow: "true", movable: "true" },
  { table: "sent_messages", sameRow: "n.ref = o.ref", movable: "true" },
  { table: "dialog_states", sameRow: "n.user_id = o.user_id", movable: "true" },
  {
    table: "deliveries",
    sameRow: "n.outbox_id = o.outbox_id",
    movable: "o.status in ('queued', 'sending')",
  },
  { table: "dialog_actions", sameRow: "false", movable: "true" },
] as const;

/**
 * A group chat got a new id (Telegram upgrades a group to a supergroup): its binding, the
 * messages still to deliver, the ids of sent cards, its dialogs and buttons follow, at once.
 * Where the new id already has the same row, that row wins and the old one is dropped.
 */
export async function migrateChat(
  db: Db,
  channel: string,
  fromChatId: string,
  toChatId: string,
): Promise<void> {
  if (fromChatId === toChatId) return;
  await db.transaction(async (tx) => {
    for (const { table, sameRow, movable } of CHAT_TABLES) {
      const t = sql.raw(table);
      const mine = sql`o.channel = ${channel} and o.chat_id = ${fromChatId} and ${sql.raw(movable)}`;
      await tx.execute(sql`delete from ${t} o where ${mine} and exists (
        select 1 from ${t} n where n.channel = o.channel and n.chat_id = ${toChatId}
          and ${sql.raw(sameRow)})`);
      await tx.execute(sql`update ${t} o set chat_id = ${toChatId} where ${mine}`);
    }
  });
}
