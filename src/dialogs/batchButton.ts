/** Issue 20.1: the way into batch approval from /pending and the digest. */
import type { ApplicationView } from "../services/queues.ts";
import { openBatchAction } from "./flows/admin/batch.ts";
import type { Button } from "./types.ts";

/** The button, where something waits at a stage a batch approves at (not assignment). */
export const batchButtons = (pending: Pick<ApplicationView, "stage">[]): Button[] =>
  pending.some((a) => a.stage !== null && a.stage !== "assignment")
    ? [openBatchAction.button("batch:open")]
    : [];
