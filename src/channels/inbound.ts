/**
 * The inbound queue, for every channel that must acknowledge a message before handling it
 * (WeCom's callback: answered within 5 s, never resent after a 200; the WeCom AI bot's socket
 * later). A message is acknowledged only once stored here, in one statement with its dedupe
 * key; workers of every copy then handle the queue, one message of a chat at a time and in
 * order, and delete each once handled. A copy that dies mid-message leaves a claim that
 * expires; a database that goes away leaves the message queued.
 */
import { sql } from "drizzle-orm";
import { type Db, databaseUnavailable, query } from "../db/client.ts";
import { open, seal } from "../db/sealing.ts";
import { type Clock, systemClock } from "../outbox/clock.ts";

export interface InboundMessage {
  channel: string;
  /** The platform's id of the message, also the dialogs' update key for it. */
  updateKey: string;
  /** Messages with the same chat key are handled one at a time, oldest first. */
  chatKey: string;
  payload: Record<string, unknown>;
}

/** Handles one stored message. Throwing leaves it queued (tried again after a backoff). */
export type InboundHandler = (payload: Record<string, unknown>) => Promise<void>;

export interface InboundQueue {
  /** Stores a message; false when it is stored or was handled already (a platform's resend). */
  store(message: InboundMessage, now: Date): Promise<boolean>;
  /** Registers the handler of one channel's messages. */
  handle(channel: string, handler: InboundHandler): void;
  /** Handles everything due now, then resolves (tests, shutdown). */
  drain(): Promise<void>;
  /** Handles the queue in the background, every `intervalMs` and at once after a store. */
  start(intervalMs: number): void;
  stop(): Promise<void>;
}

export interface InboundOptions {
  db: Db;
  clock?: Clock;
  onError(error: unknown): void;
  /** A claim older than this belongs to a copy that died. */
  leaseMs?: number;
  /** After this many failed tries a message is set aside (`failed`) so its chat moves on. */
  maxAttempts?: number;
  /** Chats handled at once, and claimed at once: the rest is left to other copies. */
  concurrency?: number;
}

interface Claimed {
  id: number;
  channel: string;
  payload: Record<string, unknown>;
  attempts: number;
}

const BACKOFF_MS = 5_000;

/**
 * What waits in the queue is sealed like the web chat's log: a member's message may hold their
 * ID number (R4), and a copy of the database must not show it, even for the seconds it waits.
 */
const sealPayload = (payload: Record<string, unknown>) => ({
  sealed: seal(JSON.stringify(payload), "inbound"),
});
const openPayload = (stored: Record<string, unknown>): Record<string, unknown> =>
  JSON.parse(open(String(stored.sealed), "inbound")) as Record<string, unknown>;

