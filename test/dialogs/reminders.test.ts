/**
 * Issue 20.2 through the jobs, the outbox and the dialogs: before R27 returns an application,
 * the deciding chats are reminded 72 h and 168 h after its clock started (each once, never in
 * the quiet hours), the leading organ above is told at 192 h what will be returned and at whom
 * it waits (R29 someone always sees it), the review period's last week reminds daily, and the
 * member's 催办 reminds the deciding chats once a day (kept for the morning when made at night).
 */
import { beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { seasonFor } from "../../src/domain/calendar.ts";
import { queueStageReminders } from "../../src/services/stageReminders.ts";
import { type FileInput, fileApplication } from "../../src/services/transfers.ts";
import { DB_KINDS, useTestDatabase } from "../helpers/db.ts";
import { testDeliveries } from "../helpers/deliveries.ts";
import { testEngine } from "../helpers/engine.ts";
import { TEST_SEASON } from "../helpers/season.ts";
import { buildWorld, furtherStudy, shanghai, type World } from "../helpers/world.ts";
import { bindAs, chat, labels, texts } from "./fixtures.ts";

const AUG = shanghai("2026-08-10T10:00:00");
const CHAT_START = new Date("2026-07-01T02:00:00Z").getTime();

describe.each(DB_KINDS)("issue 20.2 reminders before the auto-return on %s", (kind) => {
  const database = useTestDatabase(kind);
  let w: World;
  const db = () => database.current.db;
  const engine = () => testEngine(db());
  const out = testDeliveries(db);
  const file = async (input: FileInput, at = AUG) => {
    const filed = await fileApplication(db(), input, at, TEST_SEASON);
    if (!filed.ok) throw new Error(`filing: ${filed.reason}`);
    return filed.applicationId;
  };
  /** The sweep's reminders at `local` (Shanghai), then a delivery round; what `chatId` got. */
  const sweep = async (local: string, chatId: string) => {
    const at = shanghai(local);
    const before = out.to(chatId).length;
    await db().transaction((tx) => queueStageReminders(tx, TEST_SEASON, at));
    await out.deliver(at);
    return out.to(chatId).slice(before);
  };
  const memberAt = (local: string) => {
    const m1 = chat(engine, "m1");
    m1.advance(shanghai(local).getTime() - CHAT_START);
    return m1;
  };

  beforeEach(async () => {
    w = await buildWorld(db());
    out.clear();
    await bindAs(db(), "m1", { memberId: w.member.m1 });
    await out.bind("g-V", w.org.V);
    await out.bind("g-P", w.org.P);
  });

  it("R27 72 h and 168 h reminders once each, never at night; at 192 h the leading organ above hears", async () => {
    const id = await file(furtherStudy(w.member.m1, w.org.V));
    await out.deliver(AUG);
    // The clock starts on 1 Oct 00:00: 71 h later nothing; 72 h later it is night.
    expect(await sweep("2026-10-03T23:05:00", "g-V")).toEqual([]);
    expect(await sweep("2026-10-04T00:05:00", "g-V")).toEqual([]);
    const first = await sweep("2026-10-04T08:05:00", "g-V");
    expect(first).toHaveLength(1);
    expect(first[0]!.text).toContain(
      "Reminder: 1 applications have waited 72 hours for your decision since the wrap-up began",
    );
    expect(first[0]!.text).toContain(`#${id} 张小明 — returned on 2026-10-11 00:00`);
    expect(first[0]!.buttons.flat().map((b) => b.label)).toEqual([
      "Open the pending queue",
      "Batch approve",
    ]);
    // Once: the next hours say nothing more.
    expect(await sweep("2026-10-04T09:05:00", "g-V")).toEqual([]);
    expect(await sweep("2026-10-07T23:05:00", "g-V")).toEqual([]);
    const second = await sweep("2026-10-08T08:05:00", "g-V");
    expect(second.map((m) => m.text).join()).toContain("have waited 168 hours");
    expect(await sweep("2026-10-08T12:05:00", "g-V")).toEqual([]);
    // 192 h: the province (the leading organ above the institute) is told, with contacts.
    expect(await sweep("2026-10-08T23:05:00", "g-P")).toEqual([]);
    const escalated = await sweep("2026-10-09T08:05:00", "g-P");
    expect(escalated).toHaveLength(1);
    expect(escalated[0]!.text).toContain("Returned automatically soon unless decided (1)");
    expect(escalated[0]!.text).toContain(
      `#${id} 张小明 — waits at 太原工学院团委 (admins: 管理员V 0351-000V) — returned on 2026-10-11 00:00`,
    );
    expect(await sweep("2026-10-09T09:05:00", "g-P")).toEqual([]);
    expect(out.to("g-V").filter((m) => m.text.startsWith("Reminder"))).toHaveLength(2);
  });

  it("R27 a stage change restarts the count; the settings are configurable", async () => {
    const config = loadConfig({ STAGE_REMINDER_HOURS: "24", QUIET_HOURS: "0-0" });
    expect(config.reminders).toEqual({
      stageHours: [24],
      escalationHours: 192,
      reviewLastDays: 7,
      quietHours: [0, 0],
    });
    expect(() => loadConfig({ STAGE_REMINDER_HOURS: "168,72" })).toThrow(/STAGE_REMINDER_HOURS/);
    expect(() => loadConfig({ QUIET_HOURS: "night" })).toThrow(/QUIET_HOURS/);
    const season = seasonFor(2026, "Asia/Shanghai", {}, config.targetDefaults, config.reminders);
    await file(furtherStudy(w.member.m1, w.org.V));
    await out.deliver(AUG);
    const at = shanghai("2026-10-02T03:00:00");
    await db().transaction((tx) => queueStageReminders(tx, season, at));
    await out.deliver(at);
    expect(texts(out.to("g-V"))).toContain("have waited 24 hours");
  });

  it("the review period's last week reminds daily what still waits, once a day", async () => {
    await file(furtherStudy(w.member.m1, w.org.VB), shanghai("2026-09-01T10:00:00"));
    await out.deliver(shanghai("2026-09-01T10:00:00"));
    expect(await sweep("2026-09-20T09:05:00", "g-V")).toEqual([]);
    const day = await sweep("2026-09-24T09:05:00", "g-V");
    // VB has no chat of its own: V's chat hears it (R29).
    expect(day).toHaveLength(1);
    expect(day[0]!.text).toContain(
      "The review period ends on 2026-09-30: 1 applications wait for your decision",
    );
    expect(await sweep("2026-09-24T15:05:00", "g-V")).toEqual([]);
    expect(await sweep("2026-09-25T09:05:00", "g-V")).toHaveLength(1);
  });

  it("R27 催办: once a day per application, the deciding chats get it with the buttons; at night in the morning", async () => {
    const id = await file(furtherStudy(w.member.m1, w.org.V));
    await out.deliver(AUG);
    const m1 = memberAt("2026-10-05T10:00:00");
    await m1.say("/menu");
    await m1.press("My applications");
    expect(labels(m1.last)).toContain(`Remind them about #${id}`);
    expect(texts(await m1.press(`Remind them about #${id}`))).toContain(
      `The deciding organization's chats were reminded about application #${id}.`,
    );
    await out.deliver(shanghai("2026-10-05T10:00:00"));
    const nudged = out.to("g-V").at(-1)!;
    expect(nudged.text).toContain(`张小明 asks about transfer application #${id}`);
    expect(nudged.buttons.flat().map((b) => b.label)).toEqual(["Approve", "Reject", "Details"]);
    // Again the same day: said, nothing sent.
    await m1.say("/menu");
    await m1.press("My applications");
    expect(texts(await m1.press(`Remind them about #${id}`))).toContain(
      `You already reminded them about application #${id} today`,
    );
    // The next day at night: kept for the morning.
    const night = memberAt("2026-10-06T23:30:00");
    await night.say("/menu");
    await night.press("My applications");
    expect(texts(await night.press(`Remind them about #${id}`))).toContain(
      `It is night: the deciding organization's chats are reminded about application #${id} at 2026-10-07 08:00.`,
    );
    const sent = out.to("g-V").length;
    await out.deliver(shanghai("2026-10-06T23:31:00"));
    expect(out.to("g-V")).toHaveLength(sent);
    const morning = await sweep("2026-10-07T08:05:00", "g-V");
    expect(morning.map((m) => m.text).join("\n")).toContain(
      `asks about transfer application #${id}`,
    );
  });
});
