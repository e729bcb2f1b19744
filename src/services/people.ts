/** How the bot addresses a bound person: by the name their member or admin record carries. */
import { eq } from "drizzle-orm";
import type { Queryable } from "../db/client.ts";
import { admins, members } from "../db/schema.ts";

/** The member's name, else the admin's; null for someone not bound (or whose record is gone). */
export async function nameOf(
  db: Queryable,
  who: { memberId: number | null; adminId: number | null },
): Promise<string | null> {
  if (who.memberId !== null) {
    const [m] = await db
      .select({ name: members.name })
      .from(members)
      .where(eq(members.id, who.memberId));
    if (m) return m.name;
  }
  if (who.adminId !== null) {
    const [a] = await db
      .select({ name: admins.name })
      .from(admins)
      .where(eq(admins.id, who.adminId));
    if (a) return a.name;
  }
  return null;
}
