/**
 * R23: rejecting needs a written reason (R30: never the member's household registration); the
 * application returns to the initiator.
 */
import type { Db } from "../../db/client.ts";
import { decide } from "../../domain/lifecycle.ts";
import { canDecideAtStage } from "../../domain/permissions.ts";
import { rejectReasonProblem } from "../../domain/rejection.ts";
import { MAX_NOTE, type Refusal, refuse } from "../result.ts";
import { alreadyDecided, lostRace, withDecision } from "./load.ts";
import { closingNotices } from "./notices.ts";
import { type Decided, transition } from "./transition.ts";

export async function reject(
  db: Db,
  input: { adminId: number; applicationId: number; reason: string },
  now: Date,
): Promise<Decided | Refusal> {
  const reason = input.reason.trim();
  const problem = rejectReasonProblem(reason);
  if (problem) return refuse({ reason: problem });
  if (reason.length > MAX_NOTE) return refuse({ reason: "text_too_long", max: MAX_NOTE });
  return withDecision(db, input, async (tx, { admin, app, deciding }) => {
    const step = decide(app.state, "reject");
    if (!step) return alreadyDecided(tx, app);
    if (!deciding) return refuse({ reason: "unknown_org" });
    if (!canDecideAtStage(admin, app.state, deciding)) return refuse({ reason: "not_permitted" });
    const ok = await transition(
      tx,
      app,
      {
        ...step,
        actor: { kind: "admin", adminId: admin.adminId },
        note: reason,
        set: {
          rejectReason: reason,
          decidedByAdminId: admin.adminId,
          decidedAt: now,
        },
        notices: closingNotices(app, step.to),
      },
      now,
    );
    if (!ok) return lostRace(tx, app.id);
    return { ok: true, applicationId: app.id, state: step.to };
  });
}
