/**
 * Approve, at whatever stage the application waits: the leading organ (R19), the province
 * (R17), the out-organization (R22: releasing the member to the in-organization's choice), or
 * the receiver (R22: a branch completes at once, a committee then assigns). The lifecycle table
 * says where each leads; this says what goes with it.
 */
import type { Db, Tx } from "../../db/client.ts";
import {
  type ApprovalAction,
  approvalAt,
  type DecisionStep,
  decide,
} from "../../domain/lifecycle.ts";
import { canDecideAtStage } from "../../domain/permissions.ts";
import type { OrgNode } from "../../domain/tree.ts";
import { loadOrg, systemBranch } from "../orgStore.ts";
import { type Refusal, refuse } from "../result.ts";
import { alreadyDecided, type DecisionApp, lostRace, withDecision } from "./load.ts";
import { cardNotices, closingNotices, neededNotice, progressNotice } from "./notices.ts";
import { type Decided, type DecisionOptions, type Transition, transition } from "./transition.ts";

/** Issue 20: an approver's comment is a short note, not a letter. */
export const MAX_COMMENT = 200;

/**
 * `needsAssignment`: the admin who approved assigns the branch next (their committee received
 * the member).
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
  return withDecision(db, input, async (tx, { admin, app, deciding }) => {
    const approval = approvalAt(app.state);
    if (!deciding || !approval) return alreadyDecided(tx, app);
    if (!canDecideAtStage(admin, app.state, deciding)) return refuse({ reason: "not_permitted" });
    // R22: the out-organization releases the member to the organization the in-organization
    // chose; every other approval's receiver is the organization deciding now.
    const receiver = approval === "out_approve" ? await loadOrg(tx, app.toOrgId) : deciding;
    if (!receiver) return refuse({ reason: "unknown_org" });
    // External receivers assign in their own system (M1.4.5): approval completes there.
    const receiverIsBranch = receiver.kind === "branch" || (approval === "approve" && app.external);
    const step = decide(app.state, "approve", { receiverIsBranch });
    if (!step) return alreadyDecided(tx, app);
    const effects = await effectsOf(tx, app, step, receiver, now);
    const actor = { kind: "admin" as const, adminId: admin.adminId };
    // The leading organ passes the application on; the decision is the receiver's (R19).
    const decided =
      step.action === "leader_approve" ? {} : { decidedByAdminId: admin.adminId, decidedAt: now };
    const ok = await transition(
      tx,
      app,
      {
        action: step.action,
        to: step.to,
        actor,
        ...effects,
        set: { ...decided, ...effects.set },
      },
      now,
      how,
    );
    if (!ok) return lostRace(tx, app.id);
    // The in-organization assigns, not the out-organization that released the member.
    const needsAssignment = step.action === "approve" && step.to === "awaiting_assignment";
    return { ok: true, applicationId: app.id, state: step.to, needsAssignment };
  });
}

type Effects = Pick<Transition, "set" | "moveTo" | "notices">;

/** What goes with each approval besides the state: who decides next, where the member goes. */
async function effectsOf(
  tx: Tx,
  app: DecisionApp,
  { action, to }: DecisionStep<ApprovalAction>,
  receiver: OrgNode,
  now: Date,
): Promise<Effects> {
  const completed = to === "completed";
  switch (action) {
    case "leader_approve":
      return {
        set: { decidingOrgId: app.toOrgId, stageSince: now },
        notices: [
          ...cardNotices(app, to),
          ...(app.toOrgId ? [neededNotice(app, app.toOrgId, "receiver")] : []),
          progressNotice(app, "leader_approved"),
        ],
      };
    case "province_approve": {
      const library = await systemBranch(tx, receiver, "special_unit_library");
      return {
        set: { assignedBranchId: library.id },
        moveTo: library,
        notices: closingNotices(app, to),
      };
    }
    case "out_approve":
      if (completed) return { moveTo: receiver, notices: closingNotices(app, to) };
      return {
        set: { decidingOrgId: receiver.id, stageSince: now },
        notices: [
          ...cardNotices(app, to),
          neededNotice(app, receiver.id, "assignment"),
          progressNotice(app, "out_approved"),
        ],
      };
    case "approve":
      if (completed) {
        return {
          ...(app.external ? {} : { moveTo: receiver }),
          notices: closingNotices(app, to),
        };
      }
      // The same chats' card now asks for the branch (edited in place).
      return {
        set: { stageSince: now },
        notices: [...cardNotices(app, to, true), progressNotice(app, "receiver_approved")],
      };
  }
}
