/**
 * The one logger. ID numbers and tokens never reach a log line (R4): known fields are redacted
 * by path, and anything shaped like an ID number or a bot token in free text is masked.
 */
import pino, { type Logger } from "pino";
import { maskIdNumber } from "./domain/idNumber.ts";

const ID_NUMBER_IN_TEXT = /(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])/g;
// No word boundary before the digits: in an API URL the token follows "bot" directly.
const BOT_TOKEN_IN_TEXT = /(?<!\d)\d{6,12}:[A-Za-z0-9_-]{30,}/g;

/** Masks ID numbers and bot tokens inside arbitrary text. */
export function scrub(text: string): string {
  return text
    .replace(ID_NUMBER_IN_TEXT, (m) => maskIdNumber(m))
    .replace(BOT_TOKEN_IN_TEXT, "[token]");
}

/** Every string inside a value (objects, arrays, causes), masked. */
export function scrubDeep<T>(value: T, depth = 0): T {
  if (typeof value === "string") return scrub(value) as T;
  if (depth > 8 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => scrubDeep(v, depth + 1)) as T;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = scrubDeep(v, depth + 1);
  return out as T;
}

const REDACT = [
  "idNumber",
  "*.idNumber",
  "*.*.idNumber",
  "id_number",
  "*.id_number",
  "token",
  "*.token",
  "secret",
  "*.secret",
  "encodingAesKey",
  "*.encodingAesKey",
  "webhookSecret",
  "*.webhookSecret",
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACT, censor: "[redacted]" },
      hooks: {
        logMethod(args, method) {
          method.apply(
            this,
            args.map((a) => (typeof a === "string" ? scrub(a) : a)) as Parameters<typeof method>,
          );
        },
      },
      serializers: {
        // Nested causes carry request URLs (a bot token in the path) and driver messages
        // (an ID number in a failed insert): every string of the serialized error is scrubbed.
        err: (err: Error) => scrubDeep(pino.stdSerializers.err(err)),
      },
    },
    destination,
  );
}

export type { Logger };
