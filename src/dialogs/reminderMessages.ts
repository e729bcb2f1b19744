/**
 * Issue 20.2: what reminders say, read when delivered so they tell the truth then: what still
 * waits at the recipient (an application decided since is left out; nothing left, nothing
 * sent), when R27 returns it, and for the leading organ above, at whom it waits.
 */
import type { Db } from "../db/client.ts";
import type { Season } from "../domain/calendar.ts";
import { rostersOf } from "../services/adminRoster.ts";
import { type ApplicationView, applicationView, orgQueueSummary } from "../services/queues.ts";
import { batchButtons } from "./batchButton.ts";
import { decisionButtons } from "./cards.ts";
import { openPendingAction } from "./flows/decide.ts";
import { formatTime } from "./format.ts";
import { regionAction } from "./region.ts";
import { raw, reply, text } from "./replies.ts";
import type { Button, Reply, Text } from "./types.ts";

const R = (key: string, params?: Text["params"]) => text(`reminders:${key}`, params);

/** Applications named one by one; the count covers the rest. */
const LISTED = 15;

const openPending = (): Button => openPendingAction.button(text("digest:openPending"));

async function stillWaiting(
  db: Db,
  ids: unknown,
  now: Date,
  season: Season,
  keep: (view: ApplicationView) => boolean,
): Promise<ApplicationView[]> {
  const list = Array.isArray(ids) ? ids.filter(Number.isInteger).slice(0, 500) : [];
  const views: ApplicationView[] = [];
  for (const id of list as number[]) {
    const view = await applicationView(db, { applicationId: id, viewer: null }, now, season);
    if (view?.autoReturnAt && keep(view)) views.push(view);
  }
  return views;
}

const more = (count: number): Text[] =>
  count > LISTED ? [R("more", { count: count - LISTED })] : [];

/** 72 h / 168 h on the R27 clock: the deciding chats, one message for all that are due. */
export async function stageReminderReply(
  db: Db,
  payload: { hours?: unknown; applicationIds?: unknown },
  orgId: number,
  now: Date,
  season: Season,
): Promise<Reply | null> {
  const views = await stillWaiting(
    db,
    payload.applicationIds,
    now,
    season,
    (v) => v.decidingOrgId === orgId,
  );
  if (views.length === 0) return null;
  const lines = [
    R("stage.title", { count: views.length, hours: Number(payload.hours) }),
    ...views.slice(0, LISTED).map((v) =>
      R("stage.line", {
        id: v.id,
        name: raw(v.memberName),
        at: formatTime(v.autoReturnAt!, season.timezone),
      }),
    ),
    ...more(views.length),
  ];
  return reply(lines, [[openPending(), ...batchButtons(views.map((v) => v.stage))]]);
}

/** 192 h: the leading organ above hears what will be returned, and at whom it waits. */
export async function escalationReply(
  db: Db,
  payload: { applicationIds?: unknown },
  now: Date,
  season: Season,
): Promise<Reply | null> {
  const views = await stillWaiting(db, payload.applicationIds, now, season, () => true);
  if (views.length === 0) return null;
  const orgIds = [...new Set(views.flatMap((v) => (v.decidingOrgId ? [v.decidingOrgId] : [])))];
  const contacts = await rostersOf(db, orgIds);
  const contactOf = (orgId: number | null) => {
    const people = contacts.filter((c) => c.orgId === orgId);
    if (people.length === 0) return R("escalation.noAdmin");
    return raw(people.map((p) => (p.phone ? `${p.name} ${p.phone}` : p.name)).join("、"));
  };
  const lines = [
    R("escalation.title", { count: views.length }),
    ...views.slice(0, LISTED).map((v) =>
      R("escalation.line", {
        id: v.id,
        name: raw(v.memberName),
        org: raw(v.decidingOrgName ?? ""),
        contacts: contactOf(v.decidingOrgId),
        at: formatTime(v.autoReturnAt!, season.timezone),
      }),
    ),
    ...more(views.length),
  ];
  return reply(lines, [[regionAction.button(R("escalation.open"), { page: 0, soon: false })]]);
}

/** The review period's last days: what waits at this organization, daily. */
export async function reviewReminderReply(
  db: Db,
  orgId: number,
  now: Date,
  season: Season,
): Promise<Reply | null> {
  const pending = await orgQueueSummary(db, orgId, { now, soon: now, listed: 1 }, season);
  const [oldest] = pending.first;
  if (!oldest) return null;
  return reply(
    R("review", {
      count: pending.count,
      end: season.reviewEnd,
      since: formatTime(oldest.stageSince, season.timezone),
    }),
    [[openPending(), ...batchButtons(pending.stages)]],
  );
}

/** The member's nudge (催办), with the buttons to decide at once. */
export async function nudgeReply(
  db: Db,
  payload: { applicationId?: unknown },
  orgId: number,
  now: Date,
  season: Season,
): Promise<Reply | null> {
  const [view] = await stillWaiting(
    db,
    [payload.applicationId],
    now,
    season,
    (v) => v.decidingOrgId === orgId,
  );
  if (!view) return null;
  return reply(
    R("nudge", {
      id: view.id,
      name: raw(view.memberName),
      days: view.daysWaiting,
      at: formatTime(view.autoReturnAt!, season.timezone),
    }),
    [decisionButtons(view)],
  );
}
