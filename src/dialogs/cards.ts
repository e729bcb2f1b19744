/**
 * What notifications say: approval cards for deciding organizations' chats (edited in place
 * once decided), outcomes for members and initiators, graduation-change cards (R8). Every
 * channel renders these same replies.
 */
import type { Db } from "../db/client.ts";
import type { Season } from "../domain/calendar.ts";
import type { Locale } from "../i18n.ts";
import type { ChannelTarget } from "../messages/types.ts";
import {
  dispatch,
  type EventRow,
  type EventTable,
  type ProgressStep,
  type StoredEvent,
} from "../notices/events.ts";
import { digestFor } from "../services/digests.ts";
import { graduationChangeView } from "../services/marks.ts";
import { type ApplicationView, applicationView, type HistoryEntry } from "../services/queues.ts";
import { approverNoteLines } from "./approverNote.ts";
import { batchSummaryReply } from "./batchSummary.ts";
import { digestWithChart, reminderReply, warningReply } from "./digest.ts";
import {
  approveAction,
  assignBranchAction,
  detailsAction,
  gcApproveAction,
  gcRejectAction,
  rejectAction,
} from "./flows/decide.ts";
import { refileButton } from "./flows/refile.ts";
import { formatTime } from "./format.ts";
import {
  escalationReply,
  nudgeReply,
  reviewReminderReply,
  stageReminderReply,
} from "./reminderMessages.ts";
import { raw, reply, text } from "./replies.ts";
import { requestLines } from "./requestLines.ts";
import type { Button, Reply, Text } from "./types.ts";

const C = (key: string, params?: Text["params"]) => text(`card:${key}`, params);
const T = (key: string, params?: Text["params"]) => text(`transfer:${key}`, params);
const W = (key: string, params?: Text["params"]) => text(`workflow:${key}`, params);

/** The card of an application in one deciding organization's chats. */
export const cardRef = (applicationId: number, orgId: number) =>
  `app:${applicationId}:org:${orgId}`;

/** The card's lines below its title. */
function cardBody(view: ApplicationView, season: Season): Text[] {
  return [
    C("applicant", { name: raw(view.memberName), idNumber: raw(view.idNumber) }),
    C("from", { org: raw(view.fromOrgName) }),
    ...requestLines({ reason: view.reason, ...view.fields }),
    C("to", { org: view.toOrgName ? raw(view.toOrgName) : T("mine.noDestination") }),
    ...(view.autoReturnAt
      ? [
          C("waiting", {
            days: view.daysWaiting,
            date: formatTime(view.autoReturnAt, season.timezone),
          }),
        ]
      : []),
  ];
}

/**
 * What can be done at the stage an application waits at, as buttons (global: anyone in the
 * chat may press; each press is checked): approve or reject, or, once a committee approved,
 * assign the branch (R22). Details always.
 */
export function decisionButtons(view: Pick<ApplicationView, "id" | "state">): Button[] {
  // The stage shown travels with the press: one too late hears how it stands now (R26).
  const args = { id: view.id, state: view.state };
  const details = detailsAction.button(C("details"), args);
  if (view.state === "awaiting_assignment") {
    return [assignBranchAction.button(C("assignBranch"), args), details];
  }
  return [
    approveAction.button(C("approve"), args),
    rejectAction.button(C("reject"), args),
    details,
  ];
}

/** An open application's card, titled by its stage, with the buttons of that stage. */
export function applicationCard(view: ApplicationView, orgId: number, season: Season): Reply {
  return {
    ...reply(
      [C(`title.${view.stage ?? "receiver"}`, { id: view.id }), ...cardBody(view, season)],
      [decisionButtons(view)],
    ),
    ref: cardRef(view.id, orgId),
  };
}

