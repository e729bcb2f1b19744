/** WeCom callback crypto against Tencent's own sample vectors, and every way to refuse. */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { WecomCrypto, WecomCryptoError } from "../../../src/channels/wecom/crypto.ts";
import { V1, V2 } from "./vectors.ts";

const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(WecomCryptoError);
    return (error as WecomCryptoError).reason;
  }
  throw new Error("expected a refusal");
};

describe("WeCom callback crypto", () => {
  it("vector 1: the official message verifies and decrypts to 'hello' from mycreate", () => {
    const crypto = new WecomCrypto(V1);
    expect(crypto.signature(V1.timestamp, V1.nonce, V1.encrypt)).toBe(V1.signature);
    expect(crypto.verify(V1.signature, V1.timestamp, V1.nonce, V1.encrypt)).toBe(true);
    const xml = crypto.decrypt(V1.encrypt);
    expect(xml).toContain("<Content><![CDATA[hello]]></Content>");
    expect(xml).toContain("<FromUserName><![CDATA[mycreate]]></FromUserName>");
    expect(xml).toContain("<MsgType><![CDATA[text]]></MsgType>");
  });

  it("vector 2: the official URL check verifies and decrypts to the echo string", () => {
    const crypto = new WecomCrypto(V2);
    expect(crypto.verify(V2.signature, V2.timestamp, V2.nonce, V2.echostr)).toBe(true);
    expect(crypto.decrypt(V2.echostr)).toBe(V2.plain);
  });

  it("the signature is SHA-1 of the sorted join, and any change refuses it", () => {
    const crypto = new WecomCrypto(V1);
    const independent = createHash("sha1")
      .update([V1.nonce, V1.encrypt, V1.timestamp, V1.token].sort().join(""))
      .digest("hex");
    expect(crypto.signature(V1.timestamp, V1.nonce, V1.encrypt)).toBe(independent);
    expect(crypto.verify(V1.signature, "1409659814", V1.nonce, V1.encrypt)).toBe(false);
    expect(crypto.verify(V1.signature.replace("4", "5"), V1.timestamp, V1.nonce, V1.encrypt)).toBe(
      false,
    );
    expect(crypto.verify("", V1.timestamp, V1.nonce, V1.encrypt)).toBe(false);
    expect(
      new WecomCrypto({ ...V1, token: "other" }).verify(
        V1.signature,
        V1.timestamp,
        V1.nonce,
        V1.encrypt,
      ),
    ).toBe(false);
  });

  it("round-trips with 32-byte PKCS#7 padding, a fixed random prefix giving a fixed ciphertext", () => {
    const crypto = new WecomCrypto(V1);
    const message = "<xml><Content><![CDATA[你好 hello]]></Content></xml>";
    const random = Buffer.alloc(16, 7);
    const sealed = crypto.encrypt(message, random);
    expect(crypto.encrypt(message, random)).toBe(sealed);
    expect(Buffer.from(sealed, "base64").length % 32).toBe(0);
    expect(crypto.decrypt(sealed)).toBe(message);
    // A length that fills whole blocks gets a whole block of padding (32 × 0x20).
    for (let n = 0; n < 70; n++)
      expect(crypto.decrypt(crypto.encrypt("x".repeat(n)))).toBe("x".repeat(n));
  });

  it("refuses another enterprise's corp id, bad padding, bad base64 and truncation", () => {
    const mine = new WecomCrypto(V1);
    const theirs = new WecomCrypto({ ...V1, corpId: "wx0000000000000000" });
    expect(refusal(() => mine.decrypt(theirs.encrypt("hi")))).toBe("corpId");
    // Same key, a corp id that only starts like ours.
    const longer = new WecomCrypto({ ...V1, corpId: `${V1.corpId}x` });
    expect(refusal(() => mine.decrypt(longer.encrypt("hi")))).toBe("corpId");

    // Flip the last ciphertext block's predecessor so the padding bytes come out wrong.
    const bytes = Buffer.from(V2.echostr, "base64");
    bytes[bytes.length - 17]! ^= 0x01;
    expect(refusal(() => new WecomCrypto(V2).decrypt(bytes.toString("base64")))).toBe("padding");

    expect(refusal(() => mine.decrypt("not base64!"))).toBe("encoding");
    expect(refusal(() => mine.decrypt(""))).toBe("encoding");
    expect(refusal(() => mine.decrypt(V1.encrypt.slice(0, 44)))).toBe("encoding");
  });

  it("rejects an EncodingAESKey that is not 32 bytes", () => {
    expect(() => new WecomCrypto({ ...V1, encodingAesKey: "short" })).toThrow();
  });
});
