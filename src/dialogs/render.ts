/** Turns key-based replies into strings of one locale. */
import { type Locale, translator } from "../i18n.ts";
import type { Message, Text } from "./types.ts";

export type Translate = (t: Text) => string;

export function translate(locale: Locale): Translate {
  const t = translator(locale);
  const one = (x: Text): string => {
    const params: Record<string, string | number> = {};
    for (const [name, value] of Object.entries(x.params ?? {})) {
      params[name] = typeof value === "object" ? one(value) : value;
    }
    return t(x.key, params) as string;
  };
  return one;
}

export function renderMessage(tr: Translate, message: Message): string {
  return Array.isArray(message) ? message.map(tr).join("\n") : tr(message);
}
