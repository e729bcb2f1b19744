/**
 * Decisions on applications (R17, R19, R21–R26): approve (at whatever stage is waiting),
 * assign, reject, withdraw. Each is one transaction whose state change is a conditional update
 * on the state the decision was taken against, so exactly one of racing decisions wins (R26).
 */
import { and, desc, eq } from "drizzle-orm";
import type { Db, Queryable, Tx } from "../db/client.ts";
import { admins, applicationHistory, applications, members } from "../db/schema.ts";
import type { ApplicationState } from "../domain/application.ts";
import { type LifecycleAction, nextState, WITHDRAWABLE_STATES } from "../domain/lifecycle.ts";
import { type AdminActor, canDecideAtStage } from "../domain/permissions.ts";
import { isWithin } from "../domain/tree.ts";
import { type ApprovalStageName, notify } from "./notify.ts";
import { loadAdmin, loadOrg, systemBranch } from "./orgStore.ts";
import { refreshOutcomes } from "./outcomes.ts";
import { type Actor, MAX_NOTE, type Refusal, refuse } from "./result.ts";

type Application = typeof applications.$inferSelect;
export type Decided = { ok: true; applicationId: number; state: ApplicationState };

export async function loadApplication(tx: Queryable, id: number): Promise<Application | undefined> {
  if (!Number.isInteger(id)) return undefined;
  const [app] = await tx.select().from(applications).where(eq(applications.id, id));
  return app;
}

/** R26: the refusal a loser gets: what the application is now, who made it so, and when. */
export async function alreadyDecided(tx: Queryable, app: Application): Promise<Refusal> {
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
}

/**
 * Moves `app` from the state it was read in to `t.to`, only if nobody changed it meanwhile,
 * appends the history row and refreshes the member's outcome. Returns false when another
 * decision got there first.
 */
async function transition(tx: Tx, app: Application, t: Transition, now: Date): Promise<boolean> {
  const updated = await tx
    .update(applications)
    .set({ ...t.set, state: t.to, updatedAt: now })
    .where(and(eq(applications.id, app.id), eq(applications.state, app.state)))
    .returning({ id: applications.id });
  if (updated.length === 0) return false;
  await tx.insert(applicationHistory).values({
    applicationId: app.id,
    action: t.action,
    actorKind: t.actor.kind,
    actorMemberId: t.actor.kind === "member" ? t.actor.memberId : null,
    actorAdminId: t.actor.kind === "admin" ? t.actor.adminId : null,
    fromState: app.state,
    toState: t.to,
    note: t.note ?? null,
    at: now,
  });
  await refreshOutcomes(tx, [app.memberId]);
  return true;
}

/** The member and the initiating admin hear of an outcome (R23, R24, R27). */
export async function notifyOutcome(tx: Tx, app: Application, state: ApplicationState) {
  const payload = { applicationId: app.id, state };
  const key = `app:${app.id}:outcome:${state}`;
  await notify(tx, [
    { event: "outcome", to: { member: app.memberId }, payload, key },
    ...(app.initiatorAdminId
      ? [{ event: "outcome" as const, to: { admin: app.initiatorAdminId }, payload, key }]
      : []),
  ]);
}

/** The card in the chats of the organization that was deciding now shows the outcome. */
export async function notifyCard(tx: Tx, app: Application, state: ApplicationState) {
  if (!app.decidingOrgId) return;
  await notify(tx, [
    {
      event: "card_outcome",
      to: { org: app.decidingOrgId },
      payload: { applicationId: app.id, state },
      key: `app:${app.id}:card:${app.state}`,
    },
  ]);
}

/**
 * R24: the member moves only on completion. Flow branches (R14 county, R15 school) start the
 * retention clock for the 5 and 11 month reminders.
 */
async function moveMember(tx: Tx, app: Application, branchId: number, now: Date) {
  const branch = await loadOrg(tx, branchId);
  await tx
    .update(members)
    .set({ branchId, retainedSince: branch?.category === "flow_branch" ? now : null })
    .where(eq(members.id, app.memberId));
}

async function withAdmin<T>(
  db: Db,
  adminId: number,
  applicationId: number,
  run: (tx: Tx, admin: AdminActor, app: Application) => Promise<T | Refusal>,
): Promise<T | Refusal> {
  return db.transaction(async (tx) => {
    const admin = await loadAdmin(tx, adminId);
    if (!admin) return refuse({ reason: "unknown_admin" });
    const app = await loadApplication(tx, applicationId);
    if (!app) return refuse({ reason: "unknown_application" });
    return run(tx, admin, app);
  });
}

/** Which stage an open application waits at, for notifications and cards. */
export function stageOf(state: ApplicationState): ApprovalStageName | null {
  switch (state) {
    case "awaiting_leader":
      return "leader";
    case "awaiting_province":
      return "province";
    case "pending":
      return "receiver";
    case "awaiting_assignment":
      return "assignment";
    default:
      return null;
  }
}

/**
 * Approve, at whatever stage the application waits: the leading organ (R19), the province
 * (R17), or the receiver (R22: a branch completes at once, a committee then assigns).
 */
