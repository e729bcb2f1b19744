/**
 * Issue 10, reliability: Telegram delivers every update three times, interleaved (it resends on
 * any slow or failed answer), and each update still has exactly one effect.
 */
import { inArray } from "drizzle-orm";
import type { Update } from "grammy/types";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applicationHistory, applications, outbox, processedUpdates } from "../../src/db/schema.ts";
import { webhookAnswer } from "../channels/telegram/fakeBotApi.ts";
import { useTestDatabase } from "../helpers/db.ts";
import { brokenInvariants } from "./invariants.ts";
import { ADMIN_USER, buildScene, GROUP, postUpdate, type Scene } from "./telegramScene.ts";

const COUNT = 40;

describe.runIf(process.env.TEST_DATABASE_URL)("duplicates: every update delivered 3 times", () => {
  const database = useTestDatabase("postgres", { truncate: false });
  let scene: Scene;
  beforeAll(async () => {
    scene = await buildScene(database.current, { count: COUNT, firstUpdateId: 1 });
  });
  afterAll(() => scene?.stop());

  it("approvals and texts, each 3× interleaved: one decision, one notification, one reply each", async () => {
    const texts: Update[] = Array.from(
      { length: COUNT },
      (_, i) =>
        ({
          update_id: 10_000 + i,
          message: {
            message_id: 9_000 + i,
            date: 1_786_000_000,
            chat: { id: ADMIN_USER, type: "private", first_name: "admin" },
            from: { id: ADMIN_USER, is_bot: false, first_name: "admin" },
            text: "/help",
          },
        }) as Update,
    );
    const updates = [...scene.approvals, ...texts];
    scene.fake.calls.length = 0;
    // Round-robin the three copies so duplicates of one update are in flight together.
    const responses = await Promise.all(
      [0, 1, 2].flatMap(() =>
        updates.map(async (u) => {
          const res = await postUpdate(scene.app, u);
          return { status: res.status, answer: await webhookAnswer(res) };
        }),
      ),
    );
    expect(responses.every((r) => r.status === 200)).toBe(true);

    const db = database.current.db;
    const ids = scene.applications;
    const rows = await db.select().from(applications).where(inArray(applications.id, ids));
    expect(rows.map((r) => r.state)).toEqual(ids.map(() => "completed"));
    const history = await db
      .select()
      .from(applicationHistory)
      .where(inArray(applicationHistory.applicationId, ids));
    expect(history).toHaveLength(COUNT * 2);
    const told = await db
      .select()
      .from(outbox)
      .where(inArray(outbox.event, ["outcome"]));
    expect(told).toHaveLength(COUNT);
    expect(await db.select().from(processedUpdates)).toHaveLength(updates.length);

    // Each press is answered every time (the client must stop spinning), but only the first
    // copy acts: the approval popup appears once per card.
    const answers = responses.flatMap((r) => (r.answer ? [r.answer] : []));
    expect(answers).toHaveLength(COUNT * 3);
    const approved = answers.filter((a) => String(a.text ?? "").startsWith("已同意申请"));
    expect(approved).toHaveLength(COUNT);
    const helpReplies = scene.fake.calls.filter(
      (c) => c.method === "sendMessage" && Number(c.params.chat_id) === ADMIN_USER,
    );
    expect(helpReplies).toHaveLength(COUNT);

    // The decided cards and the member's notices go out once each, however often delivery runs.
    scene.fake.calls.length = 0;
    await Promise.all([scene.deliver(), scene.deliver(), scene.deliver()]);
    const edits = scene.fake.calls.filter(
      (c) => c.method === "editMessageText" && Number(c.params.chat_id) === GROUP,
    );
    expect(edits).toHaveLength(COUNT);
    expect(await brokenInvariants(database.current)).toEqual({});
  });
});