/** The same card once decided: the outcome, who and when, and no buttons. */
export function decidedCard(
  view: ApplicationView & { history: HistoryEntry[] },
  orgId: number,
  season: Season,
  edit: boolean,
): Reply {
  const lastActor = view.history.at(-1);
  const at = formatTime(lastActor?.at ?? view.decidedAt ?? view.createdAt, season.timezone);
  const outcome = lastActor?.actorName
    ? C("outcome", { state: T(`state.${view.state}`), by: raw(lastActor.actorName), at })
    : C("outcomeSystem", { state: T(`state.${view.state}`), at });
  const base = cardBody({ ...view, autoReturnAt: null }, season);
  return {
    text: [C("title.decided", { id: view.id, state: T(`state.${view.state}`) }), ...base, outcome],
    ref: cardRef(view.id, orgId),
    ...(edit ? { edit: true } : {}),
  };
}

type View = NonNullable<Awaited<ReturnType<typeof applicationView>>>;

/**
 * An external transfer (R20) goes on in Beijing's, Guangdong's or Fujian's own system: what
 * happens next and where, in the words of the organization the applicant named.
 */
export function externalNext(view: {
  toOrgName: string | null;
  fields: { externalOrgName: string | null; externalOrgAddress: string | null };
}): Text {
  return W("externalNext", {
    province: raw(view.toOrgName ?? ""),
    org: raw(view.fields.externalOrgName ?? ""),
    address: raw(view.fields.externalOrgAddress ?? ""),
  });
}

/** A stage the member's application passed, and who decides now (or what still waits). */
function progressNotice(view: View, step: ProgressStep): Reply {
  const params = {
    id: view.id,
    from: raw(view.fromOrgName),
    to: raw(view.toOrgName ?? ""),
    reason: T(`reason.${view.reason}`),
    state: T(`state.${view.state}`),
  };
  const lines = [W(`progress.${step}`, params)];
  if (view.external && step === "filed_for_you") lines.push(externalNext(view));
  if (step !== "filed_for_you") lines.push(...approverNoteLines(view.history));
  return reply(lines);
}

function outcomeNotice(view: View): Reply {
  const id = view.id;
  switch (view.state) {
    case "completed":
      if (view.external) {
        return reply([
          W("externalCompleted", {
            id,
            province: raw(view.toOrgName ?? ""),
            org: raw(view.fields.externalOrgName ?? ""),
            address: raw(view.fields.externalOrgAddress ?? ""),
          }),
        ]);
      }
      return reply([
        C("outcomeNotice.completed", {
          id,
          org: raw(view.assignedBranchName ?? view.toOrgName ?? ""),
        }),
        ...approverNoteLines(view.history),
        T("mine.completedReminder"),
      ]);
    case "rejected":
      return reply(C("outcomeNotice.rejected", { id, reason: raw(view.rejectReason ?? "") }), [
        [refileButton(id)],
      ]);
    case "auto_returned":
      return reply(C("outcomeNotice.auto_returned", { id }), [[refileButton(id)]]);
    case "withdrawn":
      return reply(C("outcomeNotice.withdrawn", { id }));
    default:
      return reply(C("outcomeNotice.other", { id, state: T(`state.${view.state}`) }));
  }
}

/** R8: a graduation-month change request as its approver's chats and /pending show it. */
export async function graduationChangeCard(
  db: Db,
  requestId: number,
  decided: boolean,
): Promise<Reply | null> {
  const row = await graduationChangeView(db, requestId);
  if (!row) return null;
  const r = row.request;
  if (decided) {
    return reply(
      C("gc.notice", {
        id: r.id,
        branch: raw(row.branch),
        new: r.newMonth,
        result: C(`gc.result.${r.state}`),
      }),
    );
  }
  const body = [
    C("gc.title", { id: r.id }),
    C("gc.body", {
      branch: raw(row.branch),
      old: r.oldMonth ?? "—",
      new: r.newMonth,
      reason: raw(r.reason),
      by: raw(row.by),
    }),
  ];
  if (r.state !== "pending") return { text: [...body, C(`gc.result.${r.state}`)] };
  return reply(body, [
    [
      gcApproveAction.button(C("gc.approve"), { id: r.id }),
      gcRejectAction.button(C("gc.reject"), { id: r.id }),
    ],
  ]);
}

