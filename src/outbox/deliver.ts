/**
 * Stage two of delivery. Rounds of: plan (which chats get their next message, and when, within
 * every platform limit: planner.ts), then send each planned delivery at its slot. A send has
 * three steps, so that what the platform accepted is never lost to the database going away:
 *
 * 1. the message is rendered and what it needs stored beforehand (button tokens: one statement,
 *    so no transaction: rendering only reads, and the claim's attempt number fences the row);
 * 2. the platform is called, outside any transaction, pacing the parts of a long message;
 * 3. a transaction records the outcome (sent, the platform's message id, the send log). If the
 *    database is gone by then, the outcome is kept in memory and written once it is back.
 *
 * A failure is typed by the sender: `RetryLater` (the platform's rate limit: wait as long as it
 * says), `PermanentFailure` (refused for good: `dead`), anything else passing: tried again with
 * backoff capped at a few minutes for as long as the message matters (relevance.ts), then
 * `expired`. A claim left by a copy that died expires after `leaseMs` and is planned again.
 */
import { sql } from "drizzle-orm";
import { type Db, databaseUnavailable, query } from "../db/client.ts";
import type { outbox } from "../db/schema.ts";
import { isLocale } from "../i18n.ts";
import type { ChannelTarget, Reply } from "../messages/types.ts";
import { channelKey, chatKey } from "./budgets.ts";
import { type Clock, runBeside, waitOn } from "./clock.ts";
import { type Planned, planRound } from "./planner.ts";
import type { Relevance } from "./relevance.ts";
import { appendLog, keysOf, loadLog, logStart } from "./sendLog.ts";
import { earliestSlot, insertTime } from "./slots.ts";

export type { ChannelTarget } from "../messages/types.ts";

export type OutboxEvent = typeof outbox.$inferSelect;

/**
 * The platform's rate limit left no room (a 429, or its own quota said so): the delivery waits
 * `afterMs` and the try does not count.
 */
export class RetryLater extends Error {
  constructor(
    message: string,
    readonly afterMs: number,
  ) {
    super(message);
    this.name = "RetryLater";
  }
}

/** The platform refused the message for good (chat not found, bot blocked, bad request). */
export class PermanentFailure extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "PermanentFailure";
  }
}

/** Waits until one more message of the delivery under way may go, and takes its slot. */
export type Pace = () => Promise<void>;

/**
 * For a sender calling its platform once per message: lets the first message through (its slot
 * was planned) and paces every later one.
 */
export function pacedAfterFirst(pace: Pace): Pace {
  let first = true;
  return async () => {
    if (first) first = false;
    else await pace();
  };
}

export interface Transmission {
  /** The platform's id of the message that now shows the reply (a later edit replaces it). */
  messageId: string | null;
  /** Where it went, when the platform moved the chat meanwhile (a group became a supergroup). */
  chatId?: string;
  /** Writes what the platform answered, in the transaction that records the delivery. */
  record?(tx: Db): Promise<void>;
}

export interface PreparedSend {
  /** Calls the platform, outside any transaction; `pace()` before each message after the first. */
  transmit(pace: Pace): Promise<Transmission>;
}

/** One platform. */
export interface ChannelSender {
  channel: string;
  /**
   * Readies one message in the delivery's first step: everything the platform will show must
   * be stored here (button tokens, in one statement), since the send happens after it.
   */
  prepare(
    db: Db,
    target: ChannelTarget,
    message: Reply,
    /** Set when `message.edit` refers to a message sent earlier to this chat. */
    previousMessageId: string | null,
  ): Promise<PreparedSend>;
}

/** What an event says to one chat; null when there is nothing left to say. */
export type Renderer = (
  db: Db,
  event: OutboxEvent,
  target: ChannelTarget,
  now: Date,
) => Promise<Reply | null>;

/**
 * Writes that could not be made because the database went away (an outcome the platform
 * already accepted, a claim to give back). The worker keeps them and they run first next time.
 */
export type PendingWrite = () => Promise<void>;