export async function approve(
  db: Db,
  input: { adminId: number; applicationId: number },
  now: Date,
): Promise<(Decided & { needsAssignment: boolean }) | Refusal> {
  return withAdmin(db, input.adminId, input.applicationId, async (tx, admin, app) => {
    const actor: Actor = { kind: "admin", adminId: admin.adminId };
    const deciding = await loadOrg(tx, app.decidingOrgId);
    if (!deciding) return alreadyDecided(tx, app);
    const decided = { decidedByAdminId: admin.adminId, decidedAt: now };
    if (app.state === "awaiting_leader") {
      if (!canDecideAtStage(admin, app.state, deciding)) return refuse({ reason: "not_permitted" });
      const ok = await transition(
        tx,
        app,
        {
          action: "leader_approve",
          to: "pending",
          actor,
          set: { decidingOrgId: app.toOrgId, stageSince: now },
        },
        now,
      );
      if (!ok) return alreadyDecided(tx, (await loadApplication(tx, app.id))!);
      await notifyCard(tx, app, "pending");
      if (app.toOrgId) {
        await notify(tx, [
          {
            event: "decision_needed",
            to: { org: app.toOrgId },
            payload: { applicationId: app.id, stage: "receiver" },
            key: `app:${app.id}:needed:receiver`,
          },
        ]);
      }
      return { ok: true, applicationId: app.id, state: "pending", needsAssignment: false };
    }
    if (app.state === "awaiting_province") {
      if (!canDecideAtStage(admin, app.state, deciding)) return refuse({ reason: "not_permitted" });
      const library = await systemBranch(tx, deciding, "special_unit_library");
      const ok = await transition(
        tx,
        app,
        {
          action: "province_approve",
          to: "completed",
          actor,
          set: { ...decided, assignedBranchId: library.id },
        },
        now,
      );
      if (!ok) return alreadyDecided(tx, (await loadApplication(tx, app.id))!);
      await moveMember(tx, app, library.id, now);
      await notifyCard(tx, app, "completed");
      await notifyOutcome(tx, app, "completed");
      return { ok: true, applicationId: app.id, state: "completed", needsAssignment: false };
    }
    if (app.state === "pending") {
      if (!canDecideAtStage(admin, app.state, deciding)) return refuse({ reason: "not_permitted" });
      // External receivers assign in their own system (M1.4.5): approval completes there.
      const completesNow = deciding.kind === "branch" || app.external;
      const to = nextState("pending", "approve", { receiverIsBranch: completesNow })!;
      const ok = await transition(
        tx,
        app,
        {
          action: "approve",
          to,
          actor,
          set: { ...decided, ...(to === "awaiting_assignment" ? { stageSince: now } : {}) },
        },
        now,
      );
      if (!ok) return alreadyDecided(tx, (await loadApplication(tx, app.id))!);
      if (to === "completed") {
        if (!app.external) await moveMember(tx, app, deciding.id, now);
        await notifyCard(tx, app, "completed");
        await notifyOutcome(tx, app, "completed");
      }
      return { ok: true, applicationId: app.id, state: to, needsAssignment: to !== "completed" };
    }
    return alreadyDecided(tx, app);
  });
}

/** R22: the receiving committee's admin puts the member into one of its branches. */
export async function assign(
  db: Db,
  input: { adminId: number; applicationId: number; branchId: number },
  now: Date,
): Promise<Decided | Refusal> {
  return withAdmin(db, input.adminId, input.applicationId, async (tx, admin, app) => {
    if (app.state !== "awaiting_assignment") return alreadyDecided(tx, app);
    const receiver = await loadOrg(tx, app.decidingOrgId);
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
      },
      now,
    );
    if (!ok) return alreadyDecided(tx, (await loadApplication(tx, app.id))!);
    await moveMember(tx, app, branch.id, now);
    await notifyCard(tx, app, "completed");
    await notifyOutcome(tx, app, "completed");
    return { ok: true, applicationId: app.id, state: "completed" };
  });
}

/** R23: rejecting needs a written reason; the application returns to the initiator. */
export async function reject(
  db: Db,
  input: { adminId: number; applicationId: number; reason: string },
  now: Date,
): Promise<Decided | Refusal> {
  const reason = input.reason.trim();
  if (reason === "") return refuse({ reason: "reason_required" });
  if (reason.length > MAX_NOTE) return refuse({ reason: "text_too_long", max: MAX_NOTE });
  return withAdmin(db, input.adminId, input.applicationId, async (tx, admin, app) => {
    if (nextState(app.state, "reject") === null) return alreadyDecided(tx, app);
    const deciding = await loadOrg(tx, app.decidingOrgId);
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
      },
      now,
    );
    if (!ok) return alreadyDecided(tx, (await loadApplication(tx, app.id))!);
    await notifyCard(tx, app, "rejected");
    await notifyOutcome(tx, app, "rejected");
    return { ok: true, applicationId: app.id, state: "rejected" };
  });
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
  return db.transaction(async (tx) => {
    const app = await loadApplication(tx, input.applicationId);
    if (!app) return refuse({ reason: "unknown_application" });
    const { actor } = input;
    let permitted = false;
    if (actor.kind === "member") {
      permitted = app.initiatorKind === "member" && app.initiatorMemberId === actor.memberId;
    } else if (actor.kind === "admin" && app.initiatorAdminId) {
      const [me, initiator] = await Promise.all([
        loadAdmin(tx, actor.adminId),
        loadAdmin(tx, app.initiatorAdminId),
      ]);
      permitted = !!me && !!initiator && me.org.id === initiator.org.id;
    }
    if (!permitted) return refuse({ reason: "not_permitted" });
    if (!(WITHDRAWABLE_STATES as readonly ApplicationState[]).includes(app.state)) {
      return alreadyDecided(tx, app);
    }
    const ok = await transition(tx, app, { action: "withdraw", to: "withdrawn", actor }, now);
    if (!ok) return alreadyDecided(tx, (await loadApplication(tx, app.id))!);
    await notifyCard(tx, app, "withdrawn");
    if (actor.kind === "admin") {
      await notify(tx, [
        {
          event: "outcome",
          to: { member: app.memberId },
          payload: { applicationId: app.id, state: "withdrawn" },
          key: `app:${app.id}:outcome:withdrawn`,
        },
      ]);
    }
    return { ok: true, applicationId: app.id, state: "withdrawn" };
  });
}
