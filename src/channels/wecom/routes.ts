/**
 * The WeCom callback URL. GET verifies the URL when an admin saves it in the WeCom console;
 * POST carries messages and events. Both are signed and encrypted: anything that fails a
 * check is refused with a 4xx before it is read, and nothing of a message is logged.
 */
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { Hono } from "hono";
import { type WecomCrypto, WecomCryptoError } from "./crypto.ts";
import type { WecomMessage } from "./inbound.ts";

/** What the routes need once the app is ready. */
export interface WecomCallback {
  crypto: WecomCrypto;
  accept(message: WecomMessage): void;
}

/** Callbacks are a few hundred bytes; anything this big is not from WeCom. */
const MAX_BODY_BYTES = 64 * 1024;

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

/** `getCallback`: undefined when WeCom is not configured (404), null while starting (503). */
export function wecomRoutes(getCallback: () => WecomCallback | null | undefined) {
  const app = new Hono();

  app.get("/wecom/callback", (c) => {
    const callback = getCallback();
    if (callback === undefined) return c.notFound();
    if (callback === null) return c.body(null, 503);
    const q = rawQuery(c.req.url);
    const signature = q?.get("msg_signature");
    const timestamp = q?.get("timestamp");
    const nonce = q?.get("nonce");
    const echostr = q?.get("echostr");
    if (!signature || !timestamp || !nonce || !echostr) return c.body(null, 400);
    if (!callback.crypto.verify(signature, timestamp, nonce, echostr)) return c.body(null, 403);
    try {
      return c.text(callback.crypto.decrypt(echostr));
    } catch (error) {
      if (error instanceof WecomCryptoError) return c.body(null, 400);
      throw error;
    }
  });

  app.post("/wecom/callback", async (c) => {
    const callback = getCallback();
    if (callback === undefined) return c.notFound();
    if (callback === null) return c.body(null, 503);
    const q = rawQuery(c.req.url);
    const signature = q?.get("msg_signature");
    const timestamp = q?.get("timestamp");
    const nonce = q?.get("nonce");
    if (!signature || !timestamp || !nonce) return c.body(null, 400);
    const body = await c.req.text();
    if (Buffer.byteLength(body, "utf8") > MAX_BODY_BYTES) return c.body(null, 413);
    const encrypted = xmlFields(body, envelopeParser)?.Encrypt;
    if (!encrypted) return c.body(null, 400);
    if (!callback.crypto.verify(signature, timestamp, nonce, encrypted)) return c.body(null, 403);
    let plain: string;
    try {
      plain = callback.crypto.decrypt(encrypted);
    } catch (error) {
      if (error instanceof WecomCryptoError) return c.body(null, 400);
      throw error;
    }
    const message = xmlFields(plain, messageParser);
    if (!message?.FromUserName || !message.MsgType) return c.body(null, 400);
    callback.accept(message);
    // An empty 200 tells WeCom "received, no passive reply"; the answer follows by the API.
    return c.body(null, 200);
  });

  return app;
}
