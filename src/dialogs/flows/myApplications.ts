/**
 * "My applications": each application with its state, outcome and history (R25), and a
 * withdraw button while the initiator may still withdraw (R21).
 */
import { z } from "zod";
import type { ApplicationState } from "../../domain/application.ts";
import { WITHDRAWABLE_STATES } from "../../domain/lifecycle.ts";
import { withdraw } from "../../services/decisions/index.ts";
import { memberApplications } from "../../services/queues.ts";
import { nudge } from "../../services/stageReminders.ts";
import { defineAction } from "../defineAction.ts";
import { formatTime } from "../format.ts";
import { refusalText } from "../refusals.ts";
import { button, menuButtonRow, raw, reply, text } from "../replies.ts";
import type { DialogContext, Flow, GlobalActionResult, Reply, Text } from "../types.ts";

/** The most recent ones; older applications are final and rarely matter in a chat. */
const SHOWN = 5;

const T = (key: string, params?: Text["params"]) => text(`transfer:${key}`, params);

export async function myApplicationsReplies(
  ctx: DialogContext,
  memberId: number,
): Promise<Reply[]> {
  const apps = (await memberApplications(ctx.db, { memberId }, ctx.now, ctx.season)).slice(
    0,
    SHOWN,
  );
  if (apps.length === 0) return [reply(T("mine.none"), [menuButtonRow()])];
  const tz = ctx.season.timezone;
  const replies: Reply[] = [reply(T("mine.title"))];
  for (const app of apps) {
    const lines: Text[] = [
      T("mine.item", {
        id: app.id,
        reason: T(`reason.${app.reason}`),
        destination: app.toOrgName ? raw(app.toOrgName) : T("mine.noDestination"),
        state: T(`state.${app.state}`),
      }),
    ];
    if (app.decidedByName) lines.push(T("mine.itemDecided", { by: raw(app.decidedByName) }));
    if (app.rejectReason) lines.push(T("mine.itemRejectReason", { reason: raw(app.rejectReason) }));
    if (app.autoReturnAt) {
      lines.push(
        T("mine.itemWaiting", { days: app.daysWaiting, date: formatTime(app.autoReturnAt, tz) }),
      );
    }
    if (app.state === "completed") lines.push(T("mine.completedReminder"));
    if (app.refiledFromId) lines.push(text("refile:history", { id: app.refiledFromId }));
    for (const h of app.history) {
      const params = {
        at: formatTime(h.at, tz),
        action: T(`action.${h.action}`),
        actor: h.actorName ? raw(h.actorName) : T("mine.system"),
      };
      lines.push(
        h.note
          ? T("mine.historyNote", { ...params, note: raw(h.note) })
          : T("mine.history", params),
      );
    }
    const withdrawable = (WITHDRAWABLE_STATES as readonly ApplicationState[]).includes(app.state);
    const row = [
      ...(withdrawable
        ? [withdrawAction.button(T("mine.withdraw", { id: app.id }), { id: app.id })]
        : []),
      // Issue 20.2: 催办, while someone still has to decide.
      ...(app.autoReturnAt && app.decidingOrgId
        ? [nudgeAction.button(text("reminders:nudgeButton", { id: app.id }), { id: app.id })]
        : []),
    ];
    replies.push(reply(lines, row.length > 0 ? [row] : []));
  }
  replies.push(reply(text("chat:menu.choose"), [menuButtonRow()]));
  return replies;
}

export const myApplicationsFlow: Flow = {
  name: "myApplications",
  requires: "member",
  async start(ctx) {
    const memberId = ctx.identity.memberId;
    return {
      state: null,
      replies: memberId === null ? [] : await myApplicationsReplies(ctx, memberId),
    };
  },
  handle: () => ({ state: null, replies: [] }),
};

/** The application a withdraw button is about. */
const applicationArgs = z.object({ id: z.number().int() });

/** The withdraw button asks first: a withdrawn application must be filed again from scratch. */
export const withdrawAction = defineAction("withdraw", applicationArgs, (ctx, { id }) => {
  // Keeping it leads back where the member saw it; an admin back to the menu.
  const keep =
    ctx.identity.memberId !== null
      ? button(text("workflow:withdraw.no"), { type: "flow", flow: "myApplications" })
      : button(text("workflow:withdraw.no"), { type: "command", command: "menu" });
  return {
    replies: [
      reply(text("workflow:withdraw.confirm", { id }), [
        [withdrawConfirmedAction.button(text("workflow:withdraw.yes", { id }), { id }), keep],
      ]),
    ],
  };
});

/** R27 催办: the member reminds the deciding chats, once a day per application. */
export const nudgeAction = defineAction(
  "nudge",
  applicationArgs,
  async (ctx, { id }): Promise<GlobalActionResult> => {
    const memberId = ctx.identity.memberId;
    if (memberId === null) return { replies: [reply(text("chat:stale"))] };
    const result = await nudge(ctx.db, { memberId, applicationId: id }, ctx.now, ctx.season);
    if (!result.ok) {
      const said =
        result.reason === "nudged_today"
          ? text("reminders:nudgedToday", { id })
          : refusalText(result, ctx.season.timezone);
      return { replies: [{ ...reply(said, [menuButtonRow()]), popup: said }] };
    }
    const said = result.deferredTo
      ? text("reminders:nudgeDeferred", {
          id,
          at: formatTime(result.deferredTo, ctx.season.timezone),
        })
      : text("reminders:nudged", { id });
    return { replies: [{ ...reply(said, [menuButtonRow()]), popup: said }] };
  },
);

/** The confirmed withdrawal: re-checked by the service, whatever the payload says. */
export const withdrawConfirmedAction = defineAction(
  "withdrawConfirmed",
  applicationArgs,
  async (ctx, { id }): Promise<GlobalActionResult> => {
    const memberId = ctx.identity.memberId;
    const adminId = ctx.identity.adminId;
    if (memberId === null && adminId === null) {
      return { replies: [reply(text("chat:stale"))] };
    }
    const actor =
      memberId !== null
        ? ({ kind: "member", memberId } as const)
        : ({ kind: "admin", adminId: adminId! } as const);
    const result = await withdraw(ctx.db, { actor, applicationId: id }, ctx.now);
    if (!result.ok) {
      return {
        replies: [{ ...reply(refusalText(result), [menuButtonRow()]), popup: refusalText(result) }],
      };
    }
    return {
      replies: [
        {
          ...reply(T("mine.withdrawn", { id }), [menuButtonRow()]),
          popup: T("mine.withdrawn", { id }),
        },
      ],
    };
  },
);
