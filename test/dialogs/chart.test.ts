/**
 * The digest's chart: an SVG of two bars per child organization (none for "—"), names escaped,
 * rendered to a PNG; a leading organ's digest with children carries it, in the chat's language.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type ChartRow, ratesChartSvg, renderChartPng } from "../../src/dialogs/chart.ts";
import { type Digest, digestReply } from "../../src/dialogs/digest.ts";
import { translate } from "../../src/dialogs/render.ts";
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
  { label: "团山西省委特殊单位专属库", sx: rate(null), xs: rate(null) },
];

describe("the rates chart", () => {
  it("draws a bar per applicable rate, none for —, with every name escaped", () => {
    const svg = ratesChartSvg(ROWS, STRINGS);
    expect(svg).toContain("山西示范大学团委");
    expect(svg).toContain("团太原市委 &#60;R&#38;D&#62;");
    expect(svg).not.toContain("<R&D>");
    expect(svg).toContain("团山西省委特殊单位专属库");
    expect(svg).toContain(STRINGS.title);
    // 0.5, 0 and 2/7 have bars (0% as a hairline); the three "—" have none.
    expect(svg.match(/class="bar"/g)).toHaveLength(3);
    expect(svg.match(/>—</g)).toHaveLength(3);
    expect(svg).toContain(">50.0%<");
  });

  it("renders to a PNG", () => {
    const png = renderChartPng(ratesChartSvg(ROWS, STRINGS));
    expect([...png.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
    expect(png.length).toBeGreaterThan(5_000);
    mkdirSync(ARTIFACTS_DIR, { recursive: true });
    writeFileSync(join(ARTIFACTS_DIR, "digest-chart.png"), png);
  });
});

describe("the digest's chart", () => {
  const region = (id: number, name: string, sx: number | null, xs: number | null): RegionRates => ({
    org: { id, name },
    counts: { a: 0, b: 0, c: 0, d: 0, e: 0, f: 0 },
    sx: { value: sx },
    xs: { value: xs },
  });
  const digest = (children: RegionRates[] | null): Digest => ({
    org: { id: 1, name: "团山西省委" },
    day: "2026-09-29",
    pending: [],
    returningSoon: [],
    region: null,
    indicators: children && {
      current: {
        ...region(1, "团山西省委", 0.5, 0.1),
        ok: true,
        year: 2026,
        asOf: new Date("2026-09-29T00:30:00Z"),
        children,
      },
      previous: null,
      flagged: [],
      region: { notPlaced: 0, total: 0 },
    },
  });
  const children = [region(2, "团太原市委", null, 0.2), region(3, "山西示范大学团委", 0.5, 0)];

  it("comes with a leading organ's digest that has children, not otherwise", () => {
    const reply = digestReply(digest(children), TEST_SEASON, "en");
    expect(Buffer.from(reply.image!.png, "base64").subarray(0, 8)).toEqual(
      Buffer.from(PNG_SIGNATURE),
    );
    expect(translate("en")(reply.image!.alt)).toBe(
      "Bar chart of SX / XS per child organization of 团山西省委, class of 2026",
    );
    // Not a leading organ (no indicators), no children, or no language asked for: text only.
    expect(digestReply(digest(null), TEST_SEASON, "zh-CN").image).toBeUndefined();
    expect(digestReply(digest([]), TEST_SEASON, "zh-CN").image).toBeUndefined();
    expect(digestReply(digest(children), TEST_SEASON).image).toBeUndefined();
  });
});
