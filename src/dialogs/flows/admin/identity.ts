/**
 * R9, R10: mark a member, or a whole branch, as teacher (confirm only) or delayed graduate
 * (a reason, then a month strictly later than the branch's: the service checks it), or revoke
 * a member's mark.
 */

import { type IdentityMark, markIdentity, revokeIdentity } from "../../../services/marks.ts";
import type { AdminContext } from "../../defineAction.ts";
import { refusalText } from "../../refusals.ts";
import { raw, reply, stepButton, text } from "../../replies.ts";
import { type StepOutcome, stepFlow } from "../../steps.ts";
import type { Json, Text } from "../../types.ts";
import { A, adminIdOf, ended, monthAnswer, reasonAnswer, subjectText } from "./common.ts";
import { type PickData, type PickStep, pickSteps } from "./pick.ts";

type Kind = "teacher" | "delayed" | "revoke";

type IdentityData = PickData & { kind?: Kind; reason?: string };

const targetText = (data: IdentityData): Text =>
  data.subject
    ? subjectText(data.subject)
    : A("identity.wholeBranch", { branch: raw(data.branchName ?? "") });

/** Revoking is for one marked person; marking for a graduate or a whole branch. */
function kindsFor(data: IdentityData): Kind[] {
  if (data.wholeBranch) return ["teacher", "delayed"];
  const person = (data.people ?? []).find((p) => p.id === data.subject?.id);
  return person?.identity === "graduate" ? ["teacher", "delayed"] : ["revoke"];
}

async function apply(ctx: AdminContext, data: IdentityData, mark: IdentityMark | null) {
  const adminId = adminIdOf(ctx);
  const memberIds = data.subject ? [data.subject.id] : [];
  if (mark === null) return revokeIdentity(ctx.db, { adminId, memberIds }, ctx.now);
  const target = data.wholeBranch ? { branchId: data.branchId ?? 0 } : { memberIds };
  return markIdentity(ctx.db, { adminId, mark, ...target }, ctx.now, ctx.season);
}

async function finish(
  ctx: AdminContext,
  data: IdentityData,
  mark: IdentityMark | null,
): Promise<StepOutcome<IdentityData, never>> {
  const result = await apply(ctx, data, mark);
  if (!result.ok) {
    if (
      result.reason === "invalid_month" ||
      result.reason === "month_before_season" ||
      result.reason === "delayed_date_not_later"
    ) {
      return { invalid: refusalText(result) };
    }
    return ended(refusalText(result));
  }
  const count = "marked" in result ? result.marked : result.revoked;
  return ended(A(`identity.done.${data.kind}`, { target: targetText(data), count }));
}

type IdentityStep = PickStep | "kind" | "confirm" | "delayedReason" | "delayedMonth";

export const identityFlow = stepFlow<IdentityData, Json, IdentityStep>({
  name: "identity",
  requires: "admin",
  first: "branchQuery",
  initial: () => ({}),
  steps: {
    ...pickSteps<IdentityData, IdentityStep>({
      members: {
        graduatingToo: true,
        wholeBranch: true,
        after: (_ctx, data) => ({ next: "kind", data }),
      },
    }),
    kind: {
      ask: (_ctx, data) =>
        reply(
          A("identity.askKind", { target: targetText(data) }),
          kindsFor(data).map((k) => [stepButton(A(`identity.choose.${k}`), k)]),
        ),
      action: (_ctx, data, value) => {
        const kind = kindsFor(data).find((k) => k === value);
        if (!kind) return { invalid: text("chat:nav.useButtons") };
        const next = ({ teacher: "confirm", revoke: "confirm", delayed: "delayedReason" } as const)[
          kind
        ];
        return { next, data: { ...data, kind } };
      },
    },
    confirm: {
      ask: (_ctx, data) =>
        reply(A(`identity.confirm.${data.kind}`, { target: targetText(data) }), [
          [stepButton(A("identity.yes"), "confirm")],
        ]),
      action: (ctx, data, value) => {
        if (value !== "confirm") return { invalid: text("chat:nav.useButtons") };
        return finish(ctx, data, data.kind === "teacher" ? { kind: "teacher" } : null);
      },
    },
    delayedReason: {
      ask: (_ctx, data) => reply(A("identity.askReason", { target: targetText(data) })),
      text: (_ctx, data, input) =>
        reasonAnswer(input, (reason) => ({ next: "delayedMonth", data: { ...data, reason } })),
    },
    delayedMonth: {
      ask: () => reply(A("identity.askMonth")),
      text: (ctx, data, input) =>
        monthAnswer(ctx, input, (month) =>
          finish(ctx, data, { kind: "delayed", month, reason: data.reason ?? "" }),
        ),
    },
  },
});
