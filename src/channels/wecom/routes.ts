/**
 * The WeCom callback URL. GET verifies the URL when an admin saves it in the WeCom console;
 * POST carries messages and events. Both are signed and encrypted: anything that fails a
 * check is refused with a 4xx before it is read, and nothing of a message is logged. A message
 * is acknowledged only once stored in the inbound queue.
 */
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { type Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { type WecomCrypto, WecomCryptoError } from "./crypto.ts";
import type { WecomMessage } from "./inbound.ts";

/** What the routes need once the app is ready. */
export interface WecomCallback {
  crypto: WecomCrypto;
  /** Stores the message for handling; the callback is answered 200 only once it resolves. */
  accept(message: WecomMessage): Promise<void>;
  /** The clock the callback's timestamp is judged by. */
  now(): Date;
}

/** Callbacks are a few hundred bytes; anything this big is not from WeCom. */
const MAX_BODY_BYTES = 64 * 1024;

/**
 * A signed callback is good for this long after its timestamp (a replay of a recorded one is
 * refused later), and may run this far ahead of our clock.
 */
const MAX_AGE_S = 5 * 60;
const MAX_AHEAD_S = 30;

// `parseTagValue: false` keeps ids such as MsgId strings (they exceed 2^53).
// The envelope is read before its signature is checked: no entities there.
const envelopeParser = new XMLParser({ parseTagValue: false, processEntities: false });
const messageParser = new XMLParser({ parseTagValue: false });

/**
 * The query as sent: a URL query parser turns `+` into a space, which breaks base64 values
 * such as `echostr`; only percent-escapes are decoded here.
 */
function rawQuery(url: string): Map<string, string> | null {
  const params = new Map<string, string>();
  for (const pair of new URL(url).search.slice(1).split("&")) {
    if (!pair) continue;
    const at = pair.indexOf("=");
    try {
      params.set(
        decodeURIComponent(at < 0 ? pair : pair.slice(0, at)),
        decodeURIComponent(at < 0 ? "" : pair.slice(at + 1)),
      );
    } catch {
      return null;
    }
  }
  return params;
}

/** The string fields under `<xml>`, or null when it is not well-formed XML of that shape. */
function xmlFields(xml: string, parser: XMLParser): WecomMessage | null {
  if (/<!DOCTYPE/i.test(xml) || XMLValidator.validate(xml) !== true) return null;
  const root: unknown = (parser.parse(xml) as { xml?: unknown }).xml;
  if (typeof root !== "object" || root === null) return null;
  return Object.fromEntries(
    Object.entries(root).filter((entry): entry is [string, string] => typeof entry[1] === "string"),
  );
}

interface SignedRequest {
  callback: WecomCallback;
  query: Map<string, string>;
  /** True when the request's signature covers `payload` (WeCom signs the encrypted part). */
  signs(payload: string): boolean;
}

/** What both methods check first: the app is ready and the signature parameters are there. */
function signedRequest(
  c: Context,
  getCallback: () => WecomCallback | null | undefined,
): SignedRequest | Response {
  const callback = getCallback();
  if (callback === undefined) return c.body(null, 404);
  if (callback === null) return c.body(null, 503);
  const query = rawQuery(c.req.url);
  const signature = query?.get("msg_signature");
  const timestamp = query?.get("timestamp");
  const nonce = query?.get("nonce");
  if (!query || !signature || !timestamp || !nonce) return c.body(null, 400);
  const age = callback.now().getTime() / 1000 - Number(timestamp);
  if (!/^\d{1,12}$/.test(timestamp) || age > MAX_AGE_S || age < -MAX_AHEAD_S)
    return c.body(null, 403);
  return {
    callback,
    query,
    signs: (payload) => callback.crypto.verify(signature, timestamp, nonce, payload),
  };
}

/** The plaintext, or null when it does not decrypt with our key. */
function decrypted(callback: WecomCallback, payload: string): string | null {
  try {
    return callback.crypto.decrypt(payload);
  } catch (error) {
    if (error instanceof WecomCryptoError) return null;
    throw error;
  }
}

/** `getCallback`: undefined when WeCom is not configured (404), null while starting (503). */
export function wecomRoutes(getCallback: () => WecomCallback | null | undefined) {
  const app = new Hono();

  app.get("/wecom/callback", (c) => {
    const request = signedRequest(c, getCallback);
    if (request instanceof Response) return request;
    const echostr = request.query.get("echostr");
    if (!echostr) return c.body(null, 400);
    if (!request.signs(echostr)) return c.body(null, 403);
    const plain = decrypted(request.callback, echostr);
    return plain === null ? c.body(null, 400) : c.text(plain);
  });

  // The limit is enforced while the body streams in, before anything of it is read.
  app.post(
    "/wecom/callback",
    bodyLimit({ maxSize: MAX_BODY_BYTES, onError: (c) => c.body(null, 413) }),
    async (c) => {
      const request = signedRequest(c, getCallback);
      if (request instanceof Response) return request;
      const body = await c.req.text();
      const encrypted = xmlFields(body, envelopeParser)?.Encrypt;
      if (!encrypted) return c.body(null, 400);
      if (!request.signs(encrypted)) return c.body(null, 403);
      const plain = decrypted(request.callback, encrypted);
      if (plain === null) return c.body(null, 400);
      const message = xmlFields(plain, messageParser);
      if (!message?.FromUserName || !message.MsgType) return c.body(null, 400);
      // Stored first: WeCom never resends a callback it got a 200 for. A database that cannot
      // be reached makes this a 503 (the HTTP app), and WeCom tries again.
      await request.callback.accept(message);
      // An empty 200 tells WeCom "received, no passive reply"; the answer follows by the API.
      return c.body(null, 200);
    },
  );

  return app;
}
