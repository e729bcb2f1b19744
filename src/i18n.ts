/**
 * i18next over the JSON files in `locales/<lang>/<namespace>.json`, loaded synchronously at
 * import so that even start-up errors are localized.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import i18next, { type TFunction } from "i18next";

export const LOCALES = ["zh-CN", "en"] as const;
export type Locale = (typeof LOCALES)[number];
export const LOCALES_DIR = fileURLToPath(new URL("../locales", import.meta.url));

function loadResources() {
  const resources: Record<string, Record<string, unknown>> = {};
  for (const lang of LOCALES) {
    const dir = join(LOCALES_DIR, lang);
    resources[lang] = {};
    for (const file of readdirSync(dir).filter((f) => f.endsWith(".json"))) {
      resources[lang][file.slice(0, -5)] = JSON.parse(readFileSync(join(dir, file), "utf8"));
    }
  }
  return resources;
}

const resources = loadResources();
const namespaces = Object.keys(resources["zh-CN"] ?? {});

export const i18n = i18next.createInstance();
await i18n.init({
  resources: resources as never,
  lng: "zh-CN",
  fallbackLng: "zh-CN",
  supportedLngs: [...LOCALES],
  ns: namespaces,
  defaultNS: "common",
  interpolation: { escapeValue: false },
  returnNull: false,
  initAsync: false,
});

export function isLocale(value: unknown): value is Locale {
  return typeof value === "string" && (LOCALES as readonly string[]).includes(value);
}

/** A translate function fixed to one language. */
export function translator(locale: Locale): TFunction {
  return i18n.getFixedT(locale);
}
