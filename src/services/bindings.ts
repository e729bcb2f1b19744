/**
 * One-time binding codes (issue 5.2): admins issue codes for their members (one, or a whole
 * branch), superior admins issue admin codes, and a chat redeems a code to become that person.
 *
 * Why guessing stays hopeless. A code is 12 characters of a 31-letter alphabet:
 * 31^12 ≈ 7.9e17 codes. Live (unused, unexpired) codes are at most MAX_LIVE_CODES = 1,000,000
 * in the whole installation (and MAX_LIVE_CODES_PER_ORG = 20,000 issued by one organization;
 * a person has one live code, a new one ends the older). A code lives CODE_TTL_MS = 7 days =
 * 168 h. Wrong tries are limited per source (client address or platform user, across all
 * chats: 10 an hour) and overall (LIMITS.bindGlobal: 1,000 an hour, however many sources an
 * attacker has). So over a code's whole life at most 1,000 × 168 = 168,000 guesses are tried,
 * each hitting one of ≤ 1e6 live codes with probability ≤ 1e6 / 7.9e17: the chance that any
 * guess ever hits is ≤ 168,000 × 1e6 / 7.9e17 ≈ 2.1e-7. Codes are stored as an HMAC under the
 * server's key (sealing.ts), so a leaked table cannot be searched offline either.
 */
import { randomInt } from "node:crypto";
import { and, count, eq, gt, inArray, isNull, or, sql } from "drizzle-orm";
import { atomically, type Db, type Queryable, type Tx } from "../db/client.ts";
import { bindingCodes, chatIdentities, members, organizations } from "../db/schema.ts";
import { codeHashes } from "../db/sealing.ts";
import { canIssueMemberCodes, canManageAdmin } from "../domain/permissions.ts";
import { loadAdmin } from "./orgStore.ts";
import { type Budget, LIMITS, refund, spend } from "./rateLimits.ts";

/** No 0/O, 1/I/L: easy to read aloud and to type from a printout. */
const ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";
export const CODE_LENGTH = 12;
export const CODE_TTL_MS = 7 * 24 * 3600_000;
export const MAX_LIVE_CODES = 1_000_000;
export const MAX_LIVE_CODES_PER_ORG = 20_000;

export type IssueRefusal =
  | "not_permitted"
  | "unknown_admin"
  | "unknown_member"
  | "unknown_branch"
  | "too_many_codes";
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

/** A fresh code, shown in groups of four ("ABCD-EFGH-JKMN"); the dashes are optional. */
const newCode = () =>
  Array.from({ length: CODE_LENGTH }, () => ALPHABET[randomInt(ALPHABET.length)])
    .join("")
    .replace(/(.{4})(?!$)/g, "$1-");

const storedHash = (code: string) => codeHashes(normalizeCode(code))[0]!;

/**
 * Whether there is room for `n` more live codes from the admin's organization and in the
 * installation, once the live codes of the same people are ended (one live code per person);
 * only then are those ended. Nothing is written when there is no room.
 */
async function makeRoom(
  tx: Tx,
  /** Null for the operator, who has no organization's cap. */
  issuerOrgId: number | null,
  people: { memberIds?: number[]; adminIds?: number[] },
  n: number,
  now: Date,
): Promise<boolean> {
  const live = and(isNull(bindingCodes.usedAt), gt(bindingCodes.expiresAt, now));
  const same = or(
    ...(people.memberIds?.length ? [inArray(bindingCodes.memberId, people.memberIds)] : []),
    ...(people.adminIds?.length ? [inArray(bindingCodes.adminId, people.adminIds)] : []),
  );
  const staying = same ? and(live, sql`not coalesce(${same}, false)`) : live;
  if (issuerOrgId !== null) {
    const [ours] = await tx
      .select({ n: count() })
      .from(bindingCodes)
      .where(and(staying, eq(bindingCodes.issuedByOrgId, issuerOrgId)));
    if ((ours?.n ?? 0) + n > MAX_LIVE_CODES_PER_ORG) return false;
  }
  const [all] = await tx.select({ n: count() }).from(bindingCodes).where(staying);
  if ((all?.n ?? 0) + n > MAX_LIVE_CODES) return false;
  if (same) {
    await tx.update(bindingCodes).set({ expiresAt: now }).where(and(live, same));
  }
  return true;
}

async function insertCodes(
  tx: Tx,
  rows: Omit<typeof bindingCodes.$inferInsert, "codeHash" | "expiresAt">[],
  now: Date,
): Promise<{ codes: string[]; expiresAt: Date }> {
  const expiresAt = new Date(now.getTime() + CODE_TTL_MS);
  const codes = rows.map(() => newCode());
  if (rows.length > 0) {
    await tx
      .insert(bindingCodes)
      .values(rows.map((r, i) => ({ ...r, codeHash: storedHash(codes[i]!), expiresAt })));
  }
  return { codes, expiresAt };
}

