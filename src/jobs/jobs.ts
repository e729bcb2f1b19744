/**
 * The app's scheduled jobs (SPEC §4 calendar, R7, R14, R15, R27, §5 snapshots, §6 digests) and
 * the pruning of short-lived chat records, with a vacuum of the database after it.
 */
import type { Schedules } from "../config.ts";
import type { Season } from "../domain/calendar.ts";
import { autoReturnOverdue } from "../services/autoReturn.ts";
import { queueDigests } from "../services/digests.ts";
import { pruneChatRecords, pruneImportRows, vacuumDatabase } from "../services/housekeeping.ts";
import { convertGraduateOrganizations } from "../services/marks.ts";
import { takeSnapshots } from "../services/rates.ts";
import { queueRetentionReminders } from "../services/reminders.ts";
import { queueStageReminders } from "../services/stageReminders.ts";
import { queueAutoReturnWarnings } from "../services/warnings.ts";
import type { Job } from "./runner.ts";

export function appJobs(season: Season, schedules: Schedules): Job[] {
  return [
    {
      name: "sweep",
      cron: schedules.sweep,
      period: "hour",
      async run(tx, _slot, now) {
        // Return first, so what is returned now is not also warned about.
        await autoReturnOverdue(tx, now, season);
        await queueAutoReturnWarnings(tx, season, now);
        await queueStageReminders(tx, season, now);
      },
    },
    {
      name: "conversion",
      cron: schedules.conversion,
      period: "day",
      async run(tx, _slot, now) {
        await convertGraduateOrganizations(tx, season, now);
      },
    },
    {
      name: "reminders",
      cron: schedules.reminders,
      period: "day",
      async run(tx, _slot, now) {
        await queueRetentionReminders(tx, now, season.timezone);
      },
    },
    {
      name: "snapshot",
      cron: schedules.snapshot,
      period: "day",
      async run(tx, slot, now) {
        await takeSnapshots(tx, season.year, slot.day, now);
      },
    },
    {
      name: "housekeeping",
      cron: schedules.housekeeping,
      period: "day",
      async run(tx, _slot, now) {
        await pruneChatRecords(tx, now);
        await pruneImportRows(tx, now);
      },
      afterwards: vacuumDatabase,
    },
    {
      name: "digest",
      cron: schedules.digest,
      period: "day",
      async run(tx, slot) {
        await queueDigests(tx, slot.day);
      },
    },
  ];
}
