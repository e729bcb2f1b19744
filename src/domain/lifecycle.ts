/**
 * The transfer lifecycle (SPEC §4, M1.4.4, M1.5, G3) as one explicit state machine.
 * Every service asks this module whether an action is allowed and where it leads.
 */
import type { ApplicationState, HistoryAction } from "./application.ts";

export type LifecycleAction = Exclude<HistoryAction, "create">;

/** States in which someone still has to decide; R27 counts the wait at each of them. */
export const OPEN_STATES = [
  "awaiting_leader",
  "awaiting_province",
  "awaiting_out_org",
  "pending",
  "awaiting_assignment",
] as const satisfies readonly ApplicationState[];

export const FINAL_STATES = [
  "completed",
  "rejected",
  "withdrawn",
  "auto_returned",
] as const satisfies readonly ApplicationState[];

/** States that no longer count as the member's outcome (§5). */
export const DEAD_STATES = [
  "rejected",
  "withdrawn",
  "auto_returned",
] as const satisfies readonly ApplicationState[];

/**
 * R21: the initiator may withdraw until the approval that completes the transfer or moves it to
 * assignment (the receiver's, or the out-organization's, R22).
 */
export const WITHDRAWABLE_STATES = [
  "awaiting_leader",
  "awaiting_province",
  "awaiting_out_org",
  "pending",
] as const satisfies readonly ApplicationState[];

type Target = ApplicationState | ((ctx: { receiverIsBranch: boolean }) => ApplicationState);

const TRANSITIONS: Partial<Record<ApplicationState, Partial<Record<LifecycleAction, Target>>>> = {
  awaiting_leader: {
    leader_approve: "pending",
    reject: "rejected",
    withdraw: "withdrawn",
    auto_return: "auto_returned",
  },
  awaiting_province: {
    province_approve: "completed",
    reject: "rejected",
    withdraw: "withdrawn",
    auto_return: "auto_returned",
  },
  awaiting_out_org: {
    // R22: the out-organization releases the member to the branch the in-organization chose;
    // where it chose a committee, that committee still assigns a branch.
    out_approve: ({ receiverIsBranch }) => (receiverIsBranch ? "completed" : "awaiting_assignment"),
    reject: "rejected",
    withdraw: "withdrawn",
    auto_return: "auto_returned",
  },
  pending: {
    // R22: a branch receiver completes at once; a committee must still assign a branch.
    approve: ({ receiverIsBranch }) => (receiverIsBranch ? "completed" : "awaiting_assignment"),
    reject: "rejected",
    withdraw: "withdrawn",
    auto_return: "auto_returned",
  },
  awaiting_assignment: {
    assign: "completed",
    auto_return: "auto_returned",
  },
};

export function isOpen(state: ApplicationState): boolean {
  return (OPEN_STATES as readonly ApplicationState[]).includes(state);
}

export function isDead(state: ApplicationState): boolean {
  return (DEAD_STATES as readonly ApplicationState[]).includes(state);
}

/** The state an action leads to, or null when the action is not allowed from `state`. */
export function nextState(
  state: ApplicationState,
  action: LifecycleAction,
  ctx: { receiverIsBranch: boolean } = { receiverIsBranch: true },
): ApplicationState | null {
  const target = TRANSITIONS[state]?.[action];
  if (!target) return null;
  return typeof target === "function" ? target(ctx) : target;
}

/** What an admin decides on an application; which approval it is depends on the stage. */
export type Decision = "approve" | "assign" | "reject";

export type ApprovalAction = "leader_approve" | "province_approve" | "out_approve" | "approve";

const APPROVAL_AT: Partial<Record<ApplicationState, ApprovalAction>> = {
  awaiting_leader: "leader_approve", // R19: the leading organ, before the receiver
  awaiting_province: "province_approve", // R17: the province, for special units
  awaiting_out_org: "out_approve", // R22: the out-organization releases the member
  pending: "approve", // R22: the receiver
};

/** The approval the stage an application waits at asks for; null where none is awaited. */
export function approvalAt(state: ApplicationState): ApprovalAction | null {
  return APPROVAL_AT[state] ?? null;
}

export interface DecisionStep<A extends LifecycleAction = LifecycleAction> {
  /** What the history records. */
  action: A;
  to: ApplicationState;
}

/**
 * Where a decision taken at `state` leads, or null when the application no longer waits for
 * it (decided, withdrawn, returned, or at a stage that decides otherwise: a committee that
 * approved assigns, it does not reject, R22). `receiverIsBranch` matters where an approval
 * hands the member over (R22): a branch completes at once, a committee still assigns.
 */
export function decide(
  state: ApplicationState,
  decision: "approve",
  ctx?: { receiverIsBranch: boolean },
): DecisionStep<ApprovalAction> | null;
export function decide(
  state: ApplicationState,
  decision: Decision,
  ctx?: { receiverIsBranch: boolean },
): DecisionStep | null;
export function decide(
  state: ApplicationState,
  decision: Decision,
  ctx: { receiverIsBranch: boolean } = { receiverIsBranch: true },
): DecisionStep | null {
  const action = decision === "approve" ? approvalAt(state) : decision;
  if (!action) return null;
  const to = nextState(state, action, ctx);
  return to ? { action, to } : null;
}
