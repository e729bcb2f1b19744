/**
 * The dialog engine (issue 5.1): state persisted per (channel, chat, user), resumed by a new
 * engine over the same database, updates handled once, stale buttons answered, back / cancel,
 * bad input re-asked. A stand-in flow registered as `transfer` plays the wizard.
 */
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { defineAction } from "../../src/dialogs/defineAction.ts";
import { DialogEngine } from "../../src/dialogs/engine.ts";
import { bindFlow } from "../../src/dialogs/flows/bind.ts";
import { hotlineFlow } from "../../src/dialogs/flows/hotline.ts";
import { type PickerOption, pickerButtons, readPicker } from "../../src/dialogs/picker.ts";
import { DialogRegistry } from "../../src/dialogs/registry.ts";
import { raw, reply } from "../../src/dialogs/replies.ts";
import { loadState, StaleStateError, saveState } from "../../src/dialogs/state.ts";
import { stepFlow } from "../../src/dialogs/steps.ts";
import { DB_KINDS, useTestDatabase } from "../helpers/db.ts";
import { TEST_SEASON } from "../helpers/season.ts";
import { bindAs, chat, labels, smallTree, texts, tokenOf } from "./fixtures.ts";

const COLORS: PickerOption[] = Array.from({ length: 20 }, (_, i) => ({
  label: `color ${i + 1}`,
  value: i + 1,
}));

/** Name (text, 1–10 characters), then a color from a paged picker. */
const surveyFlow = stepFlow<{ name: string; page: number }>({
  name: "transfer",
  requires: "member",
  first: "name",
  initial: () => ({ name: "", page: 0 }),
  steps: {
    name: {
      ask: () => reply(raw("Q: your name?")),
      text(_ctx, data, input) {
        const name = input.trim();
        if (name.length === 0 || name.length > 10)
          return { invalid: raw("name must be 1-10 characters") };
        return { next: "color", data: { ...data, name } };
      },
    },
    color: {
      ask: (_ctx, data) =>
        reply(raw(`Q: color for ${data.name}?`), pickerButtons(COLORS, data.page)),
      action(_ctx, data, value) {
        const picked = readPicker(value);
        if (!picked) return { invalid: raw("?") };
        if ("page" in picked) return { stay: { ...data, page: picked.page } };
        return {
          done: [
            reply(raw(`done: ${data.name} likes color ${String(picked.pick)}`), [
              [shoutAction.button(raw("shout"), data.name)],
            ]),
          ],
        };
      },
    },
  },
});

const shoutAction = defineAction("shout", z.string(), (_ctx, args) => ({
  replies: [reply(raw(`${args.toUpperCase()}!`))],
}));