export interface DeliveryOptions {
  senders: ChannelSender[];
  render: Renderer;
  /** Deliveries due by this time are sent; the rounds' time moves on with the clock. */
  now: Date;
  /**
   * Paces the sends. Without one, time is virtual: it starts at `now` and moves only as the
   * pacing waits, so everything due goes out in one call, in the order and spacing the limits
   * dictate (tests and tools; the delivery loop passes the system clock).
   */
  clock?: Clock;
  /** Whether a message still matters (default: always). */
  relevance?: Relevance;
  /** At most this many chats per channel and round. */
  limit?: number;
  leaseMs?: number;
  /** Backoff: the n-th retry of a passing failure waits base × 2^(n-1), at most `maxBackoffMs`. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** A round claims what can go within this time. */
  horizonMs?: number;
  /** Sends in flight at once. */
  concurrency?: number;
  /** Owned by the caller: writes still to make from earlier calls. */
  pending?: PendingWrite[];
  /** Runs before every round (the loop fans out what was queued meanwhile). */
  beforeRound?: (now: Date) => Promise<unknown>;
  /** Told when a chat held back by its own limits may go next (clock time): wake up then. */
  onDeferred?: (at: number) => void;
  signal?: AbortSignal;
}

export interface DeliveryReport {
  sent: number;
  retried: number;
  dead: number;
  expired: number;
}

const DEFAULTS = {
  limit: 100,
  leaseMs: 60_000,
  backoffMs: 5_000,
  maxBackoffMs: 5 * 60_000,
  horizonMs: 1_000,
  concurrency: 4,
};

/** Delivers everything due, round after round, until a round finds nothing to send. */
export async function deliverDue(db: Db, options: DeliveryOptions): Promise<DeliveryReport> {
  const settings = { ...DEFAULTS, ...stripUndefined(options) };
  const clock = options.clock ?? pacingOnly(options.now);
  // Waiting costs nothing on a clock of our own: plan however far the limits push a message.
  if (!options.clock) settings.horizonMs = Number.POSITIVE_INFINITY;
  const start = clock.now();
  const timeNow = () => new Date(options.now.getTime() + (clock.now() - start));
  const report: DeliveryReport = { sent: 0, retried: 0, dead: 0, expired: 0 };
  if (options.pending) await flushPending(options.pending);
  const senders = new Map(options.senders.map((s) => [s.channel, s]));
  while (!options.signal?.aborted) {
    await options.beforeRound?.(timeNow());
    const planned: Planned[] = [];
    for (const channel of senders.keys()) {
      planned.push(
        ...(await planRound(db, channel, {
          now: timeNow(),
          clock,
          horizonMs: settings.horizonMs,
          leaseMs: settings.leaseMs,
          limit: settings.limit,
          onDeferred: options.onDeferred,
        })),
      );
    }
    if (planned.length === 0) break;
    planned.sort((a, b) => a.slot - b.slot || a.id - b.id);
    // Slots of this round not yet begun: once passed, they are not sends in anyone's way (their
    // deliveries take new ones when they begin).
    const waiting = new Map<string, number[]>();
    for (const p of planned) waiting.set(p.channel, [...(waiting.get(p.channel) ?? []), p.slot]);
    const run = (p: Planned) => {
      const mine = waiting.get(p.channel)!;
      mine.splice(mine.indexOf(p.slot), 1);
      return deliverOne(db, p, senders.get(p.channel)!, {
        render: options.render,
        relevance: options.relevance,
        clock,
        timeNow,
        report,
        backoffMs: settings.backoffMs,
        maxBackoffMs: settings.maxBackoffMs,
        pending: options.pending,
        waiting: mine,
      });
    };
    await inPool(planned, settings.concurrency, run, options.pending, clock);
  }
  return report;
}

/**
 * Runs `work` over `items` in order, at most `size` at once; stops at a lost database. The
 * clock is told what runs beside the round and when the round waits on it.
 */
