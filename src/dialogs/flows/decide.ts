/**
 * Admins deciding in chat (issue 6.2, 6.3, issue 14.1): the card buttons Approve / Reject /
 * Details and, once a committee approved, Assign branch (R22); the branch picker; the reject
 * reason, preset or written (R23, R30); graduation-change decisions (R8); /pending with its
 * pages and, for leading organs, the region below them (R29); and /bind, /unbind of group
 * chats. Every button is re-checked by the services; a press by someone not permitted changes
 * nothing, and whoever comes too late hears how the application stands and what is left to do.
 */

import { z } from "zod";
import { maskIdNumber } from "../../domain/idNumber.ts";
import { isOpen } from "../../domain/lifecycle.ts";
import { REJECT_PRESETS } from "../../domain/rejection.ts";
import { bindChat, unbindChat } from "../../services/chatBindings.ts";
import { assignableBranches, decisionRight, standing } from "../../services/decisionRights.ts";
import { approve, assign, canWithdrawNow, reject } from "../../services/decisions/index.ts";
import { deadDeliveries } from "../../services/deliveryHealth.ts";
import { leftoversUnder } from "../../services/leftovers.ts";
import { decideGraduationChange, pendingGraduationChanges } from "../../services/marks.ts";
import { loadAdmin } from "../../services/orgStore.ts";
import { applicationView, pendingQueue } from "../../services/queues.ts";
import type { Refusal } from "../../services/result.ts";
import { batchButtons } from "../batchButton.ts";
import { applicationCard, decisionButtons, graduationChangeCard } from "../cards.ts";
import { type AdminContext, defineAction } from "../defineAction.ts";
import { formatTime } from "../format.ts";
import { leftoverLines } from "../leftoverLines.ts";
import { pickerButtons, readPicker } from "../picker.ts";
import { refusalText } from "../refusals.ts";
import { regionAction, regionSummaryReply } from "../region.ts";
import type { DialogRegistry } from "../registry.ts";
import { translate } from "../render.ts";
import { raw, reply, stepButton, text } from "../replies.ts";
import { requestLines } from "../requestLines.ts";
import { type StepOutcome, stepFlow } from "../steps.ts";
import type {
  Button,
  CommandHandler,
  DialogContext,
  GlobalActionResult,
  Reply,
  Text,
} from "../types.ts";
import { approveNoteButton } from "./approveNote.ts";
import { withdrawAction } from "./myApplications.ts";

const C = (key: string, params?: Text["params"]) => text(`card:${key}`, params);
const T = (key: string, params?: Text["params"]) => text(`transfer:${key}`, params);
const W = (key: string, params?: Text["params"]) => text(`workflow:${key}`, params);

/** Cards per page of /pending. */
const PENDING_PAGE = 10;

const answer = (message: Text | Text[], popup?: Text): GlobalActionResult => ({
  replies: [{ ...reply(message), ...(popup ? { popup } : {}) }],
});

const notAuthorized = () => answer(C("notAuthorized"), C("notAuthorizedPopup"));

function refused(r: Refusal): GlobalActionResult {
  if (r.reason === "not_permitted" || r.reason === "unknown_admin") return notAuthorized();
  return answer(refusalText(r), refusalText(r));
}

/** A press of a card's button: who pressed, on which application, at which stage it showed. */
interface Press {
  adminId: number;
  applicationId: number;
  /** The state the card showed (its buttons carry it); absent on older buttons. */
  shownAt: string | null;
}

/** A card's buttons carry the application and the state the card showed (R26). */
const pressArgs = z.object({ id: z.number().int(), state: z.string().optional() });

/** What the assign and reject flows are begun with: the application. */
const applicationArgs = z.object({ id: z.number().int() });

function pressOf(ctx: AdminContext, args: z.output<typeof pressArgs>): Press {
  return { adminId: ctx.identity.adminId, applicationId: args.id, shownAt: args.state ?? null };
}

const assignButton = (id: number) => assignBranchAction.button(C("assignBranch"), { id });

/**
 * A refusal, or, for someone too late (R26), how the application stands now: the card showed
 * a stage it has left (another leader approved first), or what is left is the assignment and
 * this admin makes it, with the way to it (a press of Approve goes straight to the picker: the
 * approval it wanted is there).
 */
