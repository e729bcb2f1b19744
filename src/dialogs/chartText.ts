/**
 * The words of a chart. As SVG text they say what the chart shows (and resvg can draw them with
 * any font it finds); for the PNG they are drawn as the outlines of the chart font's glyphs,
 * because resvg reads the whole font file again for every text element it lays out: about
 * 2.4 ms an element with the 5 MB CJK font, 140 ms a chart of ten regions, against some 20 ms
 * with outlines (measured on Node 20, resvg-js 2.6). Glyphs come from fontkit, each outline
 * read once and kept.
 */
import { existsSync } from "node:fs";
import type { Font } from "fontkit";
import { escapeMarkup } from "../messages/escape.ts";

export interface TextStyle {
  x: number;
  y: number;
  size: number;
  fill: string;
  anchor?: "start" | "middle" | "end";
  bold?: boolean;
  /** A class for the element (tests find the axis ticks by it). */
  className?: string;
}

/** Draws a chart's words, one chart at a time: `defs()` ends the chart's SVG. */
export interface TextDrawer {
  text(content: string, style: TextStyle): string;
  defs(): string;
}

/** The words as SVG text elements. */
export function svgText(): TextDrawer {
  return {
    text: (content, s) =>
      `<text${s.className ? ` class="${s.className}"` : ""} x="${s.x}" y="${s.y}"` +
      `${s.anchor && s.anchor !== "start" ? ` text-anchor="${s.anchor}"` : ""}` +
      ` font-size="${s.size}"${s.bold ? ` font-weight="bold"` : ""} fill="${s.fill}">` +
      `${escapeMarkup(content)}</text>`,
    defs: () => "",
  };
}

/** Debian's fonts-wqy-microhei (and its sibling): the chart font's file, where it is installed. */
export const CHART_FONT_FILES = [
  "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
  "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
];

let loading: Promise<Font | null> | null = null;

async function chartFont(): Promise<Font | null> {
  loading ??= (async () => {
    const file = CHART_FONT_FILES.find((f) => existsSync(f));
    if (!file) return null;
    try {
      const fontkit = await import("fontkit");
      const opened = fontkit.openSync(file);
      return "fonts" in opened ? (opened.fonts[0] ?? null) : opened;
    } catch {
      return null;
    }
  })();
  return loading;
}

/** Outlines of each glyph in font units, y up, read once (a province's names use a few thousand). */
const outlines = new Map<number, string>();
const MAX_OUTLINES = 8_192;

/**
 * The words as glyph outlines of the chart font; as SVG text when the font is not installed,
 * and for a string with a character the font lacks (resvg then falls back to another font).
 */
export async function outlinedText(): Promise<TextDrawer> {
  const font = await chartFont();
  if (!font) return svgText();
  const plain = svgText();
  const used = new Set<number>();
  if (outlines.size > MAX_OUTLINES) outlines.clear();
  return {
    text(content, s) {
      if ([...content].some((c) => !font.hasGlyphForCodePoint(c.codePointAt(0)!)))
        return plain.text(content, s);
      const run = font.layout(content);
      const scale = s.size / font.unitsPerEm;
      const width = run.positions.reduce((sum, p) => sum + p.xAdvance, 0) * scale;
      const x0 = s.anchor === "end" ? s.x - width : s.anchor === "middle" ? s.x - width / 2 : s.x;
      let advance = 0;
      const uses = run.glyphs.map((glyph, i) => {
        if (!outlines.has(glyph.id)) outlines.set(glyph.id, glyph.path.toSVG());
        used.add(glyph.id);
        const use = `<use href="#g${glyph.id}" x="${advance}"/>`;
        advance += run.positions[i]!.xAdvance;
        return use;
      });
      // A stroke of the fill's colour thickens the single-weight font for a bold title.
      const stroke = s.bold ? ` stroke="${s.fill}" stroke-width="${(0.6 / scale).toFixed(0)}"` : "";
      return (
        `<g${s.className ? ` class="${s.className}"` : ""} fill="${s.fill}"${stroke}` +
        ` transform="translate(${x0.toFixed(2)} ${s.y}) scale(${scale.toFixed(5)} ${(-scale).toFixed(5)})">` +
        `${uses.join("")}</g>`
      );
    },
    defs: () =>
      used.size === 0
        ? ""
        : `<defs>${[...used].map((id) => `<path id="g${id}" d="${outlines.get(id)}"/>`).join("")}</defs>`,
  };
}
