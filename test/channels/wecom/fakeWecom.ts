/**
 * A local stand-in for WeCom's server API (qyapi.weixin.qq.com): hands out access tokens,
 * records every call, and can be told to expire the current token or fail the next call. Files
 * users send are offered by `addMedia` and served by `media/get`.
 */
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server } from "node:http";

export interface FakeCall {
  api: string;
  token: string | null;
  body: Record<string, unknown>;
  /** What the fake answered: 0 for success. */
  errcode: number;
}

export class FakeWecom {
  readonly calls: FakeCall[] = [];
  tokensIssued = 0;
  #server: Server | null = null;
  #validToken: string | null = null;
  #failNext: { errcode: number; errmsg: string } | null = null;
  #nextResponseCode = 0;
  readonly #media = new Map<string, { data: Buffer; name: string }>();
  url = "";

  /** A file a user sent, for `media/get`; returns its media_id. */
  addMedia(data: Buffer, name: string): string {
    const id = `in-media-${this.#media.size + 1}`;
    this.#media.set(id, { data, name });
    return id;
  }

  async start(): Promise<this> {
    this.#server = createServer((req, res) => {
      void this.#answer(req).then((answer) => {
        const file = answer.file as { data: Buffer; name: string } | undefined;
        if (file) {
          // As WeCom serves media: the bytes, the name in Content-Disposition.
          res.writeHead(200, {
            "content-type": "application/octet-stream",
            "content-disposition": `attachment; filename="${encodeURIComponent(file.name)}"; filename*=UTF-8''${encodeURIComponent(file.name)}`,
          });
          res.end(file.data);
          return;
        }
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(answer));
      });
    });
    this.#server.listen(0, "127.0.0.1");
    await once(this.#server, "listening");
    const address = this.#server.address();
    if (!address || typeof address === "string") throw new Error("no port");
    this.url = `http://127.0.0.1:${address.port}`;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The token WeCom considers current is revoked: the next call gets 42001. */
  expireToken(): void {
    this.#validToken = null;
  }

  failNext(errcode: number, errmsg = "fake failure"): void {
    this.#failNext = { errcode, errmsg };
  }

  reset(): void {
    this.calls.length = 0;
    this.#failNext = null;
  }

  /** Calls other than gettoken. */
  sent(api?: string): FakeCall[] {
    return this.calls.filter((c) => c.api !== "gettoken" && (!api || c.api === api));
  }

  async #answer(req: IncomingMessage): Promise<Record<string, unknown>> {
    const call: FakeCall = { api: "", token: null, body: {}, errcode: -1 };
    this.calls.push(call);
    const answer = await this.#handle(req, call);
    call.errcode = Number(answer.errcode);
    return answer;
  }

  async #handle(req: IncomingMessage, call: FakeCall): Promise<Record<string, unknown>> {
    const url = new URL(req.url ?? "/", "http://fake");
    const api = url.pathname.replace(/^\/cgi-bin\//, "");
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const rawBody = Buffer.concat(chunks);
    const multipart = String(req.headers["content-type"] ?? "").startsWith("multipart/form-data");
    const body =
      rawBody.length && !multipart
        ? (JSON.parse(String(rawBody)) as Record<string, unknown>)
        : multipart
          ? uploadOf(rawBody, String(req.headers["content-type"]))
          : {};
    const token = url.searchParams.get("access_token");
    Object.assign(call, { api, token, body });
    if (api === "gettoken") {
      if (url.searchParams.get("corpsecret") !== "test-secret")
        return { errcode: 40001, errmsg: "invalid credential" };
      this.tokensIssued++;
      this.#validToken = `token-${this.tokensIssued}`;
      return { errcode: 0, errmsg: "ok", access_token: this.#validToken, expires_in: 7200 };
    }
    if (!token) return { errcode: 41001, errmsg: "access_token missing" };
    if (token !== this.#validToken) return { errcode: 42001, errmsg: "access_token expired" };
    if (this.#failNext) {
      const failure = this.#failNext;
      this.#failNext = null;
      return failure;
    }
    if (api === "message/send") {
      const answer: Record<string, unknown> = {
        errcode: 0,
        errmsg: "ok",
        msgid: `msg-${this.calls.length}`,
      };
      if (body.msgtype === "template_card")
        answer.response_code = `send-code-${++this.#nextResponseCode}`;
      return answer;
    }
    if (api === "media/upload") {
      if (url.searchParams.get("type") !== "file" || !body.data)
        return { errcode: 40004, errmsg: "invalid media type" };
      return { errcode: 0, errmsg: "", type: "file", media_id: `media-${this.calls.length}` };
    }
    if (api === "media/get") {
      const file = this.#media.get(url.searchParams.get("media_id") ?? "");
      if (!file) return { errcode: 40007, errmsg: "invalid media_id" };
      return { errcode: 0, file };
    }
    if (api === "message/update_template_card")
      return { errcode: 0, errmsg: "ok", invaliduser: [] };
    return { errcode: 60011, errmsg: "unknown api in fake" };
  }
}

/**
 * The one file part of a media upload, as WeCom documents it: `name="media"`, the file name
 * and `filelength` in its Content-Disposition.
 */
function uploadOf(raw: Buffer, contentType: string): Record<string, unknown> {
  const boundary = /boundary=([^;]+)/.exec(contentType)?.[1] ?? "";
  const start = raw.indexOf(`--${boundary}\r\n`);
  const headEnd = raw.indexOf("\r\n\r\n", start);
  const end = raw.indexOf(`\r\n--${boundary}--`, headEnd);
  if (start < 0 || headEnd < 0 || end < 0) return {};
  const head = String(raw.subarray(start, headEnd));
  return {
    field: /name="([^"]+)"/.exec(head)?.[1],
    filename: /filename="([^"]*)"/.exec(head)?.[1],
    filelength: Number(/filelength=(\d+)/.exec(head)?.[1]),
    data: raw.subarray(headEnd + 4, end),
  };
}
