/** The admins table group: the statements of every admin's turn. */
import { sql } from "drizzle-orm";
import type { AdminActor } from "../../domain/permissions.ts";
import { type Queryable, query } from "../client.ts";
import { orgNodeJson } from "./organizations.ts";

const ADMIN_ORG = orgNodeJson("o");

/** A serving (not removed) admin with their organization as an `OrgNode`, or undefined. */
export async function activeAdmin(
  tx: Queryable,
  adminId: number,
): Promise<(AdminActor & { name: string; phone: string | null }) | undefined> {
  const [row] = await query<AdminActor & { name: string; phone: string | null }>(
    tx,
    sql`select a.id as "adminId", a.name, a.phone, ${ADMIN_ORG} as org
        from admins a join organizations o on o.id = a.org_id
        where a.id = ${adminId} and a.removed_at is null`,
  );
  return row;
}
