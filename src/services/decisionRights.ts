/**
 * Whether an admin may decide an application at the stage it waits at, asked before a dialog
 * collects more input (a reject reason, a branch). The services check again when acting.
 */
import { and, asc, eq, like } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { organizations } from "../db/schema.ts";
import { canAssign, canDecideAsApprover, canDecideAsReceiver } from "../domain/permissions.ts";
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
  switch (app.state) {
    case "pending":
      return canDecideAsReceiver(admin, deciding)
        ? { ok: true, state: app.state }
        : refuse({ reason: "not_permitted" });
    case "awaiting_leader":
    case "awaiting_province":
      return canDecideAsApprover(admin, deciding)
        ? { ok: true, state: app.state }
        : refuse({ reason: "not_permitted" });
    case "awaiting_assignment":
      return canAssign(admin, deciding)
        ? { ok: true, state: app.state }
        : refuse({ reason: "not_permitted" });
    default:
      return alreadyDecided(db, app);
  }
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
  if (!receiver || !canAssign(admin, receiver)) return [];
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
