/**
 * WeCom's callback crypto ("WXBizMsgCrypt"), on node:crypto alone. The common npm package does
 * not check the corp id at the end of the plaintext, so a message encrypted for another
 * enterprise with a leaked key would pass there; here it does not.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  randomBytes,
  timingSafeEqual,
} from "node:crypto";

/** PKCS#7 here pads to 32-byte blocks (the key size), not AES's 16. */
const BLOCK = 32;
const RANDOM_PREFIX = 16;
const LENGTH_FIELD = 4;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export type CryptoFailure = "signature" | "encoding" | "padding" | "length" | "corpId";

/** Why a callback was refused; carries no part of the message. */
export class WecomCryptoError extends Error {
  constructor(readonly reason: CryptoFailure) {
    super(`WeCom callback refused: ${reason}`);
    this.name = "WecomCryptoError";
  }
}

export interface WecomCryptoOptions {
  token: string;
  /** The 43 characters from the admin console; base64 of the 32-byte AES key minus its "=". */
  encodingAesKey: string;
  corpId: string;
}

export class WecomCrypto {
  readonly #token: string;
  readonly #key: Buffer;
  readonly #corpId: Buffer;

  constructor(options: WecomCryptoOptions) {
    this.#token = options.token;
    this.#key = Buffer.from(`${options.encodingAesKey}=`, "base64");
    if (this.#key.length !== 32) throw new Error("WeCom EncodingAESKey must decode to 32 bytes");
    this.#corpId = Buffer.from(options.corpId, "utf8");
  }

  /** SHA-1 hex of the sorted, concatenated token, timestamp, nonce and ciphertext. */
  signature(timestamp: string, nonce: string, encrypted: string): string {
    const joined = [this.#token, timestamp, nonce, encrypted].sort().join("");
    return createHash("sha1").update(joined, "utf8").digest("hex");
  }

  /** Constant time, so a forger learns nothing from how long a wrong guess took. */
  verify(signature: string, timestamp: string, nonce: string, encrypted: string): boolean {
    const expected = Buffer.from(this.signature(timestamp, nonce, encrypted), "utf8");
    const given = Buffer.from(signature.toLowerCase(), "utf8");
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  /** The message inside `encrypted`; throws `WecomCryptoError` on any irregularity. */
  decrypt(encrypted: string): string {
    if (!BASE64.test(encrypted)) throw new WecomCryptoError("encoding");
    const data = Buffer.from(encrypted, "base64");
    if (data.length === 0 || data.length % BLOCK !== 0) throw new WecomCryptoError("encoding");
    const decipher = createDecipheriv("aes-256-cbc", this.#key, this.#key.subarray(0, 16));
    decipher.setAutoPadding(false);
    const padded = Buffer.concat([decipher.update(data), decipher.final()]);
    const pad = padded[padded.length - 1]!;
    if (pad < 1 || pad > BLOCK || pad > padded.length) throw new WecomCryptoError("padding");
    for (let i = padded.length - pad; i < padded.length; i++) {
      if (padded[i] !== pad) throw new WecomCryptoError("padding");
    }
    const plain = padded.subarray(0, padded.length - pad);
    if (plain.length < RANDOM_PREFIX + LENGTH_FIELD) throw new WecomCryptoError("length");
    const length = plain.readUInt32BE(RANDOM_PREFIX);
    const start = RANDOM_PREFIX + LENGTH_FIELD;
    if (length > plain.length - start) throw new WecomCryptoError("length");
    if (!plain.subarray(start + length).equals(this.#corpId)) throw new WecomCryptoError("corpId");
    return plain.subarray(start, start + length).toString("utf8");
  }

  /** The ciphertext WeCom expects for `message` (passive replies; the tests' fake server). */
  encrypt(message: string, random: Buffer = randomBytes(RANDOM_PREFIX)): string {
    if (random.length !== RANDOM_PREFIX) throw new Error("the random prefix is 16 bytes");
    const body = Buffer.from(message, "utf8");
    const length = Buffer.alloc(LENGTH_FIELD);
    length.writeUInt32BE(body.length);
    const plain = Buffer.concat([random, length, body, this.#corpId]);
    const pad = BLOCK - (plain.length % BLOCK);
    const cipher = createCipheriv("aes-256-cbc", this.#key, this.#key.subarray(0, 16));
    cipher.setAutoPadding(false);
    return Buffer.concat([
      cipher.update(Buffer.concat([plain, Buffer.alloc(pad, pad)])),
      cipher.final(),
    ]).toString("base64");
  }
}
