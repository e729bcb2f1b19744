/**
 * What the daily digest of one bound chat says (SPEC §6, read by `services/digests.ts`), and
 * the scheduled notices (R27 warning, R14/R15 reminders), rendered when they are delivered.
 */
import type { Db } from "../db/client.ts";
import type { Season } from "../domain/calendar.ts";
import type { Indicator, Rate } from "../domain/indicators.ts";
import { NOT_PLACED_SIGNAL } from "../domain/notPlaced.ts";
import type { Locale } from "../i18n.ts";
import type { EventPayloads } from "../notices/events.ts";
import { type Digest, LISTED } from "../services/digests.ts";
import { applicationView } from "../services/queues.ts";
import { retainedMember } from "../services/reminders.ts";
import { batchButtons } from "./batchButton.ts";
import { ratesChartPng, ratesChartSvg } from "./chart.ts";
import { approveAction, detailsAction, openPendingAction, rejectAction } from "./flows/decide.ts";
import { formatTime } from "./format.ts";
import { leftoverLines } from "./leftoverLines.ts";
import { barText, breakdownLines, byXs, indicatorLines } from "./rateLines.ts";
import { regionButtons, regionSummaryLines } from "./region.ts";
import { translate } from "./render.ts";
import { raw, reply, text } from "./replies.ts";
import { targetReportLines } from "./targetLines.ts";
import type { Reply, Text } from "./types.ts";

const D = (key: string, params?: Text["params"]) => text(`digest:${key}`, params);

/** The change of a rate in percentage points, "—" when either day has no rate. */
function changeText(now: Rate, before: Rate | undefined): Text {
  if (now.value === null || before?.value == null) return D("change.none");
  const points = Math.round((now.value - before.value) * 1000) / 10;
  if (points === 0) return D("change.same");
  return D(points > 0 ? "change.up" : "change.down", { points: Math.abs(points).toFixed(1) });
}

/**
 * The chart of the child regions' SX / XS (worst first, as in the text) with their counts, its
 * strings in `locale`; none without rates or child regions with graduates.
 */
function digestChartOf(digest: Digest, locale: Locale) {
  const current = digest.indicators?.current;
  if (!current || current.children.length === 0) return undefined;
  const tr = translate(locale);
  const params = { org: raw(digest.org.name), year: current.year };
  const bar = (indicator: Indicator, child: (typeof current.children)[number]) => ({
    value: child[indicator].value,
    text: tr(barText(indicator, child)),
  });
  const rows = [...current.children].sort(byXs).map((child) => ({
    label: child.org.name,
    sx: bar("sx", child),
    xs: bar("xs", child),
  }));
  const strings = {
    title: tr(D("chart.title", params)),
    sx: tr(D("chart.sx")),
    xs: tr(D("chart.xs")),
  };
  return { rows, strings, alt: D("chart.alt", params) };
}

/** The digest's chart as SVG (what it shows), or none. */
export function digestChartSvg(digest: Digest, locale: Locale): string | undefined {
  const chart = digestChartOf(digest, locale);
  return chart && ratesChartSvg(chart.rows, chart.strings);
}

/** The chart as the digest carries it: a PNG and its description. */
export async function digestChart(digest: Digest, locale: Locale): Promise<Reply["image"]> {
  const chart = digestChartOf(digest, locale);
  if (!chart) return undefined;
  const png = Buffer.from(await ratesChartPng(chart.rows, chart.strings)).toString("base64");
  return { png, alt: chart.alt };
}

/** The digest as a chat gets it: a leading organ's also carries the chart, in `locale`. */
export async function digestWithChart(
  digest: Digest,
  season: Season,
  locale: Locale,
): Promise<Reply> {
  const answer = digestReply(digest, season);
  const image = await digestChart(digest, locale);
  return image ? { ...answer, image } : answer;
}

