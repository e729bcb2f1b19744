/**
 * Decisions on applications (R17, R19, R21–R26): approve (at whatever stage is waiting),
 * assign, reject, withdraw. Each is one transaction whose state change is a conditional update
 * on the state the decision was taken against, so exactly one of racing decisions wins (R26).
 */
import { desc, eq, getTableColumns, type SQL, sql } from "drizzle-orm";
import { atomically, type Db, type Queryable, query, type Tx } from "../db/client.ts";
import { admins, applicationHistory, applications, members } from "../db/schema.ts";
import type { ApplicationState } from "../domain/application.ts";
import { type LifecycleAction, nextState, WITHDRAWABLE_STATES } from "../domain/lifecycle.ts";
import { type AdminActor, canDecideAtStage } from "../domain/permissions.ts";
import { rejectReasonProblem } from "../domain/rejection.ts";
import { isWithin, type OrgNode } from "../domain/tree.ts";
import { type ApprovalStageName, insertNotices, type Notice, type ProgressStep } from "./notify.ts";
import { loadAdmin, loadOrg, orgNodeJson, systemBranch } from "./orgStore.ts";
import { refreshOutcomes } from "./outcomes.ts";
import { type Actor, MAX_NOTE, type Refusal, refuse } from "./result.ts";

type Application = typeof applications.$inferSelect;
/**
 * How a decision is taken beyond who and what: `deferCards` collects the card edits instead of
 * queuing them (a batch queues them after its summary, issue 20); `note` is the approver's
 * short comment, kept in the history and shown to the member (issue 20).
 */
export interface DecisionOptions {
  deferCards?: Notice[];
  note?: string;
}

/** Issue 20: an approver's comment is a short note, not a letter. */
export const MAX_COMMENT = 200;
export type Decided = { ok: true; applicationId: number; state: ApplicationState };

export async function loadApplication(tx: Queryable, id: number): Promise<Application | undefined> {
  if (!Number.isInteger(id)) return undefined;
  const [app] = await tx.select().from(applications).where(eq(applications.id, id));
  return app;
}

/** What deciding on an application needs to know of it. */
export type DecisionApp = Pick<
  Application,
  | "id"
  | "memberId"
  | "state"
  | "initiatorKind"
  | "initiatorMemberId"
  | "initiatorAdminId"
  | "external"
  | "toOrgId"
  | "decidingOrgId"
>;

const DECIDING_ORG = orgNodeJson("o");

/** The application with the organization whose decision it awaits (none once closed). */
async function loadWithDeciding(
  tx: Queryable,
  id: number,
): Promise<{ app: DecisionApp; deciding: OrgNode | null } | undefined> {
  if (!Number.isInteger(id)) return undefined;
  const [row] = await query<DecisionApp & { deciding: OrgNode | null }>(
    tx,
    sql`select a.id, a.member_id as "memberId", a.state, a.initiator_kind as "initiatorKind",
          a.initiator_member_id as "initiatorMemberId",
          a.initiator_admin_id as "initiatorAdminId", a.external, a.to_org_id as "toOrgId",
          a.deciding_org_id as "decidingOrgId",
          (select ${DECIDING_ORG} from organizations o where o.id = a.deciding_org_id) as deciding
        from applications a where a.id = ${id}`,
  );
  if (!row) return undefined;
  const { deciding, ...app } = row;
  return { app, deciding };
}

export interface DecisionContext {
  admin: AdminActor;
  app: DecisionApp;
  deciding: OrgNode | null;
}

/** Who decides and on what, read in one round trip; refused when either is unknown. */
export async function loadDecision(
  tx: Queryable,
  input: { adminId: number; applicationId: number },
): Promise<DecisionContext | Refusal> {
  const [admin, found] = await Promise.all([
    loadAdmin(tx, input.adminId),
    loadWithDeciding(tx, input.applicationId),
  ]);
  if (!admin) return refuse({ reason: "unknown_admin" });
  if (!found) return refuse({ reason: "unknown_application" });
  return { admin, ...found };
}