describe.each(DB_KINDS)("dialog engine on %s", (kind) => {
  const database = useTestDatabase(kind);
  // The engine's own flows plus a stand-in wizard under the member menu's "transfer" name.
  const registry = () =>
    new DialogRegistry().flow(bindFlow).flow(hotlineFlow).flow(surveyFlow).action(shoutAction);
  const engine = () =>
    new DialogEngine(database.current.db, {
      registry: registry(),
      defaultLocale: "zh-CN",
      season: TEST_SEASON,
    });
  const member = async () => {
    const tree = await smallTree(database.current.db);
    await bindAs(database.current.db, "u1", { memberId: tree.member.id });
    return chat(engine, "u1");
  };

  it("offers the registered wizard in the menu and resumes it in a new engine after a restart", async () => {
    const u = await member();
    expect(labels(await u.say("/menu"))).toEqual([
      "File a transfer",
      "Hotline",
      "Help",
      "Language / 语言",
    ]);
    await u.press("File a transfer");
    expect(texts(u.last)).toContain("Q: your name?");
    await u.say("Ann");
    expect(texts(u.last)).toContain("Q: color for Ann?");
    expect(labels(u.last)).toEqual([
      ...COLORS.slice(0, 8).map((c) => c.label),
      "Next »",
      "« Back",
      "Cancel",
    ]);

    // A new engine over the same database: the tokens and state live in the database.
    const restarted = chat(engine, "u1");
    await restarted.pressToken(tokenOf(u.last, "Next »"));
    expect(labels(restarted.last)).toEqual([
      ...COLORS.slice(8, 16).map((c) => c.label),
      "« Previous",
      "Next »",
      "« Back",
      "Cancel",
    ]);
    await restarted.press("Next »");
    expect(labels(restarted.last).slice(0, 5)).toEqual([
      "color 17",
      "color 18",
      "color 19",
      "color 20",
      "« Previous",
    ]);
    await restarted.press("color 19");
    expect(texts(restarted.last)).toBe("done: Ann likes color 19");
    expect(
      (await loadState(database.current.db, { channel: "test", chatId: "u1", userId: "u1" })).state,
    ).toEqual({});
  });

  it("handles an update delivered twice once", async () => {
    const u = await member();
    await u.say("/menu");
    await u.press("File a transfer");
    const first = await u.send({ type: "text", text: "Ann" }, "update-1");
    const again = await u.send({ type: "text", text: "Ann" }, "update-1");
    expect(first.duplicate).toBe(false);
    expect(again).toEqual({ duplicate: true, replies: [] });
    const rows = await database.current.query<{ n: number }>(
      "select count(*)::int as n from processed_updates where update_key = 'update-1'",
    );
    expect(rows[0]?.n).toBe(1);
    // Still at the color question: the second "Ann" was not taken as a color answer.
    expect(texts(await u.say("/back"))).toContain("Q: your name?");
  });

  it("answers a button of an earlier step as out of date and changes nothing", async () => {
    const u = await member();
    await u.say("/menu");
    await u.press("File a transfer");
    await u.say("Ann");
    const page1 = u.last;
    await u.press("Next »");
    const page2 = u.last;
    const before = await loadState(database.current.db, {
      channel: "test",
      chatId: "u1",
      userId: "u1",
    });

    const stale = await u.pressToken(tokenOf(page1, "color 3"));
    expect(texts(stale)).toContain("This button is out of date");
    expect(stale[0]?.popup).toBe("Button out of date");
    const after = await loadState(database.current.db, {
      channel: "test",
      chatId: "u1",
      userId: "u1",
    });
    expect(after).toEqual(before);

    // A forged token and somebody else's token are refused the same way.
    expect(texts(await u.pressToken("forged-token"))).toContain("out of date");
    const other = chat(engine, "u2");
    expect(texts(await other.pressToken(tokenOf(page2, "color 9")))).toContain("按钮已过期");
    // The owner can still use the current page.
    expect(texts(await u.pressToken(tokenOf(page2, "color 9")))).toBe("done: Ann likes color 9");
  });

  it("keeps global buttons working after the dialog moved on", async () => {
    const u = await member();
    await u.say("/menu");
    await u.press("File a transfer");
    await u.say("Bo");
    await u.press("color 2");
    const done = u.last;
    await u.say("/menu");
    await u.press("Help");
    expect(texts(await u.pressToken(tokenOf(done, "shout")))).toBe("BO!");
  });

  it("goes back with the earlier answers and cancels from any step", async () => {
    const u = await member();
    await u.say("/menu");
    await u.press("File a transfer");
    expect(labels(u.last)).toEqual(["Cancel"]);
    expect(texts(await u.say("/back"))).toBe("This is already the first step.\n---\nQ: your name?");
    await u.say("Ann");
    await u.press("« Back");
    expect(texts(u.last)).toBe("Q: your name?");
    await u.say("Cy");
    expect(texts(u.last)).toBe("Q: color for Cy?");
    await u.press("Cancel");
    expect(texts(u.last)).toContain("Cancelled. Nothing you entered was saved.");
    expect(labels(u.last)).toContain("File a transfer");
    expect(texts(await u.say("Cy"))).toContain("Sorry, I didn't understand that.");
    expect(texts(await u.say("/cancel"))).toContain("There is nothing in progress.");
  });

  it("gives the reason and the same question again on bad input", async () => {
    const u = await member();
    await u.say("/menu");
    await u.press("File a transfer");
    expect(texts(await u.say("   "))).toBe("name must be 1-10 characters\n---\nQ: your name?");
    expect(texts(await u.say("a name far too long"))).toBe(
      "name must be 1-10 characters\n---\nQ: your name?",
    );
    await u.say("Ann");
    expect(texts(await u.say("color 3"))).toBe(
      "Please answer with one of the buttons below.\n---\nQ: color for Ann?",
    );
  });

  it("keeps text the database cannot store out of the dialog state: NULs go, half surrogate pairs become U+FFFD", async () => {
    const u = await member();
    await u.say("/menu");
    await u.press("File a transfer");
    // A lone high surrogate (JSON may escape one) and a NUL, then a full pair (kept).
    expect(texts(await u.say("A\ud870n\u0000n🙂"))).toContain("Q: color for A\ufffdnn🙂?");
    const key = { channel: "test", chatId: "u1", userId: "u1" };
    const saved = await loadState(database.current.db, key);
    expect(saved.state).toMatchObject({
      flow: "transfer",
      data: { data: { name: "A\ufffdnn🙂" } },
    });
  });

  it("speaks zh-CN by default and remembers a chosen language", async () => {
    const tree = await smallTree(database.current.db);
    await database.current.db.execute(
      sql`insert into chat_identities (channel, external_user_id, member_id) values ('test', 'u3', ${tree.member.id})`,
    );
    const u = chat(engine, "u3");
    expect(texts(await u.say("/menu"))).toContain("你好，王小明！");
    await u.press("语言 / Language");
    await u.press("English");
    expect(texts(u.last)).toContain("Language set to English.");
    expect(texts(await chat(engine, "u3").say("/help"))).toContain("Commands:");
  });

  it("refuses a save when another copy saved the dialog first", async () => {
    const db = database.current.db;
    const key = { channel: "test", chatId: "c", userId: "c" };
    const loaded = await loadState(db, key);
    await saveState(db, key, loaded, { flow: "hotline" }, new Date());
    await expect(saveState(db, key, loaded, { flow: "bind" }, new Date())).rejects.toBeInstanceOf(
      StaleStateError,
    );
    const current = await loadState(db, key);
    await saveState(db, key, current, {}, new Date());
    await expect(saveState(db, key, current, { flow: "bind" }, new Date())).rejects.toBeInstanceOf(
      StaleStateError,
    );
  });

  it("keeps button tokens short ASCII, far under Telegram's 64-byte callback limit", async () => {
    const u = await member();
    for (const b of (await u.say("/menu")).flatMap((r) => r.buttons.flat())) {
      expect(b.action).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
    }
  });
});
