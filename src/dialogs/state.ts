/**
 * Dialog state per (channel, chat, user) with an optimistic version: a save succeeds only if
 * nobody saved since we loaded, so two app copies handling the same chat can't corrupt it.
 */
import { and, eq, sql } from "drizzle-orm";
import { type Db, query } from "../db/client.ts";
import { dialogStates } from "../db/schema.ts";
import type { Json } from "./types.ts";

/** The active flow and its own state; empty when the user is at the menu. */
export interface DialogState {
  flow?: string;
  data?: Json;
}

export interface Loaded {
  state: DialogState;
  /** 0 when the row does not exist yet. */
  version: number;
  exists: boolean;
}

export interface DialogKey {
  channel: string;
  chatId: string;
  userId: string;
}

/** Thrown inside the transaction when another copy saved first; it rolls everything back. */
export class StaleStateError extends Error {
  constructor() {
    super("dialog state changed concurrently");
    this.name = "StaleStateError";
  }
}

const keyOf = (k: DialogKey) =>
  and(
    eq(dialogStates.channel, k.channel),
    eq(dialogStates.chatId, k.chatId),
    eq(dialogStates.userId, k.userId),
  );

export async function loadState(db: Db, key: DialogKey): Promise<Loaded> {
  const [row] = await query<{ state: unknown; version: number }>(
    db,
    sql`select state, version from dialog_states
        where channel = ${key.channel} and chat_id = ${key.chatId} and user_id = ${key.userId}`,
  );
  if (!row) return { state: {}, version: 0, exists: false };
  return { state: row.state as DialogState, version: row.version, exists: true };
}

/** Saves and returns the new version, or throws `StaleStateError`. */
export async function saveState(
  db: Db,
  key: DialogKey,
  loaded: Loaded,
  state: DialogState,
  now: Date,
): Promise<number> {
  const version = loaded.version + 1;
  const stored = state as Record<string, unknown>;
  const written = loaded.exists
    ? await db
        .update(dialogStates)
        .set({ state: stored, version, updatedAt: now })
        .where(and(keyOf(key), eq(dialogStates.version, loaded.version)))
        .returning({ version: dialogStates.version })
    : await db
        .insert(dialogStates)
        .values({ ...key, state: stored, version, updatedAt: now })
        .onConflictDoNothing()
        .returning({ version: dialogStates.version });
  if (written.length === 0) throw new StaleStateError();
  return version;
}