/** R26: the refusal a loser gets: what the application is now, who made it so, and when. */
export async function alreadyDecided(
  tx: Queryable,
  app: Pick<Application, "id" | "state">,
): Promise<Refusal> {
  const [last] = await tx
    .select({
      at: applicationHistory.at,
      adminName: admins.name,
      memberName: members.name,
      actorKind: applicationHistory.actorKind,
    })
    .from(applicationHistory)
    .leftJoin(admins, eq(admins.id, applicationHistory.actorAdminId))
    .leftJoin(members, eq(members.id, applicationHistory.actorMemberId))
    .where(eq(applicationHistory.applicationId, app.id))
    .orderBy(desc(applicationHistory.id))
    .limit(1);
  return refuse({
    reason: "already_decided",
    state: app.state,
    by: last?.adminName ?? last?.memberName ?? null,
    at: last?.at ?? null,
  });
}

interface Transition {
  action: LifecycleAction;
  to: ApplicationState;
  actor: Actor;
  note?: string | null;
  set?: Partial<typeof applications.$inferInsert>;
  /** R24: the member moves only on completion, into this organization. */
  moveTo?: OrgNode;
  notices?: Notice[];
}

const APPLICATION_COLUMNS = getTableColumns(applications);

/**
 * `column = value, ...` of an update written by hand (the query builder's own took a tenth of
 * a millisecond to compose); PostgreSQL types each value by its column, dates go as text.
 */
function assignments(values: Partial<typeof applications.$inferInsert>): SQL {
  return sql.join(
    Object.entries(values).map(([key, value]) => {
      const column = APPLICATION_COLUMNS[key as keyof typeof APPLICATION_COLUMNS];
      const param = value instanceof Date ? value.toISOString() : (value ?? null);
      return sql`${sql.identifier(column.name)} = ${param}`;
    }),
    sql`, `,
  );
}

/**
 * Moves `app` from the state it was read in to `t.to`, only if nobody changed it meanwhile, with
 * everything that goes with it: the history row, the member's move, the notifications (one
 * statement, each part conditional on the move having happened) and the member's outcome.
 * Returns false when another decision got there first (nothing is written).
 */
async function transition(
  tx: Tx,
  app: DecisionApp,
  t: Transition,
  now: Date,
  options: DecisionOptions = {},
): Promise<boolean> {
  const at = now.toISOString();
  const sink = options.deferCards;
  const notices = sink ? t.notices?.filter((n) => n.event !== "card_outcome") : t.notices;
  const deferred = sink ? (t.notices ?? []).filter((n) => n.event === "card_outcome") : [];
  const actorMemberId = t.actor.kind === "member" ? t.actor.memberId : null;
  const actorAdminId = t.actor.kind === "admin" ? t.actor.adminId : null;
  const parts = [
    sql`moved as (
      update applications set ${assignments({ ...t.set, state: t.to, updatedAt: now })}
      where id = ${app.id} and state = ${app.state} returning id)`,
    sql`recorded as (
      insert into application_history (application_id, action, actor_kind, actor_member_id,
        actor_admin_id, from_state, to_state, note, at)
      select id, ${t.action}, ${t.actor.kind}, ${actorMemberId}::int, ${actorAdminId}::int,
        ${app.state}, ${t.to}, ${t.note ?? options.note ?? null}::text, ${at}::timestamptz
      from moved)`,
  ];
  if (t.moveTo) {
    // R14, R15: flow branches start the retention clock for the 5 and 11 month reminders.
    const retainedSince = t.moveTo.category === "flow_branch" ? at : null;
    parts.push(sql`relocated as (
      update members set branch_id = ${t.moveTo.id}, retained_since = ${retainedSince}::timestamptz
      where id = ${app.memberId} and exists (select 1 from moved))`);
  }
  if (notices?.length) {
    parts.push(
      sql`noticed as (${insertNotices(notices, sql`where exists (select 1 from moved)`)})`,
    );
  }
  const [done] = await Promise.all([
    query(tx, sql`with ${sql.join(parts, sql`, `)} select id from moved`),
    // In the same round trip: it recomputes the outcome from whatever the statement above
    // left, so after a lost race it finds nothing to change.
    refreshOutcomes(tx, [app.memberId]),
  ]);
  if (done.length > 0) sink?.push(...deferred);
  return done.length > 0;
}

