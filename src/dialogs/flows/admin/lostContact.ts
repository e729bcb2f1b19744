/**
 * 失联 (issue 21): an admin of a member's organization marks a member they cannot reach as lost
 * contact, with a reason, or clears the mark. It shows in the leftovers lists and changes no
 * count (they are still not transferred).
 */

import { markLostContact } from "../../../services/leftovers.ts";
import type { AdminContext } from "../../defineAction.ts";
import { refusalText } from "../../refusals.ts";
import { reply, stepButton, text } from "../../replies.ts";
import { stepFlow } from "../../steps.ts";
import type { Json, Text } from "../../types.ts";
import { adminIdOf, ended, reasonAnswer, subjectText } from "./common.ts";
import { type PickData, type PickStep, pickSteps } from "./pick.ts";

const S = (key: string, params?: Text["params"]) => text(`seasons:${key}`, params);

async function finish(ctx: AdminContext, data: PickData, reason: string | null) {
  const result = await markLostContact(
    ctx.db,
    { adminId: adminIdOf(ctx), memberId: data.subject?.id ?? 0, reason },
    ctx.now,
  );
  if (!result.ok) return ended(refusalText(result));
  const target = data.subject ? subjectText(data.subject) : "";
  return ended(S(reason ? "lost.marked" : "lost.cleared", { target }));
}

export const lostContactFlow = stepFlow<PickData, Json, PickStep | "reason">({
  name: "lost",
  requires: "admin",
  first: "branchQuery",
  initial: () => ({}),
  steps: {
    ...pickSteps<PickData, "reason">({
      members: { after: (_ctx, data) => ({ next: "reason", data }) },
    }),
    reason: {
      ask: (_ctx, data) =>
        reply(S("lost.askReason", { target: data.subject ? subjectText(data.subject) : "" }), [
          [stepButton(S("lost.clear"), "clear")],
        ]),
      text: (ctx, data, input) => reasonAnswer(input, (reason) => finish(ctx, data, reason)),
      action: (ctx, data, value) =>
        value === "clear" ? finish(ctx, data, null) : { invalid: text("chat:nav.useButtons") },
    },
  },
});