async function tooLateOrRefused(
  ctx: DialogContext,
  press: Press,
  refusal: Refusal,
  openPicker: boolean,
): Promise<GlobalActionResult> {
  const { adminId, applicationId } = press;
  if (refusal.reason === "not_permitted" && press.shownAt !== null) {
    const now = await standing(ctx.db, applicationId);
    if (now.reason === "already_decided" && now.state !== press.shownAt) return refused(now);
  }
  if (refusal.reason === "already_decided" && refusal.state === "awaiting_assignment") {
    const right = await decisionRight(ctx.db, { adminId, applicationId });
    if (right.ok) {
      if (openPicker) {
        return {
          replies: [reply(refusalText(refusal))],
          begin: { flow: "assign", args: { id: applicationId } },
        };
      }
      return { replies: [reply(refusalText(refusal), [[assignButton(applicationId)]])] };
    }
  }
  return refused(refusal);
}

export const approveAction = defineAction(
  "approve",
  pressArgs,
  { requires: "admin" },
  async (ctx, args) => {
    const press = pressOf(ctx, args);
    const { adminId, applicationId } = press;
    const result = await approve(ctx.db, { adminId, applicationId }, ctx.now);
    if (!result.ok) return tooLateOrRefused(ctx, press, result, true);
    if (result.needsAssignment) {
      const said = W("approved.assign", { id: applicationId });
      return {
        replies: [{ ...reply(said), popup: said }],
        begin: { flow: "assign", args: { id: applicationId } },
      };
    }
    const said = W(`approved.${result.state}`, { id: applicationId });
    return answer(said, said);
  },
);

export const rejectAction = defineAction(
  "reject",
  pressArgs,
  { requires: "admin" },
  async (ctx, args) => {
    const press = pressOf(ctx, args);
    const { adminId, applicationId } = press;
    const right = await decisionRight(ctx.db, { adminId, applicationId });
    if (!right.ok) return tooLateOrRefused(ctx, press, right, false);
    // R22: a committee that approved assigns; it cannot reject any more.
    if (right.state === "awaiting_assignment") {
      return tooLateOrRefused(ctx, press, await standing(ctx.db, applicationId), false);
    }
    return { replies: [], begin: { flow: "rejectReason", args: { id: applicationId } } };
  },
);

/** R22: the way back to the branch picker, from the card, /pending or the details. */
export const assignBranchAction = defineAction(
  "assignBranch",
  pressArgs,
  { requires: "admin" },
  async (ctx, args): Promise<GlobalActionResult> => {
    const press = pressOf(ctx, args);
    const { adminId, applicationId } = press;
    const right = await decisionRight(ctx.db, { adminId, applicationId });
    if (!right.ok) return tooLateOrRefused(ctx, press, right, false);
    if (right.state !== "awaiting_assignment") {
      return answer(
        W("assign.notYet", { id: applicationId }),
        W("assign.notYet", { id: applicationId }),
      );
    }
    return { replies: [], begin: { flow: "assign", args: { id: applicationId } } };
  },
);

export const detailsAction = defineAction(
  "details",
  pressArgs,
  { requires: "admin" },
  async (ctx, args): Promise<GlobalActionResult> => {
    const { adminId, applicationId } = pressOf(ctx, args);
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
      ...(view.refiledFromId ? [text("refile:history", { id: view.refiledFromId })] : []),
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
    // What this admin may do now, beside the facts: decide, or withdraw what they started.
    const right = isOpen(view.state)
      ? await decisionRight(ctx.db, { adminId, applicationId })
      : null;
    const actions = right?.ok
      ? decisionButtons(view).filter(
          (b) => !(b.action.type === "global" && b.action.name === detailsAction.name),
        )
      : [];
    // Issue 20.6: an approval with a note to the member, where approving is what waits.
    if (right?.ok && right.state !== "awaiting_assignment") {
      actions.push(approveNoteButton(applicationId));
    }
    const actor = { kind: "admin" as const, adminId };
    if (await canWithdrawNow(ctx.db, { actor, applicationId })) {
      const withdrawArgs = { id: applicationId };
      actions.push(withdrawAction.button(T("mine.withdraw", withdrawArgs), withdrawArgs));
    }
    return { replies: [reply(lines, actions.length > 0 ? [actions] : [])] };
  },
);

