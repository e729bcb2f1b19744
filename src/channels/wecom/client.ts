/**
 * The few WeCom server API calls the bot makes. WeCom answers HTTP 200 even for failures, so
 * every answer's `errcode` decides; an expired or invalid access token is refreshed and the
 * call repeated once.
 */
import { randomBytes } from "node:crypto";

/** A non-zero `errcode` (or the recipient named invalid in a successful answer). */
export class WecomApiError extends Error {
  constructor(
    readonly api: string,
    readonly errcode: number,
    errmsg: string,
  ) {
    super(`WeCom ${api} failed: errcode ${errcode} (${errmsg.slice(0, 120)})`);
    this.name = "WecomApiError";
  }
}

/** 40014 invalid token, 42001 expired, 41001 missing: get a new one and try again. */
const TOKEN_ERRORS = new Set([40014, 42001, 41001]);
/** Renew this long before WeCom says the token expires, so no call carries a dying one. */
const TOKEN_MARGIN_MS = 5 * 60_000;
const REQUEST_TIMEOUT_MS = 10_000;
/** A file a user sent (WeCom hands out at most 20 MB) may take longer. */
const DOWNLOAD_TIMEOUT_MS = 120_000;

interface ApiAnswer {
  errcode?: number;
  errmsg?: string;
  [field: string]: unknown;
}

export interface WecomClientOptions {
  apiRoot: string;
  corpId: string;
  secret: string;
  agentId: number;
  /** Milliseconds since the epoch; a parameter so tests can expire the token. */
  clock?: () => number;
}

/** A `button_interaction` template card (only the fields we use). */
export interface TemplateCard {
  card_type: "button_interaction";
  main_title: { title: string; desc?: string };
  sub_title_text?: string;
  task_id: string;
  button_list: { text: string; key: string; style: number }[];
  /** Shown as a grey button that cannot be pressed: the card is decided. */
  replace_text?: string;
}

/** The file name of a Content-Disposition: `filename*=UTF-8''…` first, else `filename="…"`. */
function fileNameOf(disposition: string): string | null {
  const encoded = /filename\*=UTF-8''([^;]+)/i.exec(disposition)?.[1];
  if (encoded) {
    try {
      return decodeURIComponent(encoded);
    } catch {
      // Badly encoded: the plain form may still be there.
    }
  }
  return /filename="?([^";]+)"?/i.exec(disposition)?.[1] ?? null;
}

/**
 * `message/send` answers errcode 0 even when the recipient is unknown or outside the app's
 * visible range: it names them in `invaliduser` instead, and nothing was delivered.
 */
function refusedRecipient(answer: ApiAnswer, touser: string): void {
  const invalid = typeof answer.invaliduser === "string" ? answer.invaliduser.split("|") : [];
  if (invalid.includes(touser)) throw new WecomApiError("message/send", 81013, "invaliduser");
}

/**
 * errcodes that will not change by trying again: the user is unknown or not visible to the app
 * (40003, 60111, 81013, 82001), the app may not do it (48002, 301002), the message is malformed
 * (40008, 40058, 44004, 45002). Everything else (-1 busy, 45009 too frequent, …) passes.
 */
export const PERMANENT_ERRCODES = new Set([
  40003, 60111, 81013, 82001, 48002, 301002, 40008, 40058, 44004, 45002,
]);
/** "API called too often": WeCom's own rate limit. */
export const RATE_LIMITED_ERRCODE = 45009;

export class WecomClient {
  readonly #options: WecomClientOptions;
  readonly #clock: () => number;
  #token: { value: string; expiresAt: number } | null = null;
  #refreshing: Promise<string> | null = null;

  constructor(options: WecomClientOptions) {
    this.#options = { ...options, apiRoot: options.apiRoot.replace(/\/+$/, "") };
    this.#clock = options.clock ?? Date.now;
  }

