import { zoneFormat } from "../domain/calendar.ts";

/** Dates as people in the season's time zone read them: "2026-09-03 09:00". */
export function formatTime(at: Date, timezone: string): string {
  const parts = zoneFormat("en-CA", {
    timeZone: timezone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
  }).formatToParts(at);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  return `${get("year")}-${get("month")}-${get("day")} ${get("hour")}:${get("minute")}`;
}
