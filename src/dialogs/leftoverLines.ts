/**
 * Last season's leftovers (R14, R15) as every channel shows them in `/pending` and the digest:
 * each member past the 6-month point with their flow branch, the 12-month limit (flagged once
 * passed) and a 失联 mark with its reason.
 */

import { dayIn } from "../domain/calendar.ts";
import type { Leftover } from "../services/leftovers.ts";
import { raw, text } from "./replies.ts";
import type { Text } from "./types.ts";

const S = (key: string, params?: Text["params"]) => text(`seasons:${key}`, params);

/** Enough to act on; the rest are counted. */
export const LEFTOVERS_LISTED = 10;

export function leftoverLines(leftovers: readonly Leftover[], timezone: string): Text[] {
  if (leftovers.length === 0) return [];
  const lines: Text[] = [S("leftovers.title", { count: leftovers.length })];
  for (const l of leftovers.slice(0, LEFTOVERS_LISTED)) {
    const params = {
      name: raw(l.name),
      branch: raw(l.branch.name),
      since: dayIn(l.since, timezone),
      limit: dayIn(l.limit, timezone),
    };
    lines.push(S(l.pastLimit ? "leftovers.pastLimit" : "leftovers.member", params));
    if (l.lostContact) {
      lines.push(S("leftovers.lostContact", { reason: raw(l.lostContact.reason) }));
    }
  }
  if (leftovers.length > LEFTOVERS_LISTED) {
    lines.push(S("leftovers.more", { count: leftovers.length - LEFTOVERS_LISTED }));
  }
  lines.push(S("leftovers.hint"));
  return lines;
}
