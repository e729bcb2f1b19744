/** R22: the receiving committee's admin puts the member into one of its branches. */
import type { Db } from "../../db/client.ts";
import { decide } from "../../domain/lifecycle.ts";
import { canDecideAtStage } from "../../domain/permissions.ts";
import { isWithin } from "../../domain/tree.ts";
import { loadOrg } from "../orgStore.ts";
import { type Refusal, refuse } from "../result.ts";
import { alreadyDecided, lostRace, withDecision } from "./load.ts";
import { closingNotices } from "./notices.ts";
import { type Decided, type DecisionOptions, transition } from "./transition.ts";

export async function assign(
  db: Db,
  input: { adminId: number; applicationId: number; branchId: number },
  now: Date,
  options: Pick<DecisionOptions, "deferCards"> = {},
): Promise<Decided | Refusal> {
  return withDecision(db, input, async (tx, { admin, app, deciding: receiver }) => {
    const step = decide(app.state, "assign");
    if (!step) return alreadyDecided(tx, app);
    if (!receiver || !canDecideAtStage(admin, app.state, receiver)) {
      return refuse({ reason: "not_permitted" });
    }
    const branch = await loadOrg(tx, input.branchId);
    if (!branch) return refuse({ reason: "unknown_org" });
    if (branch.kind !== "branch" || branch.category !== "normal") {
      return refuse({ reason: "not_a_branch" });
    }
    if (!isWithin(branch, receiver)) return refuse({ reason: "branch_not_in_receiver" });
    const ok = await transition(
      tx,
      app,
      {
        ...step,
        actor: { kind: "admin", adminId: admin.adminId },
        set: {
          assignedBranchId: branch.id,
          decidedByAdminId: admin.adminId,
          decidedAt: now,
        },
        moveTo: branch,
        notices: closingNotices(app, step.to),
      },
      now,
      options,
    );
    if (!ok) return lostRace(tx, app.id);
    return { ok: true, applicationId: app.id, state: step.to };
  });
}
