/**
 * Whether an admin may decide an application at the stage it waits at, asked before a dialog
 * collects more input (a reject reason, a branch). The services check again when acting.
 */

import { and, asc, eq } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { within } from "../db/queries/subtree.ts";
import { organizations } from "../db/schema.ts";
import { isOpen } from "../domain/lifecycle.ts";
import { canDecideAtStage } from "../domain/permissions.ts";
import { alreadyDecided, loadApplication, loadDecision } from "./decisions/index.ts";
import { type Refusal, refuse } from "./result.ts";

export async function decisionRight(
  db: Db,
  input: { adminId: number; applicationId: number },
): Promise<{ ok: true; state: string } | Refusal> {
  const decision = await loadDecision(db, input);
  if (!("admin" in decision)) {
    return decision.reason === "unknown_admin" ? refuse({ reason: "not_permitted" }) : decision;
  }
  const { admin, app, deciding } = decision;
  if (!deciding || !isOpen(app.state)) return alreadyDecided(db, app);
  return canDecideAtStage(admin, app.state, deciding)
    ? { ok: true, state: app.state }
    : refuse({ reason: "not_permitted" });
}

/** R26: how the application stands now and who made it so, for someone too late to act. */
export async function standing(db: Db, applicationId: number): Promise<Refusal> {
  const app = await loadApplication(db, applicationId);
  return app ? alreadyDecided(db, app) : refuse({ reason: "unknown_application" });
}

/** R22: the branches a receiving committee may assign the member to. */
export async function assignableBranches(
  db: Db,
  input: { adminId: number; applicationId: number },
): Promise<{ ok: true; branches: { id: number; name: string }[] } | Refusal> {
  const decision = await loadDecision(db, input);
  if (!("admin" in decision)) return decision;
  const { admin, app, deciding: receiver } = decision;
  if (app.state !== "awaiting_assignment") return alreadyDecided(db, app);
  if (!receiver || !canDecideAtStage(admin, app.state, receiver)) {
    return refuse({ reason: "not_permitted" });
  }
  const branches = await db
    .select({ id: organizations.id, name: organizations.name })
    .from(organizations)
    .where(
      and(
        within(organizations.path, receiver.path),
        eq(organizations.kind, "branch"),
        eq(organizations.category, "normal"),
      ),
    )
    .orderBy(asc(organizations.name));
  return { ok: true, branches };
}
