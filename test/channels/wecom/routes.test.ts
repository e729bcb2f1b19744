/**
 * The callback routes: Tencent's URL-check vector through HTTP, and every refusal (bad
 * signature, padding, corp id, XML) answered 4xx with nothing handed on to be processed.
 */
import { describe, expect, it } from "vitest";
import { WecomCrypto } from "../../../src/channels/wecom/crypto.ts";
import type { WecomMessage } from "../../../src/channels/wecom/inbound.ts";
import { createHttpApp, type Readiness } from "../../../src/http/app.ts";
import { V2 } from "./vectors.ts";
import { envelope, messageXml, signedPath } from "./wire.ts";

const SETTINGS = {
  token: "route-token",
  encodingAesKey: "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
  corpId: "ww-test-corp",
};

/** WeCom's clock at the callbacks' timestamp (wire.ts signs with 1786000000 by default). */
function setup(
  settings = SETTINGS,
  state: "ready" | "starting" | "off" = "ready",
  at = 1786000000,
) {
  const crypto = new WecomCrypto(settings);
  const accepted: WecomMessage[] = [];
  const readiness: Readiness = { db: state === "ready" ? "pglite" : null };
  if (state !== "off")
    readiness.wecomCallback = () => ({
      crypto,
      accept: async (m) => {
        accepted.push(m);
      },
      now: () => new Date(at * 1000),
    });
  return { app: createHttpApp(readiness, "zh-CN"), crypto, accepted };
}

const text = (content = "你好") =>
  messageXml({
    ToUserName: SETTINGS.corpId,
    FromUserName: "zhangsan",
    CreateTime: 1786000000,
    MsgType: "text",
    Content: content,
    MsgId: "7300000000000000001",
    AgentID: 1000002,
  });

describe("WeCom callback routes", () => {
  it("GET answers Tencent's URL check with the decrypted echostr, '+' kept as sent", async () => {
    const { app } = setup(V2, "ready", Number(V2.timestamp));
    const q = `msg_signature=${V2.signature}&timestamp=${V2.timestamp}&nonce=${V2.nonce}`;
    // Raw, as a URL-unaware sender would put it, and percent-encoded: the same echostr.
    for (const echostr of [V2.echostr, encodeURIComponent(V2.echostr)]) {
      const res = await app.request(`/wecom/callback?${q}&echostr=${echostr}`);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe(V2.plain);
    }
    const forged = await app.request(
      `/wecom/callback?msg_signature=${"0".repeat(40)}&timestamp=${V2.timestamp}&nonce=${V2.nonce}&echostr=${encodeURIComponent(V2.echostr)}`,
    );
    expect(forged.status).toBe(403);
    expect(await forged.text()).toBe("");
    expect((await app.request(`/wecom/callback?${q}`)).status).toBe(400);
  });

  it("POST acknowledges a valid message with an empty 200 and hands it on", async () => {
    const { app, crypto, accepted } = setup();
    const encrypted = crypto.encrypt(text("hello & 你好"));
    const res = await app.request(signedPath(crypto, encrypted), {
      method: "POST",
      body: envelope(encrypted),
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("");
    expect(accepted).toEqual([
      expect.objectContaining({
        FromUserName: "zhangsan",
        MsgType: "text",
        Content: "hello & 你好",
        MsgId: "7300000000000000001",
        CreateTime: "1786000000",
      }),
    ]);
  });

  it("refuses a bad signature (403), bad padding, another corp id, malformed XML (400)", async () => {
    const { app, crypto, accepted } = setup();
    const post = (path: string, body: string) => app.request(path, { method: "POST", body });
    const good = crypto.encrypt(text());

    const wrongSignature = signedPath(new WecomCrypto({ ...SETTINGS, token: "other" }), good);
    expect((await post(wrongSignature, envelope(good))).status).toBe(403);
    const unsigned = `/wecom/callback?timestamp=1&nonce=2`;
    expect((await post(unsigned, envelope(good))).status).toBe(400);
    // A correct signature over a different ciphertext.
    const other = crypto.encrypt(text("other"));
    expect((await post(signedPath(crypto, other), envelope(good))).status).toBe(403);

    const bytes = Buffer.from(good, "base64");
    bytes[bytes.length - 17]! ^= 0x01;
    const badPadding = bytes.toString("base64");
    expect((await post(signedPath(crypto, badPadding), envelope(badPadding))).status).toBe(400);

    const foreign = new WecomCrypto({ ...SETTINGS, corpId: "ww-someone-else" }).encrypt(text());
    expect((await post(signedPath(crypto, foreign), envelope(foreign))).status).toBe(400);

    expect((await post(signedPath(crypto, good), "<xml><Encrypt>oops</xml>")).status).toBe(400);
    expect((await post(signedPath(crypto, good), "not xml at all")).status).toBe(400);
    const doctype = `<!DOCTYPE xml [<!ENTITY a "aaaa">]>${envelope(good)}`;
    expect((await post(signedPath(crypto, good), doctype)).status).toBe(400);
    const garbage = crypto.encrypt("<xml><FromUserName>zhangsan</Content></xml>");
    expect((await post(signedPath(crypto, garbage), envelope(garbage))).status).toBe(400);
    const noSender = crypto.encrypt(messageXml({ MsgType: "text", Content: "x" }));
    expect((await post(signedPath(crypto, noSender), envelope(noSender))).status).toBe(400);

    expect(accepted).toEqual([]);
  });

  it("is 404 when WeCom is not configured and 503 while the app starts", async () => {
    const off = setup(SETTINGS, "off");
    expect((await off.app.request("/wecom/callback", { method: "POST", body: "" })).status).toBe(
      404,
    );
    const starting = setup(SETTINGS, "starting");
    expect((await starting.app.request("/wecom/callback?echostr=x")).status).toBe(503);
  });
});
