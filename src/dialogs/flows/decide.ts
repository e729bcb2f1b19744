/**
 * Admins deciding in chat (issue 6.2, 6.3): the card buttons Approve / Reject / Details, the
 * branch picker after a committee approves (R22), the reject reason (R23), graduation-change
 * decisions (R8), /pending, and /bind, /unbind of group chats. Every button is re-checked by
 * the services; a press by someone not permitted changes nothing.
 */

import { maskIdNumber } from "../../domain/idNumber.ts";
import { bindChat, unbindChat } from "../../services/chatBindings.ts";
import { assignableBranches, decisionRight } from "../../services/decisionRights.ts";
import { approve, assign, reject } from "../../services/decisions.ts";
import { deadDeliveries } from "../../services/deliveryHealth.ts";
import { decideGraduationChange } from "../../services/marks.ts";
import { loadAdmin } from "../../services/orgStore.ts";
import { applicationView, pendingQueue } from "../../services/queues.ts";
import type { Refusal } from "../../services/result.ts";
import { applicationCard } from "../cards.ts";
import { formatTime } from "../format.ts";
import { pickerButtons, readPicker } from "../picker.ts";
import { refusalText } from "../refusals.ts";
import type { DialogRegistry } from "../registry.ts";
import { raw, reply, text } from "../replies.ts";
import { requestLines } from "../requestLines.ts";
import { stepFlow } from "../steps.ts";
import type {
  CommandHandler,
  DialogContext,
  GlobalAction,
  GlobalActionResult,
  Json,
  Text,
} from "../types.ts";

const C = (key: string, params?: Text["params"]) => text(`card:${key}`, params);
const T = (key: string, params?: Text["params"]) => text(`transfer:${key}`, params);

/** Cards shown by /pending at once; the rest wait for the next /pending. */
const PENDING_SHOWN = 10;

function idOf(args: Json | undefined): number | null {
  if (typeof args !== "object" || args === null || Array.isArray(args)) return null;
  return typeof args.id === "number" ? args.id : null;
}

const answer = (message: Text | Text[], popup?: Text): GlobalActionResult => ({
  replies: [{ ...reply(message), ...(popup ? { popup } : {}) }],
});

const notAuthorized = () => answer(C("notAuthorized"), C("notAuthorizedPopup"));

function refused(r: Refusal): GlobalActionResult {
  if (r.reason === "not_permitted" || r.reason === "unknown_admin") return notAuthorized();
  return answer(refusalText(r), refusalText(r));
}

/** Runs `act` for a bound admin and a well-formed application id, else answers who may not. */
async function asAdmin(
  ctx: DialogContext,
  args: Json | undefined,
  act: (adminId: number, applicationId: number) => Promise<GlobalActionResult>,
): Promise<GlobalActionResult> {
  const id = idOf(args);
  if (id === null) return answer(text("chat:stale"), text("chat:stalePopup"));
  if (ctx.identity.adminId === null) return notAuthorized();
  return act(ctx.identity.adminId, id);
}

const approveAction: GlobalAction = (ctx, args) =>
  asAdmin(ctx, args, async (adminId, applicationId) => {
    const result = await approve(ctx.db, { adminId, applicationId }, ctx.now);
    if (!result.ok) return refused(result);
    if (result.needsAssignment) {
      return {
        replies: [
          {
            ...reply(C("approved", { id: applicationId })),
            popup: C("approved", { id: applicationId }),
          },
        ],
        begin: { flow: "assign", args: { id: applicationId } },
      };
    }
    return answer(C("approved", { id: applicationId }), C("approved", { id: applicationId }));
  });

const rejectAction: GlobalAction = (ctx, args) =>
  asAdmin(ctx, args, async (adminId, applicationId) => {
    const right = await decisionRight(ctx.db, { adminId, applicationId });
    if (!right.ok) return refused(right);
    if (right.state === "awaiting_assignment")
      return refused({ ok: false, reason: "not_allowed_now", state: "awaiting_assignment" });
    return { replies: [], begin: { flow: "rejectReason", args: { id: applicationId } } };
  });

