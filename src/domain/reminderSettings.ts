/** Issue 20.2: the configurable reminder calendar (defaults; `src/config.ts` reads the rest). */
export interface ReminderSettings {
  /** The deciding chats are reminded this many hours after the R27 clock started. */
  stageHours: number[];
  /** The leading organ above is told this many hours after it started. */
  escalationHours: number;
  /** Daily reminders in the review period's last this many days (0: none). */
  reviewLastDays: number;
  /** No reminder is sent from the first hour until the second (local time). */
  quietHours: [number, number];
}

export const REMINDER_DEFAULTS: ReminderSettings = {
  stageHours: [72, 168],
  escalationHours: 192,
  reviewLastDays: 7,
  quietHours: [22, 8],
};
