/**
 * R27 warning: the deciding organization's chats hear, once per approval stage, that an
 * application will be returned automatically within the next two days.
 */
import { and, inArray, isNotNull, lte } from "drizzle-orm";
import type { Tx } from "../db/client.ts";
import { applications } from "../db/schema.ts";
import { autoReturnAt, autoReturnCutoff, type Season } from "../domain/calendar.ts";
import { OPEN_STATES } from "../domain/lifecycle.ts";
import { notify } from "./notify.ts";

export const WARNING_AHEAD_MS = 2 * 86_400_000;

/** Queues the warnings due at `now`; returns the applications warned (already warned included). */
export async function queueAutoReturnWarnings(
  db: Tx,
  season: Season,
  now: Date,
): Promise<number[]> {
  // Due by `now + 2 days` is exactly "returned at or before then" by the domain's own rule.
  const cutoff = autoReturnCutoff(season, new Date(now.getTime() + WARNING_AHEAD_MS));
  if (!cutoff) return [];
  const due = await db
    .select({
      id: applications.id,
      stageSince: applications.stageSince,
      decidingOrgId: applications.decidingOrgId,
    })
    .from(applications)
    .where(
      and(
        inArray(applications.state, [...OPEN_STATES]),
        lte(applications.stageSince, cutoff),
        isNotNull(applications.decidingOrgId),
      ),
    );
  for (let i = 0; i < due.length; i += 1_000) {
    await notify(
      db,
      due.slice(i, i + 1_000).map((a) => ({
        event: "auto_return_warning" as const,
        to: { org: a.decidingOrgId! },
        payload: {
          applicationId: a.id,
          returnAt: autoReturnAt(season, a.stageSince).toISOString(),
        },
        key: { applicationId: a.id, stageSince: a.stageSince.toISOString() },
      })),
    );
  }
  return due.map((a) => a.id);
}
