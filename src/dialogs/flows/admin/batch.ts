/**
 * Issue 20.1: `/batch` — approve many at one stage, approve only. The admin narrows what they
 * may approve by reason, out-organization and age, previews the list with its counts, and
 * confirms; where their committee receives, one branch for all or none (they then wait for
 * Assign). The run happens outside this turn (each approval its own transaction) and ends with
 * one summary message. A leading organ switches it off and on for its region (`/batch off`).
 */

import { z } from "zod";
import { TRANSFER_REASONS } from "../../../domain/application.ts";
import {
  BATCH_STAGES,
  type BatchFilter,
  type BatchStage,
  batchBranches,
  batchCandidates,
  filterCandidates,
  MAX_BATCH,
  queueBatch,
  setBatchApproval,
} from "../../../services/batchApprovals.ts";
import type { ApplicationView } from "../../../services/queues.ts";
import { type AdminContext, defineAction, isAdminContext } from "../../defineAction.ts";
import { pickerButtons, readPicker } from "../../picker.ts";
import { refusalText } from "../../refusals.ts";
import { raw, reply, stepButton, text } from "../../replies.ts";
import { type StepOutcome, stepFlow } from "../../steps.ts";
import type {
  Button,
  CommandHandler,
  DialogContext,
  GlobalActionResult,
  Text,
} from "../../types.ts";
import { adminIdOf, ended } from "./common.ts";

const B = (key: string, params?: Text["params"]) => text(`batch:${key}`, params);
const T = (key: string, params?: Text["params"]) => text(`transfer:${key}`, params);

/** Ages offered as filters, in days waited at the stage. */
const AGES = [3, 7, 10] as const;
/** Lines of the preview; the counts cover the rest. */
const PREVIEW_LINES = 15;
/** Out-organizations named in the preview's counts. */
const PREVIEW_ORGS = 5;

type BatchData = {
  stage: BatchStage;
  reason: string | null;
  fromOrgId: number | null;
  minDays: number | null;
  page: number;
  /** The previewed applications: exactly these are approved. */
  ids: number[];
};

const filterOf = (data: BatchData): BatchFilter => ({
  stage: data.stage,
  reason: data.reason as BatchFilter["reason"],
  fromOrgId: data.fromOrgId,
  minDays: data.minDays,
});

async function candidates(ctx: AdminContext) {
  return batchCandidates(ctx.db, { adminId: adminIdOf(ctx) }, ctx.now, ctx.season);
}

/** The applications of the data's stage and filter, with the stages that have any. */
async function selection(ctx: AdminContext, data: BatchData) {
  const found = await candidates(ctx);
  if (!found.ok) return found;
  const stageItems = found.byStage[data.stage] ?? [];
  return {
    ok: true as const,
    orgName: found.orgName,
    stages: BATCH_STAGES.filter((s) => (found.byStage[s]?.length ?? 0) > 0),
    byStage: found.byStage,
    stageItems,
    items: filterCandidates(stageItems, filterOf(data)),
  };
}

/** Counts of `items` by a key, largest first. */
function countBy<K>(items: ApplicationView[], key: (a: ApplicationView) => K) {
  const counts = new Map<K, { count: number; sample: ApplicationView }>();
  for (const a of items) {
    const k = key(a);
    const entry = counts.get(k) ?? { count: 0, sample: a };
    entry.count++;
    counts.set(k, entry);
  }
  return [...counts.entries()].sort((x, y) => y[1].count - x[1].count);
}

/** Whether approving `a` makes the admin's committee the one that assigns (R22). */
const needsBranch = (a: ApplicationView) =>
  a.stage === "receiver" && !a.receiverIsBranch && !a.external;

const filterLines = (data: BatchData, orgName: string | null): Text[] => [
  B("stage", { stage: B(`stages.${data.stage}`) }),
  B("reason", { reason: data.reason ? T(`reason.${data.reason}`) : B("all") }),
  B("from", { org: orgName ? raw(orgName) : B("all") }),
  B("age", {
    age: data.minDays ? B("ageAtLeast", { days: data.minDays }) : B("all"),
  }),
];

function queued(ctx: AdminContext, data: BatchData, branchId: number | null) {
  return async (): Promise<StepOutcome<BatchData>> => {
    const result = await queueBatch(ctx.db, {
      adminId: adminIdOf(ctx),
      channel: ctx.channel,
      chatId: ctx.chatId,
      applicationIds: data.ids,
      branchId,
    });
    if (!result.ok) return ended(refusalText(result));
    return { done: [reply(B("queued", { count: result.count }))] };
  };
}