/** The member and the initiating admin hear of an outcome (R23, R24, R27). */
export function outcomeNotices(app: DecisionApp, state: ApplicationState): Notice[] {
  const payload = { applicationId: app.id, state };
  const key = payload;
  return [
    { event: "outcome", to: { member: app.memberId }, payload, key },
    ...(app.initiatorAdminId
      ? [{ event: "outcome" as const, to: { admin: app.initiatorAdminId }, payload, key }]
      : []),
  ];
}

/**
 * The card in the chats of the organization that was deciding now shows the outcome, or, where
 * that organization still decides (a committee that approved now assigns), its next step.
 */
export function cardNotices(
  app: DecisionApp,
  state: ApplicationState,
  stillDeciding = false,
): Notice[] {
  if (!app.decidingOrgId) return [];
  return [
    {
      event: "card_outcome",
      to: { org: app.decidingOrgId },
      payload: { applicationId: app.id, state, ...(stillDeciding ? { stillDeciding } : {}) },
      key: { applicationId: app.id, fromState: app.state },
    },
  ];
}

/** The member hears that a stage was passed and who decides next. */
function progressNotice(app: DecisionApp, step: ProgressStep): Notice {
  return {
    event: "progress",
    to: { member: app.memberId },
    payload: { applicationId: app.id, step },
    key: { applicationId: app.id, step },
  };
}

/** The card the next deciding organization's chats get. */
function neededNotice(app: DecisionApp, orgId: number, stage: ApprovalStageName): Notice {
  return {
    event: "decision_needed",
    to: { org: orgId },
    payload: { applicationId: app.id, stage },
    key: { applicationId: app.id, stage },
  };
}

/** The closing notices: the deciding chats' card and the people told of the outcome. */
const closingNotices = (app: DecisionApp, state: ApplicationState): Notice[] => [
  ...cardNotices(app, state),
  ...outcomeNotices(app, state),
];

/**
 * Runs a decision on its own transaction, or inside the caller's (a dialog turn): a refusal
 * writes nothing and an error fails the whole turn, so no savepoint is needed.
 */
async function withAdmin<T>(
  db: Db,
  input: { adminId: number; applicationId: number },
  run: (tx: Tx, decision: DecisionContext) => Promise<T | Refusal>,
): Promise<T | Refusal> {
  return atomically(db, async (tx) => {
    const decision = await loadDecision(tx, input);
    if (!("admin" in decision)) return decision;
    return run(tx, decision);
  });
}

/** Which stage an open application waits at, for notifications and cards. */
export function stageOf(state: ApplicationState): ApprovalStageName | null {
  switch (state) {
    case "awaiting_leader":
      return "leader";
    case "awaiting_province":
      return "province";
    case "awaiting_out_org":
      return "out";
    case "pending":
      return "receiver";
    case "awaiting_assignment":
      return "assignment";
    default:
      return null;
  }
}

const APPROVABLE: readonly ApplicationState[] = [
  "awaiting_leader",
  "awaiting_province",
  "awaiting_out_org",
  "pending",
];

/**
 * Approve, at whatever stage the application waits: the leading organ (R19), the province
 * (R17), the out-organization (R22: releasing the member to the in-organization's choice), or
 * the receiver (R22: a branch completes at once, a committee then assigns). `needsAssignment`:
 * the admin who approved assigns the branch next (their committee received the member).
 */