const detailsAction: GlobalAction = (ctx, args) =>
  asAdmin(ctx, args, async (adminId, applicationId) => {
    const admin = await loadAdmin(ctx.db, adminId);
    // Full ID numbers only to a leading organ, and never into a group chat (R4).
    const viewer = admin && !ctx.isGroup ? admin : null;
    const view = await applicationView(ctx.db, { applicationId, viewer }, ctx.now, ctx.season);
    if (!view) return refused({ ok: false, reason: "unknown_application" });
    const tz = ctx.season.timezone;
    const lines: Text[] = [
      C("detailsTitle", { id: view.id }),
      C("applicant", { name: raw(view.memberName), idNumber: raw(view.idNumber) }),
      C("from", { org: raw(view.fromOrgName) }),
      ...requestLines({ reason: view.reason, ...view.fields }),
      C("to", { org: view.toOrgName ? raw(view.toOrgName) : T("mine.noDestination") }),
      C("state", { state: T(`state.${view.state}`) }),
      C("historyTitle"),
      ...view.history.map((h) => {
        const params = {
          at: formatTime(h.at, tz),
          action: T(`action.${h.action}`),
          actor: h.actorName ? raw(h.actorName) : T("mine.system"),
        };
        return h.note
          ? T("mine.historyNote", { ...params, note: raw(h.note) })
          : T("mine.history", params);
      }),
    ];
    return answer(lines);
  });

/** R22: after a committee approves, its admin picks the branch; completion is on assignment. */
const assignFlow = stepFlow<{ id: number; page: number }, { id: number }>({
  name: "assign",
  requires: "admin",
  first: "branch",
  initial: (_ctx, args) => ({ id: args?.id ?? -1, page: 0 }),
  steps: {
    branch: {
      ask: async (ctx, data) => {
        const branches = await assignableBranches(ctx.db, {
          adminId: ctx.identity.adminId ?? -1,
          applicationId: data.id,
        });
        if (branches.length === 0) return reply(C("noBranches"));
        return reply(
          C("approvedNeedsBranch", { id: data.id }),
          pickerButtons(
            branches.map((b) => ({ label: b.name, value: b.id })),
            data.page,
          ),
        );
      },
      action: async (ctx, data, value) => {
        const picked = readPicker(value);
        if (!picked) return { invalid: text("chat:nav.useButtons") };
        if ("page" in picked) return { stay: { ...data, page: picked.page } };
        if (typeof picked.pick !== "number") return { invalid: text("chat:nav.useButtons") };
        const result = await assign(
          ctx.db,
          { adminId: ctx.identity.adminId ?? -1, applicationId: data.id, branchId: picked.pick },
          ctx.now,
        );
        if (!result.ok) return { invalid: refusalText(result) };
        const view = await applicationView(
          ctx.db,
          { applicationId: data.id, viewer: null },
          ctx.now,
          ctx.season,
        );
        return {
          done: [
            reply(C("assigned", { id: data.id, branch: raw(view?.assignedBranchName ?? "") })),
          ],
        };
      },
    },
  },
});

/** R23: the next text from this admin in this chat is the reason. */
const rejectReasonFlow = stepFlow<{ id: number }, { id: number }>({
  name: "rejectReason",
  requires: "admin",
  first: "reason",
  initial: (_ctx, args) => ({ id: args?.id ?? -1 }),
  steps: {
    reason: {
      ask: (_ctx, data) => ({
        ...reply(C("askRejectReason", { id: data.id })),
        expectsReply: true,
      }),
      text: async (ctx, data, input) => {
        const result = await reject(
          ctx.db,
          { adminId: ctx.identity.adminId ?? -1, applicationId: data.id, reason: input },
          ctx.now,
        );
        if (!result.ok) {
          if (result.reason === "reason_required" || result.reason === "text_too_long") {
            return { invalid: refusalText(result) };
          }
          return { done: [reply(refusalText(result))] };
        }
        return { done: [reply(C("rejected", { id: data.id }))] };
      },
    },
  },
});

