/**
 * Issue 20.1: batch approval, approve only (a bulk rejection is never offered). An admin picks
 * what they may approve at one stage, narrowed by reason, out-organization and age; confirming
 * queues a run that approves each application in its own transaction, every rule re-checked
 * by `approve` itself (a refusal skips that one and is reported). The run ends with ONE summary
 * message to the chat; the cards' edits are queued after it, so the outbox paces them within
 * the platform's limits (a Telegram group allows 20 edits a minute).
 */

import { and, asc, eq, inArray, sql } from "drizzle-orm";
import { type Db, query } from "../db/client.ts";
import { within } from "../db/queries/subtree.ts";
import { batchRuns, organizations } from "../db/schema.ts";
import type { ApplicationState, TransferReason } from "../domain/application.ts";
import type { Season } from "../domain/calendar.ts";
import { isLeadingOrgan } from "../domain/organization.ts";
import { pathIds } from "../domain/tree.ts";
import { approve, assign } from "./decisions/index.ts";
import type { ApprovalStageName } from "./notify.ts";
import { type Notice, notify } from "./notify.ts";
import { loadAdmin } from "./orgStore.ts";
import { type ApplicationView, pendingQueue } from "./queues.ts";
import { type Refusal, refuse } from "./result.ts";

/** The stages a batch approves at: assignment needs a branch per member, so it is not one. */
export const BATCH_STAGES = ["receiver", "out", "leader", "province"] as const;
export type BatchStage = (typeof BATCH_STAGES)[number];

/** At most this many applications in one run (a county's busiest day fits). */
export const MAX_BATCH = 500;

export interface BatchFilter {
  stage: BatchStage;
  reason?: TransferReason | null;
  fromOrgId?: number | null;
  /** Waited at the stage at least this many whole days. */
  minDays?: number | null;
}

const isBatchStage = (stage: ApprovalStageName | null): stage is BatchStage =>
  (BATCH_STAGES as readonly (string | null)[]).includes(stage);

/** The leading organ at or above the admin's organization that switched batch approval off. */
async function switchedOffBy(db: Db, orgPath: string): Promise<string | null> {
  const [row] = await db
    .select({ name: organizations.name })
    .from(organizations)
    .where(
      and(inArray(organizations.id, pathIds(orgPath)), eq(organizations.batchApprovalOff, true)),
    )
    .limit(1);
  return row?.name ?? null;
}

export interface BatchCandidates {
  ok: true;
  orgName: string;
  /** Everything the admin may approve, by stage (only stages with something waiting). */
  byStage: Partial<Record<BatchStage, ApplicationView[]>>;
}

/** What the admin may approve at each stage now; refused where a leading organ said no. */
export async function batchCandidates(
  db: Db,
  input: { adminId: number },
  now: Date,
  season: Season,
): Promise<BatchCandidates | Refusal> {
  const admin = await loadAdmin(db, input.adminId);
  if (!admin) return refuse({ reason: "not_permitted" });
  const off = await switchedOffBy(db, admin.org.path);
  if (off) return refuse({ reason: "batch_off", orgName: off });
  const queue = await pendingQueue(db, input, now, season);
  if (!queue.ok) return queue;
  const byStage: BatchCandidates["byStage"] = {};
  for (const item of queue.items) {
    if (!isBatchStage(item.stage)) continue;
    const list = byStage[item.stage] ?? [];
    list.push(item);
    byStage[item.stage] = list;
  }
  return { ok: true, orgName: queue.orgName, byStage };
}

/** The applications of one stage that pass the filter, oldest first. */
export function filterCandidates(items: ApplicationView[], filter: BatchFilter): ApplicationView[] {
  return items.filter(
    (a) =>
      a.stage === filter.stage &&
      (!filter.reason || a.reason === filter.reason) &&
      (!filter.fromOrgId || a.fromOrgId === filter.fromOrgId) &&
      (!filter.minDays || a.daysWaiting >= filter.minDays),
  );
}

/** A leading organ switches batch approval on or off for its whole region. */
export async function setBatchApproval(
  db: Db,
  input: { adminId: number; on: boolean },
): Promise<{ ok: true; orgName: string } | Refusal> {
  const admin = await loadAdmin(db, input.adminId);
  if (!admin || !isLeadingOrgan(admin.org)) return refuse({ reason: "not_permitted" });
  await db
    .update(organizations)
    .set({ batchApprovalOff: !input.on })
    .where(eq(organizations.id, admin.org.id));
  return { ok: true, orgName: admin.org.name };
}

/**
 * Queues the run of a confirmed batch (in the dialog's transaction); the runner approves.
 * `branchId`: the branch every member a committee receives goes to, or null to assign later.
 */
export async function queueBatch(
  db: Db,
  input: {
    adminId: number;
    channel: string;
    chatId: string;
    applicationIds: number[];
    branchId: number | null;
  },
): Promise<{ ok: true; batchId: number; count: number } | Refusal> {
  const admin = await loadAdmin(db, input.adminId);
  if (!admin) return refuse({ reason: "not_permitted" });
  const off = await switchedOffBy(db, admin.org.path);
  if (off) return refuse({ reason: "batch_off", orgName: off });
  const ids = [...new Set(input.applicationIds.filter(Number.isInteger))].slice(0, MAX_BATCH);
  if (ids.length === 0) return refuse({ reason: "batch_empty" });
  const [row] = await db
    .insert(batchRuns)
    .values({
      adminId: input.adminId,
      channel: input.channel,
      chatId: input.chatId,
      applicationIds: ids,
      branchId: input.branchId,
      status: "queued",
    })
    .returning({ id: batchRuns.id });
  return { ok: true, batchId: row!.id, count: ids.length };
}

