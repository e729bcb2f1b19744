/** What a decision tells whom: the deciding chats' cards, the member, the initiating admin. */
import type { ApplicationState } from "../../domain/application.ts";
import type { ApprovalStageName, Notice, ProgressStep } from "../notify.ts";
import type { DecisionApp } from "./load.ts";

/** The member and the initiating admin hear of an outcome (R23, R24, R27). */
export function outcomeNotices(app: DecisionApp, state: ApplicationState): Notice[] {
  const payload = { applicationId: app.id, state };
  const key = payload;
  return [
    { event: "outcome", to: { member: app.memberId }, payload, key },
    ...(app.initiatorAdminId
      ? [
          {
            event: "outcome" as const,
            to: { admin: app.initiatorAdminId },
            payload,
            key,
          },
        ]
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
      payload: {
        applicationId: app.id,
        state,
        ...(stillDeciding ? { stillDeciding } : {}),
      },
      key: { applicationId: app.id, fromState: app.state },
    },
  ];
}

/** The member hears that a stage was passed and who decides next. */
export function progressNotice(app: DecisionApp, step: ProgressStep): Notice {
  return {
    event: "progress",
    to: { member: app.memberId },
    payload: { applicationId: app.id, step },
    key: { applicationId: app.id, step },
  };
}

/** The card the next deciding organization's chats get. */
export function neededNotice(app: DecisionApp, orgId: number, stage: ApprovalStageName): Notice {
  return {
    event: "decision_needed",
    to: { org: orgId },
    payload: { applicationId: app.id, stage },
    key: { applicationId: app.id, stage },
  };
}

/** The closing notices: the deciding chats' card and the people told of the outcome. */
export const closingNotices = (app: DecisionApp, state: ApplicationState): Notice[] => [
  ...cardNotices(app, state),
  ...outcomeNotices(app, state),
];

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
