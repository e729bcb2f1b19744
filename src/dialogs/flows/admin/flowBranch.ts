/**
 * R1: an admin of a school committee with an institution code, or of a county committee,
 * creates a flow branch under their organization; its name must contain "流动团员".
 */
import naming from "../../../domain/naming.json" with { type: "json" };
import { canCreateFlowBranch, createFlowBranch } from "../../../services/organizations.ts";
import { isAdminContext } from "../../defineAction.ts";
import { refusalText } from "../../refusals.ts";
import { menuButtonRow, raw, reply } from "../../replies.ts";
import { adminOnly, stepFlow } from "../../steps.ts";
import type { Json } from "../../types.ts";
import { textAnswer } from "../transfer.ts";
import { A, adminIdOf, ended } from "./common.ts";

/** The longest name taken: the official names of branches are far shorter. */
const MAX_NAME = 50;

const steps = stepFlow<Record<string, never>, Json, "name">({
  name: "flowBranch",
  requires: "admin",
  first: "name",
  initial: () => ({}),
  steps: {
    name: {
      ask: () => reply(A("flowBranch.askName", { keyword: raw(naming.flowBranchKeyword) })),
      text: (ctx, _data, input) =>
        textAnswer(
          input,
          async (name) => {
            const created = await createFlowBranch(ctx.db, { adminId: adminIdOf(ctx), name });
            if (created.ok) return ended(A("flowBranch.created", { name: raw(name) }));
            // A name without the keyword is asked again; anything else ends the flow.
            if (created.reason === "flow_branch_name") return { invalid: refusalText(created) };
            return ended(refusalText(created, ctx.season.timezone));
          },
          MAX_NAME,
        ),
    },
  },
});

/** Refused before the question for an admin whose organization may not create one. */
export const flowBranchFlow: typeof steps = {
  ...steps,
  async start(ctx, args) {
    if (!isAdminContext(ctx)) return adminOnly();
    if (await canCreateFlowBranch(ctx.db, { adminId: adminIdOf(ctx) }))
      return steps.start(ctx, args);
    return {
      state: null,
      replies: [
        reply(refusalText({ ok: false, reason: "flow_branch_creator" }), [menuButtonRow()]),
      ],
    };
  },
};