async function inPool<T>(
  items: T[],
  size: number,
  work: (item: T) => Promise<void>,
  pending: PendingWrite[] | undefined,
  clock: Clock,
): Promise<void> {
  let failure: unknown = null;
  const running = new Set<Promise<void>>();
  for (const item of items) {
    if (failure) break;
    const task: Promise<void> = runBeside(clock, () => work(item))
      .catch((error: unknown) => {
        failure ??= error;
      })
      .finally(() => running.delete(task));
    running.add(task);
    if (running.size >= size) await waitOn(clock, Promise.race(running));
  }
  await waitOn(clock, Promise.all(running));
  if (failure) {
    // The rest of the round stays claimed by us; give it back once the database returns.
    if (pending && databaseUnavailable(failure)) return;
    throw failure;
  }
}

async function flushPending(pending: PendingWrite[]): Promise<void> {
  while (pending.length > 0) {
    await pending[0]!();
    pending.shift();
  }
}

interface RunContext {
  render: Renderer;
  relevance?: Relevance;
  clock: Clock;
  timeNow: () => Date;
  report: DeliveryReport;
  backoffMs: number;
  maxBackoffMs: number;
  pending?: PendingWrite[];
  /** This round's slots on the channel's key whose deliveries have not begun. */
  waiting: number[];
}

type Prepared =
  | { kind: "gone" }
  | { kind: "done" }
  | {
      kind: "send";
      event: OutboxEvent;
      message: Reply;
      ready: PreparedSend;
      /** The chat's send times in its longest window, read with the claim (onTime's first look). */
      chatLog: number[] | null;
    };

async function deliverOne(
  db: Db,
  row: Planned,
  sender: ChannelSender,
  ctx: RunContext,
): Promise<void> {
  const target: ChannelTarget = {
    chatId: row.chatId,
    locale: isLocale(row.locale) ? row.locale : null,
  };
  // The claim's attempt number fences the row: once this copy's lease has expired and another
  // copy reclaimed it, no outcome of this copy may land.
  const stillOurs = sql`id = ${row.id} and status = 'sending' and attempts = ${row.attempts}`;
  const giveBack: PendingWrite = async () => {
    await query(db, sql`update deliveries set status = 'queued' where ${stillOurs}`);
  };
  let prepared: Prepared;
  try {
    prepared = await prepare(db, row, sender, target, stillOurs, ctx);
  } catch (error) {
    if (databaseUnavailable(error)) ctx.pending?.push(giveBack);
    throw error;
  }
  if (prepared.kind === "gone") return;
  if (prepared.kind === "done") {
    ctx.report.sent++;
    return;
  }
  const { clock } = ctx;
  const chat = chatKey(row.channel, row.chatId);
  const parts: number[] = [];
  try {
    // Checked again after the wait: a timer that fired late (a busy process) loses its slot too.
    let slot = row.slot;
    for (let check = 0; check < 3; check++) {
      const fresh = check === 0 ? { log: prepared.chatLog } : null;
      const next = await onTime(db, row, slot, fresh, clock, ctx.waiting);
      const moved = next !== slot;
      slot = next;
      await clock.sleep(slot - clock.now());
      if (!moved && clock.now() - slot <= LATE_MS) break;
    }
  } catch (error) {
    if (databaseUnavailable(error)) ctx.pending?.push(giveBack);
    throw error;
  }
  parts.push(clock.now());
  const pace: Pace = async () => {
    const keys = keysOf(row.channel, row.chatId);
    const log = await loadLog(db, keys, clock.now());
    const constraints = keys.map((k) => {
      const times = [...log.get(k.key)!];
      if (k.key === chat?.key) for (const t of parts) insertTime(times, t);
      return { times, windows: k.windows };
    });
    const slot = earliestSlot(constraints, clock.now(), true);
    const shared = keys.find((k) => k.key !== chat?.key);
    if (shared) await appendLog(db, [{ key: shared.key, at: slot }]);
    await clock.sleep(slot - clock.now());
    parts.push(clock.now());
  };
  let sent: Transmission;
  try {
    sent = await prepared.ready.transmit(pace);
  } catch (error) {
    if (databaseUnavailable(error)) {
      ctx.pending?.push(giveBack);
      throw error;
    }
    await failed(db, row, prepared.event, error, stillOurs, ctx).catch((e: unknown) => {
      if (databaseUnavailable(e)) ctx.pending?.push(giveBack);
      throw e;
    });
    return;
  }
  // The outcome, the message's id for later edits and the send log, in one statement: a send is
  // three round trips fewer than a transaction of them, and just as atomic. A sender with writes
  // of its own (WeCom's response codes, the web chat's inbox) adds them in one transaction.
  const outcome = (tx: Db) => {
    const now = ctx.timeNow();
    const chatId = sent.chatId ?? row.chatId;
    const message = prepared.message;
    const remembered = Boolean(message.ref && sent.messageId && !message.edit);
    const counted = chatKey(row.channel, chatId);
    return query<{ n: number }>(
      tx,
      sql`with mine as (
            update deliveries set status = 'sent', delivered_at = ${now.toISOString()}::timestamptz,
              platform_message_id = ${sent.messageId}, last_error = null
            where ${stillOurs} returning id),
          remembered as (
            insert into sent_messages (channel, chat_id, ref, platform_message_id, updated_at)
            select ${row.channel}::text, ${chatId}::text, ${message.ref ?? ""}::text,
                   ${sent.messageId ?? ""}::text, ${now.toISOString()}::timestamptz
            from mine where ${remembered}::boolean
            on conflict (channel, chat_id, ref) do update
              set platform_message_id = excluded.platform_message_id, updated_at = excluded.updated_at),
          logged as (
            insert into send_log (key, at)
            select ${counted?.key ?? ""}::text, ms
            from mine, unnest(${sql.param(counted ? parts : [])}::bigint[]) as v(ms))
          select count(*)::int as n from mine`,
    );
  };
  const record: PendingWrite = async () => {
    const { record: extra } = sent;
    if (!extra) {
      await outcome(db);
      return;
    }
    await db.transaction(async (tx) => {
      const [mine] = await outcome(tx);
      // Lost the lease meanwhile (a send slower than it): the copy that took over records it.
      if (mine?.n) await extra(tx);
    });
  };
  try {
    await record();
  } catch (error) {
    if (!databaseUnavailable(error) || !ctx.pending) throw error;
    // The platform has it: only the bookkeeping waits for the database.
    ctx.pending.push(record);
    ctx.report.sent++;
    throw error;
  }
  ctx.report.sent++;
}

