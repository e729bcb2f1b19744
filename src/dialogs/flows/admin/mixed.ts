/**
 * Mixed branches (R6): in a branch marked "mixed", an admin marks a member, or the whole
 * branch, as graduating in a month, or as not graduating this season.
 */

import { isMixedBranch, markMixedGraduates } from "../../../services/mixedGraduates.ts";
import { loadOrg } from "../../../services/orgStore.ts";
import type { AdminContext } from "../../defineAction.ts";
import { refusalText } from "../../refusals.ts";
import { raw, reply, stepButton, text } from "../../replies.ts";
import { stepFlow } from "../../steps.ts";
import type { Json, Text } from "../../types.ts";
import { A, adminIdOf, ended, monthAnswer, subjectText } from "./common.ts";
import { type PickData, type PickStep, pickSteps } from "./pick.ts";

const S = (key: string, params?: Text["params"]) => text(`seasons:${key}`, params);

type MixedData = PickData;

const targetText = (data: MixedData): Text =>
  data.subject
    ? subjectText(data.subject)
    : A("identity.wholeBranch", { branch: raw(data.branchName ?? "") });

export const mixedFlow = stepFlow<MixedData, Json, PickStep | "month">({
  name: "mixed",
  requires: "admin",
  first: "branchQuery",
  initial: () => ({}),
  steps: {
    ...pickSteps<MixedData, "month">({
      members: {
        wholeBranch: true,
        after: async (ctx, data) => {
          const branch = await loadOrg(ctx.db, data.branchId);
          if (!branch || !isMixedBranch(branch)) {
            return ended(S("mixed.notMixed", { branch: raw(data.branchName ?? "") }));
          }
          return { next: "month", data };
        },
      },
    }),
    month: {
      ask: (_ctx, data) =>
        reply(S("mixed.askMonth", { target: targetText(data) }), [
          [stepButton(S("mixed.notGraduating"), "none")],
        ]),
      text: (ctx, data, input) => monthAnswer(ctx, input, (month) => finish(ctx, data, month)),
      action: (ctx, data, value) =>
        value === "none" ? finish(ctx, data, null) : { invalid: text("chat:nav.useButtons") },
    },
  },
});

async function finish(ctx: AdminContext, data: MixedData, month: string | null) {
  const result = await markMixedGraduates(
    ctx.db,
    {
      adminId: adminIdOf(ctx),
      branchId: data.branchId ?? 0,
      ...(data.subject ? { memberIds: [data.subject.id] } : {}),
      month,
    },
    ctx.now,
    ctx.season,
  );
  if (!result.ok) return ended(refusalText(result));
  return ended(
    month
      ? S("mixed.marked", { target: targetText(data), month, count: result.marked })
      : S("mixed.unmarked", { target: targetText(data), count: result.marked }),
  );
}
