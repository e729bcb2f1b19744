/** The part of fontkit (no types of its own) the chart's words use: chartText.ts. */
declare module "fontkit" {
  export interface Glyph {
    id: number;
    path: { toSVG(): string };
  }
  export interface Font {
    unitsPerEm: number;
    hasGlyphForCodePoint(codePoint: number): boolean;
    layout(text: string): { glyphs: Glyph[]; positions: { xAdvance: number }[] };
  }
  /** A font file: one font, or a collection (.ttc) of them. */
  export function openSync(path: string): Font | { fonts: Font[] };
}
