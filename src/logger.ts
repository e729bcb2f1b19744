/**
 * The one logger. ID numbers and tokens never reach a log line (R4): known fields are redacted
 * by path, and anything shaped like an ID number or a bot token in free text is masked.
 */
import pino, { type Logger } from "pino";
import { maskIdNumber } from "./domain/idNumber.ts";

const ID_NUMBER_IN_TEXT = /(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])/g;
const BOT_TOKEN_IN_TEXT = /\b\d{6,12}:[A-Za-z0-9_-]{30,}\b/g;

/** Masks ID numbers and bot tokens inside arbitrary text. */
export function scrub(text: string): string {
  return text
    .replace(ID_NUMBER_IN_TEXT, (m) => maskIdNumber(m))
    .replace(BOT_TOKEN_IN_TEXT, "[token]");
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
        err(err: Error) {
          const serialized = pino.stdSerializers.err(err);
          return {
            ...serialized,
            message: scrub(serialized.message),
            stack: scrub(serialized.stack ?? ""),
          };
        },
      },
    },
    destination,
  );
}

export type { Logger };
