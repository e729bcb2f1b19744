/**
 * R14, R15: reminders 5 and 11 months into a stay that must end within 6 months, 1 year at most.
 *
 * Interpretation (the one place it is decided):
 * - A member in a flow branch (`retained_since` set: a school's flow branch under R15, a county
 *   committee's under R14) is reminded to the organization the branch serves: the school for a
 *   school's flow branch, the county committee for its own.
 * - "The receiving township is reminded to follow the member's job search" (R15): a township
 *   committee that received a "not placed" member, who is still in the branch it assigned, gets
 *   the same reminders, counted from the transfer's completion.
 * A month is a calendar month of the configured zone; each reminder is sent once per stay.
 */
import { eq, sql } from "drizzle-orm";
import { type Queryable, rowsOf, type Tx } from "../db/client.ts";
import { members, organizations } from "../db/schema.ts";
import { dayIn, startOfDay } from "../domain/calendar.ts";
import { notify } from "./notify.ts";

export const RETENTION_REMINDER_MONTHS = [5, 11] as const;

/** `now` moved back `months` calendar months in the zone (the day clamped to the month's end). */
export function monthsBefore(now: Date, months: number, timezone: string): Date {
  const today = dayIn(now, timezone);
  const [y, m, d] = today.split("-").map(Number) as [number, number, number];
  const index = y * 12 + (m - 1) - months;
  const year = Math.floor(index / 12);
  const month = (index % 12) + 1;
  const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const day = `${year}-${String(month).padStart(2, "0")}-${String(Math.min(d, lastDay)).padStart(2, "0")}`;
  const intoDay = now.getTime() - startOfDay(today, timezone).getTime();
  return new Date(startOfDay(day, timezone).getTime() + intoDay);
}

interface Stay {
  member_id: number;
  org_id: number;
  since: Date;
}

/** Queues the reminders due at `now`; returns how many stays were due (already sent included). */
export async function queueRetentionReminders(
  tx: Tx,
  now: Date,
  timezone: string,
): Promise<number> {
  let due = 0;
  for (const [i, months] of RETENTION_REMINDER_MONTHS.entries()) {
    const cutoff = monthsBefore(now, months, timezone).toISOString();
    // Only the latest reminder due: a stay found at 12 months is not told "5 months" as well.
    const next = RETENTION_REMINDER_MONTHS[i + 1];
    const after = next ? monthsBefore(now, next, timezone).toISOString() : "-infinity";
    const stays = rowsOf<Stay>(
      await tx.execute(sql`
        select m.id as member_id, coalesce(b.school_id, b.parent_id) as org_id,
               m.retained_since as since
        from members m join organizations b on b.id = m.branch_id
        where m.retained_since <= ${cutoff}::timestamptz and m.retained_since > ${after}::timestamptz
          and coalesce(b.school_id, b.parent_id) is not null
        union all
        select a.member_id, a.to_org_id, a.updated_at
        from applications a
        join organizations t on t.id = a.to_org_id and t.level = 'township'
        join members m on m.id = a.member_id
          and m.branch_id = coalesce(a.assigned_branch_id, a.to_org_id)
        where a.state = 'completed' and a.reason = 'not_placed'
          and a.updated_at <= ${cutoff}::timestamptz and a.updated_at > ${after}::timestamptz`),
      { since: "date" },
    );
    due += stays.length;
    for (let i = 0; i < stays.length; i += 1_000) {
      await notify(
        tx,
        stays.slice(i, i + 1_000).map((s) => ({
          event: "retention_reminder" as const,
          to: { org: s.org_id },
          payload: { memberId: s.member_id, months },
          key: { memberId: s.member_id, months, since: s.since.toISOString() },
        })),
      );
    }
  }
  return due;
}

/** R14, R15: the member a reminder is about and the branch they stay in; null once gone. */
export async function retainedMember(
  db: Queryable,
  memberId: number,
): Promise<{ name: string; branch: string } | null> {
  const [row] = await db
    .select({ name: members.name, branch: organizations.name })
    .from(members)
    .innerJoin(organizations, eq(organizations.id, members.branchId))
    .where(eq(members.id, memberId));
  return row ?? null;
}
