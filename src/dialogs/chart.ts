/**
 * The digest's chart of per-child SX / XS: an SVG of horizontal bars on a fixed 0–100% axis (so
 * a short bar always means a low rate), each labelled with its rate and counts, rendered to PNG
 * with resvg. Every string arrives translated; a rate that does not apply gets its text ("—")
 * and no bar.
 */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { outlinedText, svgText, type TextDrawer } from "./chartText.ts";

/**
 * resvg takes some 20 ms to fill a chart of ten regions (words as outlines: chartText.ts; 140 ms
 * where it lays the words out itself), so charts are drawn on a worker thread of their own: a
 * digest morning's charts never hold up a press or a card. The worker starts with the first chart (its isolate and
 * resvg's native module are not resident before) and ends after a minute without one. Its
 * code is a string: it runs the same from sources, tests and the built bundle.
 */
const WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const { Resvg } = require(workerData.resvg);
parentPort.on("message", ({ id, svg }) => {
  try {
    const png = new Resvg(svg, {
      font: { loadSystemFonts: true, defaultFontFamily: workerData.font },
      background: "#ffffff",
    }).render().asPng();
    parentPort.postMessage({ id, png }, [png.buffer]);
  } catch (error) {
    parentPort.postMessage({ id, error: String(error && error.message || error) });
  }
});`;
const IDLE_MS = 60_000;

interface Drawing {
  resolve(png: Uint8Array): void;
  reject(error: Error): void;
}
let worker: Worker | null = null;
let idle: NodeJS.Timeout | undefined;
let nextId = 0;
const drawing = new Map<number, Drawing>();

function failAll(error: Error) {
  for (const d of drawing.values()) d.reject(error);
  drawing.clear();
}

function chartWorker(): Worker {
  if (worker) return worker;
  const started = new Worker(WORKER, {
    eval: true,
    workerData: {
      resvg: createRequire(import.meta.url).resolve("@resvg/resvg-js"),
      font: CHART_FONT,
    },
  });
  started.on("message", (m: { id: number; png?: Uint8Array; error?: string }) => {
    const d = drawing.get(m.id);
    drawing.delete(m.id);
    if (m.png) d?.resolve(m.png);
    else d?.reject(new Error(`the chart could not be drawn: ${m.error}`));
    settle();
  });
  started.on("error", (error) => failAll(error));
  started.on("exit", () => {
    if (worker === started) worker = null;
    failAll(new Error("the chart worker stopped"));
  });
  worker = started;
  return started;
}

/** While a chart is drawn the worker keeps the process up; once none is, it may end. */
function settle() {
  clearTimeout(idle);
  if (!worker) return;
  if (drawing.size > 0) {
    worker.ref();
    return;
  }
  worker.unref();
  const current = worker;
  idle = setTimeout(() => {
    if (worker === current && drawing.size === 0) {
      worker = null;
      void current.terminate();
    }
  }, IDLE_MS);
  idle.unref();
}

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

const shorten = (value: string) =>
  [...value].length > MAX_LABEL ? `${[...value].slice(0, MAX_LABEL - 1).join("")}…` : value;

/** The chart as SVG, its words drawn by `words` (SVG text elements unless told otherwise). */
export function ratesChartSvg(
  rows: ChartRow[],
  strings: ChartStrings,
  words: TextDrawer = svgText(),
): string {
  const height = TOP + rows.length * ROW + AXIS;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" font-family="${CHART_FONT}, sans-serif" font-size="14">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    words.text(strings.title, { x: 16, y: 30, size: 18, bold: true, fill: "#222" }),
  ];
  for (const [i, kind] of (["sx", "xs"] as const).entries()) {
    const x = 16 + i * 200;
    parts.push(
      `<rect x="${x}" y="44" width="14" height="14" fill="${COLORS[kind]}"/>`,
      words.text(strings[kind], { x: x + 20, y: 56, size: 14, fill: "#333" }),
    );
  }
  const x0 = 16 + LABEL_WIDTH;
  const axisY = TOP + rows.length * ROW;
  for (const tick of TICKS) {
    const x = x0 + tick * BAR_MAX;
    parts.push(
      `<line class="grid" x1="${x}" y1="${TOP - 6}" x2="${x}" y2="${axisY}" stroke="${tick === 0 ? "#999" : "#e2e2e2"}" stroke-width="1"/>`,
      words.text(`${tick * 100}%`, {
        x,
        y: axisY + 18,
        size: 12,
        anchor: "middle",
        fill: "#666",
        className: "tick",
      }),
    );
  }
  parts.push(
    `<line x1="${x0}" y1="${axisY}" x2="${x0 + BAR_MAX}" y2="${axisY}" stroke="#999" stroke-width="1"/>`,
  );
  for (const [i, row] of rows.entries()) {
    const y = TOP + i * ROW;
    parts.push(
      words.text(shorten(row.label), {
        x: x0 - 8,
        y: y + BAR + 6,
        size: 14,
        anchor: "end",
        fill: "#222",
      }),
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
      parts.push(words.text(text, { x: x0 + width + 6, y: top + BAR - 2, size: 12, fill: "#333" }));
    }
  }
  parts.push(words.defs(), "</svg>");
  return parts.join("\n");
}

/** The chart as PNG: its words as the font's outlines (chartText.ts), drawn on the worker. */
export async function ratesChartPng(rows: ChartRow[], strings: ChartStrings): Promise<Uint8Array> {
  return renderChartPng(ratesChartSvg(rows, strings, await outlinedText()));
}

/** The chart as PNG, drawn on the chart worker. */
export function renderChartPng(svg: string): Promise<Uint8Array> {
  const id = nextId++;
  const done = new Promise<Uint8Array>((resolve, reject) => drawing.set(id, { resolve, reject }));
  const to = chartWorker();
  settle();
  to.postMessage({ id, svg });
  return done;
}