type Render = EventTable<
  [db: Db, target: ChannelTarget, now: Date, season: Season, defaultLocale: Locale],
  Promise<Reply | null>
>;

/** The card of an application in one deciding organization's chats, new or edited. */
async function cardRender(
  event: EventRow<"decision_needed"> | EventRow<"card_outcome">,
  db: Db,
  now: Date,
  season: Season,
): Promise<Reply | null> {
  const view = await applicationView(
    db,
    { applicationId: event.payload.applicationId, viewer: null },
    now,
    season,
  );
  if (!view) return null;
  const orgId = Number(event.recipientId);
  const edit = event.event === "card_outcome";
  // A next step already passed: the change that passed it edits this card in turn.
  if (event.event === "card_outcome" && event.payload.stillDeciding) {
    if (view.state !== event.payload.state) return null;
  }
  // Still this organization's to decide (a committee that approved now assigns): the card
  // asks for the next step; otherwise it shows the outcome under a new title.
  if (view.decidingOrgId === orgId && view.stage !== null) {
    const card = applicationCard(view, orgId, season);
    return edit ? { ...card, edit: true } : card;
  }
  return decidedCard(view, orgId, season, edit);
}

/** What each event says to one chat; a missing event is a compile error. */
const RENDER: Render = {
  decision_needed: (event, db, _target, now, season) => cardRender(event, db, now, season),
  card_outcome: (event, db, _target, now, season) => cardRender(event, db, now, season),
  outcome: async (event, db, _target, now, season) => {
    const view = await applicationView(
      db,
      { applicationId: event.payload.applicationId, viewer: null },
      now,
      season,
    );
    return view ? outcomeNotice(view) : null;
  },
  progress: async (event, db, _target, now, season) => {
    const view = await applicationView(
      db,
      { applicationId: event.payload.applicationId, viewer: null },
      now,
      season,
    );
    return view ? progressNotice(view, event.payload.step) : null;
  },
  graduation_change_needed: (event, db) => graduationChangeCard(db, event.payload.requestId, false),
  graduation_change_decided: (event, db) => graduationChangeCard(db, event.payload.requestId, true),
  digest: async (event, db, target, now, season, defaultLocale) => {
    const digest = await digestFor(db, event.payload.orgId, event.payload.day, now, season);
    // The chart's words are drawn into the picture: in the chat's language, as the text.
    return digest ? digestWithChart(digest, season, target.locale ?? defaultLocale) : null;
  },
  auto_return_warning: (event, db, _target, now, season) =>
    warningReply(db, event.payload, Number(event.recipientId), now, season),
  retention_reminder: (event, db) => reminderReply(db, event.payload),
  stage_reminder: (event, db, _target, now, season) =>
    stageReminderReply(db, event.payload, Number(event.recipientId), now, season),
  escalation: (event, db, _target, now, season) => escalationReply(db, event.payload, now, season),
  review_reminder: (event, db, _target, now, season) =>
    reviewReminderReply(db, Number(event.recipientId), now, season),
  nudge: (event, db, _target, now, season) =>
    nudgeReply(db, event.payload, Number(event.recipientId), now, season),
  batch_summary: (event, db) => batchSummaryReply(db, event.payload.batchId),
};

/** The renderer the outbox worker uses: one event, one chat (an unknown event: nothing). */
export function notificationRenderer(season: Season, defaultLocale: Locale = "zh-CN") {
  return (db: Db, event: StoredEvent, target: ChannelTarget, now: Date): Promise<Reply | null> =>
    dispatch(RENDER, event, async () => null, db, target, now, season, defaultLocale);
}
