/**
 * Web chat sessions (SPEC §8): a web chat person is whoever holds a session, made by redeeming
 * a one-time binding code (or, with demo data on, by picking a demo person). The cookie carries
 * 256 random bits; the database keeps only their SHA-256, so a copy of it opens no session.
 * A session ends after `idleMs` without a request, `maxMs` after it began, or on logout.
 */
import { createHash, randomBytes } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import { type Db, type Queryable, query } from "../../db/client.ts";
import { webchatFiles, webchatSessions } from "../../db/schema.ts";
import { isLocale, type Locale } from "../../i18n.ts";

export interface SessionSettings {
  idleMs: number;
  maxMs: number;
}

/** The person behind a web chat user id: `m-<member id>` or `a-<admin id>`. */
export interface WebPerson {
  user: string;
  name: string;
  role: "member" | "admin";
  memberId: number | null;
  adminId: number | null;
  locale: Locale | null;
}

const WEB_USER = /^([ma])-([1-9]\d{0,9})$/;

/** Whether a chat id names a person's private chat (never a group's). */
export const isWebUserId = (id: string) => WEB_USER.test(id);

/** The web chat user id of a member or an admin: one per person, on every device. */
export const webUserOf = (role: "member" | "admin", id: number) =>
  `${role === "member" ? "m" : "a"}-${id}`;

/** The person a web user id names, or null when nobody has it. */
export async function webPerson(db: Queryable, user: string): Promise<WebPerson | null> {
  const m = WEB_USER.exec(user);
  if (!m) return null;
  const role = m[1] === "m" ? "member" : "admin";
  const id = Number(m[2]);
  const [row] = await query<{ name: string; locale: string | null }>(
    db,
    role === "member"
      ? sql`select p.name, ci.locale from members p left join chat_identities ci
              on ci.channel = 'web' and ci.external_user_id = ${user} where p.id = ${id}`
      : sql`select p.name, ci.locale from admins p left join chat_identities ci
              on ci.channel = 'web' and ci.external_user_id = ${user} where p.id = ${id}`,
  );
  if (!row) return null;
  return {
    user,
    name: row.name,
    role,
    memberId: role === "member" ? id : null,
    adminId: role === "admin" ? id : null,
    locale: isLocale(row.locale) ? row.locale : null,
  };
}

const hashToken = (token: string) => createHash("sha256").update(token).digest("hex");

/**
 * What names a session in other tables (its files): the stored hash of a well-formed token,
 * or null for anything else.
 */
export const sessionHashOf = (token: string | undefined): string | null =>
  token && TOKEN.test(token) ? hashToken(token) : null;

/** A token shaped as ours (base64url of 32 bytes); anything else is not even looked up. */
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** Starts a session for a web user, in the caller's transaction; returns the cookie's token. */
export async function startSession(
  tx: Queryable,
  user: string,
  now: Date,
  settings: SessionSettings,
): Promise<string> {
  const token = randomBytes(32).toString("base64url");
  await tx.insert(webchatSessions).values({
    tokenHash: hashToken(token),
    userId: user,
    createdAt: now,
    lastSeenAt: now,
    expiresAt: new Date(now.getTime() + settings.maxMs),
  });
  return token;
}

/** A request refreshes the idle clock at most this often (one write a minute, not each). */
const TOUCH_MS = 60_000;

/** The person of a live session, or null (unknown, idle too long, or past its end). */
export async function sessionPerson(
  db: Db,
  token: string | undefined,
  now: Date,
  settings: SessionSettings,
): Promise<WebPerson | null> {
  if (!token || !TOKEN.test(token)) return null;
  const tokenHash = hashToken(token);
  const [session] = await db
    .select()
    .from(webchatSessions)
    .where(eq(webchatSessions.tokenHash, tokenHash));
  if (!session) return null;
  const idle = now.getTime() - session.lastSeenAt.getTime();
  if (session.expiresAt <= now || idle >= settings.idleMs) {
    await endSession(db, token);
    return null;
  }
  if (idle >= TOUCH_MS) {
    await db
      .update(webchatSessions)
      .set({ lastSeenAt: now })
      .where(eq(webchatSessions.tokenHash, tokenHash));
  }
  return webPerson(db, session.userId);
}

export async function endSession(db: Queryable, token: string | undefined): Promise<void> {
  if (!token || !TOKEN.test(token)) return;
  const tokenHash = hashToken(token);
  // The session's downloads end with it.
  await db.delete(webchatFiles).where(eq(webchatFiles.sessionHash, tokenHash));
  await db.delete(webchatSessions).where(eq(webchatSessions.tokenHash, tokenHash));
}