export function createInboundQueue(options: InboundOptions): InboundQueue {
  const { db, onError } = options;
  const clock = options.clock ?? systemClock;
  const leaseMs = options.leaseMs ?? 60_000;
  const maxAttempts = options.maxAttempts ?? 5;
  const concurrency = options.concurrency ?? 8;
  const handlers = new Map<string, InboundHandler>();
  /** Claims to give back once the database is there again (it went away mid-message). */
  const giveBack: Claimed[] = [];
  let round: Promise<number> | null = null;
  let wakeUp: (() => void) | null = null;
  let loop: Promise<void> | null = null;
  const stopping = new AbortController();

  const fenced = (c: Claimed) =>
    sql`id = ${c.id} and status = 'working' and attempts = ${c.attempts}`;

  async function claim(): Promise<Claimed[]> {
    const now = new Date(clock.now()).toISOString();
    const stale = new Date(clock.now() - leaseMs).toISOString();
    const channels = [...handlers.keys()];
    if (channels.length === 0) return [];
    return db.transaction(async (tx) => {
      // Claimers take turns, so two copies never take the same chat's next message.
      await query(tx, sql`select pg_advisory_xact_lock(hashtext('zhtj:inbound'))`);
      return query<Claimed>(
        tx,
        sql`update inbound_messages m
            set status = 'working', claimed_at = ${now}::timestamptz, attempts = m.attempts + 1
            from (
              select id, status, available_at, claimed_at from (
                select distinct on (channel, chat_key) id, status, available_at, claimed_at
                from inbound_messages
                where channel = any(${sql.param(channels)}::text[])
                  and status in ('queued', 'working')
                order by channel, chat_key, id
              ) h
              where (status = 'queued' and available_at <= ${now}::timestamptz)
                 or (status = 'working' and claimed_at < ${stale}::timestamptz)
              limit ${concurrency}
            ) due
            where m.id = due.id
            returning m.id, m.channel, m.payload, m.attempts`,
      );
    });
  }

  async function handleOne(c: Claimed): Promise<void> {
    try {
      try {
        await handlers.get(c.channel)!(openPayload(c.payload));
      } catch (error) {
        if (databaseUnavailable(error)) throw error;
        onError(error);
        const failed = c.attempts >= maxAttempts;
        const retryAt = new Date(clock.now() + BACKOFF_MS * 2 ** (c.attempts - 1));
        const reason = (error instanceof Error ? error.message : String(error)).slice(0, 500);
        await query(
          db,
          sql`update inbound_messages
              set status = ${failed ? "failed" : "queued"}, last_error = ${reason},
                  available_at = ${retryAt.toISOString()}::timestamptz
              where ${fenced(c)}`,
        );
        return;
      }
      await query(db, sql`delete from inbound_messages where ${fenced(c)}`);
    } catch (error) {
      if (databaseUnavailable(error)) giveBack.push(c);
      throw error;
    }
  }

  /** One round: give back what an outage left claimed, claim, handle. Returns how many. */
  async function runRound(): Promise<number> {
    while (giveBack.length > 0) {
      const c = giveBack[0]!;
      await query(db, sql`update inbound_messages set status = 'queued' where ${fenced(c)}`);
      giveBack.shift();
    }
    const claimed = await claim();
    const results = await Promise.allSettled(claimed.map(handleOne));
    const failure = results.find((r) => r.status === "rejected");
    if (failure) throw failure.reason;
    return claimed.length;
  }

  const exclusive = (): Promise<number> => {
    round ??= runRound().finally(() => {
      round = null;
    });
    return round;
  };

  return {
    async store(message, now) {
      const stored = await query(
        db,
        sql`insert into inbound_messages
              (channel, update_key, chat_key, payload, status, available_at, received_at)
            select ${message.channel}, ${message.updateKey}, ${message.chatKey},
                   ${JSON.stringify(sealPayload(message.payload))}::jsonb, 'queued',
                   ${now.toISOString()}::timestamptz, ${now.toISOString()}::timestamptz
            where not exists (
              select 1 from processed_updates
              where channel = ${message.channel} and update_key = ${message.updateKey})
            on conflict (channel, update_key) do nothing
            returning id`,
      );
      wakeUp?.();
      return stored.length > 0;
    },
    handle(channel, handler) {
      handlers.set(channel, handler);
    },
    async drain() {
      while ((await exclusive()) > 0);
    },
    start(intervalMs) {
      loop ??= (async () => {
        while (!stopping.signal.aborted) {
          try {
            while ((await exclusive()) > 0 && !stopping.signal.aborted);
          } catch (error) {
            onError(error);
          }
          const woken = new AbortController();
          wakeUp = () => woken.abort();
          const stop = () => woken.abort();
          stopping.signal.addEventListener("abort", stop, { once: true });
          await clock.sleep(intervalMs, woken.signal);
          stopping.signal.removeEventListener("abort", stop);
          wakeUp = null;
        }
      })();
    },
    async stop() {
      stopping.abort();
      await loop;
      await round?.catch(() => {});
    },
  };
}
