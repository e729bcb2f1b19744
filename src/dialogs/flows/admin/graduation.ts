/**
 * R6: a branch's expected graduation month, or the reason it has none (teacher or mixed
 * branch). A graduate organization changes only through a request its direct superior's admin
 * files and a leading organ approves (R8); its progress is shown with the branch.
 */
import {
  GRADUATION_UNSET_REASONS,
  type GraduationUnsetReason,
} from "../../../domain/organization.ts";
import {
  graduationChangeProgress,
  markBranchGraduation,
  requestGraduationChange,
} from "../../../services/marks.ts";
import type { AdminContext } from "../../defineAction.ts";
import { refusalText } from "../../refusals.ts";
import { raw, reply, stepButton, text } from "../../replies.ts";
import { type StepOutcome, stepFlow } from "../../steps.ts";
import type { DialogContext, Json, Text } from "../../types.ts";
import { A, adminIdOf, ended, monthAnswer, reasonAnswer } from "./common.ts";
import { type BranchPickStep, type PickData, pickSteps } from "./pick.ts";

type GraduationData = PickData & { month?: string; unsetReason?: GraduationUnsetReason };
type GraduationStep = BranchPickStep | "mark" | "changeMonth" | "changeReason";

/** R8: the change requests of a branch, newest first, with their approval progress. */
async function progressLines(ctx: DialogContext, branchId: number): Promise<Text[]> {
  const requests = await graduationChangeProgress(ctx.db, branchId);
  if (requests.length === 0) return [];
  return [
    A("graduation.requestsTitle"),
    ...requests.map((r) =>
      A("graduation.request", {
        id: r.id,
        from: raw(r.oldMonth ?? "—"),
        to: raw(r.newMonth),
        state: A(`graduation.requestState.${r.state}`),
        reason: raw(r.reason),
      }),
    ),
  ];
}

async function mark(
  ctx: AdminContext,
  data: GraduationData,
): Promise<StepOutcome<GraduationData, GraduationStep>> {
  const result = await markBranchGraduation(
    ctx.db,
    {
      adminId: adminIdOf(ctx),
      branchId: data.branchId ?? 0,
      month: data.month ?? null,
      unsetReason: data.unsetReason ?? null,
    },
    ctx.now,
    ctx.season,
  );
  if (result.ok) {
    const what = data.month
      ? A("graduation.month", { month: raw(data.month) })
      : A(`graduation.unset.${data.unsetReason}`);
    return ended(A("graduation.marked", { branch: raw(data.branchName ?? ""), what }));
  }
  if (result.reason === "use_change_request") {
    return { next: data.month ? "changeReason" : "changeMonth", data };
  }
  return ended(refusalText(result));
}

/** The R8 questions open with why they are asked and what was asked before. */
async function changeIntro(ctx: DialogContext, data: GraduationData): Promise<Text[]> {
  return [
    A("graduation.changeIntro", { branch: raw(data.branchName ?? "") }),
    ...(await progressLines(ctx, data.branchId ?? 0)),
  ];
}

export const graduationFlow = stepFlow<GraduationData, Json, GraduationStep>({
  name: "graduation",
  requires: "admin",
  first: "branchQuery",
  initial: () => ({}),
  steps: {
    ...pickSteps<GraduationData, GraduationStep>({
      afterBranch: (_ctx, data) => ({ next: "mark", data }),
    }),
    mark: {
      ask: async (ctx, data) =>
        reply(
          [
            A("graduation.ask", { branch: raw(data.branchName ?? "") }),
            ...(await progressLines(ctx, data.branchId ?? 0)),
          ],
          [GRADUATION_UNSET_REASONS.map((r) => stepButton(A(`graduation.unset.${r}`), r))],
        ),
      text: (ctx, data, input) =>
        monthAnswer(ctx, input, (month) => {
          const { unsetReason: _, ...rest } = data;
          return mark(ctx, { ...rest, month });
        }),
      action: (ctx, data, value) => {
        const unsetReason = GRADUATION_UNSET_REASONS.find((r) => r === value);
        if (!unsetReason) return { invalid: text("chat:nav.useButtons") };
        const { month: _, ...rest } = data;
        return mark(ctx, { ...rest, unsetReason });
      },
    },
    changeMonth: {
      ask: async (ctx, data) =>
        reply([...(await changeIntro(ctx, data)), A("graduation.askChangeMonth")]),
      text: (ctx, data, input) =>
        monthAnswer(ctx, input, (month) => ({ next: "changeReason", data: { ...data, month } })),
    },
    changeReason: {
      ask: async (ctx, data) =>
        reply([
          ...(await changeIntro(ctx, data)),
          A("graduation.askChangeReason", { month: raw(data.month ?? "") }),
        ]),
      text: (ctx, data, input) =>
        reasonAnswer(input, async (reason) => {
          const result = await requestGraduationChange(
            ctx.db,
            {
              adminId: adminIdOf(ctx),
              branchId: data.branchId ?? 0,
              newMonth: data.month ?? "",
              reason,
            },
            ctx.now,
            ctx.season,
          );
          if (!result.ok) return ended(refusalText(result));
          return ended([
            A("graduation.requested", { id: result.requestId, month: raw(data.month ?? "") }),
            ...(await progressLines(ctx, data.branchId ?? 0)),
          ]);
        }),
    },
  },
});
