/** Issue 20.6: the approver's note, as the member reads it with the news of an approval. */
import type { HistoryAction } from "../domain/application.ts";
import type { HistoryEntry } from "../services/queues.ts";
import { raw, text } from "./replies.ts";
import type { Text } from "./types.ts";

const APPROVALS: readonly HistoryAction[] = [
  "approve",
  "leader_approve",
  "province_approve",
  "out_approve",
];

/** The latest approval's note, if it had one (an approval without a note says nothing). */
export function approverNoteLines(history: HistoryEntry[]): Text[] {
  const last = history.findLast((h) => APPROVALS.includes(h.action));
  if (!last?.note) return [];
  return [text("comments:toMember", { by: raw(last.actorName ?? ""), note: raw(last.note) })];
}
