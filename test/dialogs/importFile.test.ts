/**
 * A file sent into a chat, channel-neutral (issue 18, importFile.ts): claimed once per update,
 * said sparingly where nothing can be edited, refused with the way forward when it cannot be
 * received or read; the preview's buttons act for the presser's own admin only, and Undo is
 * offered while it is possible.
 */
import { eq, sql } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { chatIdentities, imports, members } from "../../src/db/schema.ts";
import type { FileOutlet, IncomingFile } from "../../src/dialogs/importFile.ts";
import type { RenderedReply } from "../../src/dialogs/types.ts";
import { DB_KINDS, useTestDatabase } from "../helpers/db.ts";
import { testEngine } from "../helpers/engine.ts";
import { badChecksum, idNumber, workbookBuffer } from "../helpers/sheetFiles.ts";
import { buildWorld, shanghai, type World, YEAR } from "../helpers/world.ts";
import { bindAs, tokenOf } from "./fixtures.ts";

const UB1 = "团山西省委/山西示范大学团委/计算机学院团总支/计算机2022级1班团支部";
const NOW = shanghai(`${YEAR}-03-10T10:00:00`);

const sheet = () =>
  workbookBuffer(
    [
      ["姓名", "身份证号", "所在团支部"],
      ["Dialog One", idNumber("20040115", 41), UB1],
      ["Bad Check", badChecksum(idNumber("20040216", 42)), UB1],
    ],
    "xlsx",
  );

const fileOf = (data: Buffer, name = "members.xlsx"): IncomingFile => ({
  name,
  size: data.length,
  download: async () => ({ data }),
});

describe.each(DB_KINDS)("files sent into a chat on %s", (kind) => {
  const database = useTestDatabase(kind);
  const db = () => database.current.db;
  const engine = () => testEngine(db(), "en");
  let w: World;

  beforeEach(async () => {
    w = await buildWorld(db());
    await bindAs(db(), "aU", { adminId: w.admin.U });
    await bindAs(db(), "aUC", { adminId: w.admin.UC });
  });

  /** Sends a file as `user`; what was said, where nothing can be edited. */
  const send = async (user: string, file: IncomingFile, updateKey?: string) => {
    const said: RenderedReply[] = [];
    const outlet: FileOutlet = { send: async (replies) => void said.push(...replies) };
    await engine().receiveFile(
      {
        channel: "test",
        chatId: user,
        userId: user,
        isGroup: false,
        now: NOW,
        ...(updateKey ? { updateKey } : {}),
        file,
      },
      outlet,
    );
    return said;
  };
  const press = async (user: string, replies: RenderedReply[], label: string) =>
    (
      await engine().handle({
        channel: "test",
        chatId: user,
        userId: user,
        isGroup: false,
        now: NOW,
        input: { type: "action", token: tokenOf(replies, label) },
      })
    ).replies;

  it("where nothing can be edited, says it reads once, then the preview; a resent update does nothing", async () => {
    const said = await send("aU", fileOf(sheet()), "upd-1");
    expect(said.map((r) => r.text.split("\n")[0])).toEqual([
      "Reading “members.xlsx”…",
      "Import preview (members): members.xlsx",
    ]);
    expect(said[1]!.document?.name).toBe("refused-rows.xlsx");
    expect(await send("aU", fileOf(sheet()), "upd-1")).toEqual([]);
    expect(await db().select().from(imports)).toHaveLength(1);
  });

  it("a person sends at most 20 files an hour to import; the 21st is refused before it is downloaded", async () => {
    let downloads = 0;
    const counted = (data: Buffer): IncomingFile => ({
      name: "members.csv",
      size: data.length,
      download: async () => {
        downloads++;
        return { data };
      },
    });
    const empty = Buffer.from("姓名,身份证号,所在团支部\n", "utf8");
    for (let i = 0; i < 20; i++) await send("aU", counted(empty), `upd-many-${i}`);
    expect(downloads).toBe(20);
    const [before] = await db().select({ n: sql<number>`count(*)::int` }).from(imports);
    const said = await send("aU", counted(sheet()), "upd-many-20");
    expect(said.map((r) => r.text).join("\n")).toBe(
      "You have sent 20 files to import in the last hour. Try again in 3 minutes, or ask the operator to import them with npm run import.",
    );
    expect(downloads).toBe(20);
    const [after] = await db().select({ n: sql<number>`count(*)::int` }).from(imports);
    expect(after).toEqual(before);
  });

  it("a file that cannot be received or read is refused with the way forward", async () => {
    const broken: IncomingFile = {
      name: "members.xlsx",
      size: null,
      download: async () => {
        throw new Error("network");
      },
    };
    expect((await send("aU", broken)).at(-1)?.text).toBe(
      "“members.xlsx” could not be received: please send it again.",
    );
    const garbage = Buffer.concat([Buffer.from("PK\u0003\u0004"), Buffer.alloc(200, 7)]);
    expect((await send("aU", fileOf(garbage))).at(-1)?.text).toContain("This file cannot be read");
    const unnamed: IncomingFile = {
      name: "",
      size: null,
      download: async () => ({ data: sheet(), name: "scan.pdf" }),
    };
    expect((await send("aU", unnamed)).at(-1)?.text).toContain("“scan.pdf” cannot be imported");
  });

  it("the preview's buttons act for the presser's own admin: another admin's Apply is refused", async () => {
    const said = await send("aU", fileOf(sheet()));
    // Another admin (of 计算机学院团总支, inside U's tree) presses the same button.
    const token = tokenOf(said, "Apply");
    const [row] = await db().select().from(imports);
    const other = await engine().handle({
      channel: "test",
      chatId: "aU",
      userId: "aUC",
      isGroup: false,
      now: NOW,
      input: { type: "action", token },
    });
    expect(other.replies[0]?.text).toContain("Someone else started this import");
    expect((await db().select().from(imports).where(eq(imports.id, row!.id)))[0]?.state).toBe(
      "previewed",
    );

    const applied = await press("aU", said, "Apply");
    expect(applied[0]?.text).toContain("Imported: 1 added, 0 changed, 0 moved (1 refused rows");
    // Undo is offered while nothing happened to what was added; once a member bound, it says so.
    const [added] = await db().select().from(members).where(eq(members.name, "Dialog One"));
    await db()
      .insert(chatIdentities)
      .values({ channel: "test", externalUserId: "m-new", memberId: added!.id });
    const undo = await press("aU", applied, "Undo this import");
    expect(undo[0]?.text).toContain("Cannot undo");
  });
});
