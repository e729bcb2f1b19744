/**
 * How every channel shows targets (§5): the list in force (`/targets`), and each rate against
 * the target due next with the days left, the dates passed unmet flagged, and the child
 * regions below target worst first (`/rates`, the digest).
 */
import type { Target } from "../domain/targets.ts";
import type { TargetReport, TargetsView } from "../services/targets.ts";
import { rateText } from "./rateLines.ts";
import { raw, text } from "./replies.ts";
import type { Text } from "./types.ts";

const S = (key: string, params?: Text["params"]) => text(`seasons:${key}`, params);

const targetText = (t: Target) =>
  S("target.value", { indicator: S(`indicator.${t.indicator}`), percent: t.percent, due: t.due });

/** The targets in force for an organization, each with where it comes from. */
export function targetListLines(view: TargetsView, year: number): Text[] {
  const lines: Text[] = [S("targets.title", { org: raw(view.org.name), year })];
  for (const t of view.effective) {
    lines.push(
      t.setBy
        ? S("targets.setBy", { target: targetText(t), org: raw(t.setBy.name) })
        : S("targets.default", { target: targetText(t) }),
    );
  }
  if (view.effective.length === 0) lines.push(S("targets.none"));
  lines.push(S(view.maySet ? "targets.usage" : "targets.onlyLeading"));
  return lines;
}

/** The standing of a region and the children below target; nothing when it has no targets. */
export function targetReportLines(
  report: TargetReport,
  indent: (line: Text) => Text = (line) => S("report.indented", { line }),
): Text[] {
  if (report.indicators.length === 0) return [];
  const lines: Text[] = [S("report.title", { day: report.today })];
  for (const s of report.indicators) {
    const indicator = S(`indicator.${s.indicator}`);
    const rate = rateText(s.rate);
    if (s.next) {
      const status =
        s.next.met === true
          ? S("report.met")
          : s.next.daysLeft === 0
            ? S("report.dueToday")
            : S("report.daysLeft", { count: s.next.daysLeft });
      lines.push(S("report.next", { indicator, rate, target: targetText(s.next), status }));
    } else lines.push(S("report.noneAhead", { indicator, rate }));
    for (const t of s.overdue) lines.push(S("report.overdue", { target: targetText(t), rate }));
    if (s.childrenBelow.length > 0) {
      lines.push(S("report.childrenBelow", { indicator }));
      for (const c of s.childrenBelow) {
        const target = c.standing.next ?? c.standing.overdue.at(-1)!;
        lines.push(
          indent(
            S(c.standing.overdue.length > 0 ? "report.childOverdue" : "report.child", {
              org: raw(c.org.name),
              rate: rateText(c.standing.rate),
              target: targetText(target),
            }),
          ),
        );
      }
    }
  }
  return lines;
}
