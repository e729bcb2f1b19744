/**
 * The season replay's app copies run in processes of their own, as they would be deployed, and
 * the replay's driver holds the one virtual clock they all live on. This is the wire between
 * them, over Node's IPC channel: the copies' clock (a copy keeps count of its own sleepers and
 * work, and once all of it sleeps tells the driver until when: one participant of the driver's
 * clock; a wake-up is the answer carrying the time), and the driver's calls into a copy's
 * services (a person filing, an admin deciding in the web chat, a job period), each carrying
 * the time.
 */
import { type ChildProcess, fork } from "node:child_process";
import type { Clock } from "../../src/outbox/clock.ts";
import { type SharedClock, sharedClock } from "../helpers/clock.ts";

/** What a copy answers to: the services the driver uses, by name (seasonCopy.ts). */
export interface CopyCalls {
  file: (input: unknown) => { ok: boolean; reason?: string; applicationId?: number };
  approve: (input: { adminId: number; applicationId: number }) => {
    ok: boolean;
    reason?: string;
  };
  reject: (input: { adminId: number; applicationId: number; reason: string }) => {
    ok: boolean;
    reason?: string;
  };
  withdraw: (input: { memberId: number; applicationId: number }) => {
    ok: boolean;
    reason?: string;
  };
  /** The applications a township's admin may approve at the receiving stage. */
  candidates: (input: { adminId: number }) => {
    ok: boolean;
    reason?: string;
    ids: { id: number; memberId: number }[];
  };
  queueBatch: (input: {
    adminId: number;
    chatId: string;
    applicationIds: number[];
    branchId: number;
  }) => { ok: boolean; reason?: string };
  runSlot: (input: { job: string; fire: number }) => boolean;
  /** Nothing: once answered, the copy has the time every call carries. */
  sync: (input: null) => null;
  rss: (input: null) => { rss: number; peak: number };
}

type ToCopy =
  | { kind: "init"; name: string; url: string; fakeUrl: string; loops: number; now: number }
  | { kind: "call"; id: number; method: keyof CopyCalls; input: unknown; now: number }
  | { kind: "wake"; now: number }
  | { kind: "stop" };

type FromCopy =
  | { kind: "ready"; port: number }
  | { kind: "result"; id: number; value: unknown }
  | { kind: "error"; id: number; message: string }
  /** Everything in the copy sleeps, the earliest until `at` (the driver's may have moved on). */
  | { kind: "idle"; at: number }
  | { kind: "violation"; what: string }
  | { kind: "stopped" };

export interface CopyProcess {
  name: string;
  port: number;
  call<M extends keyof CopyCalls>(
    method: M,
    input: Parameters<CopyCalls[M]>[0],
  ): Promise<ReturnType<CopyCalls[M]>>;
  stop(): Promise<void>;
}

