/**
 * Button tokens. A platform carries only the token back; the payload, who it was issued to and
 * the dialog step it belongs to stay in `dialog_actions`, so a press can be checked for staleness
 * and a forged token finds nothing.
 */
import { randomBytes } from "node:crypto";
import { sql } from "drizzle-orm";
import { type Db, query } from "../db/client.ts";
import type { Translate } from "./render.ts";
import { renderMessage } from "./render.ts";
import type { ButtonAction, RenderedReply, Reply } from "./types.ts";

/** 16 url-safe characters (96 bits): unguessable, far below Telegram's 64-byte limit. */
const newToken = () => randomBytes(12).toString("base64url");

export interface ActionScope {
  channel: string;
  chatId: string;
  /** Null: anyone in the chat may press (group cards). */
  userId: string | null;
  /** The dialog version the buttons belong to; global actions ignore it. */
  stateVersion: number | null;
}

/** Stores every button's payload and renders the replies with tokens in place of payloads. */
export async function renderWithTokens(
  db: Db,
  scope: ActionScope,
  tr: Translate,
  replies: Reply[],
): Promise<RenderedReply[]> {
  const rows: {
    token: string;
    userId: string | null;
    stateVersion: number | null;
    payload: unknown;
  }[] = [];
  const rendered = replies.map((r): RenderedReply => {
    const buttons = (r.buttons ?? []).map((row) =>
      row.map((b) => {
        const token = newToken();
        rows.push({
          token,
          // A global action re-checks who presses it: anyone in the chat may (a card in /pending
          // shown to one admin is pressed by another, who then hears whether they may decide).
          userId: b.action.type === "global" ? null : scope.userId,
          stateVersion: b.action.type === "global" ? null : scope.stateVersion,
          payload: b.action,
        });
        return { label: tr(b.label), action: token };
      }),
    );
    return {
      text: renderMessage(tr, r.text),
      buttons,
      ...(r.popup ? { popup: tr(r.popup) } : {}),
      ...(r.ref ? { ref: r.ref } : {}),
      ...(r.edit ? { edit: true } : {}),
      ...(r.expectsReply ? { expectsReply: true } : {}),
      ...(r.image ? { image: { png: r.image.png, alt: tr(r.image.alt) } } : {}),
      ...(r.document ? { document: r.document } : {}),
    };
  });
  // One parameter, not drizzle's insert builder: every card a delivery sends comes here.
  if (rows.length > 0)
    await query(
      db,
      sql`insert into dialog_actions (token, channel, chat_id, user_id, state_version, payload)
          select r.token, ${scope.channel}, ${scope.chatId}, r."userId", r."stateVersion", r.payload
          from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
            as r(token text, "userId" text, "stateVersion" int, payload jsonb)`,
    );
  return rendered;
}

export type Resolved =
  | { ok: true; action: ButtonAction; global: boolean; stateVersion: number | null }
  /** `notYours`: a question asked of someone else in this chat. */
  | { ok: false; notYours?: boolean };

/** The payload of a token pressed in this chat by this user, or nothing. */
export async function resolveToken(
  db: Db,
  token: string,
  where: { channel: string; chatId: string; userId: string },
): Promise<Resolved> {
  const [row] = await query<{
    userId: string | null;
    stateVersion: number | null;
    payload: unknown;
  }>(
    db,
    sql`select user_id as "userId", state_version as "stateVersion", payload from dialog_actions
        where token = ${token} and channel = ${where.channel} and chat_id = ${where.chatId}`,
  );
  if (!row) return { ok: false };
  if (row.userId !== null && row.userId !== where.userId) return { ok: false, notYours: true };
  const action = row.payload as unknown as ButtonAction;
  return {
    ok: true,
    action,
    global: action.type === "global",
    stateVersion: row.stateVersion,
  };
}
