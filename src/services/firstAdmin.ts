/**
 * The operator's way in (`npm run admin -- create`): an admin of an organization found by its
 * path, and a one-time binding code for them. The only way into an empty installation, since
 * every other code is issued by an admin. Run again for the same person, it issues a fresh code
 * (ending the old one). Refused while demo data is on, like imports.
 */
import { and, eq } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { admins } from "../db/schema.ts";
import { MAX_NAME } from "../domain/importRows.ts";
import { issueOperatorCode } from "./bindings.ts";
import { loadOrgIndex } from "./imports/orgIndex.ts";
import { demoDataPresent } from "./imports/preview.ts";

const PHONE = /^\+?\d[\d\s()-]{5,23}$/;

export type FirstAdminResult =
  | { ok: true; created: boolean; adminId: number; orgName: string; code: string; expiresAt: Date }
  | { ok: false; reason: "demo" | "unknownOrg" | "badName" | "badPhone" | "tooManyCodes" };

export async function createAdminWithCode(
  db: Db,
  input: { orgPath: readonly string[]; name: string; phone: string | null; now: Date },
): Promise<FirstAdminResult> {
  const name = input.name.trim();
  if (name === "" || name.length > MAX_NAME) return { ok: false, reason: "badName" };
  if (input.phone && !PHONE.test(input.phone)) return { ok: false, reason: "badPhone" };
  const made = await db.transaction(async (tx) => {
    if (await demoDataPresent(tx)) return { ok: false, reason: "demo" } as const;
    const org = (await loadOrgIndex(tx, null)).resolveStored(input.orgPath);
    if (!org.ok) return { ok: false, reason: "unknownOrg" } as const;
    const [existing] = await tx
      .select({ id: admins.id })
      .from(admins)
      .where(and(eq(admins.orgId, org.org.id), eq(admins.name, name)));
    if (existing)
      return { ok: true, created: false, adminId: existing.id, orgName: org.org.name } as const;
    const [row] = await tx
      .insert(admins)
      .values({ orgId: org.org.id, name, phone: input.phone })
      .returning({ id: admins.id });
    return { ok: true, created: true, adminId: row!.id, orgName: org.org.name } as const;
  });
  if (!made.ok) return made;
  const issued = await issueOperatorCode(db, { adminId: made.adminId }, input.now);
  if (!issued.ok) return { ok: false, reason: "tooManyCodes" };
  return { ...made, code: issued.code, expiresAt: issued.expiresAt };
}
