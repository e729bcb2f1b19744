/**
 * One-time binding codes (issue 5.2): admins issue codes for their members (one, or a whole
 * branch), superior admins issue admin codes, and a chat redeems a code to become that person.
 * Codes expire, are single-use, and five wrong tries in a row lock the chat out for 15 minutes.
 */
import { createHash, randomInt } from "node:crypto";
import { and, eq, isNull, sql } from "drizzle-orm";
import type { Db, Queryable } from "../db/client.ts";
import {
  bindingAttempts,
  bindingCodes,
  chatIdentities,
  members,
  organizations,
} from "../db/schema.ts";
import { loadAdmin } from "./orgStore.ts";

/** No 0/O, 1/I/L: easy to read aloud and to type from a printout. */
const ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";
export const CODE_LENGTH = 8;
export const CODE_TTL_MS = 7 * 24 * 3600_000;
export const MAX_WRONG_TRIES = 5;
export const LOCKOUT_MS = 15 * 60_000;

export type IssueRefusal = "not_permitted" | "unknown_admin" | "unknown_member" | "unknown_branch";
export type RedeemRefusal = "code_invalid" | "code_expired" | "code_used" | "locked";

export type Issued =
  | { ok: true; code: string; expiresAt: Date }
  | { ok: false; reason: IssueRefusal };

export type Redeemed =
  | { ok: true; kind: "member" | "admin"; memberId: number | null; adminId: number | null }
  | { ok: false; reason: RedeemRefusal; lockedUntil?: Date };

/** Upper-case, without the spaces and dashes people type between groups. */
export const normalizeCode = (input: string) => input.toUpperCase().replace(/[\s-]/g, "");

/** Whether the text is shaped like a code (so a bare code typed by a stranger is tried). */
export const looksLikeCode = (input: string) =>
  new RegExp(`^[${ALPHABET}]{${CODE_LENGTH}}$`).test(normalizeCode(input));

const hashCode = (code: string) => createHash("sha256").update(normalizeCode(code)).digest("hex");

const newCode = () =>
  Array.from({ length: CODE_LENGTH }, () => ALPHABET[randomInt(ALPHABET.length)]).join("");

/** The materialized path of the admin's organization, the root of what they may touch. */
async function adminOrgPath(db: Queryable, adminId: number): Promise<string | null> {
  return (await loadAdmin(db, adminId))?.org.path ?? null;
}

async function insertCode(
  db: Db,
  values: Omit<typeof bindingCodes.$inferInsert, "codeHash" | "expiresAt">,
  now: Date,
) {
  const code = newCode();
  const expiresAt = new Date(now.getTime() + CODE_TTL_MS);
  await db.insert(bindingCodes).values({ ...values, codeHash: hashCode(code), expiresAt });
  return { code, expiresAt };
}

/** A code for one member whose current branch lies in the admin's subtree. */
export async function issueMemberCode(
  db: Db,
  input: { adminId: number; memberId: number; now: Date },
): Promise<Issued> {
  return db.transaction(async (tx) => {
    const adminPath = await adminOrgPath(tx, input.adminId);
    if (adminPath === null) return { ok: false, reason: "unknown_admin" };
    const [member] = await tx
      .select({ path: organizations.path })
      .from(members)
      .innerJoin(organizations, eq(organizations.id, members.branchId))
      .where(eq(members.id, input.memberId));
    if (!member) return { ok: false, reason: "unknown_member" };
    if (!member.path.startsWith(adminPath)) return { ok: false, reason: "not_permitted" };
    const issued = await insertCode(
      tx,
      { kind: "member", memberId: input.memberId, issuedByAdminId: input.adminId },
      input.now,
    );
    return { ok: true, ...issued };
  });
}

export type IssuedBranch =
  | { ok: true; codes: { memberId: number; name: string; code: string }[]; expiresAt: Date }
  | { ok: false; reason: IssueRefusal };

/** One code per member now in the branch, for an admin whose subtree holds the branch. */
export async function issueBranchCodes(
  db: Db,
  input: { adminId: number; branchId: number; now: Date },
): Promise<IssuedBranch> {
  return db.transaction(async (tx) => {
    const adminPath = await adminOrgPath(tx, input.adminId);
    if (adminPath === null) return { ok: false, reason: "unknown_admin" };
    const [branch] = await tx
      .select({ path: organizations.path })
      .from(organizations)
      .where(and(eq(organizations.id, input.branchId), eq(organizations.kind, "branch")));
    if (!branch) return { ok: false, reason: "unknown_branch" };
    if (!branch.path.startsWith(adminPath)) return { ok: false, reason: "not_permitted" };
    const people = await tx
      .select({ id: members.id, name: members.name })
      .from(members)
      .where(eq(members.branchId, input.branchId))
      .orderBy(members.id);
    const expiresAt = new Date(input.now.getTime() + CODE_TTL_MS);
    const codes = people.map((p) => ({ memberId: p.id, name: p.name, code: newCode() }));
    if (codes.length > 0) {
      await tx.insert(bindingCodes).values(
        codes.map((c) => ({
          kind: "member" as const,
          memberId: c.memberId,
          issuedByAdminId: input.adminId,
          codeHash: hashCode(c.code),
          expiresAt,
        })),
      );
    }
    return { ok: true, codes, expiresAt };
  });
}

