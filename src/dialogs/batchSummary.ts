/**
 * Issue 20.1: the one message a batch approval ends with: how many were approved and where
 * they stand, which were skipped and why (each refusal in the services' own words), and the
 * way to what still waits for a branch.
 */
import type { Db } from "../db/client.ts";
import { loadBatchRun } from "../services/batchApprovals.ts";
import { openPendingAction } from "./flows/decide.ts";
import { refusalText } from "./refusals.ts";
import { raw, reply, text } from "./replies.ts";
import type { Reply, Text } from "./types.ts";

const B = (key: string, params?: Text["params"]) => text(`batch:${key}`, params);

/** Skipped applications named one by one; the count covers the rest. */
const LISTED = 20;

export async function batchSummaryReply(db: Db, batchId: number): Promise<Reply | null> {
  const run = await loadBatchRun(db, batchId);
  if (run?.status !== "done") return null;
  const approved = run.items.filter((i) => i.ok);
  const skipped = run.items.flatMap((i) => (i.ok ? [] : [i]));
  const completed = approved.filter((i) => i.state === "completed").length;
  const waiting = approved.filter((i) => i.assignHere).length;
  const movedOn = approved.length - completed - waiting;
  const lines: Text[] = [
    B("summary.title", { id: run.id, approved: approved.length, total: run.total }),
    ...(completed > 0
      ? [
          run.branchName
            ? B("summary.completedInto", { count: completed, branch: raw(run.branchName) })
            : B("summary.completed", { count: completed }),
        ]
      : []),
    ...(movedOn > 0 ? [B("summary.movedOn", { count: movedOn })] : []),
    ...(waiting > 0 ? [B("summary.awaitingAssignment", { count: waiting })] : []),
    ...(skipped.length > 0 ? [B("summary.skipped", { count: skipped.length })] : []),
    ...skipped
      .slice(0, LISTED)
      .map((i) => B("summary.skippedLine", { id: i.id, why: refusalText(i.refusal) })),
    ...(skipped.length > LISTED ? [B("moreLines", { count: skipped.length - LISTED })] : []),
    B("summary.cardsFollow"),
  ];
  return reply(lines, waiting > 0 ? [[openPendingAction.button(B("summary.openPending"))]] : []);
}
