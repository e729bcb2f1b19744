/**
 * Stage one of delivery: each queued outbox event becomes one delivery row per chat that
 * should hear it (an organization's bound group chats; a member's or admin's private chats).
 * R29: an organization without a bound chat (a class or company branch, an overseas branch) is
 * heard through the nearest organization above it that has one, so every stage is seen.
 * One statement, so an event is fanned out completely or not at all, and copies racing for the
 * same events split them (SKIP LOCKED).
 */
import { sql } from "drizzle-orm";
import { type Db, rowsOf } from "../db/client.ts";

export async function fanOut(db: Db, now: Date, limit = 500): Promise<number> {
  const at = now.toISOString();
  const [row] = rowsOf<{ fanned: number }>(
    await db.execute(sql`
      with claimed as (
        select id, recipient_type, recipient_id from outbox
        where status = 'queued'
        order by id
        limit ${limit}
        for update skip locked
      ),
      heard_by as (
        select c.id, (
          select x.id
          from organizations o,
            unnest(string_to_array(trim(both '/' from o.path), '/')::int[])
              with ordinality x(id, depth)
          where o.id = c.recipient_id::int
            and exists (select 1 from chat_bindings b where b.org_id = x.id)
          order by x.depth desc
          limit 1) as org_id
        from claimed c where c.recipient_type = 'org'
      ),
      targets as (
        select h.id as outbox_id, b.channel, b.chat_id, b.locale
        from heard_by h join chat_bindings b on b.org_id = h.org_id
        union all
        select c.id, i.channel, i.external_user_id, i.locale
        from claimed c join chat_identities i
          on c.recipient_type = 'member' and i.member_id::text = c.recipient_id
        union all
        select c.id, i.channel, i.external_user_id, i.locale
        from claimed c join chat_identities i
          on c.recipient_type = 'admin' and i.admin_id::text = c.recipient_id
        union all
        select c.id, split_part(c.recipient_id, ':', 1),
               substr(c.recipient_id, length(split_part(c.recipient_id, ':', 1)) + 2), b.locale
        from claimed c left join chat_bindings b
          on b.channel = split_part(c.recipient_id, ':', 1)
         and b.chat_id = substr(c.recipient_id, length(split_part(c.recipient_id, ':', 1)) + 2)
        where c.recipient_type = 'chat'
      ),
      queued as (
        insert into deliveries (outbox_id, channel, chat_id, locale, status, available_at)
        select outbox_id, channel, chat_id, locale, 'queued', ${at}::timestamptz from targets
        -- Events reach their chats in the order they happened, each event's chats in one order.
        order by outbox_id, channel, chat_id
        on conflict do nothing
      ),
      done as (
        update outbox set status = 'sent'
        where id in (select id from claimed)
        returning id
      )
      select count(*)::int as fanned from done
    `),
  );
  return row?.fanned ?? 0;
}
