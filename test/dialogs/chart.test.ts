/**
 * The digest's chart: an SVG of two bars per child organization (none for "—") on a 0–100% axis,
 * each with its rate and counts, names escaped, rendered to a PNG; a leading organ's digest with
 * child regions that have graduates carries it, in the chat's language.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Resvg } from "@resvg/resvg-js";
import { describe, expect, it } from "vitest";
import {
  CHART_FONT,
  type ChartRow,
  ratesChartPng,
  ratesChartSvg,
  renderChartPng,
} from "../../src/dialogs/chart.ts";
import { outlinedText } from "../../src/dialogs/chartText.ts";
import { digestChartSvg, digestReply, digestWithChart } from "../../src/dialogs/digest.ts";
import { translate } from "../../src/dialogs/render.ts";
import { ZERO_COUNTS } from "../../src/domain/indicators.ts";
import type { Digest } from "../../src/services/digests.ts";
import type { RegionRates } from "../../src/services/rates.ts";
import { TEST_SEASON } from "../helpers/season.ts";
import { ARTIFACTS_DIR } from "../helpers/templates.ts";

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const STRINGS = {
  title: "团山西省委　2026 届各下级组织衔接率",
  sx: "升学衔接率 SX",
  xs: "社会衔接率 XS",
};

const rate = (value: number | null) => ({
  value,
  text: value === null ? "—" : `${(value * 100).toFixed(1)}%`,
});
const ROWS: ChartRow[] = [
  { label: "山西示范大学团委", sx: rate(0.5), xs: rate(0) },
  { label: "团太原市委 <R&D>", sx: rate(null), xs: rate(2 / 7) },
  { label: "团大同市委", sx: rate(null), xs: rate(null) },
  { label: "晋中师范学院团委", sx: rate(1), xs: rate(1) },
];
const widthsOf = (svg: string) =>
  [...svg.matchAll(/class="bar" x="\d+" y="\d+" width="(\d+)"/g)].map((m) => Number(m[1]));

describe("the rates chart", () => {
  it("draws a bar per applicable rate, none for —, with every name escaped", () => {
    const svg = ratesChartSvg(ROWS, STRINGS);
    expect(svg).toContain("山西示范大学团委");
    expect(svg).toContain("团太原市委 &#60;R&#38;D&#62;");
    expect(svg).not.toContain("<R&D>");
    expect(svg).toContain("团大同市委");
    expect(svg).toContain(STRINGS.title);
    // 0.5, 0, 2/7 and the two 100% have bars (0% as a hairline); the three "—" have none.
    expect(svg.match(/class="bar"/g)).toHaveLength(5);
    expect(svg.match(/>—</g)).toHaveLength(3);
    expect(svg).toContain(">50.0%<");
  });

  it("draws every bar on one 0–100% axis with its ticks", () => {
    const svg = ratesChartSvg(ROWS, STRINGS);
    expect([...svg.matchAll(/class="tick"[^>]*>([^<]+)</g)].map((m) => m[1])).toEqual([
      "0%",
      "25%",
      "50%",
      "75%",
      "100%",
    ]);
    // 50%, 0% (a hairline), 2/7, 100%, 100%: lengths in proportion, whatever the largest.
    const [half, zero, twoSevenths, full] = widthsOf(svg);
    expect(full).toBe(2 * half!);
    expect(zero).toBe(1);
    expect(twoSevenths).toBe(Math.round((2 / 7) * full!));
    const lowOnly = widthsOf(
      ratesChartSvg([{ label: "x", sx: rate(0.1), xs: rate(0.2) }], STRINGS),
    );
    expect(lowOnly).toEqual([Math.round(full! / 10), Math.round(full! / 5)]);
  });

  it("draws its words for the PNG as the font's outlines, each glyph defined once, looking as text does", async () => {
    const outlined = ratesChartSvg(ROWS, STRINGS, await outlinedText());
    expect(outlined).not.toContain("<text");
    const defined = [...outlined.matchAll(/<path id="(g\d+)"/g)].map((m) => m[1]);
    expect(new Set(defined).size).toBe(defined.length);
    // Every glyph the words use is defined (团 of three names, % of every rate: defined once).
    const used = new Set([...outlined.matchAll(/href="#(g\d+)"/g)].map((m) => m[1]));
    expect([...used].sort()).toEqual([...defined].sort());
    expect(outlined.match(/class="tick"/g)).toHaveLength(5);
    // resvg's own text layout with the same font draws (almost) the same pixels, below the
    // title: resvg has no bold face of the font to draw it with, the outlines thicken it.
    const pixels = (svg: string) =>
      new Resvg(svg, { font: { loadSystemFonts: true, defaultFontFamily: CHART_FONT } })
        .render()
        .pixels.subarray(40 * 840 * 4);
    const asText = pixels(ratesChartSvg(ROWS, STRINGS));
    const asOutlines = pixels(outlined);
    expect(asOutlines.length).toBe(asText.length);
    const blank = pixels(ratesChartSvg(ROWS, STRINGS, { text: () => "", defs: () => "" }));
    let off = 0;
    let ink = 0;
    for (let i = 0; i < asText.length; i++) {
      off += Math.abs(asText[i]! - asOutlines[i]!);
      ink += Math.abs(asText[i]! - blank[i]!);
    }
    expect(ink).toBeGreaterThan(0);
    expect(off / ink).toBeLessThan(0.05);
  });

  it("keeps as text a word with a character the font lacks (another font draws it)", async () => {
    const svg = ratesChartSvg(
      [{ label: "团𝒳市委", sx: rate(0.5), xs: rate(0.5) }],
      STRINGS,
      await outlinedText(),
    );
    expect(svg.match(/<text/g)).toHaveLength(1);
    expect(svg).toContain(">团𝒳市委</text>");
  });

  it("renders to a PNG", async () => {
    const png = await ratesChartPng(ROWS, STRINGS);
    expect([...png.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
    expect(png.length).toBeGreaterThan(5_000);
    mkdirSync(ARTIFACTS_DIR, { recursive: true });
    writeFileSync(join(ARTIFACTS_DIR, "digest-chart.png"), png);
  });
});

describe("the digest's chart", () => {
  const region = (id: number, name: string, sx: number | null, xs: number | null): RegionRates => ({
    org: { id, name },
    counts: { ...ZERO_COUNTS, a: sx === null ? 0 : sx * 10, b: sx === null ? 0 : 10, e: 4 },
    fq: { value: null },
    sx: { value: sx },
    xs: { value: xs },
    dw: { value: null },
  });
  const digest = (children: RegionRates[] | null): Digest => ({
    org: { id: 1, name: "团山西省委" },
    day: "2026-09-29",
    pending: { count: 0, stages: [], first: [], returningBySoon: 0 },
    region: null,
    indicators: children && {
      current: {
        ...region(1, "团山西省委", 0.5, 0.1),
        year: 2026,
        asOf: new Date("2026-09-29T00:30:00Z"),
        children,
        childrenWithoutGraduates: [],
      },
      previous: null,
      recordedDay: null,
      notPlaced: { flagged: [], region: { notPlaced: 0, total: 0 } },
    },
  });
  const children = [region(2, "团太原市委", null, 0.2), region(3, "山西示范大学团委", 0.5, 0)];

  it("comes with a leading organ's digest that has children, not otherwise", async () => {
    const reply = await digestWithChart(digest(children), TEST_SEASON, "en");
    expect(Buffer.from(reply.image!.png, "base64").subarray(0, 8)).toEqual(
      Buffer.from(PNG_SIGNATURE),
    );
    expect(translate("en")(reply.image!.alt)).toBe(
      "Bar chart of SX / XS per child organization of 团山西省委, class of 2026",
    );
    // Not a leading organ (no indicators) or no children: text only; the text alone never has it.
    expect((await digestWithChart(digest(null), TEST_SEASON, "zh-CN")).image).toBeUndefined();
    expect((await digestWithChart(digest([]), TEST_SEASON, "zh-CN")).image).toBeUndefined();
    expect(digestReply(digest(children), TEST_SEASON).image).toBeUndefined();
  });

  it("charts drawn at once each get their own picture, and a broken one fails alone", async () => {
    const one = ratesChartSvg(ROWS.slice(0, 1), STRINGS);
    const all = ratesChartSvg(ROWS, STRINGS);
    const [a, bad, b] = await Promise.allSettled([
      renderChartPng(one),
      renderChartPng("<svg"),
      renderChartPng(all),
    ]);
    expect(bad.status).toBe("rejected");
    const size = (r: typeof a) => (r.status === "fulfilled" ? r.value.length : 0);
    expect(size(a)).toBeGreaterThan(1_000);
    expect(size(b)).toBeGreaterThan(size(a));
    expect(await renderChartPng(one)).toEqual(a.status === "fulfilled" ? a.value : null);
  });

  it("labels each bar with its rate and counts, worst XS first", () => {
    const svg = digestChartSvg(digest(children), "zh-CN")!;
    // 山西示范大学团委: SX 5 of 10, XS 0 of 4; 团太原市委: SX —, XS 20% (the counts are made up).
    expect(svg.indexOf("山西示范大学团委")).toBeLessThan(svg.indexOf("团太原市委"));
    expect(svg).toContain(">50.0%（5/10）<");
    expect(svg).toContain(">0.0%（0/4）<");
    expect(svg).toContain(">—<");
    expect(svg).toContain("团山西省委　2026 届各下级组织衔接率");
  });
});