function graduationDecision(approveIt: boolean): GlobalAction {
  return async (ctx, args) => {
    const id = idOf(args);
    if (id === null) return answer(text("chat:stale"), text("chat:stalePopup"));
    if (ctx.identity.adminId === null) return notAuthorized();
    const result = await decideGraduationChange(
      ctx.db,
      { adminId: ctx.identity.adminId, requestId: id, approve: approveIt },
      ctx.now,
    );
    if (!result.ok) return refused(result);
    const message = C("gc.decided", { id, result: C(`gc.result.${result.state}`) });
    return answer(message, message);
  };
}

const pendingCommand: CommandHandler = async (ctx) => {
  if (ctx.identity.adminId === null) return answer(text("chat:errors.only.admin"));
  const queue = await pendingQueue(ctx.db, { adminId: ctx.identity.adminId }, ctx.now, ctx.season);
  if (!queue.ok) return refused(queue);
  const org = raw(queue.orgName);
  const admin = await loadAdmin(ctx.db, ctx.identity.adminId);
  // Messages to this organization's chats that the platform never accepted (dead letters).
  const dead = admin ? await deadDeliveries(ctx.db, admin.org.id) : 0;
  const deadLine = dead > 0 ? [reply(text("digest:deadLetters", { count: dead }))] : [];
  if (queue.items.length === 0)
    return { replies: [reply(C("pending.none", { org })), ...deadLine] };
  const shown = queue.items.slice(0, PENDING_SHOWN);
  return {
    replies: [
      reply(C("pending.title", { org, count: queue.items.length })),
      ...shown.map((item) =>
        // A leading organ sees full ID numbers (R4), but never in a group chat.
        applicationCard(
          { ...item, idNumber: ctx.isGroup ? maskIdNumber(item.idNumber) : item.idNumber },
          item.decidingOrgId ?? admin?.org.id ?? 0,
          ctx.season,
        ),
      ),
      ...(queue.items.length > PENDING_SHOWN
        ? [reply(C("pending.more", { count: queue.items.length - PENDING_SHOWN }))]
        : []),
      ...deadLine,
    ],
  };
};

/** The daily digest's button: pushed messages carry global actions only, so /pending is one. */
const openPendingAction: GlobalAction = (ctx) => pendingCommand(ctx, "");

const bindCommand: CommandHandler = async (ctx) => {
  if (ctx.identity.adminId === null) return answer(C("bind.adminOnly"));
  if (!ctx.isGroup) return answer(C("bind.groupOnly"));
  const result = await bindChat(
    ctx.db,
    { channel: ctx.channel, chatId: ctx.chatId, adminId: ctx.identity.adminId },
    ctx.now,
  );
  if (!result.ok) return refused(result);
  const org = raw(result.orgName);
  return answer(
    result.previousOrgName
      ? C("bind.moved", { old: raw(result.previousOrgName), org })
      : C("bind.done", { org }),
  );
};

const unbindCommand: CommandHandler = async (ctx) => {
  if (ctx.identity.adminId === null) return answer(C("bind.adminOnly"));
  const result = await unbindChat(ctx.db, {
    channel: ctx.channel,
    chatId: ctx.chatId,
    adminId: ctx.identity.adminId,
  });
  if (!result.ok) return refused(result);
  return answer(
    result.orgName ? C("bind.unbound", { org: raw(result.orgName) }) : C("bind.notBound"),
  );
};

export function registerDecisionFlows(registry: DialogRegistry): DialogRegistry {
  return registry
    .flow(assignFlow)
    .flow(rejectReasonFlow)
    .action("approve", approveAction)
    .action("reject", rejectAction)
    .action("details", detailsAction)
    .action("gcApprove", graduationDecision(true))
    .action("gcReject", graduationDecision(false))
    .action("openPending", openPendingAction)
    .command("pending", pendingCommand)
    .command("bind", bindCommand)
    .command("unbind", unbindCommand);
}
