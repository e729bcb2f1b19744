/**
 * Last season's leftovers (R14, R15): members retained in a flow branch (a school's, R15, or a
 * county committee's, R14) must move on within 6 months, 12 at most. Those past the 6-month
 * point are listed for the organizations above them — the branch's own, its school or county
 * committee, and the leading organs up the tree — in `/pending` and the digest, each with the
 * 12-month limit and whether they were marked 失联 (lost contact). Lost contact excludes them
 * from nothing: they still count as not transferred.
 */
import { eq, sql } from "drizzle-orm";
import { type Db, rowsOf } from "../db/client.ts";
import { within } from "../db/queries/subtree.ts";
import { markHistory, members } from "../db/schema.ts";
import type { Season } from "../domain/calendar.ts";
import { canStartAsOutAdmin } from "../domain/permissions.ts";
import { writtenReasonProblem } from "../domain/rejection.ts";
import { loadAdmin, loadOrg } from "./orgStore.ts";
import { monthsBefore } from "./reminders.ts";
import { MAX_NOTE, type Refusal, refuse } from "./result.ts";

/** G2.2 note 2, G2.4: move on within 6 months, at most 1 year. */
export const STAY_MONTHS = 6;
export const STAY_LIMIT_MONTHS = 12;

export interface Leftover {
  memberId: number;
  name: string;
  branch: { id: number; name: string };
  since: Date;
  /** The 12-month limit. */
  limit: Date;
  pastLimit: boolean;
  lostContact: { reason: string; at: Date } | null;
}

interface Row {
  id: number;
  name: string;
  branch_id: number;
  branch_name: string;
  since: Date;
  lost_reason: string | null;
  lost_at: Date | null;
}

/** The members under `org` (its subtree) whose stay passed 6 months at `now`, longest first. */
export async function leftoversUnder(
  db: Db,
  org: { path: string },
  now: Date,
  season: Pick<Season, "timezone">,
): Promise<Leftover[]> {
  const cutoff = monthsBefore(now, STAY_MONTHS, season.timezone);
  const rows = rowsOf<Row>(
    await db.execute(sql`
      select m.id, m.name, b.id as branch_id, b.name as branch_name, m.retained_since as since,
             m.lost_contact_reason as lost_reason, m.lost_contact_at as lost_at
      from members m join organizations b on b.id = m.branch_id
      where m.retained_since is not null and m.retained_since <= ${cutoff.toISOString()}::timestamptz
        and b.category = 'flow_branch' and ${within(sql`b.path`, org.path)}
      order by m.retained_since, m.id`),
    { since: "date", lost_at: "date" },
  );
  return rows.map((r) => {
    const since = r.since;
    const limit = monthsBefore(since, -STAY_LIMIT_MONTHS, season.timezone);
    return {
      memberId: r.id,
      name: r.name,
      branch: { id: r.branch_id, name: r.branch_name },
      since,
      limit,
      pastLimit: now >= limit,
      lostContact: r.lost_reason && r.lost_at ? { reason: r.lost_reason, at: r.lost_at } : null,
    };
  });
}

/**
 * Marks a member 失联 (lost contact) with a reason, or clears it (`reason` null). Only an admin
 * of the member's organization or one above it (R11's out-organization) may.
 */
export async function markLostContact(
  db: Db,
  input: { adminId: number; memberId: number; reason: string | null },
  now: Date,
): Promise<{ ok: true } | Refusal> {
  const reason = input.reason?.trim() ?? null;
  if (reason !== null) {
    const problem = writtenReasonProblem(reason);
    if (problem) return refuse({ reason: problem });
    if (reason.length > MAX_NOTE) return refuse({ reason: "text_too_long", max: MAX_NOTE });
  }
  return db.transaction(async (tx) => {
    const admin = await loadAdmin(tx, input.adminId);
    if (!admin) return refuse({ reason: "unknown_admin" });
    const [member] = await tx.select().from(members).where(eq(members.id, input.memberId));
    if (!member) return refuse({ reason: "unknown_member" });
    const branch = await loadOrg(tx, member.branchId);
    if (!branch || !canStartAsOutAdmin(admin, branch)) return refuse({ reason: "not_permitted" });
    await tx
      .update(members)
      .set({ lostContactReason: reason, lostContactAt: reason ? now : null })
      .where(eq(members.id, member.id));
    await tx.insert(markHistory).values({
      memberId: member.id,
      orgId: branch.id,
      action: reason ? "lost_contact" : "lost_contact_cleared",
      actorAdminId: admin.adminId,
      detail: { reason },
      at: now,
    });
    return { ok: true };
  });
}
