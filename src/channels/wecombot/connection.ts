/**
 * One long connection to the WeCom AI bot (doc 101463): open the socket, subscribe with the bot
 * id and secret, keep it alive with heartbeats (two unanswered → dead), open it again after any
 * drop with exponential backoff, and match each of our frames to its answer by req_id.
 *
 * Our own client rather than the official SDK's `WSClient`: the SDK pulls in axios for a file
 * download we never make, logs whole callback bodies (a member's ID number typed into the
 * wizard) at debug level, and decides alone when to give up (a `disconnected_event` stops it
 * for good, ten failed reconnects too), while here a database lease decides who connects.
 * The frames are the SDK's, field by field (frames.ts).
 */
import { createHash } from "node:crypto";
import WebSocket from "ws";
import {
  type Ack,
  type Callback,
  CMD,
  type Frame,
  newReqId,
  parseAck,
  parseCallback,
} from "./frames.ts";

export interface ConnectionOptions {
  url: string;
  botId: string;
  secret: string;
  /** The SDK's default is 30 s (the doc's 心跳机制说明). */
  heartbeatMs?: number;
  /** Backoff after a drop: base × 2^(n-1), at most `backoffMaxMs` (the SDK: 1 s … 30 s). */
  backoffMs?: number;
  backoffMaxMs?: number;
  /** An answer to one of our frames comes within this (the SDK waits 5 s). */
  ackTimeoutMs?: number;
  onCallback(callback: Callback): void;
  /** A newer connection of this bot replaced ours (`disconnected_event`): it is closed. */
  onReplaced(): void;
  onError(error: unknown): void;
}

/** The platform answered a frame with a non-zero errcode. */
export class BotApiError extends Error {
  constructor(
    readonly errcode: number,
    errmsg: string,
  ) {
    super(`WeCom AI bot errcode ${errcode}: ${errmsg}`);
    this.name = "BotApiError";
  }
}

/** No authenticated connection to send on. */
export class NotConnectedError extends Error {
  constructor() {
    super("WeCom AI bot not connected");
    this.name = "NotConnectedError";
  }
}

/** Upload chunks: at most 512 KB before Base64 and 100 of them (doc: 上传临时素材). */
const CHUNK_BYTES = 512 * 1024;
const MAX_CHUNKS = 100;
/** No callback we read comes near this (a text is at most a few KB): larger frames are refused. */
const MAX_FRAME_BYTES = 1 << 20;

interface Pending {
  resolve(ack: Ack): void;
  reject(error: unknown): void;
  timer: NodeJS.Timeout;
}

export class BotConnection {
  readonly #o: Required<Omit<ConnectionOptions, "onCallback" | "onReplaced" | "onError">> &
    ConnectionOptions;
  #socket: WebSocket | null = null;
  #running = false;
  #ready = false;
  #attempt = 0;
  #missedHeartbeats = 0;
  #heartbeat: NodeJS.Timeout | null = null;
  #reconnect: NodeJS.Timeout | null = null;
  readonly #pending = new Map<string, Pending>();
  #waiters: (() => void)[] = [];