/** A send this much after its slot has lost it (a slow send or a long message ahead of it). */
const LATE_MS = 20;

/**
 * When to send: the planned slot, unless the chat has had an answer since the round was
 * planned (read fresh), or the slot has passed while earlier sends took their time; then the
 * message takes the next slot the limits allow and gives the old one back, so sends that fell
 * behind do not go all at once.
 */
async function onTime(
  db: Db,
  { channel, chatId }: Planned,
  reserved: number,
  /** The first look since the claim: the chat's send times then, if they were read with it. */
  fresh: { log: number[] | null } | null,
  clock: Clock,
  waiting: number[],
): Promise<number> {
  const now = clock.now();
  const late = now - reserved > LATE_MS;
  if (!late && !fresh) return reserved;
  const chat = chatKey(channel, chatId);
  const shared = channelKey(channel);
  const keys = keysOf(channel, chatId).filter((k) => late || k.key === chat?.key);
  if (keys.length === 0) return reserved;
  const log =
    !late && chat && fresh?.log ? new Map([[chat.key, fresh.log]]) : await loadLog(db, keys, now);
  const constraints = keys.map((k) => {
    const times = log.get(k.key)!;
    if (k.key === shared?.key) {
      // Neither our own reservation, nor the passed ones of this round's sends still to begin.
      for (const t of [reserved, ...waiting.filter((w) => w < now)]) {
        const at = times.indexOf(t);
        if (at >= 0) times.splice(at, 1);
      }
    }
    return { times, windows: k.windows };
  });
  const slot = earliestSlot(constraints, Math.max(now, reserved));
  if (late && shared && slot !== reserved) {
    await query(
      db,
      sql`update send_log set at = ${slot}::bigint
          where ctid = (select ctid from send_log
                        where key = ${shared.key} and at = ${reserved}::bigint limit 1)`,
    );
  }
  return slot;
}