/** The digest's text and buttons. */
export function digestReply(digest: Digest, season: Season): Reply {
  const tz = season.timezone;
  const lines: Text[] = [D("title", { org: raw(digest.org.name), day: digest.day })];
  const { pending } = digest;
  const [oldest] = pending.first;
  if (!oldest) lines.push(D("pending.none"));
  else {
    lines.push(
      D("pending.count", { count: pending.count }),
      D("pending.oldest", {
        id: oldest.id,
        name: raw(oldest.memberName),
        days: oldest.daysWaiting,
        since: formatTime(oldest.stageSince, tz),
      }),
    );
  }
  if (pending.returningBySoon > 0) {
    lines.push(D("pending.returningSoon", { count: pending.returningBySoon }));
    for (const a of pending.first.slice(0, pending.returningBySoon)) {
      lines.push(
        D("pending.returning", {
          id: a.id,
          name: raw(a.memberName),
          at: formatTime(a.autoReturnAt, tz),
        }),
      );
    }
    if (pending.returningBySoon > LISTED) {
      lines.push(D("pending.more", { count: pending.returningBySoon - LISTED }));
    }
  }
  if (digest.region) {
    lines.push(...regionSummaryLines(digest.region, season));
    for (const a of digest.region.soon) {
      lines.push(
        text("workflow:region.returning", {
          id: a.id,
          name: raw(a.memberName),
          org: raw(a.decidingOrgName),
          at: formatTime(a.autoReturnAt, tz),
        }),
      );
    }
    if (digest.region.returningSoon > digest.region.soon.length) {
      lines.push(
        D("pending.more", { count: digest.region.returningSoon - digest.region.soon.length }),
      );
    }
  }
  const ind = digest.indicators;
  if (ind) {
    const { current, previous } = ind;
    lines.push(
      ind.recordedDay
        ? D("rates.recordedTitle", {
            year: current.year,
            at: formatTime(current.asOf, tz),
          })
        : D("rates.title", { year: current.year }),
      ...indicatorLines(current, (indicator: Indicator) =>
        changeText(current[indicator], previous?.[indicator]),
      ),
      ...(ind.targets ? targetReportLines(ind.targets) : []),
      ...breakdownLines(current, (line) => D("rates.indented", { line })),
    );
    const signal = ind.notPlaced;
    if (signal && signal.flagged.length > 0) {
      lines.push(
        D("signal.title", {
          share: percent(signal.region.notPlaced, signal.region.total),
          ratio: NOT_PLACED_SIGNAL.ratio,
        }),
      );
      for (const s of signal.flagged) {
        lines.push(
          D("signal.school", {
            org: raw(s.org.name),
            share: percent(s.notPlaced, s.total),
            notPlaced: s.notPlaced,
            total: s.total,
          }),
        );
      }
    }
  }
  if (digest.ratesNotRecorded) lines.push(D("rates.notRecorded"));
  if (digest.leftovers) lines.push(...leftoverLines(digest.leftovers, tz));
  if (digest.toEnter) lines.push(text("export:chat.digestLine", { count: digest.toEnter }));
  return reply(lines, [
    [
      openPendingAction.button(D("openPending")),
      ...batchButtons(pending.stages),
      ...(digest.region ? regionButtons(digest.region) : []),
    ],
  ]);
}

const percent = (n: number, of: number) => (of === 0 ? "—" : `${((n / of) * 100).toFixed(1)}%`);

/** R27: two days ahead, unless the application has moved on since the warning was queued. */
export async function warningReply(
  db: Db,
  payload: EventPayloads["auto_return_warning"],
  orgId: number,
  now: Date,
  season: Season,
): Promise<Reply | null> {
  const view = await applicationView(
    db,
    { applicationId: payload.applicationId, viewer: null },
    now,
    season,
  );
  if (
    !view?.autoReturnAt ||
    view.decidingOrgId !== orgId ||
    view.autoReturnAt.toISOString() !== payload.returnAt
  )
    return null;
  const args = { id: view.id };
  return reply(
    D("warning", {
      id: view.id,
      name: raw(view.memberName),
      at: formatTime(view.autoReturnAt, season.timezone),
      days: view.daysWaiting,
    }),
    [
      [
        approveAction.button(text("card:approve"), args),
        rejectAction.button(text("card:reject"), args),
        detailsAction.button(text("card:details"), args),
      ],
    ],
  );
}

/** R14, R15: who has stayed how long, and where. */
export async function reminderReply(
  db: Db,
  payload: EventPayloads["retention_reminder"],
): Promise<Reply | null> {
  const row = await retainedMember(db, payload.memberId);
  if (!row) return null;
  return reply(
    D("reminder", { name: raw(row.name), branch: raw(row.branch), months: payload.months }),
  );
}
