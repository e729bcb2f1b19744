/**
 * Stage one of delivery: each queued outbox event becomes one delivery row per chat that
 * should hear it (an organization's bound group chats; a member's or admin's private chats).
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
      targets as (
        select c.id as outbox_id, b.channel, b.chat_id, null::text as locale
        from claimed c join chat_bindings b
          on c.recipient_type = 'org' and b.org_id::text = c.recipient_id
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
               substr(c.recipient_id, length(split_part(c.recipient_id, ':', 1)) + 2), null
        from claimed c where c.recipient_type = 'chat'
      ),
      queued as (
        insert into deliveries (outbox_id, channel, chat_id, locale, status, available_at)
        select outbox_id, channel, chat_id, locale, 'queued', ${at}::timestamptz from targets
        on conflict do nothing
      ),
      done as (
        update outbox set status = 'sent', delivered_at = ${at}::timestamptz
        where id in (select id from claimed)
        returning id
      )
      select count(*)::int as fanned from done
    `),
  );
  return row?.fanned ?? 0;
}
