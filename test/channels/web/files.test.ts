/**
 * Exports in the web chat (issue 18): the file is shown as a download link that works for the
 * session that asked only — not another session of the same person, not without a session,
 * not after logout — and the chat's log keeps the link, never the file's bytes.
 */
import ExcelJS from "exceljs";
import { beforeEach, describe, expect, it } from "vitest";
import { createHttpApp, type Readiness } from "../../../src/http/app.ts";
import { approve } from "../../../src/services/decisions/index.ts";
import { fileApplication } from "../../../src/services/transfers.ts";
import { DB_KINDS, useTestDatabase } from "../../helpers/db.ts";
import { testEngine } from "../../helpers/engine.ts";
import { TEST_SEASON } from "../../helpers/season.ts";
import { sessionCookie } from "../../helpers/webchat.ts";
import { buildWorld, furtherStudy, type World } from "../../helpers/world.ts";

type Wire = {
  text: string;
  buttons: { label: string; action: string }[][];
  file?: { name: string; url: string };
};

describe.each(DB_KINDS)("web chat files on %s", (kind) => {
  const database = useTestDatabase(kind);
  const db = () => database.current.db;
  const now = new Date("2026-09-10T02:00:00Z");
  let w: World;
  const app = () => {
    const readiness: Readiness = {
      db: kind,
      web: {
        db: db(),
        engine: testEngine(db(), "zh-CN"),
        demo: false,
        defaultLocale: "zh-CN",
        graduationYear: 2026,
        now: () => now,
      },
    };
    return createHttpApp(readiness, "zh-CN");
  };
  const post = async (cookie: string, body: unknown) => {
    const res = await app().request("/api/webchat/messages", {
      method: "POST",
      headers: { "content-type": "application/json", cookie },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { replies: Wire[] }).replies;
  };
  const press = async (cookie: string, replies: Wire[], label: string) => {
    const button = replies.flatMap((r) => r.buttons.flat()).find((b) => b.label === label);
    expect(button, label).toBeDefined();
    return post(cookie, { action: button!.action });
  };

  beforeEach(async () => {
    w = await buildWorld(db());
    const filed = await fileApplication(
      db(),
      furtherStudy(w.member.m1, w.org.VB),
      now,
      TEST_SEASON,
    );
    if (!filed.ok) throw new Error(filed.reason);
    await approve(db(), { adminId: w.admin.VB, applicationId: filed.applicationId }, now);
  });

  it("downloads the export in the session that asked only", async () => {
    const mine = await sessionCookie(db(), { adminId: w.admin.P }, now);
    const other = await sessionCookie(db(), { adminId: w.admin.P }, now);
    const menu = await post(mine.cookie, { text: "/export" });
    const replies = await press(mine.cookie, menu, "待录入智慧团建（1 条）");
    const sent = replies.find((r) => r.file)!;
    expect(sent.file?.name).toBe("待录入智慧团建-团山西省委-2026-09-10.xlsx");
    expect(sent.file?.url).toMatch(/^\/api\/webchat\/files\/[A-Za-z0-9_-]{22}$/);
    expect(JSON.stringify(replies)).not.toContain("base64");

    const download = await app().request(sent.file!.url, { headers: { cookie: mine.cookie } });
    expect(download.status).toBe(200);
    expect(download.headers.get("content-type")).toBe(
      "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    );
    expect(download.headers.get("content-disposition")).toContain(
      `filename*=UTF-8''${encodeURIComponent(sent.file!.name)}`,
    );
    expect(download.headers.get("cache-control")).toBe("no-store");
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load((await download.arrayBuffer()) as ArrayBuffer);
    // R4: the province's admin, in their private chat, sees the number in full.
    expect(workbook.worksheets[0]!.getCell("C2").value).toBe(w.idNumber.m1);

    const elsewhere = await app().request(sent.file!.url, { headers: { cookie: other.cookie } });
    expect(elsewhere.status).toBe(404);
    expect(((await elsewhere.json()) as { error: string }).error).toContain(
      "只在生成它的这次登录中有效",
    );
    expect((await app().request(sent.file!.url)).status).toBe(401);

    // The log keeps the link (a reload shows it), never the bytes.
    const inbox = await app().request("/api/webchat/inbox", { headers: { cookie: mine.cookie } });
    const logged = ((await inbox.json()) as { messages: Wire[] }).messages;
    expect(logged.find((m) => m.file)?.file).toEqual(sent.file);
    const [row] = await database.current.query<{ n: number }>(
      "select count(*)::int as n from webchat_files",
    );
    expect(row?.n).toBe(1);

    await app().request("/api/webchat/session", {
      method: "DELETE",
      headers: { cookie: mine.cookie },
    });
    expect((await app().request(sent.file!.url, { headers: { cookie: mine.cookie } })).status).toBe(
      401,
    );
    const [left] = await database.current.query<{ n: number }>(
      "select count(*)::int as n from webchat_files",
    );
    expect(left?.n).toBe(0);
  });
});
