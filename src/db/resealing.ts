/**
 * Brings what is stored up to the current key at start-up, by code (a SQL migration cannot
 * hold the key): ID numbers of versions before sealing are sealed and their plain copies
 * emptied; during a key rotation, values sealed under SECRET_KEY_PREVIOUS are sealed again
 * under SECRET_KEY. Work goes in batches, each in its own transaction, so a crash midway loses
 * nothing and the next start carries on. A value sealed under a key this process does not have
 * stops the start with an error naming SECRET_KEY.
 */
import { sql } from "drizzle-orm";
import { type Db, query } from "./client.ts";
import { keyIds, open, seal, sealIdNumbers, UnknownKeyError } from "./sealing.ts";

const BATCH = 2000;

export interface Resealed {
  /** Plain ID numbers sealed. */
  sealed: number;
  /** Values moved from the previous key to the current one. */
  resealed: number;
}

export async function sealAtRest(db: Db): Promise<Resealed> {
  const ids = keyIds();
  const sealed = await sealLegacyIdNumbers(db);
  let resealed = 0;
  if (ids.previous) {
    const previous = `1.${ids.previous}.%`;
    resealed += await resealIdNumbers(db, previous);
    resealed += await resealChatLog(db, previous);
  }
  await refuseUnknownKeys(db, ids);
  return { sealed, resealed };
}

async function sealLegacyIdNumbers(db: Db): Promise<number> {
  let done = 0;
  for (;;) {
    const n = await db.transaction(async (tx) => {
      const rows = await query<{ id: number; idNumber: string }>(
        tx,
        sql`select id, id_number as "idNumber" from members where id_number is not null
            order by id limit ${BATCH} for update`,
      );
      await writeSealed(tx, rows);
      return rows.length;
    });
    done += n;
    if (n < BATCH) return done;
  }
}

async function resealIdNumbers(db: Db, previous: string): Promise<number> {
  let done = 0;
  for (;;) {
    const n = await db.transaction(async (tx) => {
      const rows = await query<{ id: number; sealed: string }>(
        tx,
        sql`select id, id_sealed as sealed from members where id_sealed like ${previous}
            order by id limit ${BATCH} for update`,
      );
      await writeSealed(
        tx,
        rows.map((r) => ({ id: r.id, idNumber: open(r.sealed, "id-number") })),
      );
      return rows.length;
    });
    done += n;
    if (n < BATCH) return done;
  }
}

/** One statement per batch: the new hash and seal, and the plain copies emptied. */
async function writeSealed(tx: Db, rows: { id: number; idNumber: string }[]): Promise<void> {
  if (rows.length === 0) return;
  const values = sealIdNumbers(rows.map((r) => r.idNumber));
  await query(
    tx,
    sql`update members m set id_hash = v.h, id_sealed = v.s, id_number = null, birth_date = null
        from (values ${sql.join(
          rows.map((r, i) => sql`(${r.id}::int, ${values[i]!.idHash}, ${values[i]!.idSealed})`),
          sql`, `,
        )}) as v(id, h, s)
        where m.id = v.id`,
  );
}

async function resealChatLog(db: Db, previous: string): Promise<number> {
  let done = 0;
  for (;;) {
    const n = await db.transaction(async (tx) => {
      const rows = await query<{ chatId: string; seq: number | string; sealed: string }>(
        tx,
        sql`select chat_id as "chatId", seq, sealed from webchat_messages
            where sealed like ${previous} limit ${BATCH} for update`,
      );
      for (const r of rows) {
        await query(
          tx,
          sql`update webchat_messages set sealed = ${seal(open(r.sealed, "chat-log"), "chat-log")}
              where chat_id = ${r.chatId} and seq = ${Number(r.seq)}`,
        );
      }
      return rows.length;
    });
    done += n;
    if (n < BATCH) return done;
  }
}

async function refuseUnknownKeys(
  db: Db,
  ids: { current: string; previous: string | null },
): Promise<void> {
  const known = [ids.current, ...(ids.previous ? [ids.previous] : [])].map((id) => `1.${id}.%`);
  const notKnown = (column: string) =>
    sql.join(
      known.map((k) => sql`${sql.raw(column)} not like ${k}`),
      sql` and `,
    );
  const [stray] = await query<{ sealed: string }>(
    db,
    sql`(select id_sealed as sealed from members where id_sealed is not null and ${notKnown("id_sealed")} limit 1)
        union all
        (select sealed from webchat_messages where ${notKnown("sealed")} limit 1)`,
  );
  if (stray) throw new UnknownKeyError(stray.sealed.split(".")[1] ?? "?");
}
