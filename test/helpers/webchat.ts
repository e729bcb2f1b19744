/**
 * The web chat API as a page uses it, for tests: sessions opened for people by short aliases,
 * messages posted with their cookie, each chat's log read on from where the test last was.
 */
import type { Hono } from "hono";
import { startSession, webUserOf } from "../../src/channels/web/sessions.ts";
import { WEBCHAT_DEFAULTS } from "../../src/config.ts";
import type { Db } from "../../src/db/client.ts";
import { bindIdentity } from "../../src/services/bindings.ts";

export type Rendered = {
  id?: number;
  text: string;
  buttons: { label: string; action: string }[][];
  ref?: string;
  edit?: boolean;
  popup?: string;
  expectsReply?: boolean;
  author?: { user: string; name: string };
};

export const SESSION_COOKIE = "zhtj_session";

/** A session for a member or an admin, made directly (no code), and its cookie header. */
export async function sessionCookie(
  db: Db,
  who: { memberId: number } | { adminId: number },
  now = new Date(),
): Promise<{ user: string; cookie: string }> {
  const user =
    "memberId" in who ? webUserOf("member", who.memberId) : webUserOf("admin", who.adminId);
  await bindIdentity(
    db,
    "web",
    user,
    "memberId" in who ? { memberId: who.memberId } : { adminId: who.adminId },
  );
  const token = await startSession(db, user, now, {
    idleMs: WEBCHAT_DEFAULTS.sessionIdleMs,
    maxMs: WEBCHAT_DEFAULTS.sessionMaxMs,
  });
  return { user, cookie: `${SESSION_COOKIE}=${token}` };
}

/** The `zhtj_session=…` pair a response set, for the next request. */
export function cookieFrom(res: Response): string {
  const set = res.headers.get("set-cookie") ?? "";
  return set.split(";")[0] ?? "";
}

/**
 * People chatting through one app: `login(alias, who)`, then `post(alias, body)` and
 * `fresh(chat)`: the chat's messages the test has not seen yet (not in an answer, not read).
 */
export function webChatClient(app: () => Hono, db: () => Db, now: () => Date) {
  const people = new Map<string, { user: string; cookie: string }>();
  const seen = new Map<string, number>();
  const chatOf = (chat: string) => people.get(chat)?.user ?? chat;
  const see = (chat: string, ids: (number | undefined)[]) => {
    const top = Math.max(seen.get(chat) ?? 0, ...ids.filter((i): i is number => i !== undefined));
    seen.set(chat, top);
  };
  const cookieOf = (alias: string) => people.get(alias)?.cookie ?? "";
  return {
    async login(alias: string, who: { memberId: number } | { adminId: number }) {
      const session = await sessionCookie(db(), who, now());
      people.set(alias, session);
      return session.user;
    },
    userOf: (alias: string) => people.get(alias)?.user ?? alias,
    /** Posts as the alias into a chat (an alias names that person's private chat). */
    async post(alias: string, chat: string, input: { text: string } | { action: string }) {
      const target = chatOf(chat);
      const res = await app().request("/api/webchat/messages", {
        method: "POST",
        headers: { "content-type": "application/json", cookie: cookieOf(alias) },
        body: JSON.stringify({
          ...(target === people.get(alias)?.user ? {} : { chat: target }),
          ...input,
        }),
      });
      if (res.ok) {
        const body = (await res.clone().json()) as { replies: Rendered[] };
        see(
          target,
          body.replies.map((r) => r.id),
        );
      }
      return res;
    },
    /** What the chat got that the test has not seen yet, read as `reader`. */
    async fresh(reader: string, chat: string): Promise<Rendered[]> {
      const target = chatOf(chat);
      const after = seen.get(target) ?? 0;
      const res = await app().request(
        `/api/webchat/inbox?chat=${encodeURIComponent(target)}&after=${after}`,
        { headers: { cookie: cookieOf(reader) } },
      );
      if (!res.ok) throw new Error(`inbox ${target}: ${res.status} ${await res.text()}`);
      const { messages } = (await res.json()) as { messages: Rendered[] };
      see(
        target,
        messages.map((m) => m.id),
      );
      return messages.filter((m) => !m.author);
    },
  };
}