/** What happened to one application of a run. */
export type BatchItem =
  /** `assignHere`: the admin's own committee now assigns the member a branch (R22). */
  | { id: number; ok: true; state: ApplicationState; assignHere: boolean }
  | { id: number; ok: false; refusal: Refusal };

export interface BatchRun {
  id: number;
  status: "queued" | "running" | "done";
  items: BatchItem[];
  total: number;
  branchName: string | null;
}

/** A run as its summary reads it. */
export async function loadBatchRun(db: Db, batchId: number): Promise<BatchRun | null> {
  if (!Number.isInteger(batchId)) return null;
  const [row] = await query<{
    id: number;
    status: BatchRun["status"];
    results: BatchItem[];
    applicationIds: number[];
    branchName: string | null;
  }>(
    db,
    sql`select r.id, r.status, r.results, r.application_ids as "applicationIds",
          o.name as "branchName"
        from batch_runs r left join organizations o on o.id = r.branch_id
        where r.id = ${batchId}`,
  );
  if (!row) return null;
  return {
    id: row.id,
    status: row.status,
    items: row.results,
    total: row.applicationIds.length,
    branchName: row.branchName,
  };
}

/** A run still running after this long belongs to a copy that died: another one resumes it. */
const LEASE_MS = 5 * 60_000;

/**
 * Runs queued batches, one at a time, until none is left: each application in its own
 * transaction (its approval and the run's progress together), then one transaction with the
 * summary and, after it, every card edit. Returns how many runs finished.
 */
export async function runQueuedBatches(db: Db, now: () => Date): Promise<number> {
  let finished = 0;
  for (;;) {
    const at = now();
    const stale = new Date(at.getTime() - LEASE_MS).toISOString();
    const [run] = await query<{
      id: number;
      adminId: number;
      channel: string;
      chatId: string;
      applicationIds: number[];
      branchId: number | null;
      results: BatchItem[];
    }>(
      db,
      sql`update batch_runs set status = 'running', started_at = ${at.toISOString()}::timestamptz
          where id = (
            select id from batch_runs
            where status = 'queued' or (status = 'running' and started_at < ${stale}::timestamptz)
            order by id limit 1 for update skip locked)
          returning id, admin_id as "adminId", channel, chat_id as "chatId",
            application_ids as "applicationIds", branch_id as "branchId", results`,
    );
    if (!run) return finished;
    const done = new Set(run.results.map((r) => r.id));
    for (const applicationId of run.applicationIds) {
      if (done.has(applicationId)) continue;
      await db.transaction(async (tx) => {
        const deferred: Notice[] = [];
        const when = now();
        const input = { adminId: run.adminId, applicationId };
        let item: BatchItem;
        const approved = await approve(tx, input, when, { deferCards: deferred });
        if (!approved.ok) item = { id: applicationId, ok: false, refusal: approved };
        else if (approved.needsAssignment && run.branchId !== null) {
          const assigned = await assign(tx, { ...input, branchId: run.branchId }, when, {
            deferCards: deferred,
          });
          // Approved but not placed (a branch outside this receiver): it waits for Assign.
          item = assigned.ok
            ? { id: applicationId, ok: true, state: assigned.state, assignHere: false }
            : { id: applicationId, ok: true, state: approved.state, assignHere: true };
        } else {
          const assignHere = approved.needsAssignment;
          item = { id: applicationId, ok: true, state: approved.state, assignHere };
        }
        await query(
          tx,
          sql`update batch_runs
              set results = results || ${JSON.stringify([item])}::jsonb,
                  deferred = deferred || ${JSON.stringify(deferred)}::jsonb
              where id = ${run.id}`,
        );
      });
    }
    await db.transaction(async (tx) => {
      const [row] = await query<{ deferred: Notice[] }>(
        tx,
        sql`update batch_runs set status = 'done', finished_at = ${now().toISOString()}::timestamptz
            where id = ${run.id} and status = 'running' returning deferred`,
      );
      if (!row) return;
      // The summary first: a chat's messages go in the order they were queued.
      await notify(tx, [
        {
          event: "batch_summary",
          to: { chat: `${run.channel}:${run.chatId}` },
          payload: { batchId: run.id },
          key: { batchId: run.id },
        },
      ]);
      await notify(tx, row.deferred);
    });
    finished++;
  }
}

/** R22: the branches a batch may place every committee-received member in (the admin's own). */
export async function batchBranches(
  db: Db,
  adminId: number,
): Promise<{ id: number; name: string }[]> {
  const admin = await loadAdmin(db, adminId);
  if (!admin) return [];
  return db
    .select({ id: organizations.id, name: organizations.name })
    .from(organizations)
    .where(
      and(
        within(organizations.path, admin.org.path),
        eq(organizations.kind, "branch"),
        eq(organizations.category, "normal"),
      ),
    )
    .orderBy(asc(organizations.name));
}