/** The first step: render and ready the message, or settle the delivery when there is none. */
async function prepare(
  db: Db,
  row: Planned,
  sender: ChannelSender,
  target: ChannelTarget,
  stillOurs: ReturnType<typeof sql>,
  ctx: RunContext,
): Promise<Prepared> {
  const now = ctx.timeNow();
  // Still ours, and the chat's recent sends, which decide whether the planned slot still holds;
  // read beside the render (the event came with the claim), which is wasted only when another
  // copy has taken the delivery over meanwhile.
  const chat = chatKey(row.channel, row.chatId);
  const since = chat ? logStart(chat, ctx.clock.now()) : 0;
  const look = query<{ ours: boolean; chatLog: string[] | null }>(
    db,
    sql`select exists (select 1 from deliveries where ${stillOurs}) as ours,
               (select coalesce(array_agg(l.at order by l.at), '{}') from send_log l
                where ${chat !== null}::boolean and l.key = ${chat?.key ?? ""}
                  and l.at > ${since}::bigint) as "chatLog"`,
  ).then(([found]) => found);
  const { event } = row;
  // Tried before and failed: it goes only while it still matters.
  if (event && row.attempts > 1 && ctx.relevance) {
    if (!(await look)?.ours) return { kind: "gone" };
    if (!(await ctx.relevance(db, event, now))) {
      await settle(db, stillOurs, "expired", now);
      ctx.report.expired++;
      return { kind: "gone" };
    }
  }
  const [found, message] = await Promise.all([
    look,
    event ? ctx.render(db, event, target, now) : null,
  ]);
  if (!found?.ours) return { kind: "gone" };
  if (!event || !message) {
    await settle(db, stillOurs, "sent", now);
    return { kind: "done" };
  }
  const previous =
    message.ref && message.edit
      ? await query<{ id: string }>(
          db,
          sql`select platform_message_id as id from sent_messages
              where channel = ${row.channel} and chat_id = ${row.chatId} and ref = ${message.ref}`,
        )
      : [];
  const ready = await sender.prepare(db, target, message, previous[0]?.id ?? null);
  return {
    kind: "send",
    event,
    message,
    ready,
    chatLog: chat ? (found.chatLog ?? []).map(Number) : null,
  };
}

async function settle(tx: Db, stillOurs: ReturnType<typeof sql>, status: string, now: Date) {
  await query(
    tx,
    sql`update deliveries set status = ${status}, delivered_at = ${now.toISOString()}::timestamptz
        where ${stillOurs}`,
  );
}

/** What a failed send becomes: wait as told, dead, expired, or another try after backoff. */
async function failed(
  db: Db,
  row: Planned,
  event: OutboxEvent,
  error: unknown,
  stillOurs: ReturnType<typeof sql>,
  ctx: RunContext,
): Promise<void> {
  const now = ctx.timeNow();
  const reason = (error instanceof Error ? error.message : String(error)).slice(0, 500);
  let status: "queued" | "dead" | "expired" = "queued";
  let waitMs = 0;
  let counts = true;
  if (error instanceof RetryLater) {
    waitMs = error.afterMs;
    counts = false;
  } else if (error instanceof PermanentFailure) {
    status = "dead";
  } else if (ctx.relevance && !(await ctx.relevance(db, event, now))) {
    status = "expired";
  } else {
    waitMs = Math.min(ctx.backoffMs * 2 ** Math.max(0, row.attempts - 1), ctx.maxBackoffMs);
  }
  await query(
    db,
    sql`update deliveries set status = ${status}, last_error = ${reason},
          attempts = attempts - ${counts ? 0 : 1},
          available_at = ${new Date(now.getTime() + waitMs).toISOString()}::timestamptz
        where ${stillOurs}`,
  );
  if (status === "dead") ctx.report.dead++;
  else if (status === "expired") ctx.report.expired++;
  else ctx.report.retried++;
}

/** A clock that stands still but for the pacing's waits. */
function pacingOnly(start: Date): Clock {
  let now = start.getTime();
  return {
    now: () => now,
    sleep: async (ms) => {
      if (ms > 0) now += ms;
    },
  };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