export async function approve(
  db: Db,
  input: { adminId: number; applicationId: number },
  now: Date,
  options: DecisionOptions = {},
): Promise<(Decided & { needsAssignment: boolean }) | Refusal> {
  const note = options.note?.trim() || null;
  if (note && note.length > MAX_COMMENT)
    return refuse({ reason: "text_too_long", max: MAX_COMMENT });
  const how = { ...options, ...(note ? { note } : {}) };
  return withAdmin(db, input, async (tx, { admin, app, deciding }) => {
    if (!deciding || !APPROVABLE.includes(app.state)) return alreadyDecided(tx, app);
    if (!canDecideAtStage(admin, app.state, deciding)) return refuse({ reason: "not_permitted" });
    const actor: Actor = { kind: "admin", adminId: admin.adminId };
    const decided = { decidedByAdminId: admin.adminId, decidedAt: now };
    const lost = async () => alreadyDecided(tx, (await loadApplication(tx, app.id))!);
    if (app.state === "awaiting_leader") {
      const ok = await transition(
        tx,
        app,
        {
          action: "leader_approve",
          to: "pending",
          actor,
          set: { decidingOrgId: app.toOrgId, stageSince: now },
          notices: [
            ...cardNotices(app, "pending"),
            ...(app.toOrgId ? [neededNotice(app, app.toOrgId, "receiver")] : []),
            progressNotice(app, "leader_approved"),
          ],
        },
        now,
        how,
      );
      if (!ok) return lost();
      return { ok: true, applicationId: app.id, state: "pending", needsAssignment: false };
    }
    if (app.state === "awaiting_province") {
      const library = await systemBranch(tx, deciding, "special_unit_library");
      const ok = await transition(
        tx,
        app,
        {
          action: "province_approve",
          to: "completed",
          actor,
          set: { ...decided, assignedBranchId: library.id },
          moveTo: library,
          notices: closingNotices(app, "completed"),
        },
        now,
        how,
      );
      if (!ok) return lost();
      return { ok: true, applicationId: app.id, state: "completed", needsAssignment: false };
    }
    if (app.state === "awaiting_out_org") {
      const receiver = await loadOrg(tx, app.toOrgId);
      if (!receiver) return refuse({ reason: "unknown_org" });
      const to = nextState("awaiting_out_org", "out_approve", {
        receiverIsBranch: receiver.kind === "branch",
      })!;
      const completed = to === "completed";
      const ok = await transition(
        tx,
        app,
        {
          action: "out_approve",
          to,
          actor,
          set: completed ? decided : { ...decided, decidingOrgId: receiver.id, stageSince: now },
          ...(completed ? { moveTo: receiver } : {}),
          notices: completed
            ? closingNotices(app, "completed")
            : [
                ...cardNotices(app, to),
                neededNotice(app, receiver.id, "assignment"),
                progressNotice(app, "out_approved"),
              ],
        },
        now,
        how,
      );
      if (!ok) return lost();
      // The in-organization assigns, not the out-organization that released the member.
      return { ok: true, applicationId: app.id, state: to, needsAssignment: false };
    }
    // Pending at the receiver. External receivers assign in their own system (M1.4.5):
    // approval completes there.
    const completesNow = deciding.kind === "branch" || app.external;
    const to = nextState("pending", "approve", { receiverIsBranch: completesNow })!;
    const completed = to === "completed";
    const ok = await transition(
      tx,
      app,
      {
        action: "approve",
        to,
        actor,
        set: { ...decided, ...(completed ? {} : { stageSince: now }) },
        ...(completed && !app.external ? { moveTo: deciding } : {}),
        // Not completed: the same chats' card now asks for the branch (edited in place).
        notices: completed
          ? closingNotices(app, "completed")
          : [...cardNotices(app, to, true), progressNotice(app, "receiver_approved")],
      },
      now,
      how,
    );
    if (!ok) return lost();
    return { ok: true, applicationId: app.id, state: to, needsAssignment: !completed };
  });
}

/** R22: the receiving committee's admin puts the member into one of its branches. */
export async function assign(
  db: Db,
  input: { adminId: number; applicationId: number; branchId: number },
  now: Date,
  options: Pick<DecisionOptions, "deferCards"> = {},
): Promise<Decided | Refusal> {
  return withAdmin(db, input, async (tx, { admin, app, deciding: receiver }) => {
    if (app.state !== "awaiting_assignment") return alreadyDecided(tx, app);
    if (!receiver || !canDecideAtStage(admin, app.state, receiver)) {
      return refuse({ reason: "not_permitted" });
    }
    const branch = await loadOrg(tx, input.branchId);
    if (!branch) return refuse({ reason: "unknown_org" });
    if (branch.kind !== "branch" || branch.category !== "normal") {
      return refuse({ reason: "not_a_branch" });
    }
    if (!isWithin(branch, receiver)) return refuse({ reason: "branch_not_in_receiver" });
    const ok = await transition(
      tx,
      app,
      {
        action: "assign",
        to: "completed",
        actor: { kind: "admin", adminId: admin.adminId },
        set: { assignedBranchId: branch.id, decidedByAdminId: admin.adminId, decidedAt: now },
        moveTo: branch,
        notices: closingNotices(app, "completed"),
      },
      now,
      options,
    );
    if (!ok) return alreadyDecided(tx, (await loadApplication(tx, app.id))!);
    return { ok: true, applicationId: app.id, state: "completed" };
  });
}

