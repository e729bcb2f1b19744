/** Binding, hotline, help and language through the dialog engine (issue 5.2, 5.3). */
import { describe, expect, it } from "vitest";
import { issueMemberCode } from "../../src/services/bindings.ts";
import { DB_KINDS, useTestDatabase } from "../helpers/db.ts";
import { testEngine } from "../helpers/engine.ts";
import { bindAs, chat, labels, smallTree, texts } from "./fixtures.ts";

describe.each(DB_KINDS)("member dialogs on %s", (kind) => {
  const database = useTestDatabase(kind);
  const engine = () => testEngine(database.current.db);
  const codeFor = async () => {
    const tree = await smallTree(database.current.db);
    const issued = await issueMemberCode(database.current.db, {
      adminId: tree.schoolAdmin.id,
      memberId: tree.member.id,
      now: new Date("2026-07-01T00:00:00Z"),
    });
    if (!issued.ok) throw new Error(issued.reason);
    return { tree, code: issued.code };
  };

  it("asks a stranger for a binding code, re-asks on a wrong one, and binds", async () => {
    const { code } = await codeFor();
    const u = chat(engine, "new-user");
    expect(texts(await u.say("hello"))).toContain("Enter your binding code:");
    expect(texts(await u.say("ABCD2345"))).toBe(
      "That code is not right. Please check it and try again.\n---\nEnter your binding code:",
    );
    const bound = await u.say(code);
    expect(texts(bound)).toContain("Bound! You are signed in as a League member.");
    expect(texts(bound)).toContain("Hello, 王小明!");
    expect(labels(bound)).toContain("Hotline");
  });

  it("binds with /start CODE, but never from a group chat", async () => {
    const { code } = await codeFor();
    const inGroup = chat(engine, "new-user", "group-1");
    expect(texts(await inGroup.say(`/start ${code}`))).toContain(
      "send the binding code in a private chat",
    );
    expect(texts(await chat(engine, "new-user").say(`/start ${code}`))).toContain("Bound!");
  });

  it("stops asking once the person has tried too many wrong codes, in any chat", async () => {
    await codeFor();
    const u = chat(engine, "new-user");
    await u.say("hi");
    for (let i = 0; i < 10; i++) await u.say("ABCD2345EFGH");
    const paused =
      "Too many wrong codes were tried. For safety, binding is paused: try again in 6 minutes.";
    expect(texts(await u.say("ABCD2345EFGH"))).toBe(paused);
    u.advance(3 * 60_000);
    // Outside the flow a bare code is still tried, and the pause still holds; others may try.
    expect(texts(await u.say("ABCD-2345-EFGH"))).toBe(paused.replace("6 minutes", "3 minutes"));
    expect(texts(await chat(engine, "other-user").say("/start ABCD2345EFGH"))).toContain(
      "That code is not right",
    );
  });

  it("gives a member the hotline of their county and looks up others by name", async () => {
    const { tree } = await codeFor();
    await bindAs(database.current.db, "m", { memberId: tree.member.id });
    const u = chat(engine, "m");
    await u.say("/menu");
    await u.press("Hotline");
    expect(texts(u.last)).toBe("The transfer hotline of your county:\n团运城市夏县委: 17634017430");
    await u.press("Look up another county");
    expect(texts(u.last)).toBe("Type the name of a county or city (e.g. 迎泽区, 夏县, 忻州):");
    expect(texts(await u.say("x".repeat(31)))).toBe(
      "Type a name of 1 to 30 characters.\n---\nType the name of a county or city (e.g. 迎泽区, 夏县, 忻州):",
    );
    expect(texts(await u.say("夏县"))).toBe("Committees found: 1\n团运城市夏县委: 17634017430");
    expect(texts(await u.say("/hotline 不存在"))).toBe(
      'No committee\'s name contains "不存在". Check the name.\nProvincial hotline: 团山西省委 0351-12355',
    );
  });

  it("lets a stranger look up a hotline and read help, and hints at binding", async () => {
    await codeFor();
    const u = chat(engine, "stranger");
    expect(texts(await u.say("/hotline 夏县"))).toContain("17634017430");
    const help = texts(await u.say("/help"));
    expect(help).toContain("/hotline [county] hotline");
    expect(help).toContain("send the 12-character binding code");
    expect(texts(await u.say("/hotline"))).toContain("Type the name of a county or city");
  });

  it("answers an admin's menu with admin entries, help and language, no member entries", async () => {
    const { tree } = await codeFor();
    await bindAs(database.current.db, "a", { adminId: tree.countyAdmin.id });
    const menu = await chat(engine, "a").say("/start");
    expect(texts(menu)).toContain("Hello, 县管理员!");
    expect(labels(menu)).toEqual(
      expect.arrayContaining([
        "Locate a member",
        "Rates (FQ / SX / XS / DW)",
        "Help",
        "Language / 语言",
      ]),
    );
    expect(labels(menu)).not.toContain("File a transfer");
  });
});