/** R22: after a committee approves, its admin picks the branch; completion is on assignment. */
const assignFlow = stepFlow<{ id: number; page: number }, { id: number }, "branch">({
  name: "assign",
  requires: "admin",
  first: "branch",
  args: applicationArgs,
  fromArgs: (_ctx, args) => ({ id: args.id, page: 0 }),
  steps: {
    branch: {
      ask: async (ctx, data) => {
        const branches = await assignableBranches(ctx.db, {
          adminId: ctx.identity.adminId,
          applicationId: data.id,
        });
        if (!branches.ok) return reply(refusalText(branches));
        if (branches.branches.length === 0) return reply(C("noBranches"));
        return reply(
          C("approvedNeedsBranch", { id: data.id }),
          pickerButtons(
            branches.branches.map((b) => ({ label: b.name, value: b.id })),
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
          { adminId: ctx.identity.adminId, applicationId: data.id, branchId: picked.pick },
          ctx.now,
        );
        if (!result.ok) {
          // Someone else assigned meanwhile: the outcome, not the picker again.
          if (result.reason === "already_decided") return { done: [reply(refusalText(result))] };
          return { invalid: refusalText(result) };
        }
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
  // The approval is saved: leaving the picker says the application still waits, and where the
  // way back is.
  leave: async (ctx, data) => {
    const right = await decisionRight(ctx.db, {
      adminId: ctx.identity.adminId,
      applicationId: data.id,
    });
    if (right.ok && right.state === "awaiting_assignment") return W("assign.left", { id: data.id });
    return right.ok ? null : refusalText(right);
  },
});

/**
 * R23, R30: the preset reasons first, or a reason written out; the service checks it. It rejects
 * or asks the same step again, never another step (`never`), so it serves any step list.
 */
async function rejectWith(
  ctx: AdminContext,
  data: { id: number },
  reason: string,
): Promise<StepOutcome<{ id: number }, never>> {
  const result = await reject(
    ctx.db,
    { adminId: ctx.identity.adminId, applicationId: data.id, reason },
    ctx.now,
  );
  if (!result.ok) {
    const rewrite = ["reason_required", "reason_too_short", "reason_household", "text_too_long"];
    if (rewrite.includes(result.reason)) return { invalid: refusalText(result) };
    return { done: [reply(refusalText(result))] };
  }
  return { done: [reply(C("rejected", { id: data.id }))] };
}

/** R23: the reason, a preset (R30) or written by this admin in this chat. */
const rejectReasonFlow = stepFlow<{ id: number }, { id: number }, "reason" | "written">({
  name: "rejectReason",
  requires: "admin",
  first: "reason",
  args: applicationArgs,
  fromArgs: (_ctx, args) => ({ id: args.id }),
  steps: {
    reason: {
      ask: (_ctx, data) =>
        reply(C("askRejectReason", { id: data.id }), [
          ...REJECT_PRESETS.map((p) => [stepButton(W(`rejectPreset.${p}`), p)]),
          [stepButton(W("rejectPreset.other"), "other")],
        ]),
      action: (ctx, data, value) => {
        if (value === "other") return { next: "written", data };
        const preset = REJECT_PRESETS.find((p) => p === value);
        if (!preset) return { invalid: text("chat:nav.useButtons") };
        // The reason is kept as the words the admin chose, in their language.
        return rejectWith(ctx, data, translate(ctx.locale)(W(`rejectPreset.${preset}`)));
      },
      text: (ctx, data, input) => rejectWith(ctx, data, input),
    },
    written: {
      ask: (_ctx, data) => ({
        ...reply(W("askWrittenReason", { id: data.id })),
        expectsReply: true,
      }),
      text: (ctx, data, input) => rejectWith(ctx, data, input),
    },
  },
  leave: async (ctx, data) => {
    const right = await decisionRight(ctx.db, {
      adminId: ctx.identity.adminId,
      applicationId: data.id,
    });
    return right.ok ? W("rejectLeft", { id: data.id }) : refusalText(right);
  },
});

const graduationDecision = (name: string, approveIt: boolean) =>
  defineAction(
    name,
    z.object({ id: z.number().int() }),
    { requires: "admin" },
    async (ctx, { id }) => {
      const result = await decideGraduationChange(
        ctx.db,
        { adminId: ctx.identity.adminId, requestId: id, approve: approveIt },
        ctx.now,
      );
      if (!result.ok) return refused(result);
      const message = C("gc.decided", { id, result: C(`gc.result.${result.state}`) });
      return answer(message, message);
    },
  );

/** R8: the leading organ's answer to a graduation-month change request. */
export const gcApproveAction = graduationDecision("gcApprove", true);
export const gcRejectAction = graduationDecision("gcReject", false);

/**
 * /pending: a page of what the admin's organization must decide (cards with their buttons),
 * the graduation-change requests it must approve (R8), dead letters, and for a leading organ
 * what waits below it (R29). Every page says where the others are.
 */
async function pendingReplies(ctx: DialogContext, page: number): Promise<GlobalActionResult> {
  if (ctx.identity.adminId === null) return answer(text("chat:errors.only.admin"));
  const queue = await pendingQueue(ctx.db, { adminId: ctx.identity.adminId }, ctx.now, ctx.season);
  if (!queue.ok) return refused(queue);
  const org = raw(queue.orgName);
  const orgId = queue.org.id;
  // Messages to this organization's chats that the platform never accepted (dead letters).
  const dead = await deadDeliveries(ctx.db, orgId);
  const deadLine = dead > 0 ? [reply(text("digest:deadLetters", { count: dead }))] : [];
  const changes = page === 0 ? await pendingGraduationChanges(ctx.db, orgId) : [];
  const changeCards: Reply[] = [];
  for (const c of changes) {
    const card = await graduationChangeCard(ctx.db, c.id, false);
    if (card) changeCards.push(card);
  }
  const region = page === 0 ? await regionSummaryReply(ctx) : null;
  // R14, R15: last season's leftovers past their 6-month point, under this organization.
  const leftovers =
    page === 0
      ? leftoverLines(
          await leftoversUnder(ctx.db, queue.org, ctx.now, ctx.season),
          ctx.season.timezone,
        )
      : [];
  const tail = [
    ...changeCards,
    ...deadLine,
    ...(region ? [region] : []),
    ...(leftovers.length > 0 ? [reply(leftovers)] : []),
  ];
  if (queue.items.length === 0) return { replies: [reply(C("pending.none", { org })), ...tail] };
  const pages = Math.ceil(queue.items.length / PENDING_PAGE);
  const p = Math.min(Math.max(0, page), pages - 1);
  const shown = queue.items.slice(p * PENDING_PAGE, (p + 1) * PENDING_PAGE);
  const paging: Button[] = [];
  if (p > 0) paging.push(pendingPageAction.button("chat:picker.previous", { page: p - 1 }));
  if (p < pages - 1) paging.push(pendingPageAction.button("chat:picker.next", { page: p + 1 }));
  return {
    replies: [
      reply(
        pages > 1
          ? W("pending.titlePage", { org, count: queue.items.length, page: p + 1, pages })
          : C("pending.title", { org, count: queue.items.length }),
        p === 0
          ? [batchButtons(queue.items.map((a) => a.stage))].filter((row) => row.length > 0)
          : [],
      ),
      ...shown.map((item) =>
        // A leading organ sees full ID numbers (R4), but never in a group chat.
        applicationCard(
          { ...item, idNumber: ctx.isGroup ? maskIdNumber(item.idNumber) : item.idNumber },
          item.decidingOrgId ?? orgId,
          ctx.season,
        ),
      ),
      ...(paging.length > 0
        ? [
            reply(
              W("pending.more", {
                shown: p * PENDING_PAGE + shown.length,
                count: queue.items.length,
              }),
              [paging],
            ),
          ]
        : []),
      ...tail,
    ],
  };
}

const pendingCommand: CommandHandler = (ctx) => pendingReplies(ctx, 0);

const pendingPageAction = defineAction(
  "pendingPage",
  z.object({ page: z.number() }),
  (ctx, { page }) => pendingReplies(ctx, Math.floor(page)),
);

/** The daily digest's button: pushed messages carry global actions only, so /pending is one. */
export const openPendingAction = defineAction("openPending", z.undefined(), (ctx) =>
  pendingReplies(ctx, 0),
);

const bindCommand: CommandHandler = async (ctx) => {
  if (ctx.identity.adminId === null) return answer(C("bind.adminOnly"));
  if (!ctx.isGroup) return answer(C("bind.groupOnly"));
  const result = await bindChat(
    ctx.db,
    { channel: ctx.channel, chatId: ctx.chatId, adminId: ctx.identity.adminId },
    ctx.now,
  );
  if (!result.ok) return answer(refusalText(result));
  const org = raw(result.orgName);
  return answer(
    result.previousOrgName
      ? C("bind.moved", { old: raw(result.previousOrgName), org })
      : C("bind.done", { org }),
  );
};

const unbindCommand: CommandHandler = async (ctx) => {
  if (ctx.identity.adminId === null) return answer(W("unbind.adminOnly"));
  const result = await unbindChat(ctx.db, {
    channel: ctx.channel,
    chatId: ctx.chatId,
    adminId: ctx.identity.adminId,
  });
  if (!result.ok) {
    return result.reason === "unbind_not_permitted"
      ? answer(W("unbind.notPermitted", { org: raw(result.orgName) }))
      : answer(refusalText(result));
  }
  return answer(
    result.orgName ? C("bind.unbound", { org: raw(result.orgName) }) : C("bind.notBound"),
  );
};

export function registerDecisionFlows(registry: DialogRegistry): DialogRegistry {
  return registry
    .flow(assignFlow)
    .flow(rejectReasonFlow)
    .action(approveAction)
    .action(rejectAction)
    .action(assignBranchAction)
    .action(detailsAction)
    .action(gcApproveAction)
    .action(gcRejectAction)
    .action(openPendingAction)
    .action(pendingPageAction)
    .action(regionAction)
    .command("pending", pendingCommand)
    .command("bind", bindCommand)
    .command("unbind", unbindCommand);
}
