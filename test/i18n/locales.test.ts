/** Issue 5.4: every string in both languages with the same keys; no literals in src/. */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { LOCALES, LOCALES_DIR } from "../../src/i18n.ts";

const SRC = new URL("../../src", import.meta.url).pathname;

/** Dotted paths of every leaf string. */
function keysOf(value: unknown, prefix = ""): string[] {
  if (typeof value !== "object" || value === null) return [prefix];
  return Object.entries(value).flatMap(([k, v]) => keysOf(v, prefix ? `${prefix}.${k}` : k));
}

const jsonFiles = (lang: string) =>
  readdirSync(join(LOCALES_DIR, lang))
    .filter((f) => f.endsWith(".json"))
    .sort();

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? tsFiles(join(dir, e.name))
      : e.name.endsWith(".ts")
        ? [join(dir, e.name)]
        : [],
  );
}

/**
 * Removes comments but keeps strings (a `//` inside a string is not a comment). Regular
 * expression literals are rare enough here not to need a parser.
 */
function stripComments(code: string): string {
  return code.replace(
    /("(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'|`(?:\\[\s\S]|[^`\\])*`)|\/\*[\s\S]*?\*\/|\/\/[^\n]*/g,
    (_match, literal: string | undefined) => literal ?? "",
  );
}

describe("locales", () => {
  it("has the same namespace files in every language", () => {
    for (const lang of LOCALES) expect(jsonFiles(lang), lang).toEqual(jsonFiles("zh-CN"));
  });

  it.each(jsonFiles("zh-CN"))("has the same keys in every language in %s", (file) => {
    const zh = keysOf(JSON.parse(readFileSync(join(LOCALES_DIR, "zh-CN", file), "utf8"))).sort();
    for (const lang of LOCALES) {
      const other = keysOf(JSON.parse(readFileSync(join(LOCALES_DIR, lang, file), "utf8"))).sort();
      expect({
        lang,
        missing: zh.filter((k) => !other.includes(k)),
        extra: other.filter((k) => !zh.includes(k)),
      }).toEqual({ lang, missing: [], extra: [] });
    }
  });

  it("strips comments but not strings", () => {
    expect(stripComments('const a = "x // 中"; // 中文\n/* 中 */ b')).toBe(
      'const a = "x // 中"; \n b',
    );
  });

  it("has no Chinese text in src/**/*.ts outside comments", () => {
    const offenders = tsFiles(SRC).flatMap((file) =>
      stripComments(readFileSync(file, "utf8"))
        .split("\n")
        .filter((line) => /\p{Script=Han}/u.test(line))
        .map((line) => `${relative(SRC, file)}: ${line.trim()}`),
    );
    expect(offenders).toEqual([]);
  });
});
