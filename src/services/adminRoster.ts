/**
 * Issue 20.3: admins change every June. An admin adds a colleague (a named person with a
 * phone, bound by a one-time code), a superior organization's admin removes one, and each
 * keeps their own phone (the one R5 shows) up to date. What waits for a decision and the chats
 * bound to the organization belong to the organization, so a change of people moves nothing.
 */
import { and, asc, eq, inArray, isNull, like } from "drizzle-orm";
import { atomically, type Db } from "../db/client.ts";
import { strictlyBelow } from "../db/queries/subtree.ts";
import { admins, bindingCodes, chatIdentities, organizations } from "../db/schema.ts";
import { canManageAdmin } from "../domain/permissions.ts";
import { issueColleagueCode } from "./bindings.ts";
import { loadAdmin } from "./orgStore.ts";
import { type Refusal, refuse } from "./result.ts";

export const MAX_ADMIN_NAME = 40;
/** Digits, with the spaces, dashes, parentheses and leading + people write in numbers. */
const PHONE = /^\+?[0-9][0-9 ()-]{4,22}[0-9]$/;

export type RosterProblem = "admin_name_invalid" | "phone_invalid";

export function adminNameProblem(name: string): RosterProblem | null {
  const n = name.trim();
  return n.length === 0 || n.length > MAX_ADMIN_NAME ? "admin_name_invalid" : null;
}

export function phoneProblem(phone: string): RosterProblem | null {
  return PHONE.test(phone.trim()) ? null : "phone_invalid";
}

export interface RosterEntry {
  adminId: number;
  name: string;
  phone: string | null;
}

/** The admins of an organization, oldest first (removed ones are not listed). */
export async function rosterOf(db: Db, orgId: number): Promise<RosterEntry[]> {
  return db
    .select({ adminId: admins.id, name: admins.name, phone: admins.phone })
    .from(admins)
    .where(and(eq(admins.orgId, orgId), isNull(admins.removedAt)))
    .orderBy(asc(admins.id));
}

/** The admins of these organizations (removed ones are not), with the organization of each. */
export async function rostersOf(
  db: Db,
  orgIds: number[],
): Promise<(Omit<RosterEntry, "adminId"> & { orgId: number })[]> {
  return db
    .select({ orgId: admins.orgId, name: admins.name, phone: admins.phone })
    .from(admins)
    .where(and(inArray(admins.orgId, orgIds), isNull(admins.removedAt)));
}

/** A new admin of the issuer's organization, and the one-time code that binds them. */
export async function addColleague(
  db: Db,
  input: { adminId: number; name: string; phone: string; now: Date },
): Promise<{ ok: true; adminId: number; code: string; expiresAt: Date } | Refusal> {
  const problem = adminNameProblem(input.name) ?? phoneProblem(input.phone);
  if (problem) return refuse({ reason: problem, max: MAX_ADMIN_NAME });
  return atomically(db, async (tx) => {
    const issuer = await loadAdmin(tx, input.adminId);
    if (!issuer) return refuse({ reason: "not_permitted" });
    const [row] = await tx
      .insert(admins)
      .values({ orgId: issuer.org.id, name: input.name.trim(), phone: input.phone.trim() })
      .returning({ id: admins.id });
    const issued = await issueColleagueCode(tx, {
      adminId: issuer.adminId,
      targetAdminId: row!.id,
      now: input.now,
    });
    if (!issued.ok) {
      // Out of codes: nobody is added who could not be bound.
      await tx.delete(admins).where(eq(admins.id, row!.id));
      return refuse({ reason: "not_permitted" });
    }
    return {
      ok: true as const,
      adminId: row!.id,
      code: issued.code,
      expiresAt: issued.expiresAt,
    };
  });
}

/**
 * A superior organization's admin removes an admin: they can no longer act or be bound, and
 * are no longer anyone's contact; their past decisions keep their name (R25).
 */
export async function removeAdmin(
  db: Db,
  input: { adminId: number; targetAdminId: number; now: Date },
): Promise<{ ok: true; name: string; orgName: string } | Refusal> {
  return atomically(db, async (tx) => {
    const [remover, target] = await Promise.all([
      loadAdmin(tx, input.adminId),
      loadAdmin(tx, input.targetAdminId),
    ]);
    if (!remover || !target || !canManageAdmin(remover, target)) {
      return refuse({ reason: "not_permitted" });
    }
    await tx.update(admins).set({ removedAt: input.now }).where(eq(admins.id, target.adminId));
    await tx.delete(chatIdentities).where(eq(chatIdentities.adminId, target.adminId));
    await tx
      .update(bindingCodes)
      .set({ expiresAt: input.now })
      .where(and(eq(bindingCodes.adminId, target.adminId), isNull(bindingCodes.usedAt)));
    return { ok: true, name: target.name, orgName: target.org.name };
  });
}

/** The admin's own phone, as R5 shows it to whoever locates a member of their organization. */
export async function setOwnPhone(
  db: Db,
  input: { adminId: number; phone: string },
): Promise<{ ok: true; phone: string } | Refusal> {
  const problem = phoneProblem(input.phone);
  if (problem) return refuse({ reason: problem, max: MAX_ADMIN_NAME });
  const phone = input.phone.trim();
  const updated = await db
    .update(admins)
    .set({ phone })
    .where(and(eq(admins.id, input.adminId), isNull(admins.removedAt)))
    .returning({ id: admins.id });
  return updated.length > 0 ? { ok: true, phone } : refuse({ reason: "not_permitted" });
}

/** Organizations strictly below the admin's whose name contains `query` and that have admins. */
export async function orgsWithAdminsBelow(
  db: Db,
  input: { adminId: number; query: string },
): Promise<{ id: number; name: string }[]> {
  const admin = await loadAdmin(db, input.adminId);
  const q = input.query.trim();
  if (!admin || q.length === 0) return [];
  return db
    .selectDistinct({ id: organizations.id, name: organizations.name })
    .from(organizations)
    .innerJoin(admins, and(eq(admins.orgId, organizations.id), isNull(admins.removedAt)))
    .where(
      and(
        strictlyBelow(organizations.path, admin.org.path),
        like(organizations.name, `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`),
      ),
    )
    .orderBy(asc(organizations.name))
    .limit(MAX_MATCHES);
}

/** Enough to pick from; more means the name typed should be longer. */
const MAX_MATCHES = 40;