/** A code for one member whose current branch lies in the admin's subtree. */
export async function issueMemberCode(
  db: Db,
  input: { adminId: number; memberId: number; now: Date },
): Promise<Issued> {
  return db.transaction(async (tx) => {
    const admin = await loadAdmin(tx, input.adminId);
    if (!admin) return { ok: false, reason: "unknown_admin" };
    const [member] = await tx
      .select({ path: organizations.path })
      .from(members)
      .innerJoin(organizations, eq(organizations.id, members.branchId))
      .where(eq(members.id, input.memberId));
    if (!member) return { ok: false, reason: "unknown_member" };
    if (!canIssueMemberCodes(admin, member)) return { ok: false, reason: "not_permitted" };
    if (!(await makeRoom(tx, admin.org.id, { memberIds: [input.memberId] }, 1, input.now)))
      return { ok: false, reason: "too_many_codes" };
    const { codes, expiresAt } = await insertCodes(
      tx,
      [
        {
          kind: "member",
          memberId: input.memberId,
          issuedByAdminId: input.adminId,
          issuedByOrgId: admin.org.id,
        },
      ],
      input.now,
    );
    return { ok: true, code: codes[0]!, expiresAt };
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
    const admin = await loadAdmin(tx, input.adminId);
    if (!admin) return { ok: false, reason: "unknown_admin" };
    const [branch] = await tx
      .select({ path: organizations.path })
      .from(organizations)
      .where(and(eq(organizations.id, input.branchId), eq(organizations.kind, "branch")));
    if (!branch) return { ok: false, reason: "unknown_branch" };
    if (!canIssueMemberCodes(admin, branch)) return { ok: false, reason: "not_permitted" };
    const people = await tx
      .select({ id: members.id, name: members.name })
      .from(members)
      .where(eq(members.branchId, input.branchId))
      .orderBy(members.id);
    const memberIds = people.map((p) => p.id);
    if (!(await makeRoom(tx, admin.org.id, { memberIds }, people.length, input.now)))
      return { ok: false, reason: "too_many_codes" };
    const { codes, expiresAt } = await insertCodes(
      tx,
      people.map((p) => ({
        kind: "member" as const,
        memberId: p.id,
        issuedByAdminId: input.adminId,
        issuedByOrgId: admin.org.id,
      })),
      input.now,
    );
    return {
      ok: true,
      codes: people.map((p, i) => ({ memberId: p.id, name: p.name, code: codes[i]! })),
      expiresAt,
    };
  });
}

/** An admin code, only for an admin of an organization strictly below the issuer's. */
export async function issueAdminCode(
  db: Db,
  input: { adminId: number; targetAdminId: number; now: Date },
): Promise<Issued> {
  return db.transaction(async (tx) => {
    const issuer = await loadAdmin(tx, input.adminId);
    if (!issuer) return { ok: false, reason: "unknown_admin" };
    const target = await loadAdmin(tx, input.targetAdminId);
    if (!target) return { ok: false, reason: "unknown_admin" };
    if (!canManageAdmin(issuer, target)) return { ok: false, reason: "not_permitted" };
    if (!(await makeRoom(tx, issuer.org.id, { adminIds: [input.targetAdminId] }, 1, input.now)))
      return { ok: false, reason: "too_many_codes" };
    const { codes, expiresAt } = await insertCodes(
      tx,
      [
        {
          kind: "admin",
          adminId: input.targetAdminId,
          issuedByAdminId: input.adminId,
          issuedByOrgId: issuer.org.id,
        },
      ],
      input.now,
    );
    return { ok: true, code: codes[0]!, expiresAt };
  });
}

/** Issue 20.3: a code for a colleague, an admin of the issuer's own organization. */
export async function issueColleagueCode(
  db: Db,
  input: { adminId: number; targetAdminId: number; now: Date },
): Promise<Issued> {
  return atomically(db, async (tx) => {
    const [issuer, target] = await Promise.all([
      loadAdmin(tx, input.adminId),
      loadAdmin(tx, input.targetAdminId),
    ]);
    if (!issuer || !target) return { ok: false, reason: "unknown_admin" };
    if (target.org.id !== issuer.org.id) return { ok: false, reason: "not_permitted" };
    if (!(await makeRoom(tx, issuer.org.id, { adminIds: [target.adminId] }, 1, input.now)))
      return { ok: false, reason: "too_many_codes" };
    const { codes, expiresAt } = await insertCodes(
      tx,
      [
        {
          kind: "admin",
          adminId: target.adminId,
          issuedByAdminId: issuer.adminId,
          issuedByOrgId: issuer.org.id,
        },
      ],
      input.now,
    );
    return { ok: true, code: codes[0]!, expiresAt };
  });
}

