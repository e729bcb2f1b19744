/**
 * The one way to find a member by name and ID number (R5 /locate, M1.4.3 in-organization
 * starts, imports by admins): budgeted per admin and kept with who asked, when, for what
 * and whether it matched. A masked number (first 6, last 4) hides only the birth date, which a
 * few hundred guesses would find: LOOKUPS_PER_HOUR distinct numbers per admin per hour make
 * that take days, and every guess is on record.
 */
import { sql } from "drizzle-orm";
import { type Queryable, query } from "../db/client.ts";
import { memberLookups } from "../db/schema.ts";
import { idNumberHash } from "../db/sealing.ts";
import { parseIdNumber } from "../domain/idNumber.ts";
import { type Refusal, refuse } from "./result.ts";

/** Distinct ID numbers one admin may look up in an hour; repeating one is free. */
export const LOOKUPS_PER_HOUR = 5;
const WINDOW_MS = 3600_000;

export type LookupPurpose = (typeof memberLookups.$inferInsert)["purpose"];

export interface FoundMember {
  id: number;
  name: string;
  branchId: number;
}

/**
 * The member with this ID number and exactly this name; a wrong name looks the same as an
 * unknown number. Runs in the caller's transaction, which keeps the record of the lookup.
 */
export async function findMemberByNameAndIdNumber(
  tx: Queryable,
  input: { adminId: number; name: string; idNumber: string; purpose: LookupPurpose; now: Date },
): Promise<{ ok: true; member: FoundMember } | Refusal> {
  const parsed = parseIdNumber(input.idNumber);
  if (!parsed.ok) return refuse({ reason: parsed.error });
  const idHash = idNumberHash(parsed.idNumber);
  const since = new Date(input.now.getTime() - WINDOW_MS).toISOString();
  // The admin's row lock makes one admin's lookups take turns, so two at once cannot both
  // take the last unit of the budget.
  // A number counts until an hour after it was last asked for; `frees` is when the first
  // one stops counting.
  const [budget] = await query<{ repeat: boolean; used: number; frees: number | null }>(
    tx,
    sql`select coalesce(bool_or(l.id_hash = ${idHash}), false) as repeat,
               count(l.id_hash)::int as used, (extract(epoch from min(l.last)) * 1000)::float8 as frees
        from (select id from admins where id = ${input.adminId} for update) a
        left join (select id_hash, max(at) as last from member_lookups
                   where admin_id = ${input.adminId} and performed and at > ${since}::timestamptz
                   group by id_hash) l on true
        group by a.id`,
  );
  if (!budget) return refuse({ reason: "unknown_admin" });
  const record = (performed: boolean, matched: boolean) =>
    tx.insert(memberLookups).values({
      adminId: input.adminId,
      purpose: input.purpose,
      idHash,
      matched,
      performed,
      at: input.now,
    });
  if (!budget.repeat && budget.used >= LOOKUPS_PER_HOUR) {
    await record(false, false);
    const frees = budget.frees ?? input.now.getTime();
    return refuse({
      reason: "lookup_limit",
      max: LOOKUPS_PER_HOUR,
      retryAt: new Date(frees + WINDOW_MS),
    });
  }
  const [row] = await query<FoundMember>(
    tx,
    sql`select id, name, branch_id as "branchId" from members where id_hash = ${idHash}`,
  );
  const matched = !!row && row.name === input.name.trim();
  await record(true, matched);
  return matched ? { ok: true, member: row } : refuse({ reason: "unknown_member" });
}

/**
 * Charges lookups that another use case made in bulk (an import matching members recorded
 * outside the admin's subtree): each distinct number counts against the same hourly budget as
 * /locate, and is kept on record. All or nothing: when the budget cannot take them all, none is
 * performed (each is recorded as refused) and the caller reveals nothing about them.
 */
export async function chargeLookups(
  tx: Queryable,
  input: { adminId: number; idHashes: readonly string[]; purpose: LookupPurpose; now: Date },
): Promise<{ ok: true } | Refusal> {
  const hashes = [...new Set(input.idHashes)];
  if (hashes.length === 0) return { ok: true };
  const since = new Date(input.now.getTime() - WINDOW_MS).toISOString();
  const recent = await query<{ idHash: string; last: number }>(
    tx,
    sql`select l.id_hash as "idHash", (extract(epoch from max(l.at)) * 1000)::float8 as last
        from (select id from admins where id = ${input.adminId} for update) a
        join member_lookups l on l.admin_id = a.id
        where l.performed and l.at > ${since}::timestamptz
        group by l.id_hash`,
  );
  const known = new Set(recent.map((r) => r.idHash));
  const fresh = hashes.filter((h) => !known.has(h));
  const performed = known.size + fresh.length <= LOOKUPS_PER_HOUR;
  await tx.insert(memberLookups).values(
    hashes.map((idHash) => ({
      adminId: input.adminId,
      purpose: input.purpose,
      idHash,
      matched: performed,
      performed,
      at: input.now,
    })),
  );
  if (performed) return { ok: true };
  const frees = recent.length > 0 ? Math.min(...recent.map((r) => r.last)) : input.now.getTime();
  return refuse({
    reason: "lookup_limit",
    max: LOOKUPS_PER_HOUR,
    retryAt: new Date(frees + WINDOW_MS),
  });
}