export const batchFlow = stepFlow<BatchData, { stage?: BatchStage }>({
  name: "batch",
  requires: "admin",
  first: "filter",
  initial: async (ctx, args) => {
    const found = await candidates(ctx);
    const first = found.ok ? BATCH_STAGES.find((s) => (found.byStage[s]?.length ?? 0) > 0) : null;
    return {
      stage: args?.stage ?? first ?? "receiver",
      reason: null,
      fromOrgId: null,
      minDays: null,
      page: 0,
      ids: [],
    };
  },
  steps: {
    filter: {
      ask: async (ctx, data) => {
        const s = await selection(ctx, data);
        if (!s.ok) return reply(refusalText(s));
        const from = s.stageItems.find((a) => a.fromOrgId === data.fromOrgId)?.fromOrgName ?? null;
        const rows: Button[][] = [
          [
            stepButton(B("pickReason"), "reason"),
            stepButton(B("pickFrom"), "from"),
            stepButton(B("pickAge"), "age"),
          ],
        ];
        if (s.stages.length > 1) rows.push([stepButton(B("pickStage"), "stage")]);
        if (s.items.length > 0) {
          rows.push([stepButton(B("preview", { count: s.items.length }), "preview")]);
        }
        return reply(
          [
            B("title", { org: raw(s.orgName) }),
            ...filterLines(data, from),
            s.items.length > 0 ? B("count", { count: s.items.length }) : B("noneMatch"),
          ],
          rows,
        );
      },
      action: async (ctx, data, value) => {
        if (value === "reason" || value === "from" || value === "age" || value === "stage") {
          return { next: value, data: { ...data, page: 0 } };
        }
        if (value !== "preview") return { invalid: text("chat:nav.useButtons") };
        const s = await selection(ctx, data);
        if (!s.ok) return ended(refusalText(s));
        if (s.items.length === 0) return { invalid: B("noneMatch") };
        // At most a run's worth, the oldest first; the rest wait for the next batch.
        const ids = s.items.slice(0, MAX_BATCH).map((a) => a.id);
        return { next: "preview", data: { ...data, ids } };
      },
    },
    stage: {
      ask: async (ctx, data) => {
        const s = await selection(ctx, data);
        if (!s.ok) return reply(refusalText(s));
        return reply(
          B("askStage"),
          s.stages.map((stage) => [
            stepButton(
              B("stageCount", {
                stage: B(`stages.${stage}`),
                count: s.byStage[stage]!.length,
              }),
              stage,
            ),
          ]),
        );
      },
      action: (_ctx, data, value) => {
        const stage = BATCH_STAGES.find((s) => s === value);
        if (!stage) return { invalid: text("chat:nav.useButtons") };
        return {
          next: "filter",
          data: {
            ...data,
            stage,
            reason: null,
            fromOrgId: null,
            minDays: null,
          },
        };
      },
    },
    reason: {
      ask: async (ctx, data) => {
        const s = await selection(ctx, { ...data, reason: null });
        if (!s.ok) return reply(refusalText(s));
        const items = filterCandidates(s.stageItems, {
          ...filterOf(data),
          reason: null,
        });
        return reply(B("askReason"), [
          [stepButton(B("allCount", { count: items.length }), "all")],
          ...countBy(items, (a) => a.reason).map(([reason, { count }]) => [
            stepButton(B("optionCount", { option: T(`reason.${reason}`), count }), reason),
          ]),
        ]);
      },
      action: (_ctx, data, value) => {
        if (value === "all") return { next: "filter", data: { ...data, reason: null } };
        const reason = TRANSFER_REASONS.find((r) => r === value);
        if (!reason) return { invalid: text("chat:nav.useButtons") };
        return { next: "filter", data: { ...data, reason } };
      },
    },
    from: {
      ask: async (ctx, data) => {
        const s = await selection(ctx, data);
        if (!s.ok) return reply(refusalText(s));
        const items = filterCandidates(s.stageItems, {
          ...filterOf(data),
          fromOrgId: null,
        });
        const options = countBy(items, (a) => a.fromOrgId).map(([id, { count, sample }]) => ({
          label: B("optionCount", { option: raw(sample.fromOrgName), count }),
          value: id,
        }));
        return reply(B("askFrom"), [
          [stepButton(B("allCount", { count: items.length }), { pick: null })],
          ...pickerButtons(options, data.page),
        ]);
      },
      action: (_ctx, data, value) => {
        const picked = readPicker(value);
        if (!picked) return { invalid: text("chat:nav.useButtons") };
        if ("page" in picked) return { stay: { ...data, page: picked.page } };
        const fromOrgId = typeof picked.pick === "number" ? picked.pick : null;
        return { next: "filter", data: { ...data, fromOrgId, page: 0 } };
      },
    },
    age: {
      ask: () =>
        reply(B("askAge"), [
          [stepButton(B("all"), 0)],
          AGES.map((days) => stepButton(B("ageAtLeast", { days }), days)),
        ]),
      action: (_ctx, data, value) => {
        const days = typeof value === "number" ? value : Number.NaN;
        if (days !== 0 && !(AGES as readonly number[]).includes(days)) {
          return { invalid: text("chat:nav.useButtons") };
        }
        return { next: "filter", data: { ...data, minDays: days || null } };
      },
    },
    preview: {
      ask: async (ctx, data) => {
        const s = await selection(ctx, data);
        if (!s.ok) return reply(refusalText(s));
        const chosen = new Set(data.ids);
        const items = s.stageItems.filter((a) => chosen.has(a.id));
        if (items.length === 0) return reply(B("noneLeft"));
        const byReason = countBy(items, (a) => a.reason).map(([reason, { count }]) =>
          B("optionCount", { option: T(`reason.${reason}`), count }),
        );
        const byOrg = countBy(items, (a) => a.fromOrgId);
        const orgs = byOrg
          .slice(0, PREVIEW_ORGS)
          .map(([, { count, sample }]) =>
            B("optionCount", { option: raw(sample.fromOrgName), count }),
          );
        const otherOrgs = byOrg.slice(PREVIEW_ORGS).reduce((n, [, { count }]) => n + count, 0);
        const lines: Text[] = [
          B("previewTitle", {
            count: items.length,
            stage: B(`stages.${data.stage}`),
          }),
          B("byReason"),
          ...byReason,
          B("byFrom"),
          ...orgs,
          ...(otherOrgs > 0 ? [B("otherOrgs", { count: otherOrgs })] : []),
          B("listTitle"),
          ...items.slice(0, PREVIEW_LINES).map((a) =>
            B("line", {
              id: a.id,
              name: raw(a.memberName),
              reason: T(`reason.${a.reason}`),
              org: raw(a.fromOrgName),
              days: a.daysWaiting,
            }),
          ),
          ...(items.length > PREVIEW_LINES
            ? [B("moreLines", { count: items.length - PREVIEW_LINES })]
            : []),
          ...(items.length < data.ids.length
            ? [B("goneSince", { count: data.ids.length - items.length })]
            : []),
          B("onlyApprove"),
        ];
        return reply(lines, [[stepButton(B("confirm", { count: items.length }), "confirm")]]);
      },
      action: async (ctx, data, value) => {
        if (value !== "confirm") return { invalid: text("chat:nav.useButtons") };
        const s = await selection(ctx, data);
        if (!s.ok) return ended(refusalText(s));
        const chosen = new Set(data.ids);
        const items = s.stageItems.filter((a) => chosen.has(a.id));
        if (items.length === 0) return ended(B("noneLeft"));
        const next = { ...data, ids: items.map((a) => a.id), page: 0 };
        if (items.some(needsBranch)) return { next: "branch", data: next };
        return queued(ctx, next, null)();
      },
    },
    branch: {
      ask: async (ctx, data) => {
        const branches = await batchBranches(ctx.db, adminIdOf(ctx));
        return reply(B("askBranch"), [
          [stepButton(B("leaveUnassigned"), { pick: null })],
          ...pickerButtons(
            branches.map((b) => ({ label: b.name, value: b.id })),
            data.page,
          ),
        ]);
      },
      action: async (ctx, data, value) => {
        const picked = readPicker(value);
        if (!picked) return { invalid: text("chat:nav.useButtons") };
        if ("page" in picked) return { stay: { ...data, page: picked.page } };
        if (picked.pick === null) return queued(ctx, data, null)();
        const branches = await batchBranches(ctx.db, adminIdOf(ctx));
        const branch = branches.find((b) => b.id === picked.pick);
        if (!branch) return { invalid: text("chat:nav.useButtons") };
        return queued(ctx, data, branch.id)();
      },
    },
  },
});

