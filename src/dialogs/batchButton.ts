/** Issue 20.1: the way into batch approval from /pending and the digest. */
import type { ApplicationView } from "../services/queues.ts";
import { openBatchAction } from "./flows/admin/batch.ts";
import type { Button } from "./types.ts";

/** The button, where something waits at a stage a batch approves at (not assignment). */
export const batchButtons = (stages: Iterable<ApplicationView["stage"]>): Button[] =>
  [...stages].some((stage) => stage !== null && stage !== "assignment")
    ? [openBatchAction.button("batch:open")]
    : [];