  constructor(options: ConnectionOptions) {
    this.#o = {
      heartbeatMs: 30_000,
      backoffMs: 1_000,
      backoffMaxMs: 30_000,
      ackTimeoutMs: 5_000,
      ...options,
    };
  }

  /** Subscribed and answering: frames may be sent. */
  get ready(): boolean {
    return this.#ready;
  }

  get running(): boolean {
    return this.#running;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#attempt = 0;
    this.#open();
  }

  /** Closes the socket and stays closed. */
  stop(): void {
    this.#running = false;
    if (this.#reconnect) clearTimeout(this.#reconnect);
    this.#reconnect = null;
    this.#close(new NotConnectedError());
  }

  /** Resolves true once ready, false after `timeoutMs` (or when stopped meanwhile). */
  whenReady(timeoutMs: number): Promise<boolean> {
    if (this.#ready) return Promise.resolve(true);
    if (!this.#running) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        resolve(this.#ready);
      };
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== done);
        resolve(false);
      }, timeoutMs);
      this.#waiters.push(done);
    });
  }

  /** Sends one frame and waits for its answer; a non-zero errcode throws `BotApiError`. */
  request(cmd: string, body: unknown, reqId = newReqId(cmd)): Promise<Ack> {
    if (!this.#ready) return Promise.reject(new NotConnectedError());
    return this.#send({ cmd, headers: { req_id: reqId }, body });
  }

  /**
   * Uploads a temporary file in chunks (init → chunk × n → finish) and returns its media_id
   * (valid 3 days). Chunk indexes start at 0, as the SDK's code sends them.
   */
  async uploadMedia(data: Buffer, type: "image" | "file", filename: string): Promise<string> {
    const chunks = Math.max(1, Math.ceil(data.length / CHUNK_BYTES));
    if (chunks > MAX_CHUNKS) throw new BotApiError(-1, "file too large to upload");
    const init = await this.request(CMD.uploadInit, {
      type,
      filename,
      total_size: data.length,
      total_chunks: chunks,
      md5: createHash("md5").update(data).digest("hex"),
    });
    const uploadId = (init.body as { upload_id?: unknown } | undefined)?.upload_id;
    if (typeof uploadId !== "string") throw new BotApiError(-1, "upload init gave no upload_id");
    for (let i = 0; i < chunks; i++) {
      await this.request(CMD.uploadChunk, {
        upload_id: uploadId,
        chunk_index: i,
        base64_data: data.subarray(i * CHUNK_BYTES, (i + 1) * CHUNK_BYTES).toString("base64"),
      });
    }
    const finish = await this.request(CMD.uploadFinish, { upload_id: uploadId });
    const mediaId = (finish.body as { media_id?: unknown } | undefined)?.media_id;
    if (typeof mediaId !== "string") throw new BotApiError(-1, "upload finish gave no media_id");
    return mediaId;
  }

  #open(): void {
    let socket: WebSocket;
    try {
      socket = new WebSocket(this.#o.url, { maxPayload: MAX_FRAME_BYTES });
    } catch (error) {
      this.#o.onError(error);
      this.#scheduleReconnect();
      return;
    }
    this.#socket = socket;
    socket.on("open", () => {
      this.#send({
        cmd: CMD.subscribe,
        headers: { req_id: newReqId(CMD.subscribe) },
        body: { bot_id: this.#o.botId, secret: this.#o.secret },
      }).then(
        () => {
          if (this.#socket !== socket) return;
          this.#attempt = 0;
          this.#ready = true;
          this.#startHeartbeat();
          for (const w of this.#waiters.splice(0)) w();
        },
        (error: unknown) => {
          // A wrong secret leaves the socket open (errcode 853000): closed here, tried later.
          this.#o.onError(error);
          if (this.#socket === socket) socket.terminate();
        },
      );
    });
    socket.on("message", (data) => this.#receive(String(data)));
    socket.on("error", (error) => this.#o.onError(error));
    socket.on("close", () => {
      if (this.#socket !== socket) return;
      this.#close(new NotConnectedError());
      if (this.#running) this.#scheduleReconnect();
    });
  }

  #receive(raw: string): void {
    let frame: Frame;
    try {
      frame = JSON.parse(raw) as Frame;
    } catch {
      return;
    }
    const answer = parseAck(frame);
    if (answer) {
      const pending = this.#pending.get(answer.headers.req_id);
      if (!pending) return;
      this.#pending.delete(answer.headers.req_id);
      clearTimeout(pending.timer);
      if (answer.errcode && answer.errcode !== 0) {
        pending.reject(new BotApiError(answer.errcode, answer.errmsg ?? ""));
      } else {
        pending.resolve(answer);
      }
      return;
    }
    const callback = parseCallback(frame);
    if (!callback) return;
    if (callback.kind === "replaced") {
      this.#running = false;
      this.#close(new NotConnectedError());
      this.#o.onReplaced();
      return;
    }
    this.#o.onCallback(callback);
  }

  #send(frame: Frame): Promise<Ack> {
    const socket = this.#socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) {
      return Promise.reject(new NotConnectedError());
    }
    return new Promise<Ack>((resolve, reject) => {
      const reqId = frame.headers.req_id;
      const timer = setTimeout(() => {
        this.#pending.delete(reqId);
        reject(new Error(`WeCom AI bot gave no answer to ${frame.cmd} within the timeout`));
      }, this.#o.ackTimeoutMs);
      this.#pending.set(reqId, { resolve, reject, timer });
      socket.send(JSON.stringify(frame), (error) => {
        if (!error) return;
        clearTimeout(timer);
        this.#pending.delete(reqId);
        reject(error);
      });
    });
  }

  #startHeartbeat(): void {
    this.#missedHeartbeats = 0;
    this.#heartbeat = setInterval(() => {
      if (this.#missedHeartbeats >= 2) {
        this.#socket?.terminate();
        return;
      }
      this.#missedHeartbeats++;
      this.request(CMD.heartbeat, undefined).then(
        () => {
          this.#missedHeartbeats = 0;
        },
        () => {},
      );
    }, this.#o.heartbeatMs);
  }

  #close(reason: unknown): void {
    this.#ready = false;
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#heartbeat = null;
    const socket = this.#socket;
    this.#socket = null;
    if (socket) {
      socket.removeAllListeners("close");
      socket.on("error", () => {});
      socket.terminate();
    }
    for (const [reqId, p] of this.#pending) {
      clearTimeout(p.timer);
      p.reject(reason);
      this.#pending.delete(reqId);
    }
    if (!this.#running) for (const w of this.#waiters.splice(0)) w();
  }

  #scheduleReconnect(): void {
    this.#attempt++;
    const delay = Math.min(this.#o.backoffMs * 2 ** (this.#attempt - 1), this.#o.backoffMaxMs);
    this.#reconnect = setTimeout(() => {
      this.#reconnect = null;
      if (this.#running) this.#open();
    }, delay);
  }
}