/** Opens the batch, or says why not (switched off above, nothing to approve). */
async function openBatch(ctx: DialogContext): Promise<GlobalActionResult> {
  if (!isAdminContext(ctx)) return { replies: [reply(text("chat:errors.only.admin"))] };
  const found = await candidates(ctx);
  if (!found.ok) return { replies: [reply(refusalText(found))] };
  if (!BATCH_STAGES.some((s) => (found.byStage[s]?.length ?? 0) > 0)) {
    return { replies: [reply(B("nothing", { org: raw(found.orgName) }))] };
  }
  return { replies: [], begin: { flow: "batch" } };
}

/** `/batch`, or `/batch off` / `/batch on` from a leading organ for its region. */
export const batchCommand: CommandHandler = async (ctx, arg) => {
  const word = arg.trim().toLowerCase();
  if (word !== "on" && word !== "off") return openBatch(ctx);
  if (ctx.identity.adminId === null) return { replies: [reply(text("chat:errors.only.admin"))] };
  const result = await setBatchApproval(ctx.db, {
    adminId: ctx.identity.adminId,
    on: word === "on",
  });
  if (!result.ok) return { replies: [reply(B("switchLeadingOnly"))] };
  return {
    replies: [
      reply(
        B(word === "on" ? "switchedOn" : "switchedOff", {
          org: raw(result.orgName),
        }),
      ),
    ],
  };
};

/** The button on /pending and the digest. */
export const openBatchAction = defineAction("openBatch", z.undefined(), (ctx) => openBatch(ctx));
