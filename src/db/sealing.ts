/**
 * Secrets at rest (R4, SPEC §8): ID numbers and the web chat's stored conversation are sealed
 * with AES-256-GCM; ID numbers and binding codes are found by an HMAC. Every reader and writer of
 * those columns goes through this module, so a copy of the database alone reveals neither an ID
 * number nor a birth date (digits 7–14 of the number) nor a usable code.
 *
 * The keys are derived (HKDF-SHA256) from one 32-byte master key, `SECRET_KEY` or the key file
 * of the embedded database (src/db/secretKey.ts). They are process-wide like the locales: the
 * process is started with one key, and `installSecretKeys` is called once before the database
 * is touched. During a key rotation the previous key is kept so old values can still be opened
 * (and are re-sealed at start-up, src/db/resealing.ts).
 *
 * Sealed text is `1.<key id>.<base64url(iv ‖ ciphertext ‖ tag)>`: the key id says which key
 * opens it. The purpose is the GCM associated data, so a sealed log line cannot be moved into
 * an ID number column and opened there.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  createSecretKey,
  hkdfSync,
  type KeyObject,
  randomBytes,
} from "node:crypto";
import { parseIdNumber } from "../domain/idNumber.ts";

export type SealPurpose = "id-number" | "chat-log" | "inbound" | "export-file";

const VERSION = "1";
const IV_BYTES = 12;
const TAG_BYTES = 16;

interface DerivedKeys {
  id: string;
  seal: KeyObject;
  idLookup: KeyObject;
  codeLookup: KeyObject;
}

let current: DerivedKeys | null = null;
let previous: DerivedKeys | null = null;

const subkey = (master: Buffer, label: string) =>
  createSecretKey(Buffer.from(hkdfSync("sha256", master, "zhtj-bot", label, 32)));

function derive(master: Buffer): DerivedKeys {
  if (master.length !== 32) throw new Error("a secret key is 32 bytes");
  return {
    // Names the key in sealed values without revealing anything about it.
    id: createHmac("sha256", subkey(master, "key-id")).update("key-id").digest("hex").slice(0, 8),
    seal: subkey(master, "seal"),
    idLookup: subkey(master, "id-number-lookup"),
    codeLookup: subkey(master, "binding-code-lookup"),
  };
}

/** The key to seal with, and during a rotation the one sealed values may still be under. */
export function installSecretKeys(keys: { current: Buffer; previous?: Buffer | null }): void {
  current = derive(keys.current);
  previous = keys.previous ? derive(keys.previous) : null;
  if (previous?.id === current.id) previous = null;
}

function keys(): DerivedKeys {
  if (!current) throw new Error("installSecretKeys was not called before sealing");
  return current;
}

/** The id of the current key, and of the previous one during a rotation. */
export function keyIds(): { current: string; previous: string | null } {
  return { current: keys().id, previous: previous?.id ?? null };
}

/** Raised when a sealed value was made with a key this process does not have. */
export class UnknownKeyError extends Error {
  constructor(readonly keyId: string) {
    super(`sealed with key ${keyId}, which is neither SECRET_KEY nor SECRET_KEY_PREVIOUS`);
    this.name = "UnknownKeyError";
  }
}

function sealWith(k: DerivedKeys, plain: string, purpose: SealPurpose, iv: Buffer): string {
  const cipher = createCipheriv("aes-256-gcm", k.seal, iv);
  cipher.setAAD(Buffer.from(purpose));
  const body = Buffer.concat([
    iv,
    cipher.update(plain, "utf8"),
    cipher.final(),
    cipher.getAuthTag(),
  ]);
  return `${VERSION}.${k.id}.${body.toString("base64url")}`;
}

/** Seals text under the current key. */
export function seal(plain: string, purpose: SealPurpose): string {
  return sealWith(keys(), plain, purpose, randomBytes(IV_BYTES));
}

/** The key id a sealed value names, or null when it is not sealed text. */
export function sealedKeyId(sealed: string): string | null {
  const [version, id] = sealed.split(".", 2);
  return version === VERSION && id && id.length === 8 ? id : null;
}

/** Opens a sealed value; throws when it was tampered with or made for another purpose. */
export function open(sealed: string, purpose: SealPurpose): string {
  const k = keys();
  const id = sealedKeyId(sealed);
  const key = id === k.id ? k : id !== null && id === previous?.id ? previous : null;
  if (!key) throw new UnknownKeyError(id ?? "?");
  const body = Buffer.from(sealed.slice(VERSION.length + 1 + 8 + 1), "base64url");
  const decipher = createDecipheriv("aes-256-gcm", key.seal, body.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(purpose));
  decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
  return Buffer.concat([
    decipher.update(body.subarray(IV_BYTES, body.length - TAG_BYTES)),
    decipher.final(),
  ]).toString("utf8");
}

// ID numbers

/** What a member row stores of an ID number: the lookup hash and the sealed number. */
export interface SealedIdNumber {
  idHash: string;
  idSealed: string;
}

/** Upper-case, trimmed: the form every hash is taken of (parseIdNumber's normal form). */
const normalIdNumber = (idNumber: string) => idNumber.trim().toUpperCase();

const lookupHash = (k: DerivedKeys, idNumber: string) =>
  createHmac("sha256", k.idLookup).update(normalIdNumber(idNumber)).digest("base64url");

/** The keyed hash a member is found by (`members.id_hash`). */
export function idNumberHash(idNumber: string): string {
  return lookupHash(keys(), idNumber);
}

/**
 * Seals many ID numbers at once (imports of a whole province): one random read for every IV,
 * about 6 µs a number on this machine.
 */
export function sealIdNumbers(idNumbers: readonly string[]): SealedIdNumber[] {
  const k = keys();
  const ivs = randomBytes(IV_BYTES * idNumbers.length);
  return idNumbers.map((raw, i) => {
    const idNumber = normalIdNumber(raw);
    return {
      idHash: lookupHash(k, idNumber),
      idSealed: sealWith(k, idNumber, "id-number", ivs.subarray(i * IV_BYTES, (i + 1) * IV_BYTES)),
    };
  });
}

export function sealIdNumber(idNumber: string): SealedIdNumber {
  return sealIdNumbers([idNumber])[0]!;
}

/** The ID number of a member row (`members.id_sealed`). */
export function openIdNumber(sealed: string | null): string {
  if (sealed === null) throw new Error("this member's ID number is not sealed yet");
  return open(sealed, "id-number");
}

/**
 * The birth date ("YYYY-MM-DD") of a sealed ID number: it is part of the number (R4), so it is
 * stored nowhere else, and ages (R19, R31) are computed from it when a rule asks.
 */
export function birthDateOf(sealed: string | null): string {
  const parsed = parseIdNumber(openIdNumber(sealed));
  if (!parsed.ok) throw new Error("a stored ID number does not parse");
  return parsed.birthDate;
}

// Binding codes

/**
 * The keyed hash a binding code is stored under: without the server's key, a leaked table
 * cannot be searched by hashing candidate codes. During a rotation the previous key's hash is
 * tried too, so codes handed out before it still work until they expire.
 */
export function codeHashes(normalizedCode: string): string[] {
  const hash = (k: DerivedKeys) =>
    createHmac("sha256", k.codeLookup).update(normalizedCode).digest("base64url");
  return previous ? [hash(keys()), hash(previous)] : [hash(keys())];
}