/** Who is trying a code, for the guess limits: a client address or a platform user. */
export type CodeSource = { address: string } | { channel: string; userId: string };

const sourceKey = (s: CodeSource) =>
  "address" in s ? `bind:addr:${s.address}` : `bind:user:${s.channel}:${s.userId}`;

/**
/**
 * A code issued by the operator rather than by an admin: for the process's own start-up work
 * (the demo people's codes), where the person may have no admin above them (a province's own
 * admin). No permission is checked, so no chat or HTTP route may ever reach it. It counts
 * towards the installation's ceiling and ends the person's older live code, like any other.
 */
export async function issueOperatorCode(
  db: Db,
  target: { memberId: number } | { adminId: number },
  now: Date,
): Promise<{ ok: true; code: string; expiresAt: Date } | { ok: false; reason: "too_many_codes" }> {
  return db.transaction(async (tx) => {
    const member = "memberId" in target;
    const people = member ? { memberIds: [target.memberId] } : { adminIds: [target.adminId] };
    if (!(await makeRoom(tx, null, people, 1, now))) return { ok: false, reason: "too_many_codes" };
    const values = member
      ? { kind: "member" as const, memberId: target.memberId }
      : { kind: "admin" as const, adminId: target.adminId };
    const { codes, expiresAt } = await insertCodes(tx, [values], now);
    return { ok: true, code: codes[0]!, expiresAt };
  });
}

/**
 * Redeems a code for a channel account. Each try spends from its sources' budgets and the
 * installation's (LIMITS: 10 an hour per source, 1,000 an hour overall) and a right code gets
 * them back, so only wrong tries count; the budgets' rows stay locked until the outcome is
 * known, so parallel tries from one source wait for each other.
 */
export async function redeemCode(
  db: Db,
  input: {
    channel: string;
    /** The account to bind, or how to name it after the person the code is for (web chat). */
    userId:
      | string
      | ((code: {
          kind: "member" | "admin";
          memberId: number | null;
          adminId: number | null;
        }) => string);
    code: string;
    sources: CodeSource[];
    now: Date;
  },
): Promise<Redeemed> {
  const { channel, now } = input;
  return db.transaction(async (tx) => {
    const budgets: { key: string; budget: Budget }[] = [
      ...input.sources.map((s) => ({ key: sourceKey(s), budget: LIMITS.bindPerSource })),
      { key: "bind:global", budget: LIMITS.bindGlobal },
    ];
    for (const [i, { key, budget }] of budgets.entries()) {
      const spent = await spend(tx, key, budget, now);
      if (!spent.ok) {
        for (const earlier of budgets.slice(0, i)) await refund(tx, earlier.key, earlier.budget);
        return {
          ok: false,
          reason: "locked",
          lockedUntil: new Date(now.getTime() + spent.retryAfterMs),
        };
      }
    }

    const [code] = await tx
      .select()
      .from(bindingCodes)
      .where(inArray(bindingCodes.codeHash, codeHashes(normalizeCode(input.code))));
    if (!code) return { ok: false, reason: "code_invalid" };
    if (code.usedAt) return { ok: false, reason: "code_used" };
    if (code.expiresAt <= now) return { ok: false, reason: "code_expired" };
    // Conditional on still unused: of two chats redeeming at once, one wins.
    const taken = await tx
      .update(bindingCodes)
      .set({ usedAt: now })
      .where(and(eq(bindingCodes.id, code.id), isNull(bindingCodes.usedAt)))
      .returning({ id: bindingCodes.id });
    if (taken.length === 0) return { ok: false, reason: "code_used" };
    for (const { key, budget } of budgets) await refund(tx, key, budget);

    const bound = code.kind === "member" ? { memberId: code.memberId } : { adminId: code.adminId };
    const userId = typeof input.userId === "string" ? input.userId : input.userId(code);
    const identity = await bindIdentity(tx, channel, userId, bound);
    return { ok: true, kind: code.kind, ...identity };
  });
}

/**
 * Makes a channel account this member or this admin (one account may be both: a code of the
 * other kind adds to it). Returns what the account is now.
 */
export async function bindIdentity(
  tx: Queryable,
  channel: string,
  userId: string,
  bound: { memberId: number | null } | { adminId: number | null },
): Promise<{ memberId: number | null; adminId: number | null }> {
  const [identity] = await tx
    .insert(chatIdentities)
    .values({ channel, externalUserId: userId, ...bound })
    .onConflictDoUpdate({
      target: [chatIdentities.channel, chatIdentities.externalUserId],
      set: bound,
    })
    .returning({ memberId: chatIdentities.memberId, adminId: chatIdentities.adminId });
  return { memberId: identity?.memberId ?? null, adminId: identity?.adminId ?? null };
}
