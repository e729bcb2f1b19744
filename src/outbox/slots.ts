/**
 * The earliest moment a message may be sent, given what was sent (and planned) per key. Pure:
 * no clock, no database. A window allows at most L messages in any span of `windowMs`; for a
 * sorted list of send times q that is: q[i + L] - q[i] >= windowMs for every i. A new send t
 * is feasible when every run of L + 1 consecutive times that includes it spans the window.
 */
import type { Window } from "./budgets.ts";

export interface Constraint {
  /** Send times of one key, ascending (milliseconds). */
  times: number[];
  windows: Window[];
}

/** How many of `times` are at or before `t` (binary search). */
function countUpTo(times: number[], t: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (times[mid]! <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function fits(times: number[], limit: number, windowMs: number, t: number): boolean {
  if (limit <= 0) return false;
  const k = countUpTo(times, t);
  // The run that ends with t: the limit-th time before it must be a window away.
  if (k >= limit && t - times[k - limit]! < windowMs) return false;
  // The run that starts with t.
  const last = k + limit - 1;
  if (last < times.length && times[last]! - t < windowMs) return false;
  // Runs with t inside: limit times around t, some before and some after, within one window.
  for (let j = Math.max(0, k - limit + 1); j < k; j++) {
    const end = j + limit - 1;
    if (end >= times.length) break;
    if (end >= k && times[end]! - times[j]! < windowMs) return false;
  }
  return true;
}

const allowed = (w: Window, full: boolean) => w.limit - (full ? 0 : (w.reserve ?? 0));

/** The earliest time at or after `from` that fits one window of one key. */
function earliestFor(times: number[], w: Window, full: boolean, from: number): number {
  const limit = allowed(w, full);
  const windowMs = w.windowMs + (w.marginMs ?? 0);
  if (fits(times, limit, windowMs, from)) return from;
  // Feasibility only changes where a send enters or leaves a window.
  const candidates: number[] = [];
  for (const x of times) {
    if (x > from) candidates.push(x);
    if (x + windowMs > from) candidates.push(x + windowMs);
  }
  candidates.sort((a, b) => a - b);
  for (const t of candidates) if (fits(times, limit, windowMs, t)) return t;
  return Math.max(from, (times.at(-1) ?? from) + windowMs);
}

/**
 * The earliest time at or after `from` that every constraint allows. `full` uses the whole
 * limits (an extra part of a message already under way); otherwise the reserves are kept free.
 */
export function earliestSlot(constraints: Constraint[], from: number, full = false): number {
  let t = from;
  for (;;) {
    let next = t;
    for (const c of constraints) {
      for (const w of c.windows) next = Math.max(next, earliestFor(c.times, w, full, t));
    }
    if (next === t) return t;
    t = next;
  }
}

/** Adds `t` to ascending `times` in place. */
export function insertTime(times: number[], t: number): void {
  times.splice(countUpTo(times, t), 0, t);
}
