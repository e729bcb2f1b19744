/**
 * R21: the initiator withdraws before the receiver's approval. An admin initiator's colleagues
 * (admins of the same organization) may withdraw it too.
 */
import { atomically, type Db, type Queryable } from "../../db/client.ts";
import { nextState } from "../../domain/lifecycle.ts";
import { loadAdmin } from "../orgStore.ts";
import { type Actor, type Refusal, refuse } from "../result.ts";
import { type Application, alreadyDecided, loadApplication, lostRace } from "./load.ts";
import { cardNotices, outcomeNotices } from "./notices.ts";
import { type Decided, transition } from "./transition.ts";

/** R21: the initiator, or a colleague of an initiating admin (same organization). */
async function mayWithdraw(
  tx: Queryable,
  actor: Actor,
  app: Pick<Application, "initiatorKind" | "initiatorMemberId" | "initiatorAdminId">,
): Promise<boolean> {
  if (actor.kind === "member") {
    return app.initiatorKind === "member" && app.initiatorMemberId === actor.memberId;
  }
  if (actor.kind !== "admin" || !app.initiatorAdminId) return false;
  const [me, initiator] = await Promise.all([
    loadAdmin(tx, actor.adminId),
    loadAdmin(tx, app.initiatorAdminId),
  ]);
  return !!me && !!initiator && me.org.id === initiator.org.id;
}

/** Whether this person may withdraw the application now (R21), for the buttons shown to them. */
export async function canWithdrawNow(
  db: Queryable,
  input: { actor: Actor; applicationId: number },
): Promise<boolean> {
  const app = await loadApplication(db, input.applicationId);
  if (!app || nextState(app.state, "withdraw") === null) return false;
  return mayWithdraw(db, input.actor, app);
}

export async function withdraw(
  db: Db,
  input: { actor: Actor; applicationId: number },
  now: Date,
): Promise<Decided | Refusal> {
  return atomically(db, async (tx) => {
    const app = await loadApplication(tx, input.applicationId);
    if (!app) return refuse({ reason: "unknown_application" });
    const { actor } = input;
    if (!(await mayWithdraw(tx, actor, app))) return refuse({ reason: "not_permitted" });
    const to = nextState(app.state, "withdraw");
    if (!to) return alreadyDecided(tx, app);
    // The member is told only when a colleague of the initiating admin withdrew for them.
    const notices = [
      ...cardNotices(app, to),
      ...(actor.kind === "admin" ? outcomeNotices(app, to).filter((n) => "member" in n.to) : []),
    ];
    const ok = await transition(tx, app, { action: "withdraw", to, actor, notices }, now);
    if (!ok) return lostRace(tx, app.id);
    return { ok: true, applicationId: app.id, state: to };
  });
}
