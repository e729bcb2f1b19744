/**
 * What a decision reads before it acts: the application with the organization whose decision it
 * awaits, the deciding admin, and, for one who came too late (R26), how it stands now.
 */
import { desc, eq, sql } from "drizzle-orm";
import { atomically, type Db, type Queryable, query, type Tx } from "../../db/client.ts";
import { orgNodeJson } from "../../db/queries/organizations.ts";
import { admins, applicationHistory, applications, members } from "../../db/schema.ts";
import type { AdminActor } from "../../domain/permissions.ts";
import type { OrgNode } from "../../domain/tree.ts";
import { loadAdmin } from "../orgStore.ts";
import { type Refusal, refuse } from "../result.ts";

export type Application = typeof applications.$inferSelect;

export async function loadApplication(tx: Queryable, id: number): Promise<Application | undefined> {
  if (!Number.isInteger(id)) return undefined;
  const [app] = await tx.select().from(applications).where(eq(applications.id, id));
  return app;
}

/** What deciding on an application needs to know of it. */
export type DecisionApp = Pick<
  Application,
  | "id"
  | "memberId"
  | "state"
  | "initiatorKind"
  | "initiatorMemberId"
  | "initiatorAdminId"
  | "external"
  | "toOrgId"
  | "decidingOrgId"
>;

const DECIDING_ORG = orgNodeJson("o");

/** The application with the organization whose decision it awaits (none once closed). */
async function loadWithDeciding(
  tx: Queryable,
  id: number,
): Promise<{ app: DecisionApp; deciding: OrgNode | null } | undefined> {
  if (!Number.isInteger(id)) return undefined;
  const [row] = await query<DecisionApp & { deciding: OrgNode | null }>(
    tx,
    sql`select a.id, a.member_id as "memberId", a.state, a.initiator_kind as "initiatorKind",
          a.initiator_member_id as "initiatorMemberId",
          a.initiator_admin_id as "initiatorAdminId", a.external, a.to_org_id as "toOrgId",
          a.deciding_org_id as "decidingOrgId",
          (select ${DECIDING_ORG} from organizations o where o.id = a.deciding_org_id) as deciding
        from applications a where a.id = ${id}`,
  );
  if (!row) return undefined;
  const { deciding, ...app } = row;
  return { app, deciding };
}

export interface DecisionContext {
  admin: AdminActor;
  app: DecisionApp;
  deciding: OrgNode | null;
}

/** Who decides and on what, read in one round trip; refused when either is unknown. */
export async function loadDecision(
  tx: Queryable,
  input: { adminId: number; applicationId: number },
): Promise<DecisionContext | Refusal> {
  const [admin, found] = await Promise.all([
    loadAdmin(tx, input.adminId),
    loadWithDeciding(tx, input.applicationId),
  ]);
  if (!admin) return refuse({ reason: "unknown_admin" });
  if (!found) return refuse({ reason: "unknown_application" });
  return { admin, ...found };
}

/**
 * Runs a decision on its own transaction, or inside the caller's (a dialog turn): a refusal
 * writes nothing and an error fails the whole turn, so no savepoint is needed.
 */
export async function withDecision<T>(
  db: Db,
  input: { adminId: number; applicationId: number },
  run: (tx: Tx, decision: DecisionContext) => Promise<T | Refusal>,
): Promise<T | Refusal> {
  return atomically(db, async (tx) => {
    const decision = await loadDecision(tx, input);
    if (!("admin" in decision)) return decision;
    return run(tx, decision);
  });
}

/** R26: the refusal a loser gets: what the application is now, who made it so, and when. */
export async function alreadyDecided(
  tx: Queryable,
  app: Pick<Application, "id" | "state">,
): Promise<Refusal> {
  const [last] = await tx
    .select({
      at: applicationHistory.at,
      adminName: admins.name,
      memberName: members.name,
      actorKind: applicationHistory.actorKind,
    })
    .from(applicationHistory)
    .leftJoin(admins, eq(admins.id, applicationHistory.actorAdminId))
    .leftJoin(members, eq(members.id, applicationHistory.actorMemberId))
    .where(eq(applicationHistory.applicationId, app.id))
    .orderBy(desc(applicationHistory.id))
    .limit(1);
  return refuse({
    reason: "already_decided",
    state: app.state,
    by: last?.adminName ?? last?.memberName ?? null,
    at: last?.at ?? null,
  });
}

/** R26: after a lost race, how the application stands now that the winner's change is in. */
export async function lostRace(tx: Queryable, id: number): Promise<Refusal> {
  return alreadyDecided(tx, (await loadApplication(tx, id))!);
}