/** An admin code, only for an admin of an organization strictly below the issuer's. */
export async function issueAdminCode(
  db: Db,
  input: { adminId: number; targetAdminId: number; now: Date },
): Promise<Issued> {
  return db.transaction(async (tx) => {
    const issuerPath = await adminOrgPath(tx, input.adminId);
    if (issuerPath === null) return { ok: false, reason: "unknown_admin" };
    const targetPath = await adminOrgPath(tx, input.targetAdminId);
    if (targetPath === null) return { ok: false, reason: "unknown_admin" };
    if (targetPath === issuerPath || !targetPath.startsWith(issuerPath))
      return { ok: false, reason: "not_permitted" };
    const issued = await insertCode(
      tx,
      { kind: "admin", adminId: input.targetAdminId, issuedByAdminId: input.adminId },
      input.now,
    );
    return { ok: true, ...issued };
  });
}

/**
 * A code issued by the operator rather than by an admin: for the process's own start-up work
 * (the demo people's codes), where the person may have no admin above them (a province's own
 * admin). No permission is checked, so no chat or HTTP route may ever reach it.
 */
export async function issueOperatorCode(
  db: Db,
  target: { memberId: number } | { adminId: number },
  now: Date,
): Promise<{ code: string; expiresAt: Date }> {
  const values =
    "memberId" in target
      ? { kind: "member" as const, memberId: target.memberId }
      : { kind: "admin" as const, adminId: target.adminId };
  return insertCode(db, { ...values, issuedByAdminId: null }, now);
}

/**
 * Redeems a code in a chat. Every failure counts as a wrong try of that chat; the fifth in a row
 * locks it for 15 minutes (brute-forcing 31^8 codes stays hopeless); a success resets the count.
 */
export async function redeemCode(
  db: Db,
  input: { channel: string; chatId: string; userId: string; code: string; now: Date },
): Promise<Redeemed> {
  const { channel, chatId, now } = input;
  return db.transaction(async (tx) => {
    const [attempts] = await tx
      .select()
      .from(bindingAttempts)
      .where(and(eq(bindingAttempts.channel, channel), eq(bindingAttempts.chatId, chatId)));
    if (attempts?.lockedUntil && attempts.lockedUntil > now)
      return { ok: false, reason: "locked", lockedUntil: attempts.lockedUntil };

    const fail = async (reason: RedeemRefusal): Promise<Redeemed> => {
      const [row] = await tx
        .insert(bindingAttempts)
        .values({ channel, chatId, failures: 1 })
        .onConflictDoUpdate({
          target: [bindingAttempts.channel, bindingAttempts.chatId],
          set: { failures: sql`${bindingAttempts.failures} + 1`, lockedUntil: null },
        })
        .returning({ failures: bindingAttempts.failures });
      if ((row?.failures ?? 0) < MAX_WRONG_TRIES) return { ok: false, reason };
      const lockedUntil = new Date(now.getTime() + LOCKOUT_MS);
      await tx
        .update(bindingAttempts)
        .set({ failures: 0, lockedUntil })
        .where(and(eq(bindingAttempts.channel, channel), eq(bindingAttempts.chatId, chatId)));
      return { ok: false, reason: "locked", lockedUntil };
    };

    const [code] = await tx
      .select()
      .from(bindingCodes)
      .where(eq(bindingCodes.codeHash, hashCode(input.code)));
    if (!code) return fail("code_invalid");
    if (code.usedAt) return fail("code_used");
    if (code.expiresAt <= now) return fail("code_expired");
    // Conditional on still unused: of two chats redeeming at once, one wins.
    const taken = await tx
      .update(bindingCodes)
      .set({ usedAt: now })
      .where(and(eq(bindingCodes.id, code.id), isNull(bindingCodes.usedAt)))
      .returning({ id: bindingCodes.id });
    if (taken.length === 0) return fail("code_used");

    const bound = code.kind === "member" ? { memberId: code.memberId } : { adminId: code.adminId };
    await tx
      .insert(chatIdentities)
      .values({ channel, externalUserId: input.userId, ...bound })
      .onConflictDoUpdate({
        target: [chatIdentities.channel, chatIdentities.externalUserId],
        set: bound,
      });
    await tx
      .delete(bindingAttempts)
      .where(and(eq(bindingAttempts.channel, channel), eq(bindingAttempts.chatId, chatId)));
    const [identity] = await tx
      .select({ memberId: chatIdentities.memberId, adminId: chatIdentities.adminId })
      .from(chatIdentities)
      .where(
        and(eq(chatIdentities.channel, channel), eq(chatIdentities.externalUserId, input.userId)),
      );
    return {
      ok: true,
      kind: code.kind,
      memberId: identity?.memberId ?? null,
      adminId: identity?.adminId ?? null,
    };
  });
}
