/**
 * Whether an admin may decide an application at the stage it waits at, asked before a dialog
 * collects more input (a reject reason, a branch). The services check again when acting.
 */
import { and, asc, eq, like } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { organizations } from "../db/schema.ts";
import { isOpen } from "../domain/lifecycle.ts";
import { canDecideAtStage } from "../domain/permissions.ts";
import { alreadyDecided, loadApplication } from "./decisions.ts";
import { loadAdmin, loadOrg } from "./orgStore.ts";
import { type Refusal, refuse } from "./result.ts";

export async function decisionRight(
  db: Db,
  input: { adminId: number; applicationId: number },
): Promise<{ ok: true; state: string } | Refusal> {
  const admin = await loadAdmin(db, input.adminId);
  if (!admin) return refuse({ reason: "not_permitted" });
  const app = await loadApplication(db, input.applicationId);
  if (!app) return refuse({ reason: "unknown_application" });
  const deciding = await loadOrg(db, app.decidingOrgId);
  if (!deciding) return alreadyDecided(db, app);
  if (!isOpen(app.state)) return alreadyDecided(db, app);
  return canDecideAtStage(admin, app.state, deciding)
    ? { ok: true, state: app.state }
    : refuse({ reason: "not_permitted" });
}

/** R22: the branches a receiving committee may assign the member to. */
export async function assignableBranches(
  db: Db,
  input: { adminId: number; applicationId: number },
) {
  const admin = await loadAdmin(db, input.adminId);
  const app = await loadApplication(db, input.applicationId);
  if (!admin || !app || app.state !== "awaiting_assignment") return [];
  const receiver = await loadOrg(db, app.decidingOrgId);
  if (!receiver || !canDecideAtStage(admin, app.state, receiver)) return [];
  return db
    .select({ id: organizations.id, name: organizations.name })
    .from(organizations)
    .where(
      and(
        like(organizations.path, `${receiver.path}%`),
        eq(organizations.kind, "branch"),
        eq(organizations.category, "normal"),
      ),
    )
    .orderBy(asc(organizations.name));
}