  async sendText(touser: string, content: string): Promise<{ msgid: string | null }> {
    const answer = await this.#post("message/send", {
      touser,
      msgtype: "text",
      agentid: this.#options.agentId,
      text: { content },
    });
    refusedRecipient(answer, touser);
    return { msgid: typeof answer.msgid === "string" ? answer.msgid : null };
  }

  /** Sends a card; the answer's `response_code` allows one update within 72 h. */
  async sendCard(touser: string, card: TemplateCard): Promise<{ responseCode: string | null }> {
    const answer = await this.#post("message/send", {
      touser,
      msgtype: "template_card",
      agentid: this.#options.agentId,
      template_card: card,
    });
    refusedRecipient(answer, touser);
    return {
      responseCode: typeof answer.response_code === "string" ? answer.response_code : null,
    };
  }

  /** Replaces a sent card for all its recipients (`atall`), spending `responseCode`. */
  async updateCard(responseCode: string, card: TemplateCard): Promise<void> {
    await this.#post("message/update_template_card", {
      atall: 1,
      agentid: this.#options.agentId,
      response_code: responseCode,
      template_card: card,
    });
  }

  /**
   * Uploads a file as temporary media (3 days; WeCom takes 5 B – 20 MB) and returns its
   * media_id. The multipart body is written by hand: WeCom's documented form carries
   * `filelength` in the part's Content-Disposition, which FormData cannot add.
   */
  async uploadFile(file: { name: string; mime: string; data: Buffer }): Promise<string> {
    const boundary = `----zhtj${randomBytes(12).toString("hex")}`;
    const name = file.name.replace(/["\r\n]/g, "_");
    const head = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="media"; filename="${name}"; filelength=${file.data.length}\r\nContent-Type: ${file.mime}\r\n\r\n`,
    );
    const body = Buffer.concat([head, file.data, Buffer.from(`\r\n--${boundary}--\r\n`)]);
    const answer = await this.#call("media/upload", "&type=file", {
      headers: { "content-type": `multipart/form-data; boundary=${boundary}` },
      body,
    });
    if (typeof answer.media_id !== "string")
      throw new WecomApiError("media/upload", -1, "no media_id");
    return answer.media_id;
  }

  /** Sends an uploaded file (`uploadFile`) as a file message. */
  async sendFile(touser: string, mediaId: string): Promise<{ msgid: string | null }> {
    const answer = await this.#post("message/send", {
      touser,
      msgtype: "file",
      agentid: this.#options.agentId,
      file: { media_id: mediaId },
    });
    refusedRecipient(answer, touser);
    return { msgid: typeof answer.msgid === "string" ? answer.msgid : null };
  }

  /**
   * A file a user sent (temporary media, `media/get`): its bytes, and its name from the
   * answer's Content-Disposition. A failure is JSON with an errcode instead of the file.
   */
  async downloadMedia(mediaId: string): Promise<{ data: Buffer; name: string | null }> {
    type Got = { answer: ApiAnswer } | { data: Buffer; name: string | null };
    const get = async (token: string): Promise<Got> => {
      const url = `${this.#options.apiRoot}/cgi-bin/media/get?access_token=${encodeURIComponent(token)}&media_id=${encodeURIComponent(mediaId)}`;
      const response = await fetch(url, { signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS) }).catch(
        (error: unknown) => {
          throw new Error(`WeCom media/get: ${error instanceof Error ? error.name : "failed"}`);
        },
      );
      if (!response.ok) throw new Error(`WeCom media/get: HTTP ${response.status}`);
      if ((response.headers.get("content-type") ?? "").includes("application/json"))
        return { answer: (await response.json()) as ApiAnswer };
      const name = fileNameOf(response.headers.get("content-disposition") ?? "");
      return { data: Buffer.from(await response.arrayBuffer()), name };
    };
    const token = await this.#accessToken(null);
    let got = await get(token);
    if ("answer" in got && TOKEN_ERRORS.has(got.answer.errcode ?? 0))
      got = await get(await this.#accessToken(token));
    if ("answer" in got)
      throw new WecomApiError("media/get", got.answer.errcode ?? -1, got.answer.errmsg ?? "");
    return got;
  }

  #post(api: string, body: unknown): Promise<ApiAnswer> {
    return this.#call(api, "", {
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  }

  async #call(
    api: string,
    query: string,
    init: { headers: Record<string, string>; body: string | Buffer },
  ): Promise<ApiAnswer> {
    const token = await this.#accessToken(null);
    let answer = await this.#request(api, token, query, init);
    if (TOKEN_ERRORS.has(answer.errcode ?? 0)) {
      answer = await this.#request(api, await this.#accessToken(token), query, init);
    }
    if ((answer.errcode ?? 0) !== 0) {
      throw new WecomApiError(api, answer.errcode ?? -1, answer.errmsg ?? "");
    }
    return answer;
  }

  /**
   * The cached token unless it is `rejected` or about to expire. Concurrent callers share one
   * refresh, and a caller whose token was already replaced takes the new one without another.
   */
  #accessToken(rejected: string | null): Promise<string> {
    const cached = this.#token;
    if (cached && cached.value !== rejected && cached.expiresAt > this.#clock()) {
      return Promise.resolve(cached.value);
    }
    this.#refreshing ??= this.#fetchToken().finally(() => {
      this.#refreshing = null;
    });
    return this.#refreshing;
  }

  async #fetchToken(): Promise<string> {
    const { apiRoot, corpId, secret } = this.#options;
    const query = `corpid=${encodeURIComponent(corpId)}&corpsecret=${encodeURIComponent(secret)}`;
    const answer = await this.#fetchJson("gettoken", `${apiRoot}/cgi-bin/gettoken?${query}`);
    if ((answer.errcode ?? 0) !== 0 || typeof answer.access_token !== "string") {
      throw new WecomApiError("gettoken", answer.errcode ?? -1, answer.errmsg ?? "");
    }
    const lifetimeMs = (typeof answer.expires_in === "number" ? answer.expires_in : 7200) * 1000;
    this.#token = {
      value: answer.access_token,
      expiresAt: this.#clock() + Math.max(0, lifetimeMs - TOKEN_MARGIN_MS),
    };
    return answer.access_token;
  }

  #request(
    api: string,
    token: string,
    query: string,
    init: { headers: Record<string, string>; body: string | Buffer },
  ): Promise<ApiAnswer> {
    const url = `${this.#options.apiRoot}/cgi-bin/${api}?access_token=${encodeURIComponent(token)}${query}`;
    const body = typeof init.body === "string" ? init.body : new Uint8Array(init.body);
    return this.#fetchJson(api, url, { method: "POST", headers: init.headers, body });
  }

  /** Errors name the API only: URLs carry the secret or the access token. */
  async #fetchJson(api: string, url: string, init: RequestInit = {}): Promise<ApiAnswer> {
    const response = await fetch(url, {
      ...init,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    }).catch((error: unknown) => {
      throw new Error(`WeCom ${api}: ${error instanceof Error ? error.name : "request failed"}`);
    });
    if (!response.ok) throw new Error(`WeCom ${api}: HTTP ${response.status}`);
    return (await response.json()) as ApiAnswer;
  }
}
