/**
 * Notifications are outbox rows written in the transaction of the change that causes them;
 * delivery happens later. Every row has a dedupe key so a change can never notify twice.
 */

import { type SQL, sql } from "drizzle-orm";
import { query, type Tx } from "../db/client.ts";
import type { ApplicationState } from "../domain/application.ts";

export type ApprovalStageName = "leader" | "province" | "out" | "receiver" | "assignment";

/** A stage the member hears of while their application moves on (before its outcome). */
export type ProgressStep =
  | "filed_for_you"
  | "leader_approved"
  | "out_approved"
  | "receiver_approved";

export type Notification =
  | {
      event: "decision_needed";
      to: { org: number };
      payload: { applicationId: number; stage: ApprovalStageName };
    }
  | {
      /**
       * The card in the deciding organization's chats must now show its outcome, or its next
       * step where that organization `stillDeciding` (a committee that approved now assigns).
       */
      event: "card_outcome";
      to: { org: number };
      payload: { applicationId: number; state: ApplicationState; stillDeciding?: boolean };
    }
  | {
      event: "outcome";
      to: { member: number } | { admin: number };
      payload: { applicationId: number; state: ApplicationState };
    }
  | {
      /** The member is told of every stage passed: who approved, and who decides next. */
      event: "progress";
      to: { member: number };
      payload: { applicationId: number; step: ProgressStep };
    }
  | {
      /** R27 warning: the deciding chats are told two days before an automatic return. */
      event: "auto_return_warning";
      to: { org: number };
      payload: { applicationId: number; returnAt: string };
    }
  | {
      event: "graduation_change_needed";
      to: { org: number };
      payload: { requestId: number };
    }
  | {
      event: "graduation_change_decided";
      to: { admin: number };
      payload: { requestId: number; approved: boolean };
    }
  | {
      /** Issue 20.2: applications waited `hours` on the R27 clock at the recipient's stage. */
      event: "stage_reminder";
      to: { org: number };
      payload: { hours: number; applicationIds: number[] };
    }
  | {
      /** Issue 20.2: the leading organ above hears what will be returned, and at whom it waits. */
      event: "escalation";
      to: { org: number };
      payload: { hours: number; applicationIds: number[] };
    }
  | {
      /** Issue 20.2: the review period's last days: what still waits, daily. */
      event: "review_reminder";
      to: { org: number };
      payload: { day: string };
    }
  | {
      /** Issue 20.2: the member asks about their application (催办). */
      event: "nudge";
      to: { org: number };
      payload: { applicationId: number };
    }
  | {
      /** Issue 20: one summary of a batch approval, in the chat it was confirmed in. */
      event: "batch_summary";
      to: { chat: string };
      payload: { batchId: number };
    }
  | {
      /** R14, R15: a retained or flow-branch member has been there 5 or 11 months. */
      event: "retention_reminder";
      to: { org: number };
      payload: { memberId: number; months: number };
    };

function recipient(to: Notification["to"]): {
  recipientType: "org" | "member" | "admin" | "chat";
  recipientId: string;
} {
  // A chat is `channel:chatId`, as the fan-out reads it.
  if ("chat" in to) return { recipientType: "chat", recipientId: to.chat };
  if ("org" in to) return { recipientType: "org", recipientId: String(to.org) };
  if ("member" in to) return { recipientType: "member", recipientId: String(to.member) };
  return { recipientType: "admin", recipientId: String(to.admin) };
}

/**
 * The statement queuing `items`, only when `condition` (a WHERE clause) holds: a decision
 * queues its notices in the same statement as the state change they announce.
 */
export function insertNotices(items: (Notification & { key: string })[], condition?: SQL): SQL {
  const rows = items.map((n) => {
    const { recipientType, recipientId } = recipient(n.to);
    const dedupeKey = `${n.key}:${recipientType}:${recipientId}`;
    return sql`(${n.event}, ${recipientType}, ${recipientId}, ${JSON.stringify(n.payload)}::jsonb,
      ${dedupeKey}, 'queued')`;
  });
  return sql`
    insert into outbox (event, recipient_type, recipient_id, payload, dedupe_key, status)
    select * from (values ${sql.join(rows, sql`, `)}) v ${condition ?? sql``}
    on conflict do nothing`;
}

/** Queues notifications; `key` makes each one idempotent (a second identical key is ignored). */
export async function notify(tx: Tx, items: (Notification & { key: string })[]): Promise<void> {
  if (items.length === 0) return;
  await query(tx, insertNotices(items));
}