/**
 * R23: rejecting needs a written reason (R30: never the member's household registration); the
 * application returns to the initiator.
 */
export async function reject(
  db: Db,
  input: { adminId: number; applicationId: number; reason: string },
  now: Date,
): Promise<Decided | Refusal> {
  const reason = input.reason.trim();
  const problem = rejectReasonProblem(reason);
  if (problem) return refuse({ reason: problem });
  if (reason.length > MAX_NOTE) return refuse({ reason: "text_too_long", max: MAX_NOTE });
  return withAdmin(db, input, async (tx, { admin, app, deciding }) => {
    if (nextState(app.state, "reject") === null) return alreadyDecided(tx, app);
    if (!deciding) return refuse({ reason: "unknown_org" });
    if (!canDecideAtStage(admin, app.state, deciding)) return refuse({ reason: "not_permitted" });
    const ok = await transition(
      tx,
      app,
      {
        action: "reject",
        to: "rejected",
        actor: { kind: "admin", adminId: admin.adminId },
        note: reason,
        set: { rejectReason: reason, decidedByAdminId: admin.adminId, decidedAt: now },
        notices: closingNotices(app, "rejected"),
      },
      now,
    );
    if (!ok) return alreadyDecided(tx, (await loadApplication(tx, app.id))!);
    return { ok: true, applicationId: app.id, state: "rejected" };
  });
}

/** R21: the initiator, or a colleague of an initiating admin (same organization). */
async function mayWithdraw(
  tx: Queryable,
  actor: Actor,
  app: Pick<Application, "initiatorKind" | "initiatorMemberId" | "initiatorAdminId">,
): Promise<boolean> {
  if (actor.kind === "member") {
    return app.initiatorKind === "member" && app.initiatorMemberId === actor.memberId;
  }
  if (actor.kind !== "admin" || !app.initiatorAdminId) return false;
  const [me, initiator] = await Promise.all([
    loadAdmin(tx, actor.adminId),
    loadAdmin(tx, app.initiatorAdminId),
  ]);
  return !!me && !!initiator && me.org.id === initiator.org.id;
}

/** Whether this person may withdraw the application now (R21), for the buttons shown to them. */
export async function canWithdrawNow(
  db: Queryable,
  input: { actor: Actor; applicationId: number },
): Promise<boolean> {
  const app = await loadApplication(db, input.applicationId);
  if (!app || !(WITHDRAWABLE_STATES as readonly ApplicationState[]).includes(app.state)) {
    return false;
  }
  return mayWithdraw(db, input.actor, app);
}

/**
 * R21: the initiator withdraws before the receiver's approval. An admin initiator's colleagues
 * (admins of the same organization) may withdraw it too.
 */
export async function withdraw(
  db: Db,
  input: { actor: Actor; applicationId: number },
  now: Date,
): Promise<Decided | Refusal> {
  return atomically(db, async (tx) => {
    const app = await loadApplication(tx, input.applicationId);
    if (!app) return refuse({ reason: "unknown_application" });
    const { actor } = input;
    if (!(await mayWithdraw(tx, actor, app))) return refuse({ reason: "not_permitted" });
    if (!(WITHDRAWABLE_STATES as readonly ApplicationState[]).includes(app.state)) {
      return alreadyDecided(tx, app);
    }
    // The member is told only when a colleague of the initiating admin withdrew for them.
    const notices = [
      ...cardNotices(app, "withdrawn"),
      ...(actor.kind === "admin"
        ? outcomeNotices(app, "withdrawn").filter((n) => "member" in n.to)
        : []),
    ];
    const ok = await transition(
      tx,
      app,
      { action: "withdraw", to: "withdrawn", actor, notices },
      now,
    );
    if (!ok) return alreadyDecided(tx, (await loadApplication(tx, app.id))!);
    return { ok: true, applicationId: app.id, state: "withdrawn" };
  });
}
