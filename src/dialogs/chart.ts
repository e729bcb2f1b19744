/**
 * The digest's chart of per-child SX / XS: an SVG of horizontal bars on a fixed 0–100% axis (so
 * a short bar always means a low rate), each labelled with its rate and counts, rendered to PNG
 * with resvg. Every string arrives translated; a rate that does not apply gets its text ("—")
 * and no bar.
 */
import { createRequire } from "node:module";
import type { Resvg as ResvgClass } from "@resvg/resvg-js";

/**
 * resvg's native module is loaded on the first chart drawn, not at start-up (its few MB stay
 * resident for good once loaded); required synchronously, so drawing stays a plain function.
 */
let Resvg: typeof ResvgClass | undefined;
const resvg = (): typeof ResvgClass =>
  (Resvg ??= (createRequire(import.meta.url)("@resvg/resvg-js") as { Resvg: typeof ResvgClass })
    .Resvg);

export interface ChartRow {
  label: string;
  sx: { value: number | null; text: string };
  xs: { value: number | null; text: string };
}

export interface ChartStrings {
  title: string;
  sx: string;
  xs: string;
}

/** Debian's fonts-wqy-microhei: without a CJK font, Chinese renders as boxes. */
export const CHART_FONT = "WenQuanYi Micro Hei";

const WIDTH = 840;
const LABEL_WIDTH = 230;
/** The bar of 100%. */
const BAR_MAX = 420;
const BAR = 14;
const ROW = 44;
const TOP = 78;
/** Below the rows: the axis line and its tick labels. */
const AXIS = 34;
const TICKS = [0, 0.25, 0.5, 0.75, 1];
const COLORS = { sx: "#4e79a7", xs: "#f28e2b" } as const;
/** Characters of an organization name kept before "…". */
const MAX_LABEL = 15;

const escapeXml = (value: string) => value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const shorten = (value: string) =>
  [...value].length > MAX_LABEL ? `${[...value].slice(0, MAX_LABEL - 1).join("")}…` : value;

export function ratesChartSvg(rows: ChartRow[], strings: ChartStrings): string {
  const height = TOP + rows.length * ROW + AXIS;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" font-family="${CHART_FONT}, sans-serif" font-size="14">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="16" y="30" font-size="18" font-weight="bold" fill="#222">${escapeXml(strings.title)}</text>`,
  ];
  for (const [i, kind] of (["sx", "xs"] as const).entries()) {
    const x = 16 + i * 200;
    parts.push(
      `<rect x="${x}" y="44" width="14" height="14" fill="${COLORS[kind]}"/>`,
      `<text x="${x + 20}" y="56" fill="#333">${escapeXml(strings[kind])}</text>`,
    );
  }
  const x0 = 16 + LABEL_WIDTH;
  const axisY = TOP + rows.length * ROW;
  for (const tick of TICKS) {
    const x = x0 + tick * BAR_MAX;
    parts.push(
      `<line class="grid" x1="${x}" y1="${TOP - 6}" x2="${x}" y2="${axisY}" stroke="${tick === 0 ? "#999" : "#e2e2e2"}" stroke-width="1"/>`,
      `<text class="tick" x="${x}" y="${axisY + 18}" text-anchor="middle" font-size="12" fill="#666">${tick * 100}%</text>`,
    );
  }
  parts.push(
    `<line x1="${x0}" y1="${axisY}" x2="${x0 + BAR_MAX}" y2="${axisY}" stroke="#999" stroke-width="1"/>`,
  );
  for (const [i, row] of rows.entries()) {
    const y = TOP + i * ROW;
    parts.push(
      `<text x="${x0 - 8}" y="${y + BAR + 6}" text-anchor="end" fill="#222">${escapeXml(shorten(row.label))}</text>`,
    );
    for (const [j, kind] of (["sx", "xs"] as const).entries()) {
      const { value, text } = row[kind];
      const top = y + j * (BAR + 2);
      const width = value === null ? 0 : Math.max(1, Math.round(Math.min(1, value) * BAR_MAX));
      if (value !== null) {
        parts.push(
          `<rect class="bar" x="${x0}" y="${top}" width="${width}" height="${BAR}" fill="${COLORS[kind]}"/>`,
        );
      }
      parts.push(
        `<text x="${x0 + width + 6}" y="${top + BAR - 2}" font-size="12" fill="#333">${escapeXml(text)}</text>`,
      );
    }
  }
  parts.push("</svg>");
  return parts.join("\n");
}

export function renderChartPng(svg: string): Uint8Array {
  const Renderer = resvg();
  const renderer = new Renderer(svg, {
    font: { loadSystemFonts: true, defaultFontFamily: CHART_FONT },
    background: "#ffffff",
  });
  return renderer.render().asPng();
}
