/**
 * Where the master key comes from: `SECRET_KEY` (required with PostgreSQL, since every copy of
 * the app must share it; config.ts refuses to start without it), or on the embedded database a
 * key file made in `DATA_DIR` on first start. Losing the key loses every ID number: it is
 * backed up apart from the database (README, Security).
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { installSecretKeys } from "./sealing.ts";

export const KEY_FILE = "secret.key";
const HEX_KEY = /^[0-9a-fA-F]{64}$/;

export class KeyFileError extends Error {
  constructor(readonly path: string) {
    super(`${path} does not hold a 64-character hex key`);
    this.name = "KeyFileError";
  }
}

/** The key in `dataDir/secret.key`, made (readable by this user only) when there is none. */
export function keyFromDataDir(dataDir: string): Buffer {
  const path = join(dataDir, KEY_FILE);
  mkdirSync(dataDir, { recursive: true });
  try {
    // "wx": of two first starts racing, one makes the file and both read that one.
    writeFileSync(path, `${randomBytes(32).toString("hex")}\n`, { flag: "wx", mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  const text = readFileSync(path, "utf8").trim();
  if (!HEX_KEY.test(text)) throw new KeyFileError(path);
  return Buffer.from(text, "hex");
}

export const keyFromHex = (hex: string) => Buffer.from(hex, "hex");

/**
 * Installs the sealing keys the settings name: SECRET_KEY (and SECRET_KEY_PREVIOUS while
 * rotating), or the key file in the data directory. Before any ID number is read or written.
 */
export function installConfiguredKeys(
  settings: { current: string | null; previous: string | null },
  dataDir: string,
): void {
  installSecretKeys({
    current: settings.current ? keyFromHex(settings.current) : keyFromDataDir(dataDir),
    previous: settings.previous ? keyFromHex(settings.previous) : null,
  });
}
