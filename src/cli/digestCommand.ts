/**
 * What `npm run digest` does once it has a database: parse and check the options, find the
 * organization, compute its digest as of the end of the day asked for, print it, and write the
 * chart when asked. Every refusal is one localized message and an exit code, never a trace.
 */
import { parseArgs } from "node:util";
import type { Db } from "../db/client.ts";
import { digestChart, digestReply } from "../dialogs/digest.ts";
import { formatTime } from "../dialogs/format.ts";
import { renderMessage, translate } from "../dialogs/render.ts";
import { dayIn, type Season, startOfDay } from "../domain/calendar.ts";
import { type Locale, translator } from "../i18n.ts";
import { digestFor } from "../services/digests.ts";
import { shiftDay } from "../services/rates.ts";
import { organizationArgument } from "./orgArgument.ts";

export interface DigestOptions {
  org: string;
  /** "YYYY-MM-DD"; today when not given. */
  day: string;
  /** The moment the digest is computed at: now for today, else the end of `day`. */
  asOf: Date;
  past: boolean;
  chart: string | null;
}

export type Parsed =
  | { ok: true; options: DigestOptions }
  | { ok: false; message: string; help?: boolean };

export interface CliOutput {
  out(text: string): void;
  err(text: string): void;
  /** Writes the chart; throws as `fs.writeFileSync` does. */
  writeFile(path: string, data: Uint8Array): void;
}

/** Exit codes: 0 done, 1 nothing to show for what was asked, 2 the command line is wrong. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The options, checked against the calendar and today in `timezone`. */
export function parseDigestArgs(
  argv: string[],
  now: Date,
  timezone: string,
  locale: Locale,
): Parsed {
  const t = translator(locale);
  const usage = t("digest:cli.usage");
  const wrong = (key: string, params: Record<string, string> = {}): Parsed => ({
    ok: false,
    message: `${t(`digest:cli.${key}`, params)}\n${usage}`,
  });
  let values: { org?: string; date?: string; chart?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        org: { type: "string" },
        date: { type: "string" },
        chart: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    const code = (error as { code?: string }).code;
    const quoted = /'([^']+)'/.exec((error as Error).message)?.[1] ?? "";
    if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") return wrong("unknownOption", { option: quoted });
    if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE")
      return wrong("missingValue", { option: quoted.split(" ")[0] ?? quoted });
    if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL")
      return wrong("unexpectedArgument", { arg: quoted });
    return wrong("badArguments");
  }
  if (values.help) return { ok: false, message: usage, help: true };
  const org = values.org?.trim() ?? "";
  if (org === "") return wrong("orgRequired");
  const today = dayIn(now, timezone);
  const day = values.date?.trim() ?? today;
  const parts = DATE.exec(day);
  if (!parts || shiftDay(day, 0) !== day) return wrong("badDate", { date: day });
  if (day > today) return wrong("futureDate", { date: day, today });
  const chart = values.chart?.trim() ?? null;
  if (chart !== null && !/\.png$/i.test(chart)) return wrong("chartNotPng", { file: chart });
  const past = day < today;
  // The end of a past day: its last millisecond, so the day's own events all count.
  const asOf = past ? new Date(startOfDay(shiftDay(day, 1), timezone).getTime() - 1) : now;
  return { ok: true, options: { org, day, asOf, past, chart } };
}

/** Prints the digest of the organization asked for; returns the exit code. */
export async function runDigest(
  db: Db,
  options: DigestOptions,
  context: { season: Season; locale: Locale; output: CliOutput },
): Promise<number> {
  const { season, locale, output } = context;
  const t = translator(locale);
  const found = await organizationArgument(db, options.org, t);
  if (!found.ok) {
    output.err(found.message);
    return EXIT.failed;
  }
  const digest = await digestFor(db, found.org.id, options.day, options.asOf, season, {
    recorded: options.past,
  });
  if (!digest) {
    output.err(t("digest:cli.unknownOrg", { query: options.org }));
    return EXIT.failed;
  }
  const tr = translate(locale);
  const reply = digestReply(digest, season);
  const buttons = (reply.buttons ?? []).map((row) => row.map((b) => `[${tr(b.label)}]`).join(" "));
  const notes = options.past
    ? [
        t("digest:cli.pastNote", {
          day: options.day,
          at: formatTime(options.asOf, season.timezone),
        }),
      ]
    : [];
  output.out([renderMessage(tr, reply.text), ...buttons, ...notes].join("\n"));
  if (options.chart === null) return EXIT.ok;
  const image = await digestChart(digest, locale);
  if (!image) {
    const why = digest.ratesNotRecorded
      ? "notRecorded"
      : digest.indicators
        ? "noChildren"
        : "notLeading";
    output.err(t(`digest:cli.noChart.${why}`));
    return EXIT.failed;
  }
  try {
    output.writeFile(options.chart, Buffer.from(image.png, "base64"));
  } catch (error) {
    const reason = (error as { code?: string }).code ?? (error as Error).message;
    output.err(t("digest:cli.chartNotWritten", { file: options.chart, reason }));
    return EXIT.failed;
  }
  output.err(t("digest:cli.chartWritten", { file: options.chart }));
  return EXIT.ok;
}