/** Starts one copy in a process of its own, its clock served by `clock`. */
export async function startCopy(options: {
  name: string;
  url: string;
  fakeUrl: string;
  /** Delivery loops in the copy, each a participant of its clock (with the batch runner). */
  loops: number;
  clock: SharedClock;
  onViolation: (what: string) => void;
}): Promise<CopyProcess> {
  const { clock } = options;
  const child: ChildProcess = fork(new URL("./seasonCopy.ts", import.meta.url), {
    execArgv: ["--import", "tsx"],
    serialization: "advanced",
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const send = (message: ToCopy) => {
    if (child.connected) child.send(message);
  };
  const calls = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  /** The copy's sleep on the driver's clock, while everything in it sleeps. */
  let asleep: AbortController | null = null;
  let nextCall = 1;
  let stopped: (() => void) | null = null;
  let ready: (port: number) => void = () => {};
  let failed: (error: Error) => void = () => {};
  const port = new Promise<number>((resolve, reject) => {
    ready = resolve;
    failed = reject;
  });
  child.on("message", (message: FromCopy) => {
    switch (message.kind) {
      case "ready":
        ready(message.port);
        break;
      case "result":
      case "error": {
        const call = calls.get(message.id);
        calls.delete(message.id);
        if (message.kind === "result") call?.resolve(message.value);
        else call?.reject(new Error(message.message));
        break;
      }
      case "idle": {
        asleep?.abort();
        const mine = new AbortController();
        asleep = mine;
        // Time the copy had not heard of yet (the driver jumped while it worked) is not slept
        // again: it wakes at once, sees the time, and finds itself late as it would in-process.
        void clock.sleep(message.at - clock.now(), mine.signal).then(() => {
          if (asleep !== mine || mine.signal.aborted) return;
          asleep = null;
          send({ kind: "wake", now: clock.now() });
        });
        break;
      }
      case "violation":
        options.onViolation(`copy ${options.name}: ${message.what}`);
        break;
      case "stopped":
        stopped?.();
        break;
    }
  });
  child.once("exit", (code, signal) => {
    if (!stopped) options.onViolation(`copy ${options.name} exited (${code ?? signal})`);
    failed(new Error(`copy ${options.name} exited before it was ready (${code ?? signal})`));
    for (const call of calls.values()) call.reject(new Error(`copy exited (${code ?? signal})`));
    calls.clear();
    // Its sleep would keep the clock waiting for a participant that is gone.
    asleep?.abort();
    asleep = null;
    stopped?.();
  });
  send({
    kind: "init",
    name: options.name,
    url: options.url,
    fakeUrl: options.fakeUrl,
    loops: options.loops,
    now: clock.now(),
  });
  return {
    name: options.name,
    port: await port,
    call(method, input) {
      const id = nextCall++;
      return new Promise((resolve, reject) => {
        if (!child.connected) return reject(new Error(`copy ${options.name} is gone`));
        calls.set(id, { resolve: resolve as (v: unknown) => void, reject });
        send({ kind: "call", id, method, input, now: clock.now() });
      });
    },
    async stop() {
      const done = new Promise<void>((resolve) => {
        stopped = resolve;
      });
      send({ kind: "stop" });
      await done;
    },
  };
}

/** The copy's side: its own clock, moved on by the driver's, and the calls it serves. */
export function serveDriver(handlers: {
  init(message: Extract<ToCopy, { kind: "init" }>, clock: Clock): Promise<number>;
  calls: { [M in keyof CopyCalls]: (input: Parameters<CopyCalls[M]>[0]) => Promise<unknown> };
  stop(): Promise<void>;
}): void {
  const send = (message: FromCopy) => process.send?.(message);
  let clock: SharedClock | null = null;
  /** What the driver was last told, until it wakes this copy. */
  let told: number | null = null;
  // The driver gone (killed, crashed): so is this copy, not an orphan holding connections.
  process.once("disconnect", () => process.exit(1));
  process.on("message", async (message: ToCopy) => {
    if ("now" in message) clock?.jumpTo(message.now);
    switch (message.kind) {
      case "init":
        // Its participants: the delivery loops and the batch runner.
        clock = sharedClock(message.now, message.loops + 1, 0, {
          onIdle: (at) => {
            if (told === at) return;
            told = at;
            send({ kind: "idle", at });
          },
        });
        send({ kind: "ready", port: await handlers.init(message, clock) });
        break;
      case "wake":
        // Its sleepers due were woken above; if none was (a stale sleep), it says so again.
        told = null;
        break;
      case "call":
        try {
          const handler = handlers.calls[message.method] as (input: unknown) => Promise<unknown>;
          send({ kind: "result", id: message.id, value: await handler(message.input) });
        } catch (error) {
          send({
            kind: "error",
            id: message.id,
            message: error instanceof Error ? (error.stack ?? error.message) : String(error),
          });
        }
        break;
      case "stop":
        await handlers.stop();
        process.removeAllListeners("disconnect");
        process.send?.({ kind: "stopped" } satisfies FromCopy, () => process.exit(0));
        break;
    }
  });
}

/** Reports an error of the copy's own loops to the driver, which counts it a violation. */
export function reportViolation(what: string): void {
  process.send?.({ kind: "violation", what } satisfies FromCopy);
}
