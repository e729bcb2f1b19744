/** Builds callbacks the way WeCom sends them: an encrypted, signed XML envelope. */
import type { WecomCrypto } from "../../../src/channels/wecom/crypto.ts";

const cdata = (value: string) => `<![CDATA[${value}]]>`;

/** A plaintext callback message; numbers stay bare, like WeCom's. */
export function messageXml(fields: Record<string, string | number>): string {
  const body = Object.entries(fields)
    .map(([k, v]) => `<${k}>${typeof v === "number" ? v : cdata(v)}</${k}>`)
    .join("");
  return `<xml>${body}</xml>`;
}

export function envelope(encrypted: string, corpId = "ww-test-corp"): string {
  return messageXml({ ToUserName: corpId, Encrypt: encrypted, AgentID: 1000002 });
}

/** The callback URL with WeCom's query (signature over `encrypted`). */
export function signedPath(
  crypto: WecomCrypto,
  encrypted: string,
  extra: Record<string, string> = {},
  { timestamp = "1786000000", nonce = "5551234" } = {},
): string {
  const signature = crypto.signature(timestamp, nonce, encrypted);
  const query = { msg_signature: signature, timestamp, nonce, ...extra };
  return `/wecom/callback?${Object.entries(query)
    .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
    .join("&")}`;
}
