/**
 * What people read: an organization's pending queue (oldest first, with waiting days and the
 * auto-return date), a member's own applications with their history (R25), one application
 * as a card shows it, with the ID number masked unless the viewer is a leading organ (R4).
 */
import { asc, desc, eq, inArray, type SQL, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import { type Db, query, type Tx } from "../db/client.ts";
import { admins, applicationHistory, applications, members, organizations } from "../db/schema.ts";
import { openIdNumber } from "../db/sealing.ts";
import type { ApplicationState, HistoryAction } from "../domain/application.ts";
import { autoReturnAt, autoReturnCutoff, daysWaiting, type Season } from "../domain/calendar.ts";
import { maskIdNumber } from "../domain/idNumber.ts";
import { OPEN_STATES } from "../domain/lifecycle.ts";
import {
  type AdminActor,
  BRANCH_OR_SUPERIOR_STAGES,
  seesFullIdNumbers,
} from "../domain/permissions.ts";
import type { OrgNode } from "../domain/tree.ts";
import type { ApprovalStageName } from "../notices/events.ts";
import { stageOf } from "./decisions/index.ts";
import { loadAdmin } from "./orgStore.ts";
import { type Refusal, refuse } from "./result.ts";

const fromOrg = alias(organizations, "from_org");
const toOrg = alias(organizations, "to_org");
const decidingOrg = alias(organizations, "deciding_org");
const assignedOrg = alias(organizations, "assigned_org");
const decider = alias(admins, "decider");

const applicationColumns = {
  app: applications,
  memberName: members.name,
  memberIdSealed: members.idSealed,
  fromOrgName: fromOrg.name,
  toOrgName: toOrg.name,
  decidingOrgName: decidingOrg.name,
  decidingOrgKind: decidingOrg.kind,
  assignedOrgName: assignedOrg.name,
  decidedByName: decider.name,
};

function selectApplications(tx: Tx | Db) {
  return tx
    .select(applicationColumns)
    .from(applications)
    .innerJoin(members, eq(members.id, applications.memberId))
    .innerJoin(fromOrg, eq(fromOrg.id, applications.fromOrgId))
    .leftJoin(toOrg, eq(toOrg.id, applications.toOrgId))
    .leftJoin(decidingOrg, eq(decidingOrg.id, applications.decidingOrgId))
    .leftJoin(assignedOrg, eq(assignedOrg.id, applications.assignedBranchId))
    .leftJoin(decider, eq(decider.id, applications.decidedByAdminId));
}

type Row = Awaited<ReturnType<ReturnType<typeof selectApplications>["execute"]>>[number];

function selectHistory(tx: Tx | Db, which: SQL) {
  return tx
    .select({
      applicationId: applicationHistory.applicationId,
      action: applicationHistory.action,
      fromState: applicationHistory.fromState,
      toState: applicationHistory.toState,
      actorKind: applicationHistory.actorKind,
      adminName: admins.name,
      memberName: members.name,
      note: applicationHistory.note,
      at: applicationHistory.at,
    })
    .from(applicationHistory)
    .leftJoin(admins, eq(admins.id, applicationHistory.actorAdminId))
    .leftJoin(members, eq(members.id, applicationHistory.actorMemberId))
    .where(which)
    .orderBy(asc(applicationHistory.id));
}

/**
 * A query built once per database handle: drizzle builds a query anew on every call (a fifth
 * of a millisecond for these), and a card is rendered for every delivery. A transaction's
 * handle is new each time, and builds what it uses once for itself.
 */
function oncePerHandle<Q>(build: (tx: Tx | Db) => Q): (tx: Tx | Db) => Q {
  const built = new WeakMap<Tx | Db, Q>();
  return (tx) => {
    let query = built.get(tx);
    if (!query) {
      query = build(tx);
      built.set(tx, query);
    }
    return query;
  };
}

const applicationQuery = oncePerHandle((tx) =>
  selectApplications(tx)
    .where(eq(applications.id, sql.placeholder("id")))
    .prepare("application_view"),
);
const historyQuery = oncePerHandle((tx) =>
  selectHistory(
    tx,
    sql`${applicationHistory.applicationId} = any(${sql.placeholder("ids")}::int[])`,
  ).prepare("application_history"),
);
// One application's (a card's) by itself: PostgreSQL plans a statement over an array anew on
// every call (its generic plan assumes a longer list), a fifth of a millisecond each time.
const oneHistoryQuery = oncePerHandle((tx) =>
  selectHistory(tx, sql`${applicationHistory.applicationId} = ${sql.placeholder("id")}`).prepare(
    "application_history_one",
  ),
);

export interface ApplicationView {
  id: number;
  state: ApplicationState;
  stage: ReturnType<typeof stageOf>;
  memberId: number;
  memberName: string;
  /** Masked unless the viewer is a leading organ (R4). */
  idNumber: string;
  reason: (typeof applications.$inferSelect)["reason"];
  external: boolean;
  fields: {
    studyType: string | null;
    schoolName: string | null;
    schoolAddress: string | null;
    employerName: string | null;
    employerAddress: string | null;
    address: string | null;
    addressKind: string | null;
    retainAtSchool: boolean;
    externalOrgName: string | null;
    externalOrgAddress: string | null;
    externalOrgDetails: string | null;
    under16Explanation: string | null;
  };
  fromOrgId: number;
  fromOrgName: string;
  toOrgName: string | null;
  decidingOrgId: number | null;
  decidingOrgName: string | null;
  /** The receiver is a committee etc.: approval leads to assignment (R22). */
  receiverIsBranch: boolean;
  assignedBranchName: string | null;
  decidedByName: string | null;
  decidedAt: Date | null;
  rejectReason: string | null;
  /** Issue 20.4: the application this one was refiled from. */
  refiledFromId: number | null;
  createdAt: Date;
  stageSince: Date;
  daysWaiting: number;
  /** When R27 would return it, for open applications. */
  autoReturnAt: Date | null;
}

function toView(row: Row, fullIdNumber: boolean, now: Date, season: Season): ApplicationView {
  const a = row.app;
  const open = (OPEN_STATES as readonly ApplicationState[]).includes(a.state);
  const idNumber = openIdNumber(row.memberIdSealed);
  return {
    id: a.id,
    state: a.state,
    stage: stageOf(a.state),
    memberId: a.memberId,
    memberName: row.memberName,
    idNumber: fullIdNumber ? idNumber : maskIdNumber(idNumber),
    reason: a.reason,
    external: a.external,
    fields: {
      studyType: a.studyType,
      schoolName: a.schoolName,
      schoolAddress: a.schoolAddress,
      employerName: a.employerName,
      employerAddress: a.employerAddress,
      address: a.address,
      addressKind: a.addressKind,
      retainAtSchool: a.retainAtSchool,
      externalOrgName: a.externalOrgName,
      externalOrgAddress: a.externalOrgAddress,
      externalOrgDetails: a.externalOrgDetails,
      under16Explanation: a.under16Explanation,
    },
    fromOrgId: a.fromOrgId,
    fromOrgName: row.fromOrgName,
    toOrgName: row.toOrgName,
    decidingOrgId: a.decidingOrgId,
    decidingOrgName: row.decidingOrgName,
    receiverIsBranch: row.decidingOrgKind === "branch",
    assignedBranchName: row.assignedOrgName,
    decidedByName: row.decidedByName,
    decidedAt: a.decidedAt,
    rejectReason: a.rejectReason,
    refiledFromId: a.refiledFromId,
    createdAt: a.createdAt,
    stageSince: a.stageSince,
    daysWaiting: open ? daysWaiting(a.stageSince, now) : 0,
    autoReturnAt: open ? autoReturnAt(season, a.stageSince) : null,
  };
}

/**
 * An admin's pending queue: what their organization must decide, and (R22) what its direct
 * branch children received or must release, oldest first.
 */
export async function pendingQueue(
  db: Db,
  input: { adminId: number },
  now: Date,
  season: Season,
): Promise<{ ok: true; org: OrgNode; orgName: string; items: ApplicationView[] } | Refusal> {
  const admin = await loadAdmin(db, input.adminId);
  if (!admin) return refuse({ reason: "unknown_admin" });
  return {
    ok: true,
    org: admin.org,
    orgName: admin.org.name,
    items: await orgPendingQueue(db, admin.org.id, seesFullIdNumbers(admin), now, season),
  };
}

/**
 * What waits at an organization: its own open applications and (R22) what its direct branch
 * children received or must release. Both arms name the deciding organization directly (its
 * branch children as an array), so each is an index scan of the open applications.
 */
const waitingAt = (orgId: number) => sql`(
  (${applications.decidingOrgId} = ${orgId} and ${inArray(applications.state, [...OPEN_STATES])})
  or (${applications.decidingOrgId} = any(array(
        select ${organizations.id} from ${organizations}
        where ${organizations.parentId} = ${orgId} and ${organizations.kind} = 'branch'))
    and ${inArray(applications.state, [...BRANCH_OR_SUPERIOR_STAGES])}))`;

/** The pending queue of an organization, oldest first. */
export async function orgPendingQueue(
  db: Db,
  orgId: number,
  fullIdNumbers: boolean,
  now: Date,
  season: Season,
): Promise<ApplicationView[]> {
  const rows = await selectApplications(db)
    .where(waitingAt(orgId))
    .orderBy(asc(applications.stageSince), asc(applications.id));
  return rows.map((r) => toView(r, fullIdNumbers, now, season));
}

/** One application of a queue as a summary names it. */
export interface WaitingItem {
  id: number;
  memberName: string;
  stageSince: Date;
  daysWaiting: number;
  autoReturnAt: Date;
}

export interface QueueSummary {
  count: number;
  /** The stages something waits at (which batch approvals apply). */
  stages: ApprovalStageName[];
  /** Oldest first: the first `listed` of the queue. */
  first: WaitingItem[];
  /** R27: how many the auto-return takes by `soon`; they lead the queue, which is oldest first. */
  returningBySoon: number;
}

/**
 * The digest's view of a queue: counts and its head, read in one statement, without the rows
 * (a county's universities keep thousands waiting in September). Applications that entered
 * their stage after `now` (a digest of a past day) are not counted.
 */
export async function orgQueueSummary(
  db: Db,
  orgId: number,
  options: { now: Date; soon: Date; listed: number },
  season: Season,
): Promise<QueueSummary> {
  const { now, soon, listed } = options;
  const cutoff = autoReturnCutoff(season, soon);
  const returning = cutoff ? sql`stage_since <= ${cutoff.toISOString()}::timestamptz` : sql`false`;
  const [row] = await query<{
    count: number;
    returning: number;
    states: ApplicationState[];
    first: { id: number; name: string; since: string }[];
  }>(
    db,
    sql`with waiting as (
          select ${applications.id} as id, ${applications.state} as state,
                 ${applications.stageSince} as stage_since, ${applications.memberId} as member_id
          from ${applications}
          where ${waitingAt(orgId)}
            and ${applications.stageSince} <= ${now.toISOString()}::timestamptz),
        head as (
          select w.id, ${members.name} as name, w.stage_since as since
          from waiting w join ${members} on ${members.id} = w.member_id
          order by w.stage_since, w.id limit ${listed})
        select count(*)::int as count,
               (count(*) filter (where ${returning}))::int as returning,
               coalesce(json_agg(distinct state), '[]') as states,
               (select coalesce(json_agg(h order by h.since, h.id), '[]') from head h) as first
        from waiting`,
  );
  return {
    count: row!.count,
    returningBySoon: row!.returning,
    stages: [...new Set(row!.states.map(stageOf))].filter((s) => s !== null),
    first: row!.first.map((f) => {
      const stageSince = new Date(f.since);
      return {
        id: f.id,
        memberName: f.name,
        stageSince,
        daysWaiting: daysWaiting(stageSince, now),
        autoReturnAt: autoReturnAt(season, stageSince),
      };
    }),
  };
}

export interface HistoryEntry {
  action: HistoryAction;
  fromState: ApplicationState | null;
  toState: ApplicationState;
  actorKind: "member" | "admin" | "system";
  actorName: string | null;
  note: string | null;
  at: Date;
}

async function historyOf(db: Db, ids: number[]): Promise<Map<number, HistoryEntry[]>> {
  const out = new Map<number, HistoryEntry[]>();
  if (ids.length === 0) return out;
  const rows =
    ids.length === 1
      ? await oneHistoryQuery(db).execute({ id: ids[0] })
      : await historyQuery(db).execute({ ids });
  for (const r of rows) {
    const list = out.get(r.applicationId) ?? [];
    list.push({
      action: r.action,
      fromState: r.fromState,
      toState: r.toState,
      actorKind: r.actorKind,
      actorName: r.adminName ?? r.memberName ?? null,
      note: r.note,
      at: r.at,
    });
    out.set(r.applicationId, list);
  }
  return out;
}

/** A member's own applications, newest first, each with its history (R25). */
export async function memberApplications(
  db: Db,
  input: { memberId: number },
  now: Date,
  season: Season,
): Promise<(ApplicationView & { history: HistoryEntry[] })[]> {
  const rows = await selectApplications(db)
    .where(eq(applications.memberId, input.memberId))
    .orderBy(desc(applications.id));
  const history = await historyOf(
    db,
    rows.map((r) => r.app.id),
  );
  // A member sees their own ID number masked too: chats are not private enough (FIELD-NOTES).
  return rows.map((r) => ({
    ...toView(r, false, now, season),
    history: history.get(r.app.id) ?? [],
  }));
}

/** One application as a card or a details view shows it to `viewer`. */
export async function applicationView(
  db: Db,
  input: { applicationId: number; viewer: AdminActor | null },
  now: Date,
  season: Season,
): Promise<(ApplicationView & { history: HistoryEntry[] }) | undefined> {
  if (!Number.isInteger(input.applicationId)) return undefined;
  // Side by side: one round trip, not two (a card is rendered for every delivery).
  const [[row], history] = await Promise.all([
    applicationQuery(db).execute({ id: input.applicationId }),
    historyOf(db, [input.applicationId]),
  ]);
  if (!row) return undefined;
  return {
    ...toView(row, seesFullIdNumbers(input.viewer), now, season),
    history: history.get(row.app.id) ?? [],
  };
}
